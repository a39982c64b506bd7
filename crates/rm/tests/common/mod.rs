//! Shared test helpers: the example logics, fresh secrets, mints and transfers.
#![allow(dead_code)]

use rand::SeedableRng;
use resvm_field::Digest;
use resvm_rm::resource::{nullifier_commitment, random_digest};
use resvm_rm::{
    ActionBuilder, LogicCache, MemoryTree, PartialTransaction, ProvingBackend, ReexecBackend,
    Resource, StarkBackend,
};
use std::collections::HashSet;

pub const ALWAYS_ACCEPT: &str = include_str!("../../../../examples/rm/always_accept.rvm");
pub const ALWAYS_REJECT: &str = include_str!("../../../../examples/rm/always_reject.rvm");
pub const COUNTER: &str = include_str!("../../../../examples/rm/counter.rvm");
pub const TOKEN: &str = include_str!("../../../../examples/rm/token.rvm");
pub const INTENT: &str = include_str!("../../../../examples/rm/intent.rvm");

pub struct World {
    pub logics: LogicCache,
    pub backend: Box<dyn ProvingBackend>,
    pub rng: rand::rngs::StdRng,
    pub accept: Digest,
    pub reject: Digest,
    pub counter: Digest,
    pub token: Digest,
    pub intent: Digest,
}

impl World {
    /// A world proving with the re-execution backend.
    pub fn new(seed: u64) -> World {
        Self::with_backend(seed, Box::new(ReexecBackend))
    }

    /// A world proving with the STARK backend (standard parameters).
    pub fn stark(seed: u64) -> World {
        Self::with_backend(seed, Box::new(StarkBackend::new()))
    }

    pub fn with_backend(seed: u64, backend: Box<dyn ProvingBackend>) -> World {
        let logics = LogicCache::new();
        let accept = logics.add_source(ALWAYS_ACCEPT).unwrap().digest();
        let reject = logics.add_source(ALWAYS_REJECT).unwrap().digest();
        let counter = logics.add_source(COUNTER).unwrap().digest();
        let token = logics.add_source(TOKEN).unwrap().digest();
        let intent = logics.add_source(INTENT).unwrap().digest();
        World {
            logics,
            backend,
            rng: rand::rngs::StdRng::seed_from_u64(seed),
            accept,
            reject,
            counter,
            token,
            intent,
        }
    }

    /// A fresh verifier cache (knows no program: everything comes from the transaction).
    pub fn verifier_cache(&self) -> LogicCache {
        LogicCache::new()
    }

    pub fn digest(&mut self) -> Digest {
        random_digest(&mut self.rng)
    }

    /// A resource with a fresh nullifier; returns it with its nullifier.
    pub fn resource(
        &mut self,
        logic: Digest,
        label: Digest,
        quantity: u64,
        ephemeral: bool,
    ) -> (Resource, Digest) {
        let n = self.digest();
        let r = Resource {
            logic,
            label,
            quantity,
            value: Digest([0; 4]),
            nonce: self.digest(),
            nc: nullifier_commitment(&n),
            ephemeral,
        };
        (r, n)
    }

    /// A balanced mint of `quantity` of (logic, label): consumes an ephemeral resource of
    /// that kind, creates a persistent one. Returns the transaction, the created resource and
    /// its nullifier.
    pub fn mint(
        &mut self,
        logic: Digest,
        label: Digest,
        quantity: u64,
    ) -> (PartialTransaction, Resource, Digest) {
        let (eph, en) = self.resource(logic, label, quantity, true);
        let (out, on) = self.resource(logic, label, quantity, false);
        let mut b = ActionBuilder::new();
        b.consume(eph, en, None).unwrap();
        b.create(out).unwrap();
        let (a, created) = b
            .prove(&*self.backend, &self.logics, &mut self.rng)
            .unwrap();
        (PartialTransaction::single(a), created[0], on)
    }

    /// Transfers `r` (in `tree`) into one new resource of the same kind and quantity.
    pub fn transfer(
        &mut self,
        tree: &MemoryTree,
        index: u64,
        r: Resource,
        n: Digest,
    ) -> (PartialTransaction, Resource, Digest) {
        let (out, on) = self.resource(r.logic, r.label, r.quantity, false);
        let mut b = ActionBuilder::new();
        b.consume(r, n, Some((tree.path(index).unwrap(), tree.root())))
            .unwrap();
        b.create(out).unwrap();
        let (a, created) = b
            .prove(&*self.backend, &self.logics, &mut self.rng)
            .unwrap();
        (PartialTransaction::single(a), created[0], on)
    }
}

/// The roots a memory tree has had, as a commitment set.
pub struct Cs {
    pub tree: MemoryTree,
    pub roots: HashSet<Digest>,
}

impl Cs {
    pub fn new() -> Cs {
        let tree = MemoryTree::new();
        let mut roots = HashSet::new();
        roots.insert(tree.root());
        Cs { tree, roots }
    }

    /// Appends a transaction's created commitments, records the new root, returns the
    /// index of the first one.
    pub fn add(&mut self, tx: &PartialTransaction) -> u64 {
        let first = self.tree.len();
        for c in tx.created() {
            self.tree.append(*c).unwrap();
        }
        self.roots.insert(self.tree.root());
        first
    }
}
