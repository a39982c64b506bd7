//! The fused instructions (opcodes 30–46, `resvm_isa::fuse`) attacked: a run whose fused step
//! writes a value other than its sequence's, keeps a constant other than its immediate, or
//! sends the compare chiplet its operands in the wrong order is refused by `verify`, each with
//! the verifier's specific error. Every forgery is first laid out untampered and must verify,
//! so a test fails if the forging itself goes wrong rather than the constraint holding.

use super::forge::{air_run, assemble, first_step, forge_first_step, honest, products, Cheat};
use super::*;
use resvm_isa::Instr::*;

/// `fn main(x, y)` using every fused instruction once (frame 4), ending in
/// `STAILCALL id 0` where `id(v) = v`. Output on (3, 5): `8 − (45 + 7) = −44` (see the
/// comments).
fn all_fused() -> Program {
    let c = f(7);
    let mut code = vec![Frame, Input(0), Input(1), Call(0), Halt];
    code.extend([
        // x = 3, y = 5: 8, −2, 15, lt(3,5) = 0
        AddSS(0, 1),
        SubSS(0, 1),
        MulSS(0, 1),
        LtSS(0, 1),
        // 10, −4, 21, lt(3,7) = 0, 7−3 = 4, lt(7,3) = 1
        AddSI(0, c),
        SubSI(0, c),
        MulSI(0, c),
        LtSI(0, c),
        RSubSI(0, c),
        RLtSI(0, c),
        // [3 = 0] = 0
        EqZS(0),
    ]);
    // 3 ≠ 0: BRZS falls through (to where its jump would also go).
    code.push(BrZS(code.len() as u32 + 1, 0));
    // Nine ADDs leave 8 and 45.
    code.extend([Add; 9]);
    code.extend([
        Store2(2, 3), // m[2] = 45, m[3] = 8
        IncS(2, c),   // m[2] = 52
        MovS(1, 3),   // m[1] = 8 (y is not read again)
        Load2(1, 2),  // -> 8 52
        Sub,          // -> −44
        STailCall(1, 0),
        Load(0),
        Ret,
    ]);
    let id = code.len() as u32 - 2;
    image(code, vec![func(5, 2, 4), func(id, 1, 1)]).expect("valid image")
}

const X: [u64; 2] = [3, 5];

fn inputs() -> Vec<F> {
    X.iter().map(|&v| f(v)).collect()
}

/// Forges the run of [`all_fused`]: the `write`-th write of the first `op` step gets `delta`
/// added, and `patch` edits that step's CPU row (after `fill_row`). The untampered layout
/// verifies (checked), the tampered one is judged.
fn forge(
    op: Opcode,
    write: usize,
    delta: Val,
    patch: &dyn Fn(&mut cpu::CpuCols<Val>),
) -> Result<(), VerifyError> {
    forge_first_step(
        &all_fused(),
        &inputs(),
        op,
        Some((write, delta)),
        patch,
        &judge_test,
    )
    .1
}

#[test]
fn honest_proof_of_every_fused_instruction() {
    let p = all_fused();
    let x = inputs();
    let out = resvm_exec::stack::run(&p, &x, &Limits::default())
        .unwrap()
        .output;
    assert_eq!(out, F::ZERO - f(44));
    for op in (30..resvm_isa::NUM_OPS as u8).map(|k| Opcode::ALL[k as usize]) {
        first_step(&p, &x, op);
    }
    // The forging tool lays fused steps out exactly as `trace::generate` does.
    let w = generate(&p, &x, &Limits::default()).unwrap();
    let cheat = Cheat {
        secret: &honest(&x),
        fake_tuple: None,
    };
    let (st, t) = assemble(&p, &x, &air_run(&p, &x, &cheat, 1000).unwrap()).unwrap();
    assert_eq!(st, statement(&p, &w));
    for (i, (a, b)) in t.iter().zip(&w.traces).enumerate() {
        assert!(
            a.values == b.values,
            "table {i} differs from trace::generate"
        );
    }
    let (proof, _) = prove_with(&p, &x, &[], &test_opts(), &mut |_| {}).unwrap();
    assert_eq!(verify_with(&p, &x, out, &proof, ALLOW), Ok(()));
}

release_test! {
    /// A fused step writing a value other than its sequence's: the CPU's value constraint
    /// refuses it (every written value of every fused opcode). For the compare forms the
    /// message keeps the honest result, so the CPU's message constraint is what fails.
    fn wrong_result_of_each_fused_instruction() {
        let cmp = [Opcode::LtSS, Opcode::LtSI, Opcode::RLtSI];
        for op in (30..resvm_isa::NUM_OPS).map(|k| Opcode::ALL[k]) {
            let writes = op.spec().accesses().filter(|a| a.write).count();
            for write in 0..writes {
                let r = forge(op, write, Val::ONE, &|row| {
                    if cmp.contains(&op) {
                        row.ent -= Val::ONE;
                    }
                });
                assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }), "{op:?} write {write}");
            }
        }
    }
}

release_test! {
    /// A flipped compare result sent to the chiplet as it is: the compare table has no such
    /// entry, so the buses do not balance.
    fn flipped_compare_result_is_not_in_the_chiplet() {
        let flip = |op: Opcode, honest_lt: u64| {
            let delta = if honest_lt == 0 { Val::ONE } else { Val::ZERO - Val::ONE };
            forge(op, 0, delta, &|_| {})
        };
        assert_eq!(flip(Opcode::LtSS, 0), Err(VerifyError::LookupImbalance));
        assert_eq!(flip(Opcode::LtSI, 0), Err(VerifyError::LookupImbalance));
        assert_eq!(flip(Opcode::RLtSI, 1), Err(VerifyError::LookupImbalance));
    }
}

release_test! {
    /// A slot–immediate op computing with a constant other than its immediate (v2 ≠ b), the
    /// result consistent with that constant: `v2 = b` refuses it.
    fn slot_immediate_constant_is_the_immediate() {
        // ADDSI 0 7 on x = 3 computed with 8; MULSI 0 7 with 8 (result 24, not 21).
        let bump = |row: &mut cpu::CpuCols<Val>| {
            row.v[2] += Val::ONE;
            products(row);
        };
        for (op, delta) in [(Opcode::AddSI, 1), (Opcode::SubSI, P - 1), (Opcode::MulSI, 3), (Opcode::RSubSI, 1)] {
            let r = forge(op, 0, Val::from_u64(delta), &bump);
            assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }), "{op:?}");
        }
        // MULSI's result is q = v0·v2: a q other than the product, with the result following
        // it, is refused by q's own constraint.
        let r = forge(Opcode::MulSI, 0, Val::ONE, &|row| row.q += Val::ONE);
        assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }));
    }
}

release_test! {
    /// `RLTSI 0 7` claims lt(7, x); a prover asking the chiplet lt(x, 7) instead (operands
    /// swapped, result and compare table consistent with the swap) is refused by the CPU's
    /// message constraint; likewise `LTSI` asking lt(7, x).
    fn compare_operands_in_the_opcodes_order() {
        let swap = |row: &mut cpu::CpuCols<Val>| {
            (row.g, row.r, row.ent) = (row.v[0], row.v[2], row.v[1]);
        };
        // RLTSI: honest lt(7, 3) = 1, swapped lt(3, 7) = 0.
        let r = forge(Opcode::RLtSI, 0, Val::ZERO - Val::ONE, &swap);
        assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }));
        // LTSI: honest lt(3, 7) = 0, swapped lt(7, 3) = 1.
        let r = forge(Opcode::LtSI, 0, Val::ONE, &|row| {
            (row.g, row.r, row.ent) = (row.v[2], row.v[0], row.v[1]);
        });
        assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }));
        // LTSS: operands swapped, lt(5, 3) = 1.
        let r = forge(Opcode::LtSS, 0, Val::ONE, &|row| {
            (row.g, row.r, row.ent) = (row.v[1], row.v[0], row.v[2]);
        });
        assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }));
    }
}

release_test! {
    /// `MOVS 1 3` copies m[3] = 8 into slot 1; a write of 8 + 1 (the `LOAD2` then reading 9)
    /// or 8 − 1 is refused by the copy constraint `v1 = v0`.
    fn movs_writes_the_value_it_reads() {
        for delta in [Val::ONE, Val::ZERO - Val::ONE] {
            let r = forge(Opcode::MovS, 0, delta, &|row| {
                assert_eq!((row.v[0], row.v[1]), (f(8), f(8) + delta));
            });
            assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }), "delta {delta}");
        }
    }
}

release_test! {
    /// `INCS 2 7` steps m[2] = 45 to 52; a write of 52 ± 1 (the constant still 7 in v2) is
    /// refused by `v1 = v0 + v2`.
    fn incs_writes_its_slot_plus_the_immediate() {
        for delta in [Val::ONE, Val::ZERO - Val::ONE] {
            let r = forge(Opcode::IncS, 0, delta, &|row| {
                assert_eq!((row.v[0], row.v[1], row.v[2]), (f(45), f(52) + delta, f(7)));
            });
            assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }), "delta {delta}");
        }
    }
}

release_test! {
    /// `INCS 2 7` computed with another constant in v2 (8, or 7 − 3 = 4), the write consistent
    /// with it (53, 49) so that `v1 = v0 + v2` holds: `v2 = b` refuses it.
    fn incs_constant_is_the_immediate() {
        for delta in [Val::ONE, Val::ZERO - Val::from_u64(3)] {
            let r = forge(Opcode::IncS, 0, delta, &|row| {
                row.v[2] += delta;
                products(row);
                assert_eq!(row.v[1], row.v[0] + row.v[2]);
            });
            assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }), "delta {delta}");
        }
    }
}
