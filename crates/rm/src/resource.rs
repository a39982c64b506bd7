//! Resources (the spec's seven-tuple) and the hashes derived from them: commitment, nullifier
//! commitment, kind, delta and created-resource nonces.
//!
//! Every hash is a [`chain`] of `resvm_field::merge` (one Poseidon2 compression, the VM's
//! `HASH` instruction) whose initial value holds a domain tag (a small constant, ASCII
//! packed little-endian) and the input length, so no two derived values can collide by
//! reading one encoding as another, and compliance programs compute the same values.

use crate::serde_hex;
use crate::Error;
use resvm_field::{merge, Digest, F};
use serde::{Deserialize, Serialize};

/// Packs up to 7 ASCII bytes into a field element (little-endian), for domain tags.
const fn tag(s: &[u8]) -> u64 {
    let mut v = 0u64;
    let mut i = 0;
    while i < s.len() {
        v |= (s[i] as u64) << (8 * i);
        i += 1;
    }
    v
}

/// Domain of [`Resource::commitment`].
pub const DOMAIN_COMMITMENT: u64 = tag(b"rm.cm");
/// Domain of [`nullifier_commitment`].
pub const DOMAIN_NC: u64 = tag(b"rm.nc");
/// Domain of [`kind`].
pub const DOMAIN_KIND: u64 = tag(b"rm.kind");
/// Domain of [`derive_nonce`].
pub const DOMAIN_NONCE: u64 = tag(b"rm.nonc");
/// Domain of [`nullifiers_digest`].
pub const DOMAIN_NF_LIST: u64 = tag(b"rm.nfs");
/// Domain of the action digest that binds logic proofs ([`crate::Action::digest`]).
pub const DOMAIN_ACTION: u64 = tag(b"rm.act");
/// Domain of the empty leaf of the commitment tree.
pub const DOMAIN_EMPTY_LEAF: u64 = tag(b"rm.empt");

/// The largest quantity a resource may carry: 2^48 − 1.
///
/// With at most [`MAX_RESOURCES`] resources in a transaction (composed ones included), every
/// per-kind sum of consumed or of created quantities is below 2^14 · 2^48 = 2^62 < p, so the
/// spec's field sums equal the integer sums and no sum can wrap modulo p.
pub const MAX_QUANTITY: u64 = (1 << 48) - 1;

/// The most resources (consumed plus created) one transaction may hold, composed ones
/// included: 2^14.
pub const MAX_RESOURCES: usize = 1 << 14;

/// A resource R = (logic, label, quantity, value, nonce, nc, ephemerality).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// The digest of the logic's compiled program (`Program::digest`).
    #[serde(with = "serde_hex::digest")]
    pub logic: Digest,
    /// The label (a digest: e.g. an issuer's key hash).
    #[serde(with = "serde_hex::digest")]
    pub label: Digest,
    /// The quantity, at most [`MAX_QUANTITY`].
    #[serde(with = "serde_hex::u64_str")]
    pub quantity: u64,
    /// The value (a digest: e.g. an owner's key hash, or tree roots).
    #[serde(with = "serde_hex::digest")]
    pub value: Digest,
    /// The nonce; for created resources derived by [`derive_nonce`].
    #[serde(with = "serde_hex::digest")]
    pub nonce: Digest,
    /// The nullifier commitment: `nullifier_commitment(n)` for the owner's secret n.
    #[serde(with = "serde_hex::digest")]
    pub nc: Digest,
    /// Ephemeral resources (spec: ephemerality 0) need no membership proof when consumed.
    pub ephemeral: bool,
}

impl Resource {
    /// The spec's ephemerality field: 0 ephemeral, 1 persistent.
    pub fn ephemerality(&self) -> u64 {
        if self.ephemeral {
            0
        } else {
            1
        }
    }

    /// The 22 elements hashed by [`Resource::commitment`], in order:
    /// `logic(4), label(4), value(4), nonce(4), nc(4), quantity, ephemerality`
    /// (digests first, so each sits in one 4-element block of the chain).
    pub fn encoding(&self) -> Vec<F> {
        let mut v = Vec::with_capacity(22);
        v.extend(self.logic.elements());
        v.extend(self.label.elements());
        v.extend(self.value.elements());
        v.extend(self.nonce.elements());
        v.extend(self.nc.elements());
        v.push(F::new(self.quantity));
        v.push(F::new(self.ephemerality()));
        v
    }

    /// The commitment (and address): `chain(DOMAIN_COMMITMENT, encoding)`.
    pub fn commitment(&self) -> Digest {
        chain(DOMAIN_COMMITMENT, &self.encoding())
    }

    /// The kind ("type"): `chain(DOMAIN_KIND, logic, label)`.
    pub fn kind(&self) -> Digest {
        kind(&self.logic, &self.label)
    }

    /// The delta (kind, quantity).
    pub fn delta(&self) -> (Digest, u64) {
        (self.kind(), self.quantity)
    }

    /// Checks the quantity bound.
    pub fn check_bounds(&self) -> Result<(), Error> {
        if self.quantity > MAX_QUANTITY {
            return Err(Error::QuantityOutOfRange {
                quantity: self.quantity,
            });
        }
        Ok(())
    }

    /// Whether `n` is this resource's nullifier (H(n) = nc).
    pub fn is_nullifier(&self, n: &Digest) -> bool {
        nullifier_commitment(n) == self.nc
    }
}

/// The initial chaining value of a chain: `[domain, length, 0, 0]`.
pub fn chain_iv(domain: u64, length: u64) -> Digest {
    Digest([domain, length, 0, 0])
}

/// The rm hash: a domain-separated, length-prefixed Merkle–Damgård chain of
/// `resvm_field::merge` (one `HASH` instruction per step, so programs compute it too):
/// `acc = [domain, len(xs), 0, 0]`, then `acc = merge(acc, block)` for each block of four
/// elements of `xs` (the last zero-padded).
pub fn chain(domain: u64, xs: &[F]) -> Digest {
    chain_with_iv(chain_iv(domain, xs.len() as u64), xs)
}

/// [`chain`] from an explicit initial value (the action digest puts three counts in it).
pub fn chain_with_iv(iv: Digest, xs: &[F]) -> Digest {
    let mut acc = iv;
    for block in xs.chunks(4) {
        let mut b = [F::new(0); 4];
        b[..block.len()].copy_from_slice(block);
        acc = merge(&acc, &Digest::from_elements(b));
    }
    acc
}

/// The kind of resources with this logic and label: `chain(DOMAIN_KIND, logic, label)`.
pub fn kind(logic: &Digest, label: &Digest) -> Digest {
    let mut v = Vec::with_capacity(8);
    v.extend(logic.elements());
    v.extend(label.elements());
    chain(DOMAIN_KIND, &v)
}

/// The nullifier commitment of a nullifier n: `chain(DOMAIN_NC, n)`.
///
/// As the spec says, the nullifier *is* the secret n: whoever knows n can publish the
/// nullifier (spend, subject to the logic), and since the nullifier does not depend on the
/// resource's other fields, every resource needs an nc made from a fresh n (two resources
/// sharing an nc share their nullifier: only one of them could ever be consumed).
pub fn nullifier_commitment(n: &Digest) -> Digest {
    chain(DOMAIN_NC, &n.elements())
}

/// The digest of an action's consumed nullifiers, in order:
/// `chain(DOMAIN_NF_LIST, n_0, ..., n_{k-1})` (the length 4k is in the initial value).
pub fn nullifiers_digest(nullifiers: &[Digest]) -> Digest {
    let v: Vec<F> = nullifiers.iter().flat_map(|n| n.elements()).collect();
    chain(DOMAIN_NF_LIST, &v)
}

/// The nonce of the `index`-th created resource of an action whose consumed nullifiers
/// hash to `nullifiers` ([`nullifiers_digest`]), with randomness `r`:
/// `chain(DOMAIN_NONCE, nullifiers, r, index)`.
///
/// Nullifiers are unique on the ledger, so created commitments are unique without
/// coordination (arm-risc0's approach); `r` (a fresh secret of the creator, a witness of the
/// compliance proof) keeps the commitment hiding after the consumed resources' nullifiers
/// and the created resource's own nullifier are public.
pub fn derive_nonce(nullifiers: &Digest, index: u64, r: &Digest) -> Digest {
    let mut v = Vec::with_capacity(9);
    v.extend(nullifiers.elements());
    v.extend(r.elements());
    v.push(F::new(index));
    chain(DOMAIN_NONCE, &v)
}

/// The key hash of a secret key (what token resources put in their label or value):
/// `merge(sk, 0)` (`hash(sk, digest(0, 0, 0, 0))` in the language), the `aux_hash` the logic
/// ABI computes from `aux0 = sk`, `aux1 = 0`.
pub fn key_hash(sk: &Digest) -> Digest {
    merge(sk, &Digest([0; 4]))
}

/// A uniformly random digest (four canonical field elements) from `rng`.
pub fn random_digest(rng: &mut impl rand::Rng) -> Digest {
    let mut out = [0u64; 4];
    for w in &mut out {
        // Rejection sampling keeps the elements uniform in [0, p).
        *w = loop {
            let x = rng.next_u64();
            if x < resvm_field::P {
                break x;
            }
        };
    }
    Digest(out)
}
