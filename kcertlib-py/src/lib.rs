//! Python bindings for kcertlib.
