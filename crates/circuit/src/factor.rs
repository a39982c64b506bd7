//! Stage 2: factoring every polynomial of the canonical form.

use resvm_poly::{FactorError, Factorization, Limits, Poly};
use std::cell::RefCell;
use std::collections::HashMap;

/// Factors polynomials with a cache (the same polynomial often appears in several places)
/// and the configured [`Limits`]; inputs beyond them stay unfactored.
#[derive(Debug, Default)]
pub struct Factorer {
    limits: Limits,
    cache: RefCell<HashMap<Poly, Result<Factorization, FactorError>>>,
}

impl Factorer {
    /// A factorer with the given limits.
    pub fn new(limits: Limits) -> Self {
        Factorer {
            limits,
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// The factorization of `p`, or why it was not factored.
    pub fn factor(&self, p: &Poly) -> Result<Factorization, FactorError> {
        if let Some(r) = self.cache.borrow().get(p) {
            return r.clone();
        }
        let r = p.factor_with(&self.limits);
        self.cache.borrow_mut().insert(p.clone(), r.clone());
        r
    }

    /// Prints `p` factored (`c * (f1)^e1 * ...`), or in canonical form followed by
    /// `  // not factored: <why>` when it is beyond the limits.
    pub fn print(&self, p: &Poly, names: &[&str]) -> String {
        match self.factor(p) {
            Ok(f) => f.to_string_with(names),
            Err(e) => format!("{}  // not factored: {e}", p.to_string_with(names)),
        }
    }
}
