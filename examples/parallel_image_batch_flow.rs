//! The `AsyncParallelBatchFlow` example of PocketFlow's batch-processing chapter: the
//! `image_batch_flow` workload with the four runs of `load >> filter >> save` in flight at
//! once (`#[batch_flow(parallel, limit = 4)]`).
//!
//! Run with `cargo run --example parallel_image_batch_flow`. The nodes are async: `load`
//! waits on a simulated slow read (30 ms for "cat", 10 ms for "dog"), `filter` computes on
//! tokio's blocking pool, `save` writes with `tokio::fs`; the runs interleave at those awaits,
//! all on the one shared store, whose `prep`s and `post`s never overlap. It prints the same
//! lines as `image_batch_flow` (files under `$TMPDIR/pocketflow-images/`), then runs the same
//! sub-flow in a sequential `#[batch_flow]` (files under `$TMPDIR/pocketflow-images/sequential/`),
//! checks that both produced the same images, and prints how long each took.

#[path = "images/mod.rs"]
mod images;

use std::path::PathBuf;
use std::time::Duration;

use images::{Filter, HEIGHT, Image, Job, Output, Shared, WIDTH};
use pocketflow::prelude::*;
use tokio::time::Instant;

/// How long reading a source image takes: different per image, so runs finish out of order.
fn read_latency(name: &str) -> Duration {
    Duration::from_millis(match name {
        "cat" => 30,
        "dog" => 10,
        _ => 20,
    })
}

/// Loads the job's source image into `shared.sources` after a simulated slow read.
struct Load;

#[node]
impl Load {
    fn prep(&self, _shared: &Shared, job: &Job) -> String {
        job.image.clone()
    }

    async fn exec(&self, name: &str) -> Image {
        tokio::time::sleep(read_latency(name)).await;
        images::generate(name, WIDTH, HEIGHT)
    }

    fn post(&self, shared: &mut Shared, name: String, image: Image) {
        shared.sources.insert(name, image);
    }
}

/// Applies the job's filter to its source image, into `shared.filtered`.
struct ApplyFilter;

#[node]
impl ApplyFilter {
    fn prep(&self, shared: &Shared, job: &Job) -> Result<(Image, Filter), String> {
        Ok((shared.source_of(job)?.clone(), job.filter))
    }

    /// CPU work goes to tokio's blocking pool, so the other runs go on meanwhile.
    async fn exec(
        &self,
        (image, filter): (Image, Filter),
    ) -> Result<Image, tokio::task::JoinError> {
        tokio::task::spawn_blocking(move || filter.apply(&image)).await
    }

    fn post(&self, shared: &mut Shared, _prep: (Image, Filter), filtered: Image, job: &Job) {
        shared.filtered.insert(job.key(), filtered);
    }
}

/// Writes the filtered image as a PPM file and records it in `shared.saved`.
struct Save;

#[node]
impl Save {
    fn prep(&self, shared: &Shared, job: &Job) -> Result<(Image, PathBuf), String> {
        let image = shared.filtered_of(job)?.clone();
        Ok((image, shared.out_dir.join(job.file_name())))
    }

    async fn exec(&self, (image, path): &(Image, PathBuf)) -> std::io::Result<(u64, PathBuf)> {
        let bytes = images::encode_ppm(image);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::write(path, &bytes).await?;
        Ok((images::fnv1a64(&bytes), path.clone()))
    }

    fn post(
        &self,
        shared: &mut Shared,
        (image, _path): (Image, PathBuf),
        (checksum, path): (u64, PathBuf),
        job: &Job,
    ) {
        let output = Output::new(job, &image, checksum, path);
        shared.saved.insert(job.key(), output);
    }
}

/// The per-job sub-flow, built afresh for each batch flow.
fn per_job() -> impl Node<Shared, Job> {
    let load = Load;
    let filter = ApplyFilter;
    let save = Save;
    flow! { load >> filter >> save }
}

/// Python's `AsyncParallelBatchFlow`: the jobs' runs concurrently, at most 4 at a time.
struct ParallelImageBatchFlow;

#[batch_flow(parallel, limit = 4)]
impl ParallelImageBatchFlow {
    fn prep(&self, shared: &Shared) -> Vec<Job> {
        shared.jobs()
    }

    fn post(&self, shared: &mut Shared, jobs: Vec<Job>) -> Result<&'static str, String> {
        shared.collect_outputs(&jobs)?;
        Ok("saved")
    }
}

/// The reference: the same jobs, one run after another.
struct ImageBatchFlow;

#[batch_flow]
impl ImageBatchFlow {
    fn prep(&self, shared: &Shared) -> Vec<Job> {
        shared.jobs()
    }

    fn post(&self, shared: &mut Shared, jobs: Vec<Job>) -> Result<&'static str, String> {
        shared.collect_outputs(&jobs)?;
        Ok("saved")
    }
}

const IMAGES: [&str; 2] = ["cat", "dog"];
const FILTERS: [Filter; 2] = [Filter::Grayscale, Filter::Blur];

/// Runs the parallel batch flow and the sequential one (writing to `out_dir/sequential`),
/// and returns both stores and how long each run took.
async fn run_both(out_dir: PathBuf) -> pocketflow::Result<[(Shared, Duration); 2]> {
    let mut parallel = Shared::new(&IMAGES, &FILTERS, out_dir.clone());
    let start = Instant::now();
    ParallelImageBatchFlow
        .over(per_job())
        .run(&mut parallel)
        .await?;
    let parallel_time = start.elapsed();

    let mut sequential = Shared::new(&IMAGES, &FILTERS, out_dir.join("sequential"));
    let start = Instant::now();
    ImageBatchFlow.over(per_job()).run(&mut sequential).await?;
    let sequential_time = start.elapsed();

    Ok([(parallel, parallel_time), (sequential, sequential_time)])
}

/// Everything about the outputs but where they were written.
fn images_of(shared: &Shared) -> Vec<(&str, Filter, usize, usize, u64)> {
    shared
        .outputs
        .iter()
        .map(|o| (o.image.as_str(), o.filter, o.width, o.height, o.checksum))
        .collect()
}

#[tokio::main]
async fn main() -> pocketflow::Result<()> {
    let out_dir = std::env::temp_dir().join("pocketflow-images");
    let [(parallel, parallel_time), (sequential, sequential_time)] = run_both(out_dir).await?;
    for output in &parallel.outputs {
        println!("{output}");
    }
    assert_eq!(images_of(&parallel), images_of(&sequential));
    println!(
        "same {} images as the sequential run; parallel took {} ms, sequential {} ms",
        parallel.outputs.len(),
        parallel_time.as_millis(),
        sequential_time.as_millis()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn parallel_and_sequential_runs_give_identical_checksums() {
        let dir = images::test_dir("parallel");
        let [(parallel, _), (sequential, _)] = run_both(dir.clone()).await.unwrap();

        assert_eq!(parallel.outputs.len(), 4);
        assert_eq!(images_of(&parallel), images_of(&sequential));
        for (job, output) in parallel.jobs().iter().zip(&parallel.outputs) {
            assert_eq!((&output.image, output.filter), (&job.image, job.filter));
            assert_eq!(output.checksum, images::expected_checksum(job));
            assert_eq!(output.path, dir.join(job.file_name()));
            let file = std::fs::read(&output.path).unwrap();
            assert_eq!(images::fnv1a64(&file), output.checksum);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// On tokio's paused clock only the simulated reads take time: run in parallel, the four
    /// runs take as long as the slowest read (cat's 30 ms); one after another, the sum of all
    /// four reads (30 + 30 + 10 + 10 ms).
    #[tokio::test(start_paused = true)]
    async fn parallel_runs_overlap() {
        let dir = images::test_dir("timing");
        let [(_, parallel_time), (_, sequential_time)] = run_both(dir.clone()).await.unwrap();
        assert_eq!(parallel_time, Duration::from_millis(30));
        assert_eq!(sequential_time, Duration::from_millis(80));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
