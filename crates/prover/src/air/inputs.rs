//! The public-input table: row `j` holds public input `(index_j, value_j)`, fixed by periodic
//! columns that the verifier computes from its own public inputs; `INPUT i` looks up `(TAG_INPUT, i, x, 0, 0, 0)` on the `call` bus.
//! Rows beyond the public inputs must have multiplicity 0.

use super::{bus, Val};
use crate::{col, columns};
use core::borrow::Borrow;
use p3_air::{Air, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use std::borrow::Cow;

/// The columns of one row.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct InputsCols<T> {
    /// Input index.
    pub idx: T,
    /// Input value.
    pub value: T,
    /// How many `INPUT` instructions read it.
    pub mult: T,
}
columns!(InputsCols);

/// Input index.
pub const IDX: usize = col!(InputsCols, idx);
/// Input value.
pub const VALUE: usize = col!(InputsCols, value);
/// How many `INPUT` instructions read it.
pub const MULT: usize = col!(InputsCols, mult);
/// Number of columns.
pub const WIDTH: usize = InputsCols::<u8>::WIDTH;

/// The public-input AIR; it carries the public inputs (as periodic columns and as public
/// values, so the transcript binds them before any challenge).
#[derive(Clone, Debug)]
pub struct InputsAir {
    inputs: Vec<(u32, Val)>,
    /// Periodic columns `[selector, index, value]`, each of the table's full height.
    periodic: Vec<Vec<Val>>,
}

impl InputsAir {
    /// The AIR for these public inputs and a table of height `2^log_height`.
    pub fn new(inputs: &[(u32, Val)], log_height: usize) -> Self {
        let h = 1usize << log_height;
        // `zero_vec` allocates zeroed pages without writing them: the worst-case shape of
        // `config::security` (which every CLI verification prints) builds this AIR at the
        // largest height, where writing 3 × 2^22 zeros was most of `resvm verify`'s time.
        let mut sel = Val::zero_vec(h);
        let mut idx = Val::zero_vec(h);
        let mut val = Val::zero_vec(h);
        for (j, &(i, x)) in inputs.iter().enumerate().take(h) {
            sel[j] = Val::ONE;
            idx[j] = Val::from_u64(i as u64);
            val[j] = x;
        }
        InputsAir {
            inputs: inputs.to_vec(),
            periodic: vec![sel, idx, val],
        }
    }

    /// Log2 of the height needed for `n` public inputs.
    pub fn log_height_for(n: usize) -> usize {
        n.next_power_of_two()
            .trailing_zeros()
            .max(super::MIN_LOG_HEIGHT as u32) as usize
    }

    /// Public values: `index, value` per public input.
    pub fn public_values(inputs: &[(u32, Val)]) -> Vec<Val> {
        inputs
            .iter()
            .flat_map(|&(i, x)| [Val::from_u64(i as u64), x])
            .collect()
    }
}

impl BaseAir<Val> for InputsAir {
    fn width(&self) -> usize {
        WIDTH
    }
    fn num_public_values(&self) -> usize {
        2 * self.inputs.len()
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

impl<AB> Air<AB> for InputsAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local = main.current_slice();
        let p = builder.periodic_values();
        let (sel, idx, val): (AB::Expr, AB::Expr, AB::Expr) =
            (p[0].into(), p[1].into(), p[2].into());
        let l: &InputsCols<AB::Var> = (*local).borrow();
        let c = |v: AB::Var| -> AB::Expr { v.into() };
        builder.assert_zero(sel.clone() * (c(l.idx) - idx));
        builder.assert_zero(sel.clone() * (c(l.value) - val));
        builder.assert_zero((AB::Expr::ONE - sel) * c(l.mult));
        let z = || AB::Expr::ZERO;
        builder.push_interaction(
            bus::CALL,
            [
                AB::Expr::from_u64(bus::TAG_INPUT),
                c(l.idx),
                c(l.value),
                z(),
                z(),
                z(),
            ],
            Count::provided(-c(l.mult)),
        );
    }
}

/// The table for the public inputs `(index, value)` and the number of `INPUT` reads of each
/// parameter index (`uses`).
pub fn build(public_inputs: &[(u32, Val)], uses: &[u64]) -> p3_matrix::dense::RowMajorMatrix<Val> {
    let h = 1 << InputsAir::log_height_for(public_inputs.len());
    let mut t = Val::zero_vec(h * WIDTH);
    for (j, &(i, x)) in public_inputs.iter().enumerate() {
        t[j * WIDTH + IDX] = Val::from_u64(i as u64);
        t[j * WIDTH + VALUE] = x;
        t[j * WIDTH + MULT] = Val::from_u64(uses.get(i as usize).copied().unwrap_or(0));
    }
    p3_matrix::dense::RowMajorMatrix::new(t, WIDTH)
}
