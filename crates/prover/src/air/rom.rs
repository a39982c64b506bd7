//! The ROM table: the program's instructions and function table, fixed by columns the verifier
//! computes from its own copy of the image (periodic columns of period the table height, free
//! in the proof), and how often each entry is used. Plonky3 0.8 builds LogUp columns from
//! committed columns only, so the entries are also committed, each constrained equal to its
//! verifier-computed column on every row.
//!
//! Row `i` holds instruction `i` (`pc = i`, its opcode and immediates, where `i` is below the
//! code length) and function `i` (`f = i`, `repr(f)`, entry, arity, frame, where `i` is below
//! the number of functions). Two selectors mark which halves of a row are real; a padding half
//! must have multiplicity zero, so the CPU can look up only the image's own entries:
//!
//! * `(pc, opcode, a, b)` on the program bus, `fetch` times (instruction fetches);
//! * `(TAG_FUNCTION, f, repr, entry, arity, frame)` on the `call` bus, `uses` times
//!   (`CALL`, `TAILCALL`, `EVAL`, `REPR`, …).
//!
//! The image is bound to the proof through the transcript: the ROM's public values are the
//! program digest, which the verifier takes from its own image (`Statement::program` must be
//! `program.digest()`), so every challenge depends on the program.

use super::{bus, Val};
use crate::{col, columns};
use core::borrow::{Borrow, BorrowMut};
use p3_air::{Air, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use resvm_isa::Program;
use std::borrow::Cow;

/// Public values: the four digest elements (bound by the transcript, not by a constraint).
pub const NUM_PUBLIC: usize = 4;

/// The committed columns of one ROM row: copies of the [`fixed`] columns `IDX`, `OPCODE`, `A`,
/// `B`, `REPR`, `ENT`, `AR`, `FRM` (in that order), then the two multiplicities.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct RomCols<T> {
    /// The row index: pc of the instruction, index of the function.
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
    /// Fetches of instruction `i`.
    pub fetch: T,
    /// Uses of function `i`.
    pub uses: T,
}
columns!(RomCols);

/// The [`fixed`] column each copied column equals, in [`RomCols`] order.
const COPIES: [usize; 8] = [
    fixed::IDX,
    fixed::OPCODE,
    fixed::A,
    fixed::B,
    fixed::REPR,
    fixed::ENT,
    fixed::AR,
    fixed::FRM,
];

/// Column of the instruction fetch count.
pub const FETCH: usize = col!(RomCols, fetch);
/// Column of the function use count.
pub const USES: usize = col!(RomCols, uses);
/// Number of committed columns.
pub const WIDTH: usize = RomCols::<u8>::WIDTH;

/// The verifier-computed (periodic) columns, in order.
pub mod fixed {
    /// The row index: the instruction's pc and the function's index.
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
    /// Number of periodic columns.
    pub const COUNT: usize = 10;
}

/// The ROM AIR of one program image.
#[derive(Clone, Debug)]
pub struct RomAir {
    /// The [`fixed`] columns, each of the table's height.
    periodic: Vec<Vec<Val>>,
}

impl RomAir {
    /// Log2 of the ROM's height for `program`: one row per instruction or function,
    /// whichever is more.
    pub fn log_height_for(program: &Program) -> usize {
        log2_height(program.code().len().max(program.functions().len()))
    }

    /// The ROM of `program`.
    pub fn new(program: &Program) -> Self {
        let h = 1usize << Self::log_height_for(program);
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
        RomAir { periodic: c }
    }

    /// An empty ROM `2^log_height` rows high, for shapes that need the AIR but no image (the
    /// security model's worst case); its columns are zero pages, never written.
    pub fn blank(log_height: usize) -> Self {
        RomAir {
            periodic: (0..fixed::COUNT)
                .map(|_| Val::zero_vec(1 << log_height))
                .collect(),
        }
    }
}

fn log2_height(n: usize) -> usize {
    super::padded_height(n).trailing_zeros() as usize
}

impl BaseAir<Val> for RomAir {
    fn width(&self) -> usize {
        WIDTH
    }
    fn num_public_values(&self) -> usize {
        NUM_PUBLIC
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
        // Every entry is the verifier's.
        let copies = [l.idx, l.opcode, l.a, l.b, l.repr, l.ent, l.ar, l.frm];
        for (v, &f) in copies.into_iter().zip(&COPIES) {
            builder.assert_eq(x(v), c[f].clone());
        }
        // Padding halves provide nothing.
        let one = AB::Expr::ONE;
        builder.assert_zero((one.clone() - c[fixed::IS_INS].clone()) * x(l.fetch));
        builder.assert_zero((one - c[fixed::IS_FN].clone()) * x(l.uses));
        builder.push_interaction(
            bus::PROGRAM,
            [x(l.idx), x(l.opcode), x(l.a), x(l.b)],
            Count::provided(-x(l.fetch)),
        );
        builder.push_interaction(
            bus::CALL,
            [
                AB::Expr::from_u64(bus::TAG_FUNCTION),
                x(l.idx),
                x(l.repr),
                x(l.ent),
                x(l.ar),
                x(l.frm),
            ],
            Count::provided(-x(l.uses)),
        );
    }
}

/// The committed ROM columns of `program`: its entries, the fetch count of every pc and the
/// use count of every function.
pub fn build(program: &Program, fetch: &[u64], fn_uses: &[u64]) -> RowMajorMatrix<Val> {
    let air = RomAir::new(program);
    let h = 1usize << RomAir::log_height_for(program);
    let mut t = Val::zero_vec(h * WIDTH);
    for (i, row) in t.chunks_exact_mut(WIDTH).enumerate() {
        for (j, &f) in COPIES.iter().enumerate() {
            row[j] = air.periodic[f][i];
        }
        let row: &mut RomCols<Val> = row.borrow_mut();
        row.fetch = Val::from_u64(fetch.get(i).copied().unwrap_or(0));
        row.uses = Val::from_u64(fn_uses.get(i).copied().unwrap_or(0));
    }
    RowMajorMatrix::new(t, WIDTH)
}
