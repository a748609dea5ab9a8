//! The JSON files that move between the node and the signing side.

use super::{RequestSet, SignedSet};
use crate::error::{Error, ErrorKind, Result};

pub(super) fn requests_to_json(_set: &RequestSet) -> String {
    String::new()
}

pub(super) fn requests_from_json(_text: &str) -> Result<RequestSet> {
    Err(Error::new(
        ErrorKind::InvalidArgument,
        "not implemented yet",
    ))
}

pub(super) fn signed_to_json(_set: &SignedSet) -> String {
    String::new()
}

pub(super) fn signed_parse(_text: &str) -> Result<SignedSet> {
    Err(Error::new(
        ErrorKind::InvalidArgument,
        "not implemented yet",
    ))
}
