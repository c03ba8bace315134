//! The local prediction server (being written).
