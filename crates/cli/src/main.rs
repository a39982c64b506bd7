//! `resvm`: compile, run, benchmark and prove resvm programs.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use resvm::{Engine, Limits, F};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

mod bench;
mod prove_cmd;
mod rm_cmd;

#[derive(Parser)]
#[command(
    name = "resvm",
    version,
    about = "A provable abstract VM over the Goldilocks field"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a program's main on the given inputs and print its output b.
    Run {
        /// Execution engine.
        #[arg(long, value_enum, default_value_t = EngineArg::Closure)]
        engine: EngineArg,
        /// Print cycles (stack engine) and wall time to stderr.
        #[arg(long)]
        stats: bool,
        /// Maximum nesting of non-tail calls before the run fails.
        #[arg(long, default_value_t = Limits::default().max_depth)]
        max_depth: u32,
        /// Maximum number of steps (stack engine: instructions) before the run fails.
        #[arg(long)]
        max_steps: Option<u64>,
        /// The program (`.rvm`).
        file: PathBuf,
        /// Inputs a_0 .. a_n: decimals in [0, p).
        args: Vec<String>,
    },
    /// Print a compilation stage.
    Compile {
        /// Stage to print.
        #[arg(long, value_enum, default_value_t = Emit::Asm)]
        emit: Emit,
        /// The program (`.rvm`).
        file: PathBuf,
    },
    /// Run main, prove the run with a zero-knowledge STARK, and write the proof.
    Prove(prove_cmd::ProveArgs),
    /// Verify a proof against a program: prints `valid`, the public inputs and the output.
    Verify(prove_cmd::VerifyArgs),
    /// The resource machine's ledger: init, apply, status, check, path.
    Ledger(rm_cmd::LedgerArgs),
    /// Partial transactions: build, verify, compose, inspect.
    Ptx(rm_cmd::PtxArgs),
    /// Resources: new, show, logic-digest.
    Resource(rm_cmd::ResourceArgs),
    /// Run a benchmark suite (figures as ratios against baselines measured in the same run).
    Bench {
        #[command(subcommand)]
        suite: bench::Suite,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum EngineArg {
    /// Stack-machine interpreter.
    Stack,
    /// Closure compiler (default).
    Closure,
    /// Reference tree evaluator.
    Tree,
}

impl From<EngineArg> for Engine {
    fn from(e: EngineArg) -> Engine {
        match e {
            EngineArg::Stack => Engine::Stack,
            EngineArg::Closure => Engine::Closure,
            EngineArg::Tree => Engine::Tree,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    /// Canonical polynomial form.
    Canon,
    /// Irreducible factorizations.
    Factor,
    /// The circuit DAG.
    Dag,
    /// Stack-machine code.
    Asm,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Compilation passes recurse over the expression tree: give them room.
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || dispatch(cli))
        .and_then(|h| {
            h.join()
                .map_err(|_| std::io::Error::other("worker thread panicked"))
        });
    match worker {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            engine,
            stats,
            max_depth,
            max_steps,
            file,
            args,
        } => {
            let (c, _) = load(&file)?;
            let inputs = parse_inputs(&args)?;
            let limits = Limits {
                max_depth,
                max_steps,
            };
            let engine: Engine = engine.into();
            let start = Instant::now();
            let b = resvm::run(&c, engine, &inputs, &limits)
                .map_err(|t| anyhow!("error: runtime error: {t}"))?;
            let elapsed = start.elapsed();
            println!("{}", resvm_field::canonical(b));
            if stats {
                if engine == Engine::Stack {
                    let o = resvm_exec_stats(&c, &inputs, &limits)?;
                    eprintln!("cycles: {o}");
                }
                eprintln!("engine: {}", engine.name());
                eprintln!("time: {:.3} ms", elapsed.as_secs_f64() * 1e3);
            }
            Ok(())
        }
        Command::Compile { emit, file } => {
            let (c, _) = load(&file)?;
            let out = match emit {
                Emit::Canon => resvm::print_canon(&c),
                Emit::Factor => resvm::print_factor(&c),
                Emit::Dag => c.circuit.print(),
                Emit::Asm => asm_listing(&c),
            };
            print!("{out}");
            Ok(())
        }
        Command::Prove(a) => prove_cmd::prove(a),
        Command::Verify(a) => prove_cmd::verify(a),
        Command::Bench { suite } => bench::run(suite),
        Command::Ledger(a) => rm_cmd::ledger(a),
        Command::Ptx(a) => rm_cmd::ptx(a),
        Command::Resource(a) => rm_cmd::resource(a),
    }
}

/// Cycle count of a stack-engine run (re-run; cheap next to the user's request for stats).
fn resvm_exec_stats(c: &resvm::Compiled, inputs: &[F], limits: &Limits) -> Result<u64> {
    resvm::run_stack(c, inputs, limits)
        .map(|o| o.cycles)
        .map_err(|t| anyhow!("error: {t}"))
}

fn asm_listing(c: &resvm::Compiled) -> String {
    let s = c.circuit.stats;
    let mut out = c.program.listing();
    out.push_str(&format!(
        "; arithmetic: expanded form {} MUL + {} ADD, chosen form {} MUL + {} ADD ({} polynomial(s) built factored)\n",
        s.expanded.0, s.expanded.1, s.chosen.0, s.chosen.1, s.factored_polys
    ));
    out
}

/// Reads and compiles a program, rendering source errors with file:line:col.
pub(crate) fn load(file: &Path) -> Result<(resvm::Compiled, String)> {
    let source = std::fs::read_to_string(file)
        .with_context(|| format!("error: cannot read {}", file.display()))?;
    let name = file.display().to_string();
    match resvm::compile(&source) {
        Ok(c) => Ok((c, source)),
        Err(e) => Err(anyhow!("{}", e.render(&name, &source).trim_end())),
    }
}

/// Parses decimal inputs in [0, p).
pub(crate) fn parse_inputs(args: &[String]) -> Result<Vec<F>> {
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            let v: u128 = a
                .parse()
                .map_err(|_| anyhow!("error: input {i} (`{a}`) is not a decimal number"))?;
            match u64::try_from(v).ok().and_then(resvm_field::from_canonical) {
                Some(f) => Ok(f),
                None => bail!("error: input {i} ({a}) is not below p = {}", resvm_field::P),
            }
        })
        .collect()
}
