//! Shared helpers of the adversarial test binaries (`soundness`, `zk_distinguisher`,
//! `attacks`): the small programs they attack, their honest runs, cell access to a table,
//! forged tables proven and sent through the wire format, the prover's last step rebuilt with
//! a blinding the test controls, and the verifier's transcript replayed far enough to recover
//! the LogUp challenges of any proof.
//!
//! The last two take the AIRs and public values from the prover's own `statement_airs` and
//! mirror the rest of its private code (`prove_traces`, `verify_statement`): if the prover
//! changes its blinding or its transcript, these helpers must follow (their self-checks then
//! fail loudly, never silently).
#![allow(dead_code)]

use p3_air::BaseAir;
use p3_batch_stark::{
    prove_batch, BatchShape, BatchVerifierTranscript, Commitment, ProverData, StarkGenericConfig,
    StarkInstance,
};
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_lookup::{Kind, LogUpGadget, LookupProtocol, Lookups};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use rand::SeedableRng;
use resvm_exec::Limits;
use resvm_field::F;
use resvm_isa::{Function, Instr, Program};
use resvm_prover::air::{self, blind, bus, memory::MemoryAir, TableKind, Val, VmAir};
use resvm_prover::config::{make_config, Challenge, SecurityLevel, VmConfig};
use resvm_prover::trace::{generate, Witness};
use resvm_prover::{
    prove_traces, public_params, Proof, ProveOptions, Statement, VerifyError, VerifyOptions,
};

/// Verifier options that accept the `Test` parameter set.
pub const ALLOW: VerifyOptions = VerifyOptions { allow_test: true };

/// Prover options with the `Test` parameter set (fast, refused by the standard verifier).
pub fn test_opts() -> ProveOptions {
    ProveOptions {
        security: SecurityLevel::Test,
        ..Default::default()
    }
}

/// A function-table entry (names are informational: not part of the digest).
pub fn func(entry: u32, arity: u32, frame: u32) -> Function {
    Function {
        name: "f".into(),
        entry,
        arity,
        frame,
    }
}

/// `fn main(x, y)`: the bootstrap (`FRAME; INPUT 0; INPUT 1` or, with `secret_y`, `SECRET 1`;
/// `CALL 0; HALT`), then `rest` from address 5 on, where main (function 0, arity 2, frame 2)
/// begins; `more` are the functions after main, whose code `rest` holds after main's body.
pub fn main2(secret_y: bool, rest: &[Instr], more: &[Function]) -> Program {
    let y = if secret_y {
        Instr::Secret(1)
    } else {
        Instr::Input(1)
    };
    let mut code = vec![
        Instr::Frame,
        Instr::Input(0),
        y,
        Instr::Call(0),
        Instr::Halt,
    ];
    code.extend_from_slice(rest);
    let mut fns = vec![func(5, 2, 2)];
    fns.extend_from_slice(more);
    Program::new(code, fns, 0).expect("valid image")
}

/// `fn main(x, secret y) = x * y`.
pub fn mul_secret() -> Program {
    main2(
        true,
        &[Instr::Load(0), Instr::Load(1), Instr::Mul, Instr::Ret],
        &[],
    )
}

/// `fn main(t, secret s) = lt(s, t)`.
pub fn lt_secret() -> Program {
    main2(
        true,
        &[Instr::Load(1), Instr::Load(0), Instr::Compare, Instr::Ret],
        &[],
    )
}

/// Honest claim and tables of `p` on all of main's parameters.
pub fn honest_run(p: &Program, inputs: &[F]) -> (Statement, Vec<RowMajorMatrix<Val>>) {
    let w = generate(p, inputs, &Limits::default()).expect("the run succeeds");
    (statement(p, &w), w.traces)
}

/// Cell `(row, col)` of a table.
pub fn get(m: &RowMajorMatrix<Val>, row: usize, col: usize) -> Val {
    m.values[row * m.width + col]
}

/// Sets cell `(row, col)` of a table.
pub fn set(m: &mut RowMajorMatrix<Val>, row: usize, col: usize, v: Val) {
    let w = m.width;
    m.values[row * w + col] = v;
}

/// Proves possibly forged tables for the claim `st` about `p` with `security` (the prover must
/// emit a proof: release builds do not check constraints) and returns the proof as a verifier
/// receives it, through the wire format.
pub fn prove_forged(
    p: &Program,
    st: &Statement,
    traces: &[RowMajorMatrix<Val>],
    security: SecurityLevel,
) -> Result<Proof, VerifyError> {
    let stark = prove_traces(p, st, traces, security).expect("the prover emits a proof");
    let proof = Proof {
        security,
        statement: st.clone(),
        stark,
    };
    Proof::from_bytes(&proof.to_bytes())
}

/// The claim of an honest witness.
pub fn statement(p: &Program, w: &Witness) -> Statement {
    Statement {
        program: p.digest(),
        public_inputs: w.public_inputs.iter().map(|x| x.1).collect(),
        output: w.output,
        cycles: w.cycles,
        io: Default::default(),
    }
}

/// `(parameter index, value)` of the statement's public inputs, positions from the program.
pub fn indexed(p: &Program, st: &Statement) -> Vec<(u32, Val)> {
    let params = public_params(p);
    assert_eq!(params.len(), st.public_inputs.len(), "public input count");
    params
        .into_iter()
        .zip(st.public_inputs.iter().copied())
        .collect()
}

/// The verifier's AIRs and public values of a proof of `st` about `p` with the given memory
/// layout (the prover's own `statement_airs`).
pub fn airs(p: &Program, st: &Statement, memory: MemoryAir) -> (Vec<VmAir>, Vec<Vec<Val>>) {
    resvm_prover::statement_airs(p, st, &indexed(p, st), memory)
}

/// The tables with the blinding columns appended, as the real prover does, but drawn from a
/// seeded generator so that the test knows every blinding message.
pub fn blinded(traces: &[RowMajorMatrix<Val>], seed: u64) -> Vec<RowMajorMatrix<Val>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    air::append_blinding(traces.to_vec(), &mut rng)
}

/// The tables with all-zero blinding columns: what the prover emitted before terminals were
/// blinded (the AIR allows it: blinding protects the prover's secrets, not soundness).
pub fn unblinded(traces: &[RowMajorMatrix<Val>]) -> Vec<RowMajorMatrix<Val>> {
    let mut out = blinded(traces, 0);
    for t in &mut out {
        let w = t.width();
        for row in t.values.chunks_exact_mut(w) {
            for v in &mut row[w - blind::COLS..] {
                *v = Val::ZERO;
            }
        }
    }
    out
}

/// The blinding message `(r0, r1, m)` of `row` of a full-width table.
pub fn blind_cell(t: &RowMajorMatrix<Val>, row: usize) -> [Val; 3] {
    let w = t.width();
    let at = row * w + w - blind::COLS;
    [
        t.values[at + blind::R0],
        t.values[at + blind::R1],
        t.values[at + blind::M],
    ]
}

/// Sets the blinding message of `row` of a full-width table.
pub fn set_blind(t: &mut RowMajorMatrix<Val>, row: usize, msg: [Val; 3]) {
    let w = t.width();
    let at = row * w + w - blind::COLS;
    t.values[at + blind::R0] = msg[0];
    t.values[at + blind::R1] = msg[1];
    t.values[at + blind::M] = msg[2];
}

/// `prove_traces` with full-width tables (blinding columns included, chosen by the caller).
pub fn prove_full(
    p: &Program,
    st: &Statement,
    full: &[RowMajorMatrix<Val>],
    security: SecurityLevel,
) -> Proof {
    let memory = MemoryAir::from_width(full[TableKind::Memory.index()].width() - blind::COLS)
        .expect("a memory layout");
    let (airs, pvs) = airs(p, st, memory);
    prove_with_airs(&airs, &pvs, st, full, security)
}

/// [`prove_full`] against AIRs of the caller's choice (which a verifier need not share).
pub fn prove_with_airs(
    airs: &[VmAir],
    pvs: &[Vec<Val>],
    st: &Statement,
    full: &[RowMajorMatrix<Val>],
    security: SecurityLevel,
) -> Proof {
    let config = make_config(security, resvm_prover::config::os_seed());
    let instances: Vec<StarkInstance<'_, VmConfig, VmAir>> = airs
        .iter()
        .zip(full)
        .zip(pvs)
        .map(|((air, trace), pv)| StarkInstance {
            air,
            trace,
            public_values: pv.clone(),
        })
        .collect();
    let data = ProverData::from_instances(&config, &instances).expect("prover data");
    let stark = prove_batch(&config, &instances, &data).expect("the prover emits a proof");
    Proof {
        security,
        statement: st.clone(),
        stark,
    }
}

/// What the verifier's transcript yields before the permutation phase: the lookups of every
/// table and the LogUp challenges laid out per table (`[prefix(bus_j), β]` per lookup `j`).
pub struct Replay {
    /// Lookups per table, in proof order.
    pub lookups: Vec<Lookups<Val>>,
    /// Laid-out challenges per table.
    pub challenges: Vec<Vec<Challenge>>,
    /// Public values per table.
    pub public_values: Vec<Vec<Val>>,
}

/// Replays the verifier's Fiat–Shamir transcript of `proof` (as `verify_batch` does, with the
/// verifier's own AIRs) up to the lookup challenges. Everything used is public: the program,
/// the statement and the proof.
pub fn replay(p: &Program, proof: &Proof) -> Replay {
    let st = &proof.statement;
    let (airs, pvs) = airs(
        p,
        st,
        resvm_prover::memory_layout(proof).expect("a memory layout"),
    );
    let config = make_config(proof.security, [0u8; 32]);
    let db = &proof.stark.degree_bits;
    let data =
        ProverData::<VmConfig>::from_airs_and_degrees(&config, &airs, db).expect("verifier data");
    let lookups = data.common.lookups.clone();
    let shape = BatchShape {
        trace_widths: airs.iter().map(BaseAir::<Val>::width).collect(),
        public_value_counts: airs.iter().map(BaseAir::<Val>::num_public_values).collect(),
        preprocessed_widths: vec![0; airs.len()],
        has_preprocessed_commitment: false,
        num_lookup_instances: lookups.iter().filter(|l| !l.is_empty()).count(),
        lookup_pow_bits: config.lookup_proof_of_work_bits(),
        has_randomization_commitment: true,
        ood_pow_bits: config.ood_proof_of_work_bits(),
    };
    let mut challenger = config.initialise_challenger();
    let mut t = BatchVerifierTranscript::<
        <VmConfig as StarkGenericConfig>::Challenger,
        Val,
        Challenge,
        Commitment<VmConfig>,
    >::new(&mut challenger, shape);
    t.instance_bindings(db);
    t.main_phase(proof.stark.commitments.main.clone(), &pvs);
    t.preprocessed_phase(None);
    let challenges = t
        .lookup_phase(
            &lookups,
            &LogUpGadget::new(),
            proof.stark.lookup_pow_witness,
        )
        .expect("the proof's lookup proof of work replays");
    t.abort();
    Replay {
        lookups,
        challenges,
        public_values: pvs,
    }
}

impl Replay {
    /// The LogUp terminal `Σ m/(prefix − fingerprint)` of table `i` computed from a full-width
    /// trace under these challenges (Plonky3's own trace generator, as the prover runs it).
    pub fn terminal(&self, i: usize, full: &RowMajorMatrix<Val>) -> Challenge {
        LogUpGadget::new()
            .generate_permutation::<Val, Challenge>(
                full,
                &None,
                &self.public_values[i],
                &self.lookups[i],
                &self.challenges[i],
            )
            .1
            .expect("every table has lookups")
            .0
    }

    /// Terminals of all tables from full-width traces.
    pub fn terminals(&self, full: &[RowMajorMatrix<Val>]) -> Vec<Challenge> {
        (0..full.len())
            .map(|i| self.terminal(i, &full[i]))
            .collect()
    }

    /// Unblinded terminals of honest inner-width tables (blinding columns zero).
    pub fn unblinded_terminals(&self, traces: &[RowMajorMatrix<Val>]) -> Vec<Challenge> {
        self.terminals(&unblinded(traces))
    }

    /// `(prefix, β)` of the `blind` bus (the same in every table).
    pub fn blind_challenges(&self) -> (Challenge, Challenge) {
        let i = 0;
        let j = self.lookups[i]
            .iter()
            .position(|l| l.kind == Kind::Global(bus::BLIND.to_string()))
            .expect("every table has a blind lookup");
        (self.challenges[i][2 * j], self.challenges[i][2 * j + 1])
    }

    /// Contribution `1/(prefix − (r0·β + r1))` of one blinding message sent once.
    pub fn blind_term(&self, r0: Val, r1: Val) -> Challenge {
        let (prefix, beta) = self.blind_challenges();
        (prefix - (beta * r0 + Challenge::from(r1)))
            .try_inverse()
            .expect("a fingerprint is never the prefix")
    }

    /// The unique message `(r0, r1)` with `blind_term(r0, r1) = d`: since β ∉ F, `{1, β}` is a
    /// basis of the challenge field over F, so every non-zero `d` is explained by exactly one
    /// blinding message.
    pub fn explain(&self, d: Challenge) -> (Val, Val) {
        let (prefix, beta) = self.blind_challenges();
        let x = prefix - d.inverse();
        let xc: &[Val] = x.as_basis_coefficients_slice();
        let bc: &[Val] = beta.as_basis_coefficients_slice();
        let r0 = xc[1] * bc[1].inverse();
        let r1 = xc[0] - r0 * bc[0];
        (r0, r1)
    }
}

/// The terminals a proof carries, per table.
pub fn proof_terminals(proof: &Proof) -> Vec<Challenge> {
    proof
        .stark
        .lookup_terminals
        .iter()
        .map(|t| t.as_ref().expect("every table has a terminal").0)
        .collect()
}
