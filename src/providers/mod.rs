//! One file per wire format: each maps the neutral types onto its provider's API and back, and
//! holds unit tests on literal bodies from that provider's API reference.

// pub mod anthropic;
// pub mod gemini;
// pub mod mistral;
pub mod mock;
pub mod ollama;
// pub mod openai;
