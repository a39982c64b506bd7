//! `resvm prove` and `resvm verify` (and the `bench prove` table), on top of `resvm-prover`.
//!

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use resvm_field::F;
use resvm_prover::config::SecurityLevel;
use std::path::PathBuf;

/// `resvm prove FILE ARGS... -o run.proof`
#[derive(Args, Debug)]
pub struct ProveArgs {
    /// The program (`.rvm`).
    pub file: PathBuf,
    /// All of main's parameters in order (decimal, below p); `secret` ones are the witness.
    pub args: Vec<String>,
    /// Where to write the proof.
    #[arg(short = 'o', long = "output", default_value = "run.proof")]
    pub out: PathBuf,
    /// Print a JSON summary (cycles, rows, sizes, times) on stdout.
    #[arg(long)]
    pub json: bool,
    /// Parameter set: `standard` (100-bit conjectured security), `compact` (101 bits, smaller
    /// and slower proofs) or `test` (fast, insecure: verifiers refuse it unless asked).
    #[arg(long, default_value = "standard", value_parser = ["standard", "compact", "test"])]
    pub security: String,
}

/// `resvm verify FILE run.proof`
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The program (`.rvm`) the proof is claimed for.
    pub file: PathBuf,
    /// The proof.
    pub proof: PathBuf,
    /// Accept proofs made with the insecure `test` parameter set.
    #[arg(long)]
    pub allow_test: bool,
}

/// Runs main, proves the run, writes the proof.
pub fn prove(a: ProveArgs) -> Result<()> {
    let (c, _) = crate::load(&a.file)?;
    let inputs = crate::parse_inputs(&a.args)?;
    let security = SecurityLevel::from_name(&a.security)
        .ok_or_else(|| anyhow!("error: unknown security level `{}` (standard, compact, test)", a.security))?;
    let secret = c.program.secret_params();
    if secret.len() != inputs.len() {
        bail!("error: main takes {} argument(s), got {}", secret.len(), inputs.len());
    }
    let (mut public, mut witness) = (Vec::new(), Vec::new());
    for (x, s) in inputs.iter().zip(&secret) {
        if *s { witness.push(*x) } else { public.push(*x) }
    }
    let opts = resvm_prover::ProveOptions { security, ..Default::default() };
    // Phases on a spinner (stderr; indicatif hides it when stderr is not a terminal).
    let bar = if a.json {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(3);
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:20} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    };
    let result = resvm_prover::prove_with(&c.program, &public, &witness, &opts, &mut |s| {
        use resvm_prover::Stage;
        let (pos, msg) = match s {
            Stage::Execute => (0, "executing"),
            Stage::Trace => (1, "building the trace tables"),
            Stage::Prove => (2, "committing and proving"),
            Stage::Done => (3, "done"),
        };
        bar.set_position(pos);
        bar.set_message(msg);
    });
    bar.finish_and_clear();
    let (proof, summary) = result.map_err(|e| anyhow!("error: {e}"))?;
    let bytes = proof.to_bytes();
    std::fs::write(&a.out, &bytes).with_context(|| format!("error: cannot write {}", a.out.display()))?;
    if a.json {
        println!("{}", summary.to_json());
    } else {
        println!("{}", resvm_field::canonical(proof.statement.output));
        eprintln!(
            "proof: {} ({} bytes, {} cycles, {:.0} ms, {} security)",
            a.out.display(),
            bytes.len(),
            summary.cycles,
            summary.trace_ms + summary.prove_ms,
            summary.security
        );
    }
    Ok(())
}

/// Verifies a proof against the program; prints `valid`, the public inputs and the output.
pub fn verify(a: VerifyArgs) -> Result<()> {
    let (c, _) = crate::load(&a.file)?;
    let bytes = std::fs::read(&a.proof).with_context(|| format!("error: cannot read {}", a.proof.display()))?;
    let proof = resvm_prover::Proof::from_bytes(&bytes).map_err(|e| anyhow!("error: {e}"))?;
    let st = &proof.statement;
    let xs: Vec<F> = st.public_inputs.iter().map(|x| x.1).collect();
    let opts = resvm_prover::VerifyOptions { allow_test: a.allow_test };
    resvm_prover::verify_with(&c.program.digest(), &xs, st.output, &proof, opts)
        .map_err(|e| anyhow!("error: {e}"))?;
    println!("valid");
    let shown: Vec<String> = st
        .public_inputs
        .iter()
        .map(|(i, x)| format!("x{i}={}", resvm_field::canonical(*x)))
        .collect();
    println!("public inputs: {}", if shown.is_empty() { "(none)".into() } else { shown.join(" ") });
    println!("output: {}", resvm_field::canonical(st.output));
    println!("cycles: {}", st.cycles);
    Ok(())
}

/// `resvm bench prove`: the Fibonacci prover benchmark, 2^10 .. 2^max_log.
pub fn bench_prove(max_log: usize, security: SecurityLevel) -> Result<()> {
    println!("log  cycles  cpu_rows  total_rows  prove_ms  verify_ms  proof_KB  peak_MiB  cycles/s");
    resvm_prover::bench::prove_fib(10..=max_log, security, &mut |r| {
        println!(
            "{:>3} {:>7} {:>9} {:>11} {:>9.1} {:>10.2} {:>9.1} {:>9.1} {:>9.0}",
            r.log_size,
            r.cycles,
            r.cpu_rows,
            r.total_rows,
            r.trace_ms + r.prove_ms,
            r.verify_ms,
            r.proof_bytes as f64 / 1024.0,
            r.peak_rss_bytes as f64 / (1 << 20) as f64,
            r.cycles_per_sec
        );
    })
    .map_err(|e| anyhow!("error: {e}"))?;
    Ok(())
}
