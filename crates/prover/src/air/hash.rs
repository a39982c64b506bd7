//! The hash chiplet: one Poseidon2 permutation (width 12, `resvm_field::permute`) per pair of
//! rows, for the `HASH` instruction (requests on the `call` bus; the chiplet does its memory
//! accesses). A proof about an image without `HASH` has no hash table (`air::tables_for`).
//!
//! Row A holds the input, the four initial full rounds, the first 5 partial rounds and the
//! state after them ([`RowA`]); row B the last 17 partial rounds and the four final full
//! rounds, whose last 12 values are the output ([`RowB`]). Two rows of 130 permutation
//! columns instead of one of 248: every FRI query opens one row of every table, so the width
//! is paid in every proof. The permutation is checked from row A (gate `even`) with row B as
//! the next row (degree 4 with the gate: no more quotient chunks than degree 3 under zero
//! knowledge).
//!
//! Requests are flagged on row A (`k_op`; 0 on row B and on padding pairs):
//!
//! * `k_op`: a `HASH k` of the CPU at cycle `clk`: receives `(TAG_HASH, clk, sp, fp, k, 0)`
//!   on the `call` bus, holds the stack digest `d` and the direction `bit`; the input is
//!   `(l, r, 8, 0, 0, 0)` with `(l, r) = bit ? (s, d) : (d, s)`, so the sibling is
//!   `s = l + r − d`; it sends the 13 memory accesses of `resvm_isa::spec::HASH_ACCESSES`
//!   (reads of `d`, `s`, `bit`, writes of the output `h = out[0..4]`) at time stamps
//!   `4·clk + sub`. That is `merge(l, r)`: the sponge of the 8 elements `l ‖ r` is one
//!   permutation with the length 8 in capacity lane 8.

use super::{bus, Val};
use crate::{col, columns};
use core::borrow::{Borrow, BorrowMut};
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::{Dup, PrimeCharacteristicRing};
use p3_goldilocks::{
    GenericPoseidon2LinearLayersGoldilocks as Layers, GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_FINAL,
    GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_INITIAL, GOLDILOCKS_POSEIDON2_RC_12_INTERNAL,
};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use p3_poseidon2::GenericPoseidon2LinearLayers;
use p3_poseidon2_air::RoundConstants;
use resvm_isa::spec::{Term, HASH_ACCESSES};

/// Poseidon2 width.
pub const P2_WIDTH: usize = 12;
/// S-box degree of Goldilocks Poseidon2.
pub const SBOX_DEGREE: u64 = 7;
/// One committed S-box register keeps the constraint degree at 3.
pub const SBOX_REGISTERS: usize = 1;
/// Full rounds at each end.
pub const HALF_FULL_ROUNDS: usize = 4;
/// Partial rounds.
pub const PARTIAL_ROUNDS: usize = 22;
/// Partial rounds evaluated on row A (the rest are on row B): 5 balances the rows at 130
/// permutation columns each (12 + 96 + 2·5 + 12 on A, 2·17 + 96 on B).
pub const A_PARTIAL: usize = 5;
/// Columns of one full round: 12 committed `x^3` S-box registers, then 12 post-round values.
const FULL_COLS: usize = 2 * P2_WIDTH;

/// Row A's permutation columns.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct RowA<T> {
    /// The permutation input.
    pub inp: [T; P2_WIDTH],
    /// The four initial full rounds (12 `x^3` registers, 12 post-round values each).
    pub full: [[T; FULL_COLS]; HALF_FULL_ROUNDS],
    /// The first [`A_PARTIAL`] partial rounds (`x^3` register, post-S-box value).
    pub part: [[T; 2]; A_PARTIAL],
    /// The full state after them (row B starts from it).
    pub mid: [T; P2_WIDTH],
}
columns!(RowA);

/// Row B's permutation columns.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct RowB<T> {
    /// The last partial rounds.
    pub part: [[T; 2]; PARTIAL_ROUNDS - A_PARTIAL],
    /// The four final full rounds; the last 12 values are the output.
    pub full: [[T; FULL_COLS]; HALF_FULL_ROUNDS],
}
columns!(RowB);

/// Columns used by the permutation on either row.
pub const NUM_P2: usize = RowA::<u8>::WIDTH;
const _: () = assert!(RowA::<u8>::WIDTH == RowB::<u8>::WIDTH);

/// The columns of one chiplet row.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct HashCols<T> {
    /// Row A ([`RowA`]) or row B ([`RowB`]) of a permutation.
    pub perm: [T; NUM_P2],
    /// 1 on row A (even rows), 0 on row B.
    pub even: T,
    /// Row A of a `HASH` instruction.
    pub k_op: T,
    /// `HASH`: the cycle.
    pub clk: T,
    /// `HASH`: `sp`.
    pub sp: T,
    /// `HASH`: `fp`.
    pub fp: T,
    /// `HASH`: the immediate `k`.
    pub a: T,
    /// `HASH`: the direction (1: the stack digest is the right child).
    pub bit: T,
    /// `HASH`: the stack digest.
    pub d: [T; 4],
}
columns!(HashCols);

/// Row A: first input column.
pub const A_IN: usize = col!(HashCols, perm) + col!(RowA, inp);
/// Row A: first column of the initial full rounds.
pub const A_FULL: usize = col!(RowA, full);
/// Row A: first column of its partial rounds.
pub const A_PART: usize = col!(RowA, part);
/// Row A: first column of the state after its partial rounds.
pub const A_MID: usize = col!(RowA, mid);
/// Row B: first column of its partial rounds.
pub const B_PART: usize = col!(RowB, part);
/// Row B: first column of the final full rounds.
pub const B_FULL: usize = col!(RowB, full);
/// Row B: first output column.
pub const OUT: usize = B_FULL + (HALF_FULL_ROUNDS - 1) * FULL_COLS + P2_WIDTH;
/// Column of `even`.
pub const EVEN: usize = col!(HashCols, even);
/// Column of `k_op`.
pub const K_OP: usize = col!(HashCols, k_op);
/// Column of `bit`.
pub const BIT: usize = col!(HashCols, bit);
/// Number of columns.
pub const WIDTH: usize = HashCols::<u8>::WIDTH;

/// The round constants of `resvm_field::permute` (Plonky3's default Goldilocks width-12
/// instance), in the layout the AIR uses.
pub fn round_constants() -> RoundConstants<Val, P2_WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS> {
    RoundConstants::new(
        GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_INITIAL,
        GOLDILOCKS_POSEIDON2_RC_12_INTERNAL,
        GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_FINAL,
    )
}

/// The hash chiplet AIR.
#[derive(Clone, Debug)]
pub struct HashAir {
    constants: RoundConstants<Val, P2_WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>,
}

impl Default for HashAir {
    fn default() -> Self {
        HashAir {
            constants: round_constants(),
        }
    }
}

impl BaseAir<Val> for HashAir {
    fn width(&self) -> usize {
        WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        (0..NUM_P2).chain([EVEN]).collect()
    }
}

impl<AB> Air<AB> for HashAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let l: &HashCols<AB::Var> = (*local).borrow();
        let nx: &HashCols<AB::Var> = (*next).borrow();
        let ra: &RowA<AB::Var> = l.perm[..].borrow();
        let rb: &RowB<AB::Var> = nx.perm[..].borrow();
        let x = |v: AB::Var| -> AB::Expr { v.into() };
        let k = |v: u64| AB::Expr::from_u64(v);
        let even = x(l.even);
        let odd = k(1) - even.clone();

        // Row parity: A, B, A, B, … (the height is even, so the last row is a B row).
        builder.when_first_row().assert_one(even.clone());
        builder.when_transition().assert_eq(x(nx.even), odd.clone());
        builder.when_last_row().assert_zero(even.clone());

        // The permutation, checked from row A (local) into row B (next).
        eval_permutation(&self.constants, builder, even, ra, rb);
        let out: [AB::Expr; P2_WIDTH] =
            core::array::from_fn(|i| x(rb.full[HALF_FULL_ROUNDS - 1][P2_WIDTH + i]));
        let inp = |i: usize| x(ra.inp[i]);

        // Request flags, on row A only.
        let k_op = x(l.k_op);
        builder.assert_bool(k_op.clone());
        builder.assert_zero(odd * k_op.clone());
        builder.assert_bool(x(l.bit));

        // HASH k: the input is (l, r) = bit ? (s, d) : (d, s), length 8.
        let bit = x(l.bit);
        let d = |i: usize| x(l.d[i]);
        let s = |i: usize| inp(i) + inp(4 + i) - d(i);
        for i in 0..4 {
            builder.assert_zero(k_op.clone() * (inp(i) - d(i) - bit.clone() * (s(i) - d(i))));
        }
        builder.assert_zero(k_op.clone() * (inp(8) - k(8)));
        for i in 9..P2_WIDTH {
            builder.assert_zero(k_op.clone() * inp(i));
        }
        builder.push_interaction(
            bus::CALL,
            [
                k(bus::TAG_HASH),
                x(l.clk),
                x(l.sp),
                x(l.fp),
                x(l.a),
                AB::Expr::ZERO,
            ],
            Count::bounded(-k_op.clone(), 1),
        );
        // Its memory accesses, in the opcode table's order: d, s, bit, then h = out[0..4].
        for (j, acc) in HASH_ACCESSES.iter().enumerate() {
            let mut addr = AB::Expr::from_i64(acc.addr.constant);
            for &(t, c) in acc.addr.terms {
                let v = match t {
                    Term::Sp => x(l.sp),
                    Term::Fp => x(l.fp),
                    Term::A => x(l.a),
                    // `hash_accesses_use_chiplet_columns` checks that no other term occurs.
                    _ => AB::Expr::ZERO,
                };
                addr += v * AB::Expr::from_i64(c);
            }
            let value = match j {
                0..=3 => d(j),
                4..=7 => s(j - 4),
                8 => bit.clone(),
                _ => out[j - 9].clone(),
            };
            let ts = x(l.clk) * k(4) + k(acc.sub as u64);
            builder.push_interaction(
                bus::MEMORY,
                [k(bus::SPACE_STACK), ts, addr, value, k(acc.write as u64)],
                Count::bounded(k_op.clone(), 1),
            );
        }
    }
}

/// One `HASH` executed by the CPU, as the chiplet needs it.
#[derive(Clone, Copy, Debug)]
pub struct HashOp {
    /// Cycle.
    pub clk: u64,
    /// `sp`.
    pub sp: u32,
    /// `fp`.
    pub fp: u32,
    /// The immediate `k`.
    pub a: u32,
    /// The stack digest.
    pub d: [Val; 4],
    /// The sibling.
    pub s: [Val; 4],
    /// The direction (0 or 1).
    pub bit: bool,
}

impl HashOp {
    /// The permutation input `(l, r, 8, 0, 0, 0)`.
    pub fn input(&self) -> [Val; P2_WIDTH] {
        let (l, r) = if self.bit {
            (self.s, self.d)
        } else {
            (self.d, self.s)
        };
        let mut st = [Val::ZERO; P2_WIDTH];
        st[..4].copy_from_slice(&l);
        st[4..8].copy_from_slice(&r);
        st[8] = Val::from_u64(8);
        st
    }
}

/// Builds the chiplet: one permutation per `HASH`, then padding permutations of zero, two
/// rows each, `height` rows in all.
pub fn build(ops: &[HashOp], height: usize) -> RowMajorMatrix<Val> {
    let mut states: Vec<[Val; P2_WIDTH]> = ops.iter().map(HashOp::input).collect();
    states.resize(height / 2, [Val::ZERO; P2_WIDTH]);
    // One permutation per row in Plonky3's layout (inputs, 4 full rounds, 22 partial rounds,
    // 4 full rounds), then split into row A / row B.
    let p2 = p3_poseidon2_air::generate_trace_rows::<
        Val,
        Layers,
        P2_WIDTH,
        SBOX_DEGREE,
        SBOX_REGISTERS,
        HALF_FULL_ROUNDS,
        PARTIAL_ROUNDS,
    >(states, &round_constants(), 0);
    let full = HALF_FULL_ROUNDS * FULL_COLS;
    let src_part = P2_WIDTH + full;
    let src_width = src_part + 2 * PARTIAL_ROUNDS + full;
    let a_part_cols = 2 * A_PARTIAL;
    let mut t = Val::zero_vec(height * WIDTH);
    let u = |v: u64| Val::from_u64(v);
    for (p, (src, pair)) in p2
        .values
        .chunks(src_width)
        .zip(t.chunks_exact_mut(2 * WIDTH))
        .enumerate()
    {
        let (ra, rb) = pair.split_at_mut(WIDTH);
        let ra: &mut HashCols<Val> = ra.borrow_mut();
        let rb: &mut HashCols<Val> = rb.borrow_mut();
        // Row A: inputs, initial full rounds, first partial rounds, then the state after them.
        ra.perm[..src_part + a_part_cols].copy_from_slice(&src[..src_part + a_part_cols]);
        let mut mid: [Val; P2_WIDTH] = core::array::from_fn(|i| src[src_part - P2_WIDTH + i]);
        for r in 0..A_PARTIAL {
            mid[0] = src[src_part + 2 * r + 1];
            Layers::internal_linear_layer(&mut mid);
        }
        ra.perm[A_MID..A_MID + P2_WIDTH].copy_from_slice(&mid);
        ra.even = Val::ONE;
        // Row B: the remaining partial rounds and the final full rounds.
        let rest = &src[src_part + a_part_cols..];
        rb.perm[B_PART..B_PART + rest.len()].copy_from_slice(rest);
        if let Some(op) = ops.get(p) {
            ra.k_op = Val::ONE;
            ra.clk = u(op.clk);
            ra.sp = u(op.sp as u64);
            ra.fp = u(op.fp as u64);
            ra.a = u(op.a as u64);
            ra.bit = Val::from_bool(op.bit);
            ra.d = op.d;
        }
    }
    RowMajorMatrix::new(t, WIDTH)
}

// The permutation constraints below follow `p3-poseidon2-air` 0.8.0 (`air.rs`, MIT/Apache-2.0),
// whose `eval` is crate-private and insists on owning the whole row; here the permutation is
// one part of a wider row, split over two rows.

/// The permutation of row A's input, gated by `gate` (1 on row A): row A's columns hold the
/// initial full rounds and the first partial rounds, row B (the next row) the rest.
fn eval_permutation<AB: AirBuilder<F = Val>>(
    constants: &RoundConstants<Val, P2_WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>,
    builder: &mut AB,
    gate: AB::Expr,
    ra: &RowA<AB::Var>,
    rb: &RowB<AB::Var>,
) {
    let mut state: [AB::Expr; P2_WIDTH] = core::array::from_fn(|i| ra.inp[i].into());
    Layers::external_linear_layer(&mut state);
    for round in 0..HALF_FULL_ROUNDS {
        let rc = &constants.beginning_full_round_constants()[round];
        eval_full_round(&mut state, &ra.full[round], rc, builder, &gate);
    }
    for round in 0..PARTIAL_ROUNDS {
        let cols = if round < A_PARTIAL {
            ra.part[round]
        } else {
            rb.part[round - A_PARTIAL]
        };
        let rc = &constants.partial_round_constants()[round];
        eval_partial_round(&mut state, cols[0], cols[1], rc, builder, &gate);
        if round + 1 == A_PARTIAL {
            // Row A commits the full state here; row B continues from those columns.
            for (i, s) in state.iter_mut().enumerate() {
                builder.when(gate.clone()).assert_eq(s.clone(), ra.mid[i]);
                *s = ra.mid[i].into();
            }
        }
    }
    for round in 0..HALF_FULL_ROUNDS {
        let rc = &constants.ending_full_round_constants()[round];
        eval_full_round(&mut state, &rb.full[round], rc, builder, &gate);
    }
}

/// One full round: `cols` = 12 `x^3` registers, then the 12 post-round values.
fn eval_full_round<AB: AirBuilder<F = Val>>(
    state: &mut [AB::Expr; P2_WIDTH],
    cols: &[AB::Var; FULL_COLS],
    round_constants: &[Val; P2_WIDTH],
    builder: &mut AB,
    gate: &AB::Expr,
) {
    for (i, (s, r)) in state.iter_mut().zip(round_constants.iter()).enumerate() {
        *s += *r;
        eval_sbox(cols[i], s, builder, gate);
    }
    Layers::external_linear_layer(state);
    for (i, state_i) in state.iter_mut().enumerate() {
        let post = cols[P2_WIDTH + i];
        builder.when(gate.clone()).assert_eq(state_i.clone(), post);
        *state_i = post.into();
    }
}

fn eval_partial_round<AB: AirBuilder<F = Val>>(
    state: &mut [AB::Expr; P2_WIDTH],
    sbox: AB::Var,
    post_sbox: AB::Var,
    round_constant: &Val,
    builder: &mut AB,
    gate: &AB::Expr,
) {
    state[0] += *round_constant;
    eval_sbox(sbox, &mut state[0], builder, gate);
    builder
        .when(gate.clone())
        .assert_eq(state[0].dup(), post_sbox);
    state[0] = post_sbox.into();
    Layers::internal_linear_layer(state);
}

/// x ↦ x^7 with one committed register `x3 = x^3` (degree 3, 4 with the row gate).
fn eval_sbox<AB: AirBuilder<F = Val>>(
    register: AB::Var,
    x: &mut AB::Expr,
    builder: &mut AB,
    gate: &AB::Expr,
) {
    let committed_x3: AB::Expr = register.into();
    builder
        .when(gate.clone())
        .assert_eq(committed_x3.dup(), x.cube());
    *x = committed_x3.square() * x.dup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_accesses_use_chiplet_columns() {
        for acc in &HASH_ACCESSES {
            for (t, _) in acc.addr.terms {
                assert!(matches!(t, Term::Sp | Term::Fp | Term::A), "{t:?}");
            }
        }
    }
}
