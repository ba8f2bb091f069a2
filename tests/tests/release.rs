//! What a release promises about toolchains: `rust-version` (the workspace's) is what CI builds,
//! so no dependency may ask for a newer compiler than it. A dependency that raises its own
//! minimum fails this test, rather than the builds of users on the stated toolchain.

use std::process::Command;

/// `1.94` or `1.94.0` as `(1, 94, 0)`.
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|part| part.parse::<u64>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

#[test]
fn no_dependency_needs_a_newer_rustc_than_the_stated_rust_version() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--all-features"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let stated = packages
        .iter()
        .find(|package| package["name"] == "pocketflow")
        .and_then(|package| package["rust_version"].as_str())
        .expect("pocketflow states a rust-version");
    let too_new: Vec<String> = packages
        .iter()
        .filter_map(|package| {
            let needs = package["rust_version"].as_str()?;
            (version(needs) > version(stated))
                .then(|| format!("{} {} needs {needs}", package["name"], package["version"]))
        })
        .collect();
    assert!(
        too_new.is_empty(),
        "pocketflow states rust-version {stated}, but {}",
        too_new.join(", ")
    );
}
