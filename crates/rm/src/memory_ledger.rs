//! A ledger in memory: the same state as the redb [`crate::Ledger`] (commitment tree with its
//! nodes, historical roots, nullifier set, published public resources) and the same rules
//! ([`crate::state::check_state`], then every proof), kept in hash maps and lost when
//! dropped. For the browser playground, where there is no file system, and for tests.

use crate::backend::ProvingBackend;
use crate::logic::LogicCache;
use crate::resource::Resource;
use crate::state::{check_state, LedgerApi, LedgerStatus, LedgerView};
use crate::store::ResourceStore;
use crate::transaction::{PartialTransaction, RootSet};
use crate::tree::{empty_roots, MemoryTree, MerklePath, DEPTH};
use crate::Error;
use resvm_field::Digest;
use std::collections::{HashMap, HashSet};

/// A ledger held in memory (see the module documentation).
#[derive(Clone, Debug)]
pub struct MemoryLedger {
    tree: MemoryTree,
    /// Commitment → leaf index.
    commitments: HashMap<Digest, u64>,
    roots: HashSet<Digest>,
    nullifiers: HashSet<Digest>,
    public: HashMap<Digest, Resource>,
    transactions: u64,
}

impl Default for MemoryLedger {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryLedger {
    /// An empty ledger: the empty tree's root is its one historical root.
    pub fn new() -> Self {
        MemoryLedger {
            tree: MemoryTree::new(),
            commitments: HashMap::new(),
            roots: HashSet::from([empty_roots()[DEPTH]]),
            nullifiers: HashSet::new(),
            public: HashMap::new(),
            transactions: 0,
        }
    }

    /// The current root.
    pub fn root(&self) -> Digest {
        self.tree.root()
    }

    /// Verifies a transaction against the ledger without changing it, as
    /// [`crate::Ledger::check`] does.
    pub fn check(
        &self,
        tx: &PartialTransaction,
        backend: &dyn ProvingBackend,
        logics: &LogicCache,
    ) -> Result<(), Error> {
        check_state(self, tx)?;
        crate::transaction::verify_actions(&tx.actions, backend, logics)
    }

    /// Applies a transaction that passed [`MemoryLedger::check`]. Nothing after the capacity
    /// check can fail, so a refused transaction leaves the ledger as it was.
    fn write(&mut self, tx: &PartialTransaction) -> Result<Digest, Error> {
        let created = tx.created().count() as u64;
        if self.tree.len() + created > 1u64 << DEPTH {
            return Err(Error::TreeFull);
        }
        self.transactions += 1;
        self.nullifiers.extend(tx.consumed().copied());
        for c in tx.created() {
            let index = self.tree.append(*c)?;
            self.commitments.insert(*c, index);
        }
        for a in &tx.actions {
            for r in &a.public {
                self.public.insert(r.commitment(), *r);
            }
        }
        let root = self.tree.root();
        self.roots.insert(root);
        Ok(root)
    }
}

impl RootSet for MemoryLedger {
    fn contains_root(&self, root: &Digest) -> Result<bool, Error> {
        Ok(self.roots.contains(root))
    }
}

impl LedgerView for MemoryLedger {
    fn is_spent(&self, n: &Digest) -> Result<bool, Error> {
        Ok(self.nullifiers.contains(n))
    }
    fn has_commitment(&self, c: &Digest) -> Result<bool, Error> {
        Ok(self.commitments.contains_key(c))
    }
}

impl LedgerApi for MemoryLedger {
    fn status(&self) -> Result<LedgerStatus, Error> {
        Ok(LedgerStatus {
            version: 1,
            root: self.root().to_hex(),
            commitments: self.tree.len(),
            nullifiers: self.nullifiers.len() as u64,
            roots: self.roots.len() as u64,
            transactions: self.transactions,
            public_resources: self.public.len() as u64,
            depth: DEPTH as u64,
        })
    }

    fn path(&self, c: &Digest) -> Result<(MerklePath, Digest), Error> {
        let index = *self.commitments.get(c).ok_or(Error::UnknownResource(*c))?;
        Ok((self.tree.path(index)?, self.root()))
    }

    fn apply(
        &mut self,
        tx: &PartialTransaction,
        backend: &dyn ProvingBackend,
        logics: &LogicCache,
    ) -> Result<Digest, Error> {
        self.check(tx, backend, logics)?;
        self.write(tx)
    }
}

impl ResourceStore for MemoryLedger {
    fn resource(&self, address: &Digest) -> Option<Resource> {
        self.public.get(address).copied()
    }

    fn path(&self, address: &Digest) -> Option<(MerklePath, Digest)> {
        LedgerApi::path(self, address).ok()
    }
}
