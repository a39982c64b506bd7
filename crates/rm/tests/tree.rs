//! The commitment tree: frontier roots equal a naive recomputation, paths verify, bad
//! paths do not.

use resvm_field::{merge, Digest};
use resvm_rm::tree::{empty_roots, root_of, CommitmentTree, DEPTH};
use resvm_rm::{verify_path, MemoryTree};

fn leaf(i: u64) -> Digest {
    resvm_field::hash(&[resvm_field::F::new(1000 + i)])
}

/// The root of the subtree (level, index) over `leaves`, by recursion.
fn naive(leaves: &[Digest], level: usize, index: u64) -> Digest {
    let first = index << level;
    if first >= leaves.len() as u64 {
        return empty_roots()[level];
    }
    if level == 0 {
        return leaves[index as usize];
    }
    merge(
        &naive(leaves, level - 1, 2 * index),
        &naive(leaves, level - 1, 2 * index + 1),
    )
}

#[test]
fn frontier_root_matches_naive_root_and_paths_verify() {
    let leaves: Vec<Digest> = (0..37).map(leaf).collect();
    let mut t = MemoryTree::new();
    assert_eq!(t.root(), naive(&[], DEPTH, 0));
    for n in 1..=leaves.len() {
        t.append(leaves[n - 1]).unwrap();
        let root = t.root();
        assert_eq!(root, naive(&leaves[..n], DEPTH, 0), "{n} leaves");
        for i in 0..n as u64 {
            let p = t.path(i).unwrap();
            assert!(
                verify_path(&leaves[i as usize], &p, &root),
                "leaf {i} of {n}"
            );
            // The wrong leaf, the wrong index, a changed sibling: refused.
            assert!(!verify_path(&leaf(999), &p, &root));
            let mut q = p.clone();
            q.index ^= 1;
            assert!(!verify_path(&leaves[i as usize], &q, &root));
            let mut q = p.clone();
            q.siblings[5] = leaf(7777);
            assert!(!verify_path(&leaves[i as usize], &q, &root));
            let mut q = p.clone();
            q.siblings.pop();
            assert!(!verify_path(&leaves[i as usize], &q, &root));
        }
        assert!(t.path(n as u64).is_err());
    }
    assert_eq!(root_of(&leaves).unwrap(), t.root());
}

#[test]
fn roots_are_deterministic_and_order_sensitive() {
    let a = root_of(&[leaf(1), leaf(2)]).unwrap();
    assert_eq!(a, root_of(&[leaf(1), leaf(2)]).unwrap());
    assert_ne!(a, root_of(&[leaf(2), leaf(1)]).unwrap());
    assert_ne!(a, root_of(&[leaf(1)]).unwrap());
    assert_eq!(root_of(&[]).unwrap(), empty_roots()[DEPTH]);
}

#[test]
fn frontier_parts_are_checked() {
    let mut t = CommitmentTree::new();
    for i in 0..5 {
        t.append(leaf(i)).unwrap();
    }
    let back = CommitmentTree::from_parts(5, *t.ommers()).unwrap();
    assert_eq!(back.root(), t.root());
    assert!(CommitmentTree::from_parts(6, *t.ommers()).is_err());
    assert!(CommitmentTree::from_parts(1 << 33, [None; DEPTH]).is_err());
}
