//! `resvm bf ...` (run, compile, prove, verify Brainfuck programs) and `resvm bench bf`.
//! See `docs/brainfuck.md`.

use crate::error::{note, out, Failure, Outcome};
use clap::{Subcommand, ValueEnum};
use resvm_bf::{compile, engine, reference, Compiled, Dialect};
use resvm_exec::brainfuck::DEFAULT_MAX_STEPS;
use resvm_prover::config::SecurityLevel;
use resvm_prover::{ProveOptions, VerifyOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The cell arithmetic on the command line.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum DialectArg {
    /// Goldilocks cells (BrainSTARK's prime-field Brainfuck).
    #[default]
    Field,
    /// Cells wrapping modulo 256.
    U8,
}

impl From<DialectArg> for Dialect {
    fn from(d: DialectArg) -> Dialect {
        match d {
            DialectArg::Field => Dialect::Field,
            DialectArg::U8 => Dialect::U8,
        }
    }
}

/// `resvm bf` subcommands.
#[derive(Subcommand)]
pub enum BfCommand {
    /// Run PROG.bf on standard input; its output bytes go to standard output.
    Run {
        /// Cell arithmetic.
        #[arg(long, value_enum, default_value_t = DialectArg::Field)]
        dialect: DialectArg,
        /// Most instructions of the compiled image to execute before the run fails.
        #[arg(long, default_value_t = DEFAULT_MAX_STEPS)]
        max_steps: u64,
        /// The program.
        file: PathBuf,
    },
    /// Print the compiled form: the assembly ('[' and ']' with their jump targets), then the
    /// resvm instructions it lowers to.
    Compile {
        /// Cell arithmetic of the lowered image.
        #[arg(long, value_enum, default_value_t = DialectArg::Field)]
        dialect: DialectArg,
        /// The program.
        file: PathBuf,
    },
    /// Run PROG.bf on standard input and prove the run (program, input and output public).
    Prove {
        /// Cell arithmetic.
        #[arg(long, value_enum, default_value_t = DialectArg::Field)]
        dialect: DialectArg,
        /// Parameter set: `standard`, `compact` or `test` (fast, insecure).
        #[arg(long, default_value = "standard")]
        security: String,
        /// The program.
        file: PathBuf,
        /// Where to write the proof.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
    /// Verify a proof of PROG.bf: prints `valid`, the input and the output (checked against
    /// the FILEs when given), or the reason it is invalid.
    Verify {
        /// The program.
        file: PathBuf,
        /// The proof.
        proof: PathBuf,
        /// The expected input bytes.
        #[arg(long)]
        input: Option<PathBuf>,
        /// The expected output bytes.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Accept proofs made with the insecure test parameters.
        #[arg(long)]
        allow_test: bool,
    },
}

fn read_file(path: &Path) -> Outcome<Vec<u8>> {
    std::fs::read(path).map_err(|e| Failure::io(format!("cannot read {}: {e}", path.display())))
}

fn load(path: &Path, dialect: Dialect) -> Outcome<Compiled> {
    let src = read_file(path)?;
    compile(&src, dialect).map_err(|e| Failure::program(format!("{}: {e}", path.display())))
}

fn stdin_bytes() -> Outcome<Vec<u8>> {
    let mut v = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut v)
        .map_err(|e| Failure::io(format!("cannot read standard input: {e}")))?;
    Ok(v)
}

fn out_bytes(bytes: &[u8]) -> Outcome {
    let mut o = std::io::stdout().lock();
    o.write_all(bytes)
        .and_then(|_| o.flush())
        .map_err(Failure::stdout)
}

/// Bytes as a quoted, escaped string.
fn shown(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
}

/// Runs a `resvm bf` subcommand.
pub fn run(cmd: BfCommand) -> Outcome {
    match cmd {
        BfCommand::Run {
            dialect,
            max_steps,
            file,
        } => {
            let c = load(&file, dialect.into())?;
            let input = stdin_bytes()?;
            let r = engine::run(&c.image, &input, max_steps)
                .map_err(|e| Failure::program(e.to_string()))?;
            out_bytes(&r.output)
        }
        BfCommand::Compile { dialect, file } => {
            let c = load(&file, dialect.into())?;
            out(&format!(
                "; Brainfuck assembly (address, symbol, jump target)\n{}; resvm image ({} dialect)\n{}",
                resvm_bf::assembly_listing(&c.assembly),
                c.dialect.name(),
                c.image.listing()
            ))
        }
        BfCommand::Prove {
            dialect,
            security,
            file,
            out: path,
        } => {
            let level = SecurityLevel::from_name(&security).ok_or_else(|| {
                Failure::usage(format!(
                    "unknown security level `{security}` (standard, compact, test)"
                ))
            })?;
            let c = load(&file, dialect.into())?;
            let input = stdin_bytes()?;
            let opts = ProveOptions {
                security: level,
                ..Default::default()
            };
            let (proof, summary) =
                resvm_prover::prove_brainfuck(&c.image, &input, &opts, &mut |_| {})
                    .map_err(|e| Failure::program(e.to_string()))?;
            std::fs::write(&path, proof.to_bytes())
                .map_err(|e| Failure::io(format!("cannot write {}: {e}", path.display())))?;
            note(&format!(
                "proved {} instructions in {:.0} ms ({} bytes) -> {}",
                summary.cycles,
                summary.trace_ms + summary.prove_ms,
                summary.proof_bytes,
                path.display()
            ));
            out(&format!("output {}\n", shown(&proof.statement.io.output)))
        }
        BfCommand::Verify {
            file,
            proof,
            input,
            output,
            allow_test,
        } => {
            let bytes = read_file(&proof)?;
            let input = input.as_deref().map(read_file).transpose()?;
            let output = output.as_deref().map(read_file).transpose()?;
            let proof = resvm_prover::Proof::from_bytes(&bytes)
                .map_err(|e| Failure::proof(format!("invalid: {e}")))?;
            // The dialect is part of the image: try the one the proof's digest names.
            let src = read_file(&file)?;
            let want = proof.statement.program;
            let image = [Dialect::Field, Dialect::U8]
                .into_iter()
                .map(|d| compile(&src, d))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Failure::program(format!("{}: {e}", file.display())))?
                .into_iter()
                .find(|c| c.image.digest() == want)
                .map_or_else(
                    || compile(&src, Dialect::Field).map(|c| c.image),
                    |c| Ok(c.image),
                )
                .map_err(|e| Failure::program(e.to_string()))?;
            resvm_prover::verify_brainfuck(
                &image,
                input.as_deref(),
                output.as_deref(),
                &proof,
                VerifyOptions { allow_test },
            )
            .map_err(|e| Failure::proof(format!("invalid: {e}")))?;
            let io = &proof.statement.io;
            out(&format!(
                "valid\nprogram {}\ninput {} bytes {}\noutput {} bytes {}\n",
                image.digest(),
                io.input.len(),
                shown(&io.input),
                io.output.len(),
                shown(&io.output)
            ))
        }
    }
}

/// `resvm bench bf` options.
#[derive(clap::Args)]
pub struct BenchBfArgs {
    /// Directory of the shipped programs.
    #[arg(long, default_value = "examples/bf")]
    dir: PathBuf,
    /// Skip the proofs (interpreter figures only).
    #[arg(long)]
    no_prove: bool,
}

/// The programs timed, with their inputs.
const PROGRAMS: [(&str, &[u8]); 8] = [
    ("hello.bf", b""),
    ("cat.bf", b"The quick brown fox jumps over the lazy dog\n"),
    ("reverse.bf", b"The quick brown fox jumps over the lazy dog"),
    ("multiply.bf", b"79"),
    ("nested.bf", b""),
    ("field_wrap.bf", b""),
    ("u8_wrap.bf", b""),
    ("long.bf", b""),
];

/// Median of `n` timings of `f`, in seconds.
fn time<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut ts = Vec::with_capacity(n);
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        last = Some(f());
        ts.push(t.elapsed().as_secs_f64());
    }
    ts.sort_by(f64::total_cmp);
    (ts[n / 2], last.expect("n >= 1"))
}

/// `resvm bench bf`.
pub fn bench(a: BenchBfArgs) -> Outcome {
    let mut report = String::from(
        "# bf run (fast engine) vs a plain native Rust interpreter, Brainfuck instructions/s\n\
         program        dialect  bf-steps      native-Mips  bf-run-Mips  ratio\n",
    );
    for (name, input) in PROGRAMS {
        let src = read_file(&a.dir.join(name))?;
        for d in [Dialect::Field, Dialect::U8] {
            let c = compile(&src, d).map_err(|e| Failure::program(e.to_string()))?;
            let runs = if name == "long.bf" { 3 } else { 21 };
            let (tn, r) = time(runs, || reference::run(&src, d, input, u64::MAX));
            let (_, steps) = r.map_err(|e| Failure::program(format!("{name}: {e:?}")))?;
            let (tb, r) = time(runs, || engine::run(&c.image, input, u64::MAX));
            r.map_err(|e| Failure::program(e.to_string()))?;
            let mips = |t: f64| steps as f64 / t / 1e6;
            report.push_str(&format!(
                "{name:<14} {:<8} {steps:<13} {:<12.1} {:<12.1} {:.2}x\n",
                d.name(),
                mips(tn),
                mips(tb),
                tn / tb
            ));
        }
    }
    out(&report)?;
    if a.no_prove {
        return Ok(());
    }
    let mut report = String::from(
        "# proofs (standard parameters, zero knowledge)\n\
         run              bf-steps  cycles  prove-ms  verify-ms  proof-bytes\n",
    );
    // A run of just under 2^16 instructions: 13 100 iterations of a five-instruction loop.
    let big = format!("{}[>+<-]", "+".repeat(13_100));
    let cases: [(&str, Vec<u8>); 2] = [
        ("hello.bf", read_file(&a.dir.join("hello.bf"))?),
        ("2^16 loop", big.into_bytes()),
    ];
    for (name, src) in cases {
        let c = compile(&src, Dialect::Field).map_err(|e| Failure::program(e.to_string()))?;
        let (_, steps) = reference::run(&src, Dialect::Field, b"", u64::MAX)
            .map_err(|e| Failure::program(format!("{e:?}")))?;
        let t = Instant::now();
        let (proof, summary) =
            resvm_prover::prove_brainfuck(&c.image, b"", &ProveOptions::default(), &mut |_| {})
                .map_err(|e| Failure::program(e.to_string()))?;
        let prove_ms = t.elapsed().as_secs_f64() * 1e3;
        let io = proof.statement.io.clone();
        let (tv, r) = time(5, || {
            resvm_prover::verify_brainfuck(
                &c.image,
                Some(&io.input),
                Some(&io.output),
                &proof,
                VerifyOptions::default(),
            )
        });
        r.map_err(|e| Failure::proof(e.to_string()))?;
        report.push_str(&format!(
            "{name:<16} {steps:<9} {:<7} {prove_ms:<9.0} {:<10.2} {}\n",
            summary.cycles,
            tv * 1e3,
            summary.proof_bytes
        ));
    }
    out(&report)
}
