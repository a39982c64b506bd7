//! The declarative opcode table: one [`OpSpec`] per opcode, indexed by opcode number.
//!
//! Everything that decides what an instruction does to the machine state and how the STARK
//! sees it lives in one entry: its immediates, its memory accesses (direction, address form
//! and time-stamp sub-slot, in the interpreter's order), its stack effect, the next `pc`,
//! `fp` and `sp` as linear forms, its use of the function table and the chiplet message it
//! sends. The stack interpreter (`resvm-exec`), the CPU AIR and trace generation
//! (`resvm-prover`) and the opcode table of `docs/isa.md` are derived from or tested
//! against [`OPS`]; adding an opcode is one entry here (plus its value constraints in the
//! CPU AIR, if it has any, and its arm in the interpreter).

use crate::instr::Opcode;

/// A quantity a linear form can refer to: a register before the instruction, an immediate,
/// a field of the function-table tuple the instruction looked up, a memory slot value or the
/// product of the first two slot values (the CPU keeps it in a column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    /// `pc` before the instruction.
    Pc,
    /// `fp` before the instruction.
    Fp,
    /// `sp` before the instruction.
    Sp,
    /// First immediate.
    A,
    /// Second immediate.
    B,
    /// Entry pc of the looked-up function.
    Ent,
    /// Arity of the looked-up function.
    Ar,
    /// Frame size of the looked-up function.
    Frm,
    /// Value of CPU memory slot `j` (0..4).
    V(u8),
    /// `v0 · v1`.
    V0V1,
    /// `v2 · v3`.
    V2V3,
}

/// `Σ coeff · term + constant`: how an address or a next register is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lin {
    /// The terms with their integer coefficients.
    pub terms: &'static [(Term, i64)],
    /// The constant.
    pub constant: i64,
}

impl Lin {
    /// `sp + c`.
    pub const fn sp(c: i64) -> Lin {
        Lin {
            terms: &[(Term::Sp, 1)],
            constant: c,
        }
    }
    /// `fp + c`.
    pub const fn fp(c: i64) -> Lin {
        Lin {
            terms: &[(Term::Fp, 1)],
            constant: c,
        }
    }
    /// `pc + c`.
    pub const fn pc(c: i64) -> Lin {
        Lin {
            terms: &[(Term::Pc, 1)],
            constant: c,
        }
    }
    /// `fp + a + c` (frame slot `a`, shifted).
    pub const fn fp_a(c: i64) -> Lin {
        Lin {
            terms: &[(Term::Fp, 1), (Term::A, 1)],
            constant: c,
        }
    }
    /// `fp + b + c` (frame slot `b`, shifted).
    pub const fn fp_b(c: i64) -> Lin {
        Lin {
            terms: &[(Term::Fp, 1), (Term::B, 1)],
            constant: c,
        }
    }
    /// A single term.
    pub const fn term(t: Term) -> Lin {
        Lin {
            terms: match t {
                Term::Pc => &[(Term::Pc, 1)],
                Term::Fp => &[(Term::Fp, 1)],
                Term::Sp => &[(Term::Sp, 1)],
                Term::A => &[(Term::A, 1)],
                Term::B => &[(Term::B, 1)],
                Term::Ent => &[(Term::Ent, 1)],
                Term::Ar => &[(Term::Ar, 1)],
                Term::Frm => &[(Term::Frm, 1)],
                Term::V(0) => &[(Term::V(0), 1)],
                Term::V(1) => &[(Term::V(1), 1)],
                Term::V(2) => &[(Term::V(2), 1)],
                Term::V(_) => &[(Term::V(3), 1)],
                Term::V0V1 => &[(Term::V0V1, 1)],
                Term::V2V3 => &[(Term::V2V3, 1)],
            },
            constant: 0,
        }
    }

    /// Evaluates the form over the integers; `None` if a term is missing from `env` (which
    /// returns `None` for terms it does not know) or the result leaves `u32`.
    pub fn eval_u32(&self, env: impl Fn(Term) -> Option<i64>) -> Option<u32> {
        let mut acc = self.constant;
        for &(t, c) in self.terms {
            acc = acc.checked_add(c.checked_mul(env(t)?)?)?;
        }
        u32::try_from(acc).ok()
    }

    /// Renders the form as `sp-1`, `fp+a+4`, `ent`, ...
    pub fn render(&self) -> String {
        let mut s = String::new();
        for (i, &(t, c)) in self.terms.iter().enumerate() {
            let name = match t {
                Term::Pc => "pc".to_string(),
                Term::Fp => "fp".to_string(),
                Term::Sp => "sp".to_string(),
                Term::A => "a".to_string(),
                Term::B => "b".to_string(),
                Term::Ent => "ent".to_string(),
                Term::Ar => "ar".to_string(),
                Term::Frm => "frm".to_string(),
                Term::V(j) => format!("v{j}"),
                Term::V0V1 => "v0·v1".to_string(),
                Term::V2V3 => "v2·v3".to_string(),
            };
            match (i, c) {
                (0, 1) => {}
                (0, -1) => s.push('−'),
                (_, 1) => s.push('+'),
                (_, -1) => s.push('−'),
                (_, c) if c < 0 => s.push_str(&format!("−{}·", -c)),
                (_, c) => s.push_str(&format!("{}{c}·", if i > 0 { "+" } else { "" })),
            }
            s.push_str(&name);
        }
        match self.constant {
            0 if !self.terms.is_empty() => {}
            c if c < 0 => s.push_str(&format!("−{}", -c)),
            c if self.terms.is_empty() => s.push_str(&c.to_string()),
            c => s.push_str(&format!("+{c}")),
        }
        s
    }
}

/// Address space of the stack/frame memory (every resvm program's only one).
pub const SPACE_STACK: u64 = 0;
/// Address space of the Brainfuck cells (address = the data pointer, kept in `fp`).
pub const SPACE_BF_CELLS: u64 = 1;
/// Address space holding the Brainfuck input position (one cell, address 0).
pub const SPACE_BF_INPUT: u64 = 2;
/// Address space holding the Brainfuck output position (one cell, address 0).
pub const SPACE_BF_OUTPUT: u64 = 3;
/// Largest `|k|` of `BFMOVE k`: with at most 2^22 proven cycles the data pointer stays below
/// 2^31, so it never leaves `u32` in a run that can be proven (longer `<`/`>` runs are split).
pub const BF_MAX_MOVE: u32 = 512;

/// One memory access of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// The address space ([`SPACE_STACK`] unless a Brainfuck instruction's).
    pub space: u64,
    /// A write (else a read).
    pub write: bool,
    /// The address.
    pub addr: Lin,
    /// Time-stamp sub-slot: the access happens at `ts = 4·clk + sub`. CPU slot `j` has
    /// `sub = j`; chiplet accesses share sub-slots (distinct addresses within a sub-slot).
    pub sub: u8,
}

const fn r(addr: Lin, sub: u8) -> Access {
    Access {
        space: SPACE_STACK,
        write: false,
        addr,
        sub,
    }
}
const fn w(addr: Lin, sub: u8) -> Access {
    Access {
        space: SPACE_STACK,
        write: true,
        addr,
        sub,
    }
}
/// A read in another address space.
const fn rs(space: u64, addr: Lin, sub: u8) -> Access {
    Access {
        space,
        write: false,
        addr,
        sub,
    }
}
/// A write in another address space.
const fn ws(space: u64, addr: Lin, sub: u8) -> Access {
    Access {
        space,
        write: true,
        addr,
        sub,
    }
}
/// Address 0 (the I/O position cells).
const ZERO: Lin = Lin {
    terms: &[],
    constant: 0,
};

/// What an immediate holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imm {
    /// Unused (must be zero).
    None,
    /// Any field element.
    Field,
    /// A frame slot (`u32`).
    Slot,
    /// A code address (`u32`, must be inside the program).
    Pc,
    /// A function-table index (`u32`, must exist).
    Function,
    /// An argument count (`u32`).
    Count,
    /// A parameter index of `main` (`u32`).
    Input,
    /// A byte (`0..256`).
    Byte,
    /// A signed data-pointer move `k`, `|k| <=` [`BF_MAX_MOVE`], encoded as the field
    /// element `k` (so `p − |k|` when negative).
    Delta,
}

/// How an instruction uses the function table (the tuple `(g, repr, entry, arity, frame)`
/// looked up on the `call` bus).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FnUse {
    /// The function is named by the immediate `a` (`g = a`).
    ByIndex,
    /// The function is the one whose repr is slot value `v0`.
    ByRepr,
    /// As [`FnUse::ByRepr`], and its arity must equal the immediate `a`.
    ByReprArity,
}

/// The chiplet message an instruction sends on the CPU's `call` bus, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chiplet {
    /// A function-table lookup.
    Function(FnUse),
    /// The compare chiplet proves `v[out] = lt(v[x], v[y])` (value columns `x`, `y`, `out`:
    /// `COMPARE` and `LTSS` use 0, 1, 2; the slot–immediate forms keep the constant in v2).
    Compare {
        /// Value column of the left operand.
        x: u8,
        /// Value column of the right operand.
        y: u8,
        /// Value column of the result.
        out: u8,
    },
    /// The public-input table provides `(a, v0)`.
    Input,
    /// The hash chiplet performs the instruction's memory accesses ([`OpSpec::chiplet_accesses`])
    /// and the permutation; the CPU sends `(clk, sp, fp, a)`.
    Hash,
    /// The Brainfuck input table provides `(position, byte, eof)`: `(v0, v2, v3)`.
    BfInput,
    /// The Brainfuck output table receives `(position, cell)`: `(v1, v0)`.
    BfOutput,
}

/// Everything about one opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpSpec {
    /// The opcode (also its index in [`OPS`]).
    pub opcode: Opcode,
    /// Assembly mnemonic.
    pub mnemonic: &'static str,
    /// What the immediates `a` and `b` hold.
    pub imm: [Imm; 2],
    /// Immediates as the documentation names them.
    pub imm_doc: &'static str,
    /// Stack effect and semantics (documentation, `before -> after`, top on the right).
    pub effect: &'static str,
    /// Traps (documentation).
    pub traps: &'static str,
    /// Memory accesses performed in the CPU's four slots, in order (slot `j` = sub-slot `j`).
    pub slots: &'static [Access],
    /// Memory accesses performed by the instruction's chiplet, in the interpreter's order
    /// (after the CPU slots).
    pub chiplet_accesses: &'static [Access],
    /// `pc` after the instruction.
    pub next_pc: Lin,
    /// `fp` after the instruction.
    pub next_fp: Lin,
    /// `sp` after the instruction.
    pub next_sp: Lin,
    /// The chiplet message on the `call` bus, if any.
    pub chiplet: Option<Chiplet>,
}

impl OpSpec {
    /// Whether this is a slot–immediate op (`ADDSI a c`, ...): immediates a slot and a field
    /// constant. The CPU row keeps the constant `b` in the value column v2 (not a memory
    /// slot), so products and compare messages with it stay degree 2.
    pub fn constant_in_v2(&self) -> bool {
        self.imm == SI
    }

    /// Every memory access in the interpreter's order: CPU slots, then chiplet accesses.
    pub fn accesses(&self) -> impl Iterator<Item = &'static Access> {
        self.slots.iter().chain(self.chiplet_accesses.iter())
    }

    /// The function-table use, if any.
    pub fn fn_use(&self) -> Option<FnUse> {
        match self.chiplet {
            Some(Chiplet::Function(u)) => Some(u),
            _ => None,
        }
    }
}

const NEXT: Lin = Lin::pc(1);
const SAME_FP: Lin = Lin::fp(0);
const ENT: Lin = Lin::term(Term::Ent);
const NONE2: [Imm; 2] = [Imm::None, Imm::None];
/// `sp − ar + k` (CALL: the callee frame starts `arity` cells below `sp`).
const fn call_sp(k: i64) -> Lin {
    Lin {
        terms: &[(Term::Sp, 1), (Term::Ar, -1)],
        constant: k,
    }
}
/// `sp − 1 − ar + k` (EVAL: as CALL below the popped callee value).
const fn eval_sp(k: i64) -> Lin {
    Lin {
        terms: &[(Term::Sp, 1), (Term::Ar, -1)],
        constant: k - 1,
    }
}

macro_rules! op {
    ($op:ident, $m:literal, $imm:expr, $doc:literal, $eff:literal, $traps:literal,
     slots: $slots:expr, pc: $pc:expr, fp: $fp:expr, sp: $sp:expr, chiplet: $ch:expr
     $(, chiplet_accesses: $ca:expr)?) => {
        OpSpec {
            opcode: Opcode::$op,
            mnemonic: $m,
            imm: $imm,
            imm_doc: $doc,
            effect: $eff,
            traps: $traps,
            slots: &$slots,
            chiplet_accesses: op!(@ca $($ca)?),
            next_pc: $pc,
            next_fp: $fp,
            next_sp: $sp,
            chiplet: $ch,
        }
    };
    (@ca) => { &[] };
    (@ca $ca:expr) => { &$ca };
}

/// The compare message of `COMPARE` and `LTSS`: `v2 = lt(v0, v1)`.
const CMP_012: Chiplet = Chiplet::Compare { x: 0, y: 1, out: 2 };
/// Slot–slot binary ops: `m[fp+a] ∘ m[fp+b]` pushed, in BINARY's value layout.
const SLOT_SLOT: [Access; 3] = [r(Lin::fp_a(0), 0), r(Lin::fp_b(0), 1), w(Lin::sp(0), 2)];
/// Slot–immediate ops: `m[fp+a]` in v0, the result pushed from v1; v2 holds the constant `b`
/// (no memory access), so `q = v0·v2` is the product.
const SLOT_IMM: [Access; 2] = [r(Lin::fp_a(0), 0), w(Lin::sp(0), 1)];
const SS: [Imm; 2] = [Imm::Slot, Imm::Slot];
const SI: [Imm; 2] = [Imm::Slot, Imm::Field];

const BINARY: [Access; 3] = [r(Lin::sp(-2), 0), r(Lin::sp(-1), 1), w(Lin::sp(-2), 2)];

/// The memory accesses of `HASH k`: the digest `d` on top of the stack, the sibling `s` and
/// the direction bit in frame slots `k..k+5`, the result written over `d`.
pub const HASH_ACCESSES: [Access; 13] = [
    r(Lin::sp(-4), 0),
    r(Lin::sp(-3), 0),
    r(Lin::sp(-2), 0),
    r(Lin::sp(-1), 0),
    r(Lin::fp_a(0), 1),
    r(Lin::fp_a(1), 1),
    r(Lin::fp_a(2), 1),
    r(Lin::fp_a(3), 1),
    r(Lin::fp_a(4), 1),
    w(Lin::sp(-4), 2),
    w(Lin::sp(-3), 2),
    w(Lin::sp(-2), 2),
    w(Lin::sp(-1), 2),
];

const CELL: Lin = Lin::fp(0);

/// The opcode table, indexed by opcode number.
pub const OPS: [OpSpec; 47] = [
    op!(Halt, "HALT", NONE2, "", "stop; `b = m[sp-1]`", "",
        slots: [r(Lin::sp(-1), 0)], pc: Lin::pc(0), fp: SAME_FP, sp: Lin::sp(0), chiplet: None),
    op!(Push, "PUSH", [Imm::Field, Imm::None], "c ∈ F", "`-> c`", "",
        slots: [w(Lin::sp(0), 0)], pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    op!(Pop, "POP", NONE2, "", "`x ->`", "",
        slots: [], pc: NEXT, fp: SAME_FP, sp: Lin::sp(-1), chiplet: None),
    op!(Load, "LOAD", [Imm::Slot, Imm::None], "slot k", "`-> m[fp+k]`", "",
        slots: [r(Lin::fp_a(0), 0), w(Lin::sp(0), 1)], pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    op!(Store, "STORE", [Imm::Slot, Imm::None], "slot k", "`x ->`, `m[fp+k] = x`", "",
        slots: [r(Lin::sp(-1), 0), w(Lin::fp_a(0), 1)], pc: NEXT, fp: SAME_FP, sp: Lin::sp(-1), chiplet: None),
    op!(Neg, "NEG", NONE2, "", "`x -> -x`", "",
        slots: [r(Lin::sp(-1), 0), w(Lin::sp(-1), 1)], pc: NEXT, fp: SAME_FP, sp: Lin::sp(0), chiplet: None),
    op!(Add, "ADD", NONE2, "", "`a b -> a+b`", "",
        slots: BINARY, pc: NEXT, fp: SAME_FP, sp: Lin::sp(-1), chiplet: None),
    op!(Sub, "SUB", NONE2, "", "`a b -> a-b`", "",
        slots: BINARY, pc: NEXT, fp: SAME_FP, sp: Lin::sp(-1), chiplet: None),
    op!(Mul, "MUL", NONE2, "", "`a b -> a*b`", "",
        slots: BINARY, pc: NEXT, fp: SAME_FP, sp: Lin::sp(-1), chiplet: None),
    op!(Compare, "COMPARE", NONE2, "", "`a b -> lt(a,b)` (0 if a < b canonically, else 1)", "",
        slots: BINARY, pc: NEXT, fp: SAME_FP, sp: Lin::sp(-1), chiplet: Some(CMP_012)),
    op!(Branch, "BRANCH", [Imm::Pc, Imm::Pc], "t0 t1", "`c ->`; `pc = t0` if c = 0, `t1` if c = 1", "c ∉ {0,1}",
        slots: [r(Lin::sp(-1), 0)],
        pc: Lin { terms: &[(Term::A, 1), (Term::V0V1, 1)], constant: 0 },
        fp: SAME_FP, sp: Lin::sp(-1), chiplet: None),
    op!(Jump, "JUMP", [Imm::Pc, Imm::None], "t", "`pc = t`", "",
        slots: [], pc: Lin::term(Term::A), fp: SAME_FP, sp: Lin::sp(0), chiplet: None),
    op!(Frame, "FRAME", NONE2, "", "`sp += 2` (linkage cells of the next call)", "",
        slots: [], pc: NEXT, fp: SAME_FP, sp: Lin::sp(2), chiplet: None),
    op!(Call, "CALL", [Imm::Function, Imm::None], "function f",
        "`fp' = sp - arity(f)`; `m[fp'-2] = pc+1`; `m[fp'-1] = fp`; `fp = fp'`; `sp = fp' + frame(f)`; `pc = entry(f)`",
        "depth limit",
        slots: [w(call_sp(-2), 0), w(call_sp(-1), 1)], pc: ENT, fp: call_sp(0),
        sp: Lin { terms: &[(Term::Sp, 1), (Term::Ar, -1), (Term::Frm, 1)], constant: 0 },
        chiplet: Some(Chiplet::Function(FnUse::ByIndex))),
    op!(TailCall, "TAILCALL", [Imm::Function, Imm::None], "function f",
        "arguments already in `m[fp..fp+arity(f)]`; `sp = fp + frame(f)`; `pc = entry(f)`", "",
        slots: [], pc: ENT, fp: SAME_FP,
        sp: Lin { terms: &[(Term::Fp, 1), (Term::Frm, 1)], constant: 0 },
        chiplet: Some(Chiplet::Function(FnUse::ByIndex))),
    op!(Ret, "RET", NONE2, "",
        "`v = m[sp-1]`; `pc = m[fp-2]`; `m[fp-2] = v`; `sp = fp-1`; `fp = m[fp-1]`", "",
        slots: [r(Lin::sp(-1), 0), r(Lin::fp(-2), 1), r(Lin::fp(-1), 2), w(Lin::fp(-2), 3)],
        pc: Lin::term(Term::V(1)), fp: Lin::term(Term::V(2)), sp: Lin::fp(-1), chiplet: None),
    op!(Repr, "REPR", [Imm::Function, Imm::None], "function f", "`-> repr(f)`", "",
        slots: [w(Lin::sp(0), 0)], pc: NEXT, fp: SAME_FP, sp: Lin::sp(1),
        chiplet: Some(Chiplet::Function(FnUse::ByIndex))),
    op!(Reflect, "REFLECT", NONE2, "", "`x -> x`, checking that `x = repr(f)` for some f", "no such f",
        slots: [r(Lin::sp(-1), 0)], pc: NEXT, fp: SAME_FP, sp: Lin::sp(0),
        chiplet: Some(Chiplet::Function(FnUse::ByRepr))),
    op!(Eval, "EVAL", [Imm::Count, Imm::None], "arg count k",
        "`a1..ak g ->` call the function `f` with `repr(f) = g`, like `CALL f`",
        "no such f, `arity(f) ≠ k`",
        slots: [r(Lin::sp(-1), 0), w(eval_sp(-2), 1), w(eval_sp(-1), 2)], pc: ENT, fp: eval_sp(0),
        sp: Lin { terms: &[(Term::Sp, 1), (Term::Ar, -1), (Term::Frm, 1)], constant: -1 },
        chiplet: Some(Chiplet::Function(FnUse::ByReprArity))),
    op!(TailEval, "TAILEVAL", [Imm::Count, Imm::None], "arg count k",
        "`g ->`; arguments already in slots `0..k`; then as `TAILCALL f` for the `f` with `repr(f) = g`",
        "no such f, `arity(f) ≠ k`",
        slots: [r(Lin::sp(-1), 0)], pc: ENT, fp: SAME_FP,
        sp: Lin { terms: &[(Term::Fp, 1), (Term::Frm, 1)], constant: 0 },
        chiplet: Some(Chiplet::Function(FnUse::ByReprArity))),
    op!(Input, "INPUT", [Imm::Input, Imm::None], "index i", "`-> x_i` (public input i)", "",
        slots: [w(Lin::sp(0), 0)], pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: Some(Chiplet::Input)),
    op!(Secret, "SECRET", [Imm::Input, Imm::None], "index i", "`-> w_i` (witness input i)", "",
        slots: [w(Lin::sp(0), 0)], pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    op!(Hash, "HASH", [Imm::Slot, Imm::None], "slot k",
        "`d0 d1 d2 d3 -> h0 h1 h2 h3` with `s = m[fp+k..fp+k+4]`, `e = m[fp+k+4]`: `h = merge(d, s)` if e = 0, `merge(s, d)` if e = 1 (one Merkle level)",
        "e ∉ {0,1}",
        slots: [], pc: NEXT, fp: SAME_FP, sp: Lin::sp(0), chiplet: Some(Chiplet::Hash),
        chiplet_accesses: HASH_ACCESSES),
    // Brainfuck images (`docs/brainfuck.md`): `fp` is the data pointer, the cells are address
    // space 1, the input and output positions one cell each in spaces 2 and 3.
    op!(BfAdd, "BFADD", [Imm::Field, Imm::None], "c ∈ F", "`cell += c` (field)", "",
        slots: [rs(SPACE_BF_CELLS, CELL, 0), ws(SPACE_BF_CELLS, CELL, 1)],
        pc: NEXT, fp: SAME_FP, sp: Lin::sp(0), chiplet: None),
    op!(BfAdd8, "BFADD8", [Imm::Byte, Imm::None], "byte c",
        "`cell = (cell + c) mod 256`; v2 is the carry, `v3 = 1 − v2`", "",
        slots: [rs(SPACE_BF_CELLS, CELL, 0), ws(SPACE_BF_CELLS, CELL, 1)],
        pc: NEXT, fp: SAME_FP, sp: Lin::sp(0), chiplet: None),
    op!(BfMove, "BFMOVE", [Imm::Delta, Imm::None], "delta k",
        "`dp += k` (`fp` is the data pointer); reads the cells at both ends", "dp < 0",
        slots: [rs(SPACE_BF_CELLS, CELL, 0), rs(SPACE_BF_CELLS, Lin::fp_a(0), 1)],
        pc: NEXT, fp: Lin::fp_a(0), sp: Lin::sp(0), chiplet: None),
    op!(BfJz, "BFJZ", [Imm::Pc, Imm::None], "t",
        "`[`: `pc = t` if cell = 0, else `pc + 1`; v1 = 1/cell, v2 = [cell ≠ 0], `v3 = pc + 1 − t`", "",
        slots: [rs(SPACE_BF_CELLS, CELL, 0)],
        pc: Lin { terms: &[(Term::A, 1), (Term::V2V3, 1)], constant: 0 },
        fp: SAME_FP, sp: Lin::sp(0), chiplet: None),
    op!(BfJnz, "BFJNZ", [Imm::Pc, Imm::None], "t",
        "`]`: `pc = t` if cell ≠ 0, else `pc + 1`; v1, v2 as BFJZ, `v3 = t − pc − 1`", "",
        slots: [rs(SPACE_BF_CELLS, CELL, 0)],
        pc: Lin { terms: &[(Term::Pc, 1), (Term::V2V3, 1)], constant: 1 },
        fp: SAME_FP, sp: Lin::sp(0), chiplet: None),
    op!(BfIn, "BFIN", NONE2, "",
        "`,`: `cell = input[i]` for the input position i, which advances; 0 at end of input (v3 = 1), where i stays", "",
        slots: [rs(SPACE_BF_INPUT, ZERO, 0), ws(SPACE_BF_INPUT, ZERO, 1), ws(SPACE_BF_CELLS, CELL, 2)],
        pc: NEXT, fp: SAME_FP, sp: Lin::sp(0), chiplet: Some(Chiplet::BfInput)),
    op!(BfOut, "BFOUT", NONE2, "",
        "`.`: `output[j] = cell mod 256` for the output position j, which advances", "",
        slots: [rs(SPACE_BF_CELLS, CELL, 0), rs(SPACE_BF_OUTPUT, ZERO, 1), ws(SPACE_BF_OUTPUT, ZERO, 2)],
        pc: NEXT, fp: SAME_FP, sp: Lin::sp(0), chiplet: Some(Chiplet::BfOutput)),
    // Fused instructions (`crate::fuse`): each is a common sequence of the ones above, with
    // the same accesses in the same order.
    op!(AddSS, "ADDSS", SS, "a b", "`-> m[fp+a]+m[fp+b]`", "",
        slots: SLOT_SLOT, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    op!(SubSS, "SUBSS", SS, "a b", "`-> m[fp+a]-m[fp+b]`", "",
        slots: SLOT_SLOT, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    op!(MulSS, "MULSS", SS, "a b", "`-> m[fp+a]*m[fp+b]`", "",
        slots: SLOT_SLOT, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    op!(LtSS, "LTSS", SS, "a b", "`-> lt(m[fp+a],m[fp+b])`", "",
        slots: SLOT_SLOT, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: Some(CMP_012)),
    op!(AddSI, "ADDSI", SI, "a c", "`-> m[fp+a]+c`", "",
        slots: SLOT_IMM, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    op!(SubSI, "SUBSI", SI, "a c", "`-> m[fp+a]-c`", "",
        slots: SLOT_IMM, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    op!(MulSI, "MULSI", SI, "a c", "`-> m[fp+a]*c`", "",
        slots: SLOT_IMM, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    op!(LtSI, "LTSI", SI, "a c", "`-> lt(m[fp+a],c)`", "",
        slots: SLOT_IMM, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1),
        chiplet: Some(Chiplet::Compare { x: 0, y: 2, out: 1 })),
    op!(RSubSI, "RSUBSI", SI, "a c", "`-> c-m[fp+a]`", "",
        slots: SLOT_IMM, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    op!(RLtSI, "RLTSI", SI, "a c", "`-> lt(c,m[fp+a])`", "",
        slots: SLOT_IMM, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1),
        chiplet: Some(Chiplet::Compare { x: 2, y: 0, out: 1 })),
    op!(Load2, "LOAD2", SS, "a b", "`-> m[fp+a] m[fp+b]`", "",
        slots: [r(Lin::fp_a(0), 0), w(Lin::sp(0), 1), r(Lin::fp_b(0), 2), w(Lin::sp(1), 3)],
        pc: NEXT, fp: SAME_FP, sp: Lin::sp(2), chiplet: None),
    op!(Store2, "STORE2", SS, "a b", "`x y ->`, `m[fp+a] = y`, then `m[fp+b] = x`", "",
        slots: [r(Lin::sp(-1), 0), w(Lin::fp_a(0), 1), r(Lin::sp(-2), 2), w(Lin::fp_b(0), 3)],
        pc: NEXT, fp: SAME_FP, sp: Lin::sp(-2), chiplet: None),
    op!(STailCall, "STAILCALL", [Imm::Function, Imm::Slot], "f k",
        "`x ->`, `m[fp+k] = x`, then as `TAILCALL f`", "",
        slots: [r(Lin::sp(-1), 0), w(Lin::fp_b(0), 1)], pc: ENT, fp: SAME_FP,
        sp: Lin { terms: &[(Term::Fp, 1), (Term::Frm, 1)], constant: 0 },
        chiplet: Some(Chiplet::Function(FnUse::ByIndex))),
    op!(EqZS, "EQZS", [Imm::Slot, Imm::None], "slot a",
        "`-> [m[fp+a] = 0]`, i.e. `lt(0,m[fp+a])`, without the compare chiplet; v2 = 1/m[fp+a] (0 for 0)", "",
        slots: SLOT_IMM, pc: NEXT, fp: SAME_FP, sp: Lin::sp(1), chiplet: None),
    // BFJZ's zero test and next pc on a frame slot: `v2 = [m[fp+k] ≠ 0]` from the inverse
    // v1, `v3 = pc + 1 − t`, so `pc' = t + v2·v3`.
    op!(BrZS, "BRZS", [Imm::Pc, Imm::Slot], "t k",
        "`pc = t` if m[fp+k] = 0, else `pc + 1` (`EQZS k; BRANCH pc+1 t`); v1 = 1/m[fp+k], v2 = [m[fp+k] ≠ 0], `v3 = pc + 1 − t`", "",
        slots: [r(Lin::fp_b(0), 0)],
        pc: Lin { terms: &[(Term::A, 1), (Term::V2V3, 1)], constant: 0 },
        fp: SAME_FP, sp: Lin::sp(0), chiplet: None),
    // A tail call's argument moves without the stack (`docs/isa.md`, "Tail-call arguments"):
    // a copy from slot to slot, and a slot stepped by a constant in place (v2 = c).
    op!(MovS, "MOVS", SS, "a b", "`m[fp+a] = m[fp+b]`", "",
        slots: [r(Lin::fp_b(0), 0), w(Lin::fp_a(0), 1)], pc: NEXT, fp: SAME_FP, sp: Lin::sp(0), chiplet: None),
    op!(IncS, "INCS", SI, "a c", "`m[fp+a] = m[fp+a]+c`", "",
        slots: [r(Lin::fp_a(0), 0), w(Lin::fp_a(0), 1)], pc: NEXT, fp: SAME_FP, sp: Lin::sp(0), chiplet: None),
];

/// Number of opcodes.
pub const NUM_OPS: usize = OPS.len();

/// The spec of `op`.
pub const fn spec(op: Opcode) -> &'static OpSpec {
    &OPS[op as usize]
}

/// The constant `c` when `next_sp` is `sp + c` (the stack effect of most instructions).
pub const fn sp_delta(op: Opcode) -> Option<i64> {
    let l = spec(op).next_sp;
    match l.terms {
        [(Term::Sp, 1)] => Some(l.constant),
        _ => None,
    }
}

/// The opcode table of `docs/isa.md` (`| op | mnemonic | immediates | effect | traps |`),
/// generated from [`OPS`].
pub fn markdown_table() -> String {
    let mut s =
        String::from("| op | mnemonic | immediates | effect | traps |\n|---|---|---|---|---|\n");
    for o in &OPS {
        let m = match o.imm_doc.split_whitespace().last() {
            Some(arg) if !o.imm_doc.is_empty() && o.imm[1] == Imm::None => {
                let name = if arg == "F" { "c" } else { arg };
                format!("`{} {name}`", o.mnemonic)
            }
            Some(_) => format!("`{} {}`", o.mnemonic, o.imm_doc),
            None => format!("`{}`", o.mnemonic),
        };
        s.push_str(&format!(
            "| {} | {m} | {} | {} | {} |\n",
            o.opcode as u8, o.imm_doc, o.effect, o.traps
        ));
    }
    s
}

/// The memory-slot table of `docs/air.md` (`| op | accesses |`), generated from [`OPS`]:
/// every access as `R`/`W` with its address and time-stamp sub-slot, chiplet accesses marked.
pub fn markdown_accesses() -> String {
    let mut s = String::from("| op | CPU slots (ts = 4·clk + j) | chiplet accesses (ts = 4·clk + sub) |\n|---|---|---|\n");
    for o in &OPS {
        let fmt = |acc: &[Access], sub: bool| -> String {
            if acc.is_empty() {
                return "—".into();
            }
            acc.iter()
                .map(|a| {
                    let d = match (a.write, a.space) {
                        (true, SPACE_STACK) => "W".to_string(),
                        (false, SPACE_STACK) => "R".to_string(),
                        (true, sp) => format!("W{sp}"),
                        (false, sp) => format!("R{sp}"),
                    };
                    if sub {
                        format!("{d} `{}` @{}", a.addr.render(), a.sub)
                    } else {
                        format!("{d} `{}`", a.addr.render())
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            o.mnemonic,
            fmt(o.slots, false),
            fmt(o.chiplet_accesses, true)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_opcode() {
        assert_eq!(OPS.len(), Opcode::ALL.len());
        for (i, o) in OPS.iter().enumerate() {
            assert_eq!(o.opcode as usize, i, "{}", o.mnemonic);
            assert!(o.slots.len() <= 4, "{}: at most four CPU slots", o.mnemonic);
            for (j, a) in o.slots.iter().enumerate() {
                assert_eq!(
                    a.sub as usize, j,
                    "{}: CPU slot j has sub-slot j",
                    o.mnemonic
                );
            }
            for a in o.chiplet_accesses {
                assert!(a.sub < 4, "{}", o.mnemonic);
            }
            // Chiplet accesses sharing a sub-slot must touch distinct addresses (the memory
            // table orders accesses of one address by strictly increasing time stamp).
            for (x, a) in o.chiplet_accesses.iter().enumerate() {
                for b in &o.chiplet_accesses[x + 1..] {
                    assert!(a.sub != b.sub || a.addr != b.addr, "{}", o.mnemonic);
                }
            }
            assert_eq!(
                o.chiplet == Some(Chiplet::Hash),
                !o.chiplet_accesses.is_empty()
            );
        }
    }

    /// `docs/isa.md`'s opcode table is exactly the one generated from [`OPS`], and
    /// `docs/air.md`'s slot table likewise.
    #[test]
    fn docs_tables_match_the_spec() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/");
        let isa = std::fs::read_to_string(format!("{root}isa.md")).expect("docs/isa.md");
        let t = markdown_table();
        assert!(
            isa.contains(&t),
            "docs/isa.md's opcode table differs from spec::markdown_table():\n{t}"
        );
        let air = std::fs::read_to_string(format!("{root}air.md")).expect("docs/air.md");
        let t = markdown_accesses();
        assert!(
            air.contains(&t),
            "docs/air.md's slot table differs from spec::markdown_accesses():\n{t}"
        );
    }

    #[test]
    fn forms_render_and_evaluate() {
        assert_eq!(Lin::sp(-1).render(), "sp−1");
        assert_eq!(Lin::fp_a(4).render(), "fp+a+4");
        assert_eq!(Lin::fp_b(0).render(), "fp+b");
        assert_eq!(call_sp(-2).render(), "sp−ar−2");
        assert_eq!(Lin::term(Term::Ent).render(), "ent");
        let env = |t| match t {
            Term::Sp => Some(10),
            Term::Ar => Some(3),
            _ => None,
        };
        assert_eq!(call_sp(-2).eval_u32(env), Some(5));
        assert_eq!(Lin::sp(-11).eval_u32(env), None);
        assert_eq!(Lin::fp(0).eval_u32(env), None);
        assert_eq!(sp_delta(Opcode::Add), Some(-1));
        assert_eq!(sp_delta(Opcode::Call), None);
    }
}
