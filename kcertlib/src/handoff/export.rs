//! Step 1, on the node: the requests for what cannot be signed here.

use std::path::Path;

use super::{ExportOptions, RequestSet};
use crate::error::{Error, ErrorKind, Result};

pub(super) fn export(root: &Path, _options: &ExportOptions) -> Result<RequestSet> {
    Err(Error::new(
        ErrorKind::InvalidArgument,
        format!("export of {}: not implemented yet", root.display()),
    ))
}
