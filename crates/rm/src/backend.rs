//! The proving system behind a trait, and the re-execution backend.
//!
//! Two statements per action:
//! * **compliance** (one per action, any number of consumed and created resources): for
//!   each consumed nullifier n_i there is a resource R_i with H(n_i) = R_i.nc, bounded
//!   quantity, logic `logics[i]`, binding `bindings[i]` = H(n_i, commitment(R_i), blind_i),
//!   and, unless ephemeral, a Merkle path from commitment(R_i) to `roots[i]`; for each
//!   created commitment c_j there is R_j with commitment c_j, bounded quantity, logic
//!   `logics[#consumed + j]` and nonce derived from the action's nullifiers; and `delta` =
//!   Σ consumed deltas − Σ created deltas.
//! * **logic** (one per tag): the tag's logic accepts the ABI instance
//!   ([`crate::logic`]) — the tag, created/consumed, the action digest — for the resource
//!   behind the tag (a created tag opens to its commitment, a consumed one to its binding)
//!   and optionally a second resource of the action, also opened against the lists.
//!
//! The action digest and the tag are in every logic instance, so a logic proof moved into
//! another action, or made for a swapped resource, does not verify.

use crate::logic::{abi_inputs, LogicInstance, LogicProgram, Other};
use crate::resource::{derive_nonce, nullifiers_digest, resource_binding, Resource};
use crate::transaction::Delta;
use crate::tree::{verify_path, MerklePath};
use crate::Error;
use resvm_field::Digest;
use serde::{Deserialize, Serialize};

/// The public statement of a compliance proof (everything a verifier sees of the action).
#[derive(Clone, Copy, Debug)]
pub struct ComplianceStatement<'a> {
    /// Consumed nullifiers.
    pub consumed: &'a [Digest],
    /// Created commitments.
    pub created: &'a [Digest],
    /// Per consumed nullifier: its membership root (`None`: ephemeral).
    pub roots: &'a [Option<Digest>],
    /// Per consumed nullifier: its resource binding.
    pub bindings: &'a [Digest],
    /// Per tag (consumed, then created): the logic digest.
    pub logics: &'a [Digest],
    /// The claimed delta.
    pub delta: &'a Delta,
    /// The action digest.
    pub action: Digest,
}

/// The witness of one consumed resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumedWitness {
    /// The resource.
    pub resource: Resource,
    /// Its membership path (`None` for ephemeral resources).
    pub path: Option<MerklePath>,
    /// The blind of its binding.
    #[serde(with = "crate::serde_hex::digest")]
    pub blind: Digest,
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

/// The witness of a compliance proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceWitness {
    /// Per consumed nullifier.
    pub consumed: Vec<ConsumedWitness>,
    /// Per created commitment.
    pub created: Vec<CreatedWitness>,
}

/// A resource of the action opened for a logic: the resource and, when consumed, the
/// blind of its binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    /// The resource.
    pub resource: Resource,
    /// The binding's blind (consumed resources only).
    #[serde(default, with = "opt_digest")]
    pub blind: Option<Digest>,
}

mod opt_digest {
    use resvm_field::Digest;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(d: &Option<Digest>, s: S) -> Result<S::Ok, S::Error> {
        d.map(|d| d.to_hex()).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Digest>, D::Error> {
        use serde::de::Error as _;
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => crate::serde_hex::parse_digest(&s)
                .map(Some)
                .map_err(D::Error::custom),
        }
    }
}

/// The witness of a logic proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogicWitness {
    /// The resource behind the tag.
    pub own: Opened,
    /// A second resource of the action: (created?, index, opened).
    pub other: Option<(bool, u64, Opened)>,
}

/// A proving system for the two statements. Proofs are opaque bytes; a verifier must
/// return an error (never panic) on any bytes.
pub trait ProvingBackend: Send + Sync {
    /// The backend's name, recorded in every action it proves.
    fn name(&self) -> &'static str;

    /// Proves compliance.
    fn prove_compliance(
        &self,
        stmt: &ComplianceStatement,
        witness: &ComplianceWitness,
    ) -> Result<Vec<u8>, Error>;

    /// Verifies a compliance proof.
    fn verify_compliance(&self, stmt: &ComplianceStatement, proof: &[u8]) -> Result<(), Error>;

    /// Proves that `logic` accepts `inst` (with the action's statement for the openings).
    fn prove_logic(
        &self,
        logic: &LogicProgram,
        inst: &LogicInstance,
        stmt: &ComplianceStatement,
        witness: &LogicWitness,
    ) -> Result<Vec<u8>, Error>;

    /// Verifies a logic proof.
    fn verify_logic(
        &self,
        logic: &LogicProgram,
        inst: &LogicInstance,
        stmt: &ComplianceStatement,
        proof: &[u8],
    ) -> Result<(), Error>;
}

/// The re-execution backend: a "proof" is the witness (with the instance it was made for),
/// and the verifier re-checks every claim and re-runs every logic in the resvm VM.
///
/// **Not zero-knowledge**: its proofs reveal every resource, the nonce randomness and the
/// binding blinds, and anyone holding one can make the same proof again for another
/// instance. It is sound (a verifier accepts only true statements) and fast: for tests,
/// benchmarks of everything but proving, and trusted settings.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReexecBackend;

/// The magic prefix of re-execution proofs.
const MAGIC_COMPLIANCE: &[u8; 4] = b"RXC1";
const MAGIC_LOGIC: &[u8; 4] = b"RXL1";

#[derive(Serialize, Deserialize)]
struct ComplianceProofData {
    #[serde(with = "crate::serde_hex::digest")]
    action: Digest,
    witness: ComplianceWitness,
}

#[derive(Serialize, Deserialize)]
struct LogicProofData {
    created: bool,
    #[serde(with = "crate::serde_hex::digest")]
    tag: Digest,
    #[serde(with = "crate::serde_hex::digest")]
    action: Digest,
    witness: LogicWitness,
}

fn encode<T: Serialize>(magic: &[u8; 4], v: &T) -> Result<Vec<u8>, Error> {
    let mut out = magic.to_vec();
    out.extend(postcard::to_allocvec(v).map_err(|e| Error::InvalidProof(e.to_string()))?);
    Ok(out)
}

fn decode<T: for<'de> Deserialize<'de>>(magic: &[u8; 4], bytes: &[u8]) -> Result<T, Error> {
    let body = bytes
        .strip_prefix(magic.as_slice())
        .ok_or_else(|| Error::InvalidProof("not a re-execution proof (bad magic)".into()))?;
    let (v, rest) = postcard::take_from_bytes(body)
        .map_err(|e| Error::InvalidProof(format!("undecodable proof: {e}")))?;
    if !rest.is_empty() {
        return Err(Error::InvalidProof("trailing bytes after the proof".into()));
    }
    Ok(v)
}

/// Checks that `opened` is the resource behind (created?, index) of the statement.
fn check_opening(
    stmt: &ComplianceStatement,
    created: bool,
    index: u64,
    opened: &Opened,
) -> Result<(), String> {
    let cm = opened.resource.commitment();
    let i = usize::try_from(index).map_err(|_| "index out of range".to_string())?;
    if created {
        match stmt.created.get(i) {
            Some(c) if *c == cm => Ok(()),
            Some(_) => Err(format!("resource does not open created commitment {i}")),
            None => Err(format!("no created commitment {i}")),
        }
    } else {
        let (Some(n), Some(b)) = (stmt.consumed.get(i), stmt.bindings.get(i)) else {
            return Err(format!("no consumed nullifier {i}"));
        };
        let blind = opened
            .blind
            .ok_or_else(|| "a consumed resource needs its binding's blind".to_string())?;
        if resource_binding(n, &cm, &blind) != *b {
            return Err(format!(
                "resource does not open the binding of consumed nullifier {i}"
            ));
        }
        Ok(())
    }
}

impl ReexecBackend {
    fn check_compliance(stmt: &ComplianceStatement, w: &ComplianceWitness) -> Result<(), String> {
        let nc = stmt.consumed.len();
        if w.consumed.len() != nc || w.created.len() != stmt.created.len() {
            return Err("witness counts differ from the statement's lists".into());
        }
        if stmt.roots.len() != nc || stmt.bindings.len() != nc {
            return Err("roots/bindings counts differ from the consumed list".into());
        }
        if stmt.logics.len() != nc + stmt.created.len() {
            return Err("one logic per tag".into());
        }
        let mut delta = Delta::zero();
        for (i, cw) in w.consumed.iter().enumerate() {
            let r = &cw.resource;
            let n = &stmt.consumed[i];
            r.check_bounds().map_err(|e| e.to_string())?;
            if !r.is_nullifier(n) {
                return Err(format!("nullifier {n} does not match its resource's nc"));
            }
            if stmt.logics[i] != r.logic {
                return Err(format!("consumed {i}: logic differs from the resource's"));
            }
            let cm = r.commitment();
            if resource_binding(n, &cm, &cw.blind) != stmt.bindings[i] {
                return Err(format!("consumed {i}: binding does not open"));
            }
            match (r.ephemeral, &stmt.roots[i], &cw.path) {
                (true, None, None) => {}
                (true, _, _) => {
                    return Err(format!(
                        "consumed {i}: ephemeral resources carry no root or path"
                    ))
                }
                (false, Some(root), Some(path)) => {
                    if !verify_path(&cm, path, root) {
                        return Err(format!(
                            "consumed {i}: commitment is not in the tree with root {root}"
                        ));
                    }
                }
                (false, _, _) => {
                    return Err(format!(
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
            r.check_bounds().map_err(|e| e.to_string())?;
            if r.nonce != derive_nonce(&nfd, j as u64, &cw.rand) {
                return Err(format!(
                    "created {j}: nonce is not derived from the action's nullifiers"
                ));
            }
            if r.commitment() != stmt.created[j] {
                return Err(format!(
                    "created {j}: resource does not open its commitment"
                ));
            }
            if stmt.logics[nc + j] != r.logic {
                return Err(format!("created {j}: logic differs from the resource's"));
            }
            let (k, q) = r.delta();
            delta.add(k, -(q as i128));
        }
        if delta != *stmt.delta {
            return Err(format!(
                "delta is {delta}, the action claims {}",
                stmt.delta
            ));
        }
        Ok(())
    }

    fn logic_inputs(
        inst: &LogicInstance,
        stmt: &ComplianceStatement,
        w: &LogicWitness,
    ) -> Result<Vec<resvm_field::F>, Error> {
        let index = if inst.created {
            stmt.created.iter().position(|c| *c == inst.tag)
        } else {
            stmt.consumed.iter().position(|c| *c == inst.tag)
        }
        .ok_or_else(|| Error::InvalidProof(format!("tag {} is not in the action", inst.tag)))?;
        check_opening(stmt, inst.created, index as u64, &w.own)
            .map_err(|e| Error::InvalidProof(format!("logic proof for {}: {e}", inst.tag)))?;
        let other = match &w.other {
            None => None,
            Some((created, index, o)) => {
                check_opening(stmt, *created, *index, o).map_err(|e| {
                    Error::InvalidProof(format!(
                        "logic proof for {}: second resource: {e}",
                        inst.tag
                    ))
                })?;
                Some(Other {
                    created: *created,
                    index: *index,
                    resource: o.resource,
                })
            }
        };
        Ok(abi_inputs(inst, &w.own.resource, other.as_ref()))
    }
}

impl ProvingBackend for ReexecBackend {
    fn name(&self) -> &'static str {
        "reexec-v1"
    }

    fn prove_compliance(
        &self,
        stmt: &ComplianceStatement,
        witness: &ComplianceWitness,
    ) -> Result<Vec<u8>, Error> {
        Self::check_compliance(stmt, witness).map_err(Error::InvalidProof)?;
        encode(
            MAGIC_COMPLIANCE,
            &ComplianceProofData {
                action: stmt.action,
                witness: witness.clone(),
            },
        )
    }

    fn verify_compliance(&self, stmt: &ComplianceStatement, proof: &[u8]) -> Result<(), Error> {
        let d: ComplianceProofData = decode(MAGIC_COMPLIANCE, proof)?;
        Self::check_compliance(stmt, &d.witness)
            .map_err(|e| Error::InvalidProof(format!("compliance: {e}")))?;
        if d.action != stmt.action {
            return Err(Error::InvalidProof(
                "compliance proof was made for another action".into(),
            ));
        }
        Ok(())
    }

    fn prove_logic(
        &self,
        logic: &LogicProgram,
        inst: &LogicInstance,
        stmt: &ComplianceStatement,
        witness: &LogicWitness,
    ) -> Result<Vec<u8>, Error> {
        let inputs = Self::logic_inputs(inst, stmt, witness)?;
        logic
            .check(&inputs)
            .map_err(|reason| Error::LogicRejected {
                logic: logic.digest(),
                what: if inst.created {
                    "created commitment"
                } else {
                    "consumed nullifier"
                },
                tag: inst.tag,
                reason,
            })?;
        encode(
            MAGIC_LOGIC,
            &LogicProofData {
                created: inst.created,
                tag: inst.tag,
                action: inst.action,
                witness: witness.clone(),
            },
        )
    }

    fn verify_logic(
        &self,
        logic: &LogicProgram,
        inst: &LogicInstance,
        stmt: &ComplianceStatement,
        proof: &[u8],
    ) -> Result<(), Error> {
        let d: LogicProofData = decode(MAGIC_LOGIC, proof)?;
        if d.action != inst.action || d.tag != inst.tag || d.created != inst.created {
            return Err(Error::InvalidProof(format!(
                "logic proof for {} was made for another action or tag",
                inst.tag
            )));
        }
        if d.witness.own.resource.logic != logic.digest() {
            return Err(Error::InvalidProof(format!(
                "logic proof for {}: resource's logic is not the logic verified",
                inst.tag
            )));
        }
        let inputs = Self::logic_inputs(inst, stmt, &d.witness)?;
        logic.check(&inputs).map_err(|reason| Error::LogicRejected {
            logic: logic.digest(),
            what: "",
            tag: inst.tag,
            reason,
        })
    }
}
