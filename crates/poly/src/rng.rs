//! A tiny deterministic PRNG (splitmix64): seeded randomness without pulling `rand`.

use crate::F;
use p3_field::PrimeCharacteristicRing;

/// splitmix64 (Steele, Lea & Flood 2014): fast, good enough for choosing evaluation points.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A field element, (almost) uniformly distributed.
    pub fn next_f(&mut self) -> F {
        F::from_u64(self.next_u64())
    }
}
