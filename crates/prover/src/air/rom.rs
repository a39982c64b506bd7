//! The read-only table: everything the CPU and the chiplets look up whose content the verifier
//! knows — the program (instructions and function table), the public inputs and the bytes
//! 0..255 of the range checks — fixed by columns the verifier computes itself (periodic columns
//! of period the table height, free in the proof), with how often each entry is used.
//!
//! Plonky3 0.8 builds LogUp columns from committed columns only, so the entries are also
//! committed, each constrained equal to its verifier-computed column on every row.
//!
//! Row `i` holds instruction `i` (`pc = i`), function `i` (`f = i`), the `i`-th public input
//! (its parameter index, which may differ from `i`, and value) and, for `i < 256`, the byte
//! `i`, each where it exists; a
//! selector per kind marks the real ones, and a padding entry must have multiplicity zero, so
//! only the verifier's entries can be looked up:
//!
//! * `(pc, opcode, a, b)` on the program bus, `fetch` times (instruction fetches);
//! * `(TAG_FUNCTION, f, repr, entry, arity, frame)` on the `call` bus, `uses` times
//!   (`CALL`, `TAILCALL`, `EVAL`, `REPR`, …);
//! * `(TAG_INPUT, index, value, 0, 0, 0)` on the `call` bus, `reads` times (`INPUT`);
//! * `(v)` on the range bus, `bytes` times (8-bit range checks).
//!
//! The image and the public inputs are bound to the proof through the transcript: the table's
//! public values are the program digest (`Statement::program` must be `program.digest()`) and
//! the `(index, value)` pairs of the public inputs, so every challenge depends on them.

use super::{bus, Val};
use crate::{col, columns};
use core::borrow::{Borrow, BorrowMut};
use p3_air::{Air, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use resvm_isa::Program;
use std::borrow::Cow;

/// Public values before the inputs': the four digest elements.
pub const DIGEST_PUBLIC: usize = 4;
/// Bits per range-checked limb.
pub const BYTE_BITS: usize = 8;
/// The bytes: `0 .. 2^BYTE_BITS`.
pub const BYTES: usize = 1 << BYTE_BITS;

/// The committed columns of one row: copies of the [`fixed`] columns `IDX`, `OPCODE`, `A`,
/// `B`, `REPR`, `ENT`, `AR`, `FRM`, `IN_IDX`, `IN_VAL` (in that order), then the
/// multiplicities.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct RomCols<T> {
    /// The row index: pc of the instruction, index of the function, the byte.
    pub idx: T,
    /// The instruction's opcode.
    pub opcode: T,
    /// Its first immediate.
    pub a: T,
    /// Its second immediate.
    pub b: T,
    /// `repr(f)`.
    pub repr: T,
    /// The function's entry.
    pub ent: T,
    /// Its arity.
    pub ar: T,
    /// Its frame size.
    pub frm: T,
    /// The public input's parameter index.
    pub in_idx: T,
    /// The public input's value.
    pub in_val: T,
    /// Fetches of instruction `i`.
    pub fetch: T,
    /// Uses of function `i`.
    pub uses: T,
    /// `INPUT` reads of public input `i`.
    pub reads: T,
    /// Range lookups of byte `i`.
    pub bytes: T,
}
columns!(RomCols);

/// Column of the instruction fetch count.
pub const FETCH: usize = col!(RomCols, fetch);
/// Column of the function use count.
pub const USES: usize = col!(RomCols, uses);
/// Column of the public input's parameter index.
pub const IN_IDX: usize = col!(RomCols, in_idx);
/// Column of the public input's value.
pub const IN_VAL: usize = col!(RomCols, in_val);
/// Column of the public input's read count.
pub const READS: usize = col!(RomCols, reads);
/// Column of the byte's lookup count.
pub const BYTE_MULT: usize = col!(RomCols, bytes);
/// Column of the row index (the byte value on byte rows).
pub const IDX: usize = col!(RomCols, idx);
/// Number of committed columns.
pub const WIDTH: usize = RomCols::<u8>::WIDTH;

/// The verifier-computed (periodic) columns, in order.
pub mod fixed {
    /// The row index: the instruction's pc, the function's index, the byte.
    pub const IDX: usize = 0;
    /// 1 where the row holds an instruction.
    pub const IS_INS: usize = 1;
    /// The instruction's opcode.
    pub const OPCODE: usize = 2;
    /// Its first immediate.
    pub const A: usize = 3;
    /// Its second immediate.
    pub const B: usize = 4;
    /// 1 where the row holds a function.
    pub const IS_FN: usize = 5;
    /// `repr(f)`.
    pub const REPR: usize = 6;
    /// The function's entry pc.
    pub const ENT: usize = 7;
    /// Its arity.
    pub const AR: usize = 8;
    /// Its frame size.
    pub const FRM: usize = 9;
    /// 1 where the row holds a public input.
    pub const IS_IN: usize = 10;
    /// The public input's parameter index.
    pub const IN_IDX: usize = 11;
    /// The public input's value.
    pub const IN_VAL: usize = 12;
    /// 1 on the byte rows `0..256`.
    pub const IS_BYTE: usize = 13;
    /// Number of periodic columns.
    pub const COUNT: usize = 14;
}

/// The [`fixed`] column each copied column equals, in [`RomCols`] order.
const COPIES: [usize; 10] = [
    fixed::IDX,
    fixed::OPCODE,
    fixed::A,
    fixed::B,
    fixed::REPR,
    fixed::ENT,
    fixed::AR,
    fixed::FRM,
    fixed::IN_IDX,
    fixed::IN_VAL,
];

/// The read-only AIR of one program image and its public inputs.
#[derive(Clone, Debug)]
pub struct RomAir {
    /// The [`fixed`] columns, each of the table's height.
    periodic: Vec<Vec<Val>>,
    /// The public inputs `(parameter index, value)`.
    inputs: Vec<(u32, Val)>,
}

impl RomAir {
    /// Log2 of the table's height for `program` and `inputs` public inputs: one row per
    /// instruction, function or public input, whichever are most, and at least the 256 bytes.
    pub fn log_height_for(program: &Program, inputs: usize) -> usize {
        let n = program
            .code()
            .len()
            .max(program.functions().len())
            .max(inputs)
            .max(BYTES);
        super::padded_height(n).trailing_zeros() as usize
    }

    /// The table of `program` with the public inputs `(parameter index, value)`.
    pub fn new(program: &Program, inputs: &[(u32, Val)]) -> Self {
        let h = 1usize << Self::log_height_for(program, inputs.len());
        let mut c: Vec<Vec<Val>> = (0..fixed::COUNT).map(|_| Val::zero_vec(h)).collect();
        let u = |v: u64| Val::from_u64(v);
        for (i, idx) in c[fixed::IDX].iter_mut().enumerate() {
            *idx = u(i as u64);
        }
        for (pc, ins) in program.code().iter().enumerate() {
            let [op, a, b] = ins.encode();
            c[fixed::IS_INS][pc] = Val::ONE;
            c[fixed::OPCODE][pc] = op;
            c[fixed::A][pc] = a;
            c[fixed::B][pc] = b;
        }
        for (f, func) in program.functions().iter().enumerate() {
            c[fixed::IS_FN][f] = Val::ONE;
            c[fixed::REPR][f] = program.repr(f as u32).unwrap_or(Val::ZERO);
            c[fixed::ENT][f] = u(func.entry as u64);
            c[fixed::AR][f] = u(func.arity as u64);
            c[fixed::FRM][f] = u(func.frame as u64);
        }
        for (j, &(i, x)) in inputs.iter().enumerate() {
            c[fixed::IS_IN][j] = Val::ONE;
            c[fixed::IN_IDX][j] = u(i as u64);
            c[fixed::IN_VAL][j] = x;
        }
        c[fixed::IS_BYTE][..BYTES].fill(Val::ONE);
        RomAir {
            periodic: c,
            inputs: inputs.to_vec(),
        }
    }

    /// An empty table `2^log_height` rows high, for shapes that need the AIR but no image (the
    /// security model's worst case); its columns are zero pages, never written.
    pub fn blank(log_height: usize) -> Self {
        RomAir {
            periodic: (0..fixed::COUNT)
                .map(|_| Val::zero_vec(1 << log_height))
                .collect(),
            inputs: Vec::new(),
        }
    }

    /// Public values: the program digest, then `index, value` per public input.
    pub fn public_values(digest: &resvm_field::Digest, inputs: &[(u32, Val)]) -> Vec<Val> {
        digest
            .elements()
            .into_iter()
            .chain(
                inputs
                    .iter()
                    .flat_map(|&(i, x)| [Val::from_u64(i as u64), x]),
            )
            .collect()
    }
}

impl BaseAir<Val> for RomAir {
    fn width(&self) -> usize {
        WIDTH
    }
    fn num_public_values(&self) -> usize {
        DIGEST_PUBLIC + 2 * self.inputs.len()
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn num_periodic_columns(&self) -> usize {
        fixed::COUNT
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<Val>]> {
        Cow::Borrowed(&self.periodic)
    }
}

impl<AB> Air<AB> for RomAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local = main.current_slice();
        let l: &RomCols<AB::Var> = (*local).borrow();
        let x = |v: AB::Var| -> AB::Expr { v.into() };
        let p = builder.periodic_values();
        let c: Vec<AB::Expr> = (0..fixed::COUNT).map(|i| p[i].into()).collect();
        // Every entry is the verifier's (the copies lead the row, in `COPIES` order, as
        // `build` writes them).
        for (j, &f) in COPIES.iter().enumerate() {
            builder.assert_eq(x(local[j]), c[f].clone());
        }
        // Padding entries provide nothing.
        for (sel, mult) in [
            (fixed::IS_INS, l.fetch),
            (fixed::IS_FN, l.uses),
            (fixed::IS_IN, l.reads),
            (fixed::IS_BYTE, l.bytes),
        ] {
            builder.assert_zero((AB::Expr::ONE - c[sel].clone()) * x(mult));
        }
        let k = |v: u64| AB::Expr::from_u64(v);
        builder.push_interaction(
            bus::PROGRAM,
            [x(l.idx), x(l.opcode), x(l.a), x(l.b)],
            Count::provided(-x(l.fetch)),
        );
        builder.push_interaction(
            bus::CALL,
            [
                k(bus::TAG_FUNCTION),
                x(l.idx),
                x(l.repr),
                x(l.ent),
                x(l.ar),
                x(l.frm),
            ],
            Count::provided(-x(l.uses)),
        );
        builder.push_interaction(
            bus::CALL,
            [
                k(bus::TAG_INPUT),
                x(l.in_idx),
                x(l.in_val),
                k(0),
                k(0),
                k(0),
            ],
            Count::provided(-x(l.reads)),
        );
        builder.push_interaction(bus::RANGE, [x(l.idx)], Count::provided(-x(l.bytes)));
    }
}

/// What the run used of the table: the fetch count of every pc, the use count of every
/// function, the `INPUT` reads of every parameter index and the lookups of every byte.
#[derive(Clone, Debug, Default)]
pub struct Uses<'a> {
    /// Fetches per pc.
    pub fetch: &'a [u64],
    /// Uses per function.
    pub functions: &'a [u64],
    /// `INPUT` reads per parameter index (of all of main's parameters).
    pub inputs: &'a [u64],
    /// Range lookups per byte value.
    pub bytes: &'a [u64],
}

/// The committed table of `program` with public inputs `inputs` and the given uses.
pub fn build(program: &Program, inputs: &[(u32, Val)], uses: &Uses<'_>) -> RowMajorMatrix<Val> {
    let air = RomAir::new(program, inputs);
    let h = air.periodic[fixed::IDX].len();
    let mut t = Val::zero_vec(h * WIDTH);
    let at = |v: &[u64], i: usize| Val::from_u64(v.get(i).copied().unwrap_or(0));
    for (i, row) in t.chunks_exact_mut(WIDTH).enumerate() {
        for (j, &f) in COPIES.iter().enumerate() {
            row[j] = air.periodic[f][i];
        }
        let row: &mut RomCols<Val> = row.borrow_mut();
        row.fetch = at(uses.fetch, i);
        row.uses = at(uses.functions, i);
        if let Some(&(param, _)) = inputs.get(i) {
            row.reads = at(uses.inputs, param as usize);
        }
        if i < BYTES {
            row.bytes = at(uses.bytes, i);
        }
    }
    RowMajorMatrix::new(t, WIDTH)
}
