//! The memory table: every access of the CPU, sorted by `(addr, ts)`, two accesses per row.
//!
//! The CPU sends `(ts, addr, value, is_write)` for each access; this table receives the same
//! multiset (a permutation argument), so it holds exactly the CPU's accesses. Row `i` holds
//! accesses `2i` (slot 0) and `2i + 1` (slot 1) of the sorted sequence; every access is
//! compared with its predecessor (slot k with slot k − 1 of its row, slot 0 with the last slot
//! of the previous row). Sortedness is proven with range-checked differences: between blocks of one
//! address `addr − addr_prev − 1`, inside a block `ts − ts_prev − 1`, each in `[0, 2^32)` as
//! four range-checked bytes. Since every genuine `ts` is `< 2^28` and a table has `< 2^28`
//! accesses, the sums never wrap mod p, so each address is one contiguous block in time order.
//! Then a read must return the previous value of its block, and the first access of a block,
//! if a read, returns 0 (memory starts zeroed).
//!
//! Two accesses per row instead of one halve the rows: the columns per access are the same,
//! but the quotient and the hiding codewords are paid per row. (`SLOTS` is a parameter of the
//! layout: 4 per row measured no faster at 2^16 cycles and made proofs ~9 % larger.)

use super::{bus, Val};
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

/// Accesses per row.
pub const SLOTS: usize = 2;
/// Columns per access; slot `k`'s column `X` is `k * STRIDE + X`.
pub const STRIDE: usize = RV + 1;

/// Address.
pub const ADDR: usize = 0;
/// Time stamp `4·clk + slot`.
pub const TS: usize = 1;
/// Value read or written.
pub const VAL: usize = 2;
/// 1 for a write, 0 for a read.
pub const W: usize = 3;
/// 1 on accesses (they come first, in sorted order), 0 on padding.
pub const REAL: usize = 4;
/// 1 when this access has the same address as its predecessor.
pub const SAME: usize = 5;
/// First of the four little-endian bytes of the difference to the predecessor.
pub const D: usize = 6;
/// Bytes of the difference.
pub const D_LIMBS: usize = 4;
/// `same · (1 − w)`: a read that continues its address's block (keeps degree 2).
pub const SR: usize = D + D_LIMBS;
/// `(1 − w) · val`: the value if the access is a read, else 0 (keeps degree 2).
pub const RV: usize = SR + 1;
/// Number of columns.
pub const WIDTH: usize = SLOTS * STRIDE;

/// The memory AIR.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryAir;

impl BaseAir<Val> for MemoryAir {
    fn width(&self) -> usize {
        WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        // Slot 0 of the next row is compared with the last slot of this one.
        vec![ADDR, TS, VAL, REAL, SAME, D, D + 1, D + 2, D + 3, SR, RV]
    }
}

impl<AB> Air<AB> for MemoryAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let c = |k: usize, i: usize| -> AB::Expr { local[k * STRIDE + i].into() };
        let n0 = |i: usize| -> AB::Expr { next[i].into() };
        let one = AB::Expr::ONE;

        for k in 0..SLOTS {
            builder.assert_bool(c(k, W));
            builder.assert_bool(c(k, REAL));
            builder.assert_bool(c(k, SAME));
            builder.assert_eq(c(k, SR), c(k, SAME) * (one.clone() - c(k, W)));
            builder.assert_eq(c(k, RV), (one.clone() - c(k, W)) * c(k, VAL));
            // Padding never continues a block.
            builder.assert_zero((one.clone() - c(k, REAL)) * c(k, SAME));
        }
        {
            // The very first access has no predecessor; fresh memory reads as zero.
            let mut b = builder.when_first_row();
            b.assert_zero(c(0, SAME));
            b.assert_zero(c(0, RV));
        }

        // `cur` follows `prev` in the sorted sequence (all expressions of degree ≤ 2):
        // real accesses form a prefix, a continued block keeps its address, the difference is
        // the four bytes (padding takes part: its addresses keep counting up by one), a
        // continued read returns the previous value and a block's first read returns 0.
        let step = |prev: [AB::Expr; 4], cur: [AB::Expr; 11]| -> Vec<AB::Expr> {
            let [p_addr, p_ts, p_val, p_real] = prev;
            let [addr, ts, val, real, same, d0, d1, d2, d3, sr, rv] = cur;
            let diff = same.clone() * (ts - p_ts - one.clone())
                + (one.clone() - same.clone()) * (addr.clone() - p_addr.clone() - one.clone());
            let bytes = d0
                + d1 * AB::Expr::from_u64(1 << 8)
                + d2 * AB::Expr::from_u64(1 << 16)
                + d3 * AB::Expr::from_u64(1 << 24);
            vec![
                real * (one.clone() - p_real),
                same * (addr - p_addr),
                diff - bytes,
                sr.clone() * (val.clone() - p_val),
                rv - sr * val,
            ]
        };
        let cur = |k: usize| -> [AB::Expr; 11] {
            [ADDR, TS, VAL, REAL, SAME, D, D + 1, D + 2, D + 3, SR, RV].map(|i| c(k, i))
        };
        let prev = |k: usize| [c(k, ADDR), c(k, TS), c(k, VAL), c(k, REAL)];
        // Slot k after slot k − 1 of the same row.
        for k in 1..SLOTS {
            for e in step(prev(k - 1), cur(k)) {
                builder.assert_zero(e);
            }
        }
        // Slot 0 of the next row after the last slot of this one.
        let next0 = [ADDR, TS, VAL, REAL, SAME, D, D + 1, D + 2, D + 3, SR, RV].map(n0);
        {
            let mut t = builder.when_transition();
            for e in step(prev(SLOTS - 1), next0) {
                t.assert_zero(e);
            }
        }

        for k in 0..SLOTS {
            for i in 0..D_LIMBS {
                builder.push_interaction(bus::RANGE, [c(k, D + i)], 1);
            }
            builder.push_interaction(
                bus::MEMORY,
                [c(k, TS), c(k, ADDR), c(k, VAL), c(k, W)],
                Count::bounded(-c(k, REAL), 1),
            );
        }
    }
}
