//! The CPU's value constraints of the base instructions attacked one by one: a `PUSH`,
//! `NEG`, `REPR`, `CALL`, `EVAL` or `RET` step writing a value other than its own (the run
//! then follows the tampered value), or a `BRANCH` row whose helper values `v1 = b − a`,
//! `v2 = 1 − v0` are off, is refused by `verify` as a CPU constraint. Each constraint is the
//! only one that row breaks, so a CPU table without it (e.g. `cpu::OpSet`'s `on(...)` missing
//! a group) would accept the proof. Every forgery is first laid out untampered and must
//! verify.

use super::forge::{forge_first_step, products};
use super::*;
use resvm_isa::Instr::*;

/// `fn main(x) = { branch on 0; eval(repr dbl)(−x) }` with `dbl(z) = z + z` and
/// `sq(z) = z · z`; a second `HALT` and `RET` follow the return points of `CALL` and `EVAL`
/// (a return address one too far lands on them). Output on 3: −6.
fn base_ops() -> Program {
    let code = vec![
        Frame,
        Input(0),
        Call(0),
        Halt,
        Halt,
        // main(x) @5
        Push(f(0)),
        Branch(7, 7),
        Frame,
        Load(0),
        Neg,
        Repr(1),
        Eval(1),
        Ret,
        Ret,
        // dbl @14
        Load(0),
        Load(0),
        Add,
        Ret,
        // sq @18
        Load(0),
        Load(0),
        Mul,
        Ret,
    ];
    image(code, vec![func(5, 1, 1), func(14, 1, 1), func(18, 1, 1)]).expect("valid image")
}

const X: u64 = 3;

/// The run of [`base_ops`] with the first `op` step's `write`-th write moved by `delta` (if
/// any) and that step's CPU row edited by `patch`, judged by `verify`.
fn forge(
    op: Opcode,
    tamper: Option<(usize, Val)>,
    patch: &dyn Fn(&mut cpu::CpuCols<Val>),
) -> Result<(), VerifyError> {
    let (honest, verdict) = forge_first_step(&base_ops(), &[f(X)], op, tamper, patch, &judge_test);
    assert_eq!(honest.output, F::ZERO - f(2 * X));
    verdict
}

release_test! {
    /// A written value other than the instruction's: `PUSH 0` pushing 1 (the branch still
    /// sees a boolean), `NEG` writing −x + 1, `RET` returning its value + 1, `CALL`/`EVAL`
    /// saving a return address one too far (landing on the spare `HALT`/`RET`) or another
    /// frame pointer, and `REPR dbl` pushing `sq`'s repr (the `EVAL` then runs `sq`: a
    /// different output). Each breaks the one value constraint of its opcode.
    fn wrong_write_of_each_base_instruction() {
        let p = base_ops();
        let to_sq = p.repr(2).unwrap() - p.repr(1).unwrap();
        for (op, write, delta) in [
            (Opcode::Push, 0, Val::ONE),
            (Opcode::Neg, 0, Val::ONE),
            (Opcode::Ret, 0, Val::ONE),
            (Opcode::Call, 0, Val::ONE),
            (Opcode::Call, 1, Val::ONE),
            (Opcode::Eval, 0, Val::ONE),
            (Opcode::Eval, 1, Val::ONE),
            (Opcode::Repr, 0, to_sq),
        ] {
            let r = forge(op, Some((write, delta)), &|_| {});
            assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }), "{op:?} write {write}");
        }
    }
}

release_test! {
    /// `BRANCH` reads v0 = 0 here, so `P = v0·v1` and `Q = v0·v2` stay 0 whatever v1 and v2
    /// are: `v1 = b − a` and `v2 = 1 − v0` are the only constraints an off value breaks.
    fn branch_helper_values_are_constrained() {
        let r = forge(Opcode::Branch, None, &|row| {
            assert_eq!(row.v[0], Val::ZERO);
            row.v[1] += Val::ONE;
            products(row);
        });
        assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }), "v1");
        let r = forge(Opcode::Branch, None, &|row| {
            row.v[2] = Val::ZERO;
            products(row);
        });
        assert_eq!(r, Err(VerifyError::Constraints { table: "cpu" }), "v2");
    }
}

/// `fn main(x) = id([x = 0])` by `EQZS`, then `[y = 0]` of the fresh slot 1 (0): both outcomes
/// of the zero test (the second result is popped). `id(z) = z`. Output on 3: 0.
fn zero_test() -> Program {
    let code = vec![
        Frame,
        Input(0),
        Call(0),
        Halt,
        // main(x) @4: [x = 0], [m[fp+1] = 0], then id of the first
        EqZS(0),
        EqZS(1),
        Pop,
        STailCall(1, 0),
        // id @8
        Load(0),
        Ret,
    ];
    image(code, vec![func(4, 1, 2), func(8, 1, 1)]).expect("valid image")
}

/// `fn main(x, _) = x` that first runs `BRZS t k` (at pc 4) on slot `k`: slot 0 holds x = 3,
/// slot 1 is fresh (0). `t` is 5 (the next instruction, where a fall-through also goes) or 6
/// (over `JUMP 6`).
fn branch_on_zero(t: u32, k: u32) -> Program {
    let code = vec![
        Frame,
        Input(0),
        Call(0),
        Halt,
        BrZS(t, k),
        Jump(6),
        Load(0),
        Ret,
    ];
    image(code, vec![func(4, 1, 2)]).expect("valid image")
}

release_test! {
    /// `BRZS` rows other than the zero test's: each of its three constraints refuses a row
    /// that only it objects to, with a verifying control (`forge_first_step`).
    /// - a wrong inverse of a nonzero slot (v2 = 1 kept): `v2 = v0·v1`;
    /// - "zero" (v2 = 0, v1 = 0) claimed for the nonzero slot, where the jump target is also
    ///   the next instruction so the next pc is the same: `v0·(1 − v2) = 0`;
    /// - "nonzero" (v2 = 1) claimed for the zero slot, same target: `v2 = v0·v1` again;
    /// - a wrong jump distance where the jump is taken (v2 = 0 hides v3 from the next pc):
    ///   `v3 = pc + 1 − t`. Without it, a nonzero slot's "fall-through" could go anywhere.
    fn brzs_zero_test_and_jump_are_constrained() {
        let cpu = Err(VerifyError::Constraints { table: "cpu" });
        let run = |t, k, patch: &dyn Fn(&mut cpu::CpuCols<Val>)| {
            let p = branch_on_zero(t, k);
            let (honest, verdict) =
                forge_first_step(&p, &[f(X)], Opcode::BrZS, None, patch, &judge_test);
            assert_eq!(honest.output, f(X));
            verdict
        };
        let r = run(5, 0, &|row| {
            assert_eq!((row.v[0], row.v[2]), (f(X), Val::ONE));
            row.v[1] += Val::ONE;
            products(row);
        });
        assert_eq!(r, cpu, "wrong inverse");
        let r = run(5, 0, &|row| {
            (row.v[1], row.v[2]) = (Val::ZERO, Val::ZERO);
            products(row);
        });
        assert_eq!(r, cpu, "3 claimed zero");
        let r = run(5, 1, &|row| {
            assert_eq!((row.v[0], row.v[2], row.v[3]), (Val::ZERO, Val::ZERO, Val::ZERO));
            row.v[2] = Val::ONE;
            products(row);
        });
        assert_eq!(r, cpu, "0 claimed nonzero");
        let r = run(6, 1, &|row| {
            row.v[3] += Val::ONE;
            products(row);
        });
        assert_eq!(r, cpu, "wrong jump distance");
    }
}

release_test! {
    /// `EQZS` claiming the wrong result: `[3 = 0]` written as 1, with the inverse hint 0 that
    /// makes `v1 = 1 − v0·v2` hold, so that only `v0·v1 = 0` objects; the same with the true
    /// inverse, where both object; and the honest result with a wrong hint, where only
    /// `v1 = 1 − v0·v2` objects. Each is a CPU constraint, with a verifying control: without
    /// either constraint, `lt(0, n)` in every count-down loop would be the prover's choice.
    fn eqzs_result_is_constrained() {
        let p = zero_test();
        let run = |tamper: Option<(usize, Val)>, patch: &dyn Fn(&mut cpu::CpuCols<Val>)| {
            let (honest, verdict) =
                forge_first_step(&p, &[f(X)], Opcode::EqZS, tamper, patch, &judge_test);
            assert_eq!(honest.output, F::ZERO);
            verdict
        };
        let cpu = Err(VerifyError::Constraints { table: "cpu" });
        // v0 = 3: the result 0 moved to 1.
        let r = run(Some((0, Val::ONE)), &|row| {
            assert_eq!(row.v[0], f(X));
            row.v[2] = Val::ZERO;
            products(row);
        });
        assert_eq!(r, cpu, "[3 = 0] = 1 with hint 0");
        let r = run(Some((0, Val::ONE)), &|row| products(row));
        assert_eq!(r, cpu, "[3 = 0] = 1 with the inverse");
        // A wrong hint alone (the result still 0) breaks `v1 = 1 − v0·v2`.
        let r = run(None, &|row| {
            row.v[2] += Val::ONE;
            products(row);
        });
        assert_eq!(r, cpu, "a wrong inverse");
    }
}
