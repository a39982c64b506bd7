//! `resvm prove` and `resvm verify` (and the `bench prove` table), on top of `resvm-prover`.
//!

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
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
    let security = SecurityLevel::from_name(&a.security).ok_or_else(|| {
        anyhow!(
            "error: unknown security level `{}` (standard, compact, test)",
            a.security
        )
    })?;
    let secret = c.program.secret_params();
    if secret.len() != inputs.len() {
        bail!(
            "error: main takes {} argument(s), got {}",
            secret.len(),
            inputs.len()
        );
    }
    let (mut public, mut witness) = (Vec::new(), Vec::new());
    for (x, s) in inputs.iter().zip(&secret) {
        if *s {
            witness.push(*x)
        } else {
            public.push(*x)
        }
    }
    let opts = resvm_prover::ProveOptions {
        security,
        ..Default::default()
    };
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
    std::fs::write(&a.out, &bytes)
        .with_context(|| format!("error: cannot write {}", a.out.display()))?;
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
    let bytes = std::fs::read(&a.proof)
        .with_context(|| format!("error: cannot read {}", a.proof.display()))?;
    let proof = resvm_prover::Proof::from_bytes(&bytes).map_err(|e| anyhow!("error: {e}"))?;
    let st = &proof.statement;
    let opts = resvm_prover::VerifyOptions {
        allow_test: a.allow_test,
    };
    resvm_prover::verify_claimed(&c.program, &proof, opts).map_err(|e| anyhow!("error: {e}"))?;
    println!("valid");
    let shown: Vec<String> = resvm_prover::public_params(&c.program)
        .iter()
        .zip(&st.public_inputs)
        .map(|(i, x)| format!("x{i}={}", resvm_field::canonical(*x)))
        .collect();
    println!(
        "public inputs: {}",
        if shown.is_empty() {
            "(none)".into()
        } else {
            shown.join(" ")
        }
    );
    println!("output: {}", resvm_field::canonical(st.output));
    println!("cycles: {}", st.cycles);
    Ok(())
}

/// `resvm bench prove`: the Fibonacci prover benchmark, 2^10 .. 2^max_log, optionally against
/// Miden VM at the largest size.
pub fn bench_prove(
    max_log: usize,
    security: SecurityLevel,
    miden: Option<&std::path::Path>,
) -> Result<()> {
    println!(
        "log  cycles  cpu_rows  total_rows  prove_ms  verify_ms  proof_KB  peak_MiB  cycles/s"
    );
    let mut last = None;
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
        last = Some((r.cycles, r.trace_ms + r.prove_ms, r.proof_bytes));
    })
    .map_err(|e| anyhow!("error: {e}"))?;
    if let (Some(bin), Some((cycles, ms, bytes))) = (miden, last) {
        let m = miden_fib(bin, max_log)?;
        println!(
            "miden-vm: {} cycles, prove {:.1} ms, proof {:.1} KB (its defaults: 96-bit, no zero knowledge)",
            m.0,
            m.1,
            m.2 as f64 / 1024.0
        );
        println!(
            "resvm / miden at 2^{max_log}: prove time {:.2}x ({} vs {} cycles), proof size {:.2}x",
            ms / m.1,
            cycles,
            m.0,
            bytes as f64 / m.2 as f64
        );
    }
    Ok(())
}

/// Proves a Fibonacci `while.true` loop of about `2^log` cycles with `miden-vm prove` (default
/// options) and returns `(cycles, wall ms, proof bytes)`. 14 cycles per iteration.
fn miden_fib(bin: &std::path::Path, log: usize) -> Result<(u64, f64, u64)> {
    let iterations = ((1u64 << log) - 128) / 14;
    let dir = std::env::temp_dir().join(format!("resvm-miden-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let program = dir.join("fib.masm");
    // Stack [n, a, b]: n -= 1; (a, b) = (b, a + b); loop while n != 0; leave a on top of
    // Miden's 16-element minimum stack.
    std::fs::write(
        &program,
        format!(
            "begin\n    push.1 push.0 push.{iterations}\n    dup.0 neq.0\n    while.true\n        \
             sub.1 movdn.2 dup.1 add swap movup.2 dup.0 neq.0\n    end\n    drop swap drop swap drop\nend\n"
        ),
    )?;
    let proof = dir.join("fib.proof");
    let start = std::time::Instant::now();
    let out = std::process::Command::new(bin)
        .arg("prove")
        .arg(&program)
        .arg("-p")
        .arg(&proof)
        .arg("-o")
        .arg(dir.join("fib.outputs"))
        .arg("-e")
        .arg((1u64 << log).to_string())
        .output()
        .with_context(|| format!("error: cannot run {}", bin.display()))?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    if !out.status.success() {
        bail!(
            "error: miden-vm prove failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let bytes = std::fs::metadata(&proof).map(|m| m.len()).unwrap_or(0);
    let text = String::from_utf8_lossy(&out.stdout);
    // Miden prints e.g. "... executed in 65409 cycles ..."; fall back to the loop's count.
    let cycles = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .find(|w| w[1].starts_with("cycles"))
        .and_then(|w| w[0].parse().ok())
        .unwrap_or(iterations * 14);
    Ok((cycles, ms, bytes))
}
