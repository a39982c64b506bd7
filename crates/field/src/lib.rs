//! Field and hash: the `F` and `H` of the abstract VM.
//!
//! * [`F`] is the Goldilocks prime field, p = 2^64 − 2^32 + 1 (Plonky3's implementation).
//!   Both the program field P and the field F of the spec are this field; `lt` compares
//!   canonical representatives in [0, p).
//! * [`hash`] is H: a Poseidon2 sponge over Goldilocks (width 12, rate 8, capacity 4) whose
//!   output is a 4-element (256-bit) [`Digest`].

use p3_field::{PrimeCharacteristicRing, PrimeField64};
use p3_symmetric::Permutation;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

pub use p3_field::Field;
pub use p3_goldilocks::Goldilocks as F;

/// The Goldilocks modulus p = 2^64 − 2^32 + 1.
pub const P: u64 = 0xFFFF_FFFF_0000_0001;

/// Width of the Poseidon2 permutation used by [`hash`].
pub const WIDTH: usize = 12;
/// Number of state elements absorbed per permutation.
pub const RATE: usize = 8;
/// Number of field elements in a [`Digest`].
pub const DIGEST_LEN: usize = 4;

/// The Poseidon2 permutation H is built on (Plonky3's default Goldilocks width-12 instance).
pub type Perm = p3_goldilocks::Poseidon2Goldilocks<WIDTH>;

/// The shared permutation instance (round constants are built once).
pub fn permutation() -> &'static Perm {
    static PERM: OnceLock<Perm> = OnceLock::new();
    PERM.get_or_init(p3_goldilocks::default_goldilocks_poseidon2_12)
}

/// Applies the Poseidon2 permutation in place.
pub fn permute(state: &mut [F; WIDTH]) {
    permutation().permute_mut(state);
}

/// Builds a field element from a canonical value; `None` when `v >= p`.
pub fn from_canonical(v: u64) -> Option<F> {
    (v < P).then(|| F::new(v))
}

/// Reduces any `u64` into the field.
pub fn from_u64(v: u64) -> F {
    F::from_u64(v)
}

/// The canonical representative of `x` in [0, p).
#[inline(always)]
pub fn canonical(x: F) -> u64 {
    x.as_canonical_u64()
}

/// The spec's `lt`: 0 if a < b as canonical integers, else 1.
#[inline(always)]
pub fn lt(a: F, b: F) -> F {
    if canonical(a) < canonical(b) {
        F::ZERO
    } else {
        F::ONE
    }
}

/// Raises `x` to a literal power by square-and-multiply.
#[inline]
pub fn pow(x: F, k: u64) -> F {
    x.exp_u64(k)
}

/// A 256-bit Poseidon2 digest: four Goldilocks elements.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Digest(pub [u64; DIGEST_LEN]);

impl Digest {
    /// The digest's elements as field elements.
    pub fn elements(&self) -> [F; DIGEST_LEN] {
        self.0.map(F::new)
    }

    /// Builds a digest from field elements.
    pub fn from_elements(e: [F; DIGEST_LEN]) -> Self {
        Digest(e.map(canonical))
    }

    /// Lower-case hex of the 32 little-endian bytes.
    pub fn to_hex(&self) -> String {
        self.0
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Parses the form written by [`Digest::to_hex`].
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u64; DIGEST_LEN];
        for (i, w) in out.iter_mut().enumerate() {
            let mut bytes = [0u8; 8];
            for (j, b) in bytes.iter_mut().enumerate() {
                let k = 2 * (8 * i + j);
                *b = u8::from_str_radix(&s[k..k + 2], 16).ok()?;
            }
            *w = u64::from_le_bytes(bytes);
            if *w >= P {
                return None;
            }
        }
        Some(Digest(out))
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// H: hashes a sequence of field elements to a [`Digest`].
///
/// Sponge construction: the state starts as zero with the input length in the first capacity
/// element (index 8), which separates inputs of different lengths without padding rules;
/// each block of [`RATE`] elements overwrites the rate part (zero-filled for the last partial
/// block) and is followed by one permutation; the digest is the first four elements.
/// An empty input is one permutation of the length-only state. The same schedule is
/// what an AIR hash table constrains row by row.
pub fn hash(input: &[F]) -> Digest {
    let mut state = [F::ZERO; WIDTH];
    state[RATE] = F::from_u64(input.len() as u64);
    if input.is_empty() {
        permute(&mut state);
    }
    for chunk in input.chunks(RATE) {
        for (i, lane) in state[..RATE].iter_mut().enumerate() {
            *lane = chunk.get(i).copied().unwrap_or(F::ZERO);
        }
        permute(&mut state);
    }
    Digest::from_elements([state[0], state[1], state[2], state[3]])
}

/// Two-to-one compression for Merkle trees: `hash` of the eight elements of `a ‖ b`.
pub fn merge(a: &Digest, b: &Digest) -> Digest {
    let mut input = [F::ZERO; 2 * DIGEST_LEN];
    input[..DIGEST_LEN].copy_from_slice(&a.elements());
    input[DIGEST_LEN..].copy_from_slice(&b.elements());
    hash(&input)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer test for the permutation parameters (the Goldilocks width-12 instance
    /// with the HorizenLabs round constants that Plonky3 ships as its default).
    #[test]
    fn poseidon2_width12_known_answer() {
        let mut state: [F; 12] = core::array::from_fn(|i| F::new(i as u64));
        permute(&mut state);
        let expected: [u64; 12] = [
            0xf292ab67c0f14b03,
            0x0a32f1b37656544c,
            0x053c61ab895498de,
            0x02ff92e55b196ffb,
            0x58176e8f6f58cab2,
            0xb0aa1206e7aec0f8,
            0xe90c13f3dce83ca4,
            0xf4da15333edf39c2,
            0x23b701c053c2ca6c,
            0xd233d593dcdfbf58,
            0x4effa5f9516fb52e,
            0x0aaf4489f1f40166,
        ];
        assert_eq!(state.map(canonical), expected);
    }

    #[test]
    fn hash_separates_lengths_and_content() {
        let a = hash(&[]);
        let b = hash(&[F::ZERO]);
        let c = hash(&[F::ZERO, F::ZERO]);
        let d = hash(&[F::ONE]);
        assert_ne!(a, b);
        assert_ne!(b, c);
        assert_ne!(b, d);
        assert_eq!(hash(&[F::ONE]), d);
    }

    #[test]
    fn lt_uses_canonical_order() {
        let minus_one = F::ZERO - F::ONE;
        assert_eq!(lt(F::ONE, minus_one), F::ZERO);
        assert_eq!(lt(minus_one, F::ONE), F::ONE);
        assert_eq!(lt(F::ONE, F::ONE), F::ONE);
    }

    #[test]
    fn digest_hex_roundtrip() {
        let d = hash(&[F::new(7), F::new(9)]);
        assert_eq!(Digest::from_hex(&d.to_hex()), Some(d));
        assert_eq!(Digest::from_hex("zz"), None);
    }

    #[test]
    fn canonical_parse_rejects_out_of_range() {
        assert!(from_canonical(P).is_none());
        assert_eq!(from_canonical(P - 1).map(canonical), Some(P - 1));
    }
}

/// A tiny deterministic generator (splitmix64, Steele, Lea & Flood 2014) for reproducible
/// randomness: factoring's evaluation points and the test-program generators. Not for
/// anything secret (proofs draw their randomness from the OS).
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

    /// A number in `[0, n)` (`0` when `n = 0`); the modulo bias is irrelevant here.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A field element, (almost) uniformly distributed.
    pub fn next_f(&mut self) -> F {
        F::from_u64(self.next_u64())
    }
}
