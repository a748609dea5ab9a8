//! Step 3, on the node: checking the signed certificates and applying them as one transaction.

use std::path::Path;

use super::{InstallOptions, SignedSet};
use crate::error::{Error, ErrorKind, Result};
use crate::renew::RenewReport;

pub(super) fn install(
    root: &Path,
    _signed: &SignedSet,
    _options: &InstallOptions,
) -> Result<RenewReport> {
    Err(Error::new(
        ErrorKind::InvalidArgument,
        format!("install into {}: not implemented yet", root.display()),
    ))
}
