//! Integration tests: real binaries over stdio against fake providers on 127.0.0.1.
mod supervisor;
