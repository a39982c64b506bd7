//! The memory table: every access of the CPU, sorted by `(addr, ts)`.
//!
//! The CPU sends `(ts, addr, value, is_write)` for each access; this table receives the same
//! multiset (a permutation argument), so it holds exactly the CPU's accesses. Sortedness is
//! proven with range-checked differences: between blocks of one address `addr' - addr - 1`,
//! inside a block `ts' - ts - 1`, each in `[0, 2^32)` as four range-checked bytes. Since every
//! genuine `ts` is `< 2^26` and a table has `< 2^32` rows, the sums never wrap mod p, so each
//! address is one contiguous block in time order. Then a read must return the previous value
//! of its block, and the first access of a block, if a read, returns 0 (memory starts zeroed).

use super::{bus, Val};
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

/// Address.
pub const ADDR: usize = 0;
/// Time stamp `4·clk + slot`.
pub const TS: usize = 1;
/// Value read or written.
pub const VAL: usize = 2;
/// 1 for a write, 0 for a read.
pub const W: usize = 3;
/// 1 on rows that hold an access (they come first), 0 on padding.
pub const REAL: usize = 4;
/// 1 when this row has the same address as the previous row.
pub const SAME: usize = 5;
/// First of the four little-endian bytes of the difference to the previous row.
pub const D: usize = 6;
/// Bytes of the difference.
pub const D_LIMBS: usize = 4;
/// `same · (1 − w)`: a read that continues its address's block (keeps degree 2).
pub const SR: usize = D + D_LIMBS;
/// `(1 − w) · val`: the value if the row is a read, else 0 (keeps degree 2).
pub const RV: usize = SR + 1;
/// Number of columns.
pub const WIDTH: usize = RV + 1;

/// The memory AIR.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryAir;

impl BaseAir<Val> for MemoryAir {
    fn width(&self) -> usize {
        WIDTH
    }
}

impl<AB> Air<AB> for MemoryAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let c = |i: usize| -> AB::Expr { local[i].into() };
        let n = |i: usize| -> AB::Expr { next[i].into() };
        let one = AB::Expr::ONE;

        builder.assert_bool(c(W));
        builder.assert_bool(c(REAL));
        builder.assert_bool(c(SAME));
        builder.assert_eq(c(SR), c(SAME) * (one.clone() - c(W)));
        builder.assert_eq(c(RV), (one.clone() - c(W)) * c(VAL));
        // Padding rows never continue a block.
        builder.assert_zero((one.clone() - c(REAL)) * c(SAME));
        {
            let mut b = builder.when_first_row();
            b.assert_zero(c(SAME));
            // Fresh memory reads as zero.
            b.assert_zero(c(RV));
        }
        let mut t = builder.when_transition();
        // Real rows form a prefix.
        t.assert_zero(n(REAL) * (one.clone() - c(REAL)));
        t.assert_zero(n(SAME) * (n(ADDR) - c(ADDR)));
        // Sorted: the difference to the previous row is in [0, 2^32) via four bytes. Padding
        // rows take part too (their addresses keep counting up by one), which keeps this at
        // degree 2.
        let diff = n(SAME) * (n(TS) - c(TS) - one.clone())
            + (one.clone() - n(SAME)) * (n(ADDR) - c(ADDR) - one.clone());
        let bytes = (0..D_LIMBS)
            .map(|i| n(D + i) * AB::Expr::from_u64(1 << (8 * i)))
            .fold(AB::Expr::ZERO, |a, b| a + b);
        t.assert_eq(diff, bytes);
        // A read returns the block's previous value; a block's first read returns 0:
        // (1 − same')(1 − w')·val' = rv' − sr'·val'.
        t.assert_zero(n(SR) * (n(VAL) - c(VAL)));
        t.assert_zero(n(RV) - n(SR) * n(VAL));

        for i in 0..D_LIMBS {
            builder.push_interaction(bus::RANGE, [c(D + i)], 1);
        }
        builder.push_interaction(
            bus::MEMORY,
            [c(TS), c(ADDR), c(VAL), c(W)],
            Count::bounded(-c(REAL), 1),
        );
    }
}
