//! The example logics' verdicts, and the counter incrementing itself through its
//! executable against a ledger.

mod common;
use common::{Cs, World};
use resvm_field::Digest;
use resvm_rm::builder::CounterIncrement;
use resvm_rm::resource::nullifier_commitment;
use resvm_rm::store::Stores;
use resvm_rm::{ActionBuilder, Error, Ledger, LocalStore, OtherRef, PartialTransaction, Resource};

const MINUS_ONE: u64 = resvm_field::P - 1;

fn counter(w: &mut World, label: Digest, value: u64, ephemeral: bool) -> (Resource, Digest) {
    let (mut r, n) = w.resource(w.counter, label, 1, ephemeral);
    r.value = Digest([value, 0, 0, 0]);
    (r, n)
}

/// Starts a counter: consumes an ephemeral counter with value `from`, creates one with `to`.
fn start(
    w: &mut World,
    label: Digest,
    from: u64,
    to: u64,
    show: bool,
) -> Result<(PartialTransaction, Resource, Digest), Error> {
    let (eph, en) = counter(w, label, from, true);
    let (c, cn) = counter(w, label, to, false);
    let mut b = ActionBuilder::new();
    let i = b.consume(eph, en, None)?;
    let j = b.create(c)?;
    if show {
        b.show_consumed(i, OtherRef::Created(j))?;
        b.show_created(j, OtherRef::Consumed(i))?;
    }
    let (a, created) = b.prove(&w.backend, &w.logics, &mut w.rng)?;
    Ok((PartialTransaction::single(a), created[0], cn))
}

#[test]
fn always_accept_and_always_reject() {
    let mut w = World::new(20);
    let label = w.digest();
    let (tx, _, _) = w.mint(w.accept, label, 3);
    tx.verify(&Cs::new().roots, &w.backend, &w.verifier_cache())
        .unwrap();
    let (eph, en) = w.resource(w.reject, label, 3, true);
    let mut b = ActionBuilder::new();
    b.consume(eph, en, None).unwrap();
    let e = b.prove(&w.backend, &w.logics, &mut w.rng).unwrap_err();
    assert!(matches!(e, Error::LogicRejected { .. }), "{e}");
}

#[test]
fn counter_starts_at_zero_and_refuses_other_starts() {
    let mut w = World::new(21);
    let label = w.digest();
    let (tx, c, _) = start(&mut w, label, MINUS_ONE, 0, true).unwrap();
    tx.verify(&Cs::new().roots, &w.backend, &w.verifier_cache())
        .unwrap();
    assert!(tx.is_balanced());
    assert_eq!(c.value.0[0], 0);
    for (from, to, show) in [(MINUS_ONE, 5, true), (3, 3, true), (MINUS_ONE, 0, false)] {
        let e = start(&mut w, label, from, to, show).unwrap_err();
        assert!(
            matches!(e, Error::LogicRejected { .. }),
            "{from} -> {to}: {e}"
        );
    }
}

#[test]
fn counter_refuses_a_successor_with_another_label() {
    let mut w = World::new(22);
    let (l1, l2) = (w.digest(), w.digest());
    let (eph, en) = counter(&mut w, l1, MINUS_ONE, true);
    let (c, _) = counter(&mut w, l2, 0, false);
    let mut b = ActionBuilder::new();
    let i = b.consume(eph, en, None).unwrap();
    let j = b.create(c).unwrap();
    b.show_consumed(i, OtherRef::Created(j)).unwrap();
    b.show_created(j, OtherRef::Consumed(i)).unwrap();
    assert!(matches!(
        b.prove(&w.backend, &w.logics, &mut w.rng),
        Err(Error::LogicRejected { .. })
    ));
}

#[test]
fn counter_increments_itself_through_its_executable() {
    let mut w = World::new(23);
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::init(dir.path()).unwrap();
    let label = w.digest();
    let (tx, mut c, mut cn) = start(&mut w, label, MINUS_ONE, 0, true).unwrap();
    ledger.apply(&tx, &w.backend, &w.verifier_cache()).unwrap();
    for expected in 1..=3u64 {
        let mut local = LocalStore::new();
        let address = local.insert(c, Some(cn));
        let next_n = w.digest();
        let exe = CounterIncrement {
            address,
            next_nc: nullifier_commitment(&next_n),
        };
        let mut b = ActionBuilder::new();
        b.execute(&exe, &Stores(vec![&local, &ledger])).unwrap();
        let (a, created) = b.prove(&w.backend, &w.logics, &mut w.rng).unwrap();
        assert_eq!(a.executable.as_deref(), Some("counter-increment"));
        assert_eq!(a.extradata, vec![expected]);
        let tx = PartialTransaction::single(a);
        assert!(tx.is_balanced());
        ledger.apply(&tx, &w.backend, &w.verifier_cache()).unwrap();
        c = created[0];
        cn = next_n;
        assert_eq!(c.value.0[0], expected);
    }
    // Without the nullifier secret the executable cannot consume the counter.
    let mut local = LocalStore::new();
    let address = local.insert(c, None);
    let exe = CounterIncrement {
        address,
        next_nc: w.digest(),
    };
    let e = ActionBuilder::new()
        .execute(&exe, &Stores(vec![&local, &ledger]))
        .unwrap_err();
    assert!(matches!(e, Error::Executable(_)), "{e}");
    ledger.check_integrity().unwrap();
}

fn intent_tx(
    w: &mut World,
    label: Digest,
    k: u64,
    make_q: u64,
    make_label: Digest,
    show: bool,
) -> Result<PartialTransaction, Error> {
    let (mut intent, inn) = w.resource(w.at_least, label, 1, true);
    intent.value = Digest([k, 0, 0, 0]);
    let (eph, en) = w.resource(w.accept, make_label, make_q, true);
    let (out, _) = w.resource(w.accept, make_label, make_q, false);
    let mut b = ActionBuilder::new();
    let i = b.consume(intent, inn, None)?;
    b.consume(eph, en, None)?;
    let j = b.create(out)?;
    if show {
        b.show_consumed(i, OtherRef::Created(j))?;
    }
    let (a, _) = b.prove(&w.backend, &w.logics, &mut w.rng)?;
    Ok(PartialTransaction::single(a))
}

#[test]
fn quantity_at_least_accepts_only_enough_of_its_label() {
    let mut w = World::new(24);
    let (label, other) = (w.digest(), w.digest());
    for q in [3, 4, 1000] {
        let tx = intent_tx(&mut w, label, 3, q, label, true).unwrap();
        tx.verify(&Cs::new().roots, &w.backend, &w.verifier_cache())
            .unwrap();
        // Unbalanced: the intent resource itself is consumed and nothing replaces it.
        assert!(!tx.is_balanced());
    }
    for (q, l, show) in [
        (2, label, true),
        (0, label, true),
        (5, other, true),
        (5, label, false),
    ] {
        let e = intent_tx(&mut w, label, 3, q, l, show).unwrap_err();
        assert!(matches!(e, Error::LogicRejected { .. }), "q {q}: {e}");
    }
}

#[test]
fn logic_abi_is_enforced() {
    let logics = resvm_rm::LogicCache::new();
    let e = logics.add_source("fn main(x) = 1;").unwrap_err();
    assert!(matches!(e, Error::LogicAbi(_)), "{e}");
    let public_all = common::ALWAYS_ACCEPT.replace("secret ", "");
    assert!(matches!(
        logics.add_source(&public_all),
        Err(Error::LogicAbi(_))
    ));
    assert!(matches!(
        logics.add_source("fn main("),
        Err(Error::LogicCompile(_))
    ));
}
