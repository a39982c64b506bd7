//! The STARK configuration: Goldilocks, its quadratic extension, BLAKE3 Merkle trees with
//! salted (hiding) leaves, a BLAKE3 Fiat–Shamir transcript, hiding FRI, and the named
//! security parameter sets (`docs/proof-system.md`), and in [`security`] their conjectured
//! level under Plonky3 0.8's own model (`p3-security`).

pub mod digest;
pub mod hiding;
mod salted_mmcs;
pub mod security;

use crate::air::Val;
use digest::{PaddedBlake3, DIGEST_BYTES};
use p3_challenger::{HashChallenger, SerializingChallenger64};
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DFTSmallBatch;
use p3_field::extension::BinomialExtensionField;
use p3_fri::FriParameters;
use p3_symmetric::{CompressionFunctionFromHasher, SerializingHasher};
use p3_uni_stark::StarkConfig;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// Challenges live in the degree-2 extension (≈ 2^128 elements).
pub type Challenge = BinomialExtensionField<Val, 2>;
/// Merkle leaves: the padded, cut BLAKE3 ([`digest`]) of the rows of every matrix of one
/// height, one after another, as canonical 8-byte little-endian words, with one salt among
/// them (`salted_mmcs`); 200-bit digests. The prover hashes up to 16 rows per SIMD call
/// (`blake3`'s AVX-512 code, picked at run time); the verifier hashes one row of each opened
/// height per query, and BLAKE3 does that several times faster than a one-state Keccak-f
/// sponge (`docs/benchmarks.md`, "BLAKE3 commitments").
type FieldHash = SerializingHasher<MerkleHash>;
/// The Merkle hash on bytes: padded BLAKE3 cut to [`DIGEST_BYTES`].
type MerkleHash = PaddedBlake3<DIGEST_BYTES>;
/// Merkle nodes: the same hash of the two children's digests (50 bytes, padded to one block).
type Compress = CompressionFunctionFromHasher<MerkleHash, 2, DIGEST_BYTES>;
/// Salt elements per Merkle leaf: 2 uniform Goldilocks elements, ≈ 128 bits of entropy (the
/// same entropy as Plonky3's 4-element BabyBear salts), so a leaf digest hides its row.
const SALT: usize = 2;
type ValMmcs = salted_mmcs::LeafSaltedMmcs;
type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
/// Fiat–Shamir over the padded BLAKE3 with full 32-byte states ([`digest`]), serializing field
/// elements canonically. The padding makes each proof-of-work candidate (a 32-byte state and
/// an 8-byte witness) one whole block, which `p3-blake3` hashes 8 or 16 at a time.
type TranscriptHash = PaddedBlake3<32>;
type Challenger = SerializingChallenger64<Val, HashChallenger<u8, TranscriptHash, 32>>;
/// Plonky3's DFT for narrow matrices (it parallelizes over butterfly groups, not rows): our
/// committed matrices are 4–47 columns wide; measured ~7 % less prover CPU than
/// `Radix2DitParallel` at 2^16 cycles.
type Dft = Radix2DFTSmallBatch<Val>;
/// The PCS of every resvm proof: FRI with hiding of our own ([`hiding`]): random rows and
/// masked quotient chunks as Plonky3's `HidingFriPcs`, no random codeword columns, the
/// randomization polynomials committed in the main-trace tree and masking the FRI batch.
type Pcs = hiding::HidingPcs;
/// The STARK configuration type of every resvm proof.
pub type VmConfig = StarkConfig<Pcs, Challenge, Challenger>;

/// A named parameter set; recorded in every proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SecurityLevel {
    /// ≥ 100 bits conjectured on every proof the verifier accepts, under Plonky3 0.8's
    /// `p3-security` model ([`security::worst_case_report`]: 100.0 bits, bound by the
    /// 200-bit Merkle digests' collision resistance, the FRI query phase at 100.5;
    /// `docs/proof-system.md`): blowup 4, 40 queries, 22-bit query PoW and grinding before
    /// every other challenge, folding arity up to 16.
    Standard,
    /// A handful of queries for fast tests: **not secure**; verifiers refuse it unless told
    /// to accept test proofs.
    Test,
    /// ≥ 100 bits conjectured (same model, 100.0 bits, the FRI query phase at 100.6) with
    /// smaller proofs: blowup 8 and 27
    /// queries with a 21-bit query PoW instead of blowup 4 and 40 (measured at 2^16 cycles:
    /// ~27 % smaller proofs, ~1.9× the proving time).
    Compact,
}

/// FRI and grinding parameters of a [`SecurityLevel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Params {
    /// log2 of the FRI blowup factor (rate ρ = 2^-log_blowup).
    pub log_blowup: usize,
    /// FRI queries.
    pub num_queries: usize,
    /// Proof-of-work bits before sampling the queries.
    pub query_pow_bits: usize,
    /// Proof-of-work bits before each FRI folding challenge.
    pub commit_pow_bits: usize,
    /// Proof-of-work bits before the LogUp challenges.
    pub lookup_pow_bits: usize,
    /// Proof-of-work bits before the out-of-domain point `ζ` (DEEP).
    pub ood_pow_bits: usize,
    /// Proof-of-work bits before the challenge that batches all openings into one FRI
    /// instance.
    pub batch_pow_bits: usize,
    /// log2 of the final polynomial length (standard and compact: 128 coefficients, 2 KB in
    /// the proof, where 8 coefficients took four more FRI folding rounds: each query then
    /// opened more sibling values and Merkle paths, ~1.7 % of the proof).
    pub log_final_poly_len: usize,
    /// log2 of the largest folding arity.
    pub max_log_arity: usize,
    /// Degree of the challenge field over Goldilocks.
    pub extension_degree: usize,
    /// Merkle cap height (the commitment holds `2^cap_height` digests; paths are that much
    /// shorter).
    pub cap_height: usize,
}

impl SecurityLevel {
    /// Its parameters.
    pub fn params(self) -> Params {
        match self {
            SecurityLevel::Standard => Params {
                log_blowup: 2,
                num_queries: 40,
                query_pow_bits: 22,
                commit_pow_bits: 6,
                lookup_pow_bits: 12,
                ood_pow_bits: 8,
                batch_pow_bits: 14,
                log_final_poly_len: 7,
                max_log_arity: 4,
                extension_degree: 2,
                cap_height: 0,
            },
            SecurityLevel::Compact => Params {
                log_blowup: 3,
                num_queries: 27,
                query_pow_bits: 21,
                commit_pow_bits: 7,
                lookup_pow_bits: 12,
                ood_pow_bits: 8,
                batch_pow_bits: 14,
                log_final_poly_len: 7,
                max_log_arity: 3,
                extension_degree: 2,
                cap_height: 0,
            },
            SecurityLevel::Test => Params {
                log_blowup: 2,
                num_queries: 4,
                query_pow_bits: 1,
                commit_pow_bits: 0,
                lookup_pow_bits: 0,
                ood_pow_bits: 0,
                batch_pow_bits: 0,
                log_final_poly_len: 0,
                max_log_arity: 1,
                extension_degree: 2,
                cap_height: 0,
            },
        }
    }

    /// Parses `standard` / `compact` / `test`.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "standard" | "100" => Some(SecurityLevel::Standard),
            "compact" => Some(SecurityLevel::Compact),
            "test" => Some(SecurityLevel::Test),
            _ => None,
        }
    }

    /// The name accepted by [`SecurityLevel::from_name`].
    pub fn name(self) -> &'static str {
        match self {
            SecurityLevel::Standard => "standard",
            SecurityLevel::Compact => "compact",
            SecurityLevel::Test => "test",
        }
    }
}

impl Params {
    /// Conjectured security in bits, rounded down, on the largest proof shape the verifier
    /// accepts: [`security::worst_case_report`]`.bits` (Plonky3 0.8's `p3-security` model,
    /// every round; `docs/proof-system.md`). A given proof may reach more:
    /// [`security::security_report`] on its own shape.
    pub fn conjectured_bits(&self) -> usize {
        security::params_report(self, security::ProofShape::worst_case())
            .bits
            .max(0.0)
            .floor() as usize
    }
}

/// Builds the configuration. `seed` seeds the hiding randomness (salts and random codewords);
/// the prover passes fresh OS randomness, the verifier any value (it draws none).
pub fn make_config(level: SecurityLevel, seed: [u8; 32]) -> VmConfig {
    let p = level.params();
    let mut master = StdRng::from_seed(seed);
    let val_mmcs = ValMmcs::new(p.cap_height, StdRng::from_rng(&mut master));
    let challenge_mmcs = ChallengeMmcs::new(val_mmcs.clone());
    let fri = FriParameters {
        log_blowup: p.log_blowup,
        log_final_poly_len: p.log_final_poly_len,
        max_log_arity: p.max_log_arity,
        num_queries: p.num_queries,
        batch_proof_of_work_bits: p.batch_pow_bits,
        commit_proof_of_work_bits: p.commit_pow_bits,
        query_proof_of_work_bits: p.query_pow_bits,
        mmcs: challenge_mmcs,
    };
    let fri = hiding::Fri::new(Dft::default(), val_mmcs, fri);
    let pcs = Pcs::new(
        fri,
        p.log_blowup,
        p.num_queries,
        StdRng::from_rng(&mut master),
    );
    StarkConfig::new(
        pcs,
        Challenger::from_hasher(vec![], TranscriptHash::default()),
    )
    .with_lookup_proof_of_work_bits(p.lookup_pow_bits)
    .with_ood_proof_of_work_bits(p.ood_pow_bits)
}

/// 32 bytes of OS randomness for the prover's hiding.
pub fn os_seed() -> [u8; 32] {
    use rand::TryRng;
    let mut seed = [0u8; 32];
    rand::rngs::SysRng
        .try_fill_bytes(&mut seed)
        .expect("the OS random number generator failed");
    seed
}

#[cfg(test)]
mod tests {
    use super::*;
    use digest::tests::reference as padded_blake3;
    use p3_field::PrimeCharacteristicRing;
    use p3_symmetric::{CryptographicHasher, PseudoCompressionFunction};

    fn bytes(row: &[Val]) -> Vec<u8> {
        use p3_field::PrimeField64;
        row.iter()
            .flat_map(|v| v.as_canonical_u64().to_le_bytes())
            .collect()
    }

    /// The commitment hash is padded BLAKE3 of the canonical bytes cut to [`DIGEST_BYTES`], one
    /// row at a time and in the prover's batches (which go through `blake3`'s unstable
    /// batching entry point); a node is that of its children's digests.
    #[test]
    fn merkle_hashes_are_blake3_of_canonical_bytes() {
        let hash = FieldHash::new(MerkleHash::default());
        for width in [0usize, 1, 7, 8, 9, 72, 130, 147] {
            let rows: Vec<Vec<Val>> = (0..35u64)
                .map(|r| {
                    (0..width as u64)
                        .map(|c| Val::from_u64(r * 1_000_003 + c) - Val::from_u64(7))
                        .collect()
                })
                .collect();
            let mut batched = vec![[0u8; DIGEST_BYTES]; rows.len()];
            hash.hash_many(&rows.concat(), &mut batched);
            for (row, got) in rows.iter().zip(&batched) {
                let expected = padded_blake3::<DIGEST_BYTES>(&bytes(row));
                assert_eq!(hash.hash_iter(row.iter().copied()), expected);
                assert_eq!(*got, expected, "width {width}");
            }
        }
        let compress = Compress::new(MerkleHash::default());
        let groups: Vec<[[u8; DIGEST_BYTES]; 2]> = (0..40u8)
            .map(|i| [[i; DIGEST_BYTES], [250 ^ i; DIGEST_BYTES]])
            .collect();
        let mut batched = vec![[0u8; DIGEST_BYTES]; groups.len()];
        compress.compress_many(&groups, &mut batched);
        for (g, got) in groups.iter().zip(&batched) {
            let expected = padded_blake3::<DIGEST_BYTES>(&g.concat());
            assert_eq!(compress.compress(*g), expected);
            assert_eq!(*got, expected);
        }
    }

    /// The transcript hashes with the same padding and the full 32 bytes.
    #[test]
    fn transcript_hash_is_padded_blake3() {
        for len in [0usize, 40, 64, 100] {
            let message: Vec<u8> = (0..len as u8).collect();
            assert_eq!(
                TranscriptHash::default().hash_slice(&message),
                padded_blake3::<32>(&message)
            );
        }
    }
}
