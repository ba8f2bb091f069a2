// A batch node over any `IntoIterator`, with items taken by reference or by value.
use pocketflow::prelude::*;

struct Squares;
#[batch_node(max_retries = 3)]
impl Squares {
    fn prep(&self, n: &u64) -> std::ops::Range<u64> {
        0..*n
    }
    async fn exec(&self, x: u64) -> Result<u64, String> {
        Ok(x * x)
    }
    fn post(&self, n: &mut u64, _items: Vec<u64>, squares: Vec<u64>) {
        *n = squares.iter().sum();
    }
}

fn main() {
    let mut n = 4;
    Squares.run_blocking(&mut n).unwrap();
    assert_eq!(n, 14);
}
