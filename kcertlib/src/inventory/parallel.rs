//! Spreading per-entry work over the machine's cores.
//!
//! A kubespray node with a thousand etcd hosts holds over 3,000 certificates, and checking one
//! means parsing its key and verifying an RSA signature: CPU work that is independent from
//! entry to entry. Scoped threads over contiguous chunks keep the result in input order.

use std::num::NonZeroUsize;

/// Below this many items per thread, threads cost more than they save.
const MIN_PER_THREAD: usize = 32;

/// `items.iter().map(f).collect()`, on up to as many threads as the machine has cores.
pub(super) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let threads = cores.min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for handle in handles {
            match handle.join() {
                Ok(part) => out.extend(part),
                // A panic in a worker is a bug; let it surface as the same panic here.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_on_any_size() {
        for n in [0usize, 1, 31, 64, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let doubled = super::map(&items, |i| i * 2);
            assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }
}
