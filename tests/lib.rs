//! Helpers shared by the integration tests: capturing `tracing` output.
