//! One test per validity rule: each builds a valid transaction, breaks one thing, and
//! checks the verifier refuses it with the right reason.

mod common;
use common::{Cs, World};
use resvm_field::Digest;
use resvm_rm::backend::{ComplianceStatement, ComplianceWitness, ConsumedWitness, CreatedWitness};
use resvm_rm::resource::{derive_nonce, nullifiers_digest, resource_binding, MAX_QUANTITY};
use resvm_rm::transaction::Delta;
use resvm_rm::{ActionBuilder, Error, PartialTransaction, ProvingBackend, Resource};

fn verify(w: &World, cs: &Cs, tx: &PartialTransaction) -> Result<(), Error> {
    tx.verify(&cs.roots, &w.backend, &w.verifier_cache())
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

#[test]
fn valid_transfer_verifies_and_round_trips_through_json() {
    let mut w = World::new(1);
    let (cs, tx) = setup(&mut w);
    assert!(tx.is_balanced());
    let back = PartialTransaction::from_json(&tx.to_json()).unwrap();
    assert_eq!(back, tx);
    verify(&w, &cs, &back).unwrap();
}

#[test]
fn forged_compliance_proof_is_refused() {
    let mut w = World::new(2);
    let (cs, tx) = setup(&mut w);
    let p = &tx.actions[0].proofs.compliance;
    // Flip every byte position in turn (bounded) — never accepted, never a panic.
    for i in (0..p.len()).step_by(7) {
        let mut t = tx.clone();
        t.actions[0].proofs.compliance[i] ^= 0x01;
        assert!(verify(&w, &cs, &t).is_err(), "byte {i}");
    }
    let mut t = tx.clone();
    t.actions[0].proofs.compliance.truncate(p.len() / 2);
    assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
    let mut t = tx.clone();
    t.actions[0].proofs.compliance.clear();
    assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
}

#[test]
fn missing_or_forged_logic_proof_is_refused() {
    let mut w = World::new(3);
    let (cs, tx) = setup(&mut w);
    let mut t = tx.clone();
    t.actions[0].proofs.logic.pop();
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(e.to_string().contains("logic proofs for"), "{e}");
    let mut t = tx.clone();
    t.actions[0].proofs.logic.swap(0, 1);
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(e.to_string().contains("missing logic proof"), "{e}");
    let mut t = tx.clone();
    let n = t.actions[0].proofs.logic[1].proof.len();
    t.actions[0].proofs.logic[1].proof.truncate(n - 3);
    assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
}

#[test]
fn wrong_logic_is_refused() {
    let mut w = World::new(4);
    let (cs, tx) = setup(&mut w);
    // Claim the created resource is governed by another logic (with its program).
    let mut t = tx.clone();
    t.actions[0].proofs.logics[1] = w.reject;
    t.actions[0]
        .proofs
        .programs
        .push(resvm_rm::transaction::ProgramSource {
            digest: w.reject,
            source: common::ALWAYS_REJECT.into(),
        });
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(e.to_string().contains("logic differs"), "{e}");
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

#[test]
fn rejecting_logic_refuses_creation() {
    let mut w = World::new(5);
    let label = w.digest();
    let (eph, en) = w.resource(w.reject, label, 1, true);
    let (out, _) = w.resource(w.reject, label, 1, false);
    let mut b = ActionBuilder::new();
    b.consume(eph, en, None).unwrap();
    b.create(out).unwrap();
    let e = b.prove(&w.backend, &w.logics, &mut w.rng).unwrap_err();
    assert!(matches!(e, Error::LogicRejected { .. }), "{e}");
    assert!(e.to_string().contains("returned 0"), "{e}");
}

#[test]
fn logic_proof_from_another_transaction_is_refused() {
    let mut w = World::new(6);
    let mut cs = Cs::new();
    let label = w.digest();
    let (mint, r, n) = w.mint(w.accept, label, 10);
    let i = cs.add(&mint);
    // Two different transfers of the same resource: same nullifier, other outputs.
    let (a, _, _) = w.transfer(&cs.tree, i, r, n);
    let (b, _, _) = w.transfer(&cs.tree, i, r, n);
    assert_eq!(a.actions[0].consumed, b.actions[0].consumed);
    let mut t = b.clone();
    t.actions[0].proofs.logic[0] = a.actions[0].proofs.logic[0].clone();
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(e.to_string().contains("another action"), "{e}");
    // The compliance proof of another action neither.
    let mut t = b.clone();
    t.actions[0].proofs.compliance = a.actions[0].proofs.compliance.clone();
    assert!(verify(&w, &cs, &t).is_err());
}

#[test]
fn swapped_resource_is_refused() {
    let mut w = World::new(7);
    let (cs, tx) = setup(&mut w);
    // Replace the created commitment by another one: compliance and the logic proof fail.
    let mut t = tx.clone();
    let other = w.digest();
    t.actions[0].created[0] = other;
    t.actions[0].proofs.logic[1].tag = other;
    assert!(verify(&w, &cs, &t).is_err());
    // Swap the binding of the consumed resource: the logic's opening fails.
    let mut t = tx.clone();
    t.actions[0].proofs.bindings[0] = w.digest();
    assert!(verify(&w, &cs, &t).is_err());
}

#[test]
fn commitment_not_in_cs_is_refused() {
    let mut w = World::new(8);
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
    // A root in CS but a path that does not lead there: refused by compliance.
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

#[test]
fn nullifier_whose_preimage_does_not_match_nc_is_refused() {
    let mut w = World::new(9);
    let (cs, tx) = setup(&mut w);
    // The builder refuses a wrong secret.
    let label = w.digest();
    let (r, _) = w.resource(w.accept, label, 1, true);
    let wrong = w.digest();
    assert!(ActionBuilder::new().consume(r, wrong, None).is_err());
    // A forged nullifier in a valid transaction: refused.
    let mut t = tx.clone();
    let forged = w.digest();
    t.actions[0].consumed[0] = forged;
    t.actions[0].proofs.logic[0].tag = forged;
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
    // And the backend refuses to prove it.
    let nfs = vec![forged];
    let (res, _) = w.resource(w.accept, label, 1, true);
    let blind = w.digest();
    let stmt = ComplianceStatement {
        consumed: &nfs,
        created: &[],
        roots: &[None],
        bindings: &[resource_binding(&forged, &res.commitment(), &blind)],
        logics: &[w.accept],
        delta: &{
            let mut d = Delta::zero();
            d.add(res.kind(), 1);
            d
        },
        action: Digest([0; 4]),
    };
    let wit = ComplianceWitness {
        consumed: vec![ConsumedWitness {
            resource: res,
            path: None,
            blind,
        }],
        created: vec![],
    };
    assert!(w.backend.prove_compliance(&stmt, &wit).is_err());
}

#[test]
fn unbalanced_delta_is_detected_and_false_delta_refused() {
    let mut w = World::new(10);
    let (cs, tx) = setup(&mut w);
    // An honest unbalanced action (an intent: give 10, want nothing) verifies but is not
    // balanced.
    let label = w.digest();
    let (eph, en) = w.resource(w.accept, label, 10, true);
    let mut b = ActionBuilder::new();
    b.consume(eph, en, None).unwrap();
    let (a, _) = b.prove(&w.backend, &w.logics, &mut w.rng).unwrap();
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
    // A false delta claim: refused by compliance.
    let mut t = tx.clone();
    t.actions[0].delta.add(w.digest(), 5);
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(e.to_string().contains("delta"), "{e}");
}

#[test]
fn quantity_wrap_is_refused() {
    let mut w = World::new(11);
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
    let nfs = vec![n1];
    let nfd = nullifiers_digest(&nfs);
    let mut outs = Vec::new();
    for (j, mut r) in [big, two].into_iter().enumerate() {
        let rand = w.digest();
        r.nonce = derive_nonce(&nfd, j as u64, &rand);
        outs.push(CreatedWitness { resource: r, rand });
    }
    let blind = w.digest();
    let cms: Vec<Digest> = outs.iter().map(|o| o.resource.commitment()).collect();
    let stmt = ComplianceStatement {
        consumed: &nfs,
        created: &cms,
        roots: &[None],
        bindings: &[resource_binding(&n1, &one.commitment(), &blind)],
        logics: &[w.accept, w.accept, w.accept],
        delta: &Delta::zero(),
        action: Digest([0; 4]),
    };
    let wit = ComplianceWitness {
        consumed: vec![ConsumedWitness {
            resource: one,
            path: None,
            blind,
        }],
        created: outs,
    };
    let e = w.backend.prove_compliance(&stmt, &wit).unwrap_err();
    assert!(e.to_string().contains("exceeds the bound"), "{e}");
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
        PartialTransaction::single(b.prove(&w.backend, &w.logics, &mut w.rng).unwrap().0)
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

#[test]
fn double_spend_within_one_transaction_is_refused() {
    let mut w = World::new(13);
    let (cs, tx) = setup(&mut w);
    // The same nullifier twice in one action.
    let mut t = tx.clone();
    let a = &mut t.actions[0];
    a.consumed.push(a.consumed[0]);
    a.proofs.roots.push(a.proofs.roots[0]);
    a.proofs.bindings.push(a.proofs.bindings[0]);
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(matches!(e, Error::DuplicateNullifier(_)), "{e}");
    // The same action twice in one transaction.
    let mut t = tx.clone();
    t.actions.push(t.actions[0].clone());
    let e = verify(&w, &cs, &t).unwrap_err();
    assert!(matches!(e, Error::DuplicateNullifier(_)), "{e}");
}

#[test]
fn double_spend_across_composed_transactions_is_refused_naming_the_nullifier() {
    let mut w = World::new(14);
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

#[test]
fn composition_is_associative_and_deltas_add() {
    let mut w = World::new(15);
    let cs = Cs::new();
    let mut intents = Vec::new();
    for q in [3u64, 5, 7] {
        let label = w.digest();
        let (eph, en) = w.resource(w.accept, label, q, true);
        let mut b = ActionBuilder::new();
        b.consume(eph, en, None).unwrap();
        intents.push(PartialTransaction::single(
            b.prove(&w.backend, &w.logics, &mut w.rng).unwrap().0,
        ));
    }
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

#[test]
fn sequential_composition_consumes_what_the_first_created() {
    let mut w = World::new(16);
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

#[test]
fn creating_without_consuming_is_refused() {
    let mut w = World::new(17);
    let label = w.digest();
    let (r, _) = w.resource(w.accept, label, 1, false);
    let mut b = ActionBuilder::new();
    b.create(r).unwrap();
    assert!(b.prove(&w.backend, &w.logics, &mut w.rng).is_err());
}

#[test]
fn backend_name_mismatch_is_refused() {
    let mut w = World::new(18);
    let (cs, tx) = setup(&mut w);
    let mut t = tx.clone();
    t.actions[0].proofs.backend = "stark-v1".into();
    assert!(matches!(verify(&w, &cs, &t), Err(Error::InvalidProof(_))));
}

#[allow(dead_code)]
fn unused(_: Resource) {}
