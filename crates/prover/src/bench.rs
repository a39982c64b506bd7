//! Example programs and the prover benchmark used by `resvm bench prove`.

use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use resvm_isa::{Function, Instr, Program};

/// `main(n) = loop(n, 0, 1)` with the tail-recursive `loop(n, a, b)`: fib(n) mod p in
/// constant stack space, fused as the code generator emits it (`resvm_isa::fuse`): 5 cycles
/// per iteration (`BRZS exit 0; ADDSS 1 2; INCS 0 -1; MOVS 1 2; STAILCALL 1 2`) and 11
/// around it.
pub fn fib_program() -> Program {
    resvm_isa::fuse_program(&fib_program_unfused()).expect("the fused fib image is valid")
}

/// [`fib_program`] before fusion: 11 cycles per iteration and 15 around the loop.
pub fn fib_program_unfused() -> Program {
    let f = F::from_u64;
    let code = vec![
        Instr::Frame,
        Instr::Input(0),
        Instr::Call(0),
        Instr::Halt,
        // main(n) @4: n is already in slot 0.
        Instr::Push(f(0)),
        Instr::Push(f(1)),
        Instr::Store(2),
        Instr::Store(1),
        Instr::TailCall(1),
        // loop(n, a, b) @9: the exit arm after the body, as the code generator lays out
        // `branch` (so the test and the jump fuse into `BRZS`).
        Instr::Push(f(0)),
        Instr::Load(0),
        Instr::Compare,
        Instr::Branch(13, 24),
        // @13: the tail call's arguments as the code generator orders them: a + b pushed,
        // then the moves n - 1 → slot 0 and b → slot 1, then a + b popped into slot 2.
        Instr::Load(1),
        Instr::Load(2),
        Instr::Add,
        Instr::Load(0),
        Instr::Push(f(1)),
        Instr::Sub,
        Instr::Store(0),
        Instr::Load(2),
        Instr::Store(1),
        Instr::Store(2),
        Instr::TailCall(1),
        // @24
        Instr::Load(1),
        Instr::Ret,
    ];
    let fns = vec![
        Function {
            name: "main".into(),
            entry: 4,
            arity: 1,
            frame: 3,
        },
        Function {
            name: "loop".into(),
            entry: 9,
            arity: 3,
            frame: 3,
        },
    ];
    Program::new(code, fns, 0).expect("the fib image is valid")
}

/// Verifications of each proof whose median [`BenchRow::verify_ms`] reports.
pub const VERIFY_RUNS: usize = 5;

/// One line of the prover benchmark.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BenchRow {
    /// log2 of the targeted CPU trace height.
    pub log_size: usize,
    /// Fibonacci index proven.
    pub n: u64,
    /// Instructions executed.
    pub cycles: u64,
    /// CPU table rows (padded).
    pub cpu_rows: usize,
    /// Rows over all tables (padded).
    pub total_rows: usize,
    /// Trace generation (execute + lay out tables), ms.
    pub trace_ms: f64,
    /// STARK proving, ms.
    pub prove_ms: f64,
    /// Verification (parse + verify), ms: the median of [`VERIFY_RUNS`].
    pub verify_ms: f64,
    /// Serialized proof size.
    pub proof_bytes: usize,
    /// Peak resident memory of the process so far (VmHWM), bytes; 0 where unavailable.
    pub peak_rss_bytes: u64,
    /// cycles / (trace + prove time).
    pub cycles_per_sec: f64,
}

/// The largest `n` (at least 1) for which `main(n)` of the Fibonacci image runs in at most
/// `cycles` cycles, from the cycle counts of two short runs (the loop's cost per iteration and
/// around it), so that the benchmark follows the ISA.
pub fn fib_n_for_cycles(program: &Program, cycles: u64) -> Result<u64, String> {
    let run = |n: u64| {
        resvm_exec::stack::run(program, &[F::from_u64(n)], &resvm_exec::Limits::default())
            .map(|o| o.cycles)
            .map_err(|e| e.to_string())
    };
    let (one, two) = (run(1)?, run(2)?);
    let per = two.saturating_sub(one).max(1);
    let around = one.saturating_sub(per);
    Ok((cycles.saturating_sub(around) / per).max(1))
}

/// Proves the tail-recursive Fibonacci loop with CPU traces of `2^k` rows for each `k` in
/// `log_sizes` (the run fills the table as far as the loop allows) and verifies each proof.
/// `on_row` sees each result as it is measured.
pub fn prove_fib(
    log_sizes: impl IntoIterator<Item = usize>,
    security: crate::config::SecurityLevel,
    on_row: &mut dyn FnMut(&BenchRow),
) -> Result<Vec<BenchRow>, String> {
    let program = fib_program();
    let mut rows = vec![];
    for k in log_sizes {
        let n = fib_n_for_cycles(&program, 1 << k)?;
        let opts = crate::ProveOptions {
            security,
            ..Default::default()
        };
        let (proof, s) = crate::prove_with(&program, &[F::from_u64(n)], &[], &opts, &mut |_| {})
            .map_err(|e| e.to_string())?;
        let bytes = proof.to_bytes();
        // The median of a few: steady state, as a ledger or service verifying many proofs
        // sees it (a process's first verification also derives the fixed tables' LogUp
        // layouts, `docs/benchmarks.md`), and less exposed to a noisy machine.
        let mut times = Vec::with_capacity(VERIFY_RUNS);
        for _ in 0..VERIFY_RUNS {
            let t = std::time::Instant::now();
            let parsed = crate::Proof::from_bytes(&bytes).map_err(|e| e.to_string())?;
            crate::verify_with(
                &program,
                &[F::from_u64(n)],
                parsed.statement.output,
                &parsed,
                crate::VerifyOptions { allow_test: true },
            )
            .map_err(|e| e.to_string())?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let verify_ms = times[VERIFY_RUNS / 2];
        let row = BenchRow {
            log_size: k,
            n,
            cycles: s.cycles,
            cpu_rows: s.table_rows[0].1,
            total_rows: s.total_rows,
            trace_ms: s.trace_ms,
            prove_ms: s.prove_ms,
            verify_ms,
            proof_bytes: bytes.len(),
            peak_rss_bytes: peak_rss(),
            cycles_per_sec: s.cycles as f64 / ((s.trace_ms + s.prove_ms) / 1e3),
        };
        on_row(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// Peak resident set size (Linux `VmHWM`), 0 elsewhere.
pub fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb * 1024)
}
