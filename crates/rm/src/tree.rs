//! The commitment tree: an append-only Poseidon2 Merkle tree of fixed depth 32, stored as a
//! frontier (one ommer per level): O(depth) per append, the root computed on demand (once
//! per applied transaction by the ledger).
//!
//! Leaves are commitments; empty positions hold [`empty_leaf`]; a node is
//! `resvm_field::merge(left, right)`. The depth is fixed, so every path has exactly
//! [`DEPTH`] siblings and a leaf can never be read as an inner node.

use crate::resource::DOMAIN_EMPTY_LEAF;
use crate::serde_hex;
use crate::Error;
use resvm_field::{hash, merge, Digest, F};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The tree's depth: 2^32 leaves.
pub const DEPTH: usize = 32;

/// The largest number of leaves.
pub const CAPACITY: u64 = 1 << DEPTH;

/// The value of an empty leaf: H(DOMAIN_EMPTY_LEAF).
pub fn empty_leaf() -> Digest {
    empty_roots()[0]
}

/// Roots of empty subtrees: `empty_roots()[l]` is the root of an empty subtree of height l
/// (l = 0: an empty leaf; l = DEPTH: the root of the empty tree).
pub fn empty_roots() -> &'static [Digest; DEPTH + 1] {
    static E: OnceLock<[Digest; DEPTH + 1]> = OnceLock::new();
    E.get_or_init(|| {
        let mut e = [hash(&[F::new(DOMAIN_EMPTY_LEAF)]); DEPTH + 1];
        for l in 0..DEPTH {
            e[l + 1] = merge(&e[l], &e[l]);
        }
        e
    })
}

/// A completed node: (level, index at that level, digest). Level 0 nodes are leaves.
pub type Node = (u8, u64, Digest);

/// The frontier of an append-only tree: the number of leaves and, for each level whose bit
/// in that number is 1, the root of the full left subtree there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitmentTree {
    count: u64,
    ommers: [Option<Digest>; DEPTH],
}

impl Default for CommitmentTree {
    fn default() -> Self {
        Self::new()
    }
}

impl CommitmentTree {
    /// An empty tree.
    pub fn new() -> Self {
        CommitmentTree {
            count: 0,
            ommers: [None; DEPTH],
        }
    }

    /// Rebuilds a frontier from its parts, checking that the ommers present are exactly
    /// those the count's bits call for.
    pub fn from_parts(count: u64, ommers: [Option<Digest>; DEPTH]) -> Result<Self, Error> {
        if count > CAPACITY {
            return Err(Error::Corrupt(format!("tree count {count} exceeds 2^32")));
        }
        for (l, o) in ommers.iter().enumerate() {
            if o.is_some() != ((count >> l) & 1 == 1) {
                return Err(Error::Corrupt(format!(
                    "tree frontier does not match its count at level {l}"
                )));
            }
        }
        Ok(CommitmentTree { count, ommers })
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether no leaf was appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The ommers (by level).
    pub fn ommers(&self) -> &[Option<Digest>; DEPTH] {
        &self.ommers
    }

    /// Appends a leaf; returns its index and calls `completed` for every node (leaf
    /// included) whose subtree it completes, so a caller may store nodes for paths.
    pub fn append_with(
        &mut self,
        leaf: Digest,
        mut completed: impl FnMut(Node),
    ) -> Result<u64, Error> {
        if self.count == CAPACITY {
            return Err(Error::TreeFull);
        }
        let index = self.count;
        let mut node = leaf;
        completed((0, index, node));
        for l in 0..DEPTH {
            if (index >> l) & 1 == 1 {
                let left = self.ommers[l]
                    .take()
                    .ok_or_else(|| Error::Corrupt("tree frontier lost an ommer".into()))?;
                node = merge(&left, &node);
                completed(((l + 1) as u8, index >> (l + 1), node));
            } else {
                self.ommers[l] = Some(node);
                break;
            }
        }
        self.count += 1;
        Ok(index)
    }

    /// Appends a leaf; returns its index.
    pub fn append(&mut self, leaf: Digest) -> Result<u64, Error> {
        self.append_with(leaf, |_| {})
    }

    /// The root: DEPTH merges.
    pub fn root(&self) -> Digest {
        let e = empty_roots();
        // `acc` is the root of the subtree at level l holding the rightmost leaves, None when
        // that subtree is empty.
        let mut acc: Option<Digest> = None;
        for (ommer, empty) in self.ommers.iter().zip(e.iter()) {
            acc = match (ommer, acc) {
                (Some(left), right) => Some(merge(left, &right.unwrap_or(*empty))),
                (None, Some(left)) => Some(merge(&left, empty)),
                (None, None) => None,
            };
        }
        acc.unwrap_or(e[DEPTH])
    }

    /// The root of the subtree at (level, index) when it is partial (contains leaf
    /// `count - 1` but not all its positions are filled), from stored full nodes.
    fn partial_root(
        &self,
        level: usize,
        index: u64,
        full: &mut dyn FnMut(u8, u64) -> Result<Digest, Error>,
    ) -> Result<Digest, Error> {
        self.node(level, index, full)
    }

    /// The digest of any node (level, index) of the current tree.
    fn node(
        &self,
        level: usize,
        index: u64,
        full: &mut dyn FnMut(u8, u64) -> Result<Digest, Error>,
    ) -> Result<Digest, Error> {
        let first = index << level;
        let end = (index + 1) << level;
        if first >= self.count {
            Ok(empty_roots()[level])
        } else if end <= self.count {
            full(level as u8, index)
        } else {
            // Partial: exactly one child is partial; the other is full or empty.
            let l = self.node(level - 1, 2 * index, full)?;
            let r = self.node(level - 1, 2 * index + 1, full)?;
            Ok(merge(&l, &r))
        }
    }

    /// The authentication path of leaf `index` against the current root; `full(level, i)`
    /// returns a stored full node (as reported by [`CommitmentTree::append_with`]).
    pub fn path_with(
        &self,
        index: u64,
        full: &mut dyn FnMut(u8, u64) -> Result<Digest, Error>,
    ) -> Result<MerklePath, Error> {
        if index >= self.count {
            return Err(Error::UnknownLeaf(index));
        }
        let mut siblings = Vec::with_capacity(DEPTH);
        for l in 0..DEPTH {
            let s = (index >> l) ^ 1;
            siblings.push(self.partial_root(l, s, full)?);
        }
        Ok(MerklePath { index, siblings })
    }
}

/// An authentication path: the leaf index and DEPTH siblings, bottom up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerklePath {
    /// The leaf's position.
    pub index: u64,
    /// Siblings from the leaf's level upward.
    #[serde(with = "serde_hex::digests")]
    pub siblings: Vec<Digest>,
}

impl MerklePath {
    /// The root this path leads to from `leaf`, or `None` when the path is malformed.
    pub fn root_from(&self, leaf: &Digest) -> Option<Digest> {
        if self.siblings.len() != DEPTH || self.index >= CAPACITY {
            return None;
        }
        let mut node = *leaf;
        for (l, s) in self.siblings.iter().enumerate() {
            node = if (self.index >> l) & 1 == 0 {
                merge(&node, s)
            } else {
                merge(s, &node)
            };
        }
        Some(node)
    }
}

/// Whether `path` proves `leaf` in the tree with root `root`.
pub fn verify_path(leaf: &Digest, path: &MerklePath, root: &Digest) -> bool {
    path.root_from(leaf).as_ref() == Some(root)
}

/// A commitment tree that also keeps every full node in memory, so it can give paths for
/// any leaf (a party's local copy, tests).
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    frontier: CommitmentTree,
    nodes: HashMap<(u8, u64), Digest>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf, returning its index.
    pub fn append(&mut self, leaf: Digest) -> Result<u64, Error> {
        let nodes = &mut self.nodes;
        self.frontier.append_with(leaf, |(l, i, d)| {
            nodes.insert((l, i), d);
        })
    }

    /// The frontier.
    pub fn frontier(&self) -> &CommitmentTree {
        &self.frontier
    }

    /// The current root.
    pub fn root(&self) -> Digest {
        self.frontier.root()
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.frontier.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.frontier.is_empty()
    }

    /// The path of leaf `index` against the current root.
    pub fn path(&self, index: u64) -> Result<MerklePath, Error> {
        let nodes = &self.nodes;
        self.frontier.path_with(index, &mut |l, i| {
            nodes
                .get(&(l, i))
                .copied()
                .ok_or_else(|| Error::Corrupt(format!("missing tree node ({l}, {i})")))
        })
    }
}

/// The root of a fresh tree holding `leaves` in order.
pub fn root_of(leaves: &[Digest]) -> Result<Digest, Error> {
    let mut t = CommitmentTree::new();
    for l in leaves {
        t.append(*l)?;
    }
    Ok(t.root())
}
