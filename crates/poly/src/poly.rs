//! The sparse multivariate polynomial type [`Poly`]: storage, canonical order, arithmetic
//! and FLINT-compatible printing.

use crate::F;
use p3_field::{Field, PrimeCharacteristicRing, PrimeField64};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// Compares two exponent vectors in degree-lexicographic order (ascending): total degree
/// first, then lexicographically with variable 0 most significant.
pub fn cmp_deglex(a: &[u32], b: &[u32]) -> Ordering {
    let da: u64 = a.iter().map(|&e| e as u64).sum();
    let db: u64 = b.iter().map(|&e| e as u64).sum();
    da.cmp(&db).then_with(|| a.cmp(b))
}

/// A sparse polynomial in `nvars` variables over Goldilocks.
///
/// Arithmetic: `+`, `-`, `*` and unary `-` are implemented for `Poly` and `&Poly`.
/// `*` panics only if an exponent overflows `u32`; use [`Poly::checked_mul`] to get `None`
/// instead.
///
/// Invariant (the canonical form): terms are sorted in strictly *descending* deglex order
/// and no coefficient is zero. Exponents are stored flat (`nvars` per term) so a term
/// costs one allocation-free slice; that keeps the hot loops of factorization cheap.
#[derive(Clone)]
pub struct Poly {
    pub(crate) nvars: usize,
    pub(crate) exps: Vec<u32>,
    pub(crate) coeffs: Vec<F>,
}

impl PartialEq for Poly {
    fn eq(&self, other: &Self) -> bool {
        self.nvars == other.nvars && self.exps == other.exps && self.coeffs == other.coeffs
    }
}
impl Eq for Poly {}

impl Hash for Poly {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nvars.hash(state);
        self.exps.hash(state);
        for c in &self.coeffs {
            c.as_canonical_u64().hash(state);
        }
    }
}

impl std::fmt::Debug for Poly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = (0..self.nvars).map(|i| format!("x{i}")).collect();
        let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        write!(f, "Poly[{}]({})", self.nvars, self.to_string_with(&refs))
    }
}

/// Mixed-radix packing of exponent vectors into one `u64` whose numeric order equals the
/// lexicographic order (variable 0 most significant). Used to sort/merge products fast.
pub(crate) struct Packer {
    strides: Vec<u64>,
    radix: Vec<u64>,
}

impl Packer {
    /// A packer for exponents bounded by `maxdeg` per variable, if the range fits in `u64`.
    pub(crate) fn new(maxdeg: &[u64]) -> Option<Packer> {
        let n = maxdeg.len();
        let mut strides = vec![1u64; n];
        let mut radix = vec![0u64; n];
        let mut acc: u64 = 1;
        for i in (0..n).rev() {
            strides[i] = acc;
            radix[i] = maxdeg[i].checked_add(1)?;
            acc = acc.checked_mul(radix[i])?;
        }
        Some(Packer { strides, radix })
    }
    #[inline]
    pub(crate) fn pack(&self, e: &[u32]) -> u64 {
        e.iter()
            .zip(&self.strides)
            .map(|(&x, &s)| x as u64 * s)
            .sum()
    }
    #[inline]
    pub(crate) fn unpack_into(&self, mut k: u64, out: &mut [u32]) {
        for i in 0..out.len() {
            out[i] = (k / self.strides[i]) as u32;
            k %= self.strides[i];
        }
    }
    /// True if `e` fits the per-variable bounds of this packer.
    #[inline]
    pub(crate) fn fits(&self, e: &[u32]) -> bool {
        e.iter().zip(&self.radix).all(|(&x, &r)| (x as u64) < r)
    }
}

impl Poly {
    /// The zero polynomial in `nvars` variables.
    pub fn zero(nvars: usize) -> Self {
        Poly {
            nvars,
            exps: Vec::new(),
            coeffs: Vec::new(),
        }
    }

    /// The constant polynomial `c` (the zero polynomial when `c = 0`).
    pub fn constant(nvars: usize, c: F) -> Self {
        if c == F::ZERO {
            return Self::zero(nvars);
        }
        Poly {
            nvars,
            exps: vec![0; nvars],
            coeffs: vec![c],
        }
    }

    /// The variable `x_i`. Panics if `i >= nvars` (a programming error, not input data).
    pub fn var(nvars: usize, i: usize) -> Self {
        assert!(
            i < nvars,
            "variable index {i} out of range for {nvars} variables"
        );
        let mut exps = vec![0; nvars];
        exps[i] = 1;
        Poly {
            nvars,
            exps,
            coeffs: vec![F::ONE],
        }
    }

    /// Builds a polynomial from arbitrary terms: sorts them into canonical order, merges
    /// equal monomials and drops zero coefficients. Panics if an exponent vector does not
    /// have exactly `nvars` entries.
    pub fn from_terms(nvars: usize, terms: Vec<(Vec<u32>, F)>) -> Self {
        for (e, _) in &terms {
            assert_eq!(e.len(), nvars, "exponent vector length must equal nvars");
        }
        let mut terms = terms;
        terms.sort_by(|a, b| cmp_deglex(&b.0, &a.0));
        let mut out = Poly::zero(nvars);
        let mut i = 0;
        while i < terms.len() {
            let mut c = terms[i].1;
            let mut j = i + 1;
            while j < terms.len() && terms[j].0 == terms[i].0 {
                c += terms[j].1;
                j += 1;
            }
            if c != F::ZERO {
                out.exps.extend_from_slice(&terms[i].0);
                out.coeffs.push(c);
            }
            i = j;
        }
        out
    }

    /// Builds from terms already in strictly descending canonical order with nonzero
    /// coefficients (internal fast path; checked in debug builds).
    pub(crate) fn from_sorted(nvars: usize, exps: Vec<u32>, coeffs: Vec<F>) -> Self {
        let p = Poly {
            nvars,
            exps,
            coeffs,
        };
        debug_assert!(p.is_canonical(), "from_sorted: not canonical: {p:?}");
        p
    }

    pub(crate) fn is_canonical(&self) -> bool {
        if self.exps.len() != self.nvars * self.coeffs.len() {
            return false;
        }
        if self.coeffs.contains(&F::ZERO) {
            return false;
        }
        (1..self.coeffs.len())
            .all(|i| cmp_deglex(self.exp(i - 1), self.exp(i)) == Ordering::Greater)
    }

    /// Number of variables.
    pub fn nvars(&self) -> usize {
        self.nvars
    }

    /// The exponent vector of term `i`.
    #[inline]
    pub(crate) fn exp(&self, i: usize) -> &[u32] {
        &self.exps[i * self.nvars..(i + 1) * self.nvars]
    }

    /// Terms `(exponents, coefficient)` in canonical (descending deglex) order.
    pub fn terms(&self) -> impl Iterator<Item = (&[u32], F)> {
        (0..self.coeffs.len()).map(move |i| (self.exp(i), self.coeffs[i]))
    }

    /// Number of nonzero terms.
    pub fn num_terms(&self) -> usize {
        self.coeffs.len()
    }

    /// True for the zero polynomial.
    pub fn is_zero(&self) -> bool {
        self.coeffs.is_empty()
    }

    /// `Some(c)` iff the polynomial is a constant (the zero polynomial gives `Some(0)`).
    pub fn as_constant(&self) -> Option<F> {
        match self.coeffs.len() {
            0 => Some(F::ZERO),
            1 if self.exp(0).iter().all(|&e| e == 0) => Some(self.coeffs[0]),
            _ => None,
        }
    }

    /// Total degree; `None` for the zero polynomial. The first term has the largest.
    pub fn total_degree(&self) -> Option<u64> {
        if self.is_zero() {
            None
        } else {
            Some(self.exp(0).iter().map(|&e| e as u64).sum())
        }
    }

    /// Degree in variable `var` (0 for the zero polynomial or an out-of-range variable).
    pub fn degree_in(&self, var: usize) -> u32 {
        if var >= self.nvars {
            return 0;
        }
        (0..self.num_terms())
            .map(|i| self.exps[i * self.nvars + var])
            .max()
            .unwrap_or(0)
    }

    /// Coefficient of the first (largest) term; 0 for the zero polynomial.
    pub fn leading_coeff(&self) -> F {
        self.coeffs.first().copied().unwrap_or(F::ZERO)
    }

    /// Evaluates at `point` (which must have `nvars` entries; missing ones count as 0).
    pub fn eval(&self, point: &[F]) -> F {
        // Power tables per variable keep this linear in the input size.
        let mut pows: Vec<Vec<F>> = Vec::with_capacity(self.nvars);
        for v in 0..self.nvars {
            let d = self.degree_in(v) as usize;
            let x = point.get(v).copied().unwrap_or(F::ZERO);
            if d > 4096 {
                pows.push(Vec::new()); // large degree: fall back to exp_u64 below
                continue;
            }
            let mut t = Vec::with_capacity(d + 1);
            let mut acc = F::ONE;
            for _ in 0..=d {
                t.push(acc);
                acc *= x;
            }
            pows.push(t);
        }
        let mut sum = F::ZERO;
        for (e, c) in self.terms() {
            let mut t = c;
            for (v, &k) in e.iter().enumerate() {
                if k == 0 {
                    continue;
                }
                t *= if pows[v].is_empty() {
                    point.get(v).copied().unwrap_or(F::ZERO).exp_u64(k as u64)
                } else {
                    pows[v][k as usize]
                };
            }
            sum += t;
        }
        sum
    }

    /// Multiplies by the scalar `c`.
    pub fn scale(&self, c: F) -> Poly {
        if c == F::ZERO {
            return Poly::zero(self.nvars);
        }
        Poly {
            nvars: self.nvars,
            exps: self.exps.clone(),
            coeffs: self.coeffs.iter().map(|&x| x * c).collect(),
        }
    }

    /// Returns `(lc, self / lc)` where `lc` is the leading coefficient; the zero polynomial
    /// gives `(0, 0)`.
    pub fn make_monic(&self) -> (F, Poly) {
        let lc = self.leading_coeff();
        if lc == F::ZERO {
            return (F::ZERO, self.clone());
        }
        (lc, self.scale(lc.inverse()))
    }

    /// Product, or `None` when an exponent would overflow `u32`.
    pub fn checked_mul(&self, other: &Poly) -> Option<Poly> {
        assert_eq!(self.nvars, other.nvars, "nvars mismatch");
        let n = self.nvars;
        if self.is_zero() || other.is_zero() {
            return Some(Poly::zero(n));
        }
        let mut maxdeg = Vec::with_capacity(n);
        for v in 0..n {
            let d = self.degree_in(v) as u64 + other.degree_in(v) as u64;
            if d > u32::MAX as u64 {
                return None;
            }
            maxdeg.push(d);
        }
        if n == 0 {
            return Some(Poly::constant(0, self.coeffs[0] * other.coeffs[0]));
        }
        match Packer::new(&maxdeg) {
            Some(pk) => Some(mul_packed(self, other, &pk)),
            None => Some(mul_generic(self, other)),
        }
    }

    /// `self^k`, or `None` on exponent overflow, when the result would have more than
    /// `max_terms` terms (checked after each multiplication), or when one multiplication
    /// would pair more than [`MAX_PRODUCT_PAIRS`] terms (refused before the work: a dense
    /// base far below `max_terms` can still square into billions of pairs).
    pub fn checked_pow(&self, k: u64, max_terms: usize) -> Option<Poly> {
        let mut result = Poly::constant(self.nvars, F::ONE);
        if k == 0 {
            return (result.num_terms() <= max_terms).then_some(result);
        }
        if self.is_zero() {
            return Some(Poly::zero(self.nvars));
        }
        // Exponent overflow check up front: degree_in * k must fit u32.
        for v in 0..self.nvars {
            if (self.degree_in(v) as u128) * (k as u128) > u32::MAX as u128 {
                return None;
            }
        }
        if self.num_terms() == 1 {
            let e: Vec<u32> = self.exp(0).iter().map(|&x| x * k as u32).collect();
            return Some(Poly::from_sorted(
                self.nvars,
                e,
                vec![self.coeffs[0].exp_u64(k)],
            ));
        }
        let mut base = self.clone();
        let mut k = k;
        let mul = |a: &Poly, b: &Poly| {
            if !product_fits(a.num_terms(), b.num_terms()) {
                return None;
            }
            a.checked_mul(b)
        };
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
                // A power of a non-monomial has at least as many terms as the base.
                return None;
            }
        }
        Some(result)
    }

    /// Exact division: `Some(q)` with `self = q * d`, or `None` if `d` does not divide.
    ///
    /// Cost is proportional to the quotient terms generated; a non-divisor is usually
    /// rejected early (leading/trailing term tests), but with enormous exponent gaps the
    /// rejection can take time proportional to those exponents.
    pub fn div_exact(&self, d: &Poly) -> Option<Poly> {
        assert_eq!(self.nvars, d.nvars, "nvars mismatch");
        let n = self.nvars;
        if d.is_zero() {
            return None;
        }
        if self.is_zero() {
            return Some(Poly::zero(n));
        }
        if let Some(c) = d.as_constant() {
            return Some(self.scale(c.inverse()));
        }
        let maxdeg: Vec<u64> = (0..n).map(|v| self.degree_in(v) as u64).collect();
        for v in 0..n {
            if d.degree_in(v) as u64 > maxdeg[v] {
                return None;
            }
        }
        // In any monomial order trail(q * d) = trail(q) * trail(d): a cheap necessary test.
        let (ta, td) = (self.exp(self.num_terms() - 1), d.exp(d.num_terms() - 1));
        if ta.iter().zip(td).any(|(x, y)| x < y) {
            return None;
        }
        let Some(pk) = Packer::new(&maxdeg) else {
            return div_exact_wide(self, d);
        };
        let range: u64 = maxdeg.iter().map(|&d| d + 1).product();
        if range <= 1 << 18 {
            return div_exact_dense(self, d, &pk, range as usize);
        }
        let tdeg = |e: &[u32]| e.iter().map(|&x| x as u64).sum::<u64>();
        let key = |e: &[u32]| ((tdeg(e) as u128) << 64) | pk.pack(e) as u128;
        let mut rem: BTreeMap<u128, F> = BTreeMap::new();
        for (e, c) in self.terms() {
            rem.insert(key(e), c);
        }
        let lt_e = d.exp(0).to_vec();
        let lt_inv = d.coeffs[0].inverse();
        let mut q_exps: Vec<u32> = Vec::new();
        let mut q_coeffs: Vec<F> = Vec::new();
        let mut buf = vec![0u32; n];
        let mut t = vec![0u32; n];
        let trail_key = key(ta);
        while let Some((&k, &c)) = rem.iter().next_back() {
            if k < trail_key {
                return None; // an exact remainder never drops below trail(self)
            }
            rem.remove(&k);
            pk.unpack_into(k as u64, &mut buf);
            for v in 0..n {
                if buf[v] < lt_e[v] {
                    return None;
                }
                t[v] = buf[v] - lt_e[v];
            }
            let qc = c * lt_inv;
            q_exps.extend_from_slice(&t);
            q_coeffs.push(qc);
            for i in 1..d.num_terms() {
                let de = d.exp(i);
                for v in 0..n {
                    buf[v] = t[v] + de[v];
                }
                if !pk.fits(&buf) {
                    return None;
                }
                let kk = key(&buf);
                let val = d.coeffs[i] * qc;
                match rem.entry(kk) {
                    std::collections::btree_map::Entry::Occupied(mut o) => {
                        let nv = *o.get() - val;
                        if nv == F::ZERO {
                            let _ = o.remove();
                        } else {
                            *o.get_mut() = nv;
                        }
                    }
                    std::collections::btree_map::Entry::Vacant(vac) => {
                        vac.insert(-val);
                    }
                }
            }
        }
        Some(Poly::from_sorted(n, q_exps, q_coeffs))
    }

    /// Prints like FLINT's `fmpz_mod_mpoly_get_str_pretty` (python-flint `str()`):
    /// terms in descending deglex order joined by `" + "`, canonical coefficients in
    /// `[0, p)`, coefficient `1` omitted on non-constant monomials, factors joined by `*`,
    /// `^1` omitted, `0` for the zero polynomial. Variables without a name in `names`
    /// print as `x{i}` (1-based, FLINT's default naming).
    pub fn to_string_with(&self, names: &[&str]) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut out = String::new();
        for (i, (e, c)) in self.terms().enumerate() {
            if i > 0 {
                out.push_str(" + ");
            }
            let cv = c.as_canonical_u64();
            let is_const = e.iter().all(|&x| x == 0);
            if is_const {
                out.push_str(&cv.to_string());
                continue;
            }
            let mut first = true;
            if cv != 1 {
                out.push_str(&cv.to_string());
                first = false;
            }
            for (v, &k) in e.iter().enumerate() {
                if k == 0 {
                    continue;
                }
                if !first {
                    out.push('*');
                }
                first = false;
                match names.get(v) {
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

    // ----- internal helpers used by gcd / factorization -----

    /// Negation.
    pub(crate) fn neg_ref(&self) -> Poly {
        Poly {
            nvars: self.nvars,
            exps: self.exps.clone(),
            coeffs: self.coeffs.iter().map(|&c| -c).collect(),
        }
    }

    /// `self + sign * other` by merging the two sorted term lists.
    pub(crate) fn add_scaled(&self, other: &Poly, sign: F) -> Poly {
        assert_eq!(self.nvars, other.nvars, "nvars mismatch");
        let n = self.nvars;
        let (mut i, mut j) = (0, 0);
        let mut exps = Vec::with_capacity(self.exps.len() + other.exps.len());
        let mut coeffs = Vec::with_capacity(self.coeffs.len() + other.coeffs.len());
        while i < self.num_terms() || j < other.num_terms() {
            let ord = if i >= self.num_terms() {
                Ordering::Less
            } else if j >= other.num_terms() {
                Ordering::Greater
            } else {
                cmp_deglex(self.exp(i), other.exp(j))
            };
            match ord {
                Ordering::Greater => {
                    exps.extend_from_slice(self.exp(i));
                    coeffs.push(self.coeffs[i]);
                    i += 1;
                }
                Ordering::Less => {
                    exps.extend_from_slice(other.exp(j));
                    coeffs.push(other.coeffs[j] * sign);
                    j += 1;
                }
                Ordering::Equal => {
                    let c = self.coeffs[i] + other.coeffs[j] * sign;
                    if c != F::ZERO {
                        exps.extend_from_slice(self.exp(i));
                        coeffs.push(c);
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        let _ = n;
        Poly {
            nvars: self.nvars,
            exps,
            coeffs,
        }
    }

    /// Product that panics on exponent overflow (the `Mul` operator's contract).
    pub(crate) fn mul_ref(&self, other: &Poly) -> Poly {
        self.checked_mul(other)
            .expect("Poly multiplication: exponent overflows u32")
    }

    /// Product with every term whose exponent in some variable exceeds `bounds` dropped
    /// (arithmetic modulo the monomial ideal `(x_v^(bounds[v]+1))`); used by Hensel lifting.
    pub(crate) fn mul_trunc(&self, other: &Poly, bounds: &[u32]) -> Poly {
        let n = self.nvars;
        if self.is_zero() || other.is_zero() {
            return Poly::zero(n);
        }
        let a = self.truncate(bounds);
        let b = other.truncate(bounds);
        let maxdeg: Vec<u64> = (0..n)
            .map(|v| (a.degree_in(v) as u64 + b.degree_in(v) as u64).min(bounds[v] as u64))
            .collect();
        match Packer::new(&maxdeg) {
            Some(pk) => mul_packed_trunc(&a, &b, &pk, Some(bounds)),
            None => a.mul_ref(&b).truncate(bounds),
        }
    }

    /// Drops terms whose exponent in some variable exceeds `bounds`.
    pub(crate) fn truncate(&self, bounds: &[u32]) -> Poly {
        let n = self.nvars;
        if (0..self.num_terms()).all(|i| self.exp(i).iter().zip(bounds).all(|(e, b)| e <= b)) {
            return self.clone();
        }
        let mut exps = Vec::new();
        let mut coeffs = Vec::new();
        for (e, c) in self.terms() {
            if e.iter().zip(bounds).all(|(x, b)| x <= b) {
                exps.extend_from_slice(e);
                coeffs.push(c);
            }
        }
        Poly {
            nvars: n,
            exps,
            coeffs,
        }
    }

    /// Substitutes `x_var = val` (the variable stays, with exponent 0 everywhere).
    pub(crate) fn eval_var(&self, var: usize, val: F) -> Poly {
        if val == F::ZERO {
            // Fast path used heavily by Hensel lifting at the origin.
            let mut exps = Vec::new();
            let mut coeffs = Vec::new();
            for (e, c) in self.terms() {
                if e[var] == 0 {
                    exps.extend_from_slice(e);
                    coeffs.push(c);
                }
            }
            return Poly {
                nvars: self.nvars,
                exps,
                coeffs,
            };
        }
        let mut terms = Vec::with_capacity(self.num_terms());
        for (e, c) in self.terms() {
            let mut e2 = e.to_vec();
            let k = e2[var];
            e2[var] = 0;
            terms.push((e2, c * val.exp_u64(k as u64)));
        }
        Poly::from_terms(self.nvars, terms)
    }

    /// The coefficient of `x_var^k` (as a polynomial with exponent 0 in `x_var`).
    pub(crate) fn coeff_of(&self, var: usize, k: u32) -> Poly {
        let mut exps = Vec::new();
        let mut coeffs = Vec::new();
        for (e, c) in self.terms() {
            if e[var] == k {
                let start = exps.len();
                exps.extend_from_slice(e);
                exps[start + var] = 0;
                coeffs.push(c);
            }
        }
        // Removing a fixed exponent keeps the relative deglex order.
        Poly {
            nvars: self.nvars,
            exps,
            coeffs,
        }
    }

    /// All coefficients w.r.t. `x_var`: entry `k` is the coefficient of `x_var^k`.
    pub(crate) fn coeffs_in(&self, var: usize) -> Vec<Poly> {
        let d = self.degree_in(var) as usize;
        let mut parts: Vec<(Vec<u32>, Vec<F>)> = vec![(Vec::new(), Vec::new()); d + 1];
        for (e, c) in self.terms() {
            let k = e[var] as usize;
            let start = parts[k].0.len();
            parts[k].0.extend_from_slice(e);
            parts[k].0[start + var] = 0;
            parts[k].1.push(c);
        }
        parts
            .into_iter()
            .map(|(exps, coeffs)| Poly {
                nvars: self.nvars,
                exps,
                coeffs,
            })
            .collect()
    }

    /// Multiplies by `x_var^k`.
    pub(crate) fn shift_var(&self, var: usize, k: u32) -> Poly {
        let mut p = self.clone();
        for i in 0..p.num_terms() {
            p.exps[i * p.nvars + var] += k;
        }
        // Multiplying every term by the same monomial preserves the order.
        p
    }

    /// Leading coefficient w.r.t. `x_var` (coefficient of the highest power of `x_var`).
    pub(crate) fn lc_in(&self, var: usize) -> Poly {
        self.coeff_of(var, self.degree_in(var))
    }

    /// Partial derivative w.r.t. `x_var`.
    pub(crate) fn derivative(&self, var: usize) -> Poly {
        let mut terms = Vec::with_capacity(self.num_terms());
        for (e, c) in self.terms() {
            if e[var] == 0 {
                continue;
            }
            let mut e2 = e.to_vec();
            e2[var] -= 1;
            terms.push((e2, c * F::from_u64(e[var] as u64)));
        }
        Poly::from_terms(self.nvars, terms)
    }

    /// Taylor shift `x_var -> x_var + a`.
    pub(crate) fn taylor_shift(&self, var: usize, a: F) -> Poly {
        self.substitute_affine(var, a, None)
    }

    /// Shear `x_var -> x_var + c * x_src` (an invertible linear change of variables).
    pub(crate) fn shear(&self, var: usize, src: usize, c: F) -> Poly {
        self.substitute_affine(var, c, Some(src))
    }

    /// `x_var -> x_var + c * m` with `m = x_src`, or `m = 1` when `src` is `None`, by binomial
    /// expansion of every power of `x_var`.
    fn substitute_affine(&self, var: usize, c: F, src: Option<usize>) -> Poly {
        if c == F::ZERO || self.is_zero() || self.degree_in(var) == 0 {
            return self.clone();
        }
        let d = self.degree_in(var) as usize;
        // binom[k][j] = C(k, j); c_pow[i] = c^i.
        let mut binom = vec![vec![F::ONE; 1]];
        for k in 1..=d {
            let prev = &binom[k - 1];
            let mut row = vec![F::ONE; k + 1];
            for j in 1..k {
                row[j] = prev[j - 1] + prev[j];
            }
            binom.push(row);
        }
        let mut c_pow = vec![F::ONE; d + 1];
        for i in 1..=d {
            c_pow[i] = c_pow[i - 1] * c;
        }
        let mut terms = Vec::new();
        for (e, coef) in self.terms() {
            let k = e[var] as usize;
            for j in 0..=k {
                let mut e2 = e.to_vec();
                e2[var] = j as u32;
                if let Some(src) = src {
                    e2[src] += (k - j) as u32;
                }
                terms.push((e2, coef * binom[k][j] * c_pow[k - j]));
            }
        }
        Poly::from_terms(self.nvars, terms)
    }

    /// Re-indexes variables: variable `v` of `self` becomes variable `map[v]` of a
    /// polynomial in `new_nvars` variables (variables absent from `self` may be dropped).
    pub(crate) fn remap(&self, new_nvars: usize, map: &[Option<usize>]) -> Poly {
        let mut terms = Vec::with_capacity(self.num_terms());
        for (e, c) in self.terms() {
            let mut e2 = vec![0u32; new_nvars];
            for (v, &k) in e.iter().enumerate() {
                if k > 0 {
                    if let Some(w) = map[v] {
                        e2[w] += k;
                    }
                }
            }
            terms.push((e2, c));
        }
        Poly::from_terms(new_nvars, terms)
    }

    /// Variables that occur with positive degree.
    pub(crate) fn support_vars(&self) -> Vec<usize> {
        (0..self.nvars).filter(|&v| self.degree_in(v) > 0).collect()
    }
}

/// Exact division for exponent ranges too wide to pack: remainder keyed by
/// (total degree, exponents), whose derived order is deglex.
fn div_exact_wide(a: &Poly, d: &Poly) -> Option<Poly> {
    let n = a.nvars;
    let key = |e: &[u32]| (e.iter().map(|&x| x as u64).sum::<u64>(), e.to_vec());
    let mut rem: BTreeMap<(u64, Vec<u32>), F> = a.terms().map(|(e, c)| (key(e), c)).collect();
    let lt = d.exp(0).to_vec();
    let lt_inv = d.coeffs[0].inverse();
    let mut q = Vec::new();
    let trail = key(a.exp(a.num_terms() - 1));
    while let Some(((td, e), c)) = rem.pop_last() {
        if (td, &e) < (trail.0, &trail.1) {
            return None;
        }
        let mut t = vec![0u32; n];
        for v in 0..n {
            if e[v] < lt[v] {
                return None;
            }
            t[v] = e[v] - lt[v];
        }
        let qc = c * lt_inv;
        for i in 1..d.num_terms() {
            let mut m = Vec::with_capacity(n);
            for v in 0..n {
                m.push(t[v].checked_add(d.exp(i)[v])?);
            }
            let slot = rem.entry(key(&m)).or_insert(F::ZERO);
            *slot -= d.coeffs[i] * qc;
            if *slot == F::ZERO {
                rem.remove(&key(&m));
            }
        }
        q.push((t, qc));
    }
    Some(Poly::from_terms(n, q))
}

/// Exact division with the remainder in a dense array indexed by packed (lex) keys.
/// Division works in any monomial order; in lex order (= numeric key order) every term of
/// `t * d` is below the term being eliminated, so one descending sweep suffices.
fn div_exact_dense(a: &Poly, d: &Poly, pk: &Packer, range: usize) -> Option<Poly> {
    let n = a.nvars;
    let mut rem = vec![F::ZERO; range];
    for (e, c) in a.terms() {
        rem[pk.pack(e) as usize] = c;
    }
    // Lex-leading term of the divisor.
    let (li, _) = (0..d.num_terms())
        .map(|i| (i, d.exp(i)))
        .max_by(|x, y| x.1.cmp(y.1))?;
    let lt = d.exp(li).to_vec();
    let lt_key = pk.pack(&lt);
    let lt_inv = d.coeffs[li].inverse();
    let others: Vec<(Vec<u32>, F)> = (0..d.num_terms())
        .filter(|&i| i != li)
        .map(|i| (d.exp(i).to_vec(), d.coeffs[i]))
        .collect();
    let mut q: Vec<(Vec<u32>, F)> = Vec::new();
    let mut buf = vec![0u32; n];
    let mut t = vec![0u32; n];
    let mut k = range;
    while k > 0 {
        k -= 1;
        let c = rem[k];
        if c == F::ZERO {
            continue;
        }
        if (k as u64) < lt_key {
            return None;
        }
        pk.unpack_into(k as u64, &mut buf);
        for v in 0..n {
            if buf[v] < lt[v] {
                return None;
            }
            t[v] = buf[v] - lt[v];
        }
        let qc = c * lt_inv;
        rem[k] = F::ZERO;
        for (de, dc) in &others {
            for v in 0..n {
                buf[v] = t[v] + de[v];
            }
            if !pk.fits(&buf) {
                return None;
            }
            let kk = pk.pack(&buf) as usize;
            rem[kk] -= *dc * qc;
        }
        q.push((t.clone(), qc));
    }
    Some(Poly::from_terms(n, q))
}

/// Sorts `(sortkey, coeff)` pairs descending, merges equal keys, drops zeros.
fn collect_sorted(mut acc: Vec<(u128, F)>, n: usize, pk: &Packer) -> Poly {
    acc.sort_unstable_by_key(|t| std::cmp::Reverse(t.0));
    let mut exps = Vec::with_capacity(acc.len() * n);
    let mut coeffs = Vec::with_capacity(acc.len());
    let mut buf = vec![0u32; n];
    let mut i = 0;
    while i < acc.len() {
        let k = acc[i].0;
        let mut c = acc[i].1;
        let mut j = i + 1;
        while j < acc.len() && acc[j].0 == k {
            c += acc[j].1;
            j += 1;
        }
        if c != F::ZERO {
            pk.unpack_into(k as u64, &mut buf);
            exps.extend_from_slice(&buf);
            coeffs.push(c);
        }
        i = j;
    }
    Poly {
        nvars: n,
        exps,
        coeffs,
    }
}

/// The most term pairs one bounded multiplication ([`Poly::checked_pow`], the factorizer's
/// lifting) may form: each pair is a 32-byte entry before merging, so this caps it at 512 MiB.
pub const MAX_PRODUCT_PAIRS: usize = 1 << 24;

/// Whether a product of polynomials of `a` and `b` terms stays within [`MAX_PRODUCT_PAIRS`].
pub(crate) fn product_fits(a: usize, b: usize) -> bool {
    a.saturating_mul(b) <= MAX_PRODUCT_PAIRS
}

fn mul_packed(a: &Poly, b: &Poly, pk: &Packer) -> Poly {
    mul_packed_trunc(a, b, pk, None)
}

/// Multiplies using packed keys. Exponent addition is key addition (no carries because
/// the packer's radices bound the result), so the inner loop is two adds per term pair.
fn mul_packed_trunc(a: &Poly, b: &Poly, pk: &Packer, bounds: Option<&[u32]>) -> Poly {
    let n = a.nvars;
    let tdeg = |e: &[u32]| e.iter().map(|&x| x as u64).sum::<u64>();
    // Callers guarantee every input exponent fits the packer (inputs are pre-truncated).
    let ak: Vec<(u64, u64)> = a.terms().map(|(e, _)| (tdeg(e), pk.pack(e))).collect();
    let bk: Vec<(u64, u64)> = b.terms().map(|(e, _)| (tdeg(e), pk.pack(e))).collect();
    let mut acc: Vec<(u128, F)> = Vec::with_capacity(a.num_terms() * b.num_terms());
    let mut buf = vec![0u32; n];
    for (i, &(ta, ka)) in ak.iter().enumerate() {
        let ca = a.coeffs[i];
        let ea = a.exp(i);
        for (j, &(tb, kb)) in bk.iter().enumerate() {
            if let Some(bd) = bounds {
                let eb = b.exp(j);
                let mut ok = true;
                for v in 0..n {
                    buf[v] = ea[v] + eb[v];
                    if buf[v] > bd[v] {
                        ok = false;
                        break;
                    }
                }
                if !ok {
                    continue;
                }
            }
            acc.push((
                (((ta + tb) as u128) << 64) | (ka + kb) as u128,
                ca * b.coeffs[j],
            ));
        }
    }
    collect_sorted(acc, n, pk)
}

/// Fallback product for exponent ranges too wide to pack into 64 bits.
fn mul_generic(a: &Poly, b: &Poly) -> Poly {
    let n = a.nvars;
    let mut terms = Vec::with_capacity(a.num_terms() * b.num_terms());
    for (ea, ca) in a.terms() {
        for (eb, cb) in b.terms() {
            let e: Vec<u32> = ea.iter().zip(eb).map(|(x, y)| x + y).collect();
            terms.push((e, ca * cb));
        }
    }
    Poly::from_terms(n, terms)
}

macro_rules! binop {
    ($tr:ident, $m:ident, $body:expr) => {
        impl std::ops::$tr<&Poly> for &Poly {
            type Output = Poly;
            fn $m(self, rhs: &Poly) -> Poly {
                let f: fn(&Poly, &Poly) -> Poly = $body;
                f(self, rhs)
            }
        }
        impl std::ops::$tr<Poly> for Poly {
            type Output = Poly;
            fn $m(self, rhs: Poly) -> Poly {
                std::ops::$tr::$m(&self, &rhs)
            }
        }
        impl std::ops::$tr<&Poly> for Poly {
            type Output = Poly;
            fn $m(self, rhs: &Poly) -> Poly {
                std::ops::$tr::$m(&self, rhs)
            }
        }
        impl std::ops::$tr<Poly> for &Poly {
            type Output = Poly;
            fn $m(self, rhs: Poly) -> Poly {
                std::ops::$tr::$m(self, &rhs)
            }
        }
    };
}

binop!(Add, add, |a, b| a.add_scaled(b, F::ONE));
binop!(Sub, sub, |a, b| a.add_scaled(b, -F::ONE));
// Multiplication panics only if an exponent overflows u32; use `checked_mul` to avoid that.
binop!(Mul, mul, |a, b| a.mul_ref(b));

impl std::ops::Neg for Poly {
    type Output = Poly;
    fn neg(self) -> Poly {
        self.neg_ref()
    }
}
impl std::ops::Neg for &Poly {
    type Output = Poly;
    fn neg(self) -> Poly {
        self.neg_ref()
    }
}
