//! Multivariate factorization over F_p.
//!
//! Pipeline (von zur Gathen & Gerhard ch. 14–16; Geddes, Czapor & Labahn ch. 6):
//! 1. limits check, unit and monomial content;
//! 2. recursively: content w.r.t. a main variable (factored recursively, it has fewer
//!    variables), then Yun's square-free decomposition of the primitive part;
//! 3. each square-free primitive part: pick an evaluation point (the origin first, since it
//!    keeps sparse inputs sparse, then random points) where the leading coefficient does not
//!    vanish and the univariate image stays square-free; factor the image
//!    (Cantor–Zassenhaus); lift to the bivariate image by y-adic Hensel lifting and
//!    recombine lifted factors by trial division (exact: gives the irreducible bivariate
//!    factors); then lift variable by variable (Wang's multivariate Hensel lifting with
//!    the leading coefficient imposed on every factor, i.e. lifting lc^(s-1) * f);
//!    If that fails twice (a factor may not involve y1, so the bivariate image can split
//!    further), later points also shear y_j -> y_j + c_j*y1, so the bivariate image is f
//!    on a random line, which preserves irreducibility with high probability;
//! 4. primitive parts of the lifted factors are checked by multiplying back; a failed
//!    check (an unlucky point) retries with a new point, a bounded number of times.

use crate::gcd::{self, content_in, from_uni, split_monomial, to_uni};
use crate::poly::Poly;
use crate::rng::SplitMix64;
use crate::uni::{self, U};
use crate::{factor_order, FactorError, Factorization, Limits, F};
use p3_field::{Field, PrimeCharacteristicRing};

/// Shared state of one factorization: the seeded PRNG and the limits.
struct Ctx<'a> {
    rng: SplitMix64,
    limits: &'a Limits,
}

fn unlucky(limits: &Limits) -> FactorError {
    FactorError::Unlucky {
        retries: limits.max_retries,
    }
}

pub(crate) fn factor(f: &Poly, limits: &Limits) -> Result<Factorization, FactorError> {
    let n = f.nvars();
    if f.num_terms() > limits.max_terms {
        return Err(FactorError::TooLarge {
            what: "number of terms",
            value: f.num_terms() as u64,
            limit: limits.max_terms as u64,
        });
    }
    let td = f.total_degree().unwrap_or(0);
    if td > limits.max_total_degree {
        return Err(FactorError::TooLarge {
            what: "total degree",
            value: td,
            limit: limits.max_total_degree,
        });
    }
    let nv = f.support_vars().len();
    if nv > limits.max_vars {
        return Err(FactorError::TooLarge {
            what: "number of variables",
            value: nv as u64,
            limit: limits.max_vars as u64,
        });
    }
    let (unit, m) = f.make_monic();
    if m.as_constant().is_some() {
        return Ok(Factorization {
            unit,
            factors: vec![],
        });
    }
    let mut ctx = Ctx {
        rng: SplitMix64::new(0x5eed_f00d_1234_5678),
        limits,
    };
    let mut factors: Vec<(Poly, u32)> = Vec::new();
    let (mono, rest) = split_monomial(&m);
    for (v, &k) in mono.iter().enumerate() {
        if k > 0 {
            factors.push((Poly::var(n, v), k));
        }
    }
    if rest.as_constant().is_none() {
        factor_rec(&rest, &mut ctx, &mut factors, 1)?;
    }
    // Canonical form: monic factors, equal factors merged, sorted.
    let mut out: Vec<(Poly, u32)> = Vec::new();
    for (p, e) in factors {
        let p = p.make_monic().1;
        match out.iter_mut().find(|(q, _)| *q == p) {
            Some(slot) => slot.1 += e,
            None => out.push((p, e)),
        }
    }
    out.sort_by(factor_order);
    let result = Factorization { unit, factors: out };
    // The contract: never return a factorization that does not multiply back.
    if !check_product(&result, f) {
        return Err(unlucky(limits));
    }
    Ok(result)
}

fn check_product(fz: &Factorization, f: &Poly) -> bool {
    let mut acc = Poly::constant(f.nvars(), fz.unit);
    for (p, e) in &fz.factors {
        for _ in 0..*e {
            match acc.checked_mul(p) {
                Some(q) => acc = q,
                None => return false,
            }
        }
    }
    acc == *f
}

/// Compresses `f` to the variables it uses, with `first` (if given) as variable 0.
/// Returns the compressed polynomial and the map back (compressed index -> original).
fn compress(f: &Poly, first: Option<usize>) -> (Poly, Vec<usize>) {
    let mut vars = f.support_vars();
    if let Some(v) = first {
        vars.retain(|&w| w != v);
        vars.insert(0, v);
    }
    let mut map = vec![None; f.nvars()];
    for (i, &v) in vars.iter().enumerate() {
        map[v] = Some(i);
    }
    (f.remap(vars.len(), &map), vars)
}

fn expand_back(g: &Poly, vars: &[usize], n: usize) -> Poly {
    let back: Vec<Option<usize>> = vars.iter().map(|&v| Some(v)).collect();
    g.remap(n, &back)
}

/// Factors a nonconstant polynomial without monomial content, appending
/// `(irreducible, multiplicity * mult)` pairs.
fn factor_rec(
    f: &Poly,
    ctx: &mut Ctx,
    out: &mut Vec<(Poly, u32)>,
    mult: u32,
) -> Result<(), FactorError> {
    let n = f.nvars();
    let (fc, vars) = compress(f, None);
    let k = fc.nvars();
    if k == 0 {
        return Ok(());
    }
    if k == 1 {
        let (_, fs) = uni::factor(&to_uni(&fc, 0), &mut ctx.rng);
        for (g, e) in fs {
            out.push((expand_back(&from_uni(&g, 1, 0), &vars, n), e * mult));
        }
        return Ok(());
    }
    // Main variable: the smallest positive degree keeps univariate images small.
    let v = (0..k).min_by_key(|&v| fc.degree_in(v)).unwrap_or(0);
    let cont = content_in(&fc, v, &mut ctx.rng).ok_or_else(|| unlucky(ctx.limits))?;
    let mut pp = fc.clone();
    if cont.as_constant().is_none() {
        let mut sub = Vec::new();
        factor_rec(&cont, ctx, &mut sub, mult)?;
        for (g, e) in sub {
            out.push((expand_back(&g, &vars, n), e));
        }
        pp = fc.div_exact(&cont).ok_or_else(|| unlucky(ctx.limits))?;
    }
    // Yun's square-free decomposition w.r.t. v (pp is primitive in v, degrees < p).
    for (s, i) in squarefree_yun(&pp, v, ctx)? {
        for g in factor_sqfree_prim(&s, v, ctx)? {
            out.push((expand_back(&g, &vars, n), i * mult));
        }
    }
    Ok(())
}

fn squarefree_yun(f: &Poly, v: usize, ctx: &mut Ctx) -> Result<Vec<(Poly, u32)>, FactorError> {
    let bad = || unlucky(ctx.limits);
    let fp = f.derivative(v);
    let b = gcd::gcd(f, &fp, &mut ctx.rng).ok_or_else(bad)?;
    if b.as_constant().is_some() {
        return Ok(vec![(f.clone(), 1)]);
    }
    let mut c = f.div_exact(&b).ok_or_else(bad)?;
    let mut d = fp.div_exact(&b).ok_or_else(bad)? - c.derivative(v);
    let mut out = Vec::new();
    let mut i = 1u32;
    while c.as_constant().is_none() {
        let a = gcd::gcd(&c, &d, &mut ctx.rng).ok_or_else(bad)?;
        c = c.div_exact(&a).ok_or_else(bad)?;
        d = d.div_exact(&a).ok_or_else(bad)? - c.derivative(v);
        if a.as_constant().is_none() {
            out.push((a, i));
        }
        i += 1;
    }
    Ok(out)
}

/// Irreducible factors of a square-free polynomial that is primitive w.r.t. `v`.
fn factor_sqfree_prim(f: &Poly, v: usize, ctx: &mut Ctx) -> Result<Vec<Poly>, FactorError> {
    let n = f.nvars();
    let (g, vars) = compress(f, Some(v));
    let k = g.nvars();
    if k == 1 {
        let mut out = Vec::new();
        for h in uni::factor_squarefree(&uni::monic(&to_uni(&g, 0)), &mut ctx.rng) {
            out.push(expand_back(&from_uni(&h, 1, 0), &vars, n));
        }
        return Ok(out);
    }
    let lc = g.lc_in(0);
    let dx = g.degree_in(0);
    let mut lucky_tries = 0u32;
    for attempt in 0..(4 * ctx.limits.max_retries + 4) {
        // The origin first (keeps sparse inputs sparse), then random points.
        let point: Vec<F> = (0..k)
            .map(|i| {
                if i == 0 || attempt == 0 {
                    F::ZERO
                } else {
                    ctx.rng.next_f()
                }
            })
            .collect();
        if lc.eval(&point) == F::ZERO {
            continue;
        }
        let mut u = g.clone();
        for j in 1..k {
            u = u.eval_var(j, point[j]);
        }
        let u = to_uni(&u, 0);
        if uni::deg(&u) != dx as isize || uni::gcd(&u, &uni::derivative(&u)).len() != 1 {
            continue;
        }
        lucky_tries += 1;
        if lucky_tries > ctx.limits.max_retries {
            break;
        }
        // From the third try on, also shear y_j -> y_j + c_j*y1 (j >= 2): the bivariate
        // image is then f on a random line through the point, which keeps irreducible
        // factors irreducible even when a factor does not involve y1.
        let shear: Vec<F> = (0..k)
            .map(|j| {
                if j >= 2 && lucky_tries >= 3 {
                    ctx.rng.next_f()
                } else {
                    F::ZERO
                }
            })
            .collect();
        if let Some(fs) = factor_at_point(&g, &point, &shear, &u, ctx)? {
            return Ok(fs.into_iter().map(|h| expand_back(&h, &vars, n)).collect());
        }
    }
    Err(unlucky(ctx.limits))
}

/// One attempt at a good point (moved to the origin, then optionally sheared by
/// `y_j -> y_j + shear[j] * y1`). `Ok(None)` means the point was unlucky.
fn factor_at_point(
    f: &Poly,
    point: &[F],
    shear: &[F],
    u: &[F],
    ctx: &mut Ctx,
) -> Result<Option<Vec<Poly>>, FactorError> {
    let k = f.nvars();
    let (_, ufs) = uni::factor(u, &mut ctx.rng);
    if ufs.len() <= 1 {
        return Ok(Some(vec![f.clone()])); // the image is irreducible, so f is
    }
    let ufs: Vec<U> = ufs.into_iter().map(|(h, _)| h).collect();
    // Move the point to the origin.
    let mut g = f.clone();
    for j in 1..k {
        g = g.taylor_shift(j, point[j]);
    }
    for j in 2..k {
        g = g.shear(j, 1, shear[j]);
    }
    if g.num_terms() > ctx.limits.max_intermediate_terms {
        return Err(FactorError::TooLarge {
            what: "intermediate terms",
            value: g.num_terms() as u64,
            limit: ctx.limits.max_intermediate_terms as u64,
        });
    }
    let image = |g: &Poly| {
        let mut g2 = g.clone();
        for j in 2..k {
            g2 = g2.eval_var(j, F::ZERO);
        }
        to_dense2(&g2)
    };
    let mut shear = shear.to_vec();
    let mut biv = bivariate_factor(&image(&g), &ufs, ctx)?;
    if k >= 3 && biv.len() > 1 && shear.iter().all(|&c| c == F::ZERO) {
        // The true factor count is at most that of any image; a sheared (random-line)
        // image is cheap to factor and avoids a doomed lift when the axis-parallel image
        // splits further (e.g. a factor that does not involve y1).
        let alt: Vec<F> = (0..k)
            .map(|j| if j >= 2 { ctx.rng.next_f() } else { F::ZERO })
            .collect();
        let mut gs = g.clone();
        for j in 2..k {
            gs = gs.shear(j, 1, alt[j]);
        }
        let biv_s = bivariate_factor(&image(&gs), &ufs, ctx)?;
        if biv_s.len() < biv.len() {
            g = gs;
            shear = alt;
            biv = biv_s;
        }
    }
    let gfs: Vec<Poly> = biv.iter().map(|b| from_dense2(b, k)).collect();
    let lifted = if k == 2 || gfs.len() == 1 {
        if gfs.len() == 1 {
            return Ok(Some(vec![f.clone()]));
        }
        gfs
    } else {
        match wang_lift(&g, gfs, ctx)? {
            Some(h) => h,
            None => return Ok(None),
        }
    };
    // Back to the original coordinates; confirm by multiplying back.
    let mut out = Vec::with_capacity(lifted.len());
    let mut prod = Poly::constant(k, F::ONE);
    for mut h in lifted {
        for j in 2..k {
            h = h.shear(j, 1, -shear[j]);
        }
        for j in 1..k {
            h = h.taylor_shift(j, -point[j]);
        }
        let h = h.make_monic().1;
        prod = prod.mul_ref(&h);
        out.push(h);
    }
    if prod != f.make_monic().1 {
        return Ok(None);
    }
    Ok(Some(out))
}

// ---------- bivariate stage (dense) ----------

/// Dense bivariate polynomial in (x, y): entry j is the coefficient of y^j, a polynomial
/// in x.
type Dense2 = Vec<U>;

fn to_dense2(p: &Poly) -> Dense2 {
    let dy = p.degree_in(1) as usize;
    let mut out = vec![Vec::new(); dy + 1];
    for (e, c) in p.terms() {
        let row = &mut out[e[1] as usize];
        let d = e[0] as usize;
        if row.len() <= d {
            row.resize(d + 1, F::ZERO);
        }
        row[d] += c;
    }
    out.into_iter().map(uni::trim).collect()
}

fn from_dense2(b: &Dense2, k: usize) -> Poly {
    let mut terms = Vec::new();
    for (j, row) in b.iter().enumerate() {
        for (i, &c) in row.iter().enumerate() {
            if c != F::ZERO {
                let mut e = vec![0u32; k];
                e[0] = i as u32;
                e[1] = j as u32;
                terms.push((e, c));
            }
        }
    }
    Poly::from_terms(k, terms)
}

/// Leading coefficient in x as a polynomial in y.
fn lc_x(b: &Dense2) -> U {
    let dx = b.iter().map(|r| uni::deg(r)).max().unwrap_or(-1);
    if dx < 0 {
        return Vec::new();
    }
    uni::trim(
        b.iter()
            .map(|r| {
                if uni::deg(r) == dx {
                    r[dx as usize]
                } else {
                    F::ZERO
                }
            })
            .collect(),
    )
}

/// Product of two bivariate polynomials truncated mod y^prec.
fn mul2_trunc(a: &Dense2, b: &Dense2, prec: usize) -> Dense2 {
    let len = (a.len() + b.len()).saturating_sub(1).min(prec);
    let mut out: Dense2 = vec![Vec::new(); len];
    for (i, ra) in a.iter().enumerate() {
        if ra.is_empty() {
            continue;
        }
        for (j, rb) in b.iter().enumerate() {
            if i + j >= len {
                break;
            }
            if rb.is_empty() {
                continue;
            }
            out[i + j] = uni::add(&out[i + j], &uni::mul(ra, rb));
        }
    }
    out
}

/// Primitive part w.r.t. x (divides by the gcd in F[y] of the x-coefficients).
fn pp_x(b: &Dense2) -> Dense2 {
    let dx = b.iter().map(|r| r.len()).max().unwrap_or(0);
    let cols: Vec<U> = (0..dx)
        .map(|i| {
            uni::trim(
                b.iter()
                    .map(|r| r.get(i).copied().unwrap_or(F::ZERO))
                    .collect(),
            )
        })
        .collect();
    let mut g: U = Vec::new();
    for c in &cols {
        g = uni::gcd(&g, c);
        if g.len() == 1 {
            return b.clone();
        }
    }
    if g.len() <= 1 {
        return b.clone();
    }
    let cols: Vec<U> = cols.iter().map(|c| uni::divrem(c, &g).0).collect();
    let dy = cols.iter().map(|c| c.len()).max().unwrap_or(0);
    (0..dy)
        .map(|j| {
            uni::trim(
                cols.iter()
                    .map(|c| c.get(j).copied().unwrap_or(F::ZERO))
                    .collect(),
            )
        })
        .collect()
}

/// Irreducible factors of a square-free bivariate `b` with lc_x(b)(0) != 0 and
/// b(x, 0) = lc * prod(ufs) (monic, pairwise coprime). Hensel lifting mod y^N followed by
/// recombination of lifted factors (subsets in increasing size, trial division).
fn bivariate_factor(b: &Dense2, ufs: &[U], ctx: &mut Ctx) -> Result<Vec<Dense2>, FactorError> {
    let r = ufs.len();
    let lc = lc_x(b);
    let dy = b.len() - 1;
    let prec = dy + uni::deg(&lc).max(0) as usize + 1;
    // Monic target: lc^{-1} * b mod y^prec (lc(0) != 0 so lc is a unit in F[[y]]).
    let linv = series_inverse(&lc, prec);
    let target = mul2_trunc(
        &linv.iter().map(|&c| vec![c]).map(uni::trim).collect(),
        b,
        prec,
    );
    let lifted = hensel_lift_monic(&target, ufs, prec);

    // Recombination (Zassenhaus-style): with prec > deg_y(b) + deg_y(lc), the true factor
    // G (times lc/lc(G)) equals lc * prod(subset) mod y^prec exactly.
    let mut remaining: Vec<usize> = (0..r).collect();
    let mut cur = b.clone();
    let mut found = Vec::new();
    let mut size = 1;
    let mut tried: u64 = 0;
    'outer: while 2 * size <= remaining.len() {
        let mut comb: Vec<usize> = (0..size).collect();
        loop {
            tried += 1;
            if tried > ctx.limits.max_subsets {
                return Err(FactorError::TooLarge {
                    what: "recombination subsets",
                    value: tried,
                    limit: ctx.limits.max_subsets,
                });
            }
            let subset: Vec<usize> = comb.iter().map(|&i| remaining[i]).collect();
            let lcc = lc_x(&cur);
            let mut cand: Dense2 = lcc.iter().map(|&c| uni::trim(vec![c])).collect();
            for &i in &subset {
                cand = mul2_trunc(&cand, &lifted[i], prec);
            }
            let cand = pp_x(&trim2(cand));
            if let Some(q) = div2(&cur, &cand, &mut ctx.rng) {
                found.push(cand);
                cur = q;
                remaining = remaining
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| !comb.contains(i))
                    .map(|(_, v)| v)
                    .collect();
                continue 'outer;
            }
            // Next combination in lexicographic order.
            let m = remaining.len();
            let mut i = size;
            loop {
                if i == 0 {
                    size += 1;
                    continue 'outer;
                }
                i -= 1;
                if comb[i] < m - size + i {
                    comb[i] += 1;
                    for j in i + 1..size {
                        comb[j] = comb[j - 1] + 1;
                    }
                    break;
                }
            }
        }
    }
    if cur.iter().any(|r| r.len() > 1) {
        found.push(cur);
    }
    Ok(found)
}

fn trim2(mut b: Dense2) -> Dense2 {
    while b.last().map(|r| r.is_empty()) == Some(true) {
        b.pop();
    }
    b
}

/// Exact bivariate division `a / d`, with a cheap univariate pre-test at a random y.
fn div2(a: &Dense2, d: &Dense2, rng: &mut SplitMix64) -> Option<Dense2> {
    let y0 = rng.next_f();
    let ev = |b: &Dense2| {
        let mut acc: U = Vec::new();
        for r in b.iter().rev() {
            acc = uni::add(&uni::scale(&acc, y0), r);
        }
        acc
    };
    let (ea, ed) = (ev(a), ev(d));
    if ed.is_empty() || uni::deg(&ed) > uni::deg(&ea) || !uni::rem(&ea, &ed).is_empty() {
        return None;
    }
    let pa = from_dense2(a, 2);
    let pd = from_dense2(d, 2);
    pa.div_exact(&pd).map(|q| to_dense2(&q))
}

/// Power series inverse of `a` (a(0) != 0) mod y^prec.
fn series_inverse(a: &[F], prec: usize) -> U {
    let inv0 = a[0].inverse();
    let mut out = vec![F::ZERO; prec];
    for k in 0..prec {
        let mut s = if k == 0 { F::ONE } else { F::ZERO };
        for j in 1..=k.min(a.len().saturating_sub(1)) {
            s -= a[j] * out[k - j];
        }
        out[k] = s * inv0;
    }
    out
}

/// Linear Hensel lifting of a monic factorization `target ≡ prod(ufs) mod y` to mod
/// y^prec; lifted factors stay monic in x. Each step solves one univariate diophantine
/// equation with the precomputed s_i = (prod_{j≠i} u_j)^{-1} mod u_i.
fn hensel_lift_monic(target: &Dense2, ufs: &[U], prec: usize) -> Vec<Dense2> {
    let r = ufs.len();
    let mut s = Vec::with_capacity(r);
    for i in 0..r {
        let mut bi: U = vec![F::ONE];
        for (j, u) in ufs.iter().enumerate() {
            if j != i {
                bi = uni::mulmod(&bi, u, &ufs[i]);
            }
        }
        // The u_i are pairwise coprime (the image is square-free), so this exists.
        s.push(uni::inv_mod(&bi, &ufs[i]).unwrap_or_default());
    }
    let mut facs: Vec<Dense2> = ufs
        .iter()
        .map(|u| {
            let mut v = vec![Vec::new(); prec];
            v[0] = u.clone();
            v
        })
        .collect();
    // q[i][k]: coefficient of y^k of facs[0] * ... * facs[i].
    let mut q: Vec<Dense2> = vec![vec![Vec::new(); prec]; r];
    let compute = |facs: &Vec<Dense2>, q: &mut Vec<Dense2>, k: usize| {
        q[0][k] = facs[0][k].clone();
        for i in 1..r {
            let mut acc: U = Vec::new();
            for t in 0..=k {
                if q[i - 1][t].is_empty() || facs[i][k - t].is_empty() {
                    continue;
                }
                acc = uni::add(&acc, &uni::mul(&q[i - 1][t], &facs[i][k - t]));
            }
            q[i][k] = acc;
        }
    };
    compute(&facs, &mut q, 0);
    for k in 1..prec {
        compute(&facs, &mut q, k);
        let tk = target.get(k).cloned().unwrap_or_default();
        let c = uni::sub(&tk, &q[r - 1][k]);
        if c.is_empty() {
            continue;
        }
        for i in 0..r {
            facs[i][k] = uni::rem(&uni::mul(&c, &s[i]), &ufs[i]);
        }
        compute(&facs, &mut q, k);
    }
    facs
}

// ---------- multivariate stage (Wang-style lifting, variables y2..) ----------

/// Lifts bivariate factors `h` (in x = var 0, y1 = var 1; point moved to the origin) of
/// g(x, y1, 0, ...) to factors of lc^(s-1) * g, imposing lc = lc_x(g) on every factor
/// (GCL Algorithm 6.4). Returns the primitive parts, or `None` if the lift fails
/// (unlucky point: the bivariate image had extra factors).
fn wang_lift(g: &Poly, h: Vec<Poly>, ctx: &mut Ctx) -> Result<Option<Vec<Poly>>, FactorError> {
    let k = g.nvars();
    let s = h.len();
    let lcf = g.lc_in(0);
    let lim = ctx.limits.max_intermediate_terms;
    let too_large = |v: usize| FactorError::TooLarge {
        what: "intermediate terms",
        value: v as u64,
        limit: lim as u64,
    };
    let t = lcf
        .checked_pow(s as u64 - 1, lim)
        .ok_or_else(|| too_large(lim + 1))?;
    if !crate::poly::product_fits(t.num_terms(), g.num_terms()) {
        return Err(too_large(t.num_terms().saturating_mul(g.num_terms())));
    }
    let target = t.mul_ref(g);
    if target.num_terms() > lim {
        return Err(too_large(target.num_terms()));
    }
    // Impose lc(x,y1,0..) on the bivariate factors: h_i *= lc2 / lc_x(h_i).
    let mut lc2 = lcf.clone();
    for j in 2..k {
        lc2 = lc2.eval_var(j, F::ZERO);
    }
    let mut facs = Vec::with_capacity(s);
    for hi in h {
        let l = hi.lc_in(0);
        let Some(m) = lc2.div_exact(&l) else {
            return Ok(None);
        };
        facs.push(hi.mul_ref(&m));
    }
    let mut bounds: Vec<u32> = (0..k).map(|v| target.degree_in(v)).collect();
    bounds[0] = u32::MAX;
    for j in 2..k {
        // Target and leading coefficient with y_{j+1}.. = 0.
        let mut tj = target.clone();
        let mut lcj = lcf.clone();
        for l in j + 1..k {
            tj = tj.eval_var(l, F::ZERO);
            lcj = lcj.eval_var(l, F::ZERO);
        }
        let prev = facs.clone();
        for f in facs.iter_mut() {
            let d = f.degree_in(0);
            let old = f.lc_in(0).shift_var(0, d);
            *f = &(&*f - &old) + &lcj.shift_var(0, d);
        }
        let mut bj = bounds.clone();
        for b in bj.iter_mut().skip(j + 1) {
            *b = 0;
        }
        let dio = Diophantine::new(&prev, j - 1, &bj);
        let mut e = &tj - &product_trunc(&facs, &bj);
        for m in 1..=bounds[j] {
            if e.is_zero() {
                break;
            }
            let c = e.coeff_of(j, m);
            if c.is_zero() {
                continue;
            }
            let Some(sig) = dio.solve(&c, j - 1, ctx)? else {
                return Ok(None);
            };
            for (f, sg) in facs.iter_mut().zip(sig) {
                *f = &*f + &sg.shift_var(j, m);
            }
            e = &tj - &product_trunc(&facs, &bj);
            if e.num_terms() > lim {
                return Err(too_large(e.num_terms()));
            }
        }
        if !e.is_zero() {
            return Ok(None);
        }
    }
    let mut out = Vec::with_capacity(s);
    for f in facs {
        let c = content_in(&f, 0, &mut ctx.rng).ok_or_else(|| unlucky(ctx.limits))?;
        out.push(f.div_exact(&c).ok_or_else(|| unlucky(ctx.limits))?);
    }
    Ok(Some(out))
}

fn product_trunc(fs: &[Poly], bounds: &[u32]) -> Poly {
    let mut acc = fs[0].truncate(bounds);
    for f in &fs[1..] {
        acc = acc.mul_trunc(f, bounds);
    }
    acc
}

/// Multivariate diophantine solver (GCL Algorithm 6.2): for fixed factors a_1..a_r in
/// (x, y1..yv) finds sigma_i with sum sigma_i * prod_{j≠i} a_j = c modulo
/// (y_l^(bounds[l]+1)), deg_x sigma_i < deg_x a_i. Levels are precomputed once: level l
/// holds the factors with y_{l+1}.. = 0 and their cofactor products.
struct Diophantine {
    /// levels[l] = (a_i at y_{l+1}.. = 0, cofactors b_i = prod_{j≠i} a_j at that level).
    levels: Vec<(Vec<Poly>, Vec<Poly>)>,
    /// Univariate a_i(x, 0, ..) and s_i = b_i^{-1} mod a_i.
    uni_a: Vec<U>,
    uni_s: Vec<U>,
    bounds: Vec<u32>,
    nvars: usize,
}

impl Diophantine {
    fn new(a: &[Poly], v: usize, bounds: &[u32]) -> Self {
        let k = a[0].nvars();
        let mut levels = Vec::with_capacity(v + 1);
        let mut cur: Vec<Poly> = a.to_vec();
        for l in (v + 1..k).rev() {
            cur = cur.iter().map(|p| p.eval_var(l, F::ZERO)).collect();
        }
        let mut per_level: Vec<Vec<Poly>> = vec![Vec::new(); v + 1];
        for l in (0..=v).rev() {
            per_level[l] = cur.clone();
            cur = cur.iter().map(|p| p.eval_var(l, F::ZERO)).collect();
        }
        for (l, al) in per_level.into_iter().enumerate() {
            let mut b = Vec::with_capacity(al.len());
            for i in 0..al.len() {
                let mut acc = Poly::constant(k, F::ONE);
                for (j, aj) in al.iter().enumerate() {
                    if j != i {
                        acc = acc.mul_trunc(aj, &level_bounds(bounds, l));
                    }
                }
                b.push(acc);
            }
            levels.push((al, b));
        }
        let uni_a: Vec<U> = levels[0].0.iter().map(|p| to_uni(p, 0)).collect();
        let mut uni_s = Vec::with_capacity(uni_a.len());
        for i in 0..uni_a.len() {
            let mut bi: U = vec![F::ONE];
            for (j, u) in uni_a.iter().enumerate() {
                if j != i {
                    bi = uni::mulmod(&bi, u, &uni_a[i]);
                }
            }
            uni_s.push(uni::inv_mod(&bi, &uni_a[i]).unwrap_or_default());
        }
        Diophantine {
            levels,
            uni_a,
            uni_s,
            bounds: bounds.to_vec(),
            nvars: k,
        }
    }

    /// Solves at level `l` (variables x, y1..y_l). `None` if the univariate images are not
    /// coprime (cannot happen for a good point, reported as unlucky).
    fn solve(&self, c: &Poly, l: usize, ctx: &mut Ctx) -> Result<Option<Vec<Poly>>, FactorError> {
        let k = self.nvars;
        if l == 0 {
            let cu = to_uni(c, 0);
            let mut out = Vec::with_capacity(self.uni_a.len());
            for (a, s) in self.uni_a.iter().zip(&self.uni_s) {
                if s.is_empty() {
                    return Ok(None);
                }
                out.push(from_uni(&uni::rem(&uni::mul(&cu, s), a), k, 0));
            }
            return Ok(Some(out));
        }
        let lb = level_bounds(&self.bounds, l);
        let c0 = c.eval_var(l, F::ZERO);
        let Some(mut sig) = self.solve(&c0, l - 1, ctx)? else {
            return Ok(None);
        };
        let b = &self.levels[l].1;
        let mut e = c.clone();
        for (si, bi) in sig.iter().zip(b) {
            e = &e - &si.mul_trunc(bi, &lb);
        }
        for m in 1..=self.bounds[l] {
            if e.is_zero() {
                break;
            }
            let cm = e.coeff_of(l, m);
            if cm.is_zero() {
                continue;
            }
            let Some(ds) = self.solve(&cm, l - 1, ctx)? else {
                return Ok(None);
            };
            for (i, d) in ds.into_iter().enumerate() {
                if d.is_zero() {
                    continue;
                }
                let d = d.shift_var(l, m);
                e = &e - &d.mul_trunc(&b[i], &lb);
                sig[i] = &sig[i] + &d;
            }
            if e.num_terms() > ctx.limits.max_intermediate_terms {
                return Err(FactorError::TooLarge {
                    what: "intermediate terms",
                    value: e.num_terms() as u64,
                    limit: ctx.limits.max_intermediate_terms as u64,
                });
            }
        }
        Ok(Some(sig))
    }
}

/// Bounds for level `l`: x unbounded, y1..y_l as given, higher variables 0.
fn level_bounds(bounds: &[u32], l: usize) -> Vec<u32> {
    let mut b = bounds.to_vec();
    b[0] = u32::MAX;
    for x in b.iter_mut().skip(l + 1) {
        *x = 0;
    }
    b
}
