//! The example logics' verdicts, and the counter incrementing itself through its
//! executable against a ledger.

mod common;
use common::{Cs, World};
use resvm_field::merge;
use resvm_field::Digest;
use resvm_rm::builder::CounterIncrement;
use resvm_rm::resource::{key_hash, kind, nullifier_commitment};
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
    let (a, created) = b.prove(&*w.backend, &w.logics, &mut w.rng)?;
    Ok((PartialTransaction::single(a), created[0], cn))
}

#[test]
fn always_accept_and_always_reject() {
    let mut w = World::new(20);
    let label = w.digest();
    let (tx, _, _) = w.mint(w.accept, label, 3);
    tx.verify(&Cs::new().roots, &*w.backend, &w.verifier_cache())
        .unwrap();
    let (eph, en) = w.resource(w.reject, label, 3, true);
    let mut b = ActionBuilder::new();
    b.consume(eph, en, None).unwrap();
    let e = b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap_err();
    assert!(matches!(e, Error::LogicRejected { .. }), "{e}");
}

#[test]
fn counter_starts_at_zero_and_refuses_other_starts() {
    let mut w = World::new(21);
    let label = w.digest();
    let (tx, c, _) = start(&mut w, label, MINUS_ONE, 0, true).unwrap();
    tx.verify(&Cs::new().roots, &*w.backend, &w.verifier_cache())
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
        b.prove(&*w.backend, &w.logics, &mut w.rng),
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
    ledger.apply(&tx, &*w.backend, &w.verifier_cache()).unwrap();
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
        let (a, created) = b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap();
        assert_eq!(a.executable.as_deref(), Some("counter-increment"));
        assert_eq!(a.extradata, vec![expected]);
        let tx = PartialTransaction::single(a);
        assert!(tx.is_balanced());
        ledger.apply(&tx, &*w.backend, &w.verifier_cache()).unwrap();
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

/// An intent for at least `want` of kind `kind` for `owner`, satisfied (or not) by an
/// action that creates `make_q` of (accept, `make_label`) with value `make_owner`.
#[allow(clippy::too_many_arguments)]
fn intent_tx(
    w: &mut World,
    want_label: Digest,
    want: u64,
    owner: Digest,
    make_q: u64,
    make_label: Digest,
    make_owner: Digest,
    show: bool,
) -> Result<PartialTransaction, Error> {
    let want_kind = kind(&w.accept, &want_label);
    let terms = Digest([want, 0, 0, 0]);
    let (mut intent, inn) = w.resource(w.intent, merge(&want_kind, &terms), 0, true);
    intent.value = owner;
    let (eph, en) = w.resource(w.accept, make_label, make_q, true);
    let (mut out, _) = w.resource(w.accept, make_label, make_q, false);
    out.value = make_owner;
    let mut b = ActionBuilder::new();
    let i = b.consume(intent, inn, None)?;
    b.aux_consumed(i, [want_kind, terms])?;
    b.consume(eph, en, None)?;
    let j = b.create(out)?;
    if show {
        b.show_consumed(i, OtherRef::Created(j))?;
    }
    let (a, _) = b.prove(&*w.backend, &w.logics, &mut w.rng)?;
    Ok(PartialTransaction::single(a))
}

#[test]
fn intent_accepts_only_enough_of_its_kind_for_its_owner() {
    intent_verdicts(World::new(24));
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn intent_verdicts_under_the_stark_backend() {
    intent_verdicts(World::stark(26));
}

fn intent_verdicts(mut w: World) {
    let (label, other) = (w.digest(), w.digest());
    let (owner, stranger) = (w.digest(), w.digest());
    for q in [3, 4, 1000] {
        let tx = intent_tx(&mut w, label, 3, owner, q, label, owner, true).unwrap();
        tx.verify(&Cs::new().roots, &*w.backend, &w.verifier_cache())
            .unwrap();
        // The intent changes no balance (quantity 0); the made resource is the delta.
        assert_eq!(tx.delta().entries().len(), 0);
    }
    for (q, l, o, show) in [
        (2, label, owner, true),
        (0, label, owner, true),
        (5, other, owner, true),
        (5, label, stranger, true),
        (5, label, owner, false),
    ] {
        let e = intent_tx(&mut w, label, 3, owner, q, l, o, show).unwrap_err();
        assert!(matches!(e, Error::LogicRejected { .. }), "q {q}: {e}");
    }
}

/// Mints `q` tokens labelled with the issuer's key hash to `owner` using `key` as the
/// issuer's secret.
fn mint_token(
    w: &mut World,
    issuer: Digest,
    key: Digest,
    owner: Digest,
    q: u64,
) -> Result<(PartialTransaction, Resource, Digest), Error> {
    let label = key_hash(&issuer);
    let (eph, en) = w.resource(w.token, label, q, true);
    let (mut out, on) = w.resource(w.token, label, q, false);
    out.value = key_hash(&owner);
    let mut b = ActionBuilder::new();
    let i = b.consume(eph, en, None)?;
    b.aux_consumed(i, [key, Digest([0; 4])])?;
    b.create(out)?;
    let (a, created) = b.prove(&*w.backend, &w.logics, &mut w.rng)?;
    Ok((PartialTransaction::single(a), created[0], on))
}

#[test]
fn token_mint_needs_the_issuer_and_spend_needs_the_owner() {
    token_verdicts(World::new(25));
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn token_verdicts_under_the_stark_backend() {
    token_verdicts(World::stark(27));
}

fn token_verdicts(mut w: World) {
    let (issuer, owner, thief) = (w.digest(), w.digest(), w.digest());
    let e = mint_token(&mut w, issuer, thief, owner, 5).unwrap_err();
    assert!(matches!(e, Error::LogicRejected { .. }), "{e}");
    let (mint, r, n) = mint_token(&mut w, issuer, issuer, owner, 5).unwrap();
    let mut cs = Cs::new();
    mint.verify(&cs.roots, &*w.backend, &w.verifier_cache())
        .unwrap();
    let i = cs.add(&mint);
    let spend = |w: &mut World, key: Digest| {
        let (out, _) = w.resource(w.token, r.label, 5, false);
        let mut b = ActionBuilder::new();
        let c = b
            .consume(r, n, Some((cs.tree.path(i).unwrap(), cs.tree.root())))
            .unwrap();
        b.aux_consumed(c, [key, Digest([0; 4])]).unwrap();
        b.create(out).unwrap();
        b.prove(&*w.backend, &w.logics, &mut w.rng)
    };
    let e = spend(&mut w, thief).unwrap_err();
    assert!(matches!(e, Error::LogicRejected { .. }), "{e}");
    let (a, _) = spend(&mut w, owner).unwrap();
    PartialTransaction::single(a)
        .verify(&cs.roots, &*w.backend, &w.verifier_cache())
        .unwrap();
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
