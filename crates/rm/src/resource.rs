//! Resources (the spec's seven-tuple) and the hashes derived from them: commitment, nullifier
//! commitment, kind, delta and created-resource nonces.
//!
//! Every hash is `resvm_field::hash` (Poseidon2, 4-element digests) over a sequence that
//! starts with a domain tag (a small constant, ASCII packed little-endian), so no two
//! derived values can collide by reading one encoding as another.

use crate::serde_hex;
use crate::Error;
use resvm_field::{hash, Digest, F};
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
/// Domain of [`resource_binding`].
pub const DOMAIN_BINDING: u64 = tag(b"rm.bind");
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

    /// The canonical encoding hashed by [`Resource::commitment`]: 23 field elements,
    /// `[DOMAIN_COMMITMENT, logic(4), label(4), quantity, value(4), nonce(4), nc(4), ephemerality]`.
    pub fn encoding(&self) -> Vec<F> {
        let mut v = Vec::with_capacity(23);
        v.push(F::new(DOMAIN_COMMITMENT));
        v.extend(self.logic.elements());
        v.extend(self.label.elements());
        v.push(F::new(self.quantity));
        v.extend(self.value.elements());
        v.extend(self.nonce.elements());
        v.extend(self.nc.elements());
        v.push(F::new(self.ephemerality()));
        v
    }

    /// The commitment (and address): H(encoding).
    pub fn commitment(&self) -> Digest {
        hash(&self.encoding())
    }

    /// The kind ("type"): H(DOMAIN_KIND, logic, label).
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

/// The kind of resources with this logic and label: H(DOMAIN_KIND, logic, label).
pub fn kind(logic: &Digest, label: &Digest) -> Digest {
    let mut v = Vec::with_capacity(9);
    v.push(F::new(DOMAIN_KIND));
    v.extend(logic.elements());
    v.extend(label.elements());
    hash(&v)
}

/// The nullifier commitment of a nullifier n: H(DOMAIN_NC, n).
///
/// As the spec says, the nullifier *is* the secret n: whoever knows n can publish the
/// nullifier (spend, subject to the logic), and since the nullifier does not depend on the
/// resource's other fields, every resource needs an nc made from a fresh n (two resources
/// sharing an nc share their nullifier: only one of them could ever be consumed).
pub fn nullifier_commitment(n: &Digest) -> Digest {
    let mut v = Vec::with_capacity(5);
    v.push(F::new(DOMAIN_NC));
    v.extend(n.elements());
    hash(&v)
}

/// The digest of an action's consumed nullifiers, in order:
/// H(DOMAIN_NF_LIST, count, n_0, ..., n_k).
pub fn nullifiers_digest(nullifiers: &[Digest]) -> Digest {
    let mut v = Vec::with_capacity(2 + 4 * nullifiers.len());
    v.push(F::new(DOMAIN_NF_LIST));
    v.push(F::new(nullifiers.len() as u64));
    for n in nullifiers {
        v.extend(n.elements());
    }
    hash(&v)
}

/// The nonce of the `index`-th created resource of an action whose consumed nullifiers
/// hash to `nullifiers` ([`nullifiers_digest`]), with randomness `r`:
/// H(DOMAIN_NONCE, nullifiers, index, r).
///
/// Nullifiers are unique on the ledger, so created commitments are unique without
/// coordination (arm-risc0's approach); `r` (a fresh secret of the creator, a witness of the
/// compliance proof) keeps the commitment hiding after the consumed resources' nullifiers
/// and the created resource's own nullifier are public.
pub fn derive_nonce(nullifiers: &Digest, index: u64, r: &Digest) -> Digest {
    let mut v = Vec::with_capacity(10);
    v.push(F::new(DOMAIN_NONCE));
    v.extend(nullifiers.elements());
    v.push(F::new(index));
    v.extend(r.elements());
    hash(&v)
}

/// The blinded binding between a consumed resource's nullifier and its commitment:
/// H(DOMAIN_BINDING, nullifier, commitment, blind).
///
/// The spec's nullifier does not depend on the resource (only H(n) = nc does), so a logic
/// proof about a consumed resource could otherwise be made about a different resource with
/// the same nc. Compliance and the logic proofs both open the same binding, published per
/// nullifier; the blind keeps it from linking the nullifier to its commitment in the tree.
pub fn resource_binding(nullifier: &Digest, commitment: &Digest, blind: &Digest) -> Digest {
    let mut v = Vec::with_capacity(13);
    v.push(F::new(DOMAIN_BINDING));
    v.extend(nullifier.elements());
    v.extend(commitment.elements());
    v.extend(blind.elements());
    hash(&v)
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
