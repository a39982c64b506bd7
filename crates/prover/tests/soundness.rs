//! Valid runs verify; wrong outputs, inputs, digests, cycle counts, substituted eval targets,
//! tampered program tables and forged comparisons are rejected — each with the verifier's
//! specific [`VerifyError`].
//!
//! Forged tables are proven and then judged by `verify`. That only works in a release build:
//! debug builds of Plonky3 check every constraint inside the prover and panic, so a forgery
//! would never reach the verifier. The forgery tests are therefore ignored in debug builds;
//! `.ci/run` runs them with `cargo test --release -p resvm-prover --test soundness`.

mod support;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use resvm_field::F;
use resvm_isa::{Instr, Program};
use resvm_prover::air::{compare, cpu, memory, rom, TableKind, Val};
use resvm_prover::config::SecurityLevel;
use resvm_prover::*;
use support::*;

/// main(x, secret y) = eval(reflect(x))(y), with dbl(z) = z + z and sq(z) = z * z; with
/// `honest` false, a fake image of the same opcodes (so CPU rows of the same layout) whose
/// two functions swap their operations.
fn eval_program(honest: bool) -> Program {
    let (dbl_op, sq_op) = if honest {
        (Instr::Add, Instr::Mul)
    } else {
        (Instr::Mul, Instr::Add)
    };
    let rest = [
        // main @5
        Instr::Frame,
        Instr::Load(1),
        Instr::Load(0),
        Instr::Reflect,
        Instr::Eval(1),
        Instr::Ret,
        // dbl @11
        Instr::Load(0),
        Instr::Load(0),
        dbl_op,
        Instr::Ret,
        // sq @15
        Instr::Load(0),
        Instr::Load(0),
        sq_op,
        Instr::Ret,
    ];
    main2(true, &rest, &[func(11, 1, 1), func(15, 1, 1)])
}

/// main(a, b) = lt(a, b).
fn lt_program() -> Program {
    main2(
        false,
        &[Instr::Load(0), Instr::Load(1), Instr::Compare, Instr::Ret],
        &[],
    )
}

/// Proves possibly tampered tables for the claim `st` about `p` and returns the verifier's
/// verdict on the proof.
fn verdict(p: &Program, st: &Statement, traces: &[RowMajorMatrix<Val>]) -> Result<(), VerifyError> {
    let proof = prove_forged(p, st, traces, SecurityLevel::Test)?;
    verify_claimed(p, &proof, ALLOW)
}

/// Attribute for the tests that prove forged tables (see the module docs).
macro_rules! forgery_test {
    ($(#[$m:meta])* fn $name:ident() $body:block) => {
        #[test]
        #[cfg_attr(
            debug_assertions,
            ignore = "forged proofs reach the verifier only in release: cargo test --release -p resvm-prover --test soundness"
        )]
        $(#[$m])*
        fn $name() $body
    };
}

#[test]
fn eval_program_statement_checks() {
    let p = eval_program(true);
    let (dbl, sq) = (p.repr(1).unwrap(), p.repr(2).unwrap());
    let y = F::from_u64(7);
    let (proof, summary) = prove_with(&p, &[dbl], &[y], &test_opts(), &mut |_| {}).expect("proves");
    assert_eq!(proof.statement.output, F::from_u64(14));
    // Prover and interpreter agree on output and cycles.
    let run = resvm_exec::stack::run(&p, &[dbl, y], &Default::default()).unwrap();
    assert_eq!(
        (run.output, run.cycles),
        (proof.statement.output, proof.statement.cycles)
    );
    assert_eq!(summary.cycles, run.cycles);

    let out = F::from_u64(14);
    verify_with(&p, &[dbl], out, &proof, ALLOW).expect("valid proof verifies");
    // The standard verifier refuses test parameters.
    assert_eq!(
        verify(&p, &[dbl], out, &proof),
        Err(VerifyError::TestParameters)
    );
    // Wrong output / public input / program / input count: rejected by the statement check...
    assert_eq!(
        verify_with(&p, &[dbl], F::from_u64(15), &proof, ALLOW),
        Err(VerifyError::OutputMismatch { claimed: 14 })
    );
    assert_eq!(
        verify_with(&p, &[sq], out, &proof, ALLOW),
        Err(VerifyError::PublicInputsMismatch)
    );
    assert!(matches!(
        verify_with(&bench::fib_program(), &[dbl], out, &proof, ALLOW),
        Err(VerifyError::ProgramMismatch { .. })
    ));
    // y is secret: a verifier cannot be made to accept a claim about it.
    assert_eq!(
        verify_with(&p, &[dbl, y], out, &proof, ALLOW),
        Err(VerifyError::PublicInputCount {
            expected: 1,
            got: 2
        })
    );
}

forgery_test! {
    /// The proof's own statement edited after proving: the STARK rejects each edit.
    fn edited_statements_are_rejected() {
        let p = eval_program(true);
        let (dbl, sq) = (p.repr(1).unwrap(), p.repr(2).unwrap());
        let (proof, _) = prove_with(&p, &[dbl], &[F::from_u64(7)], &test_opts(), &mut |_| {}).unwrap();
        let bytes = proof.to_bytes();
        let edit = |f: &dyn Fn(&mut Statement)| {
            let mut q = Proof::from_bytes(&bytes).unwrap();
            f(&mut q.statement);
            verify_claimed(&p, &q, ALLOW)
        };
        assert_eq!(edit(&|_| {}), Ok(()));
        // Fiat–Shamir binds the statement: any edited field changes every challenge.
        assert_eq!(edit(&|s| s.output = F::from_u64(15)), Err(VerifyError::Opening));
        assert_eq!(edit(&|s| s.public_inputs[0] = sq), Err(VerifyError::Opening));
        assert_eq!(edit(&|s| s.cycles += 1), Err(VerifyError::Opening));
        // cycles + p is the same field element, so the transcript and the STARK accept it:
        // the verifier range-bounds the claim.
        let cycles = proof.statement.cycles;
        assert!(matches!(
            edit(&|s| s.cycles += resvm_field::P),
            Err(VerifyError::CyclesOutOfRange { cycles: c, .. }) if c == cycles + resvm_field::P
        ));
        assert!(matches!(edit(&|s| s.cycles = 0), Err(VerifyError::CyclesOutOfRange { .. })));

        // The same claims proven from the honest tables (a consistent transcript): the AIR
        // rejects each.
        let (st, honest) = honest_run(&p, &[dbl, F::from_u64(7)]);
        let forged = |f: &dyn Fn(&mut Statement)| {
            let mut s2 = st.clone();
            f(&mut s2);
            verdict(&p, &s2, &honest)
        };
        assert_eq!(forged(&|_| {}), Ok(()));
        assert_eq!(forged(&|s| s.output = F::from_u64(15)), Err(VerifyError::Constraints { table: "cpu" }));
        assert_eq!(forged(&|s| s.cycles += 1), Err(VerifyError::Constraints { table: "cpu" }));
        assert_eq!(forged(&|s| s.public_inputs[0] = sq), Err(VerifyError::Constraints { table: "rom" }));
        assert!(matches!(forged(&|s| s.cycles += resvm_field::P), Err(VerifyError::CyclesOutOfRange { .. })));
        // A secret parameter claimed public, with another value (the proof's statement gains a
        // second public input): the verifier takes the public positions from the program.
        assert_eq!(
            edit(&|s| s.public_inputs.push(F::from_u64(999))),
            Err(VerifyError::PublicInputCount { expected: 1, got: 2 })
        );
        // Another program's digest in the claim, verified against that program.
        // fib's CPU rows have flags for other opcodes: not the shape of the proof's rows.
        let fib = bench::fib_program();
        let mut q = Proof::from_bytes(&bytes).unwrap();
        q.statement.program = fib.digest();
        assert!(matches!(verify_claimed(&fib, &q, ALLOW), Err(VerifyError::Shape(_))));
        // An image of the same opcodes: the transcript binds the digest.
        let other = eval_program(false);
        q.statement.program = other.digest();
        assert_eq!(verify_claimed(&other, &q, ALLOW), Err(VerifyError::Opening));
    }
}

forgery_test! {
    /// `fn main(x, secret y) = x * y` on (5, 7): every way of presenting y as a public input
    /// with another value is refused.
    fn secret_parameter_cannot_be_claimed_public() {
        let p = mul_secret();
        assert_eq!(public_params(&p), vec![0]);
        let (x, y) = (F::from_u64(5), F::from_u64(7));
        let (proof, _) = prove_with(&p, &[x], &[y], &test_opts(), &mut |_| {}).unwrap();
        let out = F::from_u64(35);
        assert_eq!(verify_with(&p, &[x], out, &proof, ALLOW), Ok(()));
        assert_eq!(
            verify_with(&p, &[x, F::from_u64(999)], out, &proof, ALLOW),
            Err(VerifyError::PublicInputCount { expected: 1, got: 2 })
        );
        // Tables of the honest run whose read-only table also lists the input (1, 999): the
        // verifier's table has one public input, fixed by its own periodic columns.
        let (st, honest) = honest_run(&p, &[x, y]);
        let mut t = honest.clone();
        let rom_t = TableKind::Rom.index();
        set(&mut t[rom_t], 1, rom::IN_IDX, F::ONE);
        set(&mut t[rom_t], 1, rom::IN_VAL, F::from_u64(999));
        assert_eq!(verdict(&p, &st, &honest), Ok(()));
        assert_eq!(verdict(&p, &st, &t), Err(VerifyError::Constraints { table: "rom" }));
        let mut st2 = st.clone();
        st2.public_inputs.push(F::from_u64(999));
        assert!(prove_traces(&p, &st2, &t, SecurityLevel::Test).is_err());
    }
}

forgery_test! {
    fn substituted_eval_target_is_rejected() {
        let p = eval_program(true);
        let (dbl, sq) = (p.repr(1).unwrap(), p.repr(2).unwrap());
        let y = F::from_u64(7);
        // Honest tables of the run that evaluates sq (output 49).
        let (honest, traces) = honest_run(&p, &[sq, y]);
        assert_eq!(verdict(&p, &honest, &traces), Ok(()), "honest tables must be accepted");

        // 1. Claim public input x = repr(dbl) while the tables ran sq.
        let mut st = honest.clone();
        st.public_inputs[0] = dbl;
        assert_eq!(verdict(&p, &st, &traces), Err(VerifyError::Constraints { table: "rom" }));

        // 2. Rewrite every occurrence of repr(sq) into repr(dbl) (input, stack cells, the
        //    EVAL's repr column): everything is consistent except that the function tuple
        //    (sq's index and entry, dbl's repr) is not in the attested function table.
        let mut t = traces.clone();
        for (table, cols) in [
            (0usize, (cpu::V..cpu::V + 4).chain([cpu::R]).collect::<Vec<_>>()),
            (1, (0..t[1].width / memory::STRIDE).flat_map(|k| [k * memory::STRIDE + memory::VAL, k * memory::STRIDE + memory::RV]).collect()),
            (TableKind::Rom.index(), vec![rom::IN_VAL]),
        ] {
            for r in 0..t[table].values.len() / t[table].width {
                for &c in &cols {
                    if get(&t[table], r, c) == sq {
                        set(&mut t[table], r, c, dbl);
                    }
                }
            }
        }
        // Keep the CPU's product columns consistent, so that only the bus can object.
        for r in 0..(t[0].values.len() / t[0].width) {
            let (v0, v1, v2) = (get(&t[0], r, cpu::V), get(&t[0], r, cpu::V + 1), get(&t[0], r, cpu::V + 2));
            set(&mut t[0], r, cpu::P, v0 * v1);
            set(&mut t[0], r, cpu::Q, v0 * v2);
        }
        assert_eq!(verdict(&p, &st, &t), Err(VerifyError::LookupImbalance));
    }
}

forgery_test! {
    fn tampered_program_table_is_rejected() {
        // The run of a different program (sq computes z + z) presented under the digest of the
        // real one: its read-only table is not the verifier's.
        let real = eval_program(true);
        let fake = eval_program(false);
        let sq = fake.repr(2).unwrap();
        let (mut st, fake_t) = honest_run(&fake, &[sq, F::from_u64(7)]);
        assert_eq!(verdict(&fake, &st, &fake_t), Ok(()));
        st.program = real.digest();
        st.public_inputs[0] = sq;
        assert_eq!(verdict(&real, &st, &fake_t), Err(VerifyError::Constraints { table: "rom" }));
        // The real program's ROM with the fake run's other tables, claimed for the real
        // program: the fetched ADD and the fake function tuples are not in the ROM.
        let (_, real_t) = honest_run(&real, &[real.repr(2).unwrap(), F::from_u64(7)]);
        let mut t = fake_t.clone();
        t[2] = real_t[2].clone();
        // (with the claimed public input in its copy of the inputs, so that only the buses
        // can object)
        set(&mut t[2], 0, rom::IN_VAL, sq);
        assert_eq!(verdict(&real, &st, &t), Err(VerifyError::LookupImbalance));
    }
}

forgery_test! {
    fn compare_near_p_and_forged_compare() {
        let p = lt_program();
        let m1 = F::from_u64(resvm_field::P - 1);
        for (a, b, want) in [(m1, F::ZERO, 1u64), (F::ZERO, m1, 0), (m1, m1, 1), (F::from_u64(u32::MAX as u64), F::from_u64(1 << 32), 0)] {
            let (st, traces) = honest_run(&p, &[a, b]);
            assert_eq!(st.output, F::from_u64(want));
            if a == m1 && b == F::ZERO {
                assert_eq!(verdict(&p, &st, &traces), Ok(()));
                // Forge lt(p-1, 0) = 0 ("p-1 < 0", true modulo p): flip the result everywhere it
                // flows (COMPARE write, RET read/write, HALT read, the compare row) and fill the
                // compare row's difference modulo p with valid 16-bit limbs.
                let mut t = traces.clone();
                let n = t[0].values.len() / t[0].width;
                let cpu_air = cpu::CpuAir::for_program(&p);
                let flag = |t: &RowMajorMatrix<Val>, r: usize, op: resvm_isa::Opcode| {
                    cpu_air.flag(op).is_some_and(|c| get(t, r, c) == Val::ONE)
                };
                let mut ts_flip = vec![];
                for r in 0..n {
                    let slots: &[usize] = if flag(&t[0], r, resvm_isa::Opcode::Compare) {
                        &[2]
                    } else if flag(&t[0], r, resvm_isa::Opcode::Ret) {
                        &[0, 3]
                    } else if flag(&t[0], r, resvm_isa::Opcode::Halt) {
                        &[0]
                    } else {
                        &[]
                    };
                    for &j in slots {
                        set(&mut t[0], r, cpu::V + j, Val::ZERO);
                        ts_flip.push(Val::from_u64((4 * r + j) as u64));
                    }
                }
                // Keep the CPU's derived columns consistent with the flipped values (COMPARE's
                // payload column ENT = v2, the products P = v0·v1 and Q = v0·v2), so that only the
                // compare chiplet can catch the forgery.
                for r in 0..n {
                    if flag(&t[0], r, resvm_isa::Opcode::Compare) {
                        let v2 = get(&t[0], r, cpu::V + 2);
                        set(&mut t[0], r, cpu::ENT, v2);
                    }
                    let (v0, v1, v2) = (get(&t[0], r, cpu::V), get(&t[0], r, cpu::V + 1), get(&t[0], r, cpu::V + 2));
                    set(&mut t[0], r, cpu::P, v0 * v1);
                    set(&mut t[0], r, cpu::Q, v0 * v2);
                }
                let mh = t[1].values.len() / t[1].width;
                for r in 0..mh {
                    for o in (0..t[1].width / memory::STRIDE).map(|k| k * memory::STRIDE) {
                        if get(&t[1], r, o + memory::REAL) == Val::ONE
                            && ts_flip.contains(&get(&t[1], r, o + memory::TS))
                        {
                            set(&mut t[1], r, o + memory::VAL, Val::ZERO);
                            // The read-value column follows the value.
                            if get(&t[1], r, o + memory::W) == Val::ZERO {
                                set(&mut t[1], r, o + memory::RV, Val::ZERO);
                            }
                        }
                    }
                }
                // Compare row 0: r = 0 means "a < b": d = b - a - 1 (mod p) = 0 - (p-1) - 1 = 0.
                let row = &mut t[3].values[..compare::WIDTH];
                row[compare::R] = Val::ZERO;
                for i in 0..compare::NL {
                    row[compare::LIMBS + 2 * compare::NL + i] = Val::ZERO;
                }
                let mut st2 = st.clone();
                st2.output = Val::ZERO;
                assert_eq!(
                    verdict(&p, &st2, &t),
                    Err(VerifyError::Constraints { table: "compare" }),
                    "lt(p-1, 0) = 0 must not be provable"
                );
            }
        }
    }
}

#[test]
fn rom_is_the_image() {
    // The verifier's ROM columns are the image's instructions (as encoded for the digest),
    // its function table and its reprs; the prover's copy of them is the same.
    use p3_air::BaseAir;
    use resvm_prover::air::rom::{fixed, RomAir, RomCols};
    let p = eval_program(true);
    let inputs = [(0u32, F::from_u64(41))];
    let air = RomAir::new(&p, &inputs);
    let cols = air.periodic_columns();
    let h = 1 << RomAir::log_height_for(&p, inputs.len());
    assert!(cols.iter().all(|c| c.len() == h));
    for (pc, ins) in p.code().iter().enumerate() {
        let [op, a, b] = ins.encode();
        assert_eq!(cols[fixed::IS_INS][pc], F::ONE);
        assert_eq!(cols[fixed::IDX][pc], F::from_u64(pc as u64));
        assert_eq!(
            [
                cols[fixed::OPCODE][pc],
                cols[fixed::A][pc],
                cols[fixed::B][pc]
            ],
            [op, a, b]
        );
    }
    for (f, func) in p.functions().iter().enumerate() {
        assert_eq!(cols[fixed::IS_FN][f], F::ONE);
        assert_eq!(cols[fixed::REPR][f], p.repr(f as u32).unwrap());
        let want = [func.entry, func.arity, func.frame].map(|x| F::from_u64(x as u64));
        assert_eq!(
            [cols[fixed::ENT][f], cols[fixed::AR][f], cols[fixed::FRM][f]],
            want
        );
    }
    assert_eq!(cols[fixed::IS_INS][p.code().len()], F::ZERO);
    assert_eq!(cols[fixed::IS_FN][p.functions().len()], F::ZERO);
    assert_eq!(
        [
            cols[fixed::IS_IN][0],
            cols[fixed::IN_IDX][0],
            cols[fixed::IN_VAL][0]
        ],
        [F::ONE, F::ZERO, F::from_u64(41)]
    );
    assert_eq!(cols[fixed::IS_IN][1], F::ZERO);
    assert!((0..h).all(|i| cols[fixed::IS_BYTE][i] == F::from_bool(i < rom::BYTES)));
    let uses = rom::Uses {
        fetch: &vec![3; p.code().len()],
        functions: &vec![2; p.functions().len()],
        inputs: &[5, 9],
        bytes: &[1; rom::BYTES],
    };
    let t = rom::build(&p, &inputs, &uses);
    let col = |name: usize| -> Vec<F> { (0..h).map(|r| get(&t, r, name)).collect() };
    assert_eq!(
        col(core::mem::offset_of!(RomCols<u8>, opcode)),
        cols[fixed::OPCODE]
    );
    assert_eq!(
        col(core::mem::offset_of!(RomCols<u8>, repr)),
        cols[fixed::REPR]
    );
    assert_eq!(get(&t, 0, rom::FETCH), F::from_u64(3));
    assert_eq!(get(&t, p.code().len(), rom::FETCH), F::ZERO);
}

forgery_test! {
    fn rom_cells_are_constrained() {
        // The committed read-only table must be the verifier's: an instruction's opcode or
        // immediate, a function's repr or entry, a public input's index or value, a fetch or
        // read count on a padding row, and counts that the CPU and the chiplets do not match
        // are all rejected.
        use resvm_prover::air::rom::RomCols;
        use core::mem::offset_of;
        let p = eval_program(true);
        let (dbl, y) = (p.repr(1).unwrap(), F::from_u64(7));
        let (st, honest) = honest_run(&p, &[dbl, y]);
        assert_eq!(verdict(&p, &st, &honest), Ok(()));
        let rom_t = TableKind::Rom.index();
        let pad = p.code().len();
        let rom_err = VerifyError::Constraints { table: "rom" };
        for (row, col, want) in [
            (2, offset_of!(RomCols<u8>, opcode), rom_err.clone()),
            (3, offset_of!(RomCols<u8>, a), rom_err.clone()),
            (1, offset_of!(RomCols<u8>, repr), rom_err.clone()),
            (1, offset_of!(RomCols<u8>, ent), rom_err.clone()),
            (pad, rom::FETCH, rom_err.clone()),
            (2, rom::FETCH, VerifyError::LookupImbalance),
            (1, rom::USES, VerifyError::LookupImbalance),
            (0, rom::IN_IDX, rom_err.clone()),
            (0, rom::IN_VAL, rom_err.clone()),
            (1, rom::READS, rom_err.clone()),
            (0, rom::READS, VerifyError::LookupImbalance),
            (7, rom::BYTE_MULT, VerifyError::LookupImbalance),
            (7, rom::IDX, rom_err.clone()),
        ] {
            let mut t = honest.clone();
            let v = get(&t[rom_t], row, col);
            set(&mut t[rom_t], row, col, v + F::ONE);
            assert_eq!(
                verdict(&p, &st, &t),
                Err(want),
                "ROM row {row} column {col} is unconstrained"
            );
        }
    }
}

forgery_test! {
    fn stale_memory_read_is_rejected() {
        // main(x) = x: INPUT writes x, LOAD 0 reads it back, RET and HALT pass it on. Rewrite
        // every later occurrence of x (CPU slot values, memory values) into y, consistently on
        // both sides of the memory bus: only the memory table's read rule (a read returns the
        // last write of its address) can reject the claim that main(x) = y. Copying x
        // between two slots `pad` times before the LOAD makes the run's memory table use
        // the three-access layout (`memory::slots_for`); without, the two-access one.
        for (pad, slots) in [(0usize, 2usize), (150, 3)] {
            stale_read_in_layout(pad, slots);
        }
    }
}

fn stale_read_in_layout(pad: usize, slots: usize) {
    let mut code = vec![Instr::Frame, Instr::Input(0), Instr::Call(0), Instr::Halt];
    for _ in 0..pad {
        code.extend([Instr::Load(0), Instr::Store(1)]);
    }
    code.extend([Instr::Load(0), Instr::Ret]);
    let p = Program::new(code, vec![func(4, 1, 2)], 0).expect("valid");
    let (x, y) = (F::from_u64(12345), F::from_u64(777));
    let (st, honest) = honest_run(&p, &[x]);
    assert_eq!(st.output, x);
    assert_eq!(
        honest[1].width / memory::STRIDE,
        slots,
        "pad {pad}: the layout"
    );
    assert_eq!(verdict(&p, &st, &honest), Ok(()));

    let mut t = honest.clone();
    let n = t[0].values.len() / t[0].width;
    let input_flag = cpu::CpuAir::for_program(&p)
        .flag(resvm_isa::Opcode::Input)
        .expect("INPUT");
    let mut input_ts = None;
    for r in 0..n {
        if get(&t[0], r, input_flag) == Val::ONE {
            input_ts = Some(Val::from_u64(4 * r as u64));
            continue;
        }
        for j in 0..4 {
            if get(&t[0], r, cpu::V + j) == x {
                set(&mut t[0], r, cpu::V + j, y);
            }
        }
        let (v0, v1, v2) = (
            get(&t[0], r, cpu::V),
            get(&t[0], r, cpu::V + 1),
            get(&t[0], r, cpu::V + 2),
        );
        set(&mut t[0], r, cpu::P, v0 * v1);
        set(&mut t[0], r, cpu::Q, v0 * v2);
    }
    let input_ts = input_ts.expect("the run has an INPUT");
    let mh = t[1].values.len() / t[1].width;
    let mut changed = 0;
    for r in 0..mh {
        for o in (0..t[1].width / memory::STRIDE).map(|k| k * memory::STRIDE) {
            let real = get(&t[1], r, o + memory::REAL) == Val::ONE;
            if real
                && get(&t[1], r, o + memory::TS) != input_ts
                && get(&t[1], r, o + memory::VAL) == x
            {
                set(&mut t[1], r, o + memory::VAL, y);
                if get(&t[1], r, o + memory::W) == Val::ZERO {
                    set(&mut t[1], r, o + memory::RV, y);
                }
                changed += 1;
            }
        }
    }
    assert!(
        changed >= 3 + 2 * pad,
        "the tamper must reach LOAD, RET and HALT ({changed})"
    );
    let mut st2 = st.clone();
    st2.output = y;
    assert_eq!(
        verdict(&p, &st2, &t),
        Err(VerifyError::Constraints { table: "memory" }),
        "a read of a value never written must be rejected"
    );
}

#[test]
fn images_that_could_reach_a_structural_trap_are_refused() {
    // main() = LOAD 3 in a frame of 0 slots: the interpreter traps ("read outside the stack")
    // but the AIR alone would read a zero-initialised cell. Validation refuses the image, in
    // the prover and in the verifier, whatever proof is presented for it.
    let code = vec![
        Instr::Frame,
        Instr::Call(0),
        Instr::Halt,
        Instr::Load(3),
        Instr::Ret,
    ];
    let bad = Program::new(code, vec![func(3, 0, 0)], 0).expect("Program::new checks targets only");
    assert!(resvm_isa::validate(&bad).is_err());
    assert!(matches!(
        prove_with(&bad, &[], &[], &test_opts(), &mut |_| {}),
        Err(ProveError::InvalidProgram(_))
    ));
    let good = eval_program(true);
    let (mut proof, _) = prove_with(
        &good,
        &[good.repr(1).unwrap()],
        &[F::from_u64(7)],
        &test_opts(),
        &mut |_| {},
    )
    .unwrap();
    proof.statement.program = bad.digest();
    proof.statement.public_inputs.clear();
    assert!(matches!(
        verify_claimed(&bad, &proof, ALLOW),
        Err(VerifyError::InvalidProgram(_))
    ));
}

forgery_test! {
    /// The CPU has flag columns for the image's opcodes only (`cpu::OpSet::of`), and the
    /// verifier takes the set from the program. The honest run verifies under its own layout;
    /// the same run laid out with a flag for every opcode — the layout a prover would need to
    /// execute an instruction the image lacks — proves under that wider AIR, and the verifier
    /// refuses it for its shape (release build, standard parameters, `verify`).
    fn cpu_flags_are_the_images_opcodes() {
        use resvm_isa::Opcode;
        let p = support::mul_secret();
        let ops = cpu::OpSet::of(&p);
        let want = [Opcode::Halt, Opcode::Frame, Opcode::Input, Opcode::Secret, Opcode::Call, Opcode::Load, Opcode::Mul, Opcode::Ret];
        assert_eq!(ops.len(), want.len());
        assert!(want.iter().all(|&op| ops.contains(op)) && !ops.contains(Opcode::Push));
        let positions: Vec<usize> = ops.iter().map(|op| ops.position(op).unwrap()).collect();
        assert_eq!(positions, (0..ops.len()).collect::<Vec<_>>());
        assert_eq!(cpu::CpuAir::for_program(&bench::fib_program()).ops().len(), 14);

        let (x, y) = (F::from_u64(5), F::from_u64(7));
        let (st, t) = honest_run(&p, &[x, y]);
        assert_eq!(t[0].width, cpu::FLAGS + ops.len());
        let memory = memory::MemoryAir::from_width(t[1].width).unwrap();
        let (airs, pvs) = support::airs(&p, &st, memory);
        // The control: the caller's AIRs are the verifier's.
        let honest = prove_with_airs(&airs, &pvs, &st, &blinded(&t, 1), SecurityLevel::Standard);
        let honest = Proof::from_bytes(&honest.to_bytes()).unwrap();
        assert_eq!(verify(&p, &[x], st.output, &honest), Ok(()));

        let all = cpu::OpSet::all();
        let wide_w = cpu::FLAGS + all.len();
        let rows = t[0].values.len() / t[0].width;
        let mut wide = vec![Val::ZERO; rows * wide_w];
        for (src, dst) in t[0].values.chunks(t[0].width).zip(wide.chunks_mut(wide_w)) {
            dst[..cpu::FLAGS].copy_from_slice(&src[..cpu::FLAGS]);
            for op in ops.iter() {
                dst[cpu::FLAGS + all.position(op).unwrap()] = src[cpu::FLAGS + ops.position(op).unwrap()];
            }
        }
        let mut tw = t.clone();
        tw[0] = RowMajorMatrix::new(wide, wide_w);
        let mut wide_airs = airs.clone();
        wide_airs[0] = resvm_prover::air::VmAir::Cpu(cpu::CpuAir::new(all));
        let forged = prove_with_airs(&wide_airs, &pvs, &st, &blinded(&tw, 2), SecurityLevel::Standard);
        let forged = Proof::from_bytes(&forged.to_bytes()).unwrap();
        let r = verify(&p, &[x], st.output, &forged);
        assert!(matches!(&r, Err(VerifyError::Shape(e)) if e.contains("width")), "{r:?}");
    }
}
