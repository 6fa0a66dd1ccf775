//! Tests of the stream engine as a whole: property tests over random
//! chains, error injection at every position, backpressure, and held-back
//! transform output.

mod backpressure;
mod duplex;
mod errors;
mod lifecycle;
mod node_patterns;
mod props;
mod stages;
