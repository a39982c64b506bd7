//! The 8-bit range table: exactly 2^8 rows holding 0, 1, …, 255, each with a multiplicity.
//! A lookup of `(v)` on the range bus proves `v < 2^8`. (It used to be 2^16 rows, which set
//! a floor of seconds on every proof; wider quantities are now split into bytes.)

use super::{bus, Val};
use crate::{col, columns};
use core::borrow::Borrow;
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

/// The columns of one row.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct RangeCols<T> {
    /// The value.
    pub value: T,
    /// How many lookups it answers.
    pub mult: T,
}
columns!(RangeCols);

/// The value.
pub const VALUE: usize = col!(RangeCols, value);
/// How many lookups it answers.
pub const MULT: usize = col!(RangeCols, mult);
/// Number of columns.
pub const WIDTH: usize = RangeCols::<u8>::WIDTH;
/// Log2 of the table height.
pub const LOG_HEIGHT: usize = 8;
/// Bits per range-checked limb.
pub const BITS: usize = LOG_HEIGHT;

/// The range AIR.
#[derive(Clone, Copy, Debug, Default)]
pub struct RangeAir;

impl BaseAir<Val> for RangeAir {
    fn width(&self) -> usize {
        WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![VALUE]
    }
}

impl<AB> Air<AB> for RangeAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let l: &RangeCols<AB::Var> = (*local).borrow();
        let nx: &RangeCols<AB::Var> = (*next).borrow();
        let v: AB::Expr = l.value.into();
        let v_next: AB::Expr = nx.value.into();
        builder.when_first_row().assert_zero(v.clone());
        builder
            .when_transition()
            .assert_eq(v_next, v.clone() + AB::Expr::ONE);
        // Pins the height to exactly 2^8 whatever the proof claims.
        builder
            .when_last_row()
            .assert_eq(v.clone(), AB::Expr::from_u64((1 << LOG_HEIGHT) - 1));
        builder.push_interaction(bus::RANGE, [v], Count::provided(-l.mult.into()));
    }
}

/// The table with the given multiplicity per value.
pub fn build(mult: &[u64]) -> p3_matrix::dense::RowMajorMatrix<Val> {
    let mut t = Val::zero_vec((1 << LOG_HEIGHT) * WIDTH);
    for (v, m) in mult.iter().enumerate().take(1 << LOG_HEIGHT) {
        t[v * WIDTH + VALUE] = Val::from_u64(v as u64);
        t[v * WIDTH + MULT] = Val::from_u64(*m);
    }
    p3_matrix::dense::RowMajorMatrix::new(t, WIDTH)
}
