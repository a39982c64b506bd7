//! `resvm bench ...`: benchmark suites. Every figure is printed next to a baseline measured
//! in the same run (these machines are shared and noisy, so only ratios mean anything).

use crate::error::{out, Failure, Outcome};
use clap::Subcommand;

/// The suites.
#[derive(Subcommand)]
pub enum Suite {
    /// Prove a tail-recursive Fibonacci loop at trace sizes 2^10 .. 2^MAX_LOG.
    Prove {
        /// Largest trace size, as a power of two (10..=20).
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u8).range(10..=20))]
        max_log: u8,
        /// Parameter set: `standard`, `compact` (smaller and slower proofs) or `test` (fast,
        /// insecure).
        #[arg(long, default_value = "standard", value_parser = ["standard", "compact", "test"])]
        security: String,
        /// A `miden-vm` binary (0.23.5: `cargo install --locked miden-vm@0.23.5 --features
        /// executable,concurrent`): then also prove the same work, iterative Fibonacci
        /// n = 4600, with resvm (`examples/fib.rvm`) and with Miden VM (a `while.true` loop),
        /// in the same run, and print both times and the ratios.
        #[arg(long)]
        miden: Option<std::path::PathBuf>,
    },
    /// Time every engine and native Rust on fib, a 10^7-step tail loop and a dense polynomial.
    Exec {
        /// A small, fast configuration (CI smoke run).
        #[arg(long)]
        quick: bool,
        /// Timed samples per measurement (the median is kept); at least 1.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        samples: Option<u32>,
    },
    /// Brainfuck: `bf run` against a native interpreter, and proofs of two runs.
    Bf(crate::bf_cmd::BenchBfArgs),
    /// The resource machine: proof and verify times, transaction size, ledger throughput.
    Rm(crate::rm_cmd::BenchRmArgs),
    /// Factor the fixed polynomial set with resvm and with python-flint, side by side.
    Factor {
        /// Timed runs per polynomial (best is kept); at least 1.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
        /// Python interpreter with python-flint 0.7.1 installed.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Skip the FLINT side (resvm figures only).
        #[arg(long)]
        no_flint: bool,
    },
}

/// Runs a suite and prints its report.
pub fn run(suite: Suite) -> Outcome {
    match suite {
        Suite::Bf(a) => crate::bf_cmd::bench(a),
        Suite::Prove {
            max_log,
            security,
            miden,
        } => {
            let level =
                resvm_prover::config::SecurityLevel::from_name(&security).ok_or_else(|| {
                    Failure::usage(format!(
                        "unknown security level `{security}` (standard, compact, test)"
                    ))
                })?;
            crate::prove_cmd::bench_prove(max_log as usize, level, miden.as_deref())
        }
        Suite::Exec { quick, samples } => {
            use resvm_bench::{external_engine, run_exec_bench, ExecBenchOptions, Runner};
            let mut opts = if quick {
                ExecBenchOptions::quick()
            } else {
                ExecBenchOptions::default()
            };
            if let Some(n) = samples {
                opts.samples = n as usize;
            }
            // The stack engine runs the fully compiled image (canon, factor, DAG, codegen);
            // only the run is timed, not the compilation.
            opts.external.push(external_engine("stack", |src| {
                let c = resvm::compile(src).map_err(|e| e.to_string())?;
                Ok(Box::new(move |x: &[resvm::F], l: &resvm::Limits| {
                    resvm::run(&c, resvm::Engine::Stack, x, l)
                }) as Runner)
            }));
            out(&run_exec_bench(&opts).to_string())
        }
        Suite::Rm(a) => crate::rm_cmd::bench_rm(a),
        Suite::Factor {
            runs,
            python,
            no_flint,
        } => {
            use resvm_poly::bench;
            let cases = bench::cases();
            let runs = runs as usize;
            let ours = bench::run_cases(&cases, runs);
            let flint = if no_flint {
                None
            } else {
                match bench::run_flint(&python, &cases, runs) {
                    Ok(f) => Some(f),
                    Err(e) => {
                        return Err(Failure::io(format!(
                            "cannot time python-flint ({e}); install it with `pip install python-flint==0.7.1` or pass --no-flint"
                        )))
                    }
                }
            };
            out(&bench::report(&cases, &ours, flint.as_deref()))
        }
    }
}
