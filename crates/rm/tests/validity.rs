//! One test per validity rule: each builds a valid transaction, breaks one thing, and
//! checks the verifier refuses it with the right reason — against both backends (the
//! STARK ones prove for real, so they run in release: `cargo test --release`).

mod common;
use common::{Cs, World};
use resvm_field::{Digest, F};
use resvm_rm::backend::{
    ActionStatement, ActionWitness, AuxDigest, ConsumedWitness, CreatedWitness, TagWitness,
};
use resvm_rm::resource::{derive_nonce, nullifiers_digest, MAX_QUANTITY};
use resvm_rm::transaction::{action_digest, verify_actions, Delta, MAX_EXTRADATA};
use resvm_rm::{ActionBuilder, Error, PartialTransaction, Resource};

fn verify(w: &World, cs: &Cs, tx: &PartialTransaction) -> Result<(), Error> {
    tx.verify(&cs.roots, &*w.backend, &w.verifier_cache())
}

fn is_stark(w: &World) -> bool {
    w.backend.name() == "stark-v1"
}

/// A minted resource in `cs` and a valid transfer of it.
fn setup(w: &mut World) -> (Cs, PartialTransaction) {
    let mut cs = Cs::new();
    let label = w.digest();
    let (mint, r, n) = w.mint(w.accept, label, 10);
    verify(w, &cs, &mint).unwrap();
    assert!(mint.is_balanced());
    let i = cs.add(&mint);
    let (tx, _, _) = w.transfer(&cs.tree, i, r, n);
    verify(w, &cs, &tx).unwrap();
    (cs, tx)
}

/// Each rule as a function of the world's constructor, instantiated per backend.
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        mod reexec {
            $(#[test] fn $name() { super::$name(super::World::new) })*
        }
        mod stark {
            $(#[test] #[cfg_attr(debug_assertions, ignore)] fn $name() { super::$name(super::World::stark) })*
        }
    };
}

per_backend!(
    valid_transfer_verifies_and_round_trips_through_json,
    forged_or_missing_proof_is_refused,
    wrong_logic_is_refused,
    rejecting_logic_refuses_creation,
    proof_from_another_transaction_is_refused,
    swapped_resource_is_refused,
    commitment_not_in_cs_is_refused,
    nullifier_whose_preimage_does_not_match_nc_is_refused,
    unbalanced_delta_is_detected_and_false_delta_refused,
    quantity_wrap_is_refused,
    double_spend_within_one_transaction_is_refused,
    double_spend_across_composed_transactions_is_refused_naming_the_nullifier,
    composition_is_associative_and_deltas_add,
    the_first_failing_action_is_reported,
    sequential_composition_consumes_what_the_first_created,
    creating_without_consuming_is_refused,
    backend_name_mismatch_is_refused,
);

type Mk = fn(u64) -> World;

fn valid_transfer_verifies_and_round_trips_through_json(mk: Mk) {
    let mut w = mk(1);
    let (cs, tx) = setup(&mut w);
    assert!(tx.is_balanced());
    let back = PartialTransaction::from_json(&tx.to_json()).unwrap();
    assert_eq!(back, tx);
    verify(&w, &cs, &back).unwrap();
}

fn forged_or_missing_proof_is_refused(mk: Mk) {
    let mut w = mk(2);
    let (cs, tx) = setup(&mut w);
    let len = tx.actions[0].proofs.proof.len();
    // Flip bytes spread over a STARK proof — never accepted, never a panic. (A
    // re-execution "proof" is the witness: changing a part no check reads, such as the aux
    // digests of an always-accept logic, leaves a valid proof.)
    let flips = if is_stark(&w) { len } else { 0 };
    for i in (0..flips).step_by((len / 40).max(1)) {
        let mut t = tx.clone();
        t.actions[0].proofs.proof[i] ^= 0x01;
        let e = verify(&w, &cs, &t).unwrap_err();
        assert!(matches!(e, Error::InvalidProof(_)), "byte {i}: {e}");
    }
    let mut t = tx.clone();
    t.actions[0].proofs.proof.truncate(len / 2);
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(matches!(e, Error::InvalidProof(_)), "{e}");
    if is_stark(&w) {
        assert!(e.to_string().contains("malformed proof"), "{e}");
    }
    let mut t = tx.clone();
    t.actions[0].proofs.proof.clear();
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(e.to_string().contains("missing proof"), "{e}");
}

fn wrong_logic_is_refused(mk: Mk) {
    let mut w = mk(4);
    let (cs, tx) = setup(&mut w);
    // Claim the created resource is governed by another logic (with its program).
    let mut t = tx.clone();
    t.actions[0].proofs.logics[1] = w.counter;
    t.actions[0]
        .proofs
        .programs
        .push(resvm_rm::transaction::ProgramSource {
            digest: w.counter,
            source: common::COUNTER.into(),
        });
    let e = verify(&w, &cs, &t).unwrap_err();
    if is_stark(&w) {
        assert!(e.to_string().contains("another program"), "{e}");
    } else {
        assert!(e.to_string().contains("not the logic named"), "{e}");
    }
    // A program whose digest is not the one claimed.
    let mut t = tx.clone();
    t.actions[0].proofs.programs[0].source = common::ALWAYS_REJECT.into();
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(matches!(e, Error::ProgramDigestMismatch { .. }), "{e}");
    // No program at all.
    let mut t = tx.clone();
    t.actions[0].proofs.programs.clear();
    assert!(matches!(verify(&w, &cs, &t), Err(Error::MissingProgram(_))));
}

fn rejecting_logic_refuses_creation(mk: Mk) {
    let mut w = mk(5);
    let label = w.digest();
    let (eph, en) = w.resource(w.reject, label, 1, true);
    let (out, _) = w.resource(w.reject, label, 1, false);
    let mut b = ActionBuilder::new();
    b.consume(eph, en, None).unwrap();
    b.create(out).unwrap();
    let e = b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap_err();
    assert!(matches!(e, Error::LogicRejected { .. }), "{e}");
    assert!(e.to_string().contains("returned 0"), "{e}");
}

fn proof_from_another_transaction_is_refused(mk: Mk) {
    let mut w = mk(6);
    let mut cs = Cs::new();
    let label = w.digest();
    let (mint, r, n) = w.mint(w.accept, label, 10);
    let i = cs.add(&mint);
    // Two different transfers of the same resource: same nullifier, other outputs.
    let (a, _, _) = w.transfer(&cs.tree, i, r, n);
    let (b, _, _) = w.transfer(&cs.tree, i, r, n);
    assert_eq!(a.actions[0].consumed, b.actions[0].consumed);
    let mut t = b.clone();
    t.actions[0].proofs.proof = a.actions[0].proofs.proof.clone();
    let e = verify(&w, &cs, &t).unwrap_err();
    if is_stark(&w) {
        assert!(e.to_string().contains("other public inputs"), "{e}");
    } else {
        assert!(e.to_string().contains("another action"), "{e}");
    }
    // Same lists, other extradata: the action digest differs.
    let mut t = a.clone();
    t.actions[0].extradata.push(7);
    assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
}

fn swapped_resource_is_refused(mk: Mk) {
    let mut w = mk(7);
    let (cs, tx) = setup(&mut w);
    // Replace the created commitment by another one.
    let mut t = tx.clone();
    t.actions[0].created[0] = w.digest();
    assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
}

fn commitment_not_in_cs_is_refused(mk: Mk) {
    let mut w = mk(8);
    let mut cs = Cs::new();
    let label = w.digest();
    let (mint, r, n) = w.mint(w.accept, label, 10);
    // The mint's commitment goes into a tree whose root the verifier's CS never had.
    let mut private = Cs::new();
    let i = private.add(&mint);
    let (tx, _, _) = w.transfer(&private.tree, i, r, n);
    let e = verify(&w, &cs, &tx).unwrap_err();
    assert!(matches!(e, Error::UnknownRoot { .. }), "{e}");
    // Once CS has it, fine.
    cs.add(&mint);
    verify(&w, &cs, &tx).unwrap();
    // A root in CS but a path that does not lead there: refused by the proof.
    let mut t = tx.clone();
    t.actions[0].proofs.roots[0] = Some(
        *cs.roots
            .iter()
            .find(|r| Some(**r) != tx.actions[0].proofs.roots[0])
            .unwrap(),
    );
    assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
    // A persistent resource claimed ephemeral (no root): refused.
    let mut t = tx.clone();
    t.actions[0].proofs.roots[0] = None;
    assert!(verify(&w, &cs, &t).is_err());
}

/// A one-resource statement and witness built by hand (past the builder's checks).
fn forged(
    consumed: Vec<(Resource, Digest)>,
    created: Vec<(Resource, Digest)>,
    logics: Vec<Digest>,
    delta: Delta,
) -> (Vec<Digest>, Vec<Digest>, Vec<Digest>, Delta, ActionWitness) {
    let nfs: Vec<Digest> = consumed.iter().map(|c| c.1).collect();
    let cms: Vec<Digest> = created.iter().map(|c| c.0.commitment()).collect();
    let tags = (0..nfs.len() + cms.len())
        .map(|_| TagWitness {
            other: None,
            aux: [AuxDigest(Digest([0; 4])); 2],
        })
        .collect();
    let wit = ActionWitness {
        consumed: consumed
            .into_iter()
            .map(|(resource, _)| ConsumedWitness {
                resource,
                path: None,
            })
            .collect(),
        created: created
            .into_iter()
            .map(|(resource, rand)| CreatedWitness { resource, rand })
            .collect(),
        tags,
    };
    (nfs, cms, logics, delta, wit)
}

fn nullifier_whose_preimage_does_not_match_nc_is_refused(mk: Mk) {
    let mut w = mk(9);
    let (cs, tx) = setup(&mut w);
    // The builder refuses a wrong secret.
    let label = w.digest();
    let (r, _) = w.resource(w.accept, label, 1, true);
    let wrong = w.digest();
    assert!(ActionBuilder::new().consume(r, wrong, None).is_err());
    // A forged nullifier in a valid transaction: refused.
    let mut t = tx.clone();
    t.actions[0].consumed[0] = w.digest();
    assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
    // And the backend refuses to prove it.
    let mut d = Delta::zero();
    d.add(r.kind(), 1);
    let (nfs, cms, logics, delta, wit) = forged(vec![(r, wrong)], vec![], vec![w.accept], d);
    let stmt = ActionStatement {
        consumed: &nfs,
        created: &cms,
        roots: &[None],
        logics: &logics,
        delta: &delta,
        action: action_digest(&nfs, &cms, &[]),
    };
    let p = w.logics.get(&w.accept).unwrap();
    let e = w.backend.prove(&stmt, &[&p], &wit).unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
    if is_stark(&w) {
        // The circuit itself refuses it: its run fails (output 0), so no proof of output 1.
        circuit_refuses(&stmt, &[&p], &wit);
    }
}

/// Runs the STARK backend's action program on a witness without the native pre-check
/// and checks that the run does not accept (it traps or returns 0).
fn circuit_refuses(
    stmt: &ActionStatement,
    programs: &[&resvm_rm::LogicProgram],
    wit: &ActionWitness,
) {
    let persistent: Vec<bool> = stmt.roots.iter().map(Option::is_some).collect();
    let program = resvm_rm::stark::action_program(
        &persistent,
        stmt.created.len(),
        stmt.delta.entries().len(),
        &programs
            .iter()
            .map(|p| &p.compiled.program)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let public = resvm_rm::stark::public_inputs(stmt);
    let secret = resvm_rm::stark::witness_inputs(stmt, wit);
    let inputs: Vec<F> = public.into_iter().chain(secret).collect();
    // A failed check either branches to the failure block (output 0) or, when the value it
    // tests is not a bit (a random difference), traps on the branch: nothing else.
    match resvm_exec::stack::run(&program, &inputs, &resvm_exec::Limits::default()) {
        Ok(o) => assert_eq!(o.output, F::new(0), "the circuit accepted"),
        Err(t) => assert!(
            matches!(t, resvm_exec::Trap::BranchCondition { .. }),
            "unexpected trap: {t}"
        ),
    }
}

fn unbalanced_delta_is_detected_and_false_delta_refused(mk: Mk) {
    let mut w = mk(10);
    let (cs, tx) = setup(&mut w);
    // An honest unbalanced action (an intent: give 10, want nothing) verifies but is not
    // balanced.
    let label = w.digest();
    let (eph, en) = w.resource(w.accept, label, 10, true);
    let mut b = ActionBuilder::new();
    b.consume(eph, en, None).unwrap();
    let (a, _) = b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap();
    let intent = PartialTransaction::single(a);
    verify(&w, &cs, &intent).unwrap();
    assert!(!intent.is_balanced());
    assert_eq!(
        intent
            .delta()
            .entries()
            .values()
            .copied()
            .collect::<Vec<_>>(),
        vec![10]
    );
    // False delta claims: refused by the proof.
    for change in [5i128, -3] {
        let mut t = tx.clone();
        t.actions[0].delta.add(w.digest(), change);
        assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
    }
    let mut t = intent.clone();
    let kind = *t.actions[0].delta.entries().keys().next().unwrap();
    t.actions[0].delta.add(kind, 1);
    assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
}

fn quantity_wrap_is_refused(mk: Mk) {
    let mut w = mk(11);
    let label = w.digest();
    let p = resvm_field::P;
    // "Create p - 1 and 2 against 1": modulo p the delta would be 1 - (p - 1) - 2 = 0.
    let (one, n1) = w.resource(w.accept, label, 1, true);
    let (big, _) = w.resource(w.accept, label, p - 1, false);
    let (two, _) = w.resource(w.accept, label, 2, false);
    let mut b = ActionBuilder::new();
    b.consume(one, n1, None).unwrap();
    assert!(matches!(
        b.create(big),
        Err(Error::QuantityOutOfRange { .. })
    ));
    b.create(two).unwrap();
    // Forge it past the builder: a witness with the out-of-range quantity.
    let nfd = nullifiers_digest(&[n1]);
    let mut outs = Vec::new();
    for (j, mut r) in [big, two].into_iter().enumerate() {
        let rand = w.digest();
        r.nonce = derive_nonce(&nfd, j as u64, &rand);
        outs.push((r, rand));
    }
    let (nfs, cms, logics, delta, wit) =
        forged(vec![(one, n1)], outs, vec![w.accept; 3], Delta::zero());
    let stmt = ActionStatement {
        consumed: &nfs,
        created: &cms,
        roots: &[None],
        logics: &logics,
        delta: &delta,
        action: action_digest(&nfs, &cms, &[]),
    };
    let pr = w.logics.get(&w.accept).unwrap();
    let progs = [&*pr, &*pr, &*pr];
    let e = w.backend.prove(&stmt, &progs, &wit).unwrap_err();
    assert!(e.to_string().contains("exceeds the bound"), "{e}");
    if is_stark(&w) {
        // The range check is in the circuit: the field sums balance, the run still fails.
        circuit_refuses(&stmt, &progs, &wit);
    }
    // The largest allowed quantity is fine, one more is not.
    let (ok, _) = w.resource(w.accept, label, MAX_QUANTITY, false);
    assert!(ok.check_bounds().is_ok());
    let (bad, _) = w.resource(w.accept, label, MAX_QUANTITY + 1, false);
    assert!(bad.check_bounds().is_err());
}

#[test]
fn too_many_resources_in_a_composition_are_refused() {
    let mut w = World::new(12);
    let label = w.digest();
    // One action with 2^13 + 1 resources; two of them composed exceed 2^14.
    let half = resvm_rm::MAX_RESOURCES / 2;
    let build = |w: &mut World| {
        let (eph, en) = w.resource(w.accept, label, half as u64, true);
        let mut b = ActionBuilder::new();
        b.consume(eph, en, None).unwrap();
        for _ in 0..half {
            let (r, _) = w.resource(w.accept, label, 1, false);
            b.create(r).unwrap();
        }
        PartialTransaction::single(b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap().0)
    };
    let a = build(&mut w);
    let b = build(&mut w);
    let e = a.compose_concurrent(&b).unwrap_err();
    assert!(
        matches!(e, Error::TooManyResources { count } if count == 2 * half + 2),
        "{e}"
    );
    // Gluing the lists by hand is caught by the verifier.
    let mut glued = a.clone();
    glued.actions.extend(b.actions.clone());
    let cs = Cs::new();
    assert!(matches!(
        verify(&w, &cs, &glued),
        Err(Error::TooManyResources { .. })
    ));
}

fn double_spend_within_one_transaction_is_refused(mk: Mk) {
    let mut w = mk(13);
    let (cs, tx) = setup(&mut w);
    // The same nullifier twice in one action.
    let mut t = tx.clone();
    let a = &mut t.actions[0];
    a.consumed.push(a.consumed[0]);
    a.proofs.roots.push(a.proofs.roots[0]);
    a.proofs.logics.insert(1, a.proofs.logics[0]);
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(matches!(e, Error::DuplicateNullifier(_)), "{e}");
    // The same action twice in one transaction.
    let mut t = tx.clone();
    t.actions.push(t.actions[0].clone());
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(matches!(e, Error::DuplicateNullifier(_)), "{e}");
}

fn double_spend_across_composed_transactions_is_refused_naming_the_nullifier(mk: Mk) {
    let mut w = mk(14);
    let mut cs = Cs::new();
    let label = w.digest();
    let (mint, r, n) = w.mint(w.accept, label, 10);
    let i = cs.add(&mint);
    let (a, _, _) = w.transfer(&cs.tree, i, r, n);
    let (b, _, _) = w.transfer(&cs.tree, i, r, n);
    let nf = a.actions[0].consumed[0];
    for e in [
        a.compose_concurrent(&b).unwrap_err(),
        a.compose_sequential(&b).unwrap_err(),
    ] {
        assert!(
            matches!(e, Error::ConflictingNullifier(x) if x == nf),
            "{e}"
        );
        assert!(e.to_string().contains(&nf.to_hex()), "{e}");
    }
}

/// Three one-action intents, each consuming an ephemeral resource of its own kind (quantities
/// 3, 5 and 7).
fn three_intents(w: &mut World) -> Vec<PartialTransaction> {
    [3u64, 5, 7]
        .into_iter()
        .map(|q| {
            let label = w.digest();
            let (eph, en) = w.resource(w.accept, label, q, true);
            let mut b = ActionBuilder::new();
            b.consume(eph, en, None).unwrap();
            PartialTransaction::single(b.prove(&*w.backend, &w.logics, &mut w.rng).unwrap().0)
        })
        .collect()
}

fn composition_is_associative_and_deltas_add(mk: Mk) {
    let mut w = mk(15);
    let cs = Cs::new();
    let intents = three_intents(&mut w);
    let [a, b, c] = [&intents[0], &intents[1], &intents[2]];
    let left = a
        .compose_concurrent(b)
        .unwrap()
        .compose_concurrent(c)
        .unwrap();
    let right = a
        .compose_concurrent(&b.compose_concurrent(c).unwrap())
        .unwrap();
    assert_eq!(left, right);
    assert_eq!(left.delta(), a.delta().plus(&b.delta()).plus(&c.delta()));
    assert_eq!(left.delta().entries().len(), 3);
    verify(&w, &cs, &left).unwrap();
}

/// Actions are verified together (the STARK backend checks their proofs in parallel), but
/// the verdict is the sequential one: the error of the first action that fails, whether it
/// fails its proof or an earlier check.
fn the_first_failing_action_is_reported(mk: Mk) {
    let mut w = mk(18);
    let cs = Cs::new();
    let intents = three_intents(&mut w);
    let tx = intents[0]
        .compose_concurrent(&intents[1])
        .unwrap()
        .compose_concurrent(&intents[2])
        .unwrap();
    verify(&w, &cs, &tx).unwrap();
    let alone = |t: &PartialTransaction, i: usize| {
        t.actions[i]
            .verify(&*w.backend, &w.verifier_cache())
            .unwrap_err()
            .to_string()
    };
    // A bad proof in action 1 and too much extradata in action 2 (a check made before any
    // proof is looked at): action 1's error.
    let mut t = tx.clone();
    let len = t.actions[1].proofs.proof.len();
    t.actions[1].proofs.proof.truncate(len / 2);
    t.actions[2].extradata = vec![0; MAX_EXTRADATA + 1];
    assert!(alone(&t, 2).contains("extradata"));
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(matches!(e, Error::InvalidProof(_)), "{e}");
    assert_eq!(e.to_string(), alone(&t, 1));
    // A missing program in action 0 comes before action 1's bad proof.
    t.actions[0].proofs.programs.clear();
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(matches!(e, Error::MissingProgram(_)), "{e}");
    assert_eq!(e.to_string(), alone(&t, 0));
    // Bad proofs in actions 1 and 2 alone: action 1's.
    let mut t = tx.clone();
    t.actions[1].proofs.proof.truncate(len / 2);
    t.actions[2].proofs.proof.clear();
    let e = verify(&w, &cs, &t).unwrap_err();
    assert_eq!(e.to_string(), alone(&t, 1));
    assert_ne!(e.to_string(), alone(&t, 2));
}

/// A backend whose `verify_all` answers for fewer proofs than it was given has not verified
/// the rest: `verify_actions` fails closed.
#[test]
fn a_backend_that_drops_verdicts_is_refused() {
    use resvm_rm::backend::{ProvingBackend, VerifyJob};
    use resvm_rm::{LogicProgram, ReexecBackend};
    struct Lossy;
    impl ProvingBackend for Lossy {
        fn name(&self) -> &'static str {
            ReexecBackend.name()
        }
        fn prove(
            &self,
            s: &ActionStatement,
            p: &[&LogicProgram],
            w: &ActionWitness,
        ) -> Result<Vec<u8>, Error> {
            ReexecBackend.prove(s, p, w)
        }
        fn verify(&self, s: &ActionStatement, p: &[&LogicProgram], b: &[u8]) -> Result<(), Error> {
            ReexecBackend.verify(s, p, b)
        }
        fn verify_all(&self, jobs: &[VerifyJob<'_>]) -> Vec<Result<(), Error>> {
            jobs.iter().skip(1).map(|_| Ok(())).collect()
        }
    }
    let mut w = World::new(19);
    let intents = three_intents(&mut w);
    let tx = intents[0].compose_concurrent(&intents[1]).unwrap();
    verify_actions(&tx.actions, &ReexecBackend, &w.verifier_cache()).unwrap();
    let e = verify_actions(&tx.actions, &Lossy, &w.verifier_cache()).unwrap_err();
    assert!(e.to_string().contains("1 verdicts for 2 proofs"), "{e}");
}

fn sequential_composition_consumes_what_the_first_created(mk: Mk) {
    let mut w = mk(16);
    let cs = Cs::new();
    let label = w.digest();
    let (mint, r, n) = w.mint(w.accept, label, 4);
    // Spend the mint's output before the mint is on any ledger: against the local root of
    // the commitments created before it in the composition.
    let mut local = Cs::new();
    let i = local.add(&mint);
    let (spend, _, _) = w.transfer(&local.tree, i, r, n);
    let seq = mint.compose_sequential(&spend).unwrap();
    verify(&w, &cs, &seq).unwrap();
    assert!(seq.is_balanced());
    // Concurrent composition refuses it, and the spend alone is not valid against CS.
    assert!(mint.compose_concurrent(&spend).is_err());
    assert!(matches!(
        verify(&w, &cs, &spend),
        Err(Error::UnknownRoot { .. })
    ));
    // The other order is invalid: the spend's root is not the local root of nothing.
    let bad = spend.compose_sequential(&mint).unwrap();
    assert!(matches!(
        verify(&w, &cs, &bad),
        Err(Error::UnknownRoot { .. })
    ));
}

fn creating_without_consuming_is_refused(mk: Mk) {
    let mut w = mk(17);
    let label = w.digest();
    let (r, _) = w.resource(w.accept, label, 1, false);
    let mut b = ActionBuilder::new();
    b.create(r).unwrap();
    assert!(b.prove(&*w.backend, &w.logics, &mut w.rng).is_err());
}

fn backend_name_mismatch_is_refused(mk: Mk) {
    let mut w = mk(18);
    let (cs, tx) = setup(&mut w);
    let mut t = tx.clone();
    t.actions[0].proofs.backend = if is_stark(&w) {
        "reexec-v2"
    } else {
        "stark-v1"
    }
    .into();
    assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
}
