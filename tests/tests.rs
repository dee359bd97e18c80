//! Integration tests: real binaries over stdio against fake providers on 127.0.0.1.

mod support;

mod fake_provider;
mod mock;
mod progress;
mod providers;

mod anthropic;
mod openai;

mod cli;
mod supervisor;

mod faults;
mod streaming;
