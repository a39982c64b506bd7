//! The guess-and-recompute distinguisher of issue 7 against the LogUp terminals.
//!
//! Plonky3 puts every table's LogUp terminal `Σ m/(prefix − fingerprint)` in the proof, and
//! the LogUp challenges follow from public data by replaying the verifier's transcript
//! ([`support::replay`]). So anyone can guess a secret, rebuild the honest tables, recompute
//! the terminals and compare. This file shows:
//!
//! * (a) the method is right: against a proof without blinding (all blinding multiplicities
//!   zero, which the AIR allows, i.e. what the prover emitted before the fix) exactly the true
//!   secret out of 64 candidates reproduces the terminals, and with a blinding the test knows,
//!   its recomputation reproduces every terminal of the proof bit for bit;
//! * (b) against the real prover (`resvm_prover::prove`, standard parameters) no candidate
//!   reproduces any table's terminal or any sum of a proper subset of them, every candidate
//!   explains all terminals exactly with *some* blinding, and two proofs of the same run have
//!   different terminals in every table;
//! * the same for a secret-dependent branch, whose direction the ROM terminal (instruction
//!   fetch counts) gave away.
//!
//! Release only (`cargo test --release -p resvm-prover --test zk_distinguisher`): a debug
//! build of Plonky3 re-checks every constraint inside the prover and takes minutes here.

mod support;

use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use resvm_isa::{Instr, Program};
use resvm_prover::air::{tables_for, TableKind, Val, BLIND_SINK};
use resvm_prover::config::{Challenge, SecurityLevel};
use resvm_prover::*;
use support::*;

const T: u64 = 1000;
const SECRET: u64 = 437;

/// The tables of a proof about these (resvm, `HASH`-free) programs.
fn proof_tables() -> &'static [TableKind] {
    tables_for(&branch_secret())
}

/// `fn main(t, secret s) = branch(lt(s, t), 5 + 2, 3 + 4);`: both arms return 7 in the same
/// number of cycles with the same memory traffic, so output, cycle count and table heights
/// are equal; only which instructions ran differs (arm "3 + 4" runs when s < t).
fn branch_secret() -> Program {
    let f = F::from_u64;
    let rest = [
        // main(t, s) @5
        Instr::Load(1),
        Instr::Load(0),
        Instr::Compare,
        Instr::Branch(9, 13),
        // @9: lt(s, t) = 0, i.e. s < t
        Instr::Push(f(3)),
        Instr::Push(f(4)),
        Instr::Add,
        Instr::Ret,
        // @13: s >= t
        Instr::Push(f(5)),
        Instr::Push(f(2)),
        Instr::Add,
        Instr::Ret,
    ];
    main2(true, &rest, &[])
}

/// 64 distinct candidates below T (so each is consistent with the public output 0), the
/// true secret first.
fn candidates() -> Vec<u64> {
    (0..64).map(|i| (SECRET + 13 * i) % T).collect()
}

/// Honest unblinded tables of the run on (t, s).
fn tables(p: &Program, t: u64, s: u64) -> Vec<p3_matrix::dense::RowMajorMatrix<Val>> {
    honest_run(p, &[F::from_u64(t), F::from_u64(s)]).1
}

/// For each candidate, which tables' unblinded terminals equal the proof's.
fn matches(p: &Program, proof: &Proof, cands: &[u64]) -> Vec<Vec<bool>> {
    let r = replay(p, proof);
    let have = proof_terminals(proof);
    cands
        .iter()
        .map(|&s| {
            let u = r.unblinded_terminals(&tables(p, T, s));
            (0..have.len()).map(|i| u[i] == have[i]).collect()
        })
        .collect()
}

/// Every non-empty proper subset of the tables, as a bit mask.
fn proper_subsets() -> impl Iterator<Item = u32> {
    1..(1u32 << proof_tables().len()) - 1
}

fn subset_sum(v: &[Challenge], mask: u32) -> Challenge {
    v.iter()
        .enumerate()
        .filter(|(i, _)| mask >> i & 1 == 1)
        .map(|(_, x)| *x)
        .sum()
}

fn sink() -> usize {
    proof_tables()
        .iter()
        .position(|t| *t == BLIND_SINK)
        .unwrap()
}

/// Shows that every candidate explains the proof's terminals exactly: from the differences
/// `T_i − U_i(s)` of the non-sink tables it reconstructs the unique blinding messages, puts
/// them into the candidate's tables the way the prover does, and recomputes all the
/// terminals (the sink's included) with Plonky3's trace generator.
fn every_candidate_explains(p: &Program, proof: &Proof, cands: &[u64]) {
    let r = replay(p, proof);
    let have = proof_terminals(proof);
    for &s in cands {
        let inner = tables(p, T, s);
        let mut full = unblinded(&inner);
        let u = r.terminals(&full);
        for (sink_row, i) in (0..proof_tables().len())
            .filter(|&i| i != sink())
            .enumerate()
        {
            let (r0, r1) = r.explain(have[i] - u[i]);
            assert_eq!(r.blind_term(r0, r1), have[i] - u[i]);
            set_blind(&mut full[i], 0, [r0, r1, Val::ONE]);
            set_blind(&mut full[sink()], sink_row, [r0, r1, Val::ONE]);
        }
        assert_eq!(
            r.terminals(&full),
            have,
            "candidate {s} must explain every terminal"
        );
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "proves several standard proofs: cargo test --release -p resvm-prover --test zk_distinguisher"
)]
fn distinguisher_finds_the_secret_without_blinding() {
    let p = lt_secret();
    let (st, traces) = honest_run(&p, &[F::from_u64(T), F::from_u64(SECRET)]);
    assert_eq!(st.output, F::ZERO);
    let t = [F::from_u64(T)];

    // A proof without blinding (multiplicities zero): valid, and it leaks.
    let bare = prove_full(&p, &st, &unblinded(&traces), SecurityLevel::Standard);
    assert_eq!(verify(&p, &t, st.output, &bare), Ok(()));
    let cands = candidates();
    let m = matches(&p, &bare, &cands);
    let full_matches: Vec<u64> = cands
        .iter()
        .zip(&m)
        .filter(|(_, m)| m.iter().all(|x| *x))
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(
        full_matches,
        vec![SECRET],
        "exactly the true secret reproduces every terminal"
    );
    // CPU, memory and compare separate it on their own (the read-only table's byte counts
    // usually do too, but two secrets may share them).
    for (s, m) in cands.iter().zip(&m).skip(1) {
        assert!(!m[0] && !m[1] && !m[3], "candidate {s}: {m:?}");
    }

    // A proof with a blinding the test knows: the recomputation (transcript replay, Plonky3's
    // own permutation-trace generator) reproduces all the terminals exactly, and each
    // non-sink terminal is the unblinded one plus 1/(prefix − (r0·β + r1)).
    let full = blinded(&traces, 7);
    let proof = prove_full(&p, &st, &full, SecurityLevel::Standard);
    assert_eq!(verify(&p, &t, st.output, &proof), Ok(()));
    let r = replay(&p, &proof);
    let have = proof_terminals(&proof);
    assert_eq!(r.terminals(&full), have);
    let u = r.unblinded_terminals(&traces);
    let mut sent = Challenge::ZERO;
    for i in (0..proof_tables().len()).filter(|&i| i != sink()) {
        let [r0, r1, m] = blind_cell(&full[i], 0);
        assert_eq!(m, Val::ONE);
        assert_eq!(have[i] - u[i], r.blind_term(r0, r1), "table {i}");
        sent += r.blind_term(r0, r1);
    }
    assert_eq!(
        have[sink()] - u[sink()],
        -sent,
        "the sink receives them all"
    );
    assert_eq!(have.iter().copied().sum::<Challenge>(), Challenge::ZERO);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "proves several standard proofs: cargo test --release -p resvm-prover --test zk_distinguisher"
)]
fn distinguisher_fails_against_the_real_prover() {
    let p = lt_secret();
    let t = [F::from_u64(T)];
    let proof = prove(&p, &t, &[F::from_u64(SECRET)]).expect("proves");
    assert_eq!(proof.security, SecurityLevel::Standard);
    assert_eq!(verify(&p, &t, F::ZERO, &proof), Ok(()));
    let proof = Proof::from_bytes(&proof.to_bytes()).unwrap();

    let cands = candidates();
    let r = replay(&p, &proof);
    let have = proof_terminals(&proof);
    assert_eq!(
        have.iter().copied().sum::<Challenge>(),
        Challenge::ZERO,
        "honest terminals balance"
    );
    for &s in &cands {
        let u = r.unblinded_terminals(&tables(&p, T, s));
        // All of them together always agree for an honest trace (the sum is zero on both sides);
        // every other combination (each table alone, any proper subset) must not.
        for mask in proper_subsets() {
            assert_ne!(
                subset_sum(&have, mask),
                subset_sum(&u, mask),
                "candidate {s} matches the proof on tables {mask:#08b}"
            );
        }
    }
    // The true secret gets the same verdict as every other candidate.
    let m = matches(&p, &proof, &cands);
    assert!(m.iter().all(|m| m.iter().all(|x| !x)), "{m:?}");
    // And every candidate explains the terminals exactly with some blinding.
    every_candidate_explains(&p, &proof, &cands);

    // Two proofs of the same run: different terminals in every table.
    let again = prove(&p, &t, &[F::from_u64(SECRET)]).expect("proves");
    let have2 = proof_terminals(&again);
    for i in 0..proof_tables().len() {
        assert_ne!(
            have[i], have2[i],
            "table {i}'s terminal repeats across proofs"
        );
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "proves several standard proofs: cargo test --release -p resvm-prover --test zk_distinguisher"
)]
fn branch_direction_is_hidden() {
    let p = branch_secret();
    let rom = proof_tables()
        .iter()
        .position(|t| *t == TableKind::Rom)
        .unwrap();
    // One candidate per arm: s = 5 < t runs @9, s = 2000 >= t runs @13.
    let (low, high) = (5u64, 2000u64);
    let (st, tl) = honest_run(&p, &[F::from_u64(T), F::from_u64(low)]);
    let (sh, th) = honest_run(&p, &[F::from_u64(T), F::from_u64(high)]);
    assert_eq!((st.output, st.cycles), (sh.output, sh.cycles));
    for (a, b) in tl.iter().zip(&th) {
        use p3_matrix::Matrix;
        assert_eq!(
            a.height(),
            b.height(),
            "the arms have the same table heights"
        );
    }
    let t = [F::from_u64(T)];

    // Without blinding, the ROM terminal alone tells the arms apart.
    let bare = prove_full(&p, &st, &unblinded(&tl), SecurityLevel::Standard);
    assert_eq!(verify(&p, &t, F::from_u64(7), &bare), Ok(()));
    let r = replay(&p, &bare);
    let have = proof_terminals(&bare);
    assert_eq!(r.unblinded_terminals(&tl)[rom], have[rom]);
    assert_ne!(r.unblinded_terminals(&th)[rom], have[rom]);

    // The real prover: for a proof of either arm, neither arm's ROM terminal (nor any other
    // table's, nor any proper subset sum) matches, and both arms explain it exactly.
    for s in [low, high] {
        let proof = prove(&p, &t, &[F::from_u64(s)]).expect("proves");
        assert_eq!(verify(&p, &t, F::from_u64(7), &proof), Ok(()));
        let r = replay(&p, &proof);
        let have = proof_terminals(&proof);
        for traces in [&tl, &th] {
            let u = r.unblinded_terminals(traces);
            for mask in proper_subsets() {
                assert_ne!(subset_sum(&have, mask), subset_sum(&u, mask));
            }
        }
        every_candidate_explains(&p, &proof, &[low, high]);
    }
}
