//! Progress on stderr for work a person waits on: only when stderr is a terminal, only once
//! the work has taken a second (a fast run prints nothing extra), never with `--quiet`. The
//! core offers no progress callbacks, so `spin` shows that a scan or renewal is alive (with
//! its elapsed time); `Counter` counts what the command itself loops over.

use std::io::IsTerminal;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long work runs before a bar appears.
const DELAY: Duration = Duration::from_secs(1);

/// Whether a bar may be drawn at all.
fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// Runs `work`; when it takes longer than a second, a spinner with `message` and the elapsed
/// time turns on stderr until it ends, then is cleared.
pub fn spin<T>(quiet: bool, message: &str, work: impl FnOnce() -> T) -> T {
    if !wanted(quiet) {
        return work();
    }
    let (done, finished) = mpsc::channel::<()>();
    let message = message.to_string();
    let spinner = std::thread::spawn(move || {
        if finished.recv_timeout(DELAY) != Err(RecvTimeoutError::Timeout) {
            return;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message);
        while finished.recv_timeout(Duration::from_millis(100)) == Err(RecvTimeoutError::Timeout) {
            bar.tick();
        }
        bar.finish_and_clear();
    });
    let result = work();
    drop(done);
    // The spinner thread only draws; if it panicked, the work's result still stands.
    let _ = spinner.join();
    result
}

/// A bar counting items (files read), drawn once the count has taken a second.
pub struct Counter {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: bool,
}

impl Counter {
    /// A counter of `total` items, labelled `what` ("files").
    pub fn new(quiet: bool, total: u64, what: &str) -> Counter {
        let bar = wanted(quiet).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
                bar.set_style(style);
            }
            bar.set_message(what.to_string());
            bar
        });
        Counter {
            bar,
            started: Instant::now(),
            shown: false,
        }
    }

    /// One more item done.
    pub fn inc(&mut self) {
        let Some(bar) = &self.bar else { return };
        if !self.shown && self.started.elapsed() >= DELAY {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        bar.inc(1);
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
