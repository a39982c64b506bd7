//! Factorization benchmark: a fixed, documented input set, a timing harness, and helpers
//! to run python-flint on the same set (`bench/flint_bench.py`) and print both side by
//! side.
//!
//! The set ([`cases`]) is generated from fixed seeds, so it is identical on every run:
//! products of random factors with full-size coefficients (every monomial of the stated
//! degree range present with probability `density`), covering univariate, bivariate,
//! 3- and 4-variable inputs, repeated factors, non-monic leading coefficients and an
//! irreducible input, with total degrees up to 20.
//!
//! Text format exchanged with the script: one case per line,
//! `name TAB comma-separated variable names TAB polynomial` (FLINT syntax). The script
//! answers one line per case: `name TAB best seconds TAB unit TAB factor TAB exp ...`.

use crate::rng::SplitMix64;
use crate::{Factorization, Poly, F};
use p3_field::PrimeCharacteristicRing;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Path of the python-flint timing script (`crates/poly/bench/flint_bench.py`).
pub const FLINT_BENCH_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/flint_bench.py");

/// One benchmark input.
#[derive(Clone, Debug)]
pub struct BenchCase {
    /// Short identifier.
    pub name: &'static str,
    /// What the case exercises and how it is built.
    pub description: &'static str,
    /// Variable names used for printing.
    pub names: Vec<&'static str>,
    /// The polynomial to factor.
    pub poly: Poly,
}

/// A random polynomial in `nvars` variables: each monomial of total degree <= `deg` is
/// present with probability `density` (the top-degree monomial `x0^deg` always, so the
/// degree is exact), with a uniformly random coefficient.
fn random_poly(rng: &mut SplitMix64, nvars: usize, deg: u32, density: f64) -> Poly {
    let mut terms = Vec::new();
    let mut e = vec![0u32; nvars];
    fn rec(v: usize, left: u32, e: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) {
        if v + 1 == e.len() {
            for k in 0..=left {
                e[v] = k;
                out.push(e.clone());
            }
            e[v] = 0;
            return;
        }
        for k in 0..=left {
            e[v] = k;
            rec(v + 1, left - k, e, out);
        }
        e[v] = 0;
    }
    let mut monos = Vec::new();
    rec(0, deg, &mut e, &mut monos);
    let threshold = (density * u64::MAX as f64) as u64;
    for m in monos {
        let top = m[0] == deg;
        if top || m.iter().all(|&x| x == 0) || rng.next_u64() <= threshold {
            terms.push((m, F::from_u64(rng.next_u64())));
        }
    }
    Poly::from_terms(nvars, terms)
}

fn product(nvars: usize, seed: u64, spec: &[(u32, f64, u32)]) -> Poly {
    let mut rng = SplitMix64::new(seed);
    let mut p = Poly::constant(nvars, F::from_u64(rng.next_u64()));
    for &(deg, density, mult) in spec {
        let f = random_poly(&mut rng, nvars, deg, density);
        for _ in 0..mult {
            p = &p * &f;
        }
    }
    p
}

/// The fixed benchmark set. Each entry lists its factors as (degree, density, multiplicity).
pub fn cases() -> Vec<BenchCase> {
    let xy = vec!["x", "y"];
    let xyz = vec!["x", "y", "z"];
    let xyzw = vec!["x", "y", "z", "w"];
    vec![
        BenchCase {
            name: "uni_d20",
            description: "univariate, (d3)^2 (d4) (d5)^2: degree 20",
            names: vec!["x"],
            poly: product(1, 1, &[(3, 1.0, 2), (4, 1.0, 1), (5, 1.0, 2)]),
        },
        BenchCase {
            name: "biv_5x5",
            description: "bivariate, two dense degree-5 factors",
            names: xy.clone(),
            poly: product(2, 2, &[(5, 1.0, 1), (5, 1.0, 1)]),
        },
        BenchCase {
            name: "biv_rep",
            description: "bivariate, (d3)^2 (d4) (d5): degree 15, repeated factor",
            names: xy.clone(),
            poly: product(2, 3, &[(3, 1.0, 2), (4, 1.0, 1), (5, 1.0, 1)]),
        },
        BenchCase {
            name: "biv_d20",
            description: "bivariate, four dense degree-5 factors: degree 20",
            names: xy.clone(),
            poly: product(2, 4, &[(5, 1.0, 1), (5, 1.0, 1), (5, 1.0, 1), (5, 1.0, 1)]),
        },
        BenchCase {
            name: "tri_sparse",
            description: "3 variables, sparse (30%) factors of degree 3, 4, 5",
            names: xyz.clone(),
            poly: product(3, 5, &[(3, 0.3, 1), (4, 0.3, 1), (5, 0.3, 1)]),
        },
        BenchCase {
            name: "tri_rep",
            description: "3 variables, (d2)^3 (d4)^2 (d6) at 40%: degree 20",
            names: xyz.clone(),
            poly: product(3, 6, &[(2, 0.4, 3), (4, 0.4, 2), (6, 0.4, 1)]),
        },
        BenchCase {
            name: "quad_rep",
            description: "4 variables, (d2)^2 (d4) (d5) at 25%: degree 13",
            names: xyzw.clone(),
            poly: product(4, 7, &[(2, 0.25, 2), (4, 0.25, 1), (5, 0.25, 1)]),
        },
        BenchCase {
            name: "quad_d20",
            description: "4 variables, sparse (d2 at 10%)^2 (d3 at 6%)^2 (d10 at 0.5%): degree 20",
            names: xyzw.clone(),
            poly: product(4, 8, &[(2, 0.1, 2), (3, 0.06, 2), (10, 0.005, 1)]),
        },
        BenchCase {
            name: "quad_dense",
            description: "4 variables, two dense degree-4 factors",
            names: xyzw.clone(),
            poly: product(4, 9, &[(4, 1.0, 1), (4, 1.0, 1)]),
        },
        BenchCase {
            name: "quad_irred",
            description: "4 variables, one irreducible degree-10 polynomial at 5%",
            names: xyzw,
            poly: product(4, 10, &[(10, 0.05, 1)]),
        },
    ]
}

/// The set in the script's input format.
pub fn cases_text(cases: &[BenchCase]) -> String {
    let mut s = String::new();
    for c in cases {
        s.push_str(&format!(
            "{}\t{}\t{}\n",
            c.name,
            c.names.join(","),
            c.poly.to_string_with(&c.names)
        ));
    }
    s
}

/// Our timing for one case.
#[derive(Clone, Debug)]
pub struct BenchResult {
    /// Case name.
    pub name: String,
    /// Best wall time over the runs.
    pub best: Duration,
    /// Number of runs.
    pub runs: usize,
    /// The factorization found.
    pub factorization: Factorization,
}

/// Factors every case `runs` times (at least once) and keeps the best time.
pub fn run_cases(cases: &[BenchCase], runs: usize) -> Vec<BenchResult> {
    let mut out = Vec::new();
    for c in cases {
        let mut best = Duration::MAX;
        let mut fz = None;
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            let r = c.poly.factor();
            best = best.min(t.elapsed());
            fz = Some(r);
        }
        let factorization = fz.unwrap_or(Factorization {
            unit: F::ZERO,
            factors: vec![],
        });
        out.push(BenchResult {
            name: c.name.to_string(),
            best,
            runs: runs.max(1),
            factorization,
        });
    }
    out
}

/// [`run_cases`] on the fixed set [`cases`].
pub fn run(runs: usize) -> Vec<BenchResult> {
    run_cases(&cases(), runs)
}

/// python-flint's timing and result for one case.
#[derive(Clone, Debug)]
pub struct FlintResult {
    /// Case name.
    pub name: String,
    /// Best wall time over the runs.
    pub best: Duration,
    /// The unit (canonical value).
    pub unit: String,
    /// Monic factors (FLINT's printing) with multiplicities.
    pub factors: Vec<(String, u32)>,
}

/// Parses the script's output.
pub fn parse_flint_output(text: &str) -> Result<Vec<FlintResult>, String> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 3 || (f.len() - 3) % 2 != 0 {
            return Err(format!("malformed line from flint_bench.py: {line}"));
        }
        let secs: f64 = f[1]
            .parse()
            .map_err(|e| format!("bad time {:?}: {e}", f[1]))?;
        let mut factors = Vec::new();
        for c in f[3..].chunks(2) {
            factors.push((
                c[0].to_string(),
                c[1].parse().map_err(|e| format!("bad exponent: {e}"))?,
            ));
        }
        out.push(FlintResult {
            name: f[0].to_string(),
            best: Duration::from_secs_f64(secs),
            unit: f[2].to_string(),
            factors,
        });
    }
    Ok(out)
}

/// Runs `python` (e.g. `"python3"`) on [`FLINT_BENCH_SCRIPT`] with the given cases.
pub fn run_flint(
    python: &str,
    cases: &[BenchCase],
    runs: usize,
) -> Result<Vec<FlintResult>, String> {
    let mut child = Command::new(python)
        .arg(FLINT_BENCH_SCRIPT)
        .arg(runs.max(1).to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(cases_text(cases).as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "flint_bench.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_flint_output(&String::from_utf8_lossy(&out.stdout))
}

/// True if our factorization equals FLINT's (same unit, same multiset of factors).
pub fn same_result(cases: &BenchCase, ours: &BenchResult, flint: &FlintResult) -> bool {
    let mut a: Vec<(String, u32)> = ours
        .factorization
        .factors
        .iter()
        .map(|(f, e)| (f.to_string_with(&cases.names), *e))
        .collect();
    let mut b = flint.factors.clone();
    a.sort();
    b.sort();
    a == b && ours.factorization.unit.to_string() == flint.unit
}

/// A side-by-side table: per case our time, FLINT's time, the ratio and whether the
/// results agree; then totals.
pub fn report(cases: &[BenchCase], ours: &[BenchResult], flint: Option<&[FlintResult]>) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut s = format!(
        "{:<12} {:>5} {:>6} {:>4} {:>11} {:>11} {:>7} {:>6}\n",
        "case", "vars", "terms", "deg", "resvm ms", "flint ms", "ratio", "same"
    );
    let (mut to, mut tf) = (Duration::ZERO, Duration::ZERO);
    let mut all_same = true;
    for (c, r) in cases.iter().zip(ours) {
        to += r.best;
        let fl = flint.and_then(|f| f.iter().find(|x| x.name == r.name));
        let (fms, ratio, same) = match fl {
            Some(f) => {
                tf += f.best;
                let same = same_result(c, r, f);
                all_same &= same;
                (
                    format!("{:.3}", ms(f.best)),
                    format!(
                        "{:.2}",
                        r.best.as_secs_f64() / f.best.as_secs_f64().max(1e-9)
                    ),
                    if same { "yes" } else { "NO" },
                )
            }
            None => ("-".into(), "-".into(), "-"),
        };
        s.push_str(&format!(
            "{:<12} {:>5} {:>6} {:>4} {:>11.3} {:>11} {:>7} {:>6}\n",
            r.name,
            c.names.len(),
            c.poly.num_terms(),
            c.poly.total_degree().unwrap_or(0),
            ms(r.best),
            fms,
            ratio,
            same
        ));
    }
    if flint.is_some() {
        s.push_str(&format!(
            "total: resvm {:.3} ms, flint {:.3} ms, ratio {:.2}; results {}\n",
            ms(to),
            ms(tf),
            to.as_secs_f64() / tf.as_secs_f64().max(1e-9),
            if all_same { "identical" } else { "DIFFER" }
        ));
    } else {
        s.push_str(&format!("total: resvm {:.3} ms (flint not run)\n", ms(to)));
    }
    s
}
