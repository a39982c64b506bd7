//! Seeded randomness for factoring (evaluation points, splitting polynomials).

pub use resvm_field::SplitMix64;
