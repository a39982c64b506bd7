//! The compare chiplet: one row per `COMPARE`, proving `r = lt(a, b)` (0 iff a < b as
//! canonical integers).
//!
//! `a` and `b` are split into eight byte limbs (range-checked). Canonicity (`a < p`): with
//! `lo = Σ_{i<4} a_i·2^{8i}` and `hi = Σ_{i<4} a_{4+i}·2^{8i}`, `hi = 2^32 − 1` forces `lo = 0`. Then with
//! `(x, y, e) = r ? (a, b, 0) : (b, a, 1)` the chiplet proves `x − y − e = d ≥ 0` by a 32-bit
//! limb subtraction with one borrow, `d` in byte limbs. Every quantity is below 2^34, so
//! the field equations hold over the integers and a wrong `r` would need `d < 0`.

use super::{bus, Val};
use crate::{col, columns};
use core::borrow::Borrow;
use p3_air::{Air, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

/// Limbs per operand.
pub const NL: usize = 8;

/// The columns of one compare row.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct CompareCols<T> {
    /// Left operand.
    pub a: T,
    /// Right operand.
    pub b: T,
    /// Result `lt(a, b)`.
    pub r: T,
    /// Byte limbs (little-endian) of a (8), b (8) and d (8).
    pub limbs: [T; 3 * NL],
    /// Borrow of the low 32-bit subtraction.
    pub borrow: T,
    /// 1 iff a's high half is 2^32 − 1.
    pub za: T,
    /// Inverse of `a_hi − (2^32 − 1)` when it is non-zero.
    pub ia: T,
    /// 1 iff b's high half is 2^32 − 1.
    pub zb: T,
    /// Inverse of `b_hi − (2^32 − 1)` when it is non-zero.
    pub ib: T,
    /// 1 on rows answering a `COMPARE`.
    pub real: T,
}
columns!(CompareCols);

/// Left operand.
pub const A: usize = col!(CompareCols, a);
/// Right operand.
pub const B: usize = col!(CompareCols, b);
/// Result `lt(a, b)`.
pub const R: usize = col!(CompareCols, r);
/// First byte limb.
pub const LIMBS: usize = col!(CompareCols, limbs);
/// Borrow.
pub const BORROW: usize = col!(CompareCols, borrow);
/// `za`.
pub const ZA: usize = col!(CompareCols, za);
/// `ia`.
pub const IA: usize = col!(CompareCols, ia);
/// `zb`.
pub const ZB: usize = col!(CompareCols, zb);
/// `ib`.
pub const IB: usize = col!(CompareCols, ib);
/// Real-row flag.
pub const REAL: usize = col!(CompareCols, real);
/// Number of columns.
pub const WIDTH: usize = CompareCols::<u8>::WIDTH;

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
        let l: &CompareCols<AB::Var> = (*local).borrow();
        let c = |v: AB::Var| -> AB::Expr { v.into() };
        let k = |v: u64| AB::Expr::from_u64(v);
        let one = AB::Expr::ONE;
        let l32 = k(1 << 32);
        let m32 = k(u32::MAX as u64);
        let limb = |x: usize, i: usize| c(l.limbs[NL * x + i]);
        let word = |x: usize, off: usize| {
            (0..4).fold(AB::Expr::ZERO, |acc, i| {
                acc + limb(x, off + i) * k(1 << (8 * i))
            })
        };
        let lo = |x: usize| word(x, 0);
        let hi = |x: usize| word(x, 4);

        builder.assert_bool(c(l.r));
        builder.assert_bool(c(l.borrow));
        builder.assert_bool(c(l.real));
        for (x, col, z, inv) in [(0, l.a, l.za, l.ia), (1, l.b, l.zb, l.ib)] {
            builder.assert_eq(c(col), lo(x) + hi(x) * l32.clone());
            builder.assert_bool(c(z));
            builder.assert_zero(c(z) * (hi(x) - m32.clone()));
            builder
                .assert_zero((one.clone() - c(z)) * ((hi(x) - m32.clone()) * c(inv) - one.clone()));
            builder.assert_zero(c(z) * lo(x));
        }
        let r = c(l.r);
        let nr = one.clone() - r.clone();
        let x_lo = r.clone() * lo(0) + nr.clone() * lo(1);
        let y_lo = r.clone() * lo(1) + nr.clone() * lo(0);
        let x_hi = r.clone() * hi(0) + nr.clone() * hi(1);
        let y_hi = r * hi(1) + nr.clone() * hi(0);
        builder.assert_eq(x_lo - y_lo - nr, lo(2) - c(l.borrow) * l32);
        builder.assert_eq(x_hi - y_hi - c(l.borrow), hi(2));

        for i in 0..3 * NL {
            builder.push_interaction(bus::RANGE, [c(l.limbs[i])], 1);
        }
        builder.push_interaction(
            bus::CALL,
            [
                k(bus::TAG_COMPARE),
                c(l.a),
                c(l.b),
                c(l.r),
                AB::Expr::ZERO,
                AB::Expr::ZERO,
            ],
            Count::bounded(-c(l.real), 1),
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

/// Builds the chiplet for the `(a, b)` of every executed `COMPARE` (canonical values), with
/// `height` rows, counting its byte lookups into `range`.
pub fn build(compares: &[(u64, u64)], height: usize, range: &mut [u64]) -> RowMajorMatrix<Val> {
    use p3_field::PrimeField64;
    let mut t = Val::zero_vec(height * WIDTH);
    for (i, row) in t.chunks_exact_mut(WIDTH).enumerate() {
        let (a, b, real) = compares
            .get(i)
            .map_or((0, 0, false), |&(a, b)| (a, b, true));
        fill_row(row, a, b, real);
        for l in 0..3 * NL {
            range[row[LIMBS + l].as_canonical_u64() as usize] += 1;
        }
    }
    RowMajorMatrix::new(t, WIDTH)
}
