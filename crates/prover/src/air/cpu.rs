//! The CPU table: one row per executed instruction, constraining the ISA's transition.
//!
//! A row ([`CpuCols`]) holds the registers before the instruction (`clk, pc, fp, sp`), the
//! fetched word (immediates `a, b`; the opcode one-hot in flag columns after the struct's, one
//! per opcode of the image: [`OpSet`]), up to four memory
//! accesses (slot `j` has address `addr_j` and value `v_j`, time stamp `4·clk + j`), and the
//! function-table tuple `(g, r, ent, ar, frm)` used by calls, evals and `REFLECT` (and as the
//! payload of the other `call`-bus messages). The next row holds the registers after it.
//! Rows after the first `HALT` repeat that `HALT` (same pc, fp, sp); `active` is 1 up to and
//! including the first `HALT`, which is where the output and cycle count are read.
//!
//! Everything generic is derived from the opcode table `resvm_isa::spec::OPS`: the flags,
//! the slot directions and address forms, the next `pc`/`fp`/`sp` sums, the function-table
//! and chiplet messages. Only the per-opcode *value* constraints are written out here.

use super::{bus, Val};
use crate::{col, columns};
use core::borrow::{Borrow, BorrowMut};
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField64};
use p3_lookup::{Count, InteractionBuilder};
use resvm_isa::spec::{Chiplet, FnUse, Lin, Term, OPS};
use resvm_isa::{Opcode, Program};

/// Number of opcodes of the ISA.
pub const NUM_OPS: usize = resvm_isa::NUM_OPS;
/// Memory slots per row.
pub const SLOTS: usize = 4;

/// The opcodes a CPU table has flag columns for: those of the image, and `HALT` (which pads
/// every trace). The verifier derives the set from the program, as the prover does.
///
/// Why it is sound: the fetch lookup makes every row's opcode one the read-only table holds,
/// i.e. one of the image's, so the flags and constraints of the other opcodes could only ever
/// be zero. Dropping them removes no honest run and admits no new one, and it makes a
/// program's CPU rows as wide as the instructions it uses (fib: 13 flags instead of 44).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpSet(u64);

const _: () = assert!(NUM_OPS <= 64, "an OpSet is a 64-bit mask");

impl OpSet {
    /// Every opcode (the widest CPU table: the security model's worst case).
    pub const fn all() -> Self {
        OpSet(u64::MAX >> (64 - NUM_OPS))
    }

    /// `ops` and `HALT`.
    pub fn new(ops: impl IntoIterator<Item = Opcode>) -> Self {
        ops.into_iter()
            .fold(OpSet(1 << Opcode::Halt as u64), |s, op| {
                OpSet(s.0 | 1 << op as u64)
            })
    }

    /// The opcodes of `program`'s instructions, and `HALT`.
    pub fn of(program: &Program) -> Self {
        Self::new(program.code().iter().map(|i| i.opcode()))
    }

    /// Whether `op` has a flag column.
    pub fn contains(self, op: Opcode) -> bool {
        self.0 >> op as u64 & 1 == 1
    }

    /// Number of flag columns.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Never: `HALT` is in every set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flag of `op`: its rank among the set's opcodes, in opcode order.
    pub fn position(self, op: Opcode) -> Option<usize> {
        self.contains(op)
            .then(|| (self.0 & ((1u64 << op as u64) - 1)).count_ones() as usize)
    }

    /// The set's opcodes, in opcode order (the order of their flag columns).
    pub fn iter(self) -> impl Iterator<Item = Opcode> {
        Opcode::ALL.into_iter().filter(move |&op| self.contains(op))
    }

    /// The set as a mask (bit `op as u64`).
    pub fn bits(self) -> u64 {
        self.0
    }
}

/// The columns of one CPU row.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct CpuCols<T> {
    /// Row index (cycle).
    pub clk: T,
    /// `pc` before the instruction.
    pub pc: T,
    /// `fp` before the instruction.
    pub fp: T,
    /// `sp` before the instruction.
    pub sp: T,
    /// First immediate.
    pub a: T,
    /// Second immediate.
    pub b: T,
    /// Slot values.
    pub v: [T; SLOTS],
    /// Slot addresses.
    pub addr: [T; SLOTS],
    /// Function index of the function-table tuple.
    pub g: T,
    /// `repr` of the tuple.
    pub r: T,
    /// Entry pc of the tuple.
    pub ent: T,
    /// Arity of the tuple.
    pub ar: T,
    /// Frame size of the tuple.
    pub frm: T,
    /// 1 up to and including the first `HALT`.
    pub active: T,
    /// `active · f_HALT`: 1 on the first `HALT` only.
    pub fh: T,
    /// `v0 · v1` (products in columns keep every constraint at degree 2).
    pub p: T,
    /// `v0 · v2`.
    pub q: T,
    /// `v2 · v3` (Brainfuck jumps and the `u8` carry).
    pub s: T,
}
columns!(CpuCols);

/// Column of `clk`.
pub const CLK: usize = col!(CpuCols, clk);
/// Column of `pc`.
pub const PC: usize = col!(CpuCols, pc);
/// Column of `fp`.
pub const FP: usize = col!(CpuCols, fp);
/// Column of `sp`.
pub const SP: usize = col!(CpuCols, sp);
/// Column of the first immediate.
pub const A: usize = col!(CpuCols, a);
/// Column of the second immediate.
pub const B: usize = col!(CpuCols, b);
/// First slot value column.
pub const V: usize = col!(CpuCols, v);
/// First slot address column.
pub const ADDR: usize = col!(CpuCols, addr);
/// Column of `g`.
pub const G: usize = col!(CpuCols, g);
/// Column of `r`.
pub const R: usize = col!(CpuCols, r);
/// Column of `ent`.
pub const ENT: usize = col!(CpuCols, ent);
/// Column of `ar`.
pub const AR: usize = col!(CpuCols, ar);
/// Column of `frm`.
pub const FRM: usize = col!(CpuCols, frm);
/// Column of `active`.
pub const ACTIVE: usize = col!(CpuCols, active);
/// Column of `fh`.
pub const FH: usize = col!(CpuCols, fh);
/// Column of `p = v0·v1`.
pub const P: usize = col!(CpuCols, p);
/// Column of `q = v0·v2`.
pub const Q: usize = col!(CpuCols, q);
/// Column of `s = v2·v3`.
pub const S: usize = col!(CpuCols, s);
/// First opcode flag column: the flags follow the struct's columns, one per opcode of the
/// table's [`OpSet`] in opcode order ([`CpuAir::flag`]).
pub const FLAGS: usize = CpuCols::<u8>::WIDTH;

/// Public values: `[output, cycles]`.
pub const NUM_PUBLIC: usize = 2;

/// The `call`-bus tag of an opcode's chiplet message.
pub fn call_tag(ch: Chiplet) -> u64 {
    match ch {
        Chiplet::Function(_) => bus::TAG_FUNCTION,
        Chiplet::Compare { .. } => bus::TAG_COMPARE,
        Chiplet::Input => bus::TAG_INPUT,
        Chiplet::Hash => bus::TAG_HASH,
        Chiplet::BfInput => bus::TAG_BF_INPUT,
        Chiplet::BfOutput => bus::TAG_BF_OUTPUT,
    }
}

/// The CPU AIR of an image: everything else it needs is in the trace and public values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuAir {
    ops: OpSet,
}

impl CpuAir {
    /// The CPU AIR with flags for `ops`.
    pub fn new(ops: OpSet) -> Self {
        CpuAir { ops }
    }

    /// The CPU AIR of proofs about `program` (flags for its opcodes, [`OpSet::of`]).
    pub fn for_program(program: &Program) -> Self {
        Self::new(OpSet::of(program))
    }

    /// The opcodes it has flags for.
    pub fn ops(&self) -> OpSet {
        self.ops
    }

    /// Column of `op`'s flag, if the table has one.
    pub fn flag(&self, op: Opcode) -> Option<usize> {
        self.ops.position(op).map(|i| FLAGS + i)
    }

    /// Fills the CPU row of one step and sets its opcode's flag: registers, immediates, slot
    /// addresses and values, the function tuple and the call-bus payload (`tuple`: `(g, r,
    /// ent, ar, frm)` of the looked-up function, if the opcode uses one), the helper
    /// products. `None` if the table has no flag for the opcode.
    #[allow(clippy::too_many_arguments)]
    pub fn fill_row(
        &self,
        row: &mut [Val],
        clk: u64,
        regs: (u32, u32, u32),
        instr: &resvm_isa::Instr,
        slots: &[(u32, Val)],
        tuple: Option<[Val; 5]>,
        first_halt: bool,
    ) -> Option<()> {
        let op = instr.opcode();
        let flag = self.flag(op)?;
        row[FLAGS..].fill(Val::ZERO);
        row[flag] = Val::ONE;
        let row: &mut CpuCols<Val> = row.borrow_mut();
        let spec = op.spec();
        let [_, a, b] = instr.encode();
        let u = |v: u64| Val::from_u64(v);
        row.clk = u(clk);
        row.pc = u(regs.0 as u64);
        row.fp = u(regs.1 as u64);
        row.sp = u(regs.2 as u64);
        row.a = a;
        row.b = b;
        row.active = Val::ONE;
        for (j, &(addr, v)) in slots.iter().enumerate() {
            row.addr[j] = u(addr as u64);
            row.v[j] = v;
        }
        if let Some([g, r, ent, ar, frm]) = tuple {
            (row.g, row.r, row.ent, row.ar, row.frm) = (g, r, ent, ar, frm);
        }
        if spec.constant_in_v2() {
            row.v[2] = b;
        }
        match spec.chiplet {
            Some(Chiplet::Compare { x, y, out }) => {
                let v = |j: u8| row.v[j as usize];
                (row.g, row.r, row.ent) = (v(x), v(y), v(out))
            }
            Some(Chiplet::Input) => (row.g, row.r) = (a, row.v[0]),
            Some(Chiplet::Hash) => (row.g, row.r, row.ent, row.ar) = (row.clk, row.sp, row.fp, a),
            _ => {}
        }
        if op == Opcode::Branch {
            row.v[1] = b - a;
            row.v[2] = Val::ONE - row.v[0];
        }
        let pc_next = Val::from_u64(regs.0 as u64 + 1);
        match op {
            Opcode::BfAdd8 => {
                let carry =
                    Val::from_bool(row.v[0].as_canonical_u64() + a.as_canonical_u64() >= 256);
                (row.v[2], row.v[3]) = (carry, Val::ONE - carry);
            }
            Opcode::BfJz | Opcode::BfJnz | Opcode::BrZS => {
                row.v[1] = row.v[0].try_inverse().unwrap_or(Val::ZERO);
                row.v[2] = Val::from_bool(row.v[0] != Val::ZERO);
                row.v[3] = if op != Opcode::BfJnz {
                    pc_next - a
                } else {
                    a - pc_next
                };
            }
            Opcode::BfIn => {
                row.v[3] = Val::from_bool(row.v[1] == row.v[0]);
                (row.g, row.r, row.ent) = (row.v[0], row.v[2], row.v[3]);
            }
            Opcode::BfOut => (row.g, row.r) = (row.v[1], row.v[0]),
            Opcode::EqZS => row.v[2] = row.v[0].try_inverse().unwrap_or(Val::ZERO),
            _ => {}
        }
        if op == Opcode::Halt && first_halt {
            row.fh = Val::ONE;
        }
        row.p = row.v[0] * row.v[1];
        row.q = row.v[0] * row.v[2];
        row.s = row.v[2] * row.v[3];
        Some(())
    }
}

impl BaseAir<Val> for CpuAir {
    fn width(&self) -> usize {
        FLAGS + self.ops.len()
    }
    fn num_public_values(&self) -> usize {
        NUM_PUBLIC
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![CLK, PC, FP, SP, ACTIVE]
    }
}

/// A linear form of the opcode table over the columns of a row.
fn lin<E: PrimeCharacteristicRing + Clone, V: Into<E> + Copy>(l: &Lin, c: &CpuCols<V>) -> E {
    let mut e = E::from_i64(l.constant);
    for &(t, k) in l.terms {
        let x: E = match t {
            Term::Pc => c.pc.into(),
            Term::Fp => c.fp.into(),
            Term::Sp => c.sp.into(),
            Term::A => c.a.into(),
            Term::B => c.b.into(),
            Term::Ent => c.ent.into(),
            Term::Ar => c.ar.into(),
            Term::Frm => c.frm.into(),
            Term::V(j) => c.v[j as usize].into(),
            Term::V0V1 => c.p.into(),
            Term::V2V3 => c.s.into(),
        };
        e += x * E::from_i64(k);
    }
    e
}

impl<AB> Air<AB> for CpuAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let l: &CpuCols<AB::Var> = (*local).borrow();
        let nx: &CpuCols<AB::Var> = (*next).borrow();
        let flags = &local[FLAGS..FLAGS + self.ops.len()];
        let x = |v: AB::Var| -> AB::Expr { v.into() };
        // Only opcodes of the set have flags; the others' constraints are left out.
        let f = |op: Opcode| -> AB::Expr {
            let i = self.ops.position(op).expect("opcode of the set");
            flags[i].into()
        };
        // The sum of the flags of those of `ops` in the set, if any is.
        let fs = |ops: &[Opcode]| -> Option<AB::Expr> {
            let mut present = ops.iter().filter(|&&op| self.ops.contains(op)).peekable();
            present.peek()?;
            Some(present.map(|&op| f(op)).sum())
        };
        let k = |v: u64| -> AB::Expr { AB::Expr::from_u64(v) };
        let pv = builder.public_values();
        let (out, cycles): (AB::Expr, AB::Expr) = (pv[0].into(), pv[1].into());

        // Exactly one opcode flag per row.
        let mut sum = AB::Expr::ZERO;
        let mut opcode = AB::Expr::ZERO;
        for op in self.ops.iter() {
            builder.assert_bool(f(op));
            sum += f(op);
            opcode += f(op) * k(op as u64);
        }
        builder.assert_one(sum);
        builder.assert_bool(x(l.active));
        // Degree-2 helpers: the first-HALT flag and two products of slot values.
        builder.assert_eq(x(l.fh), x(l.active) * f(Opcode::Halt));
        builder.assert_eq(x(l.p), x(l.v[0]) * x(l.v[1]));
        builder.assert_eq(x(l.q), x(l.v[0]) * x(l.v[2]));
        builder.assert_eq(x(l.s), x(l.v[2]) * x(l.v[3]));

        // Boot state and row counter.
        {
            let mut b = builder.when_first_row();
            b.assert_zero(x(l.clk));
            b.assert_zero(x(l.pc));
            b.assert_zero(x(l.fp));
            b.assert_zero(x(l.sp));
            b.assert_one(x(l.active));
        }
        builder
            .when_transition()
            .assert_eq(x(nx.clk), x(l.clk) + k(1));
        // `active` falls to 0 right after the first HALT and stays there.
        builder
            .when_transition()
            .assert_eq(x(nx.active), x(l.active) - x(l.fh));
        // The trace ends halted, so the run terminated within the trace.
        builder.when_last_row().assert_one(f(Opcode::Halt));
        // Output and cycle count are read at the first HALT.
        builder.assert_zero(x(l.fh) * (x(l.clk) + k(1) - cycles));
        builder.assert_zero(x(l.fh) * (x(l.v[0]) - out));

        // From the opcode table: slot enables, directions and addresses; the `call`-bus
        // message; the next registers.
        let mut en: [AB::Expr; SLOTS] = core::array::from_fn(|_| AB::Expr::ZERO);
        let mut wr: [AB::Expr; SLOTS] = core::array::from_fn(|_| AB::Expr::ZERO);
        let mut addr_c: [AB::Expr; SLOTS] = core::array::from_fn(|_| AB::Expr::ZERO);
        let mut space: [AB::Expr; SLOTS] = core::array::from_fn(|_| AB::Expr::ZERO);
        let (mut tag, mut call_count) = (AB::Expr::ZERO, AB::Expr::ZERO);
        let (mut next_pc, mut next_fp, mut next_sp) =
            (AB::Expr::ZERO, AB::Expr::ZERO, AB::Expr::ZERO);
        let (mut used, mut sends_call) = ([false; SLOTS], false);
        for spec in OPS.iter().filter(|s| self.ops.contains(s.opcode)) {
            let op = spec.opcode;
            for (j, acc) in spec.slots.iter().enumerate() {
                used[j] = true;
                // The padding HALTs after the first one touch no memory.
                en[j] += if op == Opcode::Halt { x(l.fh) } else { f(op) };
                if acc.write {
                    wr[j] += f(op);
                }
                addr_c[j] += f(op) * (x(l.addr[j]) - lin::<AB::Expr, _>(&acc.addr, l));
                if acc.space != bus::SPACE_STACK {
                    space[j] += f(op) * k(acc.space);
                }
            }
            if let Some(ch) = spec.chiplet {
                sends_call = true;
                tag += f(op) * k(call_tag(ch));
                call_count += f(op);
                match ch {
                    Chiplet::Function(FnUse::ByIndex) => {
                        builder.assert_zero(f(op) * (x(l.g) - x(l.a)))
                    }
                    Chiplet::Function(u) => {
                        builder.assert_zero(f(op) * (x(l.r) - x(l.v[0])));
                        if u == FnUse::ByReprArity {
                            // EVAL k / TAILEVAL k trap unless arity = k.
                            builder.assert_zero(f(op) * (x(l.ar) - x(l.a)));
                        }
                    }
                    // The chiplet proves v[out] = lt(v[x], v[y]).
                    Chiplet::Compare { x: a, y: b, out } => {
                        builder.assert_zero(f(op) * (x(l.g) - x(l.v[a as usize])));
                        builder.assert_zero(f(op) * (x(l.r) - x(l.v[b as usize])));
                        builder.assert_zero(f(op) * (x(l.ent) - x(l.v[out as usize])));
                    }
                    // (i, v0) must be a public input.
                    Chiplet::Input => {
                        builder.assert_zero(f(op) * (x(l.g) - x(l.a)));
                        builder.assert_zero(f(op) * (x(l.r) - x(l.v[0])));
                    }
                    // The hash chiplet does the accesses at 4·clk + sub from (sp, fp, k).
                    Chiplet::Hash => {
                        builder.assert_zero(f(op) * (x(l.g) - x(l.clk)));
                        builder.assert_zero(f(op) * (x(l.r) - x(l.sp)));
                        builder.assert_zero(f(op) * (x(l.ent) - x(l.fp)));
                        builder.assert_zero(f(op) * (x(l.ar) - x(l.a)));
                    }
                    // (position, byte, eof) must be the input table's.
                    Chiplet::BfInput => {
                        builder.assert_zero(f(op) * (x(l.g) - x(l.v[0])));
                        builder.assert_zero(f(op) * (x(l.r) - x(l.v[2])));
                        builder.assert_zero(f(op) * (x(l.ent) - x(l.v[3])));
                    }
                    // (position, cell) must be the output table's.
                    Chiplet::BfOutput => {
                        builder.assert_zero(f(op) * (x(l.g) - x(l.v[1])));
                        builder.assert_zero(f(op) * (x(l.r) - x(l.v[0])));
                    }
                }
            }
            next_pc += f(op) * lin::<AB::Expr, _>(&spec.next_pc, l);
            next_fp += f(op) * lin::<AB::Expr, _>(&spec.next_fp, l);
            next_sp += f(op) * lin::<AB::Expr, _>(&spec.next_sp, l);
        }
        for a in addr_c {
            builder.assert_zero(a);
        }
        // A slot no opcode of the set uses sends nothing (and costs no LogUp column).
        for j in (0..SLOTS).filter(|&j| used[j]) {
            let ts = x(l.clk) * k(SLOTS as u64) + k(j as u64);
            builder.push_interaction(
                bus::MEMORY,
                [space[j].clone(), ts, x(l.addr[j]), x(l.v[j]), wr[j].clone()],
                Count::bounded(en[j].clone(), 1),
            );
        }

        // Value constraints (the opcode table cannot express these), each on the rows of the
        // opcodes of the set it names.
        let v = |j: usize| x(l.v[j]);
        let mut on = |ops: &[Opcode], e: AB::Expr| {
            if let Some(sel) = fs(ops) {
                builder.assert_zero(sel * e);
            }
        };
        // Fused instructions share the value layout of what they fuse: the slot–slot ops
        // BINARY's (v2 = v0 ∘ v1), the slot–immediate ops v1 = v0 ∘ v2 with the constant in
        // v2, LOAD2/STORE2/STAILCALL/MOVS a copy per read/write pair; INCS is ADDSI writing
        // its result back to its slot.
        use Opcode::*;
        on(&[Push], v(0) - x(l.a));
        on(&[Load, Store, Load2, Store2, STailCall, MovS], v(1) - v(0));
        on(&[Load2, Store2], v(3) - v(2));
        on(&[Neg], v(1) + v(0));
        on(&[Add, AddSS], v(2) - v(0) - v(1));
        on(&[Sub, SubSS], v(2) - v(0) + v(1));
        on(&[Mul, MulSS], v(2) - x(l.p));
        let slot_imm: Vec<Opcode> = OPS
            .iter()
            .filter(|s| s.constant_in_v2())
            .map(|s| s.opcode)
            .collect();
        on(&slot_imm, v(2) - x(l.b));
        on(&[AddSI, IncS], v(1) - v(0) - v(2));
        on(&[SubSI], v(1) - v(0) + v(2));
        on(&[RSubSI], v(1) - v(2) + v(0));
        on(&[MulSI], v(1) - x(l.q));
        // BRANCH reads only slot 0; slots 1 and 2 carry `b − a` and `1 − v0`, so that
        // `P = v0·(b − a)` gives the next pc and `Q = v0·(1 − v0) = 0` makes v0 boolean.
        on(&[Branch], v(1) - x(l.b) + x(l.a));
        on(&[Branch], v(2) + v(0) - k(1));
        on(&[Branch], x(l.q));
        on(&[Call], v(0) - x(l.pc) - k(1));
        on(&[Call], v(1) - x(l.fp));
        on(&[Eval], v(1) - x(l.pc) - k(1));
        on(&[Eval], v(2) - x(l.fp));
        on(&[Ret], v(3) - v(0));
        // EQZS: v1 = [v0 = 0] with v2 the inverse hint. `p = v0·v1 = 0` forces v1 = 0 when
        // v0 ≠ 0, and then `v1 = 1 − v0·v2` forces v2 = 1/v0; when v0 = 0 it gives v1 = 1.
        on(&[EqZS], v(1) + x(l.q) - k(1));
        on(&[EqZS], x(l.p));
        // REPR f pushes the tuple's repr.
        on(&[Repr], x(l.r) - v(0));
        // SECRET i writes a witness value: deliberately unconstrained.

        // Brainfuck (`docs/brainfuck.md`). BFADD8: `v1 = v0 + c − 256·v2` with the carry v2
        // boolean (`v3 = 1 − v2`, `s = v2·v3 = 0`) and v1 a byte: v0 is a byte (cells of a u8
        // image are only written by BFADD8 and BFIN), so v1 = (v0 + c) mod 256.
        on(&[BfAdd], v(1) - v(0) - x(l.a));
        on(&[BfAdd8], v(1) - v(0) - x(l.a) + k(256) * v(2));
        on(&[BfAdd8], v(3) + v(2) - k(1));
        on(&[BfAdd8], x(l.s));
        // BFJZ / BFJNZ / BRZS: v2 = [v0 ≠ 0] from `v2 = v0·v1` and `v0·(1 − v2) = 0` (v1 the
        // inverse); v3 is the jump distance so that `s = v2·v3` completes the next pc. BRZS
        // is BFJZ on a frame slot (its v0 read from m[fp+k]).
        on(&[BfJz, BfJnz, BrZS], v(2) - x(l.p));
        on(&[BfJz, BfJnz, BrZS], v(0) - x(l.q));
        on(&[BfJz, BrZS], v(3) - x(l.pc) - k(1) + x(l.a));
        on(&[BfJnz], v(3) - x(l.a) + x(l.pc) + k(1));
        // BFIN: the position advances unless at the end (v3 = eof, fixed by the lookup).
        on(&[BfIn], v(1) - v(0) - k(1) + v(3));
        // BFOUT: the position advances.
        on(&[BfOut], v(2) - v(1) - k(1));
        if let Some(sel) = fs(&[BfAdd8]) {
            builder.push_interaction(bus::RANGE, [v(1)], Count::bounded(sel, 1));
        }

        // One `call` message per row at most (see `bus::CALL`), if the set has an opcode
        // that sends one.
        if sends_call {
            builder.push_interaction(
                bus::CALL,
                [tag, x(l.g), x(l.r), x(l.ent), x(l.ar), x(l.frm)],
                Count::bounded(call_count, 1),
            );
        }
        // Instruction fetch, every row (padding rows fetch their HALT too).
        builder.push_interaction(bus::PROGRAM, [x(l.pc), opcode, x(l.a), x(l.b)], 1);

        let mut t = builder.when_transition();
        t.assert_eq(x(nx.pc), next_pc);
        t.assert_eq(x(nx.fp), next_fp);
        t.assert_eq(x(nx.sp), next_sp);
    }
}
