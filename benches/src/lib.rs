//! Micro-benchmarks of pocketflow live in `benches/micro.rs`; run them with
//! `cargo bench -p pocketflow-benches`.
