//! Binding crate (see issue 6).
