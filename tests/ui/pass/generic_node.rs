// A node generic over its item type, with a where clause, used on two shared types.
use pocketflow::prelude::*;

struct Collect<T> {
    take: usize,
    _items: std::marker::PhantomData<T>,
}

#[node]
impl<T> Collect<T>
where
    T: Clone + Send + Sync + 'static,
{
    fn prep(&self, items: &Vec<T>) -> Vec<T> {
        items.iter().take(self.take).cloned().collect()
    }
    async fn exec(&self, taken: Vec<T>) -> usize {
        taken.len()
    }
    fn post(&self, items: &mut Vec<T>, _taken: Vec<T>, count: usize) -> String {
        items.truncate(count);
        format!("kept {count}")
    }
}

fn main() {
    let numbers = Collect::<u32> { take: 2, _items: std::marker::PhantomData };
    let mut shared = vec![1, 2, 3];
    assert_eq!(numbers.run_blocking(&mut shared).unwrap(), "kept 2");
    assert_eq!(shared, [1, 2]);

    let words = Collect::<String> { take: 1, _items: std::marker::PhantomData };
    let flow = flow! { words - "kept 1" >> words };
    let mut shared = vec!["a".to_string(), "b".to_string()];
    assert_eq!(flow.with_max_steps(3).run_blocking(&mut shared).unwrap_err().kind(), pocketflow::ErrorKind::MaxSteps);
}
