//! Timing and the result lines every tool of the suite prints.
//!
//! A result is one JSON object on one line of stdout:
//! `{"tool", "variant", "workload", "n", "runs_s", "certs_per_s", "checksum", "extra"}`, where
//! `certs_per_s` is `n` divided by the median of `runs_s`. `report.py` reads these lines.

use std::time::Instant;

use serde_json::{Value, json};

/// The median of `values` (the mean of the middle two for an even count; 0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Runs `work` `reps` times (at least once) and returns the seconds of each run and the value
/// of the last run.
///
/// # Errors
/// The first error `work` returns.
pub fn time_runs<T>(
    reps: usize,
    mut work: impl FnMut() -> kcertlib::Result<T>,
) -> kcertlib::Result<(Vec<f64>, T)> {
    let mut runs = Vec::with_capacity(reps.max(1));
    let mut last = None;
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let value = work()?;
        runs.push(start.elapsed().as_secs_f64());
        last = Some(value);
    }
    match last {
        Some(value) => Ok((runs, value)),
        None => Err(kcertlib::Error::new(
            kcertlib::ErrorKind::InvalidArgument,
            "no repetition ran",
        )),
    }
}

/// One measured result, printed as a JSON line.
pub struct Measured<'a> {
    /// The workload (`W1` ... `W6`).
    pub workload: &'a str,
    /// Which kcertlib path (`Certificate`, `view`, `rustcrypto`, ...).
    pub variant: &'a str,
    /// Certificates handled per run.
    pub n: usize,
    /// Seconds of each run.
    pub runs: &'a [f64],
    /// What the run read, for the cross-check.
    pub checksum: Value,
    /// Anything else worth reporting (peak RSS, threads, ...).
    pub extra: Value,
}

impl Measured<'_> {
    /// Prints the result line on stdout.
    pub fn print(&self) {
        let m = median(self.runs);
        let rate = if m > 0.0 { self.n as f64 / m } else { 0.0 };
        let line = json!({
            "tool": "kcertlib-rust",
            "variant": self.variant,
            "workload": self.workload,
            "n": self.n,
            "runs_s": self.runs,
            "certs_per_s": rate,
            "checksum": self.checksum,
            "extra": self.extra,
        });
        println!("{line}");
    }
}
