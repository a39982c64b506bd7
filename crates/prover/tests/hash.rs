//! The `HASH` instruction end to end: a Merkle path proven and verified through the hash
//! chiplet, a wrong root rejected by the statement check, and (release builds, where forged
//! tables reach the verifier) a chiplet that claims another direction than memory holds
//! rejected by the verifier.

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use resvm_field::{merge, Digest, F};
use resvm_isa::{Function, Instr, Program};
use resvm_prover::air::TableKind;
use resvm_prover::config::SecurityLevel;
use resvm_prover::trace::generate;
use resvm_prover::*;

const ALLOW: VerifyOptions = VerifyOptions { allow_test: true };

/// `main(l0, l1, l2, l3, secret s_1.., secret e_1..)`: the root of the Merkle path of depth
/// `depth` from the leaf digest `l` (public), level `i` with sibling `s_i` and direction `e_i`
/// (secret, five parameters per level, slots `4 + 5i ..`). Returns the root's first element.
fn merkle_program(depth: u32) -> Program {
    let arity = 4 + 5 * depth;
    let mut code = vec![Instr::Frame];
    for i in 0..arity {
        code.push(if i < 4 {
            Instr::Input(i)
        } else {
            Instr::Secret(i)
        });
    }
    code.extend([Instr::Call(0), Instr::Halt]);
    let entry = code.len() as u32;
    code.extend((0..4).map(Instr::Load));
    code.extend((0..depth).map(|i| Instr::Hash(4 + 5 * i)));
    code.extend([Instr::Pop, Instr::Pop, Instr::Pop, Instr::Ret]);
    let main = Function {
        name: "main".into(),
        entry,
        arity,
        frame: arity,
    };
    Program::new(code, vec![main], 0).expect("valid image")
}

/// The verifier's verdict on a proof of `st` made from `traces` (test parameters), after a
/// round trip through the wire format.
fn judge(p: &Program, st: &Statement, traces: &[RowMajorMatrix<F>]) -> Result<(), VerifyError> {
    let stark = prove_traces(p, st, traces, SecurityLevel::Test).expect("the prover emits a proof");
    let proof = Proof {
        security: SecurityLevel::Test,
        statement: st.clone(),
        stark,
    };
    verify_claimed(p, &Proof::from_bytes(&proof.to_bytes())?, ALLOW)
}

/// Inputs (public leaf, secret path) and the root, for directions `bits`.
fn path(bits: &[bool]) -> (Vec<F>, Vec<F>, Digest) {
    let f = F::from_u64;
    let leaf = [f(1), f(2), f(3), f(4)];
    let mut d = Digest::from_elements(leaf);
    let mut witness = vec![];
    for (i, &b) in bits.iter().enumerate() {
        let s: [F; 4] = core::array::from_fn(|j| f(100 * i as u64 + j as u64 + 7));
        witness.extend(s);
        witness.push(F::from_bool(b));
        let s = Digest::from_elements(s);
        d = if b { merge(&s, &d) } else { merge(&d, &s) };
    }
    (leaf.to_vec(), witness, d)
}

#[test]
fn merkle_path_of_depth_32_proves_and_verifies() {
    let depth = 32;
    let p = merkle_program(depth);
    let bits: Vec<bool> = (0..depth).map(|i| (i * 7 + 3) % 5 < 2).collect();
    let (leaf, witness, root) = path(&bits);
    let opts = ProveOptions {
        security: SecurityLevel::Test,
        ..Default::default()
    };
    let (proof, summary) = prove_with(&p, &leaf, &witness, &opts, &mut |_| {}).expect("proves");
    assert_eq!(proof.statement.output, root.elements()[0]);
    // One cycle per level: the path itself is `depth` HASH instructions (plus 4 LOADs of
    // the leaf, 3 POPs and RET); the rest is the bootstrap pushing main's 164 parameters.
    let bootstrap = 1 + (4 + 5 * depth as u64) + 1 + 1;
    assert_eq!(summary.cycles, bootstrap + 4 + depth as u64 + 4);
    let hash_rows = summary
        .table_rows
        .iter()
        .find(|r| r.0 == "hash")
        .expect("hash table")
        .1;
    assert!(hash_rows >= 2 * depth as usize);
    verify_with(&p, &leaf, root.elements()[0], &proof, ALLOW).expect("verifies");
    // A wrong root is rejected.
    assert!(matches!(
        verify_with(&p, &leaf, root.elements()[0] + F::ONE, &proof, ALLOW),
        Err(VerifyError::OutputMismatch { .. })
    ));
    // So is another leaf.
    let mut other = leaf.clone();
    other[2] += F::ONE;
    assert_eq!(
        verify_with(&p, &other, root.elements()[0], &proof, ALLOW),
        Err(VerifyError::PublicInputsMismatch)
    );
}

/// The hash chiplet of a run that went right at level 0, glued onto the tables of the run
/// that went left: the chiplet claims to have read direction 1 and written the other
/// digest, memory holds 0 and the honest digest, so the memory bus does not balance.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "forged proofs reach the verifier only in release: cargo test --release -p resvm-prover --test hash"
)]
fn chiplet_that_disagrees_with_memory_is_rejected() {
    let p = merkle_program(3);
    let (leaf, w_left, root) = path(&[false, true, false]);
    let (_, w_right, _) = path(&[true, true, false]);
    let all = |w: &[F]| leaf.iter().chain(w).copied().collect::<Vec<F>>();
    let left = generate(&p, &all(&w_left), &Default::default()).unwrap();
    let right = generate(&p, &all(&w_right), &Default::default()).unwrap();
    let st = Statement {
        program: p.digest(),
        public_inputs: leaf.clone(),
        output: root.elements()[0],
        cycles: left.cycles,
        io: Default::default(),
    };
    let verdict = |traces: &[RowMajorMatrix<F>]| judge(&p, &st, traces);
    assert_eq!(verdict(&left.traces), Ok(()));
    let mut t = left.traces.clone();
    let h = TableKind::Hash.index();
    t[h] = right.traces[h].clone();
    assert_eq!(verdict(&t), Err(VerifyError::LookupImbalance));
}

/// The permutation of every pair of chiplet rows is `resvm_field`'s, and the chiplet's output
/// for a `HASH` is `merge(l, r)` (padding pairs included: permutations of zero).
#[test]
fn air_poseidon2_matches_resvm_hash() {
    use resvm_prover::air::hash;
    let f = F::from_u64;
    let ops: Vec<hash::HashOp> = (0..3u64)
        .map(|i| hash::HashOp {
            clk: i,
            sp: 8,
            fp: 2,
            a: 0,
            d: core::array::from_fn(|j| f(10 * i + j as u64)),
            s: core::array::from_fn(|j| f(1000 + 10 * i + j as u64)),
            bit: i % 2 == 1,
        })
        .collect();
    let t = hash::build(&ops, 256);
    let row = |i: usize| &t.values[i * hash::WIDTH..(i + 1) * hash::WIDTH];
    let input = |i: usize| &row(2 * i)[hash::A_IN..hash::A_IN + 12];
    let output = |i: usize| &row(2 * i + 1)[hash::OUT..hash::OUT + 12];
    for (i, op) in ops.iter().enumerate() {
        let (d, s) = (Digest::from_elements(op.d), Digest::from_elements(op.s));
        let want = if op.bit { merge(&s, &d) } else { merge(&d, &s) };
        assert_eq!(&output(i)[..4], &want.elements()[..]);
    }
    for i in 0..t.values.len() / hash::WIDTH / 2 {
        let mut s: [F; 12] = core::array::from_fn(|j| input(i)[j]);
        resvm_field::permute(&mut s);
        assert_eq!(&s[..], output(i));
    }
}

/// Any single change in the two-row permutation layout (row A's mid state, a row-B
/// partial-round register, a final-round value, the output) is rejected.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "forged proofs reach the verifier only in release: cargo test --release -p resvm-prover --test hash"
)]
fn chiplet_cells_are_constrained() {
    use resvm_prover::air::hash;
    let p = merkle_program(2);
    let (leaf, w, _) = path(&[false, true]);
    let all: Vec<F> = leaf.iter().chain(&w).copied().collect();
    let run = generate(&p, &all, &Default::default()).unwrap();
    let st = Statement {
        program: p.digest(),
        public_inputs: leaf.clone(),
        output: run.output,
        cycles: run.cycles,
        io: Default::default(),
    };
    let verdict = |traces: &[RowMajorMatrix<F>]| judge(&p, &st, traces);
    assert_eq!(verdict(&run.traces), Ok(()));
    let h = TableKind::Hash.index();
    for (row, col) in [
        (2, hash::A_MID + 5),
        (3, hash::B_PART + 3),
        (1, hash::B_FULL + 30),
        (3, hash::OUT + 2),
        (4, hash::A_MID + 1),
    ] {
        let mut t = run.traces.clone();
        let i = row * hash::WIDTH + col;
        t[h].values[i] += F::ONE;
        assert_eq!(
            verdict(&t),
            Err(VerifyError::Constraints { table: "hash" }),
            "hash row {row} column {col} is unconstrained"
        );
    }
}
