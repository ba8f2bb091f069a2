//! The `BatchFlow` example of PocketFlow's batch-processing chapter: run the sub-flow
//! `load >> filter >> save` once per (image, filter) pair, one run after another.
//!
//! Run with `cargo run --example image_batch_flow`. The two source images, "cat" and "dog",
//! are generated in memory (64x48 RGB, see `images/mod.rs`); each gets a grayscale and a
//! 3x3 box blur filter, and each result is written as a PPM file under
//! `$TMPDIR/pocketflow-images/`. It prints one line per output: image, filter, size, checksum
//! and path.
//!
//! Python's params dict `{"image": .., "filter": ..}` is the `Job` struct here: the batch
//! flow's `prep` returns the jobs, and each run of the sub-flow gets one as its params, which
//! the nodes take as `params: &Job`.

#[path = "images/mod.rs"]
mod images;

use std::path::PathBuf;

use images::{Filter, HEIGHT, Image, Job, Output, Shared, WIDTH};
use pocketflow::prelude::*;

/// Loads the job's source image into `shared.sources`.
struct Load;

#[node]
impl Load {
    fn prep(&self, _shared: &Shared, job: &Job) -> String {
        job.image.clone()
    }

    fn exec(&self, name: &str) -> Image {
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

    fn exec(&self, (image, filter): &(Image, Filter)) -> Image {
        filter.apply(image)
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

    fn exec(&self, (image, path): &(Image, PathBuf)) -> std::io::Result<(u64, PathBuf)> {
        let bytes = images::encode_ppm(image);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, &bytes)?;
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

/// Python's `ImageBatchFlow(BatchFlow)`: one job per (image, filter), run one after another.
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

/// The batch flow over the sub-flow `load >> filter >> save`.
fn image_batch_flow() -> impl Node<Shared, Action = Action> {
    let load = Load;
    let filter = ApplyFilter;
    let save = Save;
    ImageBatchFlow.over(flow! { load >> filter >> save })
}

#[tokio::main]
async fn main() -> pocketflow::Result<()> {
    let out_dir = std::env::temp_dir().join("pocketflow-images");
    let mut shared = Shared::new(&["cat", "dog"], &[Filter::Grayscale, Filter::Blur], out_dir);
    image_batch_flow().run(&mut shared).await?;
    for output in &shared.outputs {
        println!("{output}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_output_per_job_in_job_order_with_the_pipeline_checksums() {
        let dir = images::test_dir("sequential");
        let mut shared = Shared::new(
            &["cat", "dog"],
            &[Filter::Grayscale, Filter::Blur],
            dir.clone(),
        );
        let action = image_batch_flow().run(&mut shared).await.unwrap();
        assert_eq!(action, "saved");

        let jobs = shared.jobs();
        assert_eq!(shared.outputs.len(), 4);
        for (job, output) in jobs.iter().zip(&shared.outputs) {
            assert_eq!((&output.image, output.filter), (&job.image, job.filter));
            assert_eq!((output.width, output.height), (WIDTH, HEIGHT));
            assert_eq!(output.checksum, images::expected_checksum(job));
            assert_eq!(output.path, dir.join(job.file_name()));
            let file = std::fs::read(&output.path).unwrap();
            assert_eq!(images::fnv1a64(&file), output.checksum);
        }
        // Four different pictures.
        let mut checksums: Vec<_> = shared.outputs.iter().map(|o| o.checksum).collect();
        checksums.sort_unstable();
        checksums.dedup();
        assert_eq!(checksums.len(), 4);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_node_run_out_of_order_fails_in_prep() {
        let mut shared = Shared::new(&[], &[], images::test_dir("unused"));
        let job = Job {
            image: "cat".into(),
            filter: Filter::Blur,
        };
        let err = ApplyFilter.run_with(&mut shared, &job).await.unwrap_err();
        assert_eq!(err.phase(), Some(Phase::Prep));
        assert_eq!(
            err.to_string(),
            "node `ApplyFilter` failed in prep: image `cat` was not loaded"
        );
    }
}
