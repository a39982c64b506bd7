//! The compare chiplet: one row per `COMPARE`, proving `r = lt(a, b)` (0 iff a < b as
//! canonical integers).
//!
//! `a` and `b` are split into eight byte limbs (range-checked). Canonicity (`a < p`): with
//! `lo = Σ_{i<4} a_i·2^{8i}` and `hi = Σ_{i<4} a_{4+i}·2^{8i}`, `hi = 2^32 − 1` forces `lo = 0`. Then with
//! `(x, y, e) = r ? (a, b, 0) : (b, a, 1)` the chiplet proves `x − y − e = d ≥ 0` by a 32-bit
//! limb subtraction with one borrow, `d` in byte limbs. Every quantity is below 2^34, so
//! the field equations hold over the integers and a wrong `r` would need `d < 0`.

use super::{bus, Val};
use p3_air::{Air, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

/// Left operand.
pub const A: usize = 0;
/// Right operand.
pub const B: usize = 1;
/// Result `lt(a, b)`.
pub const R: usize = 2;
/// Byte limbs (little-endian) of a (8), b (8) and d (8).
pub const LIMBS: usize = 3;
/// Limbs per operand.
pub const NL: usize = 8;
/// Borrow of the low 32-bit subtraction.
pub const BORROW: usize = LIMBS + 3 * NL;
/// 1 iff a's high half is 2^32 − 1.
pub const ZA: usize = BORROW + 1;
/// Inverse of `a_hi − (2^32 − 1)` when it is non-zero.
pub const IA: usize = BORROW + 2;
/// 1 iff b's high half is 2^32 − 1.
pub const ZB: usize = BORROW + 3;
/// Inverse of `b_hi − (2^32 − 1)` when it is non-zero.
pub const IB: usize = BORROW + 4;
/// 1 on rows answering a `COMPARE`.
pub const REAL: usize = BORROW + 5;
/// Number of columns.
pub const WIDTH: usize = REAL + 1;

/// The compare AIR.
#[derive(Clone, Copy, Debug, Default)]
pub struct CompareAir;

impl BaseAir<Val> for CompareAir {
    fn width(&self) -> usize {
        WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB> Air<AB> for CompareAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local = main.current_slice();
        let c = |i: usize| -> AB::Expr { local[i].into() };
        let k = |v: u64| AB::Expr::from_u64(v);
        let one = AB::Expr::ONE;
        let l32 = k(1 << 32);
        let m32 = k(u32::MAX as u64);
        let limb = |x: usize, i: usize| c(LIMBS + NL * x + i);
        let word = |x: usize, off: usize| {
            (0..4).fold(AB::Expr::ZERO, |acc, i| {
                acc + limb(x, off + i) * k(1 << (8 * i))
            })
        };
        let lo = |x: usize| word(x, 0);
        let hi = |x: usize| word(x, 4);

        builder.assert_bool(c(R));
        builder.assert_bool(c(BORROW));
        builder.assert_bool(c(REAL));
        for (x, col, z, inv) in [(0, A, ZA, IA), (1, B, ZB, IB)] {
            builder.assert_eq(c(col), lo(x) + hi(x) * l32.clone());
            builder.assert_bool(c(z));
            builder.assert_zero(c(z) * (hi(x) - m32.clone()));
            builder
                .assert_zero((one.clone() - c(z)) * ((hi(x) - m32.clone()) * c(inv) - one.clone()));
            builder.assert_zero(c(z) * lo(x));
        }
        let r = c(R);
        let nr = one.clone() - r.clone();
        let x_lo = r.clone() * lo(0) + nr.clone() * lo(1);
        let y_lo = r.clone() * lo(1) + nr.clone() * lo(0);
        let x_hi = r.clone() * hi(0) + nr.clone() * hi(1);
        let y_hi = r * hi(1) + nr.clone() * hi(0);
        builder.assert_eq(x_lo - y_lo - nr, lo(2) - c(BORROW) * l32);
        builder.assert_eq(x_hi - y_hi - c(BORROW), hi(2));

        for i in 0..3 * NL {
            builder.push_interaction(bus::RANGE, [c(LIMBS + i)], 1);
        }
        builder.push_interaction(
            bus::CALL,
            [
                k(bus::TAG_COMPARE),
                c(A),
                c(B),
                c(R),
                AB::Expr::ZERO,
                AB::Expr::ZERO,
            ],
            Count::bounded(-c(REAL), 1),
        );
    }
}

/// Fills one row for `lt(a, b)` (canonical values); `real` marks a row answering a COMPARE.
pub fn fill_row(row: &mut [Val], a: u64, b: u64, real: bool) {
    let f = Val::from_u64;
    let r = a >= b;
    let d = if r { a - b } else { b - a - 1 };
    row[A] = f(a);
    row[B] = f(b);
    row[R] = f(r as u64);
    for (x, v) in [a, b, d].into_iter().enumerate() {
        for i in 0..NL {
            row[LIMBS + NL * x + i] = f((v >> (8 * i)) & 0xff);
        }
    }
    let (xl, yl) = if r {
        (a as u32, b as u32)
    } else {
        (b as u32, a as u32)
    };
    let borrow = (xl as u64) < (yl as u64) + (!r) as u64;
    row[BORROW] = f(borrow as u64);
    for (v, z, inv) in [(a, ZA, IA), (b, ZB, IB)] {
        let hi = v >> 32;
        if hi == u32::MAX as u64 {
            row[z] = Val::ONE;
            row[inv] = Val::ZERO;
        } else {
            row[z] = Val::ZERO;
            row[inv] = p3_field::Field::inverse(&(f(hi) - f(u32::MAX as u64)));
        }
    }
    row[REAL] = f(real as u64);
}
