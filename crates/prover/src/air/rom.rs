//! The ROM table: the program image as sponge blocks, one row per Poseidon2 permutation,
//! each permutation proven by the hash chiplet ([`super::hash`]) through the `hash` bus.
//!
//! The program encoding (`resvm_isa::Program::encoding`, version 3) is a sequence of 8-element
//! sponge blocks: a header `[version, #functions, #instructions, main, kind, 0…]`, one block
//! `[TAG_FUNCTION, f, entry, arity, frame, 0…]` per function and one block
//! `[TAG_INSTRUCTION, pc, opcode, a, b, 0…]` per instruction. Rows:
//!
//! * row 0 is the header; it starts the sponge (capacity `[8·#blocks, 0, 0, 0]`);
//! * function and instruction rows follow contiguously, each absorbing its block into the
//!   previous row's output capacity; where that chain ends, the output's first four elements
//!   must equal the public program digest. By collision resistance the chain *is* the program.
//! * instruction rows provide `(pc, opcode, a, b)` on the program bus;
//! * repr rows compute `repr(f) = H(0x72657072, digest, f)[0]` (one permutation of a 6-element
//!   input) and provide `(TAG_FUNCTION, f, repr, entry, arity, frame)` on the `call` bus; a
//!   permutation bus pairs every repr row with exactly one function block, so repr rows exist
//!   for the program's functions only, with their real entries.
//! * every row of those kinds sends its permutation `(input, output[0..4], output[8..12])` to
//!   the hash chiplet; the remaining rows are zero padding with no role.

use super::{bus, Val};
use crate::{col, columns};
use core::borrow::{Borrow, BorrowMut};
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use resvm_field::WIDTH as P2_WIDTH;
use resvm_isa::{Program, ENCODING_VERSION, TAG_FUNCTION, TAG_INSTRUCTION};

/// Public values: the four digest elements.
pub const NUM_PUBLIC: usize = 4;

/// Domain separator of `repr` ("repr" in ASCII), as in `resvm_isa`.
pub const REPR_DOMAIN: u64 = 0x7265_7072;

/// The columns of one ROM row.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct RomCols<T> {
    /// Row kind: header.
    pub k_hdr: T,
    /// Row kind: function block.
    pub k_fn: T,
    /// Row kind: instruction block.
    pub k_ins: T,
    /// Row kind: repr computation.
    pub k_repr: T,
    /// The permutation input: the block (8 lanes) and the capacity (4).
    pub inp: [T; P2_WIDTH],
    /// Output lanes 0..4 (the digest after the last block, `repr` on repr rows).
    pub out: [T; 4],
    /// Output lanes 8..12 (the capacity the next block absorbs into).
    pub cap: [T; 4],
    /// Lookup multiplicity (instruction fetches, function-table uses).
    pub mult: T,
    /// Repr rows: the function's entry.
    pub ent: T,
    /// Repr rows: the function's arity.
    pub ar: T,
    /// Repr rows: the function's frame size.
    pub frm: T,
    /// `prog · (1 − next_block)`: 1 where the program sponge ends (keeps degree 2).
    pub end: T,
}
columns!(RomCols);

/// First input column.
pub const INP: usize = col!(RomCols, inp);
/// First output column.
pub const OUT: usize = col!(RomCols, out);
/// Column of the instruction kind flag.
pub const K_INS: usize = col!(RomCols, k_ins);
/// Column of the multiplicity.
pub const MULT: usize = col!(RomCols, mult);
/// Number of columns.
pub const WIDTH: usize = RomCols::<u8>::WIDTH;

/// The ROM AIR.
#[derive(Clone, Copy, Debug, Default)]
pub struct RomAir;

impl BaseAir<Val> for RomAir {
    fn width(&self) -> usize {
        WIDTH
    }
    fn num_public_values(&self) -> usize {
        NUM_PUBLIC
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        [col!(RomCols, k_hdr), col!(RomCols, k_fn), K_INS]
            .into_iter()
            .chain(INP + 8..INP + 12)
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
        let l: &RomCols<AB::Var> = (*local).borrow();
        let nx: &RomCols<AB::Var> = (*next).borrow();
        let x = |v: AB::Var| -> AB::Expr { v.into() };
        let k = |v: u64| AB::Expr::from_u64(v);
        let inp = |i: usize| x(l.inp[i]);
        let pv = builder.public_values();
        let digest: [AB::Expr; 4] = core::array::from_fn(|i| pv[i].into());

        for f in [l.k_hdr, l.k_fn, l.k_ins, l.k_repr] {
            builder.assert_bool(x(f));
        }
        let prog = x(l.k_hdr) + x(l.k_fn) + x(l.k_ins);
        builder.assert_bool(prog.clone() + x(l.k_repr));

        // Header: first row only; it starts the sponge over 8·(1 + #functions +
        // #instructions) elements.
        {
            let mut b = builder.when_first_row();
            b.assert_one(x(l.k_hdr));
            b.assert_eq(inp(0), k(ENCODING_VERSION));
            // Lane 4 is the image kind (0 resvm, 1 Brainfuck): left to the digest, which the
            // verifier computes from its own image.
            for i in 5..8 {
                b.assert_zero(inp(i));
            }
            b.assert_eq(inp(8), (k(1) + inp(1) + inp(2)) * k(8));
            for i in 9..12 {
                b.assert_zero(inp(i));
            }
        }
        builder.when_transition().assert_zero(x(nx.k_hdr));

        // Function and instruction blocks: tags and zero lanes.
        for (flag, tag) in [(l.k_fn, TAG_FUNCTION), (l.k_ins, TAG_INSTRUCTION)] {
            builder.assert_zero(x(flag) * (inp(0) - k(tag)));
            for i in 5..8 {
                builder.assert_zero(x(flag) * inp(i));
            }
        }
        let next_block = x(nx.k_fn) + x(nx.k_ins);
        {
            let mut t = builder.when_transition();
            // A function/instruction block follows a program block, contiguously...
            t.assert_zero(next_block.clone() * (k(1) - prog.clone()));
            // ...and absorbs into its capacity.
            for i in 0..4 {
                t.assert_zero(next_block.clone() * (x(nx.inp[8 + i]) - x(l.cap[i])));
            }
            // End of the chain: the sponge output is the program digest.
            t.assert_eq(x(l.end), prog.clone() * (k(1) - next_block));
        }
        for (i, d) in digest.iter().enumerate() {
            builder
                .when_transition()
                .assert_zero(x(l.end) * (x(l.out[i]) - d.clone()));
            builder
                .when_last_row()
                .assert_zero(prog.clone() * (x(l.out[i]) - d.clone()));
        }

        // Repr rows: H(REPR_DOMAIN, digest, f), a single-block sponge of length 6.
        let r = x(l.k_repr);
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
        builder.assert_zero((k(1) - x(l.k_ins) - r.clone()) * x(l.mult));

        // Each repr row matches exactly one function block.
        builder.push_interaction(
            bus::FN_LINK,
            [inp(1), inp(2), inp(3), inp(4)],
            Count::bounded(x(l.k_fn), 1),
        );
        builder.push_interaction(
            bus::FN_LINK,
            [inp(5), x(l.ent), x(l.ar), x(l.frm)],
            Count::bounded(-r.clone(), 1),
        );
        // Tables provided to the CPU.
        builder.push_interaction(
            bus::PROGRAM,
            [inp(1), inp(2), inp(3), inp(4)],
            Count::provided(-(x(l.k_ins) * x(l.mult))),
        );
        builder.push_interaction(
            bus::CALL,
            [
                k(bus::TAG_FUNCTION),
                inp(5),
                x(l.out[0]),
                x(l.ent),
                x(l.ar),
                x(l.frm),
            ],
            Count::provided(-(r.clone() * x(l.mult))),
        );
        // Every real row's permutation is proven by the hash chiplet.
        builder.push_interaction(
            bus::HASH,
            hash_message(&l.inp, &l.out, &l.cap).map(x),
            Count::bounded(prog + r, 1),
        );
    }
}

/// The payload of a `hash`-bus message: `(input[12], output[0..4], output[8..12])`.
pub fn hash_message<T: Copy>(inp: &[T; P2_WIDTH], out: &[T; 4], cap: &[T; 4]) -> [T; P2_WIDTH + 8] {
    core::array::from_fn(|i| match i {
        0..=11 => inp[i],
        12..=15 => out[i - 12],
        _ => cap[i - 16],
    })
}

/// Builds the ROM of `program` with the given fetch counts per pc and uses per function;
/// returns the table and the permutation inputs it asks the hash chiplet for.
pub fn build(
    program: &Program,
    fetch: &[u64],
    fn_uses: &[u64],
) -> (RowMajorMatrix<Val>, Vec<[Val; P2_WIDTH]>) {
    let enc = program.encoding();
    let nblocks = enc.len() / 8;
    let funcs = program.functions();
    let nf = funcs.len();
    let h = super::padded_height(nblocks + nf);
    let mut perms: Vec<[Val; P2_WIDTH]> = Vec::with_capacity(nblocks + nf);
    let mut t = Val::zero_vec(h * WIDTH);
    let u = |v: u64| Val::from_u64(v);
    let mut state = [Val::ZERO; P2_WIDTH];
    state[8] = u(enc.len() as u64);
    let d = program.digest().elements();
    let mut rows = t.chunks_exact_mut(WIDTH);
    for p in 0..nblocks + nf {
        let row: &mut RomCols<Val> = rows.next().expect("height covers every block").borrow_mut();
        if p < nblocks {
            state[..8].copy_from_slice(&enc[8 * p..8 * p + 8]);
        } else {
            let f = p - nblocks;
            state = [Val::ZERO; P2_WIDTH];
            state[0] = u(REPR_DOMAIN);
            state[1..5].copy_from_slice(&d);
            state[5] = u(f as u64);
            state[8] = u(6);
        }
        row.inp = state;
        perms.push(state);
        let mut o = state;
        resvm_field::permute(&mut o);
        row.out.copy_from_slice(&o[..4]);
        row.cap.copy_from_slice(&o[8..]);
        if p == 0 {
            row.k_hdr = Val::ONE;
        } else if p <= nf {
            row.k_fn = Val::ONE;
        } else if p < nblocks {
            row.k_ins = Val::ONE;
            row.mult = u(fetch[p - 1 - nf]);
        } else {
            let f = p - nblocks;
            row.k_repr = Val::ONE;
            row.ent = u(funcs[f].entry as u64);
            row.ar = u(funcs[f].arity as u64);
            row.frm = u(funcs[f].frame as u64);
            row.mult = u(fn_uses[f]);
        }
        if p + 1 == nblocks {
            row.end = Val::ONE;
        }
        if p < nblocks {
            state = o;
        }
    }
    (RowMajorMatrix::new(t, WIDTH), perms)
}
