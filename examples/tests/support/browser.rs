//! What the examples' browser tests share: where Chromium is, a scratch directory for its
//! profile, and where screenshots go.

use std::path::{Path, PathBuf};

/// Debian's paths; `CHROMIUM` and `CHROMEDRIVER` in the environment point elsewhere.
const CHROMIUM: (&str, &str) = ("CHROMIUM", "/usr/bin/chromium");
const CHROMEDRIVER: (&str, &str) = ("CHROMEDRIVER", "/usr/bin/chromedriver");

/// Where a screenshot named `name` goes: `CARGO_TARGET_DIR`, or the workspace's `target/`.
pub fn screenshot_path(name: &str) -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    target.join(name)
}

/// Chromium and chromedriver, when both are installed; without them, `None` after saying why,
/// or a panic when `CI` is set.
pub fn browser() -> Option<(PathBuf, PathBuf)> {
    let [chromium, chromedriver] = [CHROMIUM, CHROMEDRIVER].map(|(var, path)| {
        std::env::var_os(var).map_or_else(|| PathBuf::from(path), PathBuf::from)
    });
    let missing: Vec<String> = [&chromium, &chromedriver]
        .into_iter()
        .filter(|path| !path.exists())
        .map(|path| path.display().to_string())
        .collect();
    if missing.is_empty() {
        return Some((chromium, chromedriver));
    }
    let why = format!(
        "{} missing (Debian: apt-get install chromium chromium-driver)",
        missing.join(" and ")
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set, and the browser test cannot run: {why}"
    );
    eprintln!("skipping the browser test: {why}");
    None
}

/// A fresh, empty directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "pocketflow-example-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
