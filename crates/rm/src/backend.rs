//! The proving system behind a trait, and the re-execution backend.
//!
//! One statement per action ([`ActionStatement`]): compliance (commitment integrity,
//! Merkle membership, nullifier integrity, bounded quantities, the delta) and, on the very
//! same resources, every tag's logic accepting its ABI v1 instance ([`crate::logic`]).
//! [`check_action`] is the reference semantics; [`ReexecBackend`] re-runs it from a witness
//! carried in the proof, [`crate::stark::StarkBackend`] proves it in zero knowledge.

use crate::logic::{abi_inputs, LogicInstance, LogicProgram, Other};
use crate::resource::{derive_nonce, nullifiers_digest, Resource};
use crate::transaction::Delta;
use crate::tree::{verify_path, MerklePath};
use crate::Error;
use resvm_field::Digest;
use serde::{Deserialize, Serialize};

/// The public statement of an action's proof: everything a verifier sees of the action.
#[derive(Clone, Copy, Debug)]
pub struct ActionStatement<'a> {
    /// Consumed nullifiers.
    pub consumed: &'a [Digest],
    /// Created commitments.
    pub created: &'a [Digest],
    /// Per consumed nullifier: its membership root (`None`: ephemeral).
    pub roots: &'a [Option<Digest>],
    /// Per tag (consumed, then created): the logic digest.
    pub logics: &'a [Digest],
    /// The claimed delta.
    pub delta: &'a Delta,
    /// The action digest (binds the consumed, created and extradata lists).
    pub action: Digest,
}

impl ActionStatement<'_> {
    /// The number of tags (consumed + created).
    pub fn tags(&self) -> usize {
        self.consumed.len() + self.created.len()
    }

    /// Checks the list lengths agree (before any backend looks at a proof).
    pub fn check_shape(&self) -> Result<(), Error> {
        if self.roots.len() != self.consumed.len() || self.logics.len() != self.tags() {
            return Err(Error::Malformed(
                "roots need one entry per consumed nullifier, logics one per tag".into(),
            ));
        }
        Ok(())
    }
}

/// The witness of one consumed resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumedWitness {
    /// The resource.
    pub resource: Resource,
    /// Its membership path (`None` for ephemeral resources).
    pub path: Option<MerklePath>,
}

/// The witness of one created resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWitness {
    /// The resource (its nonce derived with `rand`).
    pub resource: Resource,
    /// The nonce randomness.
    #[serde(with = "crate::serde_hex::digest")]
    pub rand: Digest,
}

/// What the prover chooses for one tag's logic run: the second resource shown and the
/// auxiliary witness (logic ABI v1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagWitness {
    /// The second resource of the action shown to the logic: (created?, index).
    pub other: Option<(bool, u64)>,
    /// Two free digests for the logic (e.g. an owner's secret key).
    pub aux: [AuxDigest; 2],
}

/// A digest of the auxiliary witness (hex on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuxDigest(#[serde(with = "crate::serde_hex::digest")] pub Digest);

/// The witness of an action's proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionWitness {
    /// Per consumed nullifier.
    pub consumed: Vec<ConsumedWitness>,
    /// Per created commitment.
    pub created: Vec<CreatedWitness>,
    /// Per tag (consumed, then created).
    pub tags: Vec<TagWitness>,
}

/// A proving system for the action statement. Proofs are opaque bytes; a verifier must
/// return an error (never panic) on any bytes.
///
/// One proof per action covers compliance (for each consumed nullifier n_i some R_i with
/// H(n_i) = R_i.nc, bounded quantity, logic `logics[i]` and, unless ephemeral, a Merkle
/// path from commitment(R_i) to `roots[i]`; for each created c_j some R_j with commitment
/// c_j, bounded quantity, logic `logics[N + j]` and nonce derived from the action's
/// nullifiers; the delta) **and** every logic run on those same resources, so a logic can
/// be neither run on a swapped resource nor moved into another action.
pub trait ProvingBackend: Send + Sync {
    /// The backend's name, recorded in every action it proves.
    fn name(&self) -> &'static str;

    /// Proves the statement; `programs[t]` is the logic of tag t (its digest is
    /// `stmt.logics[t]`).
    fn prove(
        &self,
        stmt: &ActionStatement,
        programs: &[&LogicProgram],
        witness: &ActionWitness,
    ) -> Result<Vec<u8>, Error>;

    /// Verifies a proof of the statement.
    fn verify(
        &self,
        stmt: &ActionStatement,
        programs: &[&LogicProgram],
        proof: &[u8],
    ) -> Result<(), Error>;

    /// [`ProvingBackend::verify`] of several proofs, one result per job in order. This
    /// default checks them one by one; a backend whose checks are costly runs them in
    /// parallel.
    fn verify_all(&self, jobs: &[VerifyJob<'_>]) -> Vec<Result<(), Error>> {
        jobs.iter()
            .map(|j| self.verify(&j.stmt, &j.programs, j.proof))
            .collect()
    }
}

/// One proof to check with [`ProvingBackend::verify_all`].
pub struct VerifyJob<'a> {
    /// The statement.
    pub stmt: ActionStatement<'a>,
    /// The logic of each tag.
    pub programs: Vec<&'a LogicProgram>,
    /// The proof bytes.
    pub proof: &'a [u8],
}

/// Checks a witness against a statement natively: every compliance rule, then every
/// logic run on the ABI v1 inputs. The reference semantics both backends prove; the STARK
/// backend runs it before proving so a false statement fails with a precise reason.
pub fn check_action(
    stmt: &ActionStatement,
    programs: &[&LogicProgram],
    w: &ActionWitness,
) -> Result<(), Error> {
    stmt.check_shape()?;
    let bad = |s: String| Err(Error::InvalidProof(s));
    let n = stmt.consumed.len();
    if w.consumed.len() != n || w.created.len() != stmt.created.len() || w.tags.len() != stmt.tags()
    {
        return bad("witness counts differ from the statement's lists".into());
    }
    if programs.len() != stmt.tags() {
        return bad("one logic program per tag".into());
    }
    let mut delta = Delta::zero();
    for (i, cw) in w.consumed.iter().enumerate() {
        let r = &cw.resource;
        let nf = &stmt.consumed[i];
        r.check_bounds()?;
        if !r.is_nullifier(nf) {
            return bad(format!("nullifier {nf} does not match its resource's nc"));
        }
        match (r.ephemeral, &stmt.roots[i], &cw.path) {
            (true, None, None) => {}
            (true, _, _) => {
                return bad(format!(
                    "consumed {i}: ephemeral resources carry no root or path"
                ))
            }
            (false, Some(root), Some(path)) => {
                if !verify_path(&r.commitment(), path, root) {
                    return bad(format!(
                        "consumed {i}: commitment is not in the tree with root {root}"
                    ));
                }
            }
            (false, _, _) => {
                return bad(format!(
                    "consumed {i}: a persistent resource needs a root and a path"
                ))
            }
        }
        let (k, q) = r.delta();
        delta.add(k, q as i128);
    }
    let nfd = nullifiers_digest(stmt.consumed);
    for (j, cw) in w.created.iter().enumerate() {
        let r = &cw.resource;
        r.check_bounds()?;
        if r.nonce != derive_nonce(&nfd, j as u64, &cw.rand) {
            return bad(format!(
                "created {j}: nonce is not derived from the action's nullifiers"
            ));
        }
        if r.commitment() != stmt.created[j] {
            return bad(format!(
                "created {j}: resource does not open its commitment"
            ));
        }
        let (k, q) = r.delta();
        delta.add(k, -(q as i128));
    }
    if delta != *stmt.delta {
        return bad(format!(
            "delta is {delta}, the action claims {}",
            stmt.delta
        ));
    }
    let resource = |created: bool, i: usize| -> Option<&Resource> {
        if created {
            w.created.get(i).map(|c| &c.resource)
        } else {
            w.consumed.get(i).map(|c| &c.resource)
        }
    };
    for (t, program) in programs.iter().enumerate() {
        let (created, i) = if t < n { (false, t) } else { (true, t - n) };
        let own = resource(created, i).expect("counts checked above");
        let tag = if created {
            stmt.created[i]
        } else {
            stmt.consumed[i]
        };
        let what = if created {
            "created commitment"
        } else {
            "consumed nullifier"
        };
        if own.logic != stmt.logics[t] || program.digest() != stmt.logics[t] {
            return bad(format!(
                "{what} {tag}: the resource's logic is not the logic named for it"
            ));
        }
        let tw = &w.tags[t];
        let other = match tw.other {
            None => None,
            Some((oc, oi)) => {
                let r = usize::try_from(oi)
                    .ok()
                    .and_then(|oi| resource(oc, oi))
                    .ok_or_else(|| {
                        Error::InvalidProof(format!(
                            "{what} {tag}: the second resource shown is not in the action"
                        ))
                    })?;
                Some(Other {
                    created: oc,
                    index: oi,
                    resource: *r,
                })
            }
        };
        let inst = LogicInstance {
            created,
            tag,
            action: stmt.action,
            n_consumed: n as u64,
            n_created: stmt.created.len() as u64,
        };
        let inputs = abi_inputs(&inst, own, other.as_ref(), &[tw.aux[0].0, tw.aux[1].0]);
        program
            .check(&inputs)
            .map_err(|reason| Error::LogicRejected {
                logic: stmt.logics[t],
                what,
                tag,
                reason,
            })?;
    }
    Ok(())
}

/// The re-execution backend: a "proof" is the witness (with the action digest it was made
/// for), and the verifier re-checks every claim and re-runs every logic in the resvm VM.
///
/// **Not zero-knowledge**: its proofs reveal every resource and the nonce randomness. It is
/// sound (a verifier accepts only true statements) and fast: for tests, benchmarks of
/// everything but proving, and trusted settings.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReexecBackend;

/// The magic prefix of re-execution proofs.
const MAGIC: &[u8; 4] = b"RXA2";

#[derive(Serialize, Deserialize)]
struct ProofData {
    #[serde(with = "crate::serde_hex::digest")]
    action: Digest,
    witness: ActionWitness,
}

impl ProvingBackend for ReexecBackend {
    fn name(&self) -> &'static str {
        "reexec-v2"
    }

    fn prove(
        &self,
        stmt: &ActionStatement,
        programs: &[&LogicProgram],
        witness: &ActionWitness,
    ) -> Result<Vec<u8>, Error> {
        check_action(stmt, programs, witness)?;
        let mut out = MAGIC.to_vec();
        let data = ProofData {
            action: stmt.action,
            witness: witness.clone(),
        };
        out.extend(postcard::to_allocvec(&data).map_err(|e| Error::InvalidProof(e.to_string()))?);
        Ok(out)
    }

    fn verify(
        &self,
        stmt: &ActionStatement,
        programs: &[&LogicProgram],
        proof: &[u8],
    ) -> Result<(), Error> {
        let body = proof
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| Error::InvalidProof("not a re-execution proof (bad magic)".into()))?;
        let (d, rest): (ProofData, _) = postcard::take_from_bytes(body)
            .map_err(|e| Error::InvalidProof(format!("undecodable proof: {e}")))?;
        if !rest.is_empty() {
            return Err(Error::InvalidProof("trailing bytes after the proof".into()));
        }
        if d.action != stmt.action {
            return Err(Error::InvalidProof(
                "the proof was made for another action".into(),
            ));
        }
        check_action(stmt, programs, &d.witness)
    }
}
