//! `resvm prove` and `resvm verify` (and the `bench prove` table), on top of `resvm-prover`.

use crate::error::{note, out, Failure, Outcome};
use crate::inputs::{self, Param};
use crate::{InputArgs, LimitArgs};
use clap::Args;
use resvm_field::{canonical, F};
use resvm_prover::config::SecurityLevel;
use std::path::{Path, PathBuf};

/// `resvm prove FILE ARGS... -o run.proof`
#[derive(Args, Debug)]
pub struct ProveArgs {
    /// The program (`.rvm`; `-` for standard input).
    pub file: PathBuf,
    /// main's inputs: all parameters (`secret` ones are the witness), on the command line or
    /// with --inputs.
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Where to write the proof (checked to be writable before proving).
    #[arg(short = 'o', long = "output", default_value = "run.proof")]
    pub out: PathBuf,
    /// Print a JSON summary (digest, security, public inputs by name, output, cycles, rows,
    /// sizes, times) on stdout; field elements are strings.
    #[arg(long)]
    pub json: bool,
    /// Parameter set: `standard`, `compact` (smaller and slower proofs) or `test` (fast,
    /// insecure: verifiers refuse it unless asked). `--json` and `verify` report the bits.
    #[arg(long, default_value = "standard", value_parser = ["standard", "compact", "test"])]
    pub security: String,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Most stack-machine cycles to record (the trace's size; the prover's own default cap
    /// applies without it, and a run beyond it stops in bounded memory).
    #[arg(long)]
    pub max_cycles: Option<u64>,
}

/// `resvm verify FILE run.proof [--inputs IN.json] [--output V]`
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The program (`.rvm`; `-` for standard input) the proof is claimed for.
    pub file: PathBuf,
    /// The proof.
    pub proof: PathBuf,
    /// The public inputs the proof must be for: a JSON object from public parameter name to
    /// value string, as for `run --inputs` (secret parameters cannot be named). Without it the
    /// proof's claimed inputs are printed, labelled as claimed.
    #[arg(long, value_name = "IN.json")]
    pub inputs: Option<PathBuf>,
    /// The output the proof must show (same syntax as an input value). Without it the claimed
    /// output is printed, labelled as claimed.
    #[arg(long, value_name = "V", allow_negative_numbers = true)]
    pub output: Option<String>,
    /// Print the result as one JSON object on stdout (field elements as strings).
    #[arg(long)]
    pub json: bool,
    /// Accept proofs made with the insecure `test` parameter set (prints a warning).
    #[arg(long)]
    pub allow_test: bool,
}

/// A file that becomes `path` only once it is complete: created next to it up front, so an
/// unwritable destination fails before any work; removed again if the command fails.
struct PendingFile {
    tmp: PathBuf,
    path: PathBuf,
    done: bool,
}

impl PendingFile {
    fn create(path: &Path) -> Outcome<PendingFile> {
        let shown = path.display();
        if path.is_dir() {
            return Err(Failure::io(format!(
                "cannot write {shown}: it is a directory"
            )));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.resvm-{}.tmp", std::process::id()));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Failure::io(format!("cannot write {shown}: {e}")))?;
        Ok(PendingFile {
            tmp,
            path: path.to_path_buf(),
            done: false,
        })
    }

    fn commit(mut self, bytes: &[u8]) -> Outcome {
        let shown = self.path.display().to_string();
        std::fs::write(&self.tmp, bytes)
            .map_err(|e| Failure::io(format!("cannot write {shown}: {e}")))?;
        std::fs::rename(&self.tmp, &self.path)
            .map_err(|e| Failure::io(format!("cannot write {shown}: {e}")))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn security_level(name: &str) -> Outcome<SecurityLevel> {
    SecurityLevel::from_name(name).ok_or_else(|| {
        Failure::usage(format!(
            "unknown security level `{name}` (standard, compact, test)"
        ))
    })
}

/// Conjectured security bits of a parameter set.
fn security_bits(level: SecurityLevel) -> usize {
    level.params().conjectured_bits()
}

/// `{"x": "5", ...}` for the public parameters and their values.
fn json_inputs(public: &[&Param], values: &[F]) -> serde_json::Value {
    let map = inputs::named_values(public, values)
        .into_iter()
        .map(|(name, v)| (name, serde_json::Value::String(v)));
    serde_json::Value::Object(map.collect())
}

/// `x=5 y=7` or `(none)`.
fn text_inputs(public: &[&Param], values: &[F]) -> String {
    if public.is_empty() {
        return "(none)".into();
    }
    inputs::named_values(public, values)
        .into_iter()
        .map(|(name, v)| format!("{name}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs main, proves the run, writes the proof.
pub fn prove(a: ProveArgs) -> Outcome {
    let security = security_level(&a.security)?;
    let stdin_program = a.file == Path::new("-");
    let p = crate::load(&a.file)?;
    let c = &p.compiled;
    let params = inputs::params_of(&c.module);
    let all: Vec<&Param> = params.iter().collect();
    let xs = crate::read_inputs(&a.inputs, &params, &all, stdin_program)?;
    let (mut public, mut witness) = (Vec::new(), Vec::new());
    for (x, p) in xs.iter().zip(&params) {
        if p.secret {
            witness.push(*x)
        } else {
            public.push(*x)
        }
    }
    let pending = PendingFile::create(&a.out)?;
    let limits = resvm::Limits {
        max_cycles: a.max_cycles,
        ..a.limits.limits()
    };
    let opts = resvm_prover::ProveOptions { security, limits };
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
    let (proof, summary) = result.map_err(|e| prove_error(&params, e))?;
    let bytes = proof.to_bytes();
    pending.commit(&bytes)?;
    let output = proof.statement().output;
    if a.json {
        let public_params: Vec<&Param> = params.iter().filter(|p| !p.secret).collect();
        let mut j: serde_json::Value = serde_json::from_str(&summary.to_json()).map_err(|e| {
            Failure::program(format!("internal error: prover summary is not JSON: {e}"))
        })?;
        if let Some(m) = j.as_object_mut() {
            m.insert(
                "proof".into(),
                serde_json::Value::String(a.out.display().to_string()),
            );
            m.insert("public_inputs".into(), json_inputs(&public_params, &public));
            m.insert(
                "output".into(),
                serde_json::Value::String(canonical(output).to_string()),
            );
        }
        out(&format!("{j}\n"))
    } else {
        out(&format!("{}\n", canonical(output)))?;
        note(&format!(
            "proof: {} ({} bytes, {} cycles, {:.0} ms, {} security, {} bits)",
            a.out.display(),
            bytes.len(),
            summary.cycles,
            summary.trace_ms + summary.prove_ms,
            summary.security,
            summary.security_bits
        ));
        Ok(())
    }
}

fn prove_error(params: &[Param], e: resvm_prover::ProveError) -> Failure {
    use resvm_prover::{trace::TraceError, ProveError};
    match e {
        // Checked before proving; kept for a prover that counts differently.
        e @ ProveError::InputCount { .. } => {
            Failure::usage(format!("{e} ({})", inputs::describe(params)))
        }
        ProveError::Trace(TraceError::Trap(t)) => Failure::program(format!("runtime error: {t}")),
        // The prover's own cycle cap: the run may be fine, just too long to prove.
        ProveError::Trace(t @ TraceError::TooLarge(_)) => Failure::program(t.to_string()),
        other => Failure::program(format!("internal error: {other}")),
    }
}

/// Verifies a proof against the program (and the caller's expected inputs and output).
pub fn verify(a: VerifyArgs) -> Outcome {
    let stdin_program = a.file == Path::new("-");
    let p = crate::load(&a.file)?;
    let c = &p.compiled;
    let params = inputs::params_of(&c.module);
    let public: Vec<&Param> = params.iter().filter(|p| !p.secret).collect();
    // The caller's expectations, checked before reading the proof (usage errors first).
    let expected_inputs = match &a.inputs {
        None => None,
        Some(path) => {
            if path == Path::new("-") && stdin_program {
                return Err(Failure::usage(
                    "standard input cannot hold both the program and --inputs",
                ));
            }
            let (name, text) = crate::read_text(path)?;
            reject_secret_names(&text, &name, &params)?;
            Some(inputs::parse_json(&text, &name, &public)?)
        }
    };
    let expected_output = a
        .output
        .as_deref()
        .map(|v| inputs::parse_value(v, "--output"))
        .transpose()?;
    let shown = a.proof.display();
    let bytes =
        std::fs::read(&a.proof).map_err(|e| Failure::io(format!("cannot read {shown}: {e}")))?;
    if a.allow_test {
        note("warning: --allow-test: proofs made with the insecure `test` parameters are accepted");
    }
    // The security level printed below is the parameter set's bound on the largest proof shape
    // the verifier accepts, which takes as long to derive as the verification itself and does
    // not depend on the proof: derive it on another core meanwhile.
    let result = std::thread::scope(|s| {
        // Without a second thread (the OS refused one) the bound is derived below instead.
        let shape = std::thread::Builder::new()
            .spawn_scoped(s, resvm_prover::config::security::ProofShape::worst_case)
            .ok();
        let result = statement::check(
            &c.program,
            &public,
            &bytes,
            expected_inputs.as_deref(),
            expected_output,
            a.allow_test,
        );
        // A panic there would only mean the bound is derived again below, on this thread.
        if let Some(shape) = shape {
            let _ = shape.join();
        }
        result
    });
    let claim = match result {
        Ok(claim) => claim,
        Err(why) => {
            if a.json {
                let j = serde_json::json!({ "valid": false, "program": c.program.digest().to_string(), "error": why });
                out(&format!("{j}\n"))?;
            }
            return Err(Failure::proof(why));
        }
    };
    let inputs_label = if expected_inputs.is_some() {
        "checked"
    } else {
        "claimed"
    };
    let output_label = if expected_output.is_some() {
        "checked"
    } else {
        "claimed"
    };
    let bits = security_bits(claim.security);
    if a.json {
        let j = serde_json::json!({
            "valid": true,
            "program": c.program.digest().to_string(),
            "security": claim.security.name(),
            "security_bits": bits,
            "public_inputs": json_inputs(&public, &claim.public_inputs),
            "output": canonical(claim.output).to_string(),
            "cycles": claim.cycles,
            "checked": { "public_inputs": expected_inputs.is_some(), "output": expected_output.is_some() },
        });
        return out(&format!("{j}\n"));
    }
    out(&format!(
        "valid\nprogram: {}\nsecurity: {} ({bits} bits, conjectured)\npublic inputs ({inputs_label}): {}\noutput ({output_label}): {}\ncycles: {}\n",
        c.program.digest(),
        claim.security.name(),
        text_inputs(&public, &claim.public_inputs),
        canonical(claim.output),
        claim.cycles
    ))
}

/// A secret parameter named in `verify --inputs` is a usage error of its own (a proof hides it).
fn reject_secret_names(text: &str, source: &str, params: &[Param]) -> Outcome {
    let Ok(serde_json::Value::Object(m)) =
        serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}'))
    else {
        return Ok(()); // parse_json reports the syntax error
    };
    match params.iter().find(|p| p.secret && m.contains_key(&p.name)) {
        Some(p) => Err(Failure::usage(format!(
            "{source}: `{}` is a secret parameter: a proof hides it, so verify takes only the public parameters",
            p.name
        ))),
        None => Ok(()),
    }
}

/// The one place that knows the prover's statement API.
mod statement {
    use super::*;
    use resvm_prover::VerifyError;

    /// What a valid proof shows: values of main's public parameters in order, the output, the
    /// cycle count and the parameter set.
    pub struct Claim {
        pub public_inputs: Vec<F>,
        pub output: F,
        pub cycles: u64,
        pub security: SecurityLevel,
    }

    /// Decodes and verifies `bytes` as a proof of a run of `program`: against the caller's
    /// `expected_*` values where given, else against what the proof claims. Errors are one
    /// readable sentence. `public` names main's public parameters (for messages).
    pub fn check(
        program: &resvm_isa::Program,
        public: &[&Param],
        bytes: &[u8],
        expected_inputs: Option<&[F]>,
        expected_output: Option<F>,
        allow_test: bool,
    ) -> Result<Claim, String> {
        let proof = resvm_prover::Proof::from_bytes(bytes).map_err(|e| e.to_string())?;
        let st = proof.statement();
        let inputs = expected_inputs.unwrap_or(&st.public_inputs);
        let output = expected_output.unwrap_or(st.output);
        let opts = resvm_prover::VerifyOptions { allow_test };
        resvm_prover::verify_with(program, inputs, output, &proof, opts).map_err(|e| match e {
            VerifyError::PublicInputsMismatch => format!(
                "the proof is for other public inputs than the expected ones (it claims {})",
                text_inputs(public, &st.public_inputs)
            ),
            VerifyError::OutputMismatch { claimed } => {
                format!(
                    "the proof shows output {claimed}, not the expected {}",
                    canonical(output)
                )
            }
            other => other.to_string(),
        })?;
        Ok(Claim {
            public_inputs: st.public_inputs.clone(),
            output: st.output,
            cycles: st.cycles,
            security: proof.security,
        })
    }
}

/// Fibonacci index of the equal-work comparison with Miden VM (`resvm bench prove --miden`):
/// both VMs compute fib(n) mod p by the same iterative loop, each in its own instruction set,
/// so their cycle counts differ and the comparison is per unit of work, not per cycle.
pub const MIDEN_FIB_N: u64 = 4600;

/// `resvm bench prove`: the Fibonacci prover benchmark, 2^10 .. 2^max_log, optionally followed
/// by the equal-work comparison with Miden VM ([`MIDEN_FIB_N`]).
pub fn bench_prove(max_log: usize, security: SecurityLevel, miden: Option<&Path>) -> Outcome {
    out("log  cycles  cpu_rows  total_rows  prove_ms  verify_ms  proof_KB  peak_MiB  cycles/s\n")?;
    let mut write_err = None;
    resvm_prover::bench::prove_fib(10..=max_log, security, &mut |r| {
        let line = format!(
            "{:>3} {:>7} {:>9} {:>11} {:>9.1} {:>10.2} {:>9.1} {:>9.1} {:>9.0}\n",
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
        if write_err.is_none() {
            write_err = out(&line).err();
        }
    })
    .map_err(|e| Failure::program(e.to_string()))?;
    if let Some(e) = write_err {
        return Err(e);
    }
    if let Some(bin) = miden {
        bench_against_miden(bin, security)?;
    }
    Ok(())
}

/// What one side of the equal-work comparison measured.
struct FibRun {
    cycles: u64,
    /// Execution + trace + proving, wall ms (each VM's own measurement of it).
    prove_ms: f64,
    proof_bytes: u64,
    output: u64,
}

/// Proves fib([`MIDEN_FIB_N`]) with resvm (`examples/fib.rvm`, as compiled for users) and
/// with Miden VM, checks both computed the same value, and prints both times and the ratios.
fn bench_against_miden(bin: &Path, security: SecurityLevel) -> Outcome {
    let n = MIDEN_FIB_N;
    // Miden first: a bad binary path fails before the longer resvm proof.
    let theirs = miden_fib(bin, n)?;
    let ours = resvm_fib(n, security)?;
    if ours.output != theirs.output {
        return Err(Failure::program(format!(
            "miden comparison: the two VMs disagree on fib({n}) (resvm {}, miden-vm {}): not the same work",
            ours.output, theirs.output
        )));
    }
    out(&format!(
        "equal work: iterative Fibonacci n = {n}, fib(n) mod p = {}\n",
        ours.output
    ))?;
    out(&format!(
        "resvm:    {:>6} cycles, prove {:>8.1} ms, proof {:>6.1} KB ({}, zero knowledge)\n",
        ours.cycles,
        ours.prove_ms,
        ours.proof_bytes as f64 / 1024.0,
        security.name()
    ))?;
    out(&format!(
        "miden-vm: {:>6} cycles, prove {:>8.1} ms, proof {:>6.1} KB (its defaults: 96-bit, no zero knowledge)\n",
        theirs.cycles,
        theirs.prove_ms,
        theirs.proof_bytes as f64 / 1024.0
    ))?;
    out(&format!(
        "resvm / miden (equal work): prove time {:.2}x, proof size {:.2}x, cycles {:.2}x\n",
        ours.prove_ms / theirs.prove_ms,
        ours.proof_bytes as f64 / theirs.proof_bytes as f64,
        ours.cycles as f64 / theirs.cycles as f64
    ))
}

/// Proves and verifies `examples/fib.rvm` on `n` (its compiled image, the code a user gets).
fn resvm_fib(n: u64, security: SecurityLevel) -> Outcome<FibRun> {
    let compiled = resvm::compile(include_str!("../../../examples/fib.rvm"))
        .map_err(|e| Failure::program(format!("examples/fib.rvm does not compile: {e}")))?;
    let program = &compiled.program;
    let inputs = [resvm_field::from_u64(n)];
    let opts = resvm_prover::ProveOptions {
        security,
        ..Default::default()
    };
    let (proof, s) = resvm_prover::prove_with(program, &inputs, &[], &opts, &mut |_| {})
        .map_err(|e| Failure::program(e.to_string()))?;
    resvm_prover::verify_with(
        program,
        &inputs,
        proof.statement.output,
        &proof,
        resvm_prover::VerifyOptions { allow_test: true },
    )
    .map_err(|e| Failure::program(format!("the fib proof does not verify: {e}")))?;
    Ok(FibRun {
        cycles: s.cycles,
        prove_ms: s.trace_ms + s.prove_ms,
        proof_bytes: s.proof_bytes as u64,
        output: s.output,
    })
}

/// The Miden assembly of the same loop: stack `[n, a, b]`; per iteration `n -= 1`,
/// `(a, b) = (b, a + b)`, repeat while `n != 0`; then leave `a` on top of Miden's
/// 16-element minimum stack.
fn miden_fib_masm(n: u64) -> String {
    format!(
        "begin\n    push.1 push.0 push.{n}\n    dup.0 neq.0\n    while.true\n        \
         sub.1 movdn.2 dup.1 add swap movup.2 dup.0 neq.0\n    end\n    drop swap drop swap drop\nend\n"
    )
}

/// Runs (for its cycle count) and then proves fib(`n`) with `miden-vm` at its default options.
/// The time is Miden's own "Program proved in N ms" (execution + proving, as resvm's).
fn miden_fib(bin: &Path, n: u64) -> Outcome<FibRun> {
    let io = |e: std::io::Error| Failure::io(format!("miden comparison: {e}"));
    let dir = std::env::temp_dir().join(format!("resvm-miden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let result = (|| {
        let program = dir.join("fib.masm");
        std::fs::write(&program, miden_fib_masm(n)).map_err(io)?;
        let run = |args: &[&std::ffi::OsStr]| -> Outcome<String> {
            let res = std::process::Command::new(bin)
                .args(args)
                .output()
                .map_err(|e| Failure::io(format!("cannot run {}: {e}", bin.display())))?;
            if !res.status.success() {
                return Err(Failure::program(format!(
                    "`{} {}` failed: {}",
                    bin.display(),
                    args[0].to_string_lossy(),
                    String::from_utf8_lossy(&res.stderr).trim()
                )));
            }
            Ok(String::from_utf8_lossy(&res.stdout).into_owned())
        };
        let cycles = miden_cycles(&run(&["run".as_ref(), program.as_os_str()])?)
            .ok_or_else(|| Failure::program("miden-vm run printed no `VM cycles:` line"))?;
        let proof = dir.join("fib.proof");
        let outputs = dir.join("fib.outputs");
        let expected = (cycles.next_power_of_two()).to_string();
        let text = run(&[
            "prove".as_ref(),
            program.as_os_str(),
            "-p".as_ref(),
            proof.as_os_str(),
            "-o".as_ref(),
            outputs.as_os_str(),
            "-e".as_ref(),
            expected.as_ref(),
        ])?;
        let prove_ms = miden_prove_ms(&text)
            .ok_or_else(|| Failure::program("miden-vm prove printed no `proved in N ms` line"))?;
        let proof_bytes = std::fs::metadata(&proof).map_err(io)?.len();
        let output = miden_stack_top(&std::fs::read_to_string(&outputs).map_err(io)?)
            .ok_or_else(|| Failure::program("miden-vm wrote no stack output"))?;
        Ok(FibRun {
            cycles,
            prove_ms,
            proof_bytes,
            output,
        })
    })();
    // Best effort: a leftover temporary directory is harmless.
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The cycle count in `miden-vm run`'s report: "VM cycles: 65416 extended to 65536 steps ...".
fn miden_cycles(text: &str) -> Option<u64> {
    let rest = &text[text.find("VM cycles:")? + "VM cycles:".len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// The time in `miden-vm prove`'s report: "Program proved in 4123 ms".
fn miden_prove_ms(text: &str) -> Option<f64> {
    let rest = &text[text.find("proved in")? + "proved in".len()..];
    let mut words = rest.split_whitespace();
    let value: f64 = words.next()?.parse().ok()?;
    (words.next()? == "ms").then_some(value)
}

/// The top of the stack in a `miden-vm` outputs file (`{"stack": ["..."], ...}`).
fn miden_stack_top(json: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v.get("stack")?.get(0)?.as_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miden_reports_parse() {
        let run = "Run program: fib.masm\nExecuted the program with hash 0x12 in 40 ms\n\
                   VM cycles: 64428 extended to 65536 steps (1% padding).\n";
        assert_eq!(miden_cycles(run), Some(64428));
        assert_eq!(miden_cycles("no cycles here"), None);
        assert_eq!(miden_cycles("VM cycles: many"), None);
        assert_eq!(
            miden_prove_ms("Proving program with hash ab...\nProgram proved in 4123 ms\n"),
            Some(4123.0)
        );
        assert_eq!(miden_prove_ms("Program proved in 4 s"), None);
        assert_eq!(
            miden_stack_top(r#"{"stack": ["3540883196147500974", "0"]}"#),
            Some(3540883196147500974)
        );
        assert_eq!(miden_stack_top(r#"{"stack": []}"#), None);
        assert_eq!(miden_stack_top("not json"), None);
    }

    /// The Miden program computes what `examples/fib.rvm` computes: the loop rewritten over a
    /// plain `[n, a, b]` stack gives resvm's own output for the same `n`.
    #[test]
    fn miden_loop_matches_fib_rvm() {
        let masm = miden_fib_masm(MIDEN_FIB_N);
        assert!(masm.contains(&format!("push.{MIDEN_FIB_N}")));
        let body = "sub.1 movdn.2 dup.1 add swap movup.2 dup.0 neq.0";
        assert!(masm.contains(body));
        // Interpret the loop body's stack effect literally.
        let f = resvm_field::from_u64;
        let mut stack: Vec<F> = vec![f(1), f(0), f(MIDEN_FIB_N)];
        let top = |s: &Vec<F>, i: usize| s[s.len() - 1 - i];
        loop {
            for op in body.split_whitespace() {
                let len = stack.len();
                match op {
                    "sub.1" => stack[len - 1] -= f(1),
                    "movdn.2" => {
                        let x = stack.pop().unwrap();
                        stack.insert(len - 3, x);
                    }
                    "dup.1" => stack.push(top(&stack, 1)),
                    "dup.0" => stack.push(top(&stack, 0)),
                    "add" => {
                        let (x, y) = (stack.pop().unwrap(), stack.pop().unwrap());
                        stack.push(x + y);
                    }
                    "swap" => stack.swap(len - 1, len - 2),
                    "movup.2" => {
                        let x = stack.remove(len - 3);
                        stack.push(x);
                    }
                    "neq.0" => {
                        let x = stack.pop().unwrap();
                        stack.push(f(u64::from(x != f(0))));
                    }
                    other => unreachable!("{other}"),
                }
            }
            if stack.pop().unwrap() == f(0) {
                break;
            }
        }
        let a = top(&stack, 1);
        let compiled = resvm::compile(include_str!("../../../examples/fib.rvm")).unwrap();
        let limits = resvm_exec::Limits::default();
        let ours = resvm_exec::stack::run(&compiled.program, &[f(MIDEN_FIB_N)], &limits).unwrap();
        assert_eq!(a, ours.output);
    }
}
