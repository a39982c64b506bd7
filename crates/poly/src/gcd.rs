//! Multivariate gcd over F_p by Brown's dense evaluation/interpolation scheme (Geddes,
//! Czapor & Labahn §7.4): eliminate one variable z by evaluating at random points,
//! recursing, scaling images by gamma = gcd of the leading coefficients in F[z], and
//! interpolating incrementally (Newton) until the interpolant stabilises; every candidate
//! is confirmed by exact division, so a wrong answer is never returned.

use crate::poly::Poly;
use crate::rng::SplitMix64;
use crate::uni::{self, U};
use crate::F;
use p3_field::{Field, PrimeCharacteristicRing};
use std::collections::BTreeMap;

/// Restarts allowed per elimination level before giving up (each needs an unlucky point,
/// probability about degree/p).
const MAX_RESTARTS: usize = 6;

/// Monic (deglex) gcd; `None` only if every evaluation point was unlucky.
pub(crate) fn gcd(a: &Poly, b: &Poly, rng: &mut SplitMix64) -> Option<Poly> {
    let n = a.nvars();
    if a.is_zero() {
        return Some(b.make_monic().1);
    }
    if b.is_zero() {
        return Some(a.make_monic().1);
    }
    if a.as_constant().is_some() || b.as_constant().is_some() {
        return Some(Poly::constant(n, F::ONE));
    }
    // Monomial parts first: cheap and keeps the dense recursion smaller.
    let (ma, a1) = split_monomial(a);
    let (mb, b1) = split_monomial(b);
    let mono: Vec<u32> = ma.iter().zip(&mb).map(|(x, y)| *x.min(y)).collect();
    // Compress to the variables that occur in either polynomial.
    let mut vars = a1.support_vars();
    for v in b1.support_vars() {
        if !vars.contains(&v) {
            vars.push(v);
        }
    }
    vars.sort_unstable();
    let g = if vars.is_empty() || a1.as_constant().is_some() || b1.as_constant().is_some() {
        Poly::constant(n, F::ONE)
    } else {
        let mut map = vec![None; n];
        let mut back = vec![None; vars.len()];
        for (i, &v) in vars.iter().enumerate() {
            map[v] = Some(i);
            back[i] = Some(v);
        }
        let ac = a1.remap(vars.len(), &map);
        let bc = b1.remap(vars.len(), &map);
        gcd_rec(&ac, &bc, rng)?.remap(n, &back)
    };
    let m = Poly::from_sorted(n, mono, vec![F::ONE]);
    Some(g.mul_ref(&m).make_monic().1)
}

/// Gcd of many polynomials, stopping early once it is 1.
pub(crate) fn gcd_many(ps: &[Poly], nvars: usize, rng: &mut SplitMix64) -> Option<Poly> {
    let mut g = Poly::zero(nvars);
    for p in ps {
        if p.is_zero() {
            continue;
        }
        g = gcd(&g, p, rng)?;
        if g.as_constant().is_some() {
            return Some(g);
        }
    }
    Some(g)
}

/// Content of `f` w.r.t. `var`: the gcd of its coefficients as polynomials in the others.
pub(crate) fn content_in(f: &Poly, var: usize, rng: &mut SplitMix64) -> Option<Poly> {
    let mut cs = f.coeffs_in(var);
    // Fewest terms first: gcds of small polynomials are cheapest and often decide early.
    cs.sort_by_key(|c| c.num_terms());
    gcd_many(&cs, f.nvars(), rng)
}

/// Splits off the monomial content: `(min exponents, f / monomial)`.
pub(crate) fn split_monomial(f: &Poly) -> (Vec<u32>, Poly) {
    let n = f.nvars();
    let mut mins = vec![u32::MAX; n];
    for (e, _) in f.terms() {
        for v in 0..n {
            mins[v] = mins[v].min(e[v]);
        }
    }
    if f.is_zero() {
        mins = vec![0; n];
    }
    if mins.iter().all(|&m| m == 0) {
        return (mins, f.clone());
    }
    let mut g = f.clone();
    for i in 0..g.num_terms() {
        for v in 0..n {
            g.exps[i * n + v] -= mins[v];
        }
    }
    (mins, g)
}

type Split = BTreeMap<(u64, Vec<u32>), U>;

/// Views `f` as a polynomial in the variables other than `z` with coefficients in F[z].
/// Keys order as deglex (ascending) on the remaining variables.
fn split_z(f: &Poly, z: usize) -> Split {
    let mut m: Split = BTreeMap::new();
    for (e, c) in f.terms() {
        let mut k = e.to_vec();
        let d = k[z] as usize;
        k[z] = 0;
        let t: u64 = k.iter().map(|&x| x as u64).sum();
        let u = m.entry((t, k)).or_default();
        if u.len() <= d {
            u.resize(d + 1, F::ZERO);
        }
        u[d] += c;
    }
    m
}

fn join_z(s: &Split, n: usize, z: usize) -> Poly {
    let mut terms = Vec::new();
    for ((_, k), u) in s {
        for (d, &c) in u.iter().enumerate() {
            if c != F::ZERO {
                let mut e = k.clone();
                e[z] = d as u32;
                terms.push((e, c));
            }
        }
    }
    Poly::from_terms(n, terms)
}

fn eval_split(s: &Split, n: usize, b: F) -> Poly {
    let mut terms = Vec::with_capacity(s.len());
    for ((_, k), u) in s {
        let v = uni::eval(u, b);
        if v != F::ZERO {
            terms.push((k.clone(), v));
        }
    }
    Poly::from_terms(n, terms)
}

/// Gcd of two nonzero polynomials (all variables may occur); result monic.
fn gcd_rec(a: &Poly, b: &Poly, rng: &mut SplitMix64) -> Option<Poly> {
    let n = a.nvars();
    if a.as_constant().is_some() || b.as_constant().is_some() {
        return Some(Poly::constant(n, F::ONE));
    }
    let mut vars = a.support_vars();
    for v in b.support_vars() {
        if !vars.contains(&v) {
            vars.push(v);
        }
    }
    if vars.len() == 1 {
        let v = vars[0];
        let ua = to_uni(a, v);
        let ub = to_uni(b, v);
        return Some(from_uni(&uni::gcd(&ua, &ub), n, v));
    }
    let z = *vars.iter().max()?;
    let sa = split_z(a, z);
    let sb = split_z(b, z);
    let conta = sa.values().fold(
        Vec::new(),
        |g, u| if g.len() == 1 { g } else { uni::gcd(&g, u) },
    );
    let contb = sb.values().fold(
        Vec::new(),
        |g, u| if g.len() == 1 { g } else { uni::gcd(&g, u) },
    );
    let cg = uni::gcd(&conta, &contb);
    let sa: Split = sa
        .into_iter()
        .map(|(k, u)| (k, uni::divrem(&u, &conta).0))
        .collect();
    let sb: Split = sb
        .into_iter()
        .map(|(k, u)| (k, uni::divrem(&u, &contb).0))
        .collect();
    let pa = join_z(&sa, n, z);
    let pb = join_z(&sb, n, z);
    let lca = sa.values().next_back()?.clone();
    let lcb = sb.values().next_back()?.clone();
    let gamma = uni::gcd(&lca, &lcb);
    let degz = |s: &Split| s.values().map(|u| uni::deg(u)).max().unwrap_or(0).max(0) as usize;
    let bound = degz(&sa).min(degz(&sb)) + uni::deg(&gamma).max(0) as usize;
    let cg_poly = from_uni(&cg, n, z);

    'restart: for _ in 0..MAX_RESTARTS {
        // Interpolant: monomial (in non-z variables) -> coefficient polynomial in z.
        let mut interp: Split = BTreeMap::new();
        let mut lead: Option<(u64, Vec<u32>)> = None;
        let mut modulus: U = vec![F::ONE];
        let mut npts = 0usize;
        let mut tries = 0usize;
        while npts <= bound + 1 {
            tries += 1;
            if tries > 4 * (bound + 2) + 16 {
                continue 'restart;
            }
            let pt = rng.next_f();
            if uni::eval(&lca, pt) == F::ZERO
                || uni::eval(&lcb, pt) == F::ZERO
                || uni::eval(&modulus, pt) == F::ZERO
            {
                continue;
            }
            let ga = eval_split(&sa, n, pt);
            let gb = eval_split(&sb, n, pt);
            let g = gcd_rec(&ga, &gb, rng)?;
            if g.as_constant().is_some() {
                return Some(cg_poly.make_monic().1);
            }
            let g = g.scale(uni::eval(&gamma, pt));
            let lm = {
                let e = g.exp(0).to_vec();
                (e.iter().map(|&x| x as u64).sum::<u64>(), e)
            };
            match &lead {
                Some(l) if lm > *l => continue, // unlucky image: its gcd is too large
                Some(l) if lm < *l => continue 'restart, // all earlier images were unlucky
                _ => {}
            }
            lead = Some(lm);
            // Newton step: G += (v - G(pt)) / M(pt) * M(z).
            let mval_inv = uni::eval(&modulus, pt).inverse();
            let mut changed = false;
            let gs: BTreeMap<(u64, Vec<u32>), F> = g
                .terms()
                .map(|(e, c)| ((e.iter().map(|&x| x as u64).sum::<u64>(), e.to_vec()), c))
                .collect();
            let mut keys: Vec<(u64, Vec<u32>)> = interp.keys().cloned().collect();
            for k in gs.keys() {
                if !interp.contains_key(k) {
                    keys.push(k.clone());
                }
            }
            for k in keys {
                let v = gs.get(&k).copied().unwrap_or(F::ZERO);
                let u = interp.entry(k).or_default();
                let cur = uni::eval(u, pt);
                let delta = (v - cur) * mval_inv;
                if delta != F::ZERO {
                    changed = true;
                    *u = uni::add(u, &uni::scale(&modulus, delta));
                }
            }
            interp.retain(|_, u| !u.is_empty());
            modulus = uni::mul(&modulus, &[-pt, F::ONE]);
            npts += 1;
            if !changed || npts > bound {
                // Stable (or at the degree bound): take the primitive part and check.
                let cont = interp.values().fold(Vec::new(), |g, u| uni::gcd(&g, u));
                let prim: Split = interp
                    .iter()
                    .map(|(k, u)| (k.clone(), uni::divrem(u, &cont).0))
                    .collect();
                let cand = join_z(&prim, n, z);
                if cand.is_zero() {
                    continue;
                }
                if pa.div_exact(&cand).is_some() && pb.div_exact(&cand).is_some() {
                    return Some(cand.mul_ref(&cg_poly).make_monic().1);
                }
                if npts > bound {
                    continue 'restart;
                }
            }
        }
    }
    None
}

pub(crate) fn to_uni(f: &Poly, v: usize) -> U {
    let d = f.degree_in(v) as usize;
    let mut u = vec![F::ZERO; d + 1];
    for (e, c) in f.terms() {
        u[e[v] as usize] += c;
    }
    uni::trim(u)
}

pub(crate) fn from_uni(u: &[F], n: usize, v: usize) -> Poly {
    let mut exps = Vec::new();
    let mut coeffs = Vec::new();
    for (d, &c) in u.iter().enumerate().rev() {
        if c != F::ZERO {
            let mut e = vec![0u32; n];
            e[v] = d as u32;
            exps.extend_from_slice(&e);
            coeffs.push(c);
        }
    }
    Poly::from_sorted(n, exps, coeffs)
}
