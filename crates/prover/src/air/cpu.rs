//! The CPU table: one row per executed instruction, constraining the ISA's transition.
//!
//! A row holds the registers before the instruction (`clk, pc, fp, sp`), the fetched word
//! (`opcode` one-hot in 22 flags, immediates `a, b`), up to four memory accesses (slot `j`
//! has address `addr_j` and value `v_j`, time stamp `4·clk + j`), and the function-table tuple
//! `(g, r, ent, ar, frm)` used by calls, evals and `REFLECT`. The next row holds the registers
//! after it. Rows after the first `HALT` repeat that `HALT` (same pc, fp, sp); `active` is 1 up
//! to and including the first `HALT`, which is where the output and cycle count are read.

use super::{bus, Val};
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use resvm_isa::Opcode;

/// `clk`: row index (cycle).
pub const CLK: usize = 0;
/// `pc` before the instruction.
pub const PC: usize = 1;
/// `fp` before the instruction.
pub const FP: usize = 2;
/// `sp` before the instruction.
pub const SP: usize = 3;
/// First immediate.
pub const A: usize = 4;
/// Second immediate.
pub const B: usize = 5;
/// First of the 22 one-hot opcode flags (flag of opcode `k` is `FLAGS + k`).
pub const FLAGS: usize = 6;
/// Number of opcodes.
pub const NUM_OPS: usize = 22;
/// First of the four slot values.
pub const V: usize = FLAGS + NUM_OPS;
/// First of the four slot addresses.
pub const ADDR: usize = V + 4;
/// Function index of the function-table tuple.
pub const G: usize = ADDR + 4;
/// `repr` of the tuple.
pub const R: usize = G + 1;
/// Entry pc of the tuple.
pub const ENT: usize = G + 2;
/// Arity of the tuple.
pub const AR: usize = G + 3;
/// Frame size of the tuple.
pub const FRM: usize = G + 4;
/// 1 up to and including the first `HALT`.
pub const ACTIVE: usize = G + 5;
/// `active · f_HALT`: 1 on the first `HALT` only.
pub const FH: usize = ACTIVE + 1;
/// `v0 · v1` (products in columns keep every constraint at degree 2).
pub const P: usize = ACTIVE + 2;
/// `v0 · v2`.
pub const Q: usize = ACTIVE + 3;
/// Number of columns.
pub const WIDTH: usize = ACTIVE + 4;

/// Memory slots per row.
pub const SLOTS: usize = 4;

/// Public values: `[output, cycles]`.
pub const NUM_PUBLIC: usize = 2;

/// Where a slot's address comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrForm {
    /// `sp - k`.
    Sp(u64),
    /// `fp + a`.
    FpA,
    /// `fp - k`.
    Fp(u64),
    /// `sp - ar - k`: linkage cell of a `CALL`.
    CallLink(u64),
    /// `sp - 1 - ar - k`: linkage cell of an `EVAL`.
    EvalLink(u64),
}

/// One memory access of an instruction: `(is_write, address)`.
pub type Slot = (bool, AddrForm);

/// The memory accesses of `op`, in slot order (which is the interpreter's order).
pub fn slots(op: Opcode) -> &'static [Slot] {
    use AddrForm::*;
    use Opcode::*;
    const R: bool = false;
    const W: bool = true;
    match op {
        Halt | Branch | Reflect | TailEval => &[(R, Sp(1))],
        Push | Input | Secret | Repr => &[(W, Sp(0))],
        Pop | Jump | Frame | TailCall => &[],
        Load => &[(R, FpA), (W, Sp(0))],
        Store => &[(R, Sp(1)), (W, FpA)],
        Neg => &[(R, Sp(1)), (W, Sp(1))],
        Add | Sub | Mul | Compare => &[(R, Sp(2)), (R, Sp(1)), (W, Sp(2))],
        Call => &[(W, CallLink(2)), (W, CallLink(1))],
        Eval => &[(R, Sp(1)), (W, EvalLink(2)), (W, EvalLink(1))],
        Ret => &[(R, Sp(1)), (R, Fp(2)), (R, Fp(1)), (W, Fp(2))],
    }
}

/// Whether `op` looks up the function table.
pub fn uses_function(op: Opcode) -> bool {
    matches!(
        op,
        Opcode::Call
            | Opcode::TailCall
            | Opcode::Eval
            | Opcode::TailEval
            | Opcode::Reflect
            | Opcode::Repr
    )
}

/// The CPU AIR (stateless: everything it needs is in the trace and public values).
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuAir;

impl BaseAir<Val> for CpuAir {
    fn width(&self) -> usize {
        WIDTH
    }
    fn num_public_values(&self) -> usize {
        NUM_PUBLIC
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![CLK, PC, FP, SP, ACTIVE]
    }
}

impl<AB> Air<AB> for CpuAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let c = |i: usize| -> AB::Expr { local[i].into() };
        let n = |i: usize| -> AB::Expr { next[i].into() };
        let f = |op: Opcode| -> AB::Expr { local[FLAGS + op as usize].into() };
        let k = |v: u64| -> AB::Expr { AB::Expr::from_u64(v) };
        let pv = builder.public_values();
        let (out, cycles): (AB::Expr, AB::Expr) = (pv[0].into(), pv[1].into());

        // Exactly one opcode flag per row.
        let mut sum = AB::Expr::ZERO;
        let mut opcode = AB::Expr::ZERO;
        for op in Opcode::ALL {
            builder.assert_bool(f(op));
            sum += f(op);
            opcode += f(op) * k(op as u64);
        }
        builder.assert_one(sum);
        builder.assert_bool(c(ACTIVE));
        // Degree-2 helpers: the first-HALT flag and two products of slot values.
        builder.assert_eq(c(FH), c(ACTIVE) * f(Opcode::Halt));
        builder.assert_eq(c(P), c(V) * c(V + 1));
        builder.assert_eq(c(Q), c(V) * c(V + 2));

        // Boot state and row counter.
        {
            let mut b = builder.when_first_row();
            b.assert_zero(c(CLK));
            b.assert_zero(c(PC));
            b.assert_zero(c(FP));
            b.assert_zero(c(SP));
            b.assert_one(c(ACTIVE));
        }
        builder.when_transition().assert_eq(n(CLK), c(CLK) + k(1));
        // `active` falls to 0 right after the first HALT and stays there.
        builder
            .when_transition()
            .assert_eq(n(ACTIVE), c(ACTIVE) - c(FH));
        // The trace ends halted, so the run terminated within the trace.
        builder.when_last_row().assert_one(f(Opcode::Halt));
        // Output and cycle count are read at the first HALT.
        builder.assert_zero(c(FH) * (c(CLK) + k(1) - cycles));
        builder.assert_zero(c(FH) * (c(V) - out));

        // Slot addresses, enables and directions.
        let sp = c(SP);
        let fp = c(FP);
        let addr_expr = |form: AddrForm| -> AB::Expr {
            match form {
                AddrForm::Sp(d) => c(SP) - k(d),
                AddrForm::FpA => c(FP) + c(A),
                AddrForm::Fp(d) => c(FP) - k(d),
                AddrForm::CallLink(d) => c(SP) - c(AR) - k(d),
                AddrForm::EvalLink(d) => c(SP) - k(1) - c(AR) - k(d),
            }
        };
        let mut en: [AB::Expr; SLOTS] = core::array::from_fn(|_| AB::Expr::ZERO);
        let mut wr: [AB::Expr; SLOTS] = core::array::from_fn(|_| AB::Expr::ZERO);
        let mut addr_c: [AB::Expr; SLOTS] = core::array::from_fn(|_| AB::Expr::ZERO);
        for op in Opcode::ALL {
            for (j, &(is_w, form)) in slots(op).iter().enumerate() {
                // The padding HALTs after the first one touch no memory.
                let e = if op == Opcode::Halt { c(FH) } else { f(op) };
                en[j] += e;
                if is_w {
                    wr[j] += f(op);
                }
                addr_c[j] += f(op) * (c(ADDR + j) - addr_expr(form));
            }
        }
        for a in addr_c {
            builder.assert_zero(a);
        }
        for j in 0..SLOTS {
            let ts = c(CLK) * k(SLOTS as u64) + k(j as u64);
            builder.push_interaction(
                bus::MEMORY,
                [ts, c(ADDR + j), c(V + j), wr[j].clone()],
                Count::bounded(en[j].clone(), 1),
            );
        }

        // Values.
        let v = |j: usize| c(V + j);
        let pc = c(PC);
        builder.assert_zero(f(Opcode::Push) * (v(0) - c(A)));
        builder.assert_zero(f(Opcode::Load) * (v(1) - v(0)));
        builder.assert_zero(f(Opcode::Store) * (v(1) - v(0)));
        builder.assert_zero(f(Opcode::Neg) * (v(1) + v(0)));
        builder.assert_zero(f(Opcode::Add) * (v(2) - v(0) - v(1)));
        builder.assert_zero(f(Opcode::Sub) * (v(2) - v(0) + v(1)));
        builder.assert_zero(f(Opcode::Mul) * (v(2) - c(P)));
        // BRANCH reads only slot 0; slots 1 and 2 carry `b − a` and `1 − v0`, so that
        // `P = v0·(b − a)` gives the next pc and `Q = v0·(1 − v0) = 0` makes v0 boolean.
        builder.assert_zero(f(Opcode::Branch) * (v(1) - c(B) + c(A)));
        builder.assert_zero(f(Opcode::Branch) * (v(2) + v(0) - k(1)));
        builder.assert_zero(f(Opcode::Branch) * c(Q));
        builder.assert_zero(f(Opcode::Call) * (v(0) - pc.clone() - k(1)));
        builder.assert_zero(f(Opcode::Call) * (v(1) - fp.clone()));
        builder.assert_zero(f(Opcode::Eval) * (v(1) - pc.clone() - k(1)));
        builder.assert_zero(f(Opcode::Eval) * (v(2) - fp.clone()));
        builder.assert_zero(f(Opcode::Ret) * (v(3) - v(0)));

        // Function-table tuple: CALL/TAILCALL/REPR name the index, EVAL/TAILEVAL/REFLECT the
        // repr; REPR f pushes the tuple's repr.
        let direct = f(Opcode::Call) + f(Opcode::TailCall) + f(Opcode::Repr);
        builder.assert_zero(f(Opcode::Repr) * (c(R) - v(0)));
        let by_repr = f(Opcode::Eval) + f(Opcode::TailEval) + f(Opcode::Reflect);
        let evals = f(Opcode::Eval) + f(Opcode::TailEval);
        builder.assert_zero(direct.clone() * (c(G) - c(A)));
        builder.assert_zero(by_repr.clone() * (c(R) - v(0)));
        // EVAL k / TAILEVAL k trap unless arity = k.
        builder.assert_zero(evals * (c(AR) - c(A)));
        // COMPARE and INPUT put their payload in the tuple columns.
        builder.assert_zero(f(Opcode::Compare) * (c(G) - v(0)));
        builder.assert_zero(f(Opcode::Compare) * (c(R) - v(1)));
        builder.assert_zero(f(Opcode::Compare) * (c(ENT) - v(2)));
        builder.assert_zero(f(Opcode::Input) * (c(G) - c(A)));
        builder.assert_zero(f(Opcode::Input) * (c(R) - v(0)));
        // One `call` message per row at most: the function tuple (must be in the attested
        // function table), COMPARE's (v0, v1, v2) (the chiplet proves v2 = lt(v0, v1)), or
        // INPUT's (i, v0) (must be a public input).
        let tag = (direct.clone() + by_repr.clone()) * k(bus::TAG_FUNCTION)
            + f(Opcode::Compare) * k(bus::TAG_COMPARE)
            + f(Opcode::Input) * k(bus::TAG_INPUT);
        builder.push_interaction(
            bus::CALL,
            [tag, c(G), c(R), c(ENT), c(AR), c(FRM)],
            Count::bounded(direct + by_repr + f(Opcode::Compare) + f(Opcode::Input), 1),
        );

        // Instruction fetch, every row (padding rows fetch their HALT too).
        builder.push_interaction(bus::PROGRAM, [c(PC), opcode, c(A), c(B)], 1);
        // SECRET i writes a witness value: deliberately unconstrained.

        // Next registers.
        let (ent, ar, frm) = (c(ENT), c(AR), c(FRM));
        let one = k(1);
        let next_pc = f(Opcode::Halt) * pc.clone()
            + f(Opcode::Branch) * (c(A) + c(P))
            + f(Opcode::Jump) * c(A)
            + (f(Opcode::Call) + f(Opcode::TailCall) + f(Opcode::Eval) + f(Opcode::TailEval)) * ent
            + f(Opcode::Ret) * v(1)
            + (f(Opcode::Push)
                + f(Opcode::Pop)
                + f(Opcode::Load)
                + f(Opcode::Store)
                + f(Opcode::Neg)
                + f(Opcode::Add)
                + f(Opcode::Sub)
                + f(Opcode::Mul)
                + f(Opcode::Compare)
                + f(Opcode::Frame)
                + f(Opcode::Repr)
                + f(Opcode::Reflect)
                + f(Opcode::Input)
                + f(Opcode::Secret))
                * (pc + one.clone());
        let keeps_fp = k(1) - f(Opcode::Call) - f(Opcode::Eval) - f(Opcode::Ret);
        let next_fp = keeps_fp * fp.clone()
            + f(Opcode::Call) * (sp.clone() - ar.clone())
            + f(Opcode::Eval) * (sp.clone() - one.clone() - ar.clone())
            + f(Opcode::Ret) * v(2);
        let next_sp = (f(Opcode::Halt) + f(Opcode::Neg) + f(Opcode::Jump) + f(Opcode::Reflect))
            * sp.clone()
            + (f(Opcode::Push)
                + f(Opcode::Load)
                + f(Opcode::Input)
                + f(Opcode::Secret)
                + f(Opcode::Repr))
                * (sp.clone() + one.clone())
            + (f(Opcode::Pop)
                + f(Opcode::Store)
                + f(Opcode::Add)
                + f(Opcode::Sub)
                + f(Opcode::Mul)
                + f(Opcode::Compare)
                + f(Opcode::Branch))
                * (sp.clone() - one.clone())
            + f(Opcode::Frame) * (sp.clone() + k(2))
            + f(Opcode::Call) * (sp.clone() - ar.clone() + frm.clone())
            + f(Opcode::Eval) * (sp - one.clone() - ar + frm.clone())
            + (f(Opcode::TailCall) + f(Opcode::TailEval)) * (fp.clone() + frm)
            + f(Opcode::Ret) * (fp - one);
        let mut t = builder.when_transition();
        t.assert_eq(n(PC), next_pc);
        t.assert_eq(n(FP), next_fp);
        t.assert_eq(n(SP), next_sp);
    }
}
