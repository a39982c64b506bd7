//! The ROM table: the program image hashed inside the AIR, one Poseidon2 permutation per row.
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
use core::borrow::Borrow;
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::{Dup, PrimeCharacteristicRing};
use p3_goldilocks::{
    GenericPoseidon2LinearLayersGoldilocks as Layers, GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_FINAL,
    GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_INITIAL, GOLDILOCKS_POSEIDON2_RC_12_INTERNAL,
};
use p3_lookup::{Count, InteractionBuilder};
use p3_poseidon2::GenericPoseidon2LinearLayers;
use p3_poseidon2_air::{num_cols, FullRound, PartialRound, Poseidon2Cols, RoundConstants, SBox};
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
/// Columns of the embedded permutation (inputs first, output last).
pub const NUM_P2: usize =
    num_cols::<P2_WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>();
/// First output column of the permutation.
pub const OUT: usize = NUM_P2 - P2_WIDTH;
/// Row kind: header.
pub const K_HDR: usize = NUM_P2;
/// Row kind: function block.
pub const K_FN: usize = NUM_P2 + 1;
/// Row kind: instruction block.
pub const K_INS: usize = NUM_P2 + 2;
/// Row kind: repr computation.
pub const K_REPR: usize = NUM_P2 + 3;
/// Lookup multiplicity (instruction fetches or function-table uses).
pub const MULT: usize = NUM_P2 + 4;
/// Repr rows: the function's entry.
pub const ENT: usize = NUM_P2 + 5;
/// Repr rows: the function's arity.
pub const AR: usize = NUM_P2 + 6;
/// Repr rows: the function's frame size.
pub const FRM: usize = NUM_P2 + 7;
/// Number of columns.
pub const WIDTH: usize = NUM_P2 + 8;

/// Public values: the four digest elements.
pub const NUM_PUBLIC: usize = 4;

/// Domain separator of `repr` ("repr" in ASCII), as in `resvm_isa`.
pub const REPR_DOMAIN: u64 = 0x7265_7072;

type Cols<T> =
    Poseidon2Cols<T, P2_WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>;

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
        RomAir { constants: round_constants() }
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
        vec![8, 9, 10, 11, K_HDR, K_FN, K_INS]
    }
}

impl<AB> Air<AB> for RomAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let p2: &Cols<AB::Var> = local[..NUM_P2].borrow();
        eval_permutation(&self.constants, builder, p2);

        let c = |i: usize| -> AB::Expr { local[i].into() };
        let n = |i: usize| -> AB::Expr { next[i].into() };
        let k = |v: u64| AB::Expr::from_u64(v);
        let inp = |i: usize| c(i);
        let out = |i: usize| c(OUT + i);
        let pv = builder.public_values();
        let digest: [AB::Expr; 4] = core::array::from_fn(|i| pv[i].into());

        for f in [K_HDR, K_FN, K_INS, K_REPR] {
            builder.assert_bool(c(f));
        }
        let prog = c(K_HDR) + c(K_FN) + c(K_INS);
        builder.assert_bool(prog.clone() + c(K_REPR));

        // Header: first row only; it starts the sponge over 8·(1 + #functions + #instructions)
        // elements.
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
        builder.when_transition().assert_zero(n(K_HDR));

        // Function and instruction blocks: tags, zero lanes, contiguous chain after the header.
        for (flag, tag) in [(K_FN, TAG_FUNCTION), (K_INS, TAG_INSTRUCTION)] {
            builder.assert_zero(c(flag) * (inp(0) - k(tag)));
            for i in 5..8 {
                builder.assert_zero(c(flag) * inp(i));
            }
        }
        let next_block = n(K_FN) + n(K_INS);
        {
            let mut t = builder.when_transition();
            t.assert_zero(next_block.clone() * (k(1) - prog.clone()));
            for i in 8..12 {
                t.assert_zero(next_block.clone() * (n(i) - out(i)));
            }
            // End of the chain: the sponge output is the program digest.
            for (i, d) in digest.iter().enumerate() {
                t.assert_zero(prog.clone() * (k(1) - next_block.clone()) * (out(i) - d.clone()));
            }
        }
        {
            let mut l = builder.when_last_row();
            for (i, d) in digest.iter().enumerate() {
                l.assert_zero(prog.clone() * (out(i) - d.clone()));
            }
        }

        // Repr rows: H(REPR_DOMAIN, digest, f), a single-block sponge of length 6.
        let r = c(K_REPR);
        builder.assert_zero(r.clone() * (inp(0) - k(REPR_DOMAIN)));
        for (i, d) in digest.iter().enumerate() {
            builder.assert_zero(r.clone() * (inp(1 + i) - d.clone()));
        }
        builder.assert_zero(r.clone() * inp(6));
        builder.assert_zero(r.clone() * inp(7));
        builder.assert_zero(r.clone() * (inp(8) - k(6)));
        for i in 9..12 {
            builder.assert_zero(r.clone() * inp(i));
        }
        // Multiplicities only on rows that provide something.
        builder.assert_zero((k(1) - c(K_INS) - r.clone()) * c(MULT));

        // Each repr row matches exactly one function block.
        builder.push_interaction(
            bus::FN_LINK,
            [inp(1), inp(2), inp(3), inp(4)],
            Count::bounded(c(K_FN), 1),
        );
        builder.push_interaction(
            bus::FN_LINK,
            [inp(5), c(ENT), c(AR), c(FRM)],
            Count::bounded(-r.clone(), 1),
        );
        // Tables provided to the CPU.
        builder.push_interaction(
            bus::PROGRAM,
            [inp(1), inp(2), inp(3), inp(4)],
            Count::provided(-(c(K_INS) * c(MULT))),
        );
        builder.push_interaction(
            bus::CALL,
            [k(bus::TAG_FUNCTION), inp(5), out(0), c(ENT), c(AR), c(FRM)],
            Count::provided(-(r * c(MULT))),
        );
    }
}

// The permutation constraints below follow `p3-poseidon2-air` 0.8.0 (`air.rs`, MIT/Apache-2.0),
// whose `eval` is crate-private and insists on owning the whole row; here the permutation is
// one part of a wider row.

fn eval_permutation<AB: AirBuilder<F = Val>>(
    constants: &RoundConstants<Val, P2_WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>,
    builder: &mut AB,
    local: &Cols<AB::Var>,
) {
    let mut state: [AB::Expr; P2_WIDTH] = local.inputs.map(|x| x.into());
    Layers::external_linear_layer(&mut state);
    for round in 0..HALF_FULL_ROUNDS {
        eval_full_round(
            &mut state,
            &local.beginning_full_rounds[round],
            &constants.beginning_full_round_constants()[round],
            builder,
        );
    }
    for round in 0..PARTIAL_ROUNDS {
        eval_partial_round(
            &mut state,
            &local.partial_rounds[round],
            &constants.partial_round_constants()[round],
            builder,
        );
    }
    for round in 0..HALF_FULL_ROUNDS {
        eval_full_round(
            &mut state,
            &local.ending_full_rounds[round],
            &constants.ending_full_round_constants()[round],
            builder,
        );
    }
}

fn eval_full_round<AB: AirBuilder<F = Val>>(
    state: &mut [AB::Expr; P2_WIDTH],
    full_round: &FullRound<AB::Var, P2_WIDTH, SBOX_DEGREE, SBOX_REGISTERS>,
    round_constants: &[Val; P2_WIDTH],
    builder: &mut AB,
) {
    for (i, (s, r)) in state.iter_mut().zip(round_constants.iter()).enumerate() {
        *s += *r;
        eval_sbox(&full_round.sbox[i], s, builder);
    }
    Layers::external_linear_layer(state);
    for (state_i, post_i) in state.iter_mut().zip(full_round.post) {
        builder.assert_eq(state_i.clone(), post_i);
        *state_i = post_i.into();
    }
}

fn eval_partial_round<AB: AirBuilder<F = Val>>(
    state: &mut [AB::Expr; P2_WIDTH],
    partial_round: &PartialRound<AB::Var, SBOX_DEGREE, SBOX_REGISTERS>,
    round_constant: &Val,
    builder: &mut AB,
) {
    state[0] += *round_constant;
    eval_sbox(&partial_round.sbox, &mut state[0], builder);
    builder.assert_eq(state[0].dup(), partial_round.post_sbox);
    state[0] = partial_round.post_sbox.into();
    Layers::internal_linear_layer(state);
}

/// x ↦ x^7 with one committed register `x3 = x^3` (constraint degree 3).
fn eval_sbox<AB: AirBuilder<F = Val>>(
    sbox: &SBox<AB::Var, SBOX_DEGREE, SBOX_REGISTERS>,
    x: &mut AB::Expr,
    builder: &mut AB,
) {
    let committed_x3: AB::Expr = sbox.0[0].into();
    builder.assert_eq(committed_x3.dup(), x.cube());
    *x = committed_x3.square() * x.dup();
}
