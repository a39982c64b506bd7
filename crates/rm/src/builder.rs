//! Building and proving actions, and executables.
//!
//! An [`ActionBuilder`] holds what one party knows (the plaintexts, nullifier secrets,
//! membership paths) until [`ActionBuilder::prove`] derives the created nonces, makes the
//! one proof of compliance and of every tag's logic, and returns the [`Action`] with the final
//! created resources (which the party keeps: it needs them to spend later).
//!
//! An [`Executable`] is code run on a builder before proving (the spec's PTX_executable):
//! it may read resources by address from a [`ResourceStore`], read and append extradata,
//! and add consumed and created resources (so it changes the delta). Executables are Rust
//! code for now; the action records the executable's name.

use crate::backend::{
    ActionStatement, ActionWitness, AuxDigest, ConsumedWitness, CreatedWitness, ProvingBackend,
    TagWitness,
};
use crate::logic::{LogicCache, LogicProgram};
use crate::resource::{derive_nonce, nullifiers_digest, random_digest, Resource};
use crate::store::ResourceStore;
use crate::transaction::{action_digest, Action, Delta, ProgramSource, Proofs};
use crate::tree::MerklePath;
use crate::Error;
use resvm_field::Digest;
use std::collections::BTreeSet;
use std::rc::Rc;

/// Which second resource of the action a resource's logic is shown (see the logic ABI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtherRef {
    /// The i-th consumed resource.
    Consumed(usize),
    /// The i-th created resource.
    Created(usize),
}

#[derive(Clone, Debug)]
struct Consumed {
    resource: Resource,
    nullifier: Digest,
    path: Option<(MerklePath, Digest)>,
    other: Option<OtherRef>,
    aux: [Digest; 2],
}

#[derive(Clone, Debug)]
struct Created {
    resource: Resource,
    other: Option<OtherRef>,
    aux: [Digest; 2],
    public: bool,
}

/// An action under construction.
#[derive(Clone, Debug, Default)]
pub struct ActionBuilder {
    consumed: Vec<Consumed>,
    created: Vec<Created>,
    extradata: Vec<u64>,
    executable: Option<String>,
}

impl ActionBuilder {
    /// An empty action.
    pub fn new() -> Self {
        Self::default()
    }

    /// Consumes a resource with its nullifier (the owner's secret) and, for a persistent
    /// one, a membership path with the root it leads to. Returns its index.
    pub fn consume(
        &mut self,
        resource: Resource,
        nullifier: Digest,
        path: Option<(MerklePath, Digest)>,
    ) -> Result<usize, Error> {
        resource.check_bounds()?;
        if !resource.is_nullifier(&nullifier) {
            return Err(Error::Malformed(format!(
                "nullifier {nullifier} does not match the resource's nc"
            )));
        }
        if !resource.ephemeral && path.is_none() {
            return Err(Error::Malformed(
                "a persistent resource needs a membership path to be consumed".into(),
            ));
        }
        self.consumed.push(Consumed {
            resource,
            nullifier,
            path: if resource.ephemeral { None } else { path },
            other: None,
            aux: [Digest([0; 4]); 2],
        });
        Ok(self.consumed.len() - 1)
    }

    /// Creates a resource (its nonce is replaced by the derived one when proving).
    /// Returns its index.
    pub fn create(&mut self, resource: Resource) -> Result<usize, Error> {
        resource.check_bounds()?;
        self.created.push(Created {
            resource,
            other: None,
            aux: [Digest([0; 4]); 2],
            public: false,
        });
        Ok(self.created.len() - 1)
    }

    /// Marks created resource `i` to be published (its plaintext goes to the ledger).
    pub fn publish(&mut self, i: usize) -> Result<(), Error> {
        let c = self
            .created
            .get_mut(i)
            .ok_or_else(|| Error::Malformed(format!("no created resource {i}")))?;
        c.public = true;
        Ok(())
    }

    /// Shows the logic of consumed resource `i` the resource `other`.
    pub fn show_consumed(&mut self, i: usize, other: OtherRef) -> Result<(), Error> {
        self.check_ref(other)?;
        let c = self
            .consumed
            .get_mut(i)
            .ok_or_else(|| Error::Malformed(format!("no consumed resource {i}")))?;
        c.other = Some(other);
        Ok(())
    }

    /// Shows the logic of created resource `i` the resource `other`.
    pub fn show_created(&mut self, i: usize, other: OtherRef) -> Result<(), Error> {
        self.check_ref(other)?;
        let c = self
            .created
            .get_mut(i)
            .ok_or_else(|| Error::Malformed(format!("no created resource {i}")))?;
        c.other = Some(other);
        Ok(())
    }

    /// Sets the auxiliary witness (ABI v1 `aux0`, `aux1`) of consumed resource `i`'s logic,
    /// e.g. the owner's secret key.
    pub fn aux_consumed(&mut self, i: usize, aux: [Digest; 2]) -> Result<(), Error> {
        let c = self
            .consumed
            .get_mut(i)
            .ok_or_else(|| Error::Malformed(format!("no consumed resource {i}")))?;
        c.aux = aux;
        Ok(())
    }

    /// Sets the auxiliary witness of created resource `i`'s logic.
    pub fn aux_created(&mut self, i: usize, aux: [Digest; 2]) -> Result<(), Error> {
        let c = self
            .created
            .get_mut(i)
            .ok_or_else(|| Error::Malformed(format!("no created resource {i}")))?;
        c.aux = aux;
        Ok(())
    }

    fn check_ref(&self, r: OtherRef) -> Result<(), Error> {
        let ok = match r {
            OtherRef::Consumed(i) => i < self.consumed.len(),
            OtherRef::Created(i) => i < self.created.len(),
        };
        ok.then_some(())
            .ok_or_else(|| Error::Malformed(format!("no resource {r:?} in the action")))
    }

    /// The extradata so far.
    pub fn extradata(&self) -> &[u64] {
        &self.extradata
    }

    /// Appends an extradata element (reduced into the field).
    pub fn push_extradata(&mut self, x: u64) {
        self.extradata
            .push(resvm_field::canonical(resvm_field::from_u64(x)));
    }

    /// Runs an executable on this builder with `store` for reads.
    pub fn execute(
        &mut self,
        exe: &dyn Executable,
        store: &dyn ResourceStore,
    ) -> Result<(), Error> {
        self.executable = Some(exe.name().to_string());
        let mut ctx = ExecContext {
            builder: self,
            store,
        };
        exe.run(&mut ctx)
    }

    /// Derives nonces, proves compliance and every logic, and returns the action with the
    /// created resources as they now are (final nonces). Every logic must be in `logics`.
    pub fn prove(
        &self,
        backend: &dyn ProvingBackend,
        logics: &LogicCache,
        rng: &mut impl rand::Rng,
    ) -> Result<(Action, Vec<Resource>), Error> {
        if !self.created.is_empty() && self.consumed.is_empty() {
            return Err(Error::Malformed(
                "an action that creates resources must consume at least one (created nonces derive from consumed nullifiers; mint by consuming an ephemeral resource)".into(),
            ));
        }
        let nullifiers: Vec<Digest> = self.consumed.iter().map(|c| c.nullifier).collect();
        let nfd = nullifiers_digest(&nullifiers);
        let mut delta = Delta::zero();
        let mut cw = Vec::new();
        let mut roots = Vec::new();
        for c in &self.consumed {
            roots.push(c.path.as_ref().map(|(_, r)| *r));
            let (k, q) = c.resource.delta();
            delta.add(k, q as i128);
            cw.push(ConsumedWitness {
                resource: c.resource,
                path: c.path.as_ref().map(|(p, _)| p.clone()),
            });
        }
        let mut mw = Vec::new();
        let mut created = Vec::new();
        for (j, c) in self.created.iter().enumerate() {
            let rand = random_digest(rng);
            let mut r = c.resource;
            r.nonce = derive_nonce(&nfd, j as u64, &rand);
            let (k, q) = r.delta();
            delta.add(k, -(q as i128));
            created.push(r);
            mw.push(CreatedWitness { resource: r, rand });
        }
        let commitments: Vec<Digest> = created.iter().map(Resource::commitment).collect();
        let logic_ids: Vec<Digest> = self
            .consumed
            .iter()
            .map(|c| c.resource.logic)
            .chain(created.iter().map(|r| r.logic))
            .collect();
        let digest = action_digest(&nullifiers, &commitments, &self.extradata);
        let stmt = ActionStatement {
            consumed: &nullifiers,
            created: &commitments,
            roots: &roots,
            logics: &logic_ids,
            delta: &delta,
            action: digest,
        };
        let side = |other: Option<OtherRef>, aux: [Digest; 2]| TagWitness {
            other: other.map(|o| match o {
                OtherRef::Consumed(i) => (false, i as u64),
                OtherRef::Created(j) => (true, j as u64),
            }),
            aux: aux.map(AuxDigest),
        };
        let tags: Vec<TagWitness> = self
            .consumed
            .iter()
            .map(|c| side(c.other, c.aux))
            .chain(self.created.iter().map(|c| side(c.other, c.aux)))
            .collect();
        let witness = ActionWitness {
            consumed: cw,
            created: mw,
            tags,
        };
        let programs: Vec<Rc<LogicProgram>> = logic_ids
            .iter()
            .map(|d| logics.get(d).ok_or(Error::MissingProgram(*d)))
            .collect::<Result<_, _>>()?;
        let refs: Vec<&LogicProgram> = programs.iter().map(|p| p.as_ref()).collect();
        let proof = backend.prove(&stmt, &refs, &witness)?;
        let used: BTreeSet<Digest> = logic_ids.iter().copied().collect();
        let sources = used
            .iter()
            .map(|d| {
                let p = logics.get(d).ok_or(Error::MissingProgram(*d))?;
                Ok(ProgramSource {
                    digest: *d,
                    source: p.source.clone(),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let public = self
            .created
            .iter()
            .zip(&created)
            .filter(|(c, _)| c.public)
            .map(|(_, r)| *r)
            .collect();
        let action = Action {
            created: commitments,
            consumed: nullifiers,
            delta,
            extradata: self.extradata.clone(),
            executable: self.executable.clone(),
            public,
            proofs: Proofs {
                backend: backend.name().to_string(),
                roots,
                logics: logic_ids,
                proof,
                programs: sources,
            },
        };
        Ok((action, created))
    }
}

/// What an executable can do to the action it runs in.
pub struct ExecContext<'a> {
    builder: &'a mut ActionBuilder,
    store: &'a dyn ResourceStore,
}

impl ExecContext<'_> {
    /// Reads a resource by address.
    pub fn read(&self, address: &Digest) -> Result<Resource, Error> {
        self.store
            .resource(address)
            .ok_or(Error::UnknownResource(*address))
    }

    /// The extradata so far.
    pub fn extradata(&self) -> &[u64] {
        self.builder.extradata()
    }

    /// Appends to the extradata.
    pub fn push_extradata(&mut self, x: u64) {
        self.builder.push_extradata(x)
    }

    /// Consumes the resource at `address`: its nullifier and (when persistent) its path come
    /// from the store. Returns its index among the consumed.
    pub fn consume(&mut self, address: &Digest) -> Result<usize, Error> {
        let r = self.read(address)?;
        let n = self.store.nullifier(address).ok_or_else(|| {
            Error::Executable(format!("the store holds no nullifier for {address}"))
        })?;
        let path = if r.ephemeral {
            None
        } else {
            Some(self.store.path(address).ok_or_else(|| {
                Error::Executable(format!("the store has no membership path for {address}"))
            })?)
        };
        self.builder.consume(r, n, path)
    }

    /// Consumes an ephemeral resource given in full with its nullifier.
    pub fn consume_ephemeral(&mut self, r: Resource, nullifier: Digest) -> Result<usize, Error> {
        if !r.ephemeral {
            return Err(Error::Executable(
                "consume_ephemeral needs an ephemeral resource".into(),
            ));
        }
        self.builder.consume(r, nullifier, None)
    }

    /// Creates a resource. Returns its index among the created.
    pub fn create(&mut self, r: Resource) -> Result<usize, Error> {
        self.builder.create(r)
    }

    /// The builder (to set which second resource each logic is shown).
    pub fn builder(&mut self) -> &mut ActionBuilder {
        self.builder
    }
}

/// Code run on an action before it is proven (the spec's PTX_executable).
pub trait Executable {
    /// The name recorded in the action.
    fn name(&self) -> &str;
    /// Runs.
    fn run(&self, ctx: &mut ExecContext) -> Result<(), Error>;
}

/// The counter example's executable: consumes the counter resource at `address` and
/// creates its successor, whose value's first element is one more, with nullifier
/// commitment `next_nc`; the new value is appended to the extradata.
pub struct CounterIncrement {
    /// The counter's address.
    pub address: Digest,
    /// The successor's nullifier commitment.
    pub next_nc: Digest,
}

impl Executable for CounterIncrement {
    fn name(&self) -> &str {
        "counter-increment"
    }

    fn run(&self, ctx: &mut ExecContext) -> Result<(), Error> {
        let old = ctx.read(&self.address)?;
        let i = ctx.consume(&self.address)?;
        let mut next = old;
        let v = resvm_field::from_u64(old.value.0[0]) + resvm_field::from_u64(1);
        next.value.0[0] = resvm_field::canonical(v);
        next.nc = self.next_nc;
        next.ephemeral = false;
        let j = ctx.create(next)?;
        ctx.builder().show_consumed(i, OtherRef::Created(j))?;
        ctx.builder().show_created(j, OtherRef::Consumed(i))?;
        ctx.push_extradata(next.value.0[0]);
        Ok(())
    }
}
