//! resvm benchmark suites.
//!
//! [`run_exec_bench`] times the execution engines on fixed workloads against a native Rust
//! implementation of the same algorithm over Goldilocks, all in the same run, and returns a
//! [`Report`] (printable as a table). The closure and tree engines run from the HIR; the stack
//! engine needs the whole compiler, so callers pass it (and any other engine) in as an
//! [`ExternalEngine`].

#![warn(missing_docs)]

use p3_field::PrimeCharacteristicRing;
use resvm_exec::{closure, tree, Limits, Trap};
use resvm_field::{lt, F};
use std::fmt;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A prepared program of an external engine: runs it on the inputs with the limits.
pub type Runner = Box<dyn Fn(&[F], &Limits) -> Result<F, Trap>>;

/// An engine the suite cannot build itself (the stack engine needs the compiler).
pub trait ExternalEngine {
    /// Column name in the report, e.g. `stack`.
    fn name(&self) -> String;
    /// Compiles `source` once; only the returned runner is timed.
    fn prepare(&self, source: &str) -> Result<Runner, String>;
}

/// Wraps a name and a `prepare` function as an [`ExternalEngine`].
pub fn external_engine(
    name: &str,
    prepare: impl Fn(&str) -> Result<Runner, String> + 'static,
) -> Box<dyn ExternalEngine> {
    struct Fun<P> {
        name: String,
        prepare: P,
    }
    impl<P: Fn(&str) -> Result<Runner, String>> ExternalEngine for Fun<P> {
        fn name(&self) -> String {
            self.name.clone()
        }
        fn prepare(&self, source: &str) -> Result<Runner, String> {
            (self.prepare)(source)
        }
    }
    Box::new(Fun {
        name: name.to_string(),
        prepare,
    })
}

/// Options of [`run_exec_bench`].
pub struct ExecBenchOptions {
    /// Small workload sizes and one sample: a smoke run for CI (well under a second).
    pub quick: bool,
    /// Timed runs per engine and workload; the median is reported. At least 1.
    pub samples: usize,
    /// Engines timed besides closure and tree (e.g. the stack engine), in column order.
    pub external: Vec<Box<dyn ExternalEngine>>,
}

impl Default for ExecBenchOptions {
    fn default() -> Self {
        ExecBenchOptions {
            quick: false,
            samples: 5,
            external: Vec::new(),
        }
    }
}

impl ExecBenchOptions {
    /// The CI smoke configuration.
    pub fn quick() -> Self {
        ExecBenchOptions {
            quick: true,
            samples: 1,
            external: Vec::new(),
        }
    }
}

/// The time of one engine on one workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineTime {
    /// Engine name.
    pub engine: String,
    /// Median time of one run, or why there is none (a trap, a wrong result, a compile error).
    pub time: Result<Duration, String>,
}

/// One workload's measurements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Short name.
    pub workload: String,
    /// What it computes, with its size.
    pub description: String,
    /// Median time of the native Rust implementation.
    pub native: Duration,
    /// Per engine: closure, tree, then the external ones.
    pub engines: Vec<EngineTime>,
}

impl Row {
    /// The time of `engine`, if it ran correctly.
    pub fn time(&self, engine: &str) -> Option<Duration> {
        self.engines
            .iter()
            .find(|e| e.engine == engine)
            .and_then(|e| e.time.clone().ok())
    }

    /// `engine` time / native time.
    pub fn vs_native(&self, engine: &str) -> Option<f64> {
        self.time(engine).map(|t| ratio(t, self.native))
    }

    /// How many times faster closure is than tree (tree time / closure time).
    pub fn closure_speedup_over_tree(&self) -> Option<f64> {
        Some(ratio(self.time("tree")?, self.time("closure")?))
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

/// The result of [`run_exec_bench`]: one row per workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Rows, in workload order.
    pub rows: Vec<Row>,
    /// Samples per measurement.
    pub samples: usize,
    /// Whether this was a quick (smoke) run.
    pub quick: bool,
    /// Build of this binary: profile and relevant target features.
    pub build: String,
}

/// The native Rust implementation of a workload.
type Native = Box<dyn Fn(&[F]) -> F>;

/// A benchmark workload: source text and the same algorithm in native Rust.
struct Workload {
    name: &'static str,
    description: String,
    source: String,
    inputs: Vec<F>,
    native: Native,
}

/// Recursive (non-tail) Fibonacci.
const FIB: &str = "\
fn fib(n) = branch(lt(n, 2), n, fib(n - 1) + fib(n - 2));
fn main(n) = fib(n);
";

fn fib_native(n: F) -> F {
    if lt(n, F::TWO) == F::ZERO {
        n
    } else {
        fib_native(n - F::ONE) + fib_native(n - F::TWO)
    }
}

/// A tail-recursive loop: one multiply-add and one `lt` per step.
const LOOP: &str = "\
fn lp(i, n, acc) = branch(lt(i, n), lp(i + 1, n, acc * 7 + i), acc);
fn main(n) = lp(0, n, 1);
";

fn loop_native(n: F) -> F {
    let (mut i, mut acc) = (F::ZERO, F::ONE);
    while lt(i, n) == F::ZERO {
        acc = acc * F::from_u64(7) + i;
        i += F::ONE;
    }
    acc
}

/// Variables of the polynomial workload.
const POLY_VARS: usize = 6;
/// Its total degree.
const POLY_DEGREE: usize = 3;

/// The monomials of the dense polynomial: all of total degree <= 3 in 6 variables (84), each
/// as its variable indices (with repetition) and a fixed pseudo-random coefficient.
fn poly_terms() -> Vec<(u64, Vec<usize>)> {
    fn rec(start: usize, left: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        out.push(cur.clone());
        if left == 0 {
            return;
        }
        for v in start..POLY_VARS {
            cur.push(v);
            rec(v, left - 1, cur, out);
            cur.pop();
        }
    }
    let mut monos = Vec::new();
    rec(0, POLY_DEGREE, &mut Vec::new(), &mut monos);
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    monos
        .into_iter()
        .map(|m| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 1_000_003, m)
        })
        .collect()
}

/// Source of the polynomial workload: `poly` is the sum of the terms, and a tail-recursive
/// loop evaluates it at `n` points.
fn poly_source() -> String {
    let names = ["a", "b", "c", "d", "e", "f"];
    let terms: Vec<String> = poly_terms()
        .iter()
        .map(|(c, m)| {
            let mut t = c.to_string();
            for &v in m {
                t.push_str(" * ");
                t.push_str(names[v]);
            }
            t
        })
        .collect();
    format!(
        "fn poly({}) = {};\n\
         fn lp(i, n, acc, x) = branch(lt(i, n), lp(i + 1, n, acc + poly(x, x + 1, x + 2, x + 3, x + 4, x + 5), x * 3 + 1), acc);\n\
         fn main(n) = lp(0, n, 0, 1);\n",
        names.join(", "),
        terms.join(" + ")
    )
}

fn poly_native(n: F) -> F {
    let terms: Vec<(F, Vec<usize>)> = poly_terms()
        .into_iter()
        .map(|(c, m)| (F::from_u64(c), m))
        .collect();
    let (mut i, mut acc, mut x) = (F::ZERO, F::ZERO, F::ONE);
    while lt(i, n) == F::ZERO {
        let v = [
            x,
            x + F::ONE,
            x + F::TWO,
            x + F::from_u64(3),
            x + F::from_u64(4),
            x + F::from_u64(5),
        ];
        let mut p = F::ZERO;
        for (c, m) in &terms {
            let mut t = *c;
            for &k in m {
                t *= v[k];
            }
            p += t;
        }
        acc += p;
        x = x * F::from_u64(3) + F::ONE;
        i += F::ONE;
    }
    acc
}

fn workloads(quick: bool) -> Vec<Workload> {
    let (fib_n, loop_n, poly_n) = if quick {
        (15, 10_000, 1_000)
    } else {
        (25, 10_000_000, 100_000)
    };
    vec![
        Workload {
            name: "fib",
            description: format!("recursive fib({fib_n}), non-tail calls"),
            source: FIB.to_string(),
            inputs: vec![F::from_u64(fib_n)],
            native: Box::new(|x| fib_native(x[0])),
        },
        Workload {
            name: "loop",
            description: format!("tail-recursive loop, {loop_n} multiply-adds + lt"),
            source: LOOP.to_string(),
            inputs: vec![F::from_u64(loop_n)],
            native: Box::new(|x| loop_native(x[0])),
        },
        Workload {
            name: "poly",
            description: format!(
                "dense degree-{POLY_DEGREE} polynomial in {POLY_VARS} variables ({} terms), {poly_n} evaluations",
                poly_terms().len()
            ),
            source: poly_source(),
            inputs: vec![F::from_u64(poly_n)],
            native: Box::new(|x| poly_native(x[0])),
        },
    ]
}

/// Median wall time of `samples` runs of `f` (after one untimed warm-up run), and its
/// result.
fn measure<R>(samples: usize, mut f: impl FnMut() -> R) -> (Duration, R) {
    let mut out = f();
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples.max(1) {
        let t = Instant::now();
        out = black_box(f());
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], out)
}

/// Times one engine run, checking its result against the native one.
fn time_engine(
    name: &str,
    samples: usize,
    want: F,
    run: impl Fn() -> Result<F, Trap>,
) -> EngineTime {
    let (t, r) = measure(samples, run);
    let time = match r {
        Ok(v) if v == want => Ok(t),
        Ok(v) => Err(format!("wrong result {v} (native: {want})")),
        Err(e) => Err(format!("trap: {e}")),
    };
    EngineTime {
        engine: name.to_string(),
        time,
    }
}

/// Runs the execution benchmark: every workload on native Rust, closure, tree and the
/// external engines, in this process, one after another.
pub fn run_exec_bench(opts: &ExecBenchOptions) -> Report {
    let samples = opts.samples.max(1);
    let limits = Limits::default();
    let mut rows = Vec::new();
    for w in workloads(opts.quick) {
        let inputs = w.inputs.clone();
        let (native, want) = measure(samples, || (w.native)(black_box(&inputs)));
        let mut engines = Vec::new();
        match resvm_lang::compile(&w.source) {
            Ok(module) => {
                // No reflection in the workloads: any distinct reprs do.
                let reprs: Vec<F> = (0..module.functions.len() as u64)
                    .map(|i| F::from_u64(1000 + i))
                    .collect();
                let prog = closure::compile(&module, &reprs);
                engines.push(time_engine("closure", samples, want, || {
                    prog.run(black_box(&inputs), &limits)
                }));
                engines.push(time_engine("tree", samples, want, || {
                    tree::run(&module, &reprs, black_box(&inputs), &limits)
                }));
            }
            Err(d) => {
                for name in ["closure", "tree"] {
                    engines.push(EngineTime {
                        engine: name.into(),
                        time: Err(format!("compile: {}", d.message)),
                    });
                }
            }
        }
        for e in &opts.external {
            engines.push(match e.prepare(&w.source) {
                Ok(runner) => time_engine(&e.name(), samples, want, || {
                    runner(black_box(&inputs), &limits)
                }),
                Err(why) => EngineTime {
                    engine: e.name(),
                    time: Err(format!("compile: {why}")),
                },
            });
        }
        rows.push(Row {
            workload: w.name.to_string(),
            description: w.description,
            native,
            engines,
        });
    }
    Report {
        rows,
        samples,
        quick: opts.quick,
        build: build_info(),
    }
}

/// The build configuration, since the figures depend on it.
fn build_info() -> String {
    let profile = if cfg!(debug_assertions) {
        "debug assertions on (not a release build!)"
    } else {
        "release"
    };
    let mut feats = Vec::new();
    if cfg!(target_feature = "avx2") {
        feats.push("avx2");
    }
    if cfg!(target_feature = "bmi2") {
        feats.push("bmi2");
    }
    if cfg!(target_feature = "avx512f") {
        feats.push("avx512f");
    }
    let feats = if feats.is_empty() {
        "baseline target features".to_string()
    } else {
        feats.join("+")
    };
    format!("{profile}, {}, {feats}", std::env::consts::ARCH)
}

fn fmt_time(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "execution engines vs native Rust ({}; median of {} run(s){})",
            self.build,
            self.samples,
            if self.quick { ", quick sizes" } else { "" }
        )?;
        let names: Vec<String> = self
            .rows
            .first()
            .map(|r| r.engines.iter().map(|e| e.engine.clone()).collect())
            .unwrap_or_default();
        let mut header = vec!["workload".to_string(), "native".to_string()];
        for n in &names {
            header.push(n.clone());
            header.push(format!("{n}/native"));
        }
        header.push("tree/closure".to_string());
        let mut table = vec![header];
        let mut errors = Vec::new();
        for r in &self.rows {
            let mut line = vec![r.workload.clone(), fmt_time(r.native)];
            for e in &r.engines {
                match &e.time {
                    Ok(t) => {
                        line.push(fmt_time(*t));
                        line.push(format!("{:.2}x", ratio(*t, r.native)));
                    }
                    Err(why) => {
                        line.push("error".into());
                        line.push("-".into());
                        errors.push(format!("{} on {}: {why}", e.engine, r.workload));
                    }
                }
            }
            line.push(
                r.closure_speedup_over_tree()
                    .map_or("-".into(), |x| format!("{x:.1}x")),
            );
            table.push(line);
        }
        let widths: Vec<usize> = (0..table[0].len())
            .map(|c| {
                table
                    .iter()
                    .map(|l| l.get(c).map_or(0, |s| s.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for (i, line) in table.iter().enumerate() {
            let cells: Vec<String> = line
                .iter()
                .enumerate()
                .map(|(c, s)| {
                    if c == 0 {
                        format!("{s:<w$}", w = widths[c])
                    } else {
                        format!("{s:>w$}", w = widths[c])
                    }
                })
                .collect();
            writeln!(f, "{}", cells.join("  "))?;
            if i == 0 {
                writeln!(
                    f,
                    "{}",
                    widths
                        .iter()
                        .map(|w| "-".repeat(*w))
                        .collect::<Vec<_>>()
                        .join("  ")
                )?;
            }
        }
        writeln!(f)?;
        for r in &self.rows {
            writeln!(f, "{}: {}", r.workload, r.description)?;
        }
        for e in errors {
            writeln!(f, "error: {e}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An external engine built on the closure engine, with `tweak` applied to its result.
    fn rigged(
        name: &str,
        tweak: fn(Result<F, Trap>) -> Result<F, Trap>,
    ) -> Box<dyn ExternalEngine> {
        external_engine(name, move |src| {
            let m = resvm_lang::compile(src).map_err(|d| d.message)?;
            let p = closure::compile(&m, &test_reprs(m.functions.len()));
            Ok(Box::new(move |x: &[F], l: &Limits| tweak(p.run(x, l))) as Runner)
        })
    }

    fn test_reprs(n: usize) -> Vec<F> {
        (0..n as u64).map(|i| F::from_u64(1000 + i)).collect()
    }

    /// Every engine's result is checked against native Rust: a wrong answer or a trap is
    /// reported as an error in its column, never timed as if it were right.
    #[test]
    fn quick_run_checks_every_engine_against_native() {
        let off_by_one = rigged("off-by-one", |r| r.map(|v| v + F::ONE));
        let trapping = rigged("trapping", |_| Err(Trap::StepsExceeded { limit: 7 }));
        let failing = external_engine("no-compiler", |_| Err("refused".to_string()));
        let opts = ExecBenchOptions {
            external: vec![off_by_one, trapping, failing],
            ..ExecBenchOptions::quick()
        };
        let r = run_exec_bench(&opts);
        assert_eq!(
            r.rows
                .iter()
                .map(|r| r.workload.as_str())
                .collect::<Vec<_>>(),
            ["fib", "loop", "poly"]
        );
        for row in &r.rows {
            let names: Vec<&str> = row.engines.iter().map(|e| e.engine.as_str()).collect();
            assert_eq!(
                names,
                ["closure", "tree", "off-by-one", "trapping", "no-compiler"]
            );
            assert!(
                row.time("closure").is_some() && row.time("tree").is_some(),
                "{row:?}"
            );
            assert!(row.closure_speedup_over_tree().is_some());
            let err = |n: &str| {
                row.engines
                    .iter()
                    .find(|e| e.engine == n)
                    .and_then(|e| e.time.clone().err())
            };
            assert!(
                err("off-by-one").is_some_and(|e| e.starts_with("wrong result")),
                "{row:?}"
            );
            assert!(
                err("trapping").is_some_and(|e| e.contains("step limit of 7")),
                "{row:?}"
            );
            assert_eq!(err("no-compiler").as_deref(), Some("compile: refused"));
        }
        let text = r.to_string();
        assert!(
            text.contains("tree/closure") && text.contains("off-by-one/native"),
            "{text}"
        );
        assert!(
            text.contains("error: off-by-one on fib: wrong result"),
            "{text}"
        );
    }

    #[test]
    fn natives_match_known_values() {
        assert_eq!(fib_native(F::from_u64(20)), F::from_u64(6765));
        assert_eq!(loop_native(F::from_u64(2)), F::from_u64(7 * 7 + 1));
        assert_eq!(poly_terms().len(), 84);
    }
}
