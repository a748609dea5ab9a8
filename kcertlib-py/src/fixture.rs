//! `kcert._kcert._build_fixture`: the core's generated cluster trees, for tests and examples.

use std::path::PathBuf;

use kcertlib::fixture::{FixtureLayout, FixtureOptions, build};
use pyo3::prelude::*;

use crate::boundary::without_gil;
use crate::datetime::from_datetime;
use crate::errors::to_py_err;

/// Builds a `layout` node tree (`kubeadm`, `kubespray`, `rke1`, `rke2`, `k3s`) under `root`;
/// returns the build summary as JSON text. Private: a test helper, not part of the API.
#[pyfunction]
#[pyo3(signature = (root, layout, expired=true, *, node_name="node1", etcd_hosts=3, reuse_leaf_keys=false, now=None))]
// Each Python keyword argument is a parameter; a struct would only hide them from pyo3.
#[allow(clippy::too_many_arguments)]
pub(crate) fn _build_fixture(
    py: Python<'_>,
    root: PathBuf,
    layout: &str,
    expired: bool,
    node_name: &str,
    etcd_hosts: usize,
    reuse_leaf_keys: bool,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let layout = FixtureLayout::parse(layout).map_err(to_py_err)?;
    let mut options = FixtureOptions {
        expired,
        node_name: node_name.to_string(),
        etcd_hosts,
        reuse_leaf_keys,
        ..FixtureOptions::default()
    };
    if let Some(now) = now {
        options.now = from_datetime(now)?;
    }
    without_gil(py, move || build(&root, layout, &options)).map(|summary| summary.to_json())
}
