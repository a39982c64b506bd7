//! The ledger, in `redb`: the commitment tree (frontier plus the full nodes, for paths), the
//! set of historical roots, the nullifier set and the published plaintexts of public
//! resources.
//!
//! Applying a transaction is **one** redb write transaction committed with
//! `Durability::Immediate` (two checksummed commit slots and fsync): after `kill -9` at any
//! moment the ledger reopens with all of the transaction or none of it. Every check runs
//! in a read transaction first, so a refused transaction never opens a write transaction
//! and the file is left untouched.
//!
//! Layout (schema 1), digests as 32 little-endian bytes:
//!
//! | table | key → value |
//! |---|---|
//! | `meta` | `schema`, `count` (leaves), `transactions`, `nullifiers`, `public` → u64 |
//! | `root` | `root` → the current root |
//! | `frontier` | level → ommer (only the levels the count's bits call for) |
//! | `nodes` | (level, index) → digest of every full subtree (level 0: the leaves) |
//! | `commitments` | commitment → leaf index |
//! | `roots` | root → the number of transactions applied when it became the root |
//! | `nullifiers` | nullifier → the sequence number of the transaction that consumed it |
//! | `public` | commitment → the resource's JSON |

use crate::backend::ProvingBackend;
use crate::logic::LogicCache;
use crate::resource::Resource;
pub use crate::state::LedgerStatus;
use crate::state::{check_state, LedgerApi, LedgerView};
use crate::store::ResourceStore;
use crate::transaction::{PartialTransaction, RootSet};
use crate::tree::{empty_roots, CommitmentTree, MerklePath, DEPTH};
use crate::Error;
use redb::{Database, Durability, ReadableTable, ReadableTableMetadata, TableDefinition};
use resvm_field::Digest;
use std::path::{Path, PathBuf};

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const ROOT: TableDefinition<&str, [u8; 32]> = TableDefinition::new("root");
const FRONTIER: TableDefinition<u8, [u8; 32]> = TableDefinition::new("frontier");
const NODES: TableDefinition<(u8, u64), [u8; 32]> = TableDefinition::new("nodes");
const COMMITMENTS: TableDefinition<[u8; 32], u64> = TableDefinition::new("commitments");
const ROOTS: TableDefinition<[u8; 32], u64> = TableDefinition::new("roots");
const NULLIFIERS: TableDefinition<[u8; 32], u64> = TableDefinition::new("nullifiers");
const PUBLIC: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("public");

/// The ledger schema version.
pub const SCHEMA: u64 = 1;

/// The database file inside a ledger directory.
pub const DB_FILE: &str = "ledger.redb";

fn to_bytes(d: &Digest) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, w) in d.0.iter().enumerate() {
        b[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
    }
    b
}

fn from_bytes(b: &[u8; 32]) -> Result<Digest, Error> {
    let mut out = [0u64; 4];
    for (i, w) in out.iter_mut().enumerate() {
        let mut x = [0u8; 8];
        x.copy_from_slice(&b[8 * i..8 * i + 8]);
        *w = u64::from_le_bytes(x);
        if *w >= resvm_field::P {
            return Err(Error::Corrupt("stored digest is not canonical".into()));
        }
    }
    Ok(Digest(out))
}

/// A ledger on disk.
pub struct Ledger {
    db: Database,
    dir: PathBuf,
}

impl Ledger {
    /// Creates a new, empty ledger in `dir` (created if missing); refuses an existing one.
    pub fn init(dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(dir)?;
        let file = dir.join(DB_FILE);
        if file.exists() {
            return Err(Error::Io(format!(
                "{} already holds a ledger",
                dir.display()
            )));
        }
        let db = Database::create(&file)?;
        let mut w = db.begin_write()?;
        w.set_durability(Durability::Immediate);
        {
            let mut meta = w.open_table(META)?;
            meta.insert("schema", SCHEMA)?;
            meta.insert("count", 0)?;
            meta.insert("transactions", 0)?;
            meta.insert("nullifiers", 0)?;
            meta.insert("public", 0)?;
            let empty = empty_roots()[DEPTH];
            w.open_table(ROOT)?.insert("root", to_bytes(&empty))?;
            w.open_table(ROOTS)?.insert(to_bytes(&empty), 0)?;
            w.open_table(FRONTIER)?;
            w.open_table(NODES)?;
            w.open_table(COMMITMENTS)?;
            w.open_table(NULLIFIERS)?;
            w.open_table(PUBLIC)?;
        }
        w.commit()?;
        Ok(Ledger {
            db,
            dir: dir.to_path_buf(),
        })
    }

    /// Opens the ledger in `dir`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let file = dir.join(DB_FILE);
        if !file.is_file() {
            return Err(Error::Io(format!("no ledger in {}", dir.display())));
        }
        let db = Database::open(&file)?;
        let l = Ledger {
            db,
            dir: dir.to_path_buf(),
        };
        let schema = l.meta("schema")?;
        if schema != SCHEMA {
            return Err(Error::Version {
                what: "ledger schema",
                found: schema,
                expected: SCHEMA,
            });
        }
        Ok(l)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn meta(&self, key: &str) -> Result<u64, Error> {
        let r = self.db.begin_read()?;
        let t = r.open_table(META)?;
        let v = t.get(key)?.map(|g| g.value());
        v.ok_or_else(|| Error::Corrupt(format!("missing meta `{key}`")))
    }

    /// The current root.
    pub fn root(&self) -> Result<Digest, Error> {
        let r = self.db.begin_read()?;
        let t = r.open_table(ROOT)?;
        let v = t.get("root")?.map(|g| g.value());
        from_bytes(&v.ok_or_else(|| Error::Corrupt("missing root".into()))?)
    }

    /// Counts and the root.
    pub fn status(&self) -> Result<LedgerStatus, Error> {
        let r = self.db.begin_read()?;
        let meta = r.open_table(META)?;
        let get = |k: &str| -> Result<u64, Error> {
            meta.get(k)?
                .map(|g| g.value())
                .ok_or_else(|| Error::Corrupt(format!("missing meta `{k}`")))
        };
        let roots = r.open_table(ROOTS)?.len()?;
        Ok(LedgerStatus {
            version: 1,
            root: self.root()?.to_hex(),
            commitments: get("count")?,
            nullifiers: get("nullifiers")?,
            roots,
            transactions: get("transactions")?,
            public_resources: get("public")?,
            depth: DEPTH as u64,
        })
    }

    fn frontier_in(
        t: &impl ReadableTable<u8, [u8; 32]>,
        count: u64,
    ) -> Result<CommitmentTree, Error> {
        let mut ommers = [None; DEPTH];
        for (l, o) in ommers.iter_mut().enumerate() {
            if let Some(g) = t.get(l as u8)? {
                *o = Some(from_bytes(&g.value())?);
            }
        }
        CommitmentTree::from_parts(count, ommers)
    }

    /// The frontier of the commitment tree.
    pub fn frontier(&self) -> Result<CommitmentTree, Error> {
        let count = self.meta("count")?;
        let r = self.db.begin_read()?;
        Self::frontier_in(&r.open_table(FRONTIER)?, count)
    }

    /// Whether `n` is in the nullifier set.
    pub fn is_spent(&self, n: &Digest) -> Result<bool, Error> {
        let r = self.db.begin_read()?;
        Ok(r.open_table(NULLIFIERS)?.get(to_bytes(n))?.is_some())
    }

    /// The leaf index of a commitment, if in the tree.
    pub fn leaf_index(&self, c: &Digest) -> Result<Option<u64>, Error> {
        let r = self.db.begin_read()?;
        let v = r
            .open_table(COMMITMENTS)?
            .get(to_bytes(c))?
            .map(|g| g.value());
        Ok(v)
    }

    /// The membership path of commitment `c` against the current root, with that root.
    pub fn path(&self, c: &Digest) -> Result<(MerklePath, Digest), Error> {
        let index = self.leaf_index(c)?.ok_or(Error::UnknownResource(*c))?;
        let frontier = self.frontier()?;
        let r = self.db.begin_read()?;
        let nodes = r.open_table(NODES)?;
        let path = frontier.path_with(index, &mut |l, i| {
            let v = nodes.get((l, i))?.map(|g| g.value());
            from_bytes(&v.ok_or_else(|| Error::Corrupt(format!("missing tree node ({l}, {i})")))?)
        })?;
        Ok((path, frontier.root()))
    }

    /// Verifies a transaction against the ledger without changing it: balanced, valid
    /// w.r.t. the historical roots, every proof, no nullifier already spent and no
    /// commitment already in the tree.
    pub fn check(
        &self,
        tx: &PartialTransaction,
        backend: &dyn ProvingBackend,
        logics: &LogicCache,
    ) -> Result<(), Error> {
        self.check_state(tx)?;
        tx.verify(self, backend, logics)
    }

    /// The checks that need no proof ([`check_state`]: shape, balance, roots, spent
    /// nullifiers, known commitments).
    pub fn check_state(&self, tx: &PartialTransaction) -> Result<(), Error> {
        check_state(self, tx)
    }

    /// Verifies `tx` and applies it atomically; returns the new root.
    pub fn apply(
        &mut self,
        tx: &PartialTransaction,
        backend: &dyn ProvingBackend,
        logics: &LogicCache,
    ) -> Result<Digest, Error> {
        self.check(tx, backend, logics)?;
        self.write(std::slice::from_ref(tx))
    }

    /// Applies transactions as one block: one write transaction (all or none), each checked
    /// first (with its proofs verified when `verify` is given), the root computed once for
    /// the block (so only the block's final root becomes a historical root). Returns it.
    /// A batch whose transactions conflict with each other or with the ledger is refused
    /// whole. The final root equals that of applying them one by one.
    pub fn apply_batch(
        &mut self,
        txs: &[PartialTransaction],
        verify: Option<(&dyn ProvingBackend, &LogicCache)>,
    ) -> Result<Digest, Error> {
        for tx in txs {
            tx.verify_shape()?;
        }
        if let Some((b, l)) = verify {
            // Every proof of the block at once, on all cores. Roots created earlier in the
            // batch are checked while writing.
            crate::transaction::verify_actions(txs.iter().flat_map(|t| &t.actions), b, l)?;
        }
        self.write(txs)
    }

    /// The one write transaction. Re-checks what the read-side checks checked (cheap, and
    /// needed within a batch) and aborts, writing nothing, on any failure.
    fn write(&mut self, txs: &[PartialTransaction]) -> Result<Digest, Error> {
        let mut w = self.db.begin_write()?;
        w.set_durability(Durability::Immediate);
        let result = (|| -> Result<Digest, Error> {
            let mut meta = w.open_table(META)?;
            let get = |m: &redb::Table<&str, u64>, k: &str| -> Result<u64, Error> {
                m.get(k)?
                    .map(|g| g.value())
                    .ok_or_else(|| Error::Corrupt(format!("missing meta `{k}`")))
            };
            let count = get(&meta, "count")?;
            let mut seq = get(&meta, "transactions")?;
            let mut n_nullifiers = get(&meta, "nullifiers")?;
            let mut n_public = get(&meta, "public")?;
            let mut frontier_t = w.open_table(FRONTIER)?;
            let mut tree = Self::frontier_in(&frontier_t, count)?;
            let mut nodes = w.open_table(NODES)?;
            let mut commitments = w.open_table(COMMITMENTS)?;
            let mut roots = w.open_table(ROOTS)?;
            let mut nullifiers = w.open_table(NULLIFIERS)?;
            let mut public = w.open_table(PUBLIC)?;
            for tx in txs {
                let d = tx.delta();
                if !d.is_zero() {
                    return Err(Error::Unbalanced(d.to_string()));
                }
                struct InTable<'a, 'b>(&'a redb::Table<'b, [u8; 32], u64>);
                impl RootSet for InTable<'_, '_> {
                    fn contains_root(&self, root: &Digest) -> Result<bool, Error> {
                        Ok(self.0.get(to_bytes(root))?.is_some())
                    }
                }
                tx.verify_roots(&InTable(&roots))?;
                seq += 1;
                for n in tx.consumed() {
                    if nullifiers.insert(to_bytes(n), seq)?.is_some() {
                        return Err(Error::SpentNullifier(*n));
                    }
                    n_nullifiers += 1;
                }
                for c in tx.created() {
                    let mut err = None;
                    let index = tree.append_with(*c, |(l, i, d)| {
                        if err.is_none() {
                            if let Err(e) = nodes.insert((l, i), to_bytes(&d)) {
                                err = Some(e);
                            }
                        }
                    })?;
                    if let Some(e) = err {
                        return Err(e.into());
                    }
                    if commitments.insert(to_bytes(c), index)?.is_some() {
                        return Err(Error::KnownCommitment(*c));
                    }
                }
                for a in &tx.actions {
                    for r in &a.public {
                        let json = serde_json::to_vec(r).map_err(|e| Error::Json(e.to_string()))?;
                        if public
                            .insert(to_bytes(&r.commitment()), json.as_slice())?
                            .is_none()
                        {
                            n_public += 1;
                        }
                    }
                }
            }
            let root = tree.root();
            // A root seen before (only the empty tree's, for a transaction creating nothing)
            // keeps its first sequence number.
            if roots.get(to_bytes(&root))?.is_none() {
                roots.insert(to_bytes(&root), seq)?;
            }
            for l in 0..DEPTH {
                match tree.ommers()[l] {
                    Some(o) => {
                        frontier_t.insert(l as u8, to_bytes(&o))?;
                    }
                    None => {
                        frontier_t.remove(l as u8)?;
                    }
                }
            }
            meta.insert("count", tree.len())?;
            meta.insert("transactions", seq)?;
            meta.insert("nullifiers", n_nullifiers)?;
            meta.insert("public", n_public)?;
            w.open_table(ROOT)?.insert("root", to_bytes(&root))?;
            Ok(root)
        })();
        match result {
            Ok(out) => {
                w.commit()?;
                Ok(out)
            }
            Err(e) => {
                w.abort()?;
                Err(e)
            }
        }
    }

    /// Recomputes the tree from the stored leaves and checks the frontier, the root, the
    /// counts and that the root is a historical root; returns the status.
    pub fn check_integrity(&self) -> Result<LedgerStatus, Error> {
        let status = self.status()?;
        let frontier = self.frontier()?;
        let r = self.db.begin_read()?;
        let nodes = r.open_table(NODES)?;
        let mut tree = CommitmentTree::new();
        for i in 0..status.commitments {
            let v = nodes.get((0u8, i))?.map(|g| g.value());
            let leaf = from_bytes(&v.ok_or_else(|| Error::Corrupt(format!("missing leaf {i}")))?)?;
            tree.append(leaf)?;
        }
        if tree != frontier {
            return Err(Error::Corrupt("frontier differs from the leaves".into()));
        }
        if tree.root().to_hex() != status.root {
            return Err(Error::Corrupt("root differs from the leaves".into()));
        }
        if r.open_table(ROOTS)?.get(to_bytes(&tree.root()))?.is_none() {
            return Err(Error::Corrupt(
                "current root is not a historical root".into(),
            ));
        }
        if r.open_table(COMMITMENTS)?.len()? != status.commitments {
            return Err(Error::Corrupt("commitment index count differs".into()));
        }
        if r.open_table(NULLIFIERS)?.len()? != status.nullifiers {
            return Err(Error::Corrupt("nullifier count differs".into()));
        }
        Ok(status)
    }
}

impl RootSet for Ledger {
    fn contains_root(&self, root: &Digest) -> Result<bool, Error> {
        let r = self.db.begin_read()?;
        Ok(r.open_table(ROOTS)?.get(to_bytes(root))?.is_some())
    }
}

impl LedgerView for Ledger {
    fn is_spent(&self, n: &Digest) -> Result<bool, Error> {
        Ledger::is_spent(self, n)
    }
    fn has_commitment(&self, c: &Digest) -> Result<bool, Error> {
        Ok(self.leaf_index(c)?.is_some())
    }
}

impl LedgerApi for Ledger {
    fn status(&self) -> Result<LedgerStatus, Error> {
        Ledger::status(self)
    }
    fn path(&self, c: &Digest) -> Result<(MerklePath, Digest), Error> {
        Ledger::path(self, c)
    }
    fn apply(
        &mut self,
        tx: &PartialTransaction,
        backend: &dyn ProvingBackend,
        logics: &LogicCache,
    ) -> Result<Digest, Error> {
        Ledger::apply(self, tx, backend, logics)
    }
}

impl ResourceStore for Ledger {
    fn resource(&self, address: &Digest) -> Option<Resource> {
        let r = self.db.begin_read().ok()?;
        let t = r.open_table(PUBLIC).ok()?;
        let v = t.get(to_bytes(address)).ok()??;
        let res: Resource = serde_json::from_slice(v.value()).ok()?;
        (res.commitment() == *address).then_some(res)
    }

    fn path(&self, address: &Digest) -> Option<(MerklePath, Digest)> {
        Ledger::path(self, address).ok()
    }
}
