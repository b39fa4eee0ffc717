//! Placeholder: filled by the helper that owns this area.
