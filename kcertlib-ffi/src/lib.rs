//! C ABI for kcertlib.
