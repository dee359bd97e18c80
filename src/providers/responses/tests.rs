//! Unit tests on literal bodies of the Responses API reference.
