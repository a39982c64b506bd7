//! Differential test against python-flint 0.7.1 (`tests/flint_diff.py`).
//!
//! Random products of random factors (1–4 variables, repeated factors, full-size
//! coefficients, fixed seed) are factored here and by FLINT; the printed polynomial, the
//! unit and the multiset of (monic factor, multiplicity) must be identical, and our factor
//! list must be sorted by `factor_order`.
//!
//! Stress runs: `RESVM_FLINT_CASES`, `RESVM_FLINT_SEED`, `RESVM_FLINT_DEGREE` (total degree
//! budget per product), `RESVM_FLINT_FACTOR_DEGREE` (max degree of each random factor).
//!
//! `RESVM_FLINT_DUMP=path` writes the generated inputs (`names TAB polynomial` lines, the
//! format of `examples/factor_text.rs`).
//!
//! Requires `python3` with `python-flint==0.7.1` (`pip install python-flint==0.7.1`);
//! set `RESVM_SKIP_FLINT=1` to skip when it is unavailable.

use p3_field::PrimeCharacteristicRing;
use resvm_field::SplitMix64;
use resvm_poly::{factor_order, Poly, F};
use std::io::Write;
use std::process::{Command, Stdio};

/// The test's randomness: [`SplitMix64`] plus a coefficient distribution.
struct Rng(SplitMix64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }
    fn coeff(&mut self) -> F {
        // Mostly full-size coefficients, sometimes small ones (incl. p-1 = -1).
        match self.below(4) {
            0 => F::from_u64(1 + self.below(5)),
            1 => -F::from_u64(1 + self.below(5)),
            _ => F::from_u64(self.next()),
        }
    }
}

/// A random nonconstant polynomial in the variables `vars` with total degree <= `maxdeg`.
fn random_factor(rng: &mut Rng, n: usize, vars: &[usize], maxdeg: u32) -> Poly {
    loop {
        let nterms = 1 + rng.below(2 + 2 * maxdeg as u64) as usize;
        let mut terms = Vec::new();
        for _ in 0..nterms {
            let mut e = vec![0u32; n];
            let d = rng.below(maxdeg as u64 + 1) as u32;
            for _ in 0..d {
                e[vars[rng.below(vars.len() as u64) as usize]] += 1;
            }
            terms.push((e, rng.coeff()));
        }
        // Usually add a constant term so we do not only get monomial-divisible factors.
        if rng.below(4) != 0 {
            terms.push((vec![0; n], rng.coeff()));
        }
        let p = Poly::from_terms(n, terms);
        if p.as_constant().is_none() {
            return p;
        }
    }
}

/// The shape of the generated cases.
struct Shape {
    /// Number of variables: `min_vars..=max_vars`.
    min_vars: usize,
    max_vars: usize,
    /// Total degree budget of a product.
    budget: u64,
    /// Largest degree of each random factor.
    fdeg: u64,
    /// Most factors per product.
    max_factors: u64,
    /// Most terms of a product.
    max_terms: usize,
}

fn random_case(rng: &mut Rng, shape: &Shape) -> (Vec<&'static str>, Poly) {
    let all = ["x", "y", "z", "w", "u", "v", "s", "t"];
    let (budget, fdeg) = (shape.budget, shape.fdeg);
    let n = shape.min_vars + rng.below((shape.max_vars - shape.min_vars + 1) as u64) as usize;
    let names = all[..n].to_vec();
    let nf = 1 + rng.below(shape.max_factors) as usize;
    let mut p = Poly::constant(n, rng.coeff());
    let mut budget = budget; // bounds the total degree (and debug-mode time)
    for _ in 0..nf {
        // A random nonempty subset of variables (exercises contents).
        let mut vars: Vec<usize> = (0..n).filter(|_| rng.below(3) != 0).collect();
        if vars.is_empty() {
            vars.push(rng.below(n as u64) as usize);
        }
        let maxdeg = 1 + rng.below(fdeg) as u32;
        let f = random_factor(rng, n, &vars, maxdeg);
        let e = if rng.below(3) == 0 {
            1 + rng.below(3) as u32
        } else {
            1
        };
        let d = f.total_degree().unwrap_or(0) * e as u64;
        if d > budget {
            continue;
        }
        let mut q = p.clone();
        for _ in 0..e {
            q = &q * &f;
        }
        if q.num_terms() > shape.max_terms {
            continue; // stay inside the default limits
        }
        budget -= d;
        p = q;
    }
    (names, p)
}

#[test]
fn flint_differential() {
    // Overridable for stress runs: RESVM_FLINT_CASES, RESVM_FLINT_SEED, RESVM_FLINT_DEGREE.
    let shape = Shape {
        min_vars: 1,
        max_vars: 4,
        budget: env("RESVM_FLINT_DEGREE", 14),
        fdeg: env("RESVM_FLINT_FACTOR_DEGREE", 3),
        max_factors: 4,
        max_terms: 1000,
    };
    differential(
        env("RESVM_FLINT_SEED", 20240607),
        env("RESVM_FLINT_CASES", 160),
        &shape,
        4,
    );
}

/// Beyond 4 variables and degree 14, close to the default factoring limits (8 variables,
/// total degree 64, 2000 terms): 5 to 8 variables, products of total degree up to 40 with up
/// to 1500 terms, factors of degree up to 6.
#[test]
fn flint_differential_near_the_limits() {
    let shape = Shape {
        min_vars: 5,
        max_vars: 8,
        budget: 40,
        fdeg: 6,
        max_factors: 5,
        max_terms: 1500,
    };
    differential(
        env("RESVM_FLINT_SEED", 20240608),
        env("RESVM_FLINT_LARGE_CASES", 80),
        &shape,
        8,
    );
}

/// High degree in few variables: univariate and bivariate products up to total degree 60.
#[test]
fn flint_differential_high_degree() {
    let shape = Shape {
        min_vars: 1,
        max_vars: 2,
        budget: 60,
        fdeg: 12,
        max_factors: 6,
        max_terms: 1500,
    };
    differential(
        env("RESVM_FLINT_SEED", 20240609),
        env("RESVM_FLINT_LARGE_CASES", 80),
        &shape,
        2,
    );
}

fn env(k: &str, d: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// Factors `ncases` random products of `shape` here and with FLINT and compares.
/// `top_vars`: the largest variable count, which a good share of the cases must reach.
fn differential(seed: u64, ncases: u64, shape: &Shape, top_vars: usize) {
    if std::env::var("RESVM_SKIP_FLINT").as_deref() == Ok("1") {
        eprintln!("RESVM_SKIP_FLINT=1: skipping the python-flint differential test");
        return;
    }
    let mut rng = Rng(SplitMix64::new(seed));
    let cases: Vec<(Vec<&str>, Poly)> = (0..ncases).map(|_| random_case(&mut rng, shape)).collect();
    let mut input = String::new();
    for (names, p) in &cases {
        input.push_str(&format!(
            "{}\t{}\n",
            names.join(","),
            p.to_string_with(names)
        ));
    }
    if let Ok(path) = std::env::var("RESVM_FLINT_DUMP") {
        std::fs::write(path, &input).expect("write RESVM_FLINT_DUMP file");
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/flint_diff.py");
    let child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => panic!(
            "cannot run python3 ({e}); install python3 and `pip install python-flint==0.7.1`, \
             or set RESVM_SKIP_FLINT=1 to skip this test"
        ),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write to python3");
    let out = child.wait_with_output().expect("python3 output");
    assert!(
        out.status.success(),
        "flint_diff.py failed ({}): {}\nInstall with `pip install python-flint==0.7.1`, or set \
         RESVM_SKIP_FLINT=1 to skip this test",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), cases.len(), "one output line per case");
    let mut nontrivial = 0;
    for ((names, p), line) in cases.iter().zip(lines) {
        let fields: Vec<&str> = line.split('\t').collect();
        let ours = p.to_string_with(names);
        assert_eq!(fields[0], ours, "printing differs");
        let fz = match p.factor_with(&Default::default()) {
            Ok(f) => f,
            Err(e) => panic!("factor_with failed ({e}) on [{}] {ours}", names.join(",")),
        };
        assert_eq!(
            fz.expand_in(p.nvars()),
            *p,
            "product of factors differs for {ours}"
        );
        assert_eq!(fields[1], fz.unit.to_string(), "unit differs for {ours}");
        let mut theirs: Vec<(String, u32)> = fields[2..]
            .chunks(2)
            .map(|c| (c[0].to_string(), c[1].parse().expect("exponent")))
            .collect();
        let mut mine: Vec<(String, u32)> = fz
            .factors
            .iter()
            .map(|(f, e)| (f.to_string_with(names), *e))
            .collect();
        theirs.sort();
        mine.sort();
        assert_eq!(
            mine,
            theirs,
            "factors differ for {ours}\nours: {}",
            fz.to_string_with(names)
        );
        // Our printed order is the documented factor_order.
        assert!(fz
            .factors
            .windows(2)
            .all(|w| factor_order(&w[0], &w[1]).is_lt()));
        if fz.factors.len() > 1 {
            nontrivial += 1;
        }
    }
    let max_deg = cases
        .iter()
        .filter_map(|(_, p)| p.total_degree())
        .max()
        .unwrap_or(0);
    let top = cases.iter().filter(|(_, p)| p.nvars() == top_vars).count();
    let max_terms = cases.iter().map(|(_, p)| p.num_terms()).max().unwrap_or(0);
    eprintln!(
        "{} cases ({nontrivial} reducible, {top} in {top_vars} variables, max total degree {max_deg}, \
         max terms {max_terms})",
        cases.len()
    );
    assert!(
        top * 8 >= cases.len(),
        "only {top} cases in {top_vars} variables"
    );
    assert!(
        nontrivial > cases.len() / 2,
        "the generator should mostly produce reducible inputs"
    );
}
