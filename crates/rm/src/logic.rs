//! Resource logics: resvm programs with a fixed parameter list (the logic ABI v1), and
//! the compiled-program cache verifiers use.
//!
//! ABI v1 (documented in `docs/resource-machine.md`): `main` takes [`ABI_ARITY`] field
//! elements (a `d` parameter counts as four), the first [`ABI_PUBLIC`] public (the
//! instance), the rest `secret` (the witness), and returns 1 to accept (any other value, or
//! a trap, rejects). Element offsets:
//!
//! | # | name | meaning |
//! |---|---|---|
//! | 0 | `created` | 1: the resource is created, 0: consumed (the spec's last component) |
//! | 1–4 | `tag` | its commitment (created) or nullifier (consumed) |
//! | 5–8 | `action` | the action digest: binds the consumed, created and extradata lists |
//! | 9, 10 | `n_consumed`, `n_created` | the action's list lengths |
//! | 11–14 | `logic` | secret from here: the resource behind the tag: its logic digest |
//! | 15–18 | `label` | |
//! | 19 | `quantity` | |
//! | 20–23 | `value` | |
//! | 24 | `ephemerality` | 0 ephemeral, 1 persistent |
//! | 25–28 | `kind` | its kind (computed by compliance) |
//! | 29 | `o_present` | 1 when a second resource of the action is shown, else 0 (and 30–49 are 0) |
//! | 30, 31 | `o_created`, `o_index` | which list and position it is at |
//! | 32–49 | `o_logic`, `o_label`, `o_quantity`, `o_value`, `o_ephemerality`, `o_kind` | its fields |
//! | 50–53 | `aux0` | a free digest chosen by the prover (e.g. a secret key) |
//! | 54–57 | `aux1` | a second one |
//! | 58–61 | `aux_hash` | `merge(aux0, aux1)` (so logics can check a key against a key hash) |
//!
//! The second resource is chosen by the prover (an existential witness: "the action creates
//! some resource such that ..."); compliance guarantees it is the resource at that position
//! of the action.

use crate::resource::Resource;
use crate::Error;
use resvm_field::{Digest, F};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The number of parameters of a logic's `main`.
pub const ABI_ARITY: usize = 62;
/// The number of public parameters (the instance) at the front.
pub const ABI_PUBLIC: usize = 11;
/// The step budget of one logic run (verifiers must terminate).
pub const LOGIC_MAX_STEPS: u64 = 1_000_000;

/// A compiled logic and its source.
#[derive(Debug)]
pub struct LogicProgram {
    /// The source text.
    pub source: String,
    /// The compiled program.
    pub compiled: resvm::Compiled,
}

impl LogicProgram {
    /// Compiles a logic and checks it follows the ABI (arity, public/secret pattern).
    pub fn compile(source: &str) -> Result<Self, Error> {
        let compiled = resvm::compile(source).map_err(|e| Error::LogicCompile(e.to_string()))?;
        let secret = compiled.program.secret_params();
        let expected: Vec<bool> = (0..ABI_ARITY).map(|i| i >= ABI_PUBLIC).collect();
        if secret != expected {
            return Err(Error::LogicAbi(format!(
                "main must take {ABI_ARITY} parameters, the first {ABI_PUBLIC} public and the rest `secret` (it takes {}, {} secret)",
                secret.len(),
                secret.iter().filter(|s| **s).count()
            )));
        }
        Ok(LogicProgram {
            source: source.to_string(),
            compiled,
        })
    }

    /// The logic digest (the program digest), as resources name it.
    pub fn digest(&self) -> Digest {
        self.compiled.program.digest()
    }

    /// Runs the logic on an instance and witness; `Ok(())` when it returns 1.
    pub fn check(&self, inputs: &[F]) -> Result<(), String> {
        let limits = resvm::Limits {
            max_steps: Some(LOGIC_MAX_STEPS),
            ..Default::default()
        };
        match resvm::run(&self.compiled, resvm::Engine::Stack, inputs, &limits) {
            Ok(b) if b == F::new(1) => Ok(()),
            Ok(b) => Err(format!("returned {}", resvm_field::canonical(b))),
            Err(t) => Err(format!("trapped: {t}")),
        }
    }
}

/// A second resource of the action shown to a logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Other {
    /// Whether it is a created resource (else consumed).
    pub created: bool,
    /// Its index in the action's created or consumed list.
    pub index: u64,
    /// The resource.
    pub resource: Resource,
}

/// The public instance of one logic proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogicInstance {
    /// Whether the resource is created (else consumed).
    pub created: bool,
    /// Its commitment (created) or nullifier (consumed).
    pub tag: Digest,
    /// The action digest.
    pub action: Digest,
    /// Number of consumed resources of the action.
    pub n_consumed: u64,
    /// Number of created resources of the action.
    pub n_created: u64,
}

fn push_resource(v: &mut Vec<F>, r: &Resource) {
    v.extend(r.logic.elements());
    v.extend(r.label.elements());
    v.push(F::new(r.quantity));
    v.extend(r.value.elements());
    v.push(F::new(r.ephemerality()));
    v.extend(r.kind().elements());
}

/// The inputs of a logic run under ABI v1 (see the module docs for the layout).
pub fn abi_inputs(
    inst: &LogicInstance,
    own: &Resource,
    other: Option<&Other>,
    aux: &[Digest; 2],
) -> Vec<F> {
    let mut v = Vec::with_capacity(ABI_ARITY);
    v.push(F::new(inst.created as u64));
    v.extend(inst.tag.elements());
    v.extend(inst.action.elements());
    v.push(F::new(inst.n_consumed));
    v.push(F::new(inst.n_created));
    push_resource(&mut v, own);
    match other {
        None => v.resize(v.len() + OTHER_LEN, F::new(0)),
        Some(o) => {
            v.push(F::new(1));
            v.push(F::new(o.created as u64));
            v.push(F::new(o.index));
            push_resource(&mut v, &o.resource);
        }
    }
    v.extend(aux[0].elements());
    v.extend(aux[1].elements());
    v.extend(resvm_field::merge(&aux[0], &aux[1]).elements());
    debug_assert_eq!(v.len(), ABI_ARITY);
    v
}

/// Elements of the "other resource" block (present, created, index, then the fields).
const OTHER_LEN: usize = 3 + RESOURCE_LEN;
/// Elements of a resource as logics see it (logic, label, quantity, value, ephemerality, kind).
pub const RESOURCE_LEN: usize = 18;

/// Compiled logics by digest, shared by provers and verifiers (compiling is deterministic,
/// so a digest names one program). Single-threaded: compiled programs are not `Sync`.
#[derive(Clone, Default)]
pub struct LogicCache {
    inner: Rc<RefCell<HashMap<Digest, Rc<LogicProgram>>>>,
}

impl LogicCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compiles (or finds) a logic from its source; returns it with its digest.
    pub fn add_source(&self, source: &str) -> Result<Rc<LogicProgram>, Error> {
        let p = Rc::new(LogicProgram::compile(source)?);
        let mut m = self.inner.borrow_mut();
        Ok(m.entry(p.digest()).or_insert(p).clone())
    }

    /// The logic with this digest, if known.
    pub fn get(&self, digest: &Digest) -> Option<Rc<LogicProgram>> {
        self.inner.borrow().get(digest).cloned()
    }

    /// The logic with this digest: from the cache, else compiled from `source` (which must
    /// compile to exactly this digest).
    pub fn resolve(
        &self,
        digest: &Digest,
        source: Option<&str>,
    ) -> Result<Rc<LogicProgram>, Error> {
        if let Some(p) = self.get(digest) {
            return Ok(p);
        }
        let src = source.ok_or(Error::MissingProgram(*digest))?;
        let p = self.add_source(src)?;
        if p.digest() != *digest {
            return Err(Error::ProgramDigestMismatch {
                expected: *digest,
                found: p.digest(),
            });
        }
        Ok(p)
    }
}
