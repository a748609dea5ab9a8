//! `kcert completions SHELL` and `kcert man`: generated from the same clap definition that
//! parses the arguments, so they cannot drift from the real options.

use clap::Args;
use clap_complete::Shell;

use crate::exit::{EXIT_OK, Failure, emit};

/// `kcert completions` options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

/// Prints the completion script (e.g. `kcert completions bash > /etc/bash_completion.d/kcert`).
pub fn completions(args: &CompletionsArgs) -> Result<i32, Failure> {
    let mut command = crate::cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kcert", &mut out);
    emit(&String::from_utf8_lossy(&out));
    Ok(EXIT_OK)
}

/// Prints the manual page as roff (`kcert man > kcert.1`, or `kcert man | man -l -`).
pub fn man() -> Result<i32, Failure> {
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::cli::command())
        .render(&mut out)
        .map_err(|e| Failure::error(format!("cannot render the manual page: {e}")))?;
    emit(&String::from_utf8_lossy(&out));
    Ok(EXIT_OK)
}
