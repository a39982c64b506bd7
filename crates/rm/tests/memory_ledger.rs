//! The in-memory ledger follows the redb ledger's rules (one rule set, `state::check_state`):
//! the same refusals with the same errors, the same roots for the same transactions; and the
//! demo flow (`resvm_rm::demo::run`) on both, with the re-execution backend (the STARK run
//! is `resvm demo`'s test, in release).

mod common;
use common::World;
use rand::SeedableRng;
use resvm_rm::demo::{DemoHost, DemoReport};
use resvm_rm::{
    ActionBuilder, Error, Ledger, LedgerApi, MemoryLedger, PartialTransaction, ReexecBackend,
    ResourceStore,
};

/// Applies `tx` to both ledgers; both must agree (same root, or errors of the same kind).
fn both(
    w: &World,
    mem: &mut MemoryLedger,
    disk: &mut Ledger,
    tx: &PartialTransaction,
) -> Result<resvm_field::Digest, Error> {
    let a = LedgerApi::apply(mem, tx, &*w.backend, &w.verifier_cache());
    let b = LedgerApi::apply(disk, tx, &*w.backend, &w.verifier_cache());
    match (&a, &b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "the ledgers disagree on the root"),
        (Err(x), Err(y)) => assert_eq!(
            std::mem::discriminant(x),
            std::mem::discriminant(y),
            "{x} vs {y}"
        ),
        _ => panic!("the ledgers disagree: {a:?} vs {b:?}"),
    }
    assert_eq!(mem.status().unwrap(), LedgerApi::status(disk).unwrap());
    a
}

#[test]
fn memory_ledger_applies_and_refuses_as_the_redb_ledger_does() {
    let mut w = World::new(40);
    let dir = tempfile::tempdir().unwrap();
    let mut disk = Ledger::init(dir.path()).unwrap();
    let mut mem = MemoryLedger::new();
    assert_eq!(mem.status().unwrap(), disk.status().unwrap());
    let label = w.digest();

    let (mint, r, n) = w.mint(w.accept, label, 10);
    let root1 = both(&w, &mut mem, &mut disk, &mint).unwrap();
    let e = both(&w, &mut mem, &mut disk, &mint).unwrap_err();
    assert!(matches!(e, Error::SpentNullifier(_)), "{e}");

    // A transfer with the memory ledger's path.
    let c = r.commitment();
    let (path, root) = LedgerApi::path(&mem, &c).unwrap();
    assert_eq!((path.clone(), root), disk.path(&c).unwrap());
    assert_eq!(root, root1);
    let (out, _) = w.resource(w.accept, label, 10, false);
    let mut b = ActionBuilder::new();
    b.consume(r, n, Some((path, root))).unwrap();
    b.create(out).unwrap();
    let tx = PartialTransaction::single(b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap().0);
    let root2 = both(&w, &mut mem, &mut disk, &tx).unwrap();
    assert_ne!(root1, root2);
    assert_eq!(mem.root(), root2);
    let e = both(&w, &mut mem, &mut disk, &tx).unwrap_err();
    assert!(matches!(e, Error::SpentNullifier(_)), "{e}");

    // Unbalanced, unknown root, forged proof: refused, nothing changed.
    let (eph, en) = w.resource(w.accept, label, 5, true);
    let (out, _) = w.resource(w.accept, label, 4, false);
    let mut b = ActionBuilder::new();
    b.consume(eph, en, None).unwrap();
    b.create(out).unwrap();
    let unbalanced =
        PartialTransaction::single(b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap().0);
    let (m, r, n) = w.mint(w.accept, label, 3);
    let mut private = common::Cs::new();
    let i = private.add(&m);
    let (spend, _, _) = w.transfer(&private.tree, i, r, n);
    let (mut forged, _, _) = w.mint(w.accept, label, 3);
    forged.actions[0].proofs.proof[10] ^= 1;
    let before = mem.status().unwrap();
    let e = both(&w, &mut mem, &mut disk, &unbalanced).unwrap_err();
    assert!(matches!(e, Error::Unbalanced(_)), "{e}");
    let e = both(&w, &mut mem, &mut disk, &spend).unwrap_err();
    assert!(matches!(e, Error::UnknownRoot { .. }), "{e}");
    let e = both(&w, &mut mem, &mut disk, &forged).unwrap_err();
    assert!(matches!(e, Error::InvalidProof(_)), "{e}");
    assert_eq!(mem.status().unwrap(), before);
    assert!(matches!(
        LedgerApi::path(&mem, &w.digest()),
        Err(Error::UnknownResource(_))
    ));
    assert!(ResourceStore::resource(&mem, &w.digest()).is_none());
}

/// Records what the demo reports.
#[derive(Default)]
struct Recorder {
    lines: Vec<String>,
    partials: Vec<String>,
    applied: Vec<(usize, usize)>,
}

impl DemoHost for Recorder {
    fn now_ms(&self) -> f64 {
        0.0
    }
    fn line(&mut self, text: &str) {
        self.lines.push(text.to_string());
    }
    fn partial(&mut self, name: &str, tx: &PartialTransaction) -> Result<(), Error> {
        self.partials.push(format!("{name} {}", tx.is_balanced()));
        Ok(())
    }
    fn applied(&mut self, seq: usize, tx: &PartialTransaction) -> Result<(), Error> {
        self.applied.push((seq, tx.actions.len()));
        Ok(())
    }
}

fn check_report(report: &DemoReport, host: &Recorder, status: &resvm_rm::LedgerStatus) {
    assert_eq!(report.transactions, 2);
    assert_eq!(report.commitments.len(), 4);
    assert_eq!(report.nullifiers.len(), 6);
    assert!(
        report.refused.starts_with("double spend"),
        "{}",
        report.refused
    );
    assert_eq!(report.root.to_hex(), status.root);
    assert_eq!(
        (status.commitments, status.nullifiers, status.transactions),
        (4, 6, 2)
    );
    assert_eq!(
        host.partials,
        [
            "mint-a true",
            "mint-b true",
            "alice-swap false",
            "bob-swap false"
        ]
    );
    assert_eq!(host.applied, [(1, 2), (2, 2)]);
    for step in [
        "1. mint",
        "2. each party",
        "3. compose them",
        "4. double spend",
    ] {
        assert!(host.lines.iter().any(|l| l.starts_with(step)), "{step}");
    }
    assert!(host
        .lines
        .iter()
        .any(|l| *l == format!("  refused: {}", report.refused)));
}

#[test]
fn the_demo_runs_on_the_memory_ledger_and_on_redb() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(41);
    let mut mem = MemoryLedger::new();
    let mut host = Recorder::default();
    let report = resvm_rm::demo::run(&mut mem, &ReexecBackend, &mut rng, &mut host).unwrap();
    check_report(&report, &host, &mem.status().unwrap());

    let dir = tempfile::tempdir().unwrap();
    let mut disk = Ledger::init(dir.path()).unwrap();
    let mut host = Recorder::default();
    let report = resvm_rm::demo::run(&mut disk, &ReexecBackend, &mut rng, &mut host).unwrap();
    check_report(&report, &host, &disk.status().unwrap());
    disk.check_integrity().unwrap();
}
