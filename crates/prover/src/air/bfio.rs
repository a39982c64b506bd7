//! The Brainfuck input and output tables: the public byte streams of a Brainfuck run, bound to
//! the CPU's `BFIN` and `BFOUT` instructions (BrainSTARK's input and output arguments, done here
//! as LogUp lookups on the `call` bus against tables the verifier fixes from the public bytes).
//!
//! Both tables hold their stream in periodic columns that the verifier computes itself from
//! the bytes (also public values, so the transcript binds them before any challenge), one row
//! per position:
//!
//! * **input** ([`BfInputAir`]): row `j < len` provides `(TAG_BF_INPUT, j, input[j], 0)` and row
//!   `len` provides `(TAG_BF_INPUT, len, 0, 1)` (end of input), each with any multiplicity;
//!   later rows provide nothing. `BFIN` reads its position `i` from the input-position cell and
//!   writes back `i + 1 − eof`, so the k-th read before the end gets byte k, and every read
//!   after it gets 0 at position `len`.
//! * **output** ([`BfOutputAir`]): row `j < len` receives `(TAG_BF_OUTPUT, j, c_j)` exactly once;
//!   `BFOUT` sends `(j, cell)` with `j` from the output-position cell, which advances by one, so
//!   the run wrote exactly `len` bytes, the j-th from a cell `c_j` with `c_j mod 256 = output[j]`.
//!   The table proves the residue: `c_j`'s canonical representative is decomposed into eight
//!   bytes `b0..b7` (`b0 = output[j]`, the others range-checked), with the canonicity check of
//!   Goldilocks (`hi32 = 2^32 − 1 ⇒ lo32 = 0`) through a helper inverse, so that `b0` is the
//!   residue of the one representative below p.
//!
//! For resvm programs both tables are present and silent (empty streams).

use super::{bus, Val};
use crate::{col, columns};
use core::borrow::{Borrow, BorrowMut};
use p3_air::{Air, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField64};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use std::borrow::Cow;

/// Log2 of a table height for `rows` rows (at least [`super::MIN_LOG_HEIGHT`]).
fn log_height(rows: usize) -> usize {
    (rows.next_power_of_two().trailing_zeros() as usize).max(super::MIN_LOG_HEIGHT)
}

/// The columns of one input row.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct BfInputCols<T> {
    /// Position in the stream.
    pub pos: T,
    /// The byte there (0 on the end-of-input row).
    pub byte: T,
    /// 1 on the end-of-input row.
    pub eof: T,
    /// How many `BFIN` instructions read it.
    pub mult: T,
}
columns!(BfInputCols);

/// The input table's AIR: carries the public input bytes.
#[derive(Clone, Debug)]
pub struct BfInputAir {
    input: Vec<u8>,
    /// Periodic columns `[pos, byte, eof, live]`, each of the table's full height.
    periodic: Vec<Vec<Val>>,
}

impl BfInputAir {
    /// The AIR for these input bytes (the height follows from their number).
    pub fn new(input: &[u8]) -> Self {
        let h = 1usize << Self::log_height_for(input.len());
        let u = |v: u64| Val::from_u64(v);
        let pos = (0..h as u64).map(u).collect();
        let mut byte = vec![Val::ZERO; h];
        let mut eof = vec![Val::ZERO; h];
        let mut live = vec![Val::ZERO; h];
        for (j, &b) in input.iter().enumerate() {
            byte[j] = u(b as u64);
            live[j] = Val::ONE;
        }
        eof[input.len()] = Val::ONE;
        live[input.len()] = Val::ONE;
        BfInputAir {
            input: input.to_vec(),
            periodic: vec![pos, byte, eof, live],
        }
    }

    /// Log2 of the height for an input of `n` bytes (one row per byte and the end row).
    pub fn log_height_for(n: usize) -> usize {
        log_height(n + 1)
    }

    /// Public values: the number of bytes, then the bytes.
    pub fn public_values(input: &[u8]) -> Vec<Val> {
        stream_public_values(input)
    }
}

fn stream_public_values(bytes: &[u8]) -> Vec<Val> {
    core::iter::once(Val::from_u64(bytes.len() as u64))
        .chain(bytes.iter().map(|&b| Val::from_u8(b)))
        .collect()
}

impl BaseAir<Val> for BfInputAir {
    fn width(&self) -> usize {
        BfInputCols::<u8>::WIDTH
    }
    fn num_public_values(&self) -> usize {
        1 + self.input.len()
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn num_periodic_columns(&self) -> usize {
        4
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<Val>]> {
        Cow::Borrowed(&self.periodic)
    }
}

impl<AB> Air<AB> for BfInputAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local = main.current_slice();
        let l: &BfInputCols<AB::Var> = (*local).borrow();
        let p = builder.periodic_values();
        let [pos, byte, eof, live]: [AB::Expr; 4] = core::array::from_fn(|i| p[i].into());
        let c = |v: AB::Var| -> AB::Expr { v.into() };
        builder.assert_eq(c(l.pos), pos);
        builder.assert_eq(c(l.byte), byte);
        builder.assert_eq(c(l.eof), eof);
        // Rows past the end-of-input row answer nothing.
        builder.assert_zero((AB::Expr::ONE - live) * c(l.mult));
        let z = || AB::Expr::ZERO;
        builder.push_interaction(
            bus::CALL,
            [
                AB::Expr::from_u64(bus::TAG_BF_INPUT),
                c(l.pos),
                c(l.byte),
                c(l.eof),
                z(),
                z(),
            ],
            Count::provided(-c(l.mult)),
        );
    }
}

/// The input table: `reads[j]` is how many `BFIN` read position `j` (`j = len`: end of input).
pub fn build_input(input: &[u8], reads: &[u64]) -> RowMajorMatrix<Val> {
    let w = BfInputCols::<u8>::WIDTH;
    let h = 1usize << BfInputAir::log_height_for(input.len());
    let mut t = Val::zero_vec(h * w);
    for (j, row) in t.chunks_exact_mut(w).enumerate() {
        let row: &mut BfInputCols<Val> = row.borrow_mut();
        row.pos = Val::from_u64(j as u64);
        if let Some(&b) = input.get(j) {
            row.byte = Val::from_u8(b);
        }
        if j == input.len() {
            row.eof = Val::ONE;
        }
        row.mult = Val::from_u64(reads.get(j).copied().unwrap_or(0));
    }
    RowMajorMatrix::new(t, w)
}

/// Bytes of a cell's canonical representative.
pub const CELL_BYTES: usize = 8;

/// The columns of one output row.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct BfOutputCols<T> {
    /// 1 on the rows of the stream (`j < len`).
    pub sel: T,
    /// Position in the stream.
    pub pos: T,
    /// Little-endian bytes of the written cell's canonical representative; `b[0]` is the
    /// output byte.
    pub b: [T; CELL_BYTES],
    /// Inverse of `2^32 − 1 − hi32` when it exists, else 0.
    pub w: T,
    /// `(2^32 − 1 − hi32) · w`: 1 unless the high half is all ones.
    pub t: T,
}
columns!(BfOutputCols);

/// Column of the first cell byte.
pub const OUT_B: usize = col!(BfOutputCols, b);

/// The output table's AIR: carries the public output bytes.
#[derive(Clone, Debug)]
pub struct BfOutputAir {
    output: Vec<u8>,
    /// Periodic columns `[sel, pos, byte]`, each of the table's full height.
    periodic: Vec<Vec<Val>>,
}

impl BfOutputAir {
    /// The AIR for these output bytes (the height follows from their number).
    pub fn new(output: &[u8]) -> Self {
        let h = 1usize << Self::log_height_for(output.len());
        let u = |v: u64| Val::from_u64(v);
        let pos = (0..h as u64).map(u).collect();
        let mut sel = vec![Val::ZERO; h];
        let mut byte = vec![Val::ZERO; h];
        for (j, &b) in output.iter().enumerate() {
            sel[j] = Val::ONE;
            byte[j] = u(b as u64);
        }
        BfOutputAir {
            output: output.to_vec(),
            periodic: vec![sel, pos, byte],
        }
    }

    /// Log2 of the height for an output of `n` bytes.
    pub fn log_height_for(n: usize) -> usize {
        log_height(n)
    }

    /// Public values: the number of bytes, then the bytes.
    pub fn public_values(output: &[u8]) -> Vec<Val> {
        stream_public_values(output)
    }
}

impl BaseAir<Val> for BfOutputAir {
    fn width(&self) -> usize {
        BfOutputCols::<u8>::WIDTH
    }
    fn num_public_values(&self) -> usize {
        1 + self.output.len()
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn num_periodic_columns(&self) -> usize {
        3
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<Val>]> {
        Cow::Borrowed(&self.periodic)
    }
}

impl<AB> Air<AB> for BfOutputAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local = main.current_slice();
        let l: &BfOutputCols<AB::Var> = (*local).borrow();
        let p = builder.periodic_values();
        let [sel, pos, byte]: [AB::Expr; 3] = core::array::from_fn(|i| p[i].into());
        let c = |v: AB::Var| -> AB::Expr { v.into() };
        let k = |v: u64| AB::Expr::from_u64(v);
        builder.assert_eq(c(l.sel), sel);
        builder.assert_eq(c(l.pos), pos);
        builder.assert_eq(c(l.b[0]), byte);
        let half = |bytes: &[AB::Var]| {
            bytes
                .iter()
                .enumerate()
                .fold(AB::Expr::ZERO, |acc, (i, b)| acc + c(*b) * k(1 << (8 * i)))
        };
        let (lo, hi) = (half(&l.b[..4]), half(&l.b[4..]));
        // Canonical: if the high half is 2^32 − 1 the low half is 0 (else the bytes spell a
        // number ≥ p and b0 would be the residue of the wrong representative).
        builder.assert_eq(c(l.t), (k(u32::MAX as u64) - hi.clone()) * c(l.w));
        builder.assert_zero(lo.clone() * (AB::Expr::ONE - c(l.t)));
        for b in &l.b[1..] {
            builder.push_interaction(bus::RANGE, [c(*b)], 1);
        }
        let cell = lo + hi * k(1 << 32);
        let z = || AB::Expr::ZERO;
        builder.push_interaction(
            bus::CALL,
            [k(bus::TAG_BF_OUTPUT), c(l.pos), cell, z(), z(), z()],
            Count::provided(-c(l.sel)),
        );
    }
}

/// The output table for the cells the run wrote out, in order (`cells[j] mod 256` is output
/// byte `j`), counting its byte lookups into `range`.
pub fn build_output(cells: &[Val], range: &mut [u64]) -> RowMajorMatrix<Val> {
    let w = BfOutputCols::<u8>::WIDTH;
    let h = 1usize << BfOutputAir::log_height_for(cells.len());
    let mut t = Val::zero_vec(h * w);
    for (j, row) in t.chunks_exact_mut(w).enumerate() {
        let row: &mut BfOutputCols<Val> = row.borrow_mut();
        row.pos = Val::from_u64(j as u64);
        let v = cells.get(j).map_or(0, |c| c.as_canonical_u64());
        row.sel = Val::from_bool(j < cells.len());
        for i in 0..CELL_BYTES {
            let byte = (v >> (8 * i)) & 0xff;
            row.b[i] = Val::from_u64(byte);
            if i > 0 {
                range[byte as usize] += 1;
            }
        }
        let gap = Val::from_u64(u32::MAX as u64 - (v >> 32));
        row.w = gap.try_inverse().unwrap_or(Val::ZERO);
        row.t = gap * row.w;
    }
    RowMajorMatrix::new(t, w)
}
