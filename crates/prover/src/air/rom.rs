//! The ROM table: the program image hashed inside the AIR, one Poseidon2 permutation per pair
//! of rows (row A: inputs, the four initial full rounds, the first 5 partial rounds and the
//! state after them; row B: the last 17 partial rounds and the four final full rounds). Two
//! rows of 130 permutation columns instead of one of 248: every query opens a ROM row, so the
//! width is paid in every proof.
//!
//! The program encoding (`resvm_isa::Program::encoding`, version 2) is a sequence of 8-element
//! sponge blocks: a header `[version, #functions, #instructions, main, 0…]`, one block
//! `[TAG_FUNCTION, f, entry, arity, frame, 0…]` per function and one block
//! `[TAG_INSTRUCTION, pc, opcode, a, b, 0…]` per instruction. Rows:
//!
//! * row 0 is the header; it starts the sponge (capacity `[8·#blocks, 0, 0, 0]`);
//! * function and instruction rows follow contiguously, each absorbing its block into the
//!   previous row's capacity; where that chain ends, the output's first four elements must equal
//!   the public program digest. By collision resistance the chain *is* the program.
//! * instruction rows provide `(pc, opcode, a, b)` on the program bus;
//! * repr rows compute `repr(f) = H(0x72657072, digest, f)[0]` (one permutation of a 6-element
//!   input) and provide `(TAG_FUNCTION, f, repr, entry, arity, frame)` on the `call` bus; a permutation
//!   bus pairs every repr row with exactly one function block, so repr rows exist for the
//!   program's functions only, with their real entries.
//! * the remaining rows are padding permutations with no role.

use super::{bus, Val};
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::{Dup, PrimeCharacteristicRing};
use p3_goldilocks::{
    GenericPoseidon2LinearLayersGoldilocks as Layers, GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_FINAL,
    GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_INITIAL, GOLDILOCKS_POSEIDON2_RC_12_INTERNAL,
};
use p3_lookup::{Count, InteractionBuilder};
use p3_poseidon2::GenericPoseidon2LinearLayers;
use p3_poseidon2_air::RoundConstants;
use resvm_isa::{ENCODING_VERSION, TAG_FUNCTION, TAG_INSTRUCTION};

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
/// Row A: the permutation input.
pub const A_IN: usize = 0;
/// Row A: the four initial full rounds.
pub const A_FULL: usize = A_IN + P2_WIDTH;
/// Row A: the first [`A_PARTIAL`] partial rounds (`x^3` register, post-S-box value).
pub const A_PART: usize = A_FULL + HALF_FULL_ROUNDS * FULL_COLS;
/// Row A: the full state after row A's partial rounds (row B starts from it).
pub const A_MID: usize = A_PART + 2 * A_PARTIAL;
/// Row B: the last partial rounds.
pub const B_PART: usize = 0;
/// Row B: the four final full rounds.
pub const B_FULL: usize = B_PART + 2 * (PARTIAL_ROUNDS - A_PARTIAL);
/// Row B: first output column of the permutation (the last round's post values).
pub const OUT: usize = B_FULL + (HALF_FULL_ROUNDS - 1) * FULL_COLS + P2_WIDTH;
/// Columns used by the permutation (the wider of row A and row B).
pub const NUM_P2: usize = A_MID + P2_WIDTH;
/// Width of row B's permutation part.
const B_WIDTH: usize = B_FULL + HALF_FULL_ROUNDS * FULL_COLS;
/// 1 on row A (even rows), 0 on row B.
pub const EVEN: usize = NUM_P2;
/// Row kind: header.
pub const K_HDR: usize = NUM_P2 + 1;
/// Row kind: function block.
pub const K_FN: usize = NUM_P2 + 2;
/// Row kind: instruction block.
pub const K_INS: usize = NUM_P2 + 3;
/// Row kind: repr computation.
pub const K_REPR: usize = NUM_P2 + 4;
/// Lookup multiplicity (instruction fetches on row A, function-table uses on row B).
pub const MULT: usize = NUM_P2 + 5;
/// Repr rows (B): the function's entry.
pub const ENT: usize = NUM_P2 + 6;
/// Repr rows (B): the function's arity.
pub const AR: usize = NUM_P2 + 7;
/// Repr rows (B): the function's frame size.
pub const FRM: usize = NUM_P2 + 8;
/// Repr rows (B): the function index (copied from row A's input lane 5).
pub const FIDX: usize = NUM_P2 + 9;
/// Number of columns.
pub const WIDTH: usize = NUM_P2 + 10;

/// Public values: the four digest elements.
pub const NUM_PUBLIC: usize = 4;

/// Domain separator of `repr` ("repr" in ASCII), as in `resvm_isa`.
pub const REPR_DOMAIN: u64 = 0x7265_7072;

/// The round constants of `resvm_field::permute` (Plonky3's default Goldilocks width-12
/// instance), in the layout the AIR uses.
pub fn round_constants() -> RoundConstants<Val, P2_WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS> {
    RoundConstants::new(
        GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_INITIAL,
        GOLDILOCKS_POSEIDON2_RC_12_INTERNAL,
        GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_FINAL,
    )
}

/// The ROM AIR.
#[derive(Clone, Debug)]
pub struct RomAir {
    constants: RoundConstants<Val, P2_WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>,
}

impl RomAir {
    /// The AIR with the standard constants.
    pub fn new() -> Self {
        RomAir {
            constants: round_constants(),
        }
    }
}

impl Default for RomAir {
    fn default() -> Self {
        Self::new()
    }
}

impl BaseAir<Val> for RomAir {
    fn width(&self) -> usize {
        WIDTH
    }
    fn num_public_values(&self) -> usize {
        NUM_PUBLIC
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        (0..B_WIDTH)
            .chain([EVEN, K_HDR, K_FN, K_INS, K_REPR, FIDX])
            .collect()
    }
}

impl<AB> Air<AB> for RomAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let c = |i: usize| -> AB::Expr { local[i].into() };
        let n = |i: usize| -> AB::Expr { next[i].into() };
        let k = |v: u64| AB::Expr::from_u64(v);
        let even = c(EVEN);
        let odd = k(1) - c(EVEN);

        // Row parity: A, B, A, B, … (the height is even, so the last row is a B row).
        builder.when_first_row().assert_one(c(EVEN));
        builder.when_transition().assert_eq(n(EVEN), odd.clone());
        builder.when_last_row().assert_zero(c(EVEN));

        // The permutation, checked from row A (local) into row B (next).
        let a_in: Vec<AB::Expr> = (0..P2_WIDTH).map(|i| c(A_IN + i)).collect();
        eval_permutation(&self.constants, builder, even.clone(), &a_in, local, next);

        let inp = |i: usize| c(A_IN + i);
        let out = |i: usize| c(OUT + i);
        let pv = builder.public_values();
        let digest: [AB::Expr; 4] = core::array::from_fn(|i| pv[i].into());

        for f in [K_HDR, K_FN, K_INS, K_REPR] {
            builder.assert_bool(c(f));
            // Row B repeats row A's kind.
            builder.when(even.clone()).assert_eq(n(f), c(f));
        }
        let prog = c(K_HDR) + c(K_FN) + c(K_INS);
        builder.assert_bool(prog.clone() + c(K_REPR));

        // Header: first row pair only; it starts the sponge over 8·(1 + #functions +
        // #instructions) elements.
        {
            let mut b = builder.when_first_row();
            b.assert_one(c(K_HDR));
            b.assert_eq(inp(0), k(ENCODING_VERSION));
            for i in 4..8 {
                b.assert_zero(inp(i));
            }
            b.assert_eq(inp(8), (k(1) + inp(1) + inp(2)) * k(8));
            for i in 9..12 {
                b.assert_zero(inp(i));
            }
        }
        // No later row A is a header (row B copies its row A).
        builder
            .when_transition()
            .assert_zero(odd.clone() * n(K_HDR));

        // Function and instruction blocks (row A): tags and zero lanes.
        for (flag, tag) in [(K_FN, TAG_FUNCTION), (K_INS, TAG_INSTRUCTION)] {
            builder.assert_zero(even.clone() * c(flag) * (inp(0) - k(tag)));
            for i in 5..8 {
                builder.assert_zero(even.clone() * c(flag) * inp(i));
            }
        }
        // From row B (local, holding the output) into the next row A.
        let next_block = n(K_FN) + n(K_INS);
        {
            let mut t = builder.when_transition();
            // A function/instruction block follows a program permutation, contiguously...
            t.assert_zero(odd.clone() * next_block.clone() * (k(1) - prog.clone()));
            // ...and absorbs into its capacity.
            for i in 8..12 {
                t.assert_zero(odd.clone() * next_block.clone() * (n(A_IN + i) - out(i)));
            }
            // End of the chain: the sponge output is the program digest.
            for (i, d) in digest.iter().enumerate() {
                t.assert_zero(
                    odd.clone() * prog.clone() * (k(1) - next_block.clone()) * (out(i) - d.clone()),
                );
            }
        }
        {
            let mut l = builder.when_last_row();
            for (i, d) in digest.iter().enumerate() {
                l.assert_zero(prog.clone() * (out(i) - d.clone()));
            }
        }

        // Repr rows: H(REPR_DOMAIN, digest, f), a single-block sponge of length 6 (row A).
        let r = c(K_REPR);
        let ra = even.clone() * r.clone();
        builder.assert_zero(ra.clone() * (inp(0) - k(REPR_DOMAIN)));
        for (i, d) in digest.iter().enumerate() {
            builder.assert_zero(ra.clone() * (inp(1 + i) - d.clone()));
        }
        builder.assert_zero(ra.clone() * inp(6));
        builder.assert_zero(ra.clone() * inp(7));
        builder.assert_zero(ra.clone() * (inp(8) - k(6)));
        for i in 9..12 {
            builder.assert_zero(ra.clone() * inp(i));
        }
        // Row B of a repr permutation carries f.
        builder.assert_zero(ra * (n(FIDX) - inp(5)));
        // Multiplicities only on rows that provide something.
        builder.assert_zero((k(1) - c(K_INS) - r.clone()) * c(MULT));

        // Each repr row matches exactly one function block.
        builder.push_interaction(
            bus::FN_LINK,
            [inp(1), inp(2), inp(3), inp(4)],
            Count::bounded(even.clone() * c(K_FN), 1),
        );
        builder.push_interaction(
            bus::FN_LINK,
            [c(FIDX), c(ENT), c(AR), c(FRM)],
            Count::bounded(-(odd.clone() * r.clone()), 1),
        );
        // Tables provided to the CPU: instructions from row A, functions from row B.
        builder.push_interaction(
            bus::PROGRAM,
            [inp(1), inp(2), inp(3), inp(4)],
            Count::provided(-(even * c(K_INS) * c(MULT))),
        );
        builder.push_interaction(
            bus::CALL,
            [k(bus::TAG_FUNCTION), c(FIDX), out(0), c(ENT), c(AR), c(FRM)],
            Count::provided(-(odd * r * c(MULT))),
        );
    }
}

// The permutation constraints below follow `p3-poseidon2-air` 0.8.0 (`air.rs`, MIT/Apache-2.0),
// whose `eval` is crate-private and insists on owning the whole row; here the permutation is
// one part of a wider row.

/// The permutation of row A's input, gated by `gate` (1 on row A): row A's columns hold the
/// initial full rounds and the first partial rounds, `next` (row B) the rest.
fn eval_permutation<AB: AirBuilder<F = Val>>(
    constants: &RoundConstants<Val, P2_WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>,
    builder: &mut AB,
    gate: AB::Expr,
    inputs: &[AB::Expr],
    local: &[AB::Var],
    next: &[AB::Var],
) {
    let mut state: [AB::Expr; P2_WIDTH] = core::array::from_fn(|i| inputs[i].clone());
    Layers::external_linear_layer(&mut state);
    for round in 0..HALF_FULL_ROUNDS {
        let cols = &local[A_FULL + round * FULL_COLS..A_FULL + (round + 1) * FULL_COLS];
        let rc = &constants.beginning_full_round_constants()[round];
        eval_full_round(&mut state, cols, rc, builder, &gate);
    }
    for round in 0..PARTIAL_ROUNDS {
        let (row, at) = if round < A_PARTIAL {
            (local, A_PART + 2 * round)
        } else {
            (next, B_PART + 2 * (round - A_PARTIAL))
        };
        let rc = &constants.partial_round_constants()[round];
        eval_partial_round(&mut state, row[at], row[at + 1], rc, builder, &gate);
        if round + 1 == A_PARTIAL {
            // Row A commits the full state here; row B continues from those columns.
            for (i, s) in state.iter_mut().enumerate() {
                builder
                    .when(gate.clone())
                    .assert_eq(s.clone(), local[A_MID + i]);
                *s = local[A_MID + i].into();
            }
        }
    }
    for round in 0..HALF_FULL_ROUNDS {
        let cols = &next[B_FULL + round * FULL_COLS..B_FULL + (round + 1) * FULL_COLS];
        let rc = &constants.ending_full_round_constants()[round];
        eval_full_round(&mut state, cols, rc, builder, &gate);
    }
}

/// One full round: `cols` = 12 `x^3` registers, then the 12 post-round values.
fn eval_full_round<AB: AirBuilder<F = Val>>(
    state: &mut [AB::Expr; P2_WIDTH],
    cols: &[AB::Var],
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
