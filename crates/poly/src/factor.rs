//! Factorization driver. (Placeholder: only monomial content is split off so far.)

use crate::{FactorError, Factorization, Limits, Poly};

pub(crate) fn factor(f: &Poly, _limits: &Limits) -> Result<Factorization, FactorError> {
    let (lc, m) = f.make_monic();
    if m.as_constant().is_some() {
        return Ok(Factorization { unit: lc, factors: vec![] });
    }
    Ok(Factorization { unit: lc, factors: vec![(m, 1)] })
}
