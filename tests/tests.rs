//! Integration tests: real binaries over stdio against fake providers on 127.0.0.1.

mod support;

mod fake_provider;
mod mock;
mod progress;
mod providers;

mod anthropic;
mod anthropic_thinking;
mod gemini;
mod mistral;
mod ollama;
mod openai;
mod presets;
mod responses;
mod structured;

mod adapt;

mod budgets;
mod cli;
mod connect;
mod express;
mod fuzz;
mod keys;
mod limits;
mod load;
mod redis;
mod redis_keys;
mod redis_tasks;
mod register;
mod remote;
mod routing;
mod sampling;
mod session;
mod shutdown;
mod supervisor;
mod tasks;
mod tool_list;
mod tool_policy;

mod faults;
mod hostile;
mod streaming;
mod vision;
