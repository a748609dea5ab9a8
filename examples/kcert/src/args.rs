//! A small argument reader: `--flag`, `--key value`, `--key=value` and positionals. The example
//! keeps its dependencies to the library's own, so no argument-parsing crate is pulled in.

use std::collections::VecDeque;

pub struct Args {
    rest: VecDeque<String>,
    positionals: Vec<String>,
}

impl Args {
    pub fn new(args: impl IntoIterator<Item = String>) -> Args {
        Args {
            rest: args.into_iter().collect(),
            positionals: Vec::new(),
        }
    }

    /// Consumes the arguments, handing each `--option` to `on_option`, which returns whether it
    /// takes a value; positionals are kept.
    pub fn parse(
        mut self,
        mut on_option: impl FnMut(&str, Option<String>) -> Result<(), String>,
        takes_value: impl Fn(&str) -> Option<bool>,
    ) -> Result<Vec<String>, String> {
        while let Some(arg) = self.rest.pop_front() {
            if arg == "--" {
                self.positionals.extend(self.rest.drain(..));
                break;
            }
            let Some(opt) = arg.strip_prefix("--") else {
                self.positionals.push(arg);
                continue;
            };
            let (name, inline) = match opt.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (opt.to_string(), None),
            };
            match takes_value(&name) {
                None => return Err(format!("unknown option --{name}")),
                Some(false) => {
                    if inline.is_some() {
                        return Err(format!("option --{name} takes no value"));
                    }
                    on_option(&name, None)?;
                }
                Some(true) => {
                    let value = match inline {
                        Some(v) => v,
                        None => self
                            .rest
                            .pop_front()
                            .ok_or_else(|| format!("option --{name} needs a value"))?,
                    };
                    on_option(&name, Some(value))?;
                }
            }
        }
        Ok(self.positionals)
    }
}

/// `--days N`: a lifetime of 1 to 365,000 days (1000 years, `kcertlib::time::MAX_DURATION`);
/// anything else is a usage error naming the value, never a wrapped-around lifetime.
pub fn days(value: &str) -> Result<std::time::Duration, String> {
    let days: u64 = value.trim().parse().map_err(|_| {
        format!("--days needs a whole number of days from 1 to 365000, not {value:?}")
    })?;
    kcertlib::time::days(days).map_err(|e| format!("--days {value}: {}", e.message()))
}

/// `--threads N`: N threads, 0 for one per core.
pub fn threads(value: &str) -> Result<kcertlib::Threads, String> {
    value
        .parse::<usize>()
        .map(kcertlib::Threads::from_count)
        .map_err(|_| format!("--threads needs a number (0 = one per core), not {value:?}"))
}

/// A command that takes no positional arguments refuses them: `kcert renew ./tree` must not
/// quietly renew `/` instead of the tree the user meant (`--root ./tree`).
pub fn no_positionals(command: &str, positionals: &[String]) -> Result<(), crate::exit::Failure> {
    match positionals.first() {
        None => Ok(()),
        Some(stray) => Err(crate::exit::Failure::usage(format!(
            "{command} takes no positional argument, got {stray:?} (did you mean --root {stray}?)"
        ))),
    }
}
