//! The proof's hash: BLAKE3 of the message padded to whole 64-byte blocks, its output cut to
//! the length its use needs.
//!
//! **Cut.** BLAKE3 is an extendable-output function whose shorter outputs are prefixes of its
//! longer ones, so a prefix of `8·n` bits is a hash with `4·n` bits of generic collision
//! resistance. Merkle commitments need exactly that property (breaking the binding of a
//! commitment is a collision search), and 100 bits of it match the 100-bit conjectured level
//! of the production parameter sets (`security`): 256-bit digests spent 7 bytes a digest on
//! 28 bits of margin that no other round of the protocol had, and most of a proof's bytes past
//! the opened values are digests (the Merkle paths of four commitments and of every FRI
//! layer). The Fiat–Shamir transcript keeps the full 32 bytes; its states never reach the
//! proof.
//!
//! **Padding.** `pad(m) = m ‖ 0x80 ‖ 0^k`, with the fewest `k` that make whole blocks. It is
//! injective, so a collision of the padded hash is a collision of BLAKE3. It is there for
//! speed: `p3-blake3` compresses whole blocks of equal-length messages 8 or 16 at a time
//! (SIMD across messages), but compresses a message's final partial block on its own. A
//! Merkle node (two 25-byte digests), a proof-of-work candidate (a 32-byte transcript state
//! and an 8-byte witness) and most opened rows end in a partial block.

use p3_blake3::Blake3;
use p3_symmetric::CryptographicHasher;
use std::cell::RefCell;

/// Bytes of a Merkle digest: 200 bits, 100 bits of collision resistance
/// ([`super::security::COLLISION_BITS`]).
pub const DIGEST_BYTES: usize = 25;

/// BLAKE3's block.
const BLOCK: usize = 64;

/// The padding: its first `k + 1` bytes follow a message.
const PAD: [u8; BLOCK] = {
    let mut pad = [0u8; BLOCK];
    pad[0] = 0x80;
    pad
};

/// Messages per batch of [`PaddedBlake3::hash_many`]: a multiple of every SIMD width `blake3`
/// compiles in (at most 16).
const BATCH: usize = 64;

thread_local! {
    /// The padded copies of one batch of messages, reused across calls on a thread.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn padded_len(len: usize) -> usize {
    (len + 1).div_ceil(BLOCK) * BLOCK
}

/// `BLAKE3(pad(m))` cut to its first `N ≤ 32` bytes (module docs).
#[derive(Copy, Clone, Debug, Default)]
pub struct PaddedBlake3<const N: usize>;

impl<const N: usize> PaddedBlake3<N> {
    const FITS: () = assert!(N <= 32, "BLAKE3's default output is 32 bytes");

    fn cut(full: &[u8; 32]) -> [u8; N] {
        let () = Self::FITS;
        std::array::from_fn(|i| full[i])
    }
}

impl<const N: usize> CryptographicHasher<u8, [u8; N]> for PaddedBlake3<N> {
    const LANES: usize = <Blake3 as CryptographicHasher<u8, [u8; 32]>>::LANES;

    fn hash_iter<I>(&self, input: I) -> [u8; N]
    where
        I: IntoIterator<Item = u8>,
    {
        let mut message: Vec<u8> = input.into_iter().collect();
        let len = message.len();
        message.extend_from_slice(&PAD[..padded_len(len) - len]);
        Self::cut(&Blake3.hash_slice(&message))
    }

    fn hash_iter_slices<'a, I>(&self, input: I) -> [u8; N]
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let slices: Vec<&[u8]> = input.into_iter().collect();
        let len: usize = slices.iter().map(|s| s.len()).sum();
        let pad = &PAD[..padded_len(len) - len];
        Self::cut(&Blake3.hash_iter_slices(slices.into_iter().chain(std::iter::once(pad))))
    }

    /// Pads a batch's messages into a scratch buffer, then `p3-blake3`'s batched path.
    fn hash_many(&self, input: &[u8], out: &mut [[u8; N]]) {
        if out.is_empty() {
            return;
        }
        assert!(
            input.len() % out.len() == 0,
            "input length ({}) must be a whole multiple of the digest count ({})",
            input.len(),
            out.len()
        );
        let len = input.len() / out.len();
        if len == 0 {
            out.fill(self.hash_iter(std::iter::empty()));
            return;
        }
        let plen = padded_len(len);
        let mut full = [[0u8; 32]; BATCH];
        SCRATCH.with_borrow_mut(|scratch| {
            scratch.resize(plen * BATCH.min(out.len()), 0);
            for (digests, messages) in out.chunks_mut(BATCH).zip(input.chunks(BATCH * len)) {
                let padded = &mut scratch[..plen * digests.len()];
                for (dst, src) in padded
                    .chunks_exact_mut(plen)
                    .zip(messages.chunks_exact(len))
                {
                    dst[..len].copy_from_slice(src);
                    dst[len..].copy_from_slice(&PAD[..plen - len]);
                }
                let full = &mut full[..digests.len()];
                Blake3.hash_many(padded, full);
                for (digest, f) in digests.iter_mut().zip(full.iter()) {
                    *digest = Self::cut(f);
                }
            }
        });
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `blake3::hash` of the padded message, cut to `N` bytes: the reference the hashes of
    /// this module and of `config` are tested against.
    pub(in crate::config) fn reference<const N: usize>(message: &[u8]) -> [u8; N] {
        let mut padded = message.to_vec();
        padded.push(0x80);
        while padded.len() % BLOCK != 0 {
            padded.push(0);
        }
        let full = blake3::hash(&padded);
        full.as_bytes()[..N].try_into().unwrap()
    }

    fn check<const N: usize>() {
        for len in [0usize, 1, 40, 50, 63, 64, 65, 1000, 1023, 1100] {
            for count in [1usize, 3, 16, 63, 64, 65, 130] {
                let messages: Vec<u8> = (0..len * count)
                    .map(|i| (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes()[7])
                    .collect();
                let mut batched = vec![[0u8; N]; count];
                PaddedBlake3::<N>.hash_many(&messages, &mut batched);
                for (k, got) in batched.iter().enumerate() {
                    let message = &messages[k * len..(k + 1) * len];
                    let expected = reference::<N>(message);
                    assert_eq!(
                        *got, expected,
                        "N {N}, len {len}, count {count}, message {k}"
                    );
                    assert_eq!(PaddedBlake3::<N>.hash_slice(message), expected);
                    let halves = message.split_at(len / 3);
                    assert_eq!(
                        PaddedBlake3::<N>.hash_iter_slices([halves.0, halves.1]),
                        expected
                    );
                    assert_eq!(
                        PaddedBlake3::<N>.hash_iter(message.iter().copied()),
                        expected
                    );
                }
            }
        }
    }

    /// Every digest, one at a time, from slices or batched (at lengths around BLAKE3's block
    /// and chunk sizes, batch counts around [`BATCH`]), is the prefix of `blake3::hash` of the
    /// padded message: the Merkle digests' 25 bytes and the transcript's 32.
    #[test]
    fn digests_are_prefixes_of_blake3_of_the_padded_message() {
        check::<DIGEST_BYTES>();
        check::<32>();
    }

    /// The padding is injective: a message and the same message followed by the first padding
    /// bytes hash apart.
    #[test]
    fn padding_does_not_collide_with_a_longer_message() {
        let m = [7u8; 40];
        let mut longer = m.to_vec();
        longer.push(0x80);
        assert_ne!(
            PaddedBlake3::<DIGEST_BYTES>.hash_slice(&m),
            PaddedBlake3::<DIGEST_BYTES>.hash_slice(&longer)
        );
    }
}
