//! [`SparsePoly`]: polynomials over an unbounded set of variables with sparse monomials.
//!
//! The compiler's polynomials range over a function's parameters *and* one variable per
//! non-polynomial subexpression (an "atom"), so a long function has thousands of variables
//! while each term mentions only a few. A monomial here stores only its nonzero exponents, so
//! a term costs what it mentions, not the number of variables in scope. Products of
//! operands over few variables use the packed dense kernel of [`Poly`]; printing and the
//! canonical order are exactly [`Poly`]'s (FLINT's `deglex`, variable 0 most significant).

use crate::{Poly, F};
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// A monomial: `(variable, exponent)` pairs, variables strictly ascending, exponents > 0.
pub type Mono = [(u32, u32)];

/// Unions of supports up to this many variables multiply through the packed dense kernel.
const DENSE_MUL_VARS: usize = 24;

/// Monomial storage: up to two variables inline (no allocation), more on the heap.
#[derive(Clone, Debug)]
enum MonoBuf {
    Inline(u8, [(u32, u32); 2]),
    Heap(Box<Mono>),
}

impl std::ops::Deref for MonoBuf {
    type Target = Mono;
    #[inline]
    fn deref(&self) -> &Mono {
        match self {
            MonoBuf::Inline(n, a) => &a[..*n as usize],
            MonoBuf::Heap(b) => b,
        }
    }
}

impl PartialEq for MonoBuf {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl MonoBuf {
    fn new(m: &Mono) -> Self {
        match m.len() {
            0 => MonoBuf::Inline(0, [(0, 0); 2]),
            1 => MonoBuf::Inline(1, [m[0], (0, 0)]),
            2 => MonoBuf::Inline(2, [m[0], m[1]]),
            _ => MonoBuf::Heap(m.into()),
        }
    }
}

impl FromIterator<(u32, u32)> for MonoBuf {
    fn from_iter<I: IntoIterator<Item = (u32, u32)>>(it: I) -> Self {
        let v: Vec<(u32, u32)> = it.into_iter().collect();
        MonoBuf::new(&v)
    }
}

#[derive(Clone, Debug)]
struct Term {
    mono: MonoBuf,
    coeff: F,
}

impl Term {
    #[inline]
    fn deg(&self) -> u64 {
        degree(&self.mono)
    }
}

/// A sparse polynomial over variables `0, 1, 2, ...` (as many as needed).
///
/// Invariant (the canonical form, as [`Poly`]): terms in strictly descending deglex order
/// (total degree, then lexicographic with the *smallest* variable most significant), no
/// zero coefficients.
#[derive(Clone, Debug, Default)]
pub struct SparsePoly {
    terms: Vec<Term>,
}

impl PartialEq for SparsePoly {
    fn eq(&self, other: &Self) -> bool {
        self.terms.len() == other.terms.len()
            && self
                .terms
                .iter()
                .zip(&other.terms)
                .all(|(a, b)| a.mono == b.mono && a.coeff == b.coeff)
    }
}
impl Eq for SparsePoly {}

impl Hash for SparsePoly {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.terms.len().hash(state);
        for t in &self.terms {
            (*t.mono).hash(state);
            t.coeff.as_canonical_u64().hash(state);
        }
    }
}

fn degree(m: &Mono) -> u64 {
    m.iter().map(|&(_, e)| e as u64).sum()
}

/// Lexicographic comparison of sparse monomials as dense exponent vectors (variable 0 most
/// significant): at the first difference, a variable present in only one monomial makes
/// that one greater.
pub fn cmp_lex(a: &Mono, b: &Mono) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        if x.0 != y.0 {
            // The smaller variable is present in one and absent (exponent 0) in the other.
            return y.0.cmp(&x.0);
        }
        if x.1 != y.1 {
            return x.1.cmp(&y.1);
        }
    }
    a.len().cmp(&b.len())
}

/// Degree-lexicographic comparison of sparse monomials (ascending), as [`crate::cmp_deglex`].
pub fn cmp_deglex_sparse(a: &Mono, b: &Mono) -> Ordering {
    degree(a).cmp(&degree(b)).then_with(|| cmp_lex(a, b))
}

fn cmp_terms(a: &Term, b: &Term) -> Ordering {
    cmp_deglex_sparse(&a.mono, &b.mono)
}

/// Product of two monomials, or `None` if an exponent overflows `u32`.
fn mono_mul(a: &Mono, b: &Mono) -> Option<MonoBuf> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
            out.push(a[i]);
            i += 1;
        } else if i == a.len() || b[j].0 < a[i].0 {
            out.push(b[j]);
            j += 1;
        } else {
            out.push((a[i].0, a[i].1.checked_add(b[j].1)?));
            i += 1;
            j += 1;
        }
    }
    Some(MonoBuf::new(&out))
}

impl SparsePoly {
    /// The zero polynomial.
    pub fn zero() -> Self {
        SparsePoly { terms: Vec::new() }
    }

    /// The constant `c` (zero when `c = 0`).
    pub fn constant(c: F) -> Self {
        if c == F::ZERO {
            return Self::zero();
        }
        SparsePoly {
            terms: vec![Term {
                mono: MonoBuf::new(&[]),
                coeff: c,
            }],
        }
    }

    /// The variable `x_v`.
    pub fn var(v: u32) -> Self {
        SparsePoly {
            terms: vec![Term {
                mono: MonoBuf::new(&[(v, 1)]),
                coeff: F::ONE,
            }],
        }
    }

    /// Builds a polynomial from arbitrary terms (monomials need not be normalized: pairs
    /// may come in any order, repeat a variable or have exponent 0); equal monomials are
    /// merged and zero terms dropped. `None` if an exponent overflows `u32`.
    pub fn from_terms(terms: impl IntoIterator<Item = (Vec<(u32, u32)>, F)>) -> Option<Self> {
        let mut out = Vec::new();
        for (mut m, c) in terms {
            m.retain(|&(_, e)| e > 0);
            m.sort_unstable();
            let mut norm: Vec<(u32, u32)> = Vec::with_capacity(m.len());
            for (v, e) in m {
                match norm.last_mut() {
                    Some(last) if last.0 == v => last.1 = last.1.checked_add(e)?,
                    _ => norm.push((v, e)),
                }
            }
            out.push(Term {
                mono: MonoBuf::new(&norm),
                coeff: c,
            });
        }
        Some(Self::collect(out))
    }

    /// Sorts descending, merges equal monomials, drops zeros.
    fn collect(mut terms: Vec<Term>) -> Self {
        terms.sort_unstable_by(|a, b| cmp_terms(b, a));
        let mut out: Vec<Term> = Vec::with_capacity(terms.len());
        for t in terms {
            match out.last_mut() {
                Some(last) if last.mono == t.mono => last.coeff += t.coeff,
                _ => {
                    if out.last().is_some_and(|l| l.coeff == F::ZERO) {
                        out.pop();
                    }
                    out.push(t);
                }
            }
        }
        if out.last().is_some_and(|l| l.coeff == F::ZERO) {
            out.pop();
        }
        SparsePoly { terms: out }
    }

    /// Number of nonzero terms.
    pub fn num_terms(&self) -> usize {
        self.terms.len()
    }

    /// True for the zero polynomial.
    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }

    /// `Some(c)` iff the polynomial is a constant (zero gives `Some(0)`).
    pub fn as_constant(&self) -> Option<F> {
        match self.terms.as_slice() {
            [] => Some(F::ZERO),
            [t] if t.mono.is_empty() => Some(t.coeff),
            _ => None,
        }
    }

    /// Total degree; `None` for zero.
    pub fn total_degree(&self) -> Option<u64> {
        self.terms.first().map(Term::deg)
    }

    /// Coefficient of the first (largest) term; 0 for zero.
    pub fn leading_coeff(&self) -> F {
        self.terms.first().map_or(F::ZERO, |t| t.coeff)
    }

    /// Terms `(monomial, coefficient)` in canonical (descending deglex) order.
    pub fn terms(&self) -> impl Iterator<Item = (&Mono, F)> {
        self.terms.iter().map(|t| (&*t.mono, t.coeff))
    }

    /// The variables that occur, ascending.
    pub fn support(&self) -> Vec<u32> {
        let mut vs: Vec<u32> = self
            .terms
            .iter()
            .flat_map(|t| t.mono.iter().map(|&(v, _)| v))
            .collect();
        vs.sort_unstable();
        vs.dedup();
        vs
    }

    /// Largest exponent of each variable that occurs, ascending by variable.
    fn max_degrees(&self) -> Vec<(u32, u32)> {
        let mut vs: Vec<(u32, u32)> = self
            .terms
            .iter()
            .flat_map(|t| t.mono.iter().copied())
            .collect();
        vs.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::new();
        for (v, e) in vs {
            match out.last_mut() {
                Some(last) if last.0 == v => last.1 = last.1.max(e),
                _ => out.push((v, e)),
            }
        }
        out
    }

    /// Merges the two sorted term lists (`other` negated when `negate`).
    fn add_scaled(self, other: Self, negate: bool) -> Self {
        let sign = |c: F| if negate { -c } else { c };
        if other.is_zero() {
            return self;
        }
        if self.is_zero() {
            return if negate { -other } else { other };
        }
        let mut out = Vec::with_capacity(self.terms.len() + other.terms.len());
        let mut a = self.terms.into_iter().peekable();
        let mut b = other.terms.into_iter().peekable();
        loop {
            let ord = match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (Some(x), Some(y)) => cmp_terms(x, y),
            };
            match ord {
                Ordering::Greater => out.extend(a.next()),
                Ordering::Less => {
                    let mut t = b.next().expect("peeked");
                    t.coeff = sign(t.coeff);
                    out.push(t);
                }
                Ordering::Equal => {
                    let mut t = a.next().expect("peeked");
                    let u = b.next().expect("peeked");
                    t.coeff += sign(u.coeff);
                    if t.coeff != F::ZERO {
                        out.push(t);
                    }
                }
            }
        }
        SparsePoly { terms: out }
    }

    /// `c * self`.
    pub fn scale(mut self, c: F) -> Self {
        if c == F::ZERO {
            return Self::zero();
        }
        for t in &mut self.terms {
            t.coeff *= c;
        }
        self
    }

    /// The product, or `None` if an exponent would overflow `u32` (checked on the
    /// per-variable degree bounds, like [`Poly::checked_mul`]).
    pub fn checked_mul(&self, other: &Self) -> Option<Self> {
        if self.is_zero() || other.is_zero() {
            return Some(Self::zero());
        }
        let (da, db) = (self.max_degrees(), other.max_degrees());
        let mut union: Vec<u32> = Vec::with_capacity(da.len() + db.len());
        let (mut i, mut j) = (0, 0);
        while i < da.len() || j < db.len() {
            if j == db.len() || (i < da.len() && da[i].0 < db[j].0) {
                union.push(da[i].0);
                i += 1;
            } else if i == da.len() || db[j].0 < da[i].0 {
                union.push(db[j].0);
                j += 1;
            } else {
                if da[i].1 as u64 + db[j].1 as u64 > u32::MAX as u64 {
                    return None;
                }
                union.push(da[i].0);
                i += 1;
                j += 1;
            }
        }
        if let Some(c) = self.as_constant() {
            return Some(other.clone().scale(c));
        }
        if let Some(c) = other.as_constant() {
            return Some(self.clone().scale(c));
        }
        if union.len() <= DENSE_MUL_VARS && self.num_terms() * other.num_terms() > 16 {
            let a = self.to_dense_over(&union);
            let b = other.to_dense_over(&union);
            return Some(Self::from_dense(&a.checked_mul(&b)?, &union));
        }
        let mut out = Vec::with_capacity(self.num_terms() * other.num_terms());
        for x in &self.terms {
            for y in &other.terms {
                out.push(Term {
                    mono: mono_mul(&x.mono, &y.mono)?,
                    coeff: x.coeff * y.coeff,
                });
            }
        }
        Some(Self::collect(out))
    }

    /// `self^k`, or `None` on exponent overflow or when the result would have more than
    /// `max_terms` terms (checked after each multiplication). The same steps as
    /// [`Poly::checked_pow`], except that a multiplication of more than `max_terms^2` term
    /// pairs (a base beyond the limit) is refused up front too (and never more than
    /// [`crate::MAX_PRODUCT_PAIRS`]).
    pub fn checked_pow(&self, k: u64, max_terms: usize) -> Option<Self> {
        let one = Self::constant(F::ONE);
        if k == 0 {
            return (one.num_terms() <= max_terms).then_some(one);
        }
        if self.is_zero() {
            return Some(Self::zero());
        }
        for (_, d) in self.max_degrees() {
            if (d as u128) * (k as u128) > u32::MAX as u128 {
                return None;
            }
        }
        if let [t] = self.terms.as_slice() {
            let mono: MonoBuf = t.mono.iter().map(|&(v, e)| (v, e * k as u32)).collect();
            return Some(SparsePoly {
                terms: vec![Term {
                    mono,
                    coeff: t.coeff.exp_u64(k),
                }],
            });
        }
        // Operands below the limit multiply in at most max_terms^2 term pairs; a larger
        // product (only possible with a huge base) is refused before doing the work.
        let max_pairs = max_terms
            .saturating_mul(max_terms)
            .min(crate::MAX_PRODUCT_PAIRS);
        let mul = |a: &Self, b: &Self| {
            if a.num_terms().saturating_mul(b.num_terms()) > max_pairs && a.as_constant().is_none()
            {
                return None;
            }
            a.checked_mul(b)
        };
        let mut result = one;
        let mut base = self.clone();
        let mut k = k;
        loop {
            if k & 1 == 1 {
                result = mul(&result, &base)?;
                if result.num_terms() > max_terms {
                    return None;
                }
            }
            k >>= 1;
            if k == 0 {
                break;
            }
            base = mul(&base, &base)?;
            if base.num_terms() > max_terms {
                return None;
            }
        }
        Some(result)
    }

    /// The dense polynomial over `vars` (ascending; must contain the support): variable
    /// `vars[i]` becomes variable `i`. The term order is preserved.
    pub fn to_dense_over(&self, vars: &[u32]) -> Poly {
        let n = vars.len();
        let mut exps = Vec::with_capacity(n * self.num_terms());
        let mut coeffs = Vec::with_capacity(self.num_terms());
        for t in &self.terms {
            let start = exps.len();
            exps.resize(start + n, 0);
            let mut i = 0;
            for &(v, e) in t.mono.iter() {
                while vars[i] != v {
                    i += 1;
                }
                exps[start + i] = e;
            }
            coeffs.push(t.coeff);
        }
        Poly::from_sorted(n, exps, coeffs)
    }

    /// The dense polynomial over exactly the support, and the support.
    pub fn to_dense(&self) -> (Poly, Vec<u32>) {
        let vars = self.support();
        (self.to_dense_over(&vars), vars)
    }

    /// The inverse of [`SparsePoly::to_dense_over`]: variable `i` of `p` becomes
    /// `vars[i]` (ascending).
    pub fn from_dense(p: &Poly, vars: &[u32]) -> Self {
        let terms = p
            .terms()
            .map(|(e, c)| {
                let mono: MonoBuf = e
                    .iter()
                    .enumerate()
                    .filter(|(_, &k)| k > 0)
                    .map(|(i, &k)| (vars[i], k))
                    .collect();
                Term { mono, coeff: c }
            })
            .collect();
        // An order-preserving renaming keeps the canonical order.
        SparsePoly { terms }
    }

    /// Prints exactly like [`Poly::to_string_with`] (FLINT's format) with variable `v` named
    /// `names[v]` (`x{v+1}` beyond the names).
    pub fn to_string_with(&self, names: &[&str]) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut out = String::new();
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                out.push_str(" + ");
            }
            let cv = t.coeff.as_canonical_u64();
            if t.mono.is_empty() {
                out.push_str(&cv.to_string());
                continue;
            }
            let mut first = true;
            if cv != 1 {
                out.push_str(&cv.to_string());
                first = false;
            }
            for &(v, k) in t.mono.iter() {
                if !first {
                    out.push('*');
                }
                first = false;
                match names.get(v as usize) {
                    Some(nm) => out.push_str(nm),
                    None => out.push_str(&format!("x{}", v + 1)),
                }
                if k > 1 {
                    out.push('^');
                    out.push_str(&k.to_string());
                }
            }
        }
        out
    }
}

impl std::ops::Neg for SparsePoly {
    type Output = SparsePoly;
    fn neg(mut self) -> Self {
        for t in &mut self.terms {
            t.coeff = -t.coeff;
        }
        self
    }
}

impl std::ops::Add for SparsePoly {
    type Output = SparsePoly;
    /// Merges the two term lists (linear in their lengths).
    fn add(self, other: Self) -> Self {
        self.add_scaled(other, false)
    }
}

impl std::ops::Sub for SparsePoly {
    type Output = SparsePoly;
    fn sub(self, other: Self) -> Self {
        self.add_scaled(other, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmp_deglex;
    use resvm_field::SplitMix64;

    fn random(r: &mut SplitMix64, nvars: u32, terms: usize, maxdeg: u64) -> (SparsePoly, Poly) {
        let mut ts = Vec::new();
        for _ in 0..terms {
            let mut e = vec![0u32; nvars as usize];
            for _ in 0..r.below(maxdeg + 1) {
                e[r.below(nvars as u64) as usize] += 1;
            }
            let c = match r.below(3) {
                0 => F::ONE,
                1 => -F::ONE,
                _ => F::from_u64(r.next_u64()),
            };
            ts.push((e, c));
        }
        let dense = Poly::from_terms(nvars as usize, ts.clone());
        let sparse = SparsePoly::from_terms(ts.into_iter().map(|(e, c)| {
            (
                e.iter().enumerate().map(|(v, &k)| (v as u32, k)).collect(),
                c,
            )
        }))
        .expect("no overflow");
        (sparse, dense)
    }

    fn names(n: u32) -> Vec<String> {
        (0..n).map(|i| format!("v{i}")).collect()
    }

    #[test]
    fn agrees_with_dense_poly() {
        let mut r = SplitMix64::new(11);
        let nm = names(6);
        let nm: Vec<&str> = nm.iter().map(String::as_str).collect();
        for _ in 0..300 {
            let (na, nb) = (r.below(8) as usize, r.below(8) as usize);
            let (a, da) = random(&mut r, 6, na, 4);
            let (b, db) = random(&mut r, 6, nb, 4);
            assert_eq!(a.to_string_with(&nm), da.to_string_with(&nm));
            assert_eq!(
                (a.clone() + b.clone()).to_string_with(&nm),
                (&da + &db).to_string_with(&nm)
            );
            assert_eq!(
                (a.clone() - b.clone()).to_string_with(&nm),
                (&da - &db).to_string_with(&nm)
            );
            assert_eq!(
                a.checked_mul(&b).unwrap().to_string_with(&nm),
                (&da * &db).to_string_with(&nm)
            );
            let k = r.below(5);
            assert_eq!(
                a.checked_pow(k, 4096).map(|p| p.to_string_with(&nm)),
                da.checked_pow(k, 4096).map(|p| p.to_string_with(&nm))
            );
            let (d, vars) = a.to_dense();
            assert_eq!(SparsePoly::from_dense(&d, &vars), a);
        }
    }

    #[test]
    fn order_matches_dense_deglex() {
        let mut r = SplitMix64::new(5);
        for _ in 0..2000 {
            let ea: Vec<u32> = (0..4).map(|_| r.below(3) as u32).collect();
            let eb: Vec<u32> = (0..4).map(|_| r.below(3) as u32).collect();
            let sa: Vec<(u32, u32)> = ea
                .iter()
                .enumerate()
                .filter(|(_, &k)| k > 0)
                .map(|(v, &k)| (v as u32, k))
                .collect();
            let sb: Vec<(u32, u32)> = eb
                .iter()
                .enumerate()
                .filter(|(_, &k)| k > 0)
                .map(|(v, &k)| (v as u32, k))
                .collect();
            assert_eq!(
                cmp_deglex_sparse(&sa, &sb),
                cmp_deglex(&ea, &eb),
                "{ea:?} {eb:?}"
            );
        }
    }

    #[test]
    fn many_variables_cost_what_they_mention() {
        // 20 000 variables, one term each: linear, not quadratic.
        let mut s = SparsePoly::zero();
        let mut parts: Vec<SparsePoly> = (0..20_000).map(SparsePoly::var).collect();
        while parts.len() > 1 {
            parts = parts
                .chunks(2)
                .map(|c| c.iter().cloned().fold(SparsePoly::zero(), |x, y| x + y))
                .collect();
        }
        s = s + parts.pop().unwrap();
        assert_eq!(s.num_terms(), 20_000);
        assert_eq!(s.support().len(), 20_000);
        let sq = s.checked_pow(0, 10).unwrap();
        assert_eq!(sq.as_constant(), Some(F::ONE));
        assert!(s.checked_pow(2, 4096).is_none(), "beyond the term limit");
        assert!(
            SparsePoly::var(3).checked_pow(1 << 33, 10).is_none(),
            "exponent overflow"
        );
    }
}
