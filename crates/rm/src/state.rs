//! What every ledger shares, whatever stores it: the status it reports, the state checks a
//! transaction must pass before it is applied ([`check_state`], one rule set for the redb
//! [`crate::Ledger`] and the in-memory [`crate::MemoryLedger`]), and the operations a client
//! such as [`crate::demo`] needs ([`LedgerApi`]).

use crate::backend::ProvingBackend;
use crate::logic::LogicCache;
use crate::transaction::{PartialTransaction, RootSet};
use crate::tree::MerklePath;
use crate::Error;
use resvm_field::Digest;
use serde::Serialize;

/// What `resvm ledger status --json` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerStatus {
    /// The status schema version (1).
    pub version: u64,
    /// The current root, hex.
    pub root: String,
    /// Leaves of the commitment tree.
    pub commitments: u64,
    /// Nullifiers in the set.
    pub nullifiers: u64,
    /// Historical roots (the empty tree's included).
    pub roots: u64,
    /// Applied transactions.
    pub transactions: u64,
    /// Published public resources.
    pub public_resources: u64,
    /// The tree depth.
    pub depth: u64,
}

/// The lookups the state checks make: historical roots ([`RootSet`]), the nullifier set and
/// the commitment tree's index.
pub trait LedgerView: RootSet {
    /// Whether `n` is in the nullifier set.
    fn is_spent(&self, n: &Digest) -> Result<bool, Error>;
    /// Whether commitment `c` is in the tree.
    fn has_commitment(&self, c: &Digest) -> Result<bool, Error>;
}

/// The checks that need no proof, in this order: shape, balance, roots (each consumed
/// resource proves membership against a historical root), no nullifier already spent, no
/// commitment already in the tree.
pub fn check_state(view: &dyn LedgerView, tx: &PartialTransaction) -> Result<(), Error> {
    tx.verify_shape()?;
    let d = tx.delta();
    if !d.is_zero() {
        return Err(Error::Unbalanced(d.to_string()));
    }
    tx.verify_roots(view)?;
    for n in tx.consumed() {
        if view.is_spent(n)? {
            return Err(Error::SpentNullifier(*n));
        }
    }
    for c in tx.created() {
        if view.has_commitment(c)? {
            return Err(Error::KnownCommitment(*c));
        }
    }
    Ok(())
}

/// A ledger as a client uses it: read its status and membership paths, apply a verified
/// transaction. Implemented by the redb [`crate::Ledger`] and the [`crate::MemoryLedger`].
pub trait LedgerApi: LedgerView {
    /// Counts and the root.
    fn status(&self) -> Result<LedgerStatus, Error>;
    /// The membership path of commitment `c` against the current root, with that root.
    fn path(&self, c: &Digest) -> Result<(MerklePath, Digest), Error>;
    /// Verifies `tx` ([`check_state`] and every proof) and applies it, all or nothing;
    /// returns the new root.
    fn apply(
        &mut self,
        tx: &PartialTransaction,
        backend: &dyn ProvingBackend,
        logics: &LogicCache,
    ) -> Result<Digest, Error>;
}
