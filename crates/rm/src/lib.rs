//! The resource machine of the abstract VM spec ("Resources" to the end): resources,
//! partial transactions with proofs behind a [`ProvingBackend`], balance, sequential and
//! concurrent composition, executables, and a crash-safe ledger in `redb`.
//!
//! Pipeline position: above the prover (logics are resvm programs compiled by the `resvm`
//! facade). The wire formats and the logic ABI are documented in `docs/resource-machine.md`.
//!
//! Backends: [`StarkBackend`] proves each action (compliance and every logic) with one
//! zero-knowledge resvm STARK; [`ReexecBackend`] re-executes everything from a witness
//! carried in the "proof": it is **not zero-knowledge** (the proof reveals the resources)
//! and serves fast tests and trusted settings.

pub mod backend;
pub mod builder;
pub mod demo;
pub mod ledger;
pub mod logic;
pub mod memory_ledger;
pub mod resource;
pub mod serde_hex;
pub mod stark;
pub mod state;
pub mod store;
pub mod transaction;
pub mod tree;

pub use backend::{ProvingBackend, ReexecBackend};
pub use builder::{ActionBuilder, ExecContext, Executable, OtherRef};
pub use ledger::{Ledger, LedgerStatus};
pub use logic::{LogicCache, LogicProgram};
pub use memory_ledger::MemoryLedger;
pub use resource::{Resource, MAX_QUANTITY, MAX_RESOURCES};
pub use stark::StarkBackend;
pub use state::{LedgerApi, LedgerView};
pub use store::{LocalStore, ResourceStore};
pub use transaction::{verify_actions, Action, Delta, PartialTransaction, RootSet};
pub use tree::{verify_path, CommitmentTree, MemoryTree, MerklePath};

use resvm_field::Digest;

/// The backend with this name (`stark-v1`: [`StarkBackend`] with the standard parameters,
/// `reexec-v2`: [`ReexecBackend`]), for verifiers that take whatever backend an action
/// names: both are sound, only the STARK one is zero-knowledge.
pub fn backend_named(name: &str) -> Result<Box<dyn ProvingBackend>, Error> {
    let b: Box<dyn ProvingBackend> = match name {
        "stark-v1" => Box::new(StarkBackend::new()),
        "reexec-v2" => Box::new(ReexecBackend),
        other => {
            return Err(Error::InvalidProof(format!(
                "unknown proving backend `{}`",
                serde_hex::short(other)
            )))
        }
    };
    Ok(b)
}

/// The backend named by a transaction's first action ([`backend_named`]); every action
/// must then use it.
pub fn backend_of(tx: &PartialTransaction) -> Result<Box<dyn ProvingBackend>, Error> {
    let name = tx
        .actions
        .first()
        .map(|a| a.proofs.backend.as_str())
        .ok_or_else(|| Error::Malformed("a transaction needs at least one action".into()))?;
    backend_named(name)
}

/// Everything that can go wrong, each with a one-line reason.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A quantity above [`MAX_QUANTITY`].
    #[error("quantity {quantity} exceeds the bound 2^48 - 1 (sums could wrap modulo p)")]
    QuantityOutOfRange {
        /// The quantity.
        quantity: u64,
    },
    /// Too many resources in one transaction.
    #[error("transaction holds {count} resources, more than the bound {MAX_RESOURCES} (sums could wrap modulo p)")]
    TooManyResources {
        /// Consumed plus created, all actions.
        count: usize,
    },
    /// A nullifier appears twice in one transaction.
    #[error("double spend: nullifier {0} is consumed twice in the transaction")]
    DuplicateNullifier(Digest),
    /// Composition of two transactions that consume the same nullifier.
    #[error("composition refused: nullifier {0} is consumed by both transactions")]
    ConflictingNullifier(Digest),
    /// A commitment appears twice.
    #[error("commitment {0} is created twice")]
    DuplicateCommitment(Digest),
    /// A nullifier already in the ledger's set.
    #[error("double spend: nullifier {0} is already in the ledger")]
    SpentNullifier(Digest),
    /// A commitment already in the ledger's tree.
    #[error("commitment {0} is already in the ledger")]
    KnownCommitment(Digest),
    /// A root that is not in the commitment set.
    #[error("unknown root {root}: consumed nullifier {nullifier} proves membership in a commitment set the ledger never had")]
    UnknownRoot {
        /// The root.
        root: Digest,
        /// The nullifier whose membership uses it.
        nullifier: Digest,
    },
    /// A transaction whose delta is not zero.
    #[error("unbalanced: delta is not zero ({0})")]
    Unbalanced(String),
    /// A malformed action or transaction.
    #[error("malformed transaction: {0}")]
    Malformed(String),
    /// A proof that does not verify.
    #[error("invalid proof: {0}")]
    InvalidProof(String),
    /// A logic that rejects.
    #[error("logic {logic} rejects {what} {tag}: {reason}")]
    LogicRejected {
        /// The logic digest.
        logic: Digest,
        /// "created commitment" or "consumed nullifier".
        what: &'static str,
        /// The tag.
        tag: Digest,
        /// What it returned.
        reason: String,
    },
    /// A logic source that does not compile.
    #[error("logic does not compile: {0}")]
    LogicCompile(String),
    /// A logic that breaks the ABI.
    #[error("logic ABI: {0}")]
    LogicAbi(String),
    /// A logic digest with no program.
    #[error("no program for logic {0}")]
    MissingProgram(Digest),
    /// A program whose digest is not the one named.
    #[error("program compiles to digest {found}, not the logic {expected} it claims")]
    ProgramDigestMismatch {
        /// The named digest.
        expected: Digest,
        /// The compiled digest.
        found: Digest,
    },
    /// The tree is full.
    #[error("the commitment tree is full (2^32 leaves)")]
    TreeFull,
    /// A leaf index past the end.
    #[error("no leaf at index {0}")]
    UnknownLeaf(u64),
    /// A resource not in a store.
    #[error("no resource with address {0}")]
    UnknownResource(Digest),
    /// A stored state that fails its own checks.
    #[error("ledger is corrupt: {0}")]
    Corrupt(String),
    /// An unsupported format version.
    #[error("unsupported {what} version {found} (expected {expected})")]
    Version {
        /// What has the version.
        what: &'static str,
        /// The version found.
        found: u64,
        /// The one supported.
        expected: u64,
    },
    /// JSON that does not parse.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A database error.
    #[error("database: {0}")]
    Db(String),
    /// An I/O error.
    #[error("{0}")]
    Io(String),
    /// The demo flow ([`demo::run`]) failed at a step it names.
    #[error("demo: {0}")]
    Demo(String),
    /// An executable failed.
    #[error("executable failed: {0}")]
    Executable(String),
}

macro_rules! db_error {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::Db(e.to_string())
            }
        }
    )*};
}
db_error!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}
