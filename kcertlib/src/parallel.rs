//! Spreading independent work over threads, in one place.
//!
//! Three kinds of bulk work run here: checking inventory entries (parse, key match, signature
//! verification), signing renewed leaves (RSA signing dominates a 3,000-certificate renewal),
//! and writing staged files and backups (dominated by fsync latency, which concurrent fsyncs
//! share through the filesystem journal). Results always come back in input order, and the
//! first error in input order wins, so parallel runs report exactly what sequential runs report.
//!
//! Work is handed out in small blocks from a shared counter rather than one contiguous chunk per
//! thread: a block of CA-signed RSA leaves next to a block of ECDSA ones would otherwise leave one
//! core idle while the other finishes.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Result;

/// How many threads a bulk operation may use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Threads {
    /// One per core the process may run on (`std::thread::available_parallelism`).
    #[default]
    AllCores,
    /// Exactly this many (1 runs everything on the calling thread).
    Exactly(NonZeroUsize),
}

impl Threads {
    /// The calling thread only.
    pub const ONE: Threads = Threads::Exactly(NonZeroUsize::MIN);

    /// `Exactly(n)`, or `AllCores` when `n` is 0 (the convention of the C and Python options).
    pub fn from_count(n: usize) -> Threads {
        NonZeroUsize::new(n).map_or(Threads::AllCores, Threads::Exactly)
    }

    /// The number of threads this stands for on this machine (at least 1).
    pub fn count(self) -> usize {
        match self {
            Threads::AllCores => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            Threads::Exactly(n) => n.get(),
        }
    }
}

/// How work is cut: below `min_per_thread` items per thread, threads cost more than they save.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spread {
    /// The thread budget.
    pub threads: Threads,
    /// The fewest items worth a thread of their own.
    pub min_per_thread: usize,
}

impl Spread {
    /// CPU-bound work of about a signature or a parse per item.
    pub(crate) fn cpu(threads: Threads) -> Spread {
        Spread {
            threads,
            min_per_thread: 2,
        }
    }

    fn workers(self, items: usize) -> usize {
        self.threads
            .count()
            .min(items / self.min_per_thread.max(1))
            .max(1)
    }
}

/// `items.iter().map(f).collect()`, spread over threads, in input order.
///
/// A panic in `f` is a bug; it reaches the caller as the same panic.
pub(crate) fn map<T: Sync, R: Send>(
    spread: Spread,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let workers = spread.workers(items.len());
    if workers == 1 {
        return items.iter().map(f).collect();
    }
    // Eight blocks per worker balance uneven items without contending on the counter.
    let block = items.len().div_ceil(workers * 8).max(1);
    let blocks = items.len().div_ceil(block);
    let next = AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let mut done: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= blocks {
                            break mine;
                        }
                        let start = index * block;
                        let end = (start + block).min(items.len());
                        mine.push((index, items[start..end].iter().map(f).collect()));
                    }
                })
            })
            .collect();
        let mut all = Vec::with_capacity(blocks);
        for handle in handles {
            match handle.join() {
                Ok(part) => all.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().flat_map(|(_, part)| part).collect()
}

/// `items.iter().map(f).collect::<Result<Vec<_>>>()`, spread over threads: the first error in
/// input order, as a sequential run would report it.
///
/// # Errors
/// The first error `f` returned, in input order.
pub(crate) fn try_map<T: Sync, R: Send>(
    spread: Spread,
    items: &[T],
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    map(spread, items, f).into_iter().collect()
}

/// `items.iter().try_for_each(f)`, spread over threads; every item is attempted.
///
/// # Errors
/// The first error `f` returned, in input order.
pub(crate) fn try_for_each<T: Sync>(
    spread: Spread,
    items: &[T],
    f: impl Fn(&T) -> Result<()> + Sync,
) -> Result<()> {
    map(spread, items, f).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};

    fn spreads() -> Vec<Spread> {
        [1usize, 2, 3, 8]
            .into_iter()
            .map(|n| Spread {
                threads: Threads::from_count(n),
                min_per_thread: 1,
            })
            .collect()
    }

    #[test]
    fn keeps_order_on_any_size_and_thread_count() {
        for spread in spreads() {
            for n in [0usize, 1, 2, 7, 64, 1000] {
                let items: Vec<usize> = (0..n).collect();
                let doubled = map(spread, &items, |i| i * 2);
                assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn reports_the_first_error_in_input_order() {
        for spread in spreads() {
            let items: Vec<usize> = (0..500).collect();
            let err = try_map(spread, &items, |&i| {
                if i % 97 == 13 {
                    Err(Error::new(ErrorKind::Io, format!("item {i}")))
                } else {
                    Ok(i)
                }
            })
            .expect_err("items fail");
            assert_eq!(
                err.to_string(),
                Error::new(ErrorKind::Io, "item 13").to_string()
            );
        }
    }

    #[test]
    fn runs_on_several_threads_when_asked() {
        let spread = Spread {
            threads: Threads::from_count(4),
            min_per_thread: 1,
        };
        let items: Vec<usize> = (0..64).collect();
        let ids = map(spread, &items, |_| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            std::thread::current().id()
        });
        let distinct: std::collections::HashSet<_> = ids.into_iter().collect();
        assert!(distinct.len() > 1, "all items ran on one thread");
        let one = map(Spread::cpu(Threads::ONE), &items, |_| {
            std::thread::current().id()
        });
        assert!(one.iter().all(|id| *id == std::thread::current().id()));
    }

    #[test]
    fn counts() {
        assert_eq!(Threads::from_count(3).count(), 3);
        assert_eq!(Threads::ONE.count(), 1);
        assert!(Threads::from_count(0).count() >= 1);
        assert_eq!(Threads::from_count(0), Threads::AllCores);
    }
}
