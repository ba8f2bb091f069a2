//! Lines, words and bytes of every file under a directory, grouped by extension: a parallel
//! batch flow watched by a live progress bar.
//!
//! Run with `cargo run --example file_stats [DIR]`; DIR defaults to the repository root. The
//! batch flow's `prep` walks DIR with `std::fs` (skipping `target/` and hidden directories such
//! as `.git/`, not following symbolic links) and returns one path per file. Its sub-flow, the one
//! node `CountFile`, reads a file with `tokio::fs`, counts it, and records the counts in the
//! shared store under the file's extension, with up to 16 files in flight
//! (`#[batch_flow(parallel, limit = 16)]`). The batch flow's `post` prints a table sorted by
//! bytes, largest first, with a total row and the elapsed time.
//!
//! The progress bar (the `indicatif` crate) is driven only by a `pocketflow::Progress` attached
//! with `BatchFlow::with_progress`: a tokio task reads `done()` and `total()` every 50 ms and
//! moves the bar. The bar is drawn only when both stdout and stderr are terminals, so
//! `cargo run --example file_stats > out.txt` writes the bare table. The shared store keeps a
//! handle to the bar for one thing only: `post` prints its table through `ProgressBar::suspend`,
//! so the table is not drawn over the bar.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::IsTerminal;
use std::ops::AddAssign;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pocketflow::Progress;
use pocketflow::prelude::*;

/// The group of the files that have no extension.
const NO_EXTENSION: &str = "(none)";

/// Files, lines, words and bytes: of one file, or added up over a group of files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    files: u64,
    lines: u64,
    words: u64,
    bytes: u64,
}

impl Counts {
    /// The counts of one file's contents. Lines are counted as `str::lines` does (a last line
    /// without a `\n` counts too), on the bytes, so a file that is not UTF-8 is counted the same
    /// way; words are the runs of non-whitespace in the text read as UTF-8, invalid bytes
    /// replaced by U+FFFD.
    fn of(contents: &[u8]) -> Counts {
        let newlines = contents.iter().filter(|&&byte| byte == b'\n').count();
        let unterminated = contents.last().is_some_and(|&byte| byte != b'\n');
        Counts {
            files: 1,
            lines: (newlines + usize::from(unterminated)) as u64,
            words: String::from_utf8_lossy(contents).split_whitespace().count() as u64,
            bytes: contents.len() as u64,
        }
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.files += other.files;
        self.lines += other.lines;
        self.words += other.words;
        self.bytes += other.bytes;
    }
}

/// The group of `path`: its extension, or [`NO_EXTENSION`] (also for `.gitignore` and `name.`).
fn extension_of(path: &Path) -> String {
    match path.extension() {
        Some(extension) if !extension.is_empty() => extension.to_string_lossy().into_owned(),
        _ => NO_EXTENSION.to_owned(),
    }
}

/// Adds the counts of the file at `path` to its extension's group.
fn record(by_extension: &mut BTreeMap<String, Counts>, path: &Path, counts: Counts) {
    *by_extension.entry(extension_of(path)).or_default() += counts;
}

/// The groups, most bytes first; groups with as many bytes in extension order (a stable sort).
fn by_bytes(by_extension: &BTreeMap<String, Counts>) -> Vec<(&str, Counts)> {
    let mut rows: Vec<_> = by_extension
        .iter()
        .map(|(extension, counts)| (extension.as_str(), *counts))
        .collect();
    rows.sort_by_key(|&(_, counts)| Reverse(counts.bytes));
    rows
}

/// The table that `post` prints: a header, one row per extension (most bytes first), a total
/// row and the elapsed time.
fn render_table(by_extension: &BTreeMap<String, Counts>, elapsed: Duration) -> String {
    let row = |name: &str, c: Counts| -> Vec<String> {
        let numbers = [c.files, c.lines, c.words, c.bytes].map(|n| n.to_string());
        [name.to_owned()].into_iter().chain(numbers).collect()
    };
    let mut total = Counts::default();
    let mut lines: Vec<Vec<String>> = Vec::new();
    lines.push(
        ["extension", "files", "lines", "words", "bytes"]
            .map(str::to_owned)
            .to_vec(),
    );
    for (extension, counts) in by_bytes(by_extension) {
        total += counts;
        lines.push(row(extension, counts));
    }
    lines.push(row("total", total));

    let mut widths = [0; 5];
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let rule: Vec<String> = widths.iter().map(|&width| "-".repeat(width)).collect();
    let total_row = lines.pop().expect("the total row");
    lines.insert(1, rule.clone());
    lines.extend([rule, total_row]);

    let mut table = String::new();
    for line in &lines {
        let (name, numbers) = line.split_first().expect("five cells");
        table += &format!("{name:<width$}", width = widths[0]);
        for (number, width) in numbers.iter().zip(&widths[1..]) {
            table += &format!("  {number:>width$}");
        }
        table.push('\n');
    }
    table += &format!("elapsed: {elapsed:.2?}\n");
    table
}

/// Whether the walk skips a directory of this name: `target` and hidden ones (`.git`, ...).
fn is_skipped_dir(name: &OsStr) -> bool {
    name == "target" || name.as_encoded_bytes().starts_with(b".")
}

/// Every file under `root`, sorted: see [`is_skipped_dir`]; symbolic links are not followed.
fn list_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    walk(root, &mut files)?;
    files.sort();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let error = |err: std::io::Error| format!("cannot list {}: {err}", dir.display());
    for entry in std::fs::read_dir(dir).map_err(error)? {
        let entry = entry.map_err(error)?;
        let file_type = entry.file_type().map_err(error)?;
        if file_type.is_dir() {
            if !is_skipped_dir(&entry.file_name()) {
                walk(&entry.path(), files)?;
            }
        } else if file_type.is_file() {
            files.push(entry.path());
        }
    }
    Ok(())
}

/// The shared store.
struct Stats {
    /// The directory to walk.
    root: PathBuf,
    /// The counts of the files read so far, by extension.
    by_extension: BTreeMap<String, Counts>,
    /// The files that could not be read (removed since the walk, no permission, ...).
    unreadable: Vec<PathBuf>,
    started: Instant,
    /// The progress bar, only to print around it (`ProgressBar::hidden()` when there is none).
    bar: ProgressBar,
}

impl Stats {
    fn new(root: PathBuf, bar: ProgressBar) -> Stats {
        Stats {
            root,
            by_extension: BTreeMap::new(),
            unreadable: Vec::new(),
            started: Instant::now(),
            bar,
        }
    }
}

/// Reads the file that is its params and records its counts; a file that cannot be read goes
/// to `unreadable` (through `exec_fallback`) rather than ending the whole batch.
struct CountFile;

#[node]
impl CountFile {
    fn prep(&self, _stats: &Stats, path: &PathBuf) -> PathBuf {
        path.clone()
    }

    async fn exec(&self, path: &Path) -> std::io::Result<Option<Counts>> {
        let contents = tokio::fs::read(path).await?;
        Ok(Some(Counts::of(&contents)))
    }

    fn exec_fallback(&self, _path: &Path, _err: pocketflow::Error) -> Option<Counts> {
        None
    }

    fn post(&self, stats: &mut Stats, path: PathBuf, counts: Option<Counts>) {
        match counts {
            Some(counts) => record(&mut stats.by_extension, &path, counts),
            None => stats.unreadable.push(path),
        }
    }
}

/// One run of `CountFile` per file under `stats.root`, 16 at a time.
struct FileStats;

#[batch_flow(parallel, limit = 16)]
impl FileStats {
    fn prep(&self, stats: &Stats) -> Result<Vec<PathBuf>, String> {
        list_files(&stats.root)
    }

    fn post(&self, stats: &mut Stats, files: Vec<PathBuf>) -> &'static str {
        let mut report = format!("{} files under {}\n\n", files.len(), stats.root.display());
        report += &render_table(&stats.by_extension, stats.started.elapsed());
        if !stats.unreadable.is_empty() {
            report += &format!("\n{} unreadable files skipped:\n", stats.unreadable.len());
            for path in &stats.unreadable {
                report += &format!("  {}\n", path.display());
            }
        }
        stats.bar.suspend(|| print!("{report}"));
        "counted"
    }
}

/// The batch flow over the sub-flow `count`, counting its finished runs into `progress`.
fn file_stats_flow(progress: &Progress) -> impl Node<Stats, Action = Action> {
    let count = CountFile;
    FileStats.over(flow! { count }).with_progress(progress)
}

/// A bar on stderr when stdout and stderr are both terminals, else a hidden one.
fn progress_bar() -> ProgressBar {
    let on_terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let target = if on_terminal {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} files [{elapsed}]")
        .expect("a valid template");
    ProgressBar::with_draw_target(None, target).with_style(style)
}

/// Moves `bar` to `progress` every 50 ms, until aborted.
async fn show_progress(progress: Progress, bar: ProgressBar) {
    let mut ticks = tokio::time::interval(Duration::from_millis(50));
    loop {
        ticks.tick().await;
        bar.set_length(progress.total());
        bar.set_position(progress.done());
    }
}

#[tokio::main]
async fn main() -> pocketflow::Result<()> {
    let root = std::env::args_os().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        PathBuf::from,
    );
    let root = std::fs::canonicalize(&root).unwrap_or(root);

    let progress = Progress::new();
    let bar = progress_bar();
    let poller = tokio::spawn(show_progress(progress.clone(), bar.clone()));
    let mut stats = Stats::new(root, bar.clone());
    let result = file_stats_flow(&progress).run(&mut stats).await;
    poller.abort();
    bar.finish_and_clear();
    result?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary directory, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!(
                "pocketflow-file-stats-{}-{name}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, relative: &str, contents: &[u8]) {
            let path = self.0.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Seven counted files (lines, words, bytes in the comments) and four skipped ones.
    fn sample_tree(name: &str) -> TempDir {
        let dir = TempDir::new(name);
        dir.write("a.txt", b"hello world\nsecond line\n"); // 2, 4, 24
        dir.write("b.txt", b"one two three"); // 1, 3, 13
        dir.write("README", b"just text\n\n"); // 2, 2, 11
        dir.write(".gitignore", b"target\n"); // 1, 1, 7: hidden files count
        dir.write("nested/c.rs", b"fn main() {}\n"); // 1, 3, 13
        dir.write("nested/deeper/d.txt", b""); // 0, 0, 0
        dir.write("nested/data.bin", b"\xff\xfe abc\n\x80 def\n"); // 2, 4, 13: not UTF-8
        dir.write(".hidden/skipped.txt", b"not counted\n");
        dir.write("nested/.cache/skipped.txt", b"not counted\n");
        dir.write("target/skipped.txt", b"not counted\n");
        dir.write("nested/target/skipped.rs", b"not counted\n");
        dir
    }

    fn counts(files: u64, lines: u64, words: u64, bytes: u64) -> Counts {
        Counts {
            files,
            lines,
            words,
            bytes,
        }
    }

    fn expected_groups() -> BTreeMap<String, Counts> {
        BTreeMap::from([
            ("txt".to_owned(), counts(3, 3, 7, 37)),
            (NO_EXTENSION.to_owned(), counts(2, 3, 3, 18)),
            ("rs".to_owned(), counts(1, 1, 3, 13)),
            ("bin".to_owned(), counts(1, 2, 4, 13)),
        ])
    }

    #[tokio::test]
    async fn the_flow_counts_every_file_by_extension_and_progress_ends_at_all_files() {
        let dir = sample_tree("flow");
        let progress = Progress::new();
        let mut stats = Stats::new(dir.0.clone(), ProgressBar::hidden());

        let action = file_stats_flow(&progress).run(&mut stats).await.unwrap();

        assert_eq!(action, "counted");
        assert_eq!(stats.by_extension, expected_groups());
        assert_eq!(stats.unreadable, Vec::<PathBuf>::new());
        assert_eq!((progress.done(), progress.total()), (7, 7));
        assert!(progress.is_finished());
    }

    #[tokio::test]
    async fn an_empty_directory_gives_an_empty_table() {
        let dir = TempDir::new("empty");
        let progress = Progress::new();
        let mut stats = Stats::new(dir.0.clone(), ProgressBar::hidden());

        file_stats_flow(&progress).run(&mut stats).await.unwrap();

        assert!(stats.by_extension.is_empty());
        assert_eq!((progress.done(), progress.total()), (0, 0));
    }

    #[tokio::test]
    async fn a_missing_directory_fails_in_prep() {
        let dir = TempDir::new("missing").0.join("not-there");
        let mut stats = Stats::new(dir.clone(), ProgressBar::hidden());

        let err = file_stats_flow(&Progress::new())
            .run(&mut stats)
            .await
            .unwrap_err();

        assert_eq!(err.phase(), Some(Phase::Prep));
        let expected = format!(
            "node `FileStats` failed in prep: cannot list {}: ",
            dir.display()
        );
        assert!(err.to_string().starts_with(&expected), "{err}");
    }

    #[tokio::test]
    async fn an_unreadable_file_is_listed_instead_of_ending_the_run() {
        let dir = TempDir::new("unreadable");
        let missing = dir.0.join("gone.txt");
        let mut stats = Stats::new(dir.0.clone(), ProgressBar::hidden());

        CountFile.run_with(&mut stats, &missing).await.unwrap();

        assert_eq!(stats.unreadable, [missing]);
        assert!(stats.by_extension.is_empty());
    }

    #[test]
    fn the_walk_skips_target_and_hidden_dirs_and_sorts() {
        let dir = sample_tree("walk");
        let files = list_files(&dir.0).unwrap();
        let relative: Vec<_> = files
            .iter()
            .map(|path| path.strip_prefix(&dir.0).unwrap().to_str().unwrap())
            .collect();
        assert_eq!(
            relative,
            [
                ".gitignore",
                "README",
                "a.txt",
                "b.txt",
                "nested/c.rs",
                "nested/data.bin",
                "nested/deeper/d.txt",
            ]
        );
    }

    #[test]
    fn counts_of_contents() {
        assert_eq!(Counts::of(b""), counts(1, 0, 0, 0));
        assert_eq!(Counts::of(b"\n"), counts(1, 1, 0, 1));
        assert_eq!(Counts::of(b"a\nb"), counts(1, 2, 2, 3));
        assert_eq!(Counts::of(b"a b\r\nc\r\n"), counts(1, 2, 3, 8));
        assert_eq!(
            Counts::of("  tab\tand\u{a0}nbsp ".as_bytes()),
            counts(1, 1, 3, 16)
        );
        // Not UTF-8: each invalid byte reads as U+FFFD, which is not whitespace.
        assert_eq!(Counts::of(b"\xff \xfe\xfd\nx"), counts(1, 2, 3, 6));
    }

    #[test]
    fn extensions_group_files() {
        assert_eq!(extension_of(Path::new("src/lib.rs")), "rs");
        assert_eq!(extension_of(Path::new("a/archive.tar.gz")), "gz");
        assert_eq!(extension_of(Path::new("Makefile")), NO_EXTENSION);
        assert_eq!(extension_of(Path::new(".gitignore")), NO_EXTENSION);
        assert_eq!(extension_of(Path::new("name.")), NO_EXTENSION);

        let mut groups = BTreeMap::new();
        record(&mut groups, Path::new("a.rs"), counts(1, 2, 3, 4));
        record(&mut groups, Path::new("b/c.rs"), counts(1, 10, 20, 30));
        record(&mut groups, Path::new("LICENSE"), counts(1, 1, 1, 1));
        assert_eq!(
            groups,
            BTreeMap::from([
                ("rs".to_owned(), counts(2, 12, 23, 34)),
                (NO_EXTENSION.to_owned(), counts(1, 1, 1, 1)),
            ])
        );
    }

    #[test]
    fn the_table_is_sorted_by_bytes_with_a_total_row() {
        let table = render_table(&expected_groups(), Duration::from_millis(5));
        assert_eq!(
            table,
            "\
extension  files  lines  words  bytes
---------  -----  -----  -----  -----
txt            3      3      7     37
(none)         2      3      3     18
bin            1      2      4     13
rs             1      1      3     13
---------  -----  -----  -----  -----
total          7      9     17     81
elapsed: 5.00ms
"
        );
    }
}
