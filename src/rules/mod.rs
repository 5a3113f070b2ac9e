//! The pure zoning rule engine (being written).
