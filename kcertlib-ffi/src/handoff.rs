//! Renewing a node that does not hold its CA key, in three steps over JSON text
//! (`kcertlib::handoff`): `kcert_export_requests` on the node, `kcert_sign_requests` where the
//! CA key is, `kcert_install_signed` on the node again. Only certificates move between the
//! machines; each step has its options handle.

pub mod export;
pub mod install;
pub mod sign;
