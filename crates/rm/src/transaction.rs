//! Partial transactions: actions (what one party proves: created commitments, consumed
//! nullifiers, proofs, delta, extradata, executable) and their compositions.
//!
//! A [`PartialTransaction`] is an ordered list of [`Action`]s. Its created set, consumed set,
//! extradata and proofs are the unions of its actions'; its delta is the sum. Composition
//! (sequential or concurrent) concatenates the lists, so it is associative and deltas add.

use crate::backend::{ActionStatement, ProvingBackend, VerifyJob};
use crate::logic::{LogicCache, LogicProgram};
use crate::resource::{chain_with_iv, DOMAIN_ACTION, MAX_RESOURCES};
use crate::serde_hex;
use crate::tree::root_of;
use crate::Error;
use resvm_field::{Digest, F};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

/// The JSON schema version of partial transactions.
pub const TX_VERSION: u64 = 1;

/// The most extradata elements one action may carry.
pub const MAX_EXTRADATA: usize = 1 << 16;

/// A delta: per kind, Σ consumed quantities − Σ created quantities (integers; with the
/// bounds of [`crate::resource`] every sum is below 2^62, so this is exactly the spec's
/// field-valued delta read as a signed integer). Zero entries are never stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delta(BTreeMap<Digest, i128>);

impl Delta {
    /// The zero delta.
    pub fn zero() -> Self {
        Self::default()
    }

    /// Adds `q` of `kind`.
    pub fn add(&mut self, kind: Digest, q: i128) {
        let e = self.0.entry(kind).or_insert(0);
        *e += q;
        if *e == 0 {
            self.0.remove(&kind);
        }
    }

    /// The sum of two deltas.
    pub fn plus(&self, other: &Delta) -> Delta {
        let mut d = self.clone();
        for (k, q) in &other.0 {
            d.add(*k, *q);
        }
        d
    }

    /// Whether every kind nets to zero (the transaction is balanced).
    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// The non-zero entries.
    pub fn entries(&self) -> &BTreeMap<Digest, i128> {
        &self.0
    }
}

impl std::fmt::Display for Delta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return write!(f, "0");
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, q)| format!("kind {}: {q:+}", k.to_hex()))
            .collect();
        write!(f, "{}", parts.join(", "))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeltaEntry {
    #[serde(with = "serde_hex::digest")]
    kind: Digest,
    #[serde(with = "serde_hex::i128_str")]
    quantity: i128,
}

impl Serialize for Delta {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<DeltaEntry> = self
            .0
            .iter()
            .map(|(k, q)| DeltaEntry {
                kind: *k,
                quantity: *q,
            })
            .collect();
        v.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Delta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let v = Vec::<DeltaEntry>::deserialize(d)?;
        let mut m = BTreeMap::new();
        for e in v {
            if e.quantity == 0 {
                return Err(D::Error::custom("delta entry with quantity 0"));
            }
            if e.quantity.unsigned_abs() >= 1u128 << 62 {
                return Err(D::Error::custom("delta quantity out of range"));
            }
            if m.insert(e.kind, e.quantity).is_some() {
                return Err(D::Error::custom(format!(
                    "delta names kind {} twice",
                    e.kind.to_hex()
                )));
            }
        }
        Ok(Delta(m))
    }
}

/// A logic's source, so verifiers can compile it and check its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramSource {
    /// The program digest (the logic as resources name it).
    #[serde(with = "serde_hex::digest")]
    pub digest: Digest,
    /// The resvm source text.
    pub source: String,
}

/// The proofs of an action and their public instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proofs {
    /// The backend that made them ([`ProvingBackend::name`]).
    pub backend: String,
    /// Per consumed nullifier: the root its membership is proven against, `null` for an
    /// ephemeral resource (no membership needed).
    #[serde(with = "serde_hex::opt_digests")]
    pub roots: Vec<Option<Digest>>,
    /// Per tag (consumed, then created): the logic that must accept it (public).
    #[serde(with = "serde_hex::digests")]
    pub logics: Vec<Digest>,
    /// The proof of the action: compliance and every tag's logic.
    #[serde(with = "serde_hex::bytes")]
    pub proof: Vec<u8>,
    /// The sources of the logics named in `logics`.
    pub programs: Vec<ProgramSource>,
}

/// What one party proves: the spec's partial transaction before composition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Commitments of created resources.
    #[serde(with = "serde_hex::digests")]
    pub created: Vec<Digest>,
    /// Nullifiers of consumed resources.
    #[serde(with = "serde_hex::digests")]
    pub consumed: Vec<Digest>,
    /// Σ consumed − Σ created, per kind.
    pub delta: Delta,
    /// Extradata: field elements.
    #[serde(with = "serde_hex::felts")]
    pub extradata: Vec<u64>,
    /// The name of the executable that built this action, if any (informational: validity
    /// is judged on the result).
    pub executable: Option<String>,
    /// Plaintexts of created resources published as public (the ledger stores them).
    #[serde(default)]
    pub public: Vec<crate::Resource>,
    /// The proofs.
    pub proofs: Proofs,
}

impl Action {
    /// The digest that binds logic proofs to this action:
    /// [`action_digest`] of its lists.
    pub fn digest(&self) -> Digest {
        action_digest(&self.consumed, &self.created, &self.extradata)
    }

    /// The number of resources (consumed + created).
    pub fn resources(&self) -> usize {
        self.consumed.len() + self.created.len()
    }

    /// Checks everything about the action alone: shape, bounds, the compliance proof and
    /// every logic proof. Roots are checked against a commitment set by
    /// [`PartialTransaction::verify`]; several actions are verified in parallel by
    /// [`verify_actions`].
    pub fn verify(&self, backend: &dyn ProvingBackend, logics: &LogicCache) -> Result<(), Error> {
        verify_actions([self], backend, logics)
    }

    /// Everything [`Action::verify`] checks before the proof; returns the logics of its tags.
    fn resolve(
        &self,
        backend: &dyn ProvingBackend,
        logics: &LogicCache,
    ) -> Result<Vec<Rc<LogicProgram>>, Error> {
        let p = &self.proofs;
        let (nc, nm) = (self.consumed.len(), self.created.len());
        if nc + nm > MAX_RESOURCES {
            return Err(Error::TooManyResources { count: nc + nm });
        }
        if self.extradata.len() > MAX_EXTRADATA {
            return Err(Error::Malformed(format!(
                "{} extradata elements, more than {MAX_EXTRADATA}",
                self.extradata.len()
            )));
        }
        if nm + nc == 0 {
            return Err(Error::Malformed(
                "an action needs at least one resource".into(),
            ));
        }
        if nm > 0 && nc == 0 {
            return Err(Error::Malformed(
                "an action that creates resources must consume at least one (created nonces derive from consumed nullifiers)".into(),
            ));
        }
        if p.backend != backend.name() {
            return Err(Error::InvalidProof(format!(
                "proofs made by backend `{}`, verifier uses `{}`",
                serde_hex::short(&p.backend),
                backend.name()
            )));
        }
        if p.roots.len() != nc || p.logics.len() != nc + nm {
            return Err(Error::Malformed(
                "roots need one entry per consumed nullifier, logics one per tag".into(),
            ));
        }
        check_unique(&self.consumed, Error::DuplicateNullifier)?;
        check_unique(&self.created, Error::DuplicateCommitment)?;
        for r in &self.public {
            if !self.created.contains(&r.commitment()) {
                return Err(Error::Malformed(format!(
                    "published resource {} is not created by the action",
                    r.commitment()
                )));
            }
        }
        if p.proof.is_empty() {
            return Err(Error::InvalidProof("missing proof".into()));
        }
        p.logics
            .iter()
            .map(|logic| {
                let source = p
                    .programs
                    .iter()
                    .find(|s| s.digest == *logic)
                    .map(|s| s.source.as_str());
                logics.resolve(logic, source)
            })
            .collect()
    }

    /// The statement of the action's proof.
    fn statement(&self) -> ActionStatement<'_> {
        let p = &self.proofs;
        ActionStatement {
            consumed: &self.consumed,
            created: &self.created,
            roots: &p.roots,
            logics: &p.logics,
            delta: &self.delta,
            action: self.digest(),
        }
    }
}

/// [`Action::verify`] of every action, the proofs through [`ProvingBackend::verify_all`] (the
/// STARK backend checks them on all cores). The result is the sequential one: `Ok` if every
/// action verifies, else the error of the first action, in order, that fails.
pub fn verify_actions<'a>(
    actions: impl IntoIterator<Item = &'a Action>,
    backend: &dyn ProvingBackend,
    logics: &LogicCache,
) -> Result<(), Error> {
    // The cheap checks and the logic lookups first, in order: an action that fails them is
    // never handed to the backend, nor is any action after it.
    let mut resolved = Vec::new();
    let mut first_error = None;
    for a in actions {
        match a.resolve(backend, logics) {
            Ok(programs) => resolved.push((a, programs)),
            Err(e) => {
                first_error = Some(e);
                break;
            }
        }
    }
    let jobs: Vec<VerifyJob<'_>> = resolved
        .iter()
        .map(|(a, ps)| VerifyJob {
            stmt: a.statement(),
            programs: ps.iter().map(|p| p.as_ref()).collect(),
            proof: &a.proofs.proof,
        })
        .collect();
    let results = backend.verify_all(&jobs);
    // A backend that answers for fewer (or more) proofs than it was given has not verified
    // them: fail closed.
    if results.len() != jobs.len() {
        return Err(Error::InvalidProof(format!(
            "backend `{}` returned {} verdicts for {} proofs",
            serde_hex::short(backend.name()),
            results.len(),
            jobs.len()
        )));
    }
    // The actions before a failed lookup come before it.
    match results.into_iter().find(Result::is_err) {
        Some(e) => e,
        None => first_error.map_or(Ok(()), Err),
    }
}

/// The action digest of these lists (see [`Action::digest`]):
/// `chain_with_iv([DOMAIN_ACTION, #consumed, #created, #extradata], consumed… created… extradata…)`.
pub fn action_digest(consumed: &[Digest], created: &[Digest], extradata: &[u64]) -> Digest {
    let mut v = Vec::with_capacity(4 * (consumed.len() + created.len()) + extradata.len());
    for d in consumed.iter().chain(created) {
        v.extend(d.elements());
    }
    v.extend(extradata.iter().map(|x| F::new(*x)));
    let iv = Digest([
        DOMAIN_ACTION,
        consumed.len() as u64,
        created.len() as u64,
        extradata.len() as u64,
    ]);
    chain_with_iv(iv, &v)
}

fn check_unique(v: &[Digest], err: fn(Digest) -> Error) -> Result<(), Error> {
    let mut seen = HashSet::with_capacity(v.len());
    for d in v {
        if !seen.insert(*d) {
            return Err(err(*d));
        }
    }
    Ok(())
}

/// A past commitment set CS, named by its roots.
pub trait RootSet {
    /// Whether `root` is a root the commitment set has had.
    fn contains_root(&self, root: &Digest) -> Result<bool, Error>;
}

impl RootSet for HashSet<Digest> {
    fn contains_root(&self, root: &Digest) -> Result<bool, Error> {
        Ok(self.contains(root))
    }
}

/// A partial transaction: one or more actions, composed. Balanced ones can be applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialTransaction {
    /// The schema version ([`TX_VERSION`]).
    pub version: u64,
    /// The actions, in order.
    pub actions: Vec<Action>,
}

impl PartialTransaction {
    /// A partial transaction of one action.
    pub fn single(action: Action) -> Self {
        PartialTransaction {
            version: TX_VERSION,
            actions: vec![action],
        }
    }

    /// Parses JSON defensively: syntax, schema, version; every error is a value.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        #[derive(Deserialize)]
        struct VersionOnly {
            version: Option<u64>,
        }
        let v: VersionOnly = serde_json::from_str(text).map_err(|e| Error::Json(e.to_string()))?;
        match v.version {
            Some(TX_VERSION) => {}
            Some(found) => {
                return Err(Error::Version {
                    what: "transaction",
                    found,
                    expected: TX_VERSION,
                })
            }
            None => return Err(Error::Json("missing field `version`".into())),
        }
        serde_json::from_str(text).map_err(|e| Error::Json(e.to_string()))
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("serializing a transaction cannot fail")
    }

    /// All consumed nullifiers, in order.
    pub fn consumed(&self) -> impl Iterator<Item = &Digest> {
        self.actions.iter().flat_map(|a| a.consumed.iter())
    }

    /// All created commitments, in order.
    pub fn created(&self) -> impl Iterator<Item = &Digest> {
        self.actions.iter().flat_map(|a| a.created.iter())
    }

    /// The number of resources (consumed + created) over all actions.
    pub fn resources(&self) -> usize {
        self.actions.iter().map(Action::resources).sum()
    }

    /// The delta: the sum of the actions' deltas.
    pub fn delta(&self) -> Delta {
        self.actions
            .iter()
            .fold(Delta::zero(), |d, a| d.plus(&a.delta))
    }

    /// Whether the delta is zero.
    pub fn is_balanced(&self) -> bool {
        self.delta().is_zero()
    }

    /// Concurrent composition: both against the same commitment set. Refuses conflicting
    /// nullifiers (naming one) and a second operand that consumes what the first creates
    /// (that is sequential composition).
    pub fn compose_concurrent(&self, other: &PartialTransaction) -> Result<Self, Error> {
        let out = self.concat(other)?;
        let local = local_roots(&out)?;
        for (i, a) in out.actions.iter().enumerate().skip(self.actions.len()) {
            for (r, n) in a.proofs.roots.iter().zip(&a.consumed) {
                if r.is_some() && *r == local[i] {
                    return Err(Error::Malformed(format!(
                        "concurrent composition refused: nullifier {n} consumes a resource created by the first operand (compose sequentially)"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// Sequential composition: `other` may consume what `self` creates (its membership
    /// proofs then use the root of the tree of the commitments created before it in this
    /// transaction, see [`PartialTransaction::verify`]). Refuses conflicting nullifiers.
    pub fn compose_sequential(&self, other: &PartialTransaction) -> Result<Self, Error> {
        self.concat(other)
    }

    fn concat(&self, other: &PartialTransaction) -> Result<Self, Error> {
        for t in [self, other] {
            if t.version != TX_VERSION {
                return Err(Error::Version {
                    what: "transaction",
                    found: t.version,
                    expected: TX_VERSION,
                });
            }
        }
        let mine: HashSet<&Digest> = self.consumed().collect();
        if let Some(n) = other.consumed().find(|n| mine.contains(n)) {
            return Err(Error::ConflictingNullifier(*n));
        }
        let mine: HashSet<&Digest> = self.created().collect();
        if let Some(c) = other.created().find(|c| mine.contains(c)) {
            return Err(Error::DuplicateCommitment(*c));
        }
        let count = self.resources() + other.resources();
        if count > MAX_RESOURCES {
            return Err(Error::TooManyResources { count });
        }
        let mut actions = self.actions.clone();
        actions.extend(other.actions.iter().cloned());
        Ok(PartialTransaction {
            version: TX_VERSION,
            actions,
        })
    }

    /// Checks validity w.r.t. a past commitment set `cs`: bounds, no nullifier or
    /// commitment twice, every action's proofs, and every membership root either a root of
    /// `cs` or the *local root* of the action (the root of a fresh tree holding, in order,
    /// the commitments created by the actions before it: sequential composition).
    pub fn verify(
        &self,
        cs: &dyn RootSet,
        backend: &dyn ProvingBackend,
        logics: &LogicCache,
    ) -> Result<(), Error> {
        self.verify_shape()?;
        self.verify_roots(cs)?;
        verify_actions(&self.actions, backend, logics)
    }

    /// Bounds and uniqueness across actions (cheap; no proof is looked at).
    pub fn verify_shape(&self) -> Result<(), Error> {
        if self.version != TX_VERSION {
            return Err(Error::Version {
                what: "transaction",
                found: self.version,
                expected: TX_VERSION,
            });
        }
        if self.actions.is_empty() {
            return Err(Error::Malformed(
                "a transaction needs at least one action".into(),
            ));
        }
        let count = self.resources();
        if count > MAX_RESOURCES {
            return Err(Error::TooManyResources { count });
        }
        let n: Vec<Digest> = self.consumed().copied().collect();
        check_unique(&n, Error::DuplicateNullifier)?;
        let c: Vec<Digest> = self.created().copied().collect();
        check_unique(&c, Error::DuplicateCommitment)?;
        for a in &self.actions {
            if a.proofs.roots.len() != a.consumed.len() {
                return Err(Error::Malformed(
                    "roots need one entry per consumed nullifier".into(),
                ));
            }
        }
        Ok(())
    }

    /// Every membership root is in `cs` or is the action's local root.
    pub fn verify_roots(&self, cs: &dyn RootSet) -> Result<(), Error> {
        let mut local: Option<Vec<Option<Digest>>> = None;
        for (i, a) in self.actions.iter().enumerate() {
            for (r, n) in a.proofs.roots.iter().zip(&a.consumed) {
                let Some(r) = r else { continue };
                if cs.contains_root(r)? {
                    continue;
                }
                if local.is_none() {
                    local = Some(local_roots(self)?);
                }
                if local.as_ref().and_then(|l| l[i]) != Some(*r) {
                    return Err(Error::UnknownRoot {
                        root: *r,
                        nullifier: *n,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Per action: the root of a fresh tree of the commitments created by the actions before
/// it, or `None` when there are none.
pub fn local_roots(t: &PartialTransaction) -> Result<Vec<Option<Digest>>, Error> {
    let mut out = Vec::with_capacity(t.actions.len());
    let mut tree = crate::tree::CommitmentTree::new();
    for a in &t.actions {
        out.push((!tree.is_empty()).then(|| tree.root()));
        for c in &a.created {
            tree.append(*c)?;
        }
    }
    Ok(out)
}

/// The root of the tree of `commitments`: what a party building on another's outputs in a
/// sequential composition proves membership against.
pub fn local_root(commitments: &[Digest]) -> Result<Digest, Error> {
    root_of(commitments)
}
