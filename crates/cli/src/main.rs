//! `resvm`: compile, check, run, benchmark, prove and verify resvm programs.
//!
//! Exit codes: 0 ok, 1 program error (compile error or runtime trap), 2 usage error, 3 invalid
//! proof, 4 I/O error. A closed standard output (`resvm ... | head`) ends the command quietly.

#![warn(missing_docs)]

use clap::{Parser, Subcommand, ValueEnum};
use error::{note, out, Failure, Outcome};
use resvm::{Engine, Limits, F};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

mod bench;
mod bf_cmd;
mod demo;
mod error;
mod inputs;
mod playground;
mod prove_cmd;
mod rm_cmd;

const EXIT_CODES: &str = "\
Exit codes: 0 ok, 1 program error (compile error or runtime trap), 2 usage error,
3 invalid proof, 4 I/O error. FILE `-` reads the program from standard input.";

#[derive(Parser)]
#[command(
    name = "resvm",
    version,
    about = "A provable abstract VM over the Goldilocks field",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where `main`'s inputs come from: the command line or a JSON file.
#[derive(clap::Args, Debug)]
pub struct InputArgs {
    /// Inputs as a JSON object from parameter name to value string, e.g. {"x": "5", "y": "7"}
    /// (`-` reads it from standard input). Keeps secrets out of `ps` and shell history.
    #[arg(long, value_name = "FILE.json")]
    pub inputs: Option<PathBuf>,
    /// main's inputs in order: decimal, 0x-hex, or -N for p - N, each below p = 2^64 - 2^32 + 1.
    #[arg(allow_negative_numbers = true, conflicts_with = "inputs")]
    pub args: Vec<String>,
}

/// The run limits shared by `run` and `prove`.
#[derive(clap::Args, Debug)]
pub struct LimitArgs {
    /// Maximum nesting of non-tail calls before the run fails.
    #[arg(long, default_value_t = Limits::default().max_depth)]
    pub max_depth: u32,
    /// Maximum number of steps before the run fails. A step is one function entry (main's and
    /// every call or eval, tail calls included), counted the same way by every engine.
    #[arg(long)]
    pub max_steps: Option<u64>,
}

impl LimitArgs {
    /// As interpreter limits.
    pub fn limits(&self) -> Limits {
        Limits {
            max_depth: self.max_depth,
            max_steps: self.max_steps,
            ..Limits::default()
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run a program's main on the given inputs and print its output b.
    #[command(after_help = EXIT_CODES)]
    Run {
        /// Execution engine.
        #[arg(long, value_enum, default_value_t = EngineArg::Closure)]
        engine: EngineArg,
        /// Print the engine, its step count (stack engine: also cycles) and wall time to stderr.
        #[arg(long)]
        stats: bool,
        #[command(flatten)]
        limits: LimitArgs,
        /// The program (`.rvm`; `-` for standard input).
        file: PathBuf,
        #[command(flatten)]
        inputs: InputArgs,
    },
    /// Print a compilation stage.
    #[command(after_help = EXIT_CODES)]
    Compile {
        /// Stage to print.
        #[arg(long, value_enum, default_value_t = Emit::Asm)]
        emit: Emit,
        /// The program (`.rvm`; `-` for standard input).
        file: PathBuf,
    },
    /// Parse, resolve and type-check a program without running it (prints `ok`).
    #[command(after_help = EXIT_CODES)]
    Check {
        /// The program (`.rvm`; `-` for standard input).
        file: PathBuf,
    },
    /// Print the program digest (the 256-bit Poseidon2 hash a proof is bound to), in hex.
    #[command(after_help = EXIT_CODES)]
    Digest {
        /// The program (`.rvm`; `-` for standard input).
        file: PathBuf,
    },
    /// Run main, prove the run with a zero-knowledge STARK, and write the proof.
    #[command(after_help = EXIT_CODES)]
    Prove(prove_cmd::ProveArgs),
    /// Verify a proof against a program: prints `valid`, the digest, security and statement.
    #[command(after_help = EXIT_CODES)]
    Verify(prove_cmd::VerifyArgs),
    /// The resource machine's ledger: init, apply, status, check, path.
    Ledger(rm_cmd::LedgerArgs),
    /// Partial transactions: build, verify, compose, inspect.
    Ptx(rm_cmd::PtxArgs),
    /// Resources: new, show, logic-digest.
    Resource(rm_cmd::ResourceArgs),
    /// The resource machine end to end: mint, swap intents, compose, prove, apply, double spend.
    Demo(demo::DemoArgs),
    /// Serve the browser playground (write, run, prove, verify in the page) on 127.0.0.1.
    Playground(playground::PlaygroundArgs),
    /// Brainfuck: run, compile, prove, verify (`docs/brainfuck.md`).
    Bf {
        #[command(subcommand)]
        cmd: bf_cmd::BfCommand,
    },
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
    /// The program digest (as `resvm digest`).
    Digest,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Compilation passes recurse over the expression tree: give them room.
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || dispatch(cli));
    let result = match worker {
        Ok(h) => h.join().unwrap_or_else(|_| {
            Err(Failure::program(
                "internal error: the worker thread panicked",
            ))
        }),
        Err(e) => Err(Failure::io(format!("cannot start the worker thread: {e}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.report();
            ExitCode::from(f.kind.code())
        }
    }
}

fn dispatch(cli: Cli) -> Outcome {
    match cli.command {
        Command::Run {
            engine,
            stats,
            limits,
            file,
            inputs,
        } => run(engine.into(), stats, &limits.limits(), &file, &inputs),
        Command::Compile { emit, file } => {
            let p = load(&file)?;
            let c = &p.compiled;
            out(&match emit {
                Emit::Canon => resvm::print_canon(c),
                Emit::Factor => resvm::print_factor(c),
                Emit::Dag => c.circuit.print(),
                Emit::Asm => resvm::print_asm(c),
                Emit::Digest => format!("{}\n", c.program.digest()),
            })
        }
        Command::Check { file } => {
            let (name, source) = read_program(&file)?;
            resvm_lang::compile(&source).map_err(|d| Failure::program(d.render(&name, &source)))?;
            out("ok\n")
        }
        Command::Digest { file } => out(&format!("{}\n", load(&file)?.compiled.program.digest())),
        Command::Prove(a) => prove_cmd::prove(a),
        Command::Verify(a) => prove_cmd::verify(a),
        Command::Bench { suite } => bench::run(suite),
        Command::Playground(a) => playground::run(a),
        Command::Bf { cmd } => bf_cmd::run(cmd),
        Command::Ledger(a) => rm_cmd::ledger(a),
        Command::Ptx(a) => rm_cmd::ptx(a),
        Command::Resource(a) => rm_cmd::resource(a),
        Command::Demo(a) => demo::demo(a),
    }
}

/// `resvm run`.
fn run(engine: Engine, stats: bool, limits: &Limits, file: &Path, args: &InputArgs) -> Outcome {
    let stdin_program = file == Path::new("-");
    let p = load(file)?;
    let params = inputs::params_of(&p.compiled.module);
    let all: Vec<&inputs::Param> = params.iter().collect();
    let xs = read_inputs(args, &params, &all, stdin_program)?;
    let c = &p.compiled;
    let start = Instant::now();
    let resvm::RunCount {
        output,
        steps,
        cycles,
    } = resvm::run_counted(c, engine, &xs, limits)
        .map_err(|t| runtime_error(&p, &t, &xs, limits))?;
    let elapsed = start.elapsed();
    out(&format!("{}\n", resvm_field::canonical(output)))?;
    if stats {
        note(&format!("engine: {}", engine.name()));
        if let Some(n) = cycles {
            note(&format!("cycles: {n}"));
        }
        note(&format!("steps: {steps}"));
        note(&format!("time: {:.3} ms", elapsed.as_secs_f64() * 1e3));
    }
    Ok(())
}

/// The inputs for `wanted` (a subset of `params`, in order) from `--inputs` or the command
/// line. Command-line values are all of main's parameters; `--inputs` names `wanted` only.
pub(crate) fn read_inputs(
    args: &InputArgs,
    params: &[inputs::Param],
    wanted: &[&inputs::Param],
    stdin_taken: bool,
) -> Outcome<Vec<F>> {
    match &args.inputs {
        Some(path) => {
            if path == Path::new("-") && stdin_taken {
                return Err(Failure::usage(
                    "standard input cannot hold both the program and --inputs",
                ));
            }
            let (name, text) = read_text(path)?;
            inputs::parse_json(&text, &name, wanted)
        }
        None => {
            if args.args.len() != params.len() {
                return Err(inputs::count_error(params, args.args.len()));
            }
            inputs::parse_args(&args.args)
        }
    }
}

/// A runtime trap as a program error.
///
/// The trap with where it happened: the stack engine reruns the same inputs under the same
/// limits with a call tracker (every engine traps the same way), and the source map names
/// the function, the expression's span and the call sites.
fn runtime_error(p: &Loaded, t: &resvm::Trap, xs: &[F], limits: &resvm::Limits) -> Failure {
    match resvm::run_located(&p.compiled, xs, limits) {
        Err(e) if e.trap == *t && e.pc.is_some() => {
            let shown = e.render(&p.compiled, &p.name, &p.source);
            let body = shown.strip_prefix("error: ").unwrap_or(&shown);
            Failure::program(format!("runtime error: {}", body.trim_end()))
        }
        _ => Failure::program(format!("runtime error: {t}")),
    }
}

/// A compiled program with its source text and display name.
pub(crate) struct Loaded {
    /// Every compilation stage.
    pub compiled: resvm::Compiled,
    /// The source text (BOM removed).
    pub source: String,
    /// The file name in messages (`<stdin>` for `-`).
    pub name: String,
}

/// Reads a text file, or standard input for `-`; returns its display name and text.
pub(crate) fn read_text(path: &Path) -> Outcome<(String, String)> {
    use std::io::Read;
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::io(format!("cannot read standard input: {e}")))?;
        return Ok(("<stdin>".into(), s));
    }
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Failure::io(format!("cannot read {name}: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Failure::io(format!("cannot read {name}: not UTF-8 text ({e})")))?;
    Ok((name, text))
}

/// Reads program text (a leading UTF-8 byte-order mark is dropped).
fn read_program(path: &Path) -> Outcome<(String, String)> {
    let (name, text) = read_text(path)?;
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    Ok((name, text))
}

/// Reads and compiles a program, rendering source errors with file:line:col.
pub(crate) fn load(file: &Path) -> Outcome<Loaded> {
    let (name, source) = read_program(file)?;
    match resvm::compile(&source) {
        Ok(compiled) => Ok(Loaded {
            compiled,
            source,
            name,
        }),
        Err(e) => Err(Failure::program(e.render(&name, &source))),
    }
}
