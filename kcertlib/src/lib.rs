//! kcertlib
