//! Exit codes of the `kcert` command (documented in the README):
//! 0 all good; 1 something is expired or not yet valid (`check`, `inspect`) or a renewal left
//! entries unrenewed; 2 an error (bad input, failed renewal, restored); 64 usage error.

pub const EXIT_OK: i32 = 0;
pub const EXIT_EXPIRED: i32 = 1;
pub const EXIT_ERROR: i32 = 2;
pub const EXIT_USAGE: i32 = 64;

/// Why a command stopped.
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn usage(message: String) -> Failure {
        Failure {
            code: EXIT_USAGE,
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

/// Writes to stdout; a closed pipe (`kcert inspect ... | head`) ends the program quietly
/// instead of panicking.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        std::process::exit(EXIT_OK);
    }
}
