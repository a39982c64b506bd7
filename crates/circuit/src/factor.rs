//! Stage 2: factoring every polynomial of the canonical form.

use resvm_poly::{FactorError, Factorization, Limits, SparsePoly};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// A factorization of a [`SparsePoly`]: the unit and the monic irreducible factors (in
/// [`resvm_poly::factor_order`]) with their multiplicities, over the original variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparseFactorization {
    /// The constant factor.
    pub unit: resvm_poly::F,
    /// Irreducible monic factors with multiplicities.
    pub factors: Vec<(SparsePoly, u32)>,
    /// The factorization over the compacted variables (the polynomial's support, in order),
    /// as [`resvm_poly::Poly::factor_with`] returned it; printing uses it.
    dense: Factorization,
    /// The support: variable `i` of `dense` is variable `vars[i]`.
    vars: Vec<u32>,
}

impl SparseFactorization {
    /// Prints like [`Factorization::to_string_with`], with variable `v` named `names[v]`.
    pub fn to_string_with(&self, names: &[&str]) -> String {
        let local: Vec<&str> = self
            .vars
            .iter()
            .map(|&v| names.get(v as usize).copied().unwrap_or("?"))
            .collect();
        self.dense.to_string_with(&local)
    }
}

/// Factors polynomials with a cache (the same polynomial often appears in several places)
/// and the configured [`Limits`]; inputs beyond them stay unfactored.
///
/// The limits are checked on the sparse form first (in the order
/// [`resvm_poly::Poly::factor_with`] checks them, with the same errors), so a polynomial
/// over thousands of atoms is refused without building its dense form.
///
/// The circuit stage factors only to find cheaper code, so it asks through
/// [`Factorer::factor_for_circuit`], which spends a deterministic work budget
/// ([`CIRCUIT_FACTOR_BUDGET`] units, a polynomial of total degree `d` over `v` variables with
/// `t` terms costing `d^2 * v + t`): a program with thousands of distinct factorable
/// polynomials compiles in bounded time, the later ones simply built unfactored. Printing
/// (`--emit factor`) always factors.
#[derive(Debug)]
pub struct Factorer {
    limits: Limits,
    cache: RefCell<HashMap<SparsePoly, Result<SparseFactorization, FactorError>>>,
    budget: Cell<u64>,
}

/// Work units the circuit stage may spend on factoring per compilation (see [`Factorer`]).
/// A unit is about 1-4 microseconds of factoring (release build), so the budget bounds
/// factoring at roughly a second.
pub const CIRCUIT_FACTOR_BUDGET: u64 = 1 << 18;

impl Default for Factorer {
    fn default() -> Self {
        Factorer::new(Limits::default())
    }
}

impl Factorer {
    /// A factorer with the given limits.
    pub fn new(limits: Limits) -> Self {
        Factorer {
            limits,
            cache: RefCell::new(HashMap::new()),
            budget: Cell::new(CIRCUIT_FACTOR_BUDGET),
        }
    }

    /// The factorization of `p` for code generation: cached results are free; a new one is
    /// computed only while the circuit factoring budget lasts (`None` once it is spent).
    pub fn factor_for_circuit(
        &self,
        p: &SparsePoly,
    ) -> Option<Result<SparseFactorization, FactorError>> {
        if let Some(r) = self.cache.borrow().get(p) {
            return Some(r.clone());
        }
        let d = p.total_degree().unwrap_or(0);
        let cost = d
            .saturating_mul(d)
            .saturating_mul(p.support().len() as u64)
            .saturating_add(p.num_terms() as u64);
        let left = self.budget.get();
        if cost > left {
            return None;
        }
        self.budget.set(left - cost);
        Some(self.factor(p))
    }

    /// The factorization of `p`, or why it was not factored.
    pub fn factor(&self, p: &SparsePoly) -> Result<SparseFactorization, FactorError> {
        if let Some(r) = self.cache.borrow().get(p) {
            return r.clone();
        }
        let r = self.factor_uncached(p);
        self.cache.borrow_mut().insert(p.clone(), r.clone());
        r
    }

    fn factor_uncached(&self, p: &SparsePoly) -> Result<SparseFactorization, FactorError> {
        let l = &self.limits;
        if p.num_terms() > l.max_terms {
            return Err(FactorError::TooLarge {
                what: "number of terms",
                value: p.num_terms() as u64,
                limit: l.max_terms as u64,
            });
        }
        let td = p.total_degree().unwrap_or(0);
        if td > l.max_total_degree {
            return Err(FactorError::TooLarge {
                what: "total degree",
                value: td,
                limit: l.max_total_degree,
            });
        }
        let nv = p.support().len();
        if nv > l.max_vars {
            return Err(FactorError::TooLarge {
                what: "number of variables",
                value: nv as u64,
                limit: l.max_vars as u64,
            });
        }
        let (dense, vars) = p.to_dense();
        let f = dense.factor_with(l)?;
        let factors = f
            .factors
            .iter()
            .map(|(q, e)| (SparsePoly::from_dense(q, &vars), *e))
            .collect();
        Ok(SparseFactorization {
            unit: f.unit,
            factors,
            dense: f,
            vars,
        })
    }

    /// Prints `p` factored (`c * (f1)^e1 * ...`), or in canonical form followed by
    /// `  // not factored: <why>` when it is beyond the limits.
    pub fn print(&self, p: &SparsePoly, names: &[&str]) -> String {
        match self.factor(p) {
            Ok(f) => f.to_string_with(names),
            Err(e) => format!("{}  // not factored: {e}", p.to_string_with(names)),
        }
    }
}
