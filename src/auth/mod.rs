//! Credentials that are not a key in a variable: logins whose tokens expire and are refreshed
//! (see [`crate::http::credential::TokenSource`]). Today one: the Codex CLI's ChatGPT login
//! (`--auth codex`).

pub mod codex;
pub mod codex_file;
pub mod token_time;
