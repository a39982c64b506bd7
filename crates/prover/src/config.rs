//! The STARK configuration: Goldilocks, its quadratic extension, Keccak-f Merkle trees with
//! salted (hiding) leaves, a Keccak-256 Fiat–Shamir transcript, hiding FRI, and the named
//! security parameter sets (`docs/proof-system.md`), and in [`security`] their conjectured
//! level under Plonky3 0.8's own model (`p3-security`).

pub mod security;

use crate::air::Val;
use p3_challenger::{HashChallenger, SerializingChallenger64};
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DFTSmallBatch;
use p3_field::extension::BinomialExtensionField;
use p3_fri::{FriParameters, HidingFriPcs};
use p3_keccak::{Keccak256Hash, KeccakF, VECTOR_LEN};
use p3_merkle_tree::MerkleTreeHidingMmcs;
use p3_symmetric::{
    CompressionFunctionFromHasher, CryptographicPermutation, PaddingFreeSponge, Permutation,
    SerializingHasher,
};
use p3_uni_stark::StarkConfig;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// Challenges live in the degree-2 extension (≈ 2^128 elements).
pub type Challenge = BinomialExtensionField<Val, 2>;
/// Keccak-f[1600] sponge over u64 words (rate 17, 4-word = 256-bit digests): the Merkle hash.
type U64Hash = PaddingFreeSponge<KeccakF1600, 25, 17, 4>;

/// Keccak-f\[1600\], the permutation of the Merkle hash: one state at a time with the
/// `keccak` crate, a batch of [`VECTOR_LEN`] states with Plonky3's SIMD code. The verifier
/// hashes every Merkle path one state at a time, where the `tiny-keccak` routine behind
/// Plonky3's `KeccakF` takes ~1.4× as long (`docs/benchmarks.md`); the prover hashes rows in
/// batches. Both are the same permutation (tested against `KeccakF`), so proofs do not change.
#[derive(Clone, Copy, Debug)]
pub struct KeccakF1600;

impl Permutation<[u64; 25]> for KeccakF1600 {
    fn permute_mut(&self, state: &mut [u64; 25]) {
        keccak::f1600(state);
    }
}

impl CryptographicPermutation<[u64; 25]> for KeccakF1600 {}

impl Permutation<[[u64; VECTOR_LEN]; 25]> for KeccakF1600 {
    fn permute_mut(&self, states: &mut [[u64; VECTOR_LEN]; 25]) {
        KeccakF.permute_mut(states);
    }
}

impl CryptographicPermutation<[[u64; VECTOR_LEN]; 25]> for KeccakF1600 {}
type FieldHash = SerializingHasher<U64Hash>;
type Compress = CompressionFunctionFromHasher<U64Hash, 2, 4>;
/// Salt elements per Merkle leaf: 2 uniform Goldilocks elements, ≈ 128 bits of entropy (the
/// same entropy as Plonky3's 4-element BabyBear salts), so a leaf digest hides its row.
const SALT: usize = 2;
type ValMmcs = MerkleTreeHidingMmcs<
    [Val; VECTOR_LEN],
    [u64; VECTOR_LEN],
    FieldHash,
    Compress,
    StdRng,
    2,
    4,
    SALT,
>;
type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
/// Fiat–Shamir over Keccak-256 (bytes), serializing field elements canonically.
type Challenger = SerializingChallenger64<Val, HashChallenger<u8, Keccak256Hash, 32>>;
/// Plonky3's DFT for narrow matrices (it parallelizes over butterfly groups, not rows): our
/// committed matrices are 4–47 columns wide; measured ~7 % less prover CPU than
/// `Radix2DitParallel` at 2^16 cycles.
type Dft = Radix2DFTSmallBatch<Val>;
type Pcs = HidingFriPcs<Val, Dft, ValMmcs, ChallengeMmcs, StdRng>;
/// The STARK configuration type of every resvm proof.
pub type VmConfig = StarkConfig<Pcs, Challenge, Challenger>;

/// Random codewords added by hiding FRI to every committed matrix: `HidingFriPcs` requires at
/// least the extension degree (2) to mask the extension-field batching; each one more costs a
/// column in every committed matrix and in every query opening.
const NUM_RANDOM_CODEWORDS: usize = 2;

/// A named parameter set; recorded in every proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SecurityLevel {
    /// ≥ 100 bits conjectured on every proof the verifier accepts, under Plonky3 0.8's
    /// `p3-security` model ([`security::worst_case_report`]: 100.4 bits, bound by the FRI query
    /// phase; `docs/proof-system.md`): blowup 4, 41 queries, 20-bit query PoW and grinding
    /// before every other challenge.
    Standard,
    /// A handful of queries for fast tests: **not secure**; verifiers refuse it unless told
    /// to accept test proofs.
    Test,
    /// ≥ 100 bits conjectured (same model, 100.6 bits) with smaller proofs: blowup 8 and 27
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
    /// log2 of the final polynomial length.
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
                num_queries: 41,
                query_pow_bits: 20,
                commit_pow_bits: 6,
                lookup_pow_bits: 12,
                ood_pow_bits: 8,
                batch_pow_bits: 14,
                log_final_poly_len: 3,
                max_log_arity: 3,
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
                log_final_poly_len: 3,
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
    let u64_hash = U64Hash::new(KeccakF1600);
    let hash = FieldHash::new(u64_hash);
    let compress = Compress::new(u64_hash);
    let mut master = StdRng::from_seed(seed);
    let val_mmcs = ValMmcs::new(hash, compress, p.cap_height, StdRng::from_rng(&mut master));
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
    let pcs = Pcs::new(
        Dft::default(),
        val_mmcs,
        fri,
        NUM_RANDOM_CODEWORDS,
        StdRng::from_rng(&mut master),
    );
    StarkConfig::new(pcs, Challenger::from_hasher(vec![], Keccak256Hash {}))
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
    use rand::{RngExt, SeedableRng};

    /// The Merkle permutation is Plonky3's Keccak-f, one state and a batch at a time.
    #[test]
    fn keccak_f1600_is_plonky3s_keccak_f() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..64 {
            let state: [u64; 25] = core::array::from_fn(|_| rng.random());
            assert_eq!(KeccakF1600.permute(state), KeccakF.permute(state));
            let batch: [[u64; VECTOR_LEN]; 25] =
                core::array::from_fn(|_| core::array::from_fn(|_| rng.random()));
            let ours = KeccakF1600.permute(batch);
            assert_eq!(ours, KeccakF.permute(batch));
            for lane in 0..VECTOR_LEN {
                let one: [u64; 25] = core::array::from_fn(|i| batch[i][lane]);
                let out: [u64; 25] = core::array::from_fn(|i| ours[i][lane]);
                assert_eq!(KeccakF1600.permute(one), out);
            }
        }
    }
}
