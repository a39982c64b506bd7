//! Zero-knowledge STARK proofs of resvm runs: the spec's `Prove(C, x, w)` and
//! `Verify(C, x, π)`.
//!
//! * [`prove`] runs `main` of a [`Program`] on public inputs `x` (the parameters read by
//!   `INPUT`) and a witness `w` (those read by `SECRET`), and proves the run with a Plonky3
//!   batch STARK over the tables of [`air`] (CPU, memory, the read-only table of program,
//!   public inputs and bytes that the verifier computes, compare, and the Poseidon2 chiplet
//!   for images with `HASH`), tied by LogUp buses.
//! * [`verify`] checks a [`Proof`] against the program digest, the public inputs and the
//!   claimed output, using only its own AIR definitions.
//! * [`Proof::to_bytes`] / [`Proof::from_bytes`]: the wire format (magic, format version,
//!   postcard), parsed defensively.
//!
//! See `docs/air.md` and `docs/proof-system.md`.

pub mod air;
pub mod bench;
mod common;
pub mod config;
pub mod trace;

use air::{TableKind, Val, VmAir, TABLES};
use config::{make_config, os_seed, SecurityLevel, VmConfig};
use p3_batch_stark::{prove_batch, verify_batch, BatchProof, ProverData, StarkInstance};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::Matrix;
use resvm_exec::Limits;
use resvm_field::{Digest, F};
use resvm_isa::Program;
use serde::{Deserialize, Serialize};
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
use std::time::Instant;
// The browser has no OS clock for std: `web_time::Instant` reads `performance.now()`.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
use web_time::Instant;

pub use config::Params;
pub use trace::TraceError;

/// Leading bytes of every serialized proof.
pub const MAGIC: [u8; 4] = *b"RVMP";
/// Version of the serialized layout; bumped on any change of AIR, parameters or encoding.
pub const FORMAT_VERSION: u16 = 17;

/// What a proof claims, all of it public.
///
/// Which of `main`'s parameters are public is not part of the claim: the verifier derives
/// it from the program ([`public_params`]), so a prover cannot declare a secret parameter
/// public (or the other way round).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The program digest (`Program::digest`).
    pub program: Digest,
    /// The values of main's public parameters, in parameter order.
    pub public_inputs: Vec<F>,
    /// The output `b`.
    pub output: F,
    /// Instructions executed (HALT included); proven, and at most the CPU table's height.
    pub cycles: u64,
    /// The Brainfuck input and output bytes (empty for resvm programs).
    pub io: ByteStreams,
}

/// The public byte streams of a Brainfuck run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteStreams {
    /// The bytes `,` read from (all of the input, whether or not the run read all of it).
    pub input: Vec<u8>,
    /// The bytes `.` wrote.
    pub output: Vec<u8>,
}

/// Indices of `main`'s public parameters (those read by `INPUT`, not `SECRET`), in order.
pub fn public_params(program: &Program) -> Vec<u32> {
    program
        .secret_params()
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(i, _)| i as u32)
        .collect()
}

/// A proof of one run.
#[derive(Serialize, Deserialize)]
pub struct Proof {
    /// The parameter set it was made with.
    pub security: SecurityLevel,
    /// The claim.
    pub statement: Statement,
    /// The batch STARK over the tables of [`air::tables_for`] the image's kind.
    pub stark: BatchProof<VmConfig>,
}

/// Why proving failed.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// Wrong number of public inputs or witness values for `main`.
    #[error("main takes {public} public input(s) and {secret} secret input(s)")]
    InputCount {
        /// Public parameters of main.
        public: usize,
        /// Secret parameters of main.
        secret: usize,
    },
    /// The image fails static validation (`resvm_isa::validate`): no run of it would mean
    /// what a proof claims.
    #[error("invalid program image: {0}")]
    InvalidProgram(String),
    /// No witness could be built (trap, size).
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// Plonky3 refused to prove (a bug if the trace came from [`trace::generate`]).
    #[error("prover failed: {0}")]
    Stark(String),
}

/// Why a proof was rejected. Each variant is one reason; `Display` is one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Bytes that are not a proof of this format.
    #[error("malformed proof: {0}")]
    Malformed(String),
    /// The proof is for another program than the verifier's.
    #[error("the proof is for another program (digest {claimed})")]
    ProgramMismatch {
        /// The digest the proof claims (hex).
        claimed: String,
    },
    /// The verifier expects a different number of public inputs than the program has.
    #[error("the program has {expected} public parameter(s), {got} public input(s) were given")]
    PublicInputCount {
        /// Public parameters of `main`.
        expected: usize,
        /// Values given (by the caller, or claimed by the proof).
        got: usize,
    },
    /// The proof is for other public inputs than the verifier's.
    #[error("the proof is for other public inputs")]
    PublicInputsMismatch,
    /// The proof is for another output than the verifier's.
    #[error("the proof is for another output (it claims {claimed})")]
    OutputMismatch {
        /// The output the proof claims (canonical).
        claimed: u64,
    },
    /// The claimed cycle count cannot be the run's: it must lie in `1..=max`, the CPU
    /// table's height (the AIR binds it only modulo p, so a larger claim is refused here).
    #[error("claimed cycle count {cycles} is outside 1..={max}")]
    CyclesOutOfRange {
        /// Claimed cycles.
        cycles: u64,
        /// The CPU table's height.
        max: u64,
    },
    /// The program image fails static validation, so no proof about it is meaningful.
    #[error("invalid program image: {0}")]
    InvalidProgram(String),
    /// Made with the insecure test parameters, which this verifier does not accept.
    #[error("proof uses the insecure test parameter set; pass --allow-test to accept it")]
    TestParameters,
    /// The proof's shape (table count or heights) is not what this verifier expects.
    #[error("bad proof shape: {0}")]
    Shape(String),
    /// The AIR constraints do not hold at the out-of-domain point: some table's rows do not
    /// follow the machine's rules.
    #[error("the execution trace violates the AIR constraints (table {table})")]
    Constraints {
        /// The first table whose check failed (name), or `"?"`.
        table: &'static str,
    },
    /// The LogUp buses do not balance: some table sent a message nobody received (a memory
    /// access, instruction fetch, function tuple, comparison or input that is not genuine).
    #[error("the lookup arguments do not balance (a bus message has no counterpart)")]
    LookupImbalance,
    /// The commitment openings or the low-degree test failed.
    #[error("the polynomial commitment openings do not verify")]
    Opening,
    /// A proof-of-work witness is wrong.
    #[error("a proof-of-work witness is invalid")]
    ProofOfWork,
    /// The proof is for other Brainfuck input bytes than the verifier's.
    #[error("the proof is for another input ({len} bytes)")]
    InputBytesMismatch {
        /// Length of the input the proof claims.
        len: usize,
    },
    /// The proof is for other Brainfuck output bytes than the verifier's.
    #[error("the proof is for another output ({len} bytes)")]
    OutputBytesMismatch {
        /// Length of the output the proof claims.
        len: usize,
    },
    /// A Brainfuck image given to the resvm verifier, or the other way round.
    #[error("wrong kind of program: {0}")]
    WrongKind(&'static str),
    /// Any other rejection by the STARK verifier.
    #[error("invalid proof: {0}")]
    Invalid(String),
}

/// Progress of [`prove_with`], for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Running the program and recording the trace.
    Execute,
    /// Laying out the tables.
    Trace,
    /// Committing and proving (the bulk of the time).
    Prove,
    /// Done.
    Done,
}

/// Options of [`prove_with`].
#[derive(Clone, Debug)]
pub struct ProveOptions {
    /// The parameter set.
    pub security: SecurityLevel,
    /// Interpreter limits for the run being proven.
    pub limits: Limits,
}

impl Default for ProveOptions {
    fn default() -> Self {
        ProveOptions {
            security: SecurityLevel::Standard,
            limits: Limits::default(),
        }
    }
}

/// Machine-readable summary of a proof (for `resvm prove --json`).
#[derive(Clone, Debug, Serialize)]
pub struct ProveSummary {
    /// Program digest (hex).
    pub program: String,
    /// Parameter set name.
    pub security: &'static str,
    /// Conjectured security bits of that set.
    pub security_bits: usize,
    /// Instructions executed.
    pub cycles: u64,
    /// Rows per table, `(name, rows)`, in proof order.
    pub table_rows: Vec<(&'static str, usize)>,
    /// Sum of all table heights.
    pub total_rows: usize,
    /// Serialized proof size in bytes.
    pub proof_bytes: usize,
    /// Time to execute and build the traces (ms).
    pub trace_ms: f64,
    /// Time in the STARK prover (ms).
    pub prove_ms: f64,
    /// Output (canonical).
    pub output: u64,
}

impl ProveSummary {
    /// The summary as one JSON object.
    pub fn to_json(&self) -> String {
        // Plain data (strings, numbers, pairs): serialization cannot fail.
        serde_json::to_string(self).expect("summary serializes")
    }
}

/// Name of a table in summaries.
pub fn table_name(t: TableKind) -> &'static str {
    t.name()
}

/// `Prove(C, x, w)` with the standard parameters.
pub fn prove(program: &Program, public_inputs: &[F], witness: &[F]) -> Result<Proof, ProveError> {
    prove_with(
        program,
        public_inputs,
        witness,
        &ProveOptions::default(),
        &mut |_| {},
    )
    .map(|(p, _)| p)
}

/// `Prove(C, x, w)` with options and a progress callback; also returns a summary.
pub fn prove_with(
    program: &Program,
    public_inputs: &[F],
    witness: &[F],
    opts: &ProveOptions,
    progress: &mut dyn FnMut(Stage),
) -> Result<(Proof, ProveSummary), ProveError> {
    let t0 = Instant::now();
    progress(Stage::Execute);
    let inputs = trace::merge_inputs(program, public_inputs, witness).ok_or_else(|| {
        let s = program.secret_params();
        let secret = s.iter().filter(|x| **x).count();
        ProveError::InputCount {
            public: s.len() - secret,
            secret,
        }
    })?;
    let analysis =
        resvm_isa::validate(program).map_err(|e| ProveError::InvalidProgram(e.to_string()))?;
    let wit = trace::generate(program, &inputs, &opts.limits)?;
    check_depth(&analysis, wit.traces[0].height() as u64).map_err(ProveError::InvalidProgram)?;
    progress(Stage::Trace);
    let statement = Statement {
        program: program.digest(),
        public_inputs: wit.public_inputs.iter().map(|x| x.1).collect(),
        output: wit.output,
        cycles: wit.cycles,
        io: ByteStreams::default(),
    };
    finish(program, statement, wit, t0, opts, progress)
}

/// Proves a run of the Brainfuck image `program` on the input bytes (its output bytes are
/// the run's); `opts.limits.max_cycles` bounds the recorded instructions. Also returns a
/// summary.
pub fn prove_brainfuck(
    program: &Program,
    input: &[u8],
    opts: &ProveOptions,
    progress: &mut dyn FnMut(Stage),
) -> Result<(Proof, ProveSummary), ProveError> {
    let t0 = Instant::now();
    progress(Stage::Execute);
    if program.kind() != resvm_isa::ImageKind::Brainfuck {
        return Err(ProveError::InvalidProgram("not a Brainfuck image".into()));
    }
    resvm_isa::validate(program).map_err(|e| ProveError::InvalidProgram(e.to_string()))?;
    let wit = trace::generate_brainfuck(program, input, opts.limits.max_cycles)?;
    progress(Stage::Trace);
    let statement = Statement {
        program: program.digest(),
        public_inputs: vec![],
        output: wit.output,
        cycles: wit.cycles,
        io: ByteStreams {
            input: input.to_vec(),
            output: wit.bf_output.clone(),
        },
    };
    finish(program, statement, wit, t0, opts, progress)
}

/// Proves the witness's tables against `statement` and summarizes.
fn finish(
    program: &Program,
    statement: Statement,
    wit: trace::Witness,
    t0: Instant,
    opts: &ProveOptions,
    progress: &mut dyn FnMut(Stage),
) -> Result<(Proof, ProveSummary), ProveError> {
    let trace_ms = ms(t0);
    let t1 = Instant::now();
    progress(Stage::Prove);
    let heights: Vec<usize> = wit.traces.iter().map(|t| t.height()).collect();
    // The witness's tables move into the prover, which frees them once widened.
    let stark = prove_owned(program, &statement, wit.traces, opts.security)?;
    let prove_ms = ms(t1);
    let proof = Proof {
        security: opts.security,
        statement,
        stark,
    };
    let bytes = proof.to_bytes().len();
    progress(Stage::Done);
    let table_rows: Vec<(&'static str, usize)> = TABLES
        .iter()
        .zip(heights)
        .map(|(t, h)| (table_name(*t), h))
        .collect();
    let summary = ProveSummary {
        program: program.digest().to_hex(),
        security: opts.security.name(),
        security_bits: opts.security.params().conjectured_bits(),
        cycles: wit.cycles,
        total_rows: table_rows.iter().map(|r| r.1).sum(),
        table_rows,
        proof_bytes: bytes,
        trace_ms,
        prove_ms,
        output: resvm_field::canonical(wit.output),
    };
    Ok((proof, summary))
}

/// Proves given tables against a statement about `program` (whose public-parameter positions
/// fix the read-only table's public inputs). Public for tests that feed tampered traces (a
/// sound AIR must make these fail to verify); [`prove_with`] is the normal entry point.
#[doc(hidden)]
pub fn prove_traces(
    program: &Program,
    statement: &Statement,
    traces: &[p3_matrix::dense::RowMajorMatrix<Val>],
    security: SecurityLevel,
) -> Result<BatchProof<VmConfig>, ProveError> {
    prove_owned(program, statement, traces.to_vec(), security)
}

/// [`prove_traces`] taking the tables by value.
fn prove_owned(
    program: &Program,
    statement: &Statement,
    traces: Vec<p3_matrix::dense::RowMajorMatrix<Val>>,
    security: SecurityLevel,
) -> Result<BatchProof<VmConfig>, ProveError> {
    let tables = air::tables_for(program);
    if traces.len() != tables.len() {
        return Err(ProveError::Stark(format!(
            "{} tables given, a proof about this image has {}",
            traces.len(),
            tables.len()
        )));
    }
    let indexed =
        indexed_inputs(&public_params(program), &statement.public_inputs).ok_or_else(|| {
            ProveError::Stark("statement has the wrong number of public inputs".into())
        })?;
    let mem_width = traces[TableKind::Memory.index()].width();
    let memory = air::memory::MemoryAir::from_width(mem_width).ok_or_else(|| {
        ProveError::Stark(format!(
            "a memory table {mem_width} columns wide is no layout"
        ))
    })?;
    let (airs, pvs) = statement_airs(program, statement, &indexed, memory);
    let config = make_config(security, os_seed());
    // Fresh randomness for the terminal blinding, independent of the PCS's.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_seed(os_seed());
    let traces = air::append_blinding(traces, &mut rng);
    let instances: Vec<StarkInstance<'_, VmConfig, VmAir>> = airs
        .iter()
        .zip(&traces)
        .zip(&pvs)
        .map(|((air, trace), pv)| StarkInstance {
            air,
            trace,
            public_values: pv.clone(),
        })
        .collect();
    let prover_data = ProverData::from_instances(&config, &instances)
        .map_err(|e| ProveError::Stark(format!("{e:?}")))?;
    prove_batch(&config, &instances, &prover_data).map_err(|e| ProveError::Stark(format!("{e:?}")))
}

/// `(parameter index, value)` pairs, or `None` when the counts differ.
fn indexed_inputs(params: &[u32], values: &[F]) -> Option<Vec<(u32, F)>> {
    (params.len() == values.len())
        .then(|| params.iter().copied().zip(values.iter().copied()).collect())
}

/// Options of [`verify_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyOptions {
    /// Accept proofs made with [`SecurityLevel::Test`].
    pub allow_test: bool,
}

/// `Verify(C, x, π)`: the proof shows that `program`, run on public inputs `public_inputs`
/// (the values of main's public parameters, in order: [`public_params`]) and some witness
/// for its secret parameters, halts with output `output`. Refuses test-parameter proofs.
pub fn verify(
    program: &Program,
    public_inputs: &[F],
    output: F,
    proof: &Proof,
) -> Result<(), VerifyError> {
    verify_with(
        program,
        public_inputs,
        output,
        proof,
        VerifyOptions::default(),
    )
}

/// [`verify`] with options.
pub fn verify_with(
    program: &Program,
    public_inputs: &[F],
    output: F,
    proof: &Proof,
    opts: VerifyOptions,
) -> Result<(), VerifyError> {
    let st = &proof.statement;
    check_header(program, proof, opts)?;
    if program.kind() != resvm_isa::ImageKind::Resvm || st.io != ByteStreams::default() {
        return Err(VerifyError::WrongKind(
            "a Brainfuck proof or image (verify it with verify_brainfuck)",
        ));
    }
    let params = public_params(program);
    for got in [public_inputs.len(), st.public_inputs.len()] {
        if got != params.len() {
            return Err(VerifyError::PublicInputCount {
                expected: params.len(),
                got,
            });
        }
    }
    if st.public_inputs != public_inputs {
        return Err(VerifyError::PublicInputsMismatch);
    }
    if st.output != output {
        return Err(VerifyError::OutputMismatch {
            claimed: resvm_field::canonical(st.output),
        });
    }
    verify_statement(program, &params, st, proof)
}

/// The checks every verification starts with: parameter set and program digest.
fn check_header(program: &Program, proof: &Proof, opts: VerifyOptions) -> Result<(), VerifyError> {
    if proof.security == SecurityLevel::Test && !opts.allow_test {
        return Err(VerifyError::TestParameters);
    }
    if proof.statement.program != program.digest() {
        return Err(VerifyError::ProgramMismatch {
            claimed: proof.statement.program.to_hex(),
        });
    }
    Ok(())
}

/// Verifies that the Brainfuck image `program`, run on `input`, writes exactly `output` and
/// halts (`None`: accept the bytes the proof claims, for showing them). Refuses test-parameter
/// proofs unless `opts` allows them.
pub fn verify_brainfuck(
    program: &Program,
    input: Option<&[u8]>,
    output: Option<&[u8]>,
    proof: &Proof,
    opts: VerifyOptions,
) -> Result<(), VerifyError> {
    let st = &proof.statement;
    check_header(program, proof, opts)?;
    if program.kind() != resvm_isa::ImageKind::Brainfuck {
        return Err(VerifyError::WrongKind(
            "a resvm image (verify it with verify)",
        ));
    }
    if input.is_some_and(|i| i != st.io.input) {
        return Err(VerifyError::InputBytesMismatch {
            len: st.io.input.len(),
        });
    }
    if output.is_some_and(|o| o != st.io.output) {
        return Err(VerifyError::OutputBytesMismatch {
            len: st.io.output.len(),
        });
    }
    // A Brainfuck image has no parameters and halts on the 0 it pushed.
    if !st.public_inputs.is_empty() {
        return Err(VerifyError::PublicInputCount {
            expected: 0,
            got: st.public_inputs.len(),
        });
    }
    if st.output != F::ZERO {
        return Err(VerifyError::OutputMismatch {
            claimed: resvm_field::canonical(st.output),
        });
    }
    verify_statement(program, &[], st, proof)
}

/// Verifies a proof against the statement it carries (whatever inputs and output it claims):
/// for showing a claim. A caller who expects particular inputs or output uses [`verify`].
pub fn verify_claimed(
    program: &Program,
    proof: &Proof,
    opts: VerifyOptions,
) -> Result<(), VerifyError> {
    let st = &proof.statement;
    verify_with(program, &st.public_inputs, st.output, proof, opts)
}

impl Proof {
    /// The claim this proof makes.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }
}

/// The memory table's layout of `proof`, read off the width of its opened row: the layout is
/// the prover's choice (`air::memory::MemoryAir::for_accesses`), and each is sound. Public for tests that
/// replay the verifier.
#[doc(hidden)]
pub fn memory_layout(proof: &Proof) -> Result<air::memory::MemoryAir, VerifyError> {
    let width = proof
        .stark
        .opened_values
        .instances
        .get(TableKind::Memory.index())
        .map_or(0, |o| o.base_opened_values.trace_local.len());
    width
        .checked_sub(air::blind::COLS)
        .and_then(air::memory::MemoryAir::from_width)
        .ok_or_else(|| {
            VerifyError::Shape(format!("a memory table {width} columns wide is no layout"))
        })
}

/// Verifies the STARK against the statement it carries, with the verifier's own AIRs and
/// public values derived from the statement and the program's public-parameter positions
/// (never from prover-chosen extra data).
fn verify_statement(
    program: &Program,
    params: &[u32],
    st: &Statement,
    proof: &Proof,
) -> Result<(), VerifyError> {
    let stark = &proof.stark;
    let zk = 1; // hiding FRI doubles every committed domain
    let db = &stark.degree_bits;
    let tables = air::tables_for(program);
    if db.len() != tables.len()
        || stark.opened_values.instances.len() != tables.len()
        || stark.lookup_terminals.len() != tables.len()
    {
        return Err(VerifyError::Shape(format!(
            "expected {} tables",
            tables.len()
        )));
    }
    for (i, (&b, kind)) in db.iter().zip(tables).enumerate() {
        let ok = match kind {
            // The verifier's own read-only table fixes its height.
            TableKind::Rom => b == air::rom::RomAir::log_height_for(program, params.len()) + zk,
            TableKind::BfInput => {
                b == air::bfio::BfInputAir::log_height_for(st.io.input.len()) + zk
            }
            TableKind::BfOutput => {
                b == air::bfio::BfOutputAir::log_height_for(st.io.output.len()) + zk
            }
            _ => (air::MIN_LOG_HEIGHT + zk..=trace::MAX_LOG_HEIGHT + zk).contains(&b),
        };
        if !ok {
            return Err(VerifyError::Shape(format!("table {i} has degree bits {b}")));
        }
    }
    // The AIR proves `cycles` only modulo p (the first HALT's clk + 1); the CPU's clk counts
    // rows from 0, so the true count is at most the table height, far below p.
    let cpu_rows = 1u64 << (db[TableKind::Cpu.index()] - zk);
    if st.cycles == 0 || st.cycles > cpu_rows {
        return Err(VerifyError::CyclesOutOfRange {
            cycles: st.cycles,
            max: cpu_rows,
        });
    }
    // Only a validated image's runs are the interpreter's runs: the AIR does not model its
    // structural traps, which validation rules out (up to the depth bound checked here).
    let analysis =
        resvm_isa::validate(program).map_err(|e| VerifyError::InvalidProgram(e.to_string()))?;
    check_depth(&analysis, cpu_rows).map_err(VerifyError::InvalidProgram)?;
    let indexed =
        indexed_inputs(params, &st.public_inputs).ok_or(VerifyError::PublicInputCount {
            expected: params.len(),
            got: st.public_inputs.len(),
        })?;
    let memory = memory_layout(proof)?;
    let (airs, pvs) = statement_airs(program, st, &indexed, memory);
    let config = make_config(proof.security, [0u8; 32]);
    // Plonky3 validates most shapes itself; the panic guard below is a backstop for the rest.
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let common =
            common::common_data(proof.security, &config, &airs, db).map_err(VerifyError::Shape)?;
        verify_batch(&config, &airs, stark, &pvs, &common).map_err(stark_error)
    }));
    match res {
        Ok(r) => r,
        Err(_) => Err(VerifyError::Malformed(
            "the verifier could not parse the proof's contents".into(),
        )),
    }
}

/// A run of `rows` cycles nests at most `rows` calls; the validator's bound on the depth at
/// which 32-bit addresses could overflow (the interpreter's "frame too large" trap, which the
/// AIR does not model) must lie beyond it.
fn check_depth(analysis: &resvm_isa::Analysis, rows: u64) -> Result<(), String> {
    let safe = analysis.max_safe_depth() as u64;
    if safe < rows {
        return Err(format!(
            "its frames are too large for a run of {rows} cycles (addresses could pass 2^32 beyond depth {safe})"
        ));
    }
    Ok(())
}

/// One reason per Plonky3 rejection.
fn stark_error<E: std::fmt::Debug>(e: p3_batch_stark::BatchVerificationError<E>) -> VerifyError {
    use p3_batch_stark::BatchVerificationError as B;
    use p3_uni_stark::VerificationError as V;
    match e {
        B::Verification(V::OodEvaluationMismatch { index }) => VerifyError::Constraints {
            table: index
                .and_then(|i| TABLES.get(i))
                .map_or("?", |t| table_name(*t)),
        },
        B::Verification(V::InvalidOpeningArgument(_)) => VerifyError::Opening,
        B::Verification(V::InvalidOodPowWitness) | B::Transcript(_) => VerifyError::ProofOfWork,
        B::Verification(V::InvalidProofShape(e)) => VerifyError::Shape(e.to_string()),
        B::Lookup(p3_lookup::LookupError::TerminalSumNonZero) => VerifyError::LookupImbalance,
        B::Lookup(e) => VerifyError::Shape(e.to_string()),
        B::Verification(e) => VerifyError::Invalid(e.to_string()),
    }
}

/// The AIRs and public values of a proof of `st` about `program`: the tables of
/// [`air::tables_for`] the image, in order, for the public inputs at the given indices and
/// the given memory layout. The one place the prover, the verifier and the tests' transcript
/// replay take them from.
#[doc(hidden)]
pub fn statement_airs(
    program: &Program,
    st: &Statement,
    indexed_inputs: &[(u32, F)],
    memory: air::memory::MemoryAir,
) -> (Vec<VmAir>, Vec<Vec<Val>>) {
    let tables = air::tables_for(program);
    let airs = VmAir::for_tables(
        tables,
        air::cpu::CpuAir::for_program(program),
        &air::rom::RomAir::new(program, indexed_inputs),
        memory,
        &st.io.input,
        &st.io.output,
    );
    let pvs = tables
        .iter()
        .map(|t| match t {
            TableKind::Cpu => vec![st.output, Val::from_u64(st.cycles)],
            TableKind::Rom => air::rom::RomAir::public_values(&st.program, indexed_inputs),
            TableKind::BfInput => air::bfio::BfInputAir::public_values(&st.io.input),
            TableKind::BfOutput => air::bfio::BfOutputAir::public_values(&st.io.output),
            _ => vec![],
        })
        .collect();
    (airs, pvs)
}

impl Proof {
    /// Serializes: `MAGIC ‖ FORMAT_VERSION (LE) ‖ postcard(proof)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(FORMAT_VERSION.to_le_bytes());
        // Serializing owned, well-formed data into a Vec cannot fail.
        out.extend(postcard::to_allocvec(self).expect("proof serialization"));
        out
    }

    /// Parses bytes written by [`Proof::to_bytes`]; rejects a wrong magic or version,
    /// truncation and trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Proof, VerifyError> {
        let m = |s: &str| VerifyError::Malformed(s.to_string());
        if bytes.len() < 6 || bytes[..4] != MAGIC {
            return Err(m("not a resvm proof (bad magic)"));
        }
        let v = u16::from_le_bytes([bytes[4], bytes[5]]);
        if v != FORMAT_VERSION {
            return Err(VerifyError::Malformed(format!(
                "proof format version {v}, this verifier reads {FORMAT_VERSION}"
            )));
        }
        let (proof, rest) = postcard::take_from_bytes::<Proof>(&bytes[6..])
            .map_err(|e| VerifyError::Malformed(format!("decode: {e}")))?;
        if !rest.is_empty() {
            return Err(m("trailing bytes after the proof"));
        }
        Ok(proof)
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}
