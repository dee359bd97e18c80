//! Shaping a request for its model, before an adapter maps it: [`adapt`] applies what the
//! catalog knows the model accepts (drop, convert or refuse, each change a warning), and
//! [`learned`] what a provider refused in this process, for models the catalog does not know.
//!
//! Apart from [`crate::catalog`], which is knowledge only: the catalog says what a model takes,
//! this module changes requests, so the catalog never depends on the request types.

pub mod adapt;
pub mod learned;
