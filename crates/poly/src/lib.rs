//! Sparse multivariate polynomials over the Goldilocks field and their factorization into
//! irreducibles over F_p (p = 2^64 − 2^32 + 1).
//!
//! * [`Poly`]: canonical sparse polynomials (descending deglex order), arithmetic, and
//!   printing that matches FLINT's `fmpz_mod_mpoly` (python-flint `str()` with ordering
//!   `deglex`).
//! * [`Poly::factor`] / [`Poly::factor_with`]: a complete factorization into irreducible
//!   factors: content removal, square-free decomposition (Yun), univariate
//!   Cantor–Zassenhaus, bivariate Hensel lifting with factor recombination, and
//!   multivariate (Wang-style) Hensel lifting with leading-coefficient correction. Every
//!   result is checked by multiplying back.
//! * [`SparsePoly`]: the same canonical form with sparse monomials, for polynomials over
//!   many variables of which each term mentions few (the compiler's regions).
//! * [`bench`](mod@bench): a fixed benchmark set and timing helper.
//!
//! Algorithms follow von zur Gathen & Gerhard, *Modern Computer Algebra* (univariate
//! factoring, Hensel lifting) and Geddes, Czapor & Labahn, *Algorithms for Computer
//! Algebra* ch. 6 (multivariate Hensel lifting and diophantine solving).

// Numeric kernels index several parallel arrays (exponents, degrees, evaluation points) by
// one variable index; iterator rewrites would obscure them. `is_multiple_of` needs Rust 1.87,
// above the workspace's rust-version.
#![allow(clippy::needless_range_loop, clippy::manual_is_multiple_of)]

pub mod bench;
mod factor;
mod gcd;
mod poly;
mod rng;
pub mod sparse;
mod uni;

pub use poly::{cmp_deglex, Poly, MAX_PRODUCT_PAIRS};
pub use resvm_field::F;
pub use sparse::SparsePoly;

use p3_field::{PrimeCharacteristicRing, PrimeField64};
use std::cmp::Ordering;

/// Resource limits for [`Poly::factor_with`]. Inputs beyond them are refused with
/// [`FactorError::TooLarge`] instead of running for a long time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted total degree of the input.
    pub max_total_degree: u64,
    /// Largest accepted number of terms of the input.
    pub max_terms: usize,
    /// Largest accepted number of variables that actually occur in the input.
    pub max_vars: usize,
    /// Largest number of factor subsets tried during recombination (bounds the
    /// exponential worst case of recombination).
    pub max_subsets: u64,
    /// How many times a failed evaluation point (an "unlucky" reduction) is retried with a
    /// fresh random point before giving up with [`FactorError::Unlucky`].
    pub max_retries: u32,
    /// Largest number of terms any intermediate polynomial may reach during lifting.
    pub max_intermediate_terms: usize,
}

impl Default for Limits {
    /// Degree 64, 2000 terms, 8 variables, 2^16 recombination subsets, 8 retries,
    /// 200 000 intermediate terms.
    fn default() -> Self {
        Limits {
            max_total_degree: 64,
            max_terms: 2000,
            max_vars: 8,
            max_subsets: 1 << 16,
            max_retries: 8,
            max_intermediate_terms: 200_000,
        }
    }
}

/// Why [`Poly::factor_with`] refused or gave up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FactorError {
    /// The input (or an intermediate result) exceeds a configured limit.
    #[error("polynomial too large to factor: {what} is {value}, limit {limit}")]
    TooLarge {
        /// Which quantity exceeded its limit.
        what: &'static str,
        /// The offending value.
        value: u64,
        /// The configured limit.
        limit: u64,
    },
    /// Every random evaluation point tried was unlucky (probability ~ degree^2/p per try;
    /// in practice only reachable with tiny retry limits).
    #[error("factorization failed after {retries} evaluation points")]
    Unlucky {
        /// Number of points tried.
        retries: u32,
    },
}

/// A factorization `unit * prod(f_i^e_i)`: every `f_i` is irreducible, monic (leading
/// coefficient 1 in the canonical deglex order), non-constant, pairwise distinct, and the
/// list is sorted by [`factor_order`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Factorization {
    /// The constant factor (0 for the zero polynomial, which has no factors).
    pub unit: F,
    /// Irreducible monic factors with their multiplicities.
    pub factors: Vec<(Poly, u32)>,
}

/// The total order of factors in a [`Factorization`]: by total degree, then number of
/// terms, then the term sequence compared term by term in canonical (descending) order —
/// each term by its monomial (deglex) and then its canonical coefficient — and finally by
/// multiplicity. All comparisons ascending.
pub fn factor_order(a: &(Poly, u32), b: &(Poly, u32)) -> Ordering {
    let (pa, ea) = a;
    let (pb, eb) = b;
    pa.total_degree()
        .cmp(&pb.total_degree())
        .then(pa.num_terms().cmp(&pb.num_terms()))
        .then_with(|| {
            for ((xa, ca), (xb, cb)) in pa.terms().zip(pb.terms()) {
                let o = cmp_deglex(xa, xb).then(ca.as_canonical_u64().cmp(&cb.as_canonical_u64()));
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        })
        .then(ea.cmp(eb))
}

impl Factorization {
    /// Prints `c * (f1)^e1 * (f2)^e2 ...`: factors in [`factor_order`], each printed with
    /// [`Poly::to_string_with`] inside parentheses, `^1` omitted, `c * ` omitted when
    /// `c = 1`; a factorization without factors prints as the unit (`0` for zero).
    pub fn to_string_with(&self, names: &[&str]) -> String {
        if self.factors.is_empty() {
            return self.unit.as_canonical_u64().to_string();
        }
        let mut parts = Vec::new();
        if self.unit != F::ONE {
            parts.push(self.unit.as_canonical_u64().to_string());
        }
        for (f, e) in &self.factors {
            let s = format!("({})", f.to_string_with(names));
            if *e == 1 {
                parts.push(s);
            } else {
                parts.push(format!("{s}^{e}"));
            }
        }
        parts.join(" * ")
    }

    /// Multiplies the factorization back out. The number of variables is taken from the
    /// factors; without factors (a constant input) the result has 0 variables — use
    /// [`Factorization::expand_in`] to fix it. Panics only on `u32` exponent overflow,
    /// which cannot happen for a factorization of a valid polynomial.
    pub fn expand(&self) -> Poly {
        let n = self.factors.first().map(|(f, _)| f.nvars()).unwrap_or(0);
        self.expand_in(n)
    }

    /// [`Factorization::expand`] as a polynomial in `nvars` variables (which must match
    /// the factors' when there are any).
    pub fn expand_in(&self, nvars: usize) -> Poly {
        let mut acc = Poly::constant(nvars, self.unit);
        for (f, e) in &self.factors {
            for _ in 0..*e {
                acc = &acc * f;
            }
        }
        acc
    }
}

impl Poly {
    /// Factors into irreducibles with the default [`Limits`]. If the input is beyond the
    /// limits (or every retry was unlucky), returns the unfactored polynomial as a single
    /// monic factor with its leading coefficient as unit, so callers can keep it as is.
    pub fn factor(&self) -> Factorization {
        match self.factor_with(&Limits::default()) {
            Ok(f) => f,
            Err(_) => {
                let (lc, m) = self.make_monic();
                if m.as_constant().is_some() {
                    return Factorization {
                        unit: lc,
                        factors: vec![],
                    };
                }
                Factorization {
                    unit: lc,
                    factors: vec![(m, 1)],
                }
            }
        }
    }

    /// Factors into irreducibles, refusing inputs beyond `limits`. The result is verified
    /// by multiplying back before it is returned.
    pub fn factor_with(&self, limits: &Limits) -> Result<Factorization, FactorError> {
        factor::factor(self, limits)
    }
}
