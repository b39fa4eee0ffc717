//! Regression tests for issue 8 (see the module doc once filled in).
