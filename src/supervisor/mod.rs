//! The supervisor behind `llm-mcp serve`: children, routing, restarts, reload.

pub mod config;
