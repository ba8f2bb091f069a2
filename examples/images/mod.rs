//! The image side of the `image_batch_flow` and `parallel_image_batch_flow` examples, shared by
//! both through `#[path = "images/mod.rs"] mod images;`: RGB pixel buffers, the source images
//! (generated, so no files or image crates are needed), the two filters, PPM encoding, a
//! checksum, and the jobs and shared store the two batch flows work on.
//!
//! Everything here but the [`Shared`] store is a pure function of its arguments.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// The size of every generated source image.
pub const WIDTH: usize = 64;
/// The size of every generated source image.
pub const HEIGHT: usize = 48;

/// An RGB image, row by row: the pixel at `(x, y)` is `pixels[y * width + x]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<[u8; 3]>,
}

impl Image {
    /// The image whose pixel at `(x, y)` is `pixel(x, y)`.
    pub fn from_fn(
        width: usize,
        height: usize,
        mut pixel: impl FnMut(usize, usize) -> [u8; 3],
    ) -> Image {
        let pixels = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| pixel(x, y))
            .collect();
        Image {
            width,
            height,
            pixels,
        }
    }

    /// The pixel at `(x, y)`.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        self.pixels[y * self.width + x]
    }
}

/// The deterministic source image called `name`: a red gradient left to right, a green one top
/// to bottom, and a checkerboard of 8-pixel squares in blue whose two shades (and the phase of
/// the red gradient) depend on the name, so each name gives a different picture.
pub fn generate(name: &str, width: usize, height: usize) -> Image {
    let seed = fnv1a64(name.as_bytes());
    let [dark, light, shift, ..] = seed.to_le_bytes();
    let ramp = |i: usize, n: usize| if n > 1 { i * 255 / (n - 1) } else { 0 };
    Image::from_fn(width, height, |x, y| {
        let red = ((ramp(x, width) + usize::from(shift)) % 256) as u8;
        let green = ramp(y, height) as u8;
        let blue = if (x / 8 + y / 8) % 2 == 0 {
            dark
        } else {
            light
        };
        [red, green, blue]
    })
}

/// The luma of an RGB pixel, `0.299 R + 0.587 G + 0.114 B` rounded to the nearest integer
/// (halves up), computed exactly in integers.
pub fn luma([r, g, b]: [u8; 3]) -> u8 {
    let thousandths = 299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b);
    // At most 255 * 1000 + 500, so the quotient fits in a u8.
    ((thousandths + 500) / 1000) as u8
}

/// The image in shades of grey: each pixel's three channels set to its [`luma`].
pub fn grayscale(image: &Image) -> Image {
    Image::from_fn(image.width, image.height, |x, y| {
        let grey = luma(image.pixel(x, y));
        [grey, grey, grey]
    })
}

/// A 3x3 box blur: each channel of each pixel becomes the mean of that channel over the pixel
/// and its 8 neighbours, rounded to the nearest integer (halves up). Neighbours outside the
/// image are clamped to the nearest edge pixel.
pub fn box_blur(image: &Image) -> Image {
    let clamp = |i: usize, delta: isize, n: usize| i.saturating_add_signed(delta).min(n - 1);
    Image::from_fn(image.width, image.height, |x, y| {
        let mut sums = [0u32; 3];
        for dy in -1..=1 {
            for dx in -1..=1 {
                let neighbour = image.pixel(clamp(x, dx, image.width), clamp(y, dy, image.height));
                for (sum, channel) in sums.iter_mut().zip(neighbour) {
                    *sum += u32::from(channel);
                }
            }
        }
        sums.map(|sum| ((sum + 4) / 9) as u8)
    })
}

/// The image encoded as a binary PPM (`P6`, 8 bits per channel) file.
pub fn encode_ppm(image: &Image) -> Vec<u8> {
    let header = format!("P6\n{} {}\n255\n", image.width, image.height);
    let mut bytes = Vec::with_capacity(header.len() + 3 * image.pixels.len());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend(image.pixels.iter().flatten());
    bytes
}

/// The 64-bit FNV-1a hash of `bytes`: the checksum the examples print for each output file.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A filter a job applies to its image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Filter {
    Grayscale,
    Blur,
}

impl Filter {
    /// The filtered image.
    pub fn apply(self, image: &Image) -> Image {
        match self {
            Filter::Grayscale => grayscale(image),
            Filter::Blur => box_blur(image),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Filter::Grayscale => "grayscale",
            Filter::Blur => "blur",
        })
    }
}

/// One run of the per-image sub-flow: its params, as Python's `{"image": .., "filter": ..}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub image: String,
    pub filter: Filter,
}

impl Job {
    /// The key of this job's results in the shared store.
    pub fn key(&self) -> (String, Filter) {
        (self.image.clone(), self.filter)
    }

    /// The name of this job's output file.
    pub fn file_name(&self) -> String {
        format!("{}-{}.ppm", self.image, self.filter)
    }
}

/// One job per (image, filter) pair, images in the outer loop, as the tutorial's
/// `ImageBatchFlow.prep` builds its params.
pub fn jobs(images: &[String], filters: &[Filter]) -> Vec<Job> {
    images
        .iter()
        .flat_map(|image| {
            filters.iter().map(|&filter| Job {
                image: image.clone(),
                filter,
            })
        })
        .collect()
}

/// What `save` wrote for one job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub image: String,
    pub filter: Filter,
    pub width: usize,
    pub height: usize,
    /// [`fnv1a64`] of the PPM file's bytes.
    pub checksum: u64,
    pub path: PathBuf,
}

impl Output {
    /// The output of `job`: `image` written to `path`, whose bytes have this checksum.
    pub fn new(job: &Job, image: &Image, checksum: u64, path: PathBuf) -> Output {
        Output {
            image: job.image.clone(),
            filter: job.filter,
            width: image.width,
            height: image.height,
            checksum,
            path,
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<4} {:<9} {}x{} fnv1a64={:016x} {}",
            self.image,
            self.filter,
            self.width,
            self.height,
            self.checksum,
            self.path.display()
        )
    }
}

/// The shared store of both image examples.
pub struct Shared {
    /// Input: the images to process.
    pub images: Vec<String>,
    /// Input: the filters to apply to each image.
    pub filters: Vec<Filter>,
    /// Input: where `save` writes the PPM files.
    pub out_dir: PathBuf,
    /// Written by `load`: the source image of each name.
    pub sources: HashMap<String, Image>,
    /// Written by `filter`: the filtered image of each (image, filter).
    pub filtered: HashMap<(String, Filter), Image>,
    /// Written by `save`: the output of each (image, filter).
    pub saved: HashMap<(String, Filter), Output>,
    /// Written by the batch flow's `post`: the outputs in job order.
    pub outputs: Vec<Output>,
}

impl Shared {
    /// A store with these inputs and no results yet.
    pub fn new(images: &[&str], filters: &[Filter], out_dir: PathBuf) -> Shared {
        Shared {
            images: images.iter().map(|&image| image.to_owned()).collect(),
            filters: filters.to_vec(),
            out_dir,
            sources: HashMap::new(),
            filtered: HashMap::new(),
            saved: HashMap::new(),
            outputs: Vec::new(),
        }
    }

    /// The loaded source image of `job`: what `filter` works on.
    pub fn source_of(&self, job: &Job) -> Result<&Image, String> {
        self.sources
            .get(&job.image)
            .ok_or_else(|| format!("image `{}` was not loaded", job.image))
    }

    /// The filtered image of `job`: what `save` writes.
    pub fn filtered_of(&self, job: &Job) -> Result<&Image, String> {
        self.filtered
            .get(&job.key())
            .ok_or_else(|| format!("no {} image for `{}`", job.filter, job.image))
    }

    /// The jobs of this store's inputs.
    pub fn jobs(&self) -> Vec<Job> {
        jobs(&self.images, &self.filters)
    }

    /// Fills `outputs` with the saved output of each job, in job order: what a batch flow's
    /// `post` does once every run of its sub-flow has finished.
    pub fn collect_outputs(&mut self, jobs: &[Job]) -> Result<(), String> {
        self.outputs = jobs
            .iter()
            .map(|job| {
                self.saved
                    .get(&job.key())
                    .cloned()
                    .ok_or_else(|| format!("no output for {} with {}", job.image, job.filter))
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }
}

/// The checksum `save` should report for a job: the whole pipeline as plain function calls.
#[cfg(test)]
pub fn expected_checksum(job: &Job) -> u64 {
    let source = generate(&job.image, WIDTH, HEIGHT);
    fnv1a64(&encode_ppm(&job.filter.apply(&source)))
}

/// A fresh, empty directory for one test's output files.
#[cfg(test)]
pub fn test_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pocketflow-images-test-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x3 image with the grey levels `levels`, row by row.
    fn grey(levels: [u8; 9]) -> Image {
        Image::from_fn(3, 3, |x, y| [levels[y * 3 + x]; 3])
    }

    #[test]
    fn luma_of_known_pixels() {
        assert_eq!(luma([0, 0, 0]), 0);
        assert_eq!(luma([255, 255, 255]), 255);
        assert_eq!(luma([255, 0, 0]), 76); // 76.245
        assert_eq!(luma([0, 255, 0]), 150); // 149.685
        assert_eq!(luma([0, 0, 255]), 29); // 29.07
        assert_eq!(luma([100, 150, 200]), 141); // 29.9 + 88.05 + 22.8 = 140.75
        assert_eq!(luma([10, 20, 30]), 18); // 2.99 + 11.74 + 3.42 = 18.15
    }

    #[test]
    fn grayscale_sets_every_channel_to_the_luma() {
        let image = Image::from_fn(
            2,
            1,
            |x, _| if x == 0 { [255, 0, 0] } else { [100, 150, 200] },
        );
        assert_eq!(grayscale(&image).pixels, [[76; 3], [141; 3]]);
    }

    #[test]
    fn blur_of_a_known_3x3_buffer() {
        // Edges clamp: the top-left output averages rows (0, 0, 1) and columns (0, 0, 1), so
        // (4 * 0 + 2 * 9 + 2 * 27 + 36) / 9 = 12.
        let image = grey([0, 9, 18, 27, 36, 45, 54, 63, 72]);
        assert_eq!(box_blur(&image), grey([12, 18, 24, 30, 36, 42, 48, 54, 60]));
    }

    #[test]
    fn blur_rounds_to_nearest_per_channel() {
        // Only the centre is lit, and every output pixel sees it exactly once: 5 / 9 = 0.56
        // rounds to 1, 4 / 9 = 0.44 to 0, 9 / 9 to 1.
        let image = Image::from_fn(
            3,
            3,
            |x, y| if (x, y) == (1, 1) { [5, 4, 9] } else { [0; 3] },
        );
        assert_eq!(box_blur(&image).pixels, [[1, 0, 1]; 9]);
    }

    #[test]
    fn blur_of_one_pixel_is_that_pixel() {
        let image = Image::from_fn(1, 1, |_, _| [7, 8, 9]);
        assert_eq!(box_blur(&image), image);
    }

    #[test]
    fn generated_images_are_deterministic_and_differ_by_name() {
        let cat = generate("cat", WIDTH, HEIGHT);
        assert_eq!((cat.width, cat.height, cat.pixels.len()), (64, 48, 64 * 48));
        assert_eq!(cat, generate("cat", WIDTH, HEIGHT));
        assert_ne!(cat, generate("dog", WIDTH, HEIGHT));
        // Green ramps from 0 at the top to 255 at the bottom.
        assert_eq!(cat.pixel(5, 0)[1], 0);
        assert_eq!(cat.pixel(5, HEIGHT - 1)[1], 255);
    }

    #[test]
    fn ppm_layout() {
        let image = Image::from_fn(2, 1, |x, _| [x as u8, 10, 20]);
        assert_eq!(
            encode_ppm(&image),
            b"P6\n2 1\n255\n\x00\x0a\x14\x01\x0a\x14"
        );
    }

    #[test]
    fn fnv1a64_known_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn jobs_are_images_times_filters() {
        let jobs = jobs(
            &["cat".into(), "dog".into()],
            &[Filter::Grayscale, Filter::Blur],
        );
        let names: Vec<_> = jobs.iter().map(Job::file_name).collect();
        assert_eq!(
            names,
            [
                "cat-grayscale.ppm",
                "cat-blur.ppm",
                "dog-grayscale.ppm",
                "dog-blur.ppm"
            ]
        );
    }
}
