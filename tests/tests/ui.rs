//! Compile-time behaviour of the macros: what must compile, and the exact errors of what must
//! not. Compiler messages change between releases, so this runs on the one stable toolchain the
//! `.stderr` files were reviewed on and is skipped elsewhere.

#[rustversion::attr(not(stable(1.95)), ignore = "ui messages are reviewed on stable 1.95")]
#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
