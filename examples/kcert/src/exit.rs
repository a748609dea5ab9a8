//! Exit codes of the `kcert` command (`cli::EXIT_CODES`, the README), and output that never
//! panics: 0 all good; 1 something needs a person (`attention`); 2 an error (nothing found,
//! bad input, a failed renewal, restored); 64 a usage error.

use std::sync::atomic::{AtomicBool, Ordering};

pub const EXIT_OK: i32 = 0;
pub const EXIT_ATTENTION: i32 = 1;
pub const EXIT_ERROR: i32 = 2;
pub const EXIT_USAGE: i32 = 64;

/// Why a command stopped.
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    /// An error (exit 2) with this message.
    pub fn error(message: String) -> Failure {
        Failure {
            code: EXIT_ERROR,
            message,
        }
    }
}

impl From<kcertlib::Error> for Failure {
    fn from(e: kcertlib::Error) -> Failure {
        Failure {
            code: EXIT_ERROR,
            message: e.to_string(),
        }
    }
}

/// Set once stdout has failed: nothing more is written to it.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// Writes to stdout. A closed or broken stdout (`kcert inspect ... | head`) stops the output,
/// not the command, which still ends with the exit status it would have had; `print!` would
/// panic instead.
pub fn emit(text: &str) {
    use std::io::Write;
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        STDOUT_GONE.store(true, Ordering::Relaxed);
    }
}

/// Writes a message to stderr. A closed or broken stderr (`2>&-`, a pipe whose reader left) is
/// ignored: the exit status still tells what happened, and `eprint!` would panic instead.
pub fn warn(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}
