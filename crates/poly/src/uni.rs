//! Dense univariate polynomials over F_p (coefficient vectors, lowest degree first) and
//! univariate factorization: Yun's square-free decomposition, distinct-degree
//! factorization with a Frobenius (Berlekamp Q-) matrix, and Cantor–Zassenhaus
//! equal-degree splitting (von zur Gathen & Gerhard, ch. 14).

use crate::rng::SplitMix64;
use crate::F;
use p3_field::{Field, PrimeCharacteristicRing};
use resvm_field::P;

/// A dense univariate polynomial, lowest coefficient first, no trailing zeros.
pub(crate) type U = Vec<F>;

pub(crate) fn trim(mut a: U) -> U {
    while a.last() == Some(&F::ZERO) {
        a.pop();
    }
    a
}

/// Degree, with -1 for zero.
pub(crate) fn deg(a: &[F]) -> isize {
    a.len() as isize - 1
}

pub(crate) fn add(a: &[F], b: &[F]) -> U {
    let n = a.len().max(b.len());
    let mut r = vec![F::ZERO; n];
    for (i, &x) in a.iter().enumerate() {
        r[i] = x;
    }
    for (i, &x) in b.iter().enumerate() {
        r[i] += x;
    }
    trim(r)
}

pub(crate) fn sub(a: &[F], b: &[F]) -> U {
    let n = a.len().max(b.len());
    let mut r = vec![F::ZERO; n];
    for (i, &x) in a.iter().enumerate() {
        r[i] = x;
    }
    for (i, &x) in b.iter().enumerate() {
        r[i] -= x;
    }
    trim(r)
}

pub(crate) fn scale(a: &[F], c: F) -> U {
    if c == F::ZERO {
        return Vec::new();
    }
    a.iter().map(|&x| x * c).collect()
}

pub(crate) fn mul(a: &[F], b: &[F]) -> U {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let mut r = vec![F::ZERO; a.len() + b.len() - 1];
    for (i, &x) in a.iter().enumerate() {
        if x == F::ZERO {
            continue;
        }
        for (j, &y) in b.iter().enumerate() {
            r[i + j] += x * y;
        }
    }
    trim(r)
}

/// Quotient and remainder; `b` must be nonzero.
pub(crate) fn divrem(a: &[F], b: &[F]) -> (U, U) {
    let db = b.len() - 1;
    if a.len() < b.len() {
        return (Vec::new(), a.to_vec());
    }
    let inv = b[db].inverse();
    let mut r = a.to_vec();
    let mut q = vec![F::ZERO; a.len() - db];
    for i in (0..q.len()).rev() {
        let c = r[i + db] * inv;
        q[i] = c;
        if c != F::ZERO {
            for j in 0..=db {
                r[i + j] -= c * b[j];
            }
        }
    }
    r.truncate(db);
    (trim(q), trim(r))
}

pub(crate) fn rem(a: &[F], b: &[F]) -> U {
    if a.len() < b.len() {
        return a.to_vec();
    }
    divrem(a, b).1
}

pub(crate) fn monic(a: &[F]) -> U {
    match a.last() {
        None => Vec::new(),
        Some(&lc) => scale(a, lc.inverse()),
    }
}

/// Monic gcd (zero if both are zero). Remainders are computed up to a scalar
/// (`lc(b) * r - lc(r) * x^k * b`), avoiding a field inversion per Euclid step; the
/// result is normalised once at the end.
pub(crate) fn gcd(a: &[F], b: &[F]) -> U {
    let mut a = trim(a.to_vec());
    let mut b = trim(b.to_vec());
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    while !b.is_empty() {
        let lb = b[b.len() - 1];
        let db = b.len() - 1;
        while a.len() >= b.len() {
            let la = a[a.len() - 1];
            let shift = a.len() - b.len();
            for x in a.iter_mut() {
                *x *= lb;
            }
            for j in 0..db {
                a[shift + j] -= la * b[j];
            }
            a.pop();
            while a.last() == Some(&F::ZERO) {
                a.pop();
            }
        }
        std::mem::swap(&mut a, &mut b);
    }
    monic(&a)
}

/// Inverse of `a` modulo `m` (extended Euclid), or `None` if not coprime.
pub(crate) fn inv_mod(a: &[F], m: &[F]) -> Option<U> {
    let mut r0 = m.to_vec();
    let mut r1 = rem(a, m);
    let mut s0: U = Vec::new();
    let mut s1: U = vec![F::ONE];
    while !r1.is_empty() {
        let (q, r) = divrem(&r0, &r1);
        let s = sub(&s0, &mul(&q, &s1));
        r0 = r1;
        r1 = r;
        s0 = s1;
        s1 = s;
    }
    if r0.len() != 1 {
        return None;
    }
    let c = r0[0].inverse();
    Some(rem(&scale(&s0, c), m))
}

pub(crate) fn derivative(a: &[F]) -> U {
    if a.len() <= 1 {
        return Vec::new();
    }
    trim((1..a.len()).map(|i| a[i] * F::from_u64(i as u64)).collect())
}

pub(crate) fn mulmod(a: &[F], b: &[F], m: &[F]) -> U {
    rem(&mul(a, b), m)
}

/// `a^e mod m` by square-and-multiply.
pub(crate) fn powmod(a: &[F], mut e: u64, m: &[F]) -> U {
    let mut base = rem(a, m);
    let mut r = rem(&[F::ONE], m);
    while e > 0 {
        if e & 1 == 1 {
            r = mulmod(&r, &base, m);
        }
        e >>= 1;
        if e > 0 {
            base = mulmod(&base, &base, m);
        }
    }
    r
}

pub(crate) fn eval(a: &[F], x: F) -> F {
    let mut acc = F::ZERO;
    for &c in a.iter().rev() {
        acc = acc * x + c;
    }
    acc
}

/// Yun's square-free decomposition of a monic polynomial: pairs `(g_i, i)` with
/// `f = prod g_i^i`, each `g_i` monic, square-free and pairwise coprime. Correct because
/// degrees stay far below p (a nonzero polynomial of degree < p has nonzero derivative).
pub(crate) fn squarefree(f: &[F]) -> Vec<(U, u32)> {
    let mut out = Vec::new();
    if f.len() <= 1 {
        return out;
    }
    let fp = derivative(f);
    let b = gcd(f, &fp);
    let mut c = divrem(f, &b).0;
    let mut d = sub(&divrem(&fp, &b).0, &derivative(&c));
    let mut i = 1u32;
    while c.len() > 1 {
        let a = gcd(&c, &d);
        c = divrem(&c, &a).0;
        d = sub(&divrem(&d, &a).0, &derivative(&c));
        if a.len() > 1 {
            out.push((a, i));
        }
        i += 1;
    }
    out
}

/// The Frobenius map h -> h^p mod f as a matrix: row i is x^(i p) mod f.
struct Frobenius {
    rows: Vec<U>,
    f: U,
}

impl Frobenius {
    fn new(f: &[F]) -> Self {
        let n = f.len() - 1;
        let xp = powmod(&[F::ZERO, F::ONE], P, f);
        let mut rows = Vec::with_capacity(n);
        let mut cur = rem(&[F::ONE], f);
        for _ in 0..n {
            rows.push(cur.clone());
            cur = mulmod(&cur, &xp, f);
        }
        Frobenius {
            rows,
            f: f.to_vec(),
        }
    }
    /// h^p mod f (h reduced mod f), linear because the Frobenius is additive.
    fn apply(&self, h: &[F]) -> U {
        let n = self.f.len() - 1;
        let mut r = vec![F::ZERO; n];
        for (i, &c) in h.iter().enumerate() {
            if c == F::ZERO {
                continue;
            }
            for (j, &q) in self.rows[i].iter().enumerate() {
                r[j] += c * q;
            }
        }
        trim(r)
    }
}

/// Distinct-degree factorization of a monic square-free polynomial: pairs `(g, k)` where
/// `g` is the product of all irreducible factors of degree `k`.
fn ddf(f: &[F], fr: &Frobenius) -> Vec<(U, usize)> {
    let mut out = Vec::new();
    let x: U = vec![F::ZERO, F::ONE];
    let mut g = f.to_vec();
    let mut h = rem(&x, f);
    let mut k = 1;
    while 2 * k <= deg(&g) as usize {
        h = fr.apply(&h);
        let gk = gcd(&g, &sub(&h, &x));
        if gk.len() > 1 {
            g = divrem(&g, &gk).0;
            out.push((gk, k));
        }
        k += 1;
    }
    if g.len() > 1 {
        let d = deg(&g) as usize;
        out.push((g, d));
    }
    out
}

/// Cantor–Zassenhaus equal-degree splitting of `g`, a product of distinct monic
/// irreducibles of degree `k`. Uses a^((p^k-1)/2) = (a a^p ... a^(p^(k-1)))^((p-1)/2) so
/// only the Frobenius and one 63-bit power are needed.
fn edf(g: &[F], k: usize, fr: &Frobenius, rng: &mut SplitMix64, out: &mut Vec<U>) {
    let n = deg(g) as usize;
    if n == k {
        out.push(g.to_vec());
        return;
    }
    loop {
        let a: U = trim((0..n).map(|_| rng.next_f()).collect());
        if a.len() <= 1 {
            continue;
        }
        // Frobenius mod f, then reduce mod g (g divides f).
        let mut t = rem(&a, g);
        let mut acc = t.clone();
        for _ in 1..k {
            t = rem(&fr.apply(&t), g);
            acc = mulmod(&acc, &t, g);
        }
        let b = powmod(&acc, (P - 1) / 2, g);
        let d = gcd(g, &sub(&b, &[F::ONE]));
        if d.len() > 1 && d.len() < g.len() {
            let e = divrem(g, &d).0;
            edf(&d, k, fr, rng, out);
            edf(&e, k, fr, rng, out);
            return;
        }
    }
}

/// Factors a monic square-free polynomial into monic irreducibles.
pub(crate) fn factor_squarefree(f: &[F], rng: &mut SplitMix64) -> Vec<U> {
    let mut out = Vec::new();
    if f.len() <= 1 {
        return out;
    }
    if f.len() == 2 {
        out.push(f.to_vec());
        return out;
    }
    let fr = Frobenius::new(f);
    for (g, k) in ddf(f, &fr) {
        edf(&g, k, &fr, rng, &mut out);
    }
    out
}

/// Full univariate factorization: `(lc, [(monic irreducible, multiplicity)])`.
pub(crate) fn factor(f: &[F], rng: &mut SplitMix64) -> (F, Vec<(U, u32)>) {
    let f = trim(f.to_vec());
    let Some(&lc) = f.last() else {
        return (F::ZERO, Vec::new());
    };
    let m = monic(&f);
    let mut out = Vec::new();
    for (g, e) in squarefree(&m) {
        for h in factor_squarefree(&g, rng) {
            out.push((h, e));
        }
    }
    (lc, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Rabin's irreducibility test: f (monic, degree n) is irreducible iff
    /// x^(p^n) = x mod f and gcd(x^(p^(n/q)) - x, f) = 1 for every prime q | n.
    fn is_irreducible(f: &[F]) -> bool {
        let n = deg(f) as usize;
        if n == 0 {
            return false;
        }
        let fr = Frobenius::new(f);
        let x = rem(&[F::ZERO, F::ONE], f);
        let mut pows = vec![x.clone()]; // pows[i] = x^(p^i) mod f
        for i in 0..n {
            let next = fr.apply(&pows[i]);
            pows.push(next);
        }
        if pows[n] != x {
            return false;
        }
        let primes: Vec<usize> = (2..=n)
            .filter(|&q| n % q == 0 && (2..q).all(|d| q % d != 0))
            .collect();
        primes
            .iter()
            .all(|&q| gcd(&sub(&pows[n / q], &x), f).len() == 1)
    }

    fn coeff() -> impl Strategy<Value = F> {
        any::<u64>().prop_map(F::from_u64)
    }

    fn upoly(maxdeg: usize) -> impl Strategy<Value = U> {
        prop::collection::vec(coeff(), 2..=maxdeg + 1).prop_map(|mut v| {
            if v.last() == Some(&F::ZERO) {
                *v.last_mut().unwrap() = F::ONE;
            }
            v
        })
    }

    #[test]
    fn rabin_test_sanity() {
        // x^2 + 1 splits iff -1 is a square; p = 1 mod 4 so it splits.
        assert!(!is_irreducible(&[F::ONE, F::ZERO, F::ONE]));
        // x^2 - 7: 7 is a non-residue mod p (checked by Euler's criterion below).
        let seven = F::from_u64(7);
        let nonres = seven.exp_u64((P - 1) / 2) != F::ONE;
        assert_eq!(is_irreducible(&[-seven, F::ZERO, F::ONE]), nonres);
        assert!(is_irreducible(&[F::from_u64(5), F::ONE]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn univariate_factors_multiply_back_and_are_irreducible(ps in prop::collection::vec((upoly(6), 1u32..4), 1..4)) {
            let mut f: U = vec![F::from_u64(3)];
            for (p, e) in &ps {
                for _ in 0..*e {
                    f = mul(&f, p);
                }
            }
            let mut rng = SplitMix64::new(1);
            let (lc, fs) = factor(&f, &mut rng);
            let mut back: U = vec![lc];
            let total: usize = fs.iter().map(|(g, e)| deg(g) as usize * *e as usize).sum();
            prop_assert_eq!(total, deg(&f) as usize);
            for (g, e) in &fs {
                prop_assert!(is_irreducible(g));
                prop_assert_eq!(g.last().copied(), Some(F::ONE));
                for _ in 0..*e {
                    back = mul(&back, g);
                }
            }
            prop_assert_eq!(back, f);
            // Factors are distinct.
            for i in 0..fs.len() {
                for j in i + 1..fs.len() {
                    prop_assert_ne!(&fs[i].0, &fs[j].0);
                }
            }
        }
    }
}
