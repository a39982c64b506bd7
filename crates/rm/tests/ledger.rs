//! The redb ledger: apply, refusals that leave the file unchanged, replays, determinism,
//! batches, paths and public resources.

mod common;
use common::World;
use resvm_rm::{ActionBuilder, Error, Ledger, PartialTransaction, ResourceStore};
use std::path::Path;

fn file(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join(resvm_rm::ledger::DB_FILE)).unwrap()
}

#[test]
fn init_status_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::init(dir.path()).unwrap();
    let s = l.status().unwrap();
    assert_eq!(
        (s.commitments, s.nullifiers, s.roots, s.transactions),
        (0, 0, 1, 0)
    );
    assert_eq!(s.root, resvm_rm::tree::empty_roots()[32].to_hex());
    drop(l);
    assert!(Ledger::init(dir.path()).is_err());
    let l = Ledger::open(dir.path()).unwrap();
    assert_eq!(l.status().unwrap(), s);
    assert!(Ledger::open(&dir.path().join("nope")).is_err());
}

#[test]
fn apply_transfer_and_refuse_replays_leaving_the_file_unchanged() {
    let mut w = World::new(30);
    let dir = tempfile::tempdir().unwrap();
    let mut l = Ledger::init(dir.path()).unwrap();
    let label = w.digest();
    let (mint, r, n) = w.mint(w.accept, label, 10);
    let root1 = l.apply(&mint, &*w.backend, &w.verifier_cache()).unwrap();
    assert_eq!(l.root().unwrap(), root1);
    let s = l.status().unwrap();
    assert_eq!((s.commitments, s.nullifiers, s.transactions), (1, 1, 1));

    // Replaying the mint: its ephemeral nullifier is spent.
    let before = file(dir.path());
    let e = l
        .apply(&mint, &*w.backend, &w.verifier_cache())
        .unwrap_err();
    assert!(matches!(e, Error::SpentNullifier(_)), "{e}");
    assert!(
        file(dir.path()) == before,
        "a refused apply changed the file"
    );

    // Transfer with a path from the ledger.
    let c = r.commitment();
    let (path, root) = l.path(&c).unwrap();
    assert_eq!(root, root1);
    assert!(resvm_rm::verify_path(&c, &path, &root));
    let (out, _) = w.resource(w.accept, label, 10, false);
    let mut b = ActionBuilder::new();
    b.consume(r, n, Some((path, root))).unwrap();
    b.create(out).unwrap();
    let tx = PartialTransaction::single(b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap().0);
    let root2 = l.apply(&tx, &*w.backend, &w.verifier_cache()).unwrap();
    assert_ne!(root1, root2);

    // Double spend against the ledger.
    let before = file(dir.path());
    let e = l.apply(&tx, &*w.backend, &w.verifier_cache()).unwrap_err();
    assert!(matches!(e, Error::SpentNullifier(_)), "{e}");
    assert!(
        file(dir.path()) == before,
        "a refused apply changed the file"
    );
    l.check_integrity().unwrap();
    let s = l.status().unwrap();
    assert_eq!(
        (s.commitments, s.nullifiers, s.roots, s.transactions),
        (2, 2, 3, 2)
    );
}

#[test]
fn unbalanced_unknown_root_and_invalid_are_refused_unchanged() {
    let mut w = World::new(31);
    let dir = tempfile::tempdir().unwrap();
    let mut l = Ledger::init(dir.path()).unwrap();
    let label = w.digest();
    // Unbalanced: consume 5, create 4.
    let (eph, en) = w.resource(w.accept, label, 5, true);
    let (out, _) = w.resource(w.accept, label, 4, false);
    let mut b = ActionBuilder::new();
    b.consume(eph, en, None).unwrap();
    b.create(out).unwrap();
    let unbalanced =
        PartialTransaction::single(b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap().0);
    // Unknown root: spend a resource from a tree the ledger never had.
    let (mint, r, n) = w.mint(w.accept, label, 3);
    let mut private = common::Cs::new();
    let i = private.add(&mint);
    let (spend, _, _) = w.transfer(&private.tree, i, r, n);
    // Invalid: a forged proof.
    let (mut forged, _, _) = w.mint(w.accept, label, 3);
    forged.actions[0].proofs.proof[10] ^= 1;
    let before = file(dir.path());
    let status = l.status().unwrap();
    let unchanged = |dir: &Path| file(dir) == before;
    let e = l
        .apply(&unbalanced, &*w.backend, &w.verifier_cache())
        .unwrap_err();
    assert!(matches!(e, Error::Unbalanced(_)), "{e}");
    let e = l
        .apply(&spend, &*w.backend, &w.verifier_cache())
        .unwrap_err();
    assert!(matches!(e, Error::UnknownRoot { .. }), "{e}");
    let e = l
        .apply(&forged, &*w.backend, &w.verifier_cache())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidProof(_)), "{e}");
    assert!(unchanged(dir.path()), "a refused apply changed the file");
    // A batch with two conflicting transactions is refused whole.
    let (m2, _, _) = w.mint(w.accept, label, 3);
    let e = l
        .apply_batch(
            &[m2.clone(), m2.clone()],
            Some((&*w.backend, &w.verifier_cache())),
        )
        .unwrap_err();
    assert!(matches!(e, Error::SpentNullifier(_)), "{e}");
    assert_eq!(l.status().unwrap(), status);
    drop(l);
    // (The batch opened and aborted a write transaction: redb may rewrite free pages, so
    // only the content is compared.)
    let l = Ledger::open(dir.path()).unwrap();
    assert_eq!(l.status().unwrap(), status);
    l.check_integrity().unwrap();
}

#[test]
fn roots_are_deterministic_across_fresh_ledgers() {
    let mut w = World::new(32);
    let label = w.digest();
    let txs: Vec<PartialTransaction> = (0..5).map(|q| w.mint(w.accept, label, q + 1).0).collect();
    let mut seen = Vec::new();
    for batched in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::init(dir.path()).unwrap();
        let root = if batched {
            l.apply_batch(&txs, Some((&*w.backend, &w.verifier_cache())))
                .unwrap()
        } else {
            let roots: Vec<_> = txs
                .iter()
                .map(|t| l.apply(t, &*w.backend, &w.verifier_cache()).unwrap())
                .collect();
            // One root per transaction, all distinct.
            assert_eq!(
                roots.iter().collect::<std::collections::HashSet<_>>().len(),
                5
            );
            *roots.last().unwrap()
        };
        let mut s = l.status().unwrap();
        // A batch is one block: only its final root joins the historical roots.
        assert_eq!(s.roots, if batched { 2 } else { 6 });
        s.roots = 0;
        seen.push((root, s));
        l.check_integrity().unwrap();
    }
    assert_eq!(seen[0], seen[1]);
}

#[test]
fn published_resources_are_readable_by_address() {
    let mut w = World::new(33);
    let dir = tempfile::tempdir().unwrap();
    let mut l = Ledger::init(dir.path()).unwrap();
    let label = w.digest();
    let (eph, en) = w.resource(w.accept, label, 2, true);
    let (a, _) = w.resource(w.accept, label, 1, false);
    let (b_, _) = w.resource(w.accept, label, 1, false);
    let mut b = ActionBuilder::new();
    b.consume(eph, en, None).unwrap();
    b.create(a).unwrap();
    b.create(b_).unwrap();
    b.publish(0).unwrap();
    let (action, created) = b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap();
    l.apply(
        &PartialTransaction::single(action),
        &*w.backend,
        &w.verifier_cache(),
    )
    .unwrap();
    assert_eq!(l.resource(&created[0].commitment()), Some(created[0]));
    assert_eq!(l.resource(&created[1].commitment()), None);
    assert_eq!(l.status().unwrap().public_resources, 1);
}
