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

/// Runs `work` `reps` times (at least once) and returns the wall-clock seconds of each run and
/// the value of the last run. The CPU seconds of each run (user + system, whole process) are
/// kept for the next `Measured::print` (see `take_cpu_runs`).
///
/// # Errors
/// The first error `work` returns.
pub fn time_runs<T>(
    reps: usize,
    mut work: impl FnMut() -> kcertlib::Result<T>,
) -> kcertlib::Result<(Vec<f64>, T)> {
    let mut runs = Vec::with_capacity(reps.max(1));
    let mut cpu = Vec::with_capacity(reps.max(1));
    let mut last = None;
    for _ in 0..reps.max(1) {
        let cpu_start = process_cpu_seconds();
        let start = Instant::now();
        let value = work()?;
        runs.push(start.elapsed().as_secs_f64());
        cpu.push(process_cpu_seconds() - cpu_start);
        last = Some(value);
    }
    CPU_RUNS.with(|c| *c.borrow_mut() = cpu);
    match last {
        Some(value) => Ok((runs, value)),
        None => Err(kcertlib::Error::new(
            kcertlib::ErrorKind::InvalidArgument,
            "no repetition ran",
        )),
    }
}

thread_local! {
    static CPU_RUNS: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The CPU seconds of the runs of the last `time_runs` (empty once taken).
pub fn take_cpu_runs() -> Vec<f64> {
    CPU_RUNS.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

/// User + system CPU seconds of this process so far, all threads, in nanoseconds' resolution:
/// `CLOCK_PROCESS_CPUTIME_ID`, the clock of the C side and of Python's `time.process_time`
/// (0 when the clock cannot be read).
pub fn process_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if status != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
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
        let cpu = take_cpu_runs();
        let cpu_m = median(&cpu);
        let line = json!({
            "tool": "kcertlib-rust",
            "variant": self.variant,
            "workload": self.workload,
            "n": self.n,
            "runs_s": self.runs,
            "certs_per_s": rate,
            "cpu_s": cpu,
            "certs_per_cpu_s": if cpu_m > 0.0 { self.n as f64 / cpu_m } else { 0.0 },
            "checksum": self.checksum,
            "extra": self.extra,
        });
        println!("{line}");
    }
}
