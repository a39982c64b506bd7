//! The conjectured security level of a proof, under the model Plonky3 0.8.0 itself implements
//! in `p3-security` (the "random words" regime of ePrint 2025/2010 §1.5: list size 1 up to
//! capacity, every round of the protocol charged separately, grinding credited to the round it
//! precedes, the level being the minimum over the rounds).
//!
//! A `p3-batch-stark` proof is several AIRs ("tables") proven together: one main-trace
//! commitment, one pair of LogUp challenges per lookup column, one constraint-batching
//! challenge, one out-of-domain point `ζ`, one opening-batching challenge that folds every
//! opened column of every table into a single FRI instance over the tallest LDE domain, then
//! FRI. Each term below is the `p3-security` function for that round, evaluated per table and
//! combined by the union bound ([`ErrorBits::sum`]) where one challenge serves several tables:
//!
//! | term | round | `p3-security` function |
//! |---|---|---|
//! | [`LOGUP`] | LogUp challenges `(α, β)` | `logup::fingerprint_error` per table, summed, + lookup PoW |
//! | [`ALI`] | constraint batching | `air::composition_error` per table, summed |
//! | [`DEEP`] | out-of-domain point | `deep::deep_ali_error` per table, summed, + OOD PoW |
//! | [`BATCH`] | opening batching | `SecurityAssumption::UniqueDecoding.prox_gaps_error` over all opened columns, + batch PoW |
//! | [`COMMIT`] | every FRI folding challenge | `fri::conjectured_commit_phase_error` (+ commit PoW) |
//! | [`QUERY`] | FRI queries | `fri::conjectured_error` (+ query PoW) |
//! | [`COLLISION`] | the Merkle hash | its collision resistance (BLAKE3 cut to 200-bit digests) |
//!
//! For a single table this is exactly `p3_security::stark::conjectured_security_report` with
//! the LogUp term as an extra (tested). Trace lengths are the committed ones, i.e. after hiding
//! FRI's doubling (`degree_bits` of the proof), as `p3-uni-stark`'s own adapter does.

use crate::air::{Val, VmAir};
use crate::config::{make_config, Challenge, Params, SecurityLevel, VmConfig};
use p3_air::symbolic::{
    constraint_degree_from_poly_degree, AirLayout, SymbolicExpression, SymbolicExpressionExt,
};
use p3_air::BaseAir;
use p3_batch_stark::symbolic::get_symbolic_constraints;
use p3_batch_stark::ProverData;
use p3_lookup::LogUpGadget;
use p3_security::fri::{conjectured_commit_phase_error, conjectured_error, FriRegime};
use p3_security::grinding::boost;
use p3_security::logup::{fingerprint_error, LogUpAir};
use p3_security::proximity::list_size_conjectured;
use p3_security::shape::{InstanceShape, StarkAirParams};
use p3_security::{ErrorBits, SecurityAssumption};
use serde::Serialize;
use std::sync::OnceLock;

/// Term label: LogUp fingerprint (`p3_security::logup::LOGUP_LABEL`).
pub const LOGUP: &str = p3_security::logup::LOGUP_LABEL;
/// Term label: AIR constraint composition.
pub const ALI: &str = p3_security::report::ALI_LABEL;
/// Term label: DEEP-ALI out-of-domain sampling.
pub const DEEP: &str = p3_security::report::DEEP_LABEL;
/// Term label: the random linear combination batching all openings into one FRI instance.
pub const BATCH: &str = p3_security::report::BATCH_LABEL;
/// Term label: FRI commit phase (each folding round).
pub const COMMIT: &str = p3_security::report::LDT_COMMIT_LABEL;
/// Term label: FRI query phase.
pub const QUERY: &str = p3_security::report::LDT_QUERY_LABEL;
/// Term label: collision resistance of the commitment hash.
pub const COLLISION: &str = p3_security::report::COLLISION_LABEL;

/// `floor(log2 |EF|)` for the quadratic extension of Goldilocks (`|EF| = p^2 < 2^128`): field
/// sizes are rounded down, so every term is understated rather than overstated.
pub const MODULUS_BITS: usize = 127;
/// Collision resistance of the Merkle hash in bits: half its digest's bits (BLAKE3 cut to
/// [`DIGEST_BYTES`](crate::config::digest::DIGEST_BYTES) bytes). The transcript's 256-bit
/// BLAKE3 has more.
pub const COLLISION_BITS: usize = crate::config::digest::DIGEST_BYTES * 8 / 2;
/// Degree of the challenge field over Goldilocks (columns per extension element).
const CHALLENGE_DIM: usize = 2;
/// Random codewords counted per committed matrix: Plonky3's model counts `HidingFriPcs`'s two
/// per matrix. [`crate::config::hiding`] commits none (the randomization polynomials mask the
/// FRI batch), so this overcounts the batched openings, which can only understate the
/// batching term's bits.
const RANDOM_CODEWORDS: usize = 2;
/// Hiding FRI doubles every committed trace domain.
const ZK: usize = 1;

/// The security-relevant shape of one table of a proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TableShape {
    /// log2 of the table's height (rows of the execution trace, before hiding FRI's doubling;
    /// the proof's `degree_bits` is this + 1).
    pub log_height: usize,
    /// Main-trace width (base-field columns).
    pub main_width: usize,
    /// Whether constraints read the next row of the main trace.
    pub main_next: bool,
    /// LogUp permutation-trace width in extension-field columns (`lookup columns + 1`, or 0).
    pub aux_width: usize,
    /// Number of constraints (main and LogUp) batched into the quotient.
    pub num_constraints: usize,
    /// Maximum constraint degree, LogUp constraints included.
    pub max_constraint_degree: usize,
    /// Committed quotient chunks (after hiding's degree padding and doubling).
    pub num_quotient_chunks: usize,
    /// Bus messages (LogUp fractions) per row, over all lookup columns.
    pub num_lookups: usize,
    /// Widest bus message (payload elements).
    pub max_message_width: usize,
}

/// The security-relevant shape of a whole proof: its tables, in proof order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProofShape {
    /// One entry per table.
    pub tables: Vec<TableShape>,
}

/// One round's figure.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SecurityTerm {
    /// Which round (one of the label constants of this module).
    pub label: &'static str,
    /// `-log2` of the round's soundness error, grinding included.
    pub bits: f64,
}

/// The conjectured level of a parameter set on a proof shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SecurityReport {
    /// The level: the minimum over [`SecurityReport::terms`].
    pub bits: f64,
    /// The label of the binding (lowest) term.
    pub binding: &'static str,
    /// Every round, in protocol order.
    pub terms: Vec<SecurityTerm>,
}

impl SecurityReport {
    /// The figure of the term labelled `label`, if present.
    pub fn term(&self, label: &str) -> Option<f64> {
        self.terms.iter().find(|t| t.label == label).map(|t| t.bits)
    }
}

impl TableShape {
    /// Committed degree bits (after hiding's doubling).
    fn degree_bits(&self) -> usize {
        self.log_height + ZK
    }

    /// Out-of-domain points per column: 2 when any committed trace is opened at `ζ·g` too
    /// (the LogUp trace always is).
    fn max_combo(&self) -> usize {
        if self.main_next || self.aux_width > 0 {
            2
        } else {
            1
        }
    }

    fn air_params(&self) -> StarkAirParams {
        StarkAirParams {
            num_constraints: self.num_constraints,
            max_constraint_degree: self.max_constraint_degree,
            num_quotient_chunks: self.num_quotient_chunks,
            max_combo: self.max_combo(),
        }
    }

    /// Powers of the opening-batching challenge this table consumes
    /// (`p3_batch_stark::num_batched_openings`, hiding FRI).
    pub fn num_batched_openings(&self) -> usize {
        p3_batch_stark::num_batched_openings(
            self.main_width,
            self.main_next,
            0,
            false,
            self.num_quotient_chunks,
            self.aux_width.saturating_sub(1),
            CHALLENGE_DIM,
            p3_uni_stark::OpeningShape::hiding(RANDOM_CODEWORDS),
        )
    }
}

impl ProofShape {
    /// Reads the shape of `airs` at trace heights `2^log_heights[i]` (before hiding's doubling)
    /// by symbolic evaluation, with the same lookup packing and quotient sizing as the prover.
    /// `airs` and `log_heights` have one entry per table.
    pub fn from_airs(airs: &[VmAir], log_heights: &[usize]) -> ProofShape {
        assert_eq!(airs.len(), log_heights.len(), "one height per table");
        let config = make_config(SecurityLevel::Test, [0u8; 32]);
        let degree_bits: Vec<usize> = log_heights.iter().map(|h| h + ZK).collect();
        // Only the lookup layout is read; the prover builds the same from the same inputs.
        let data = ProverData::<VmConfig>::from_airs_and_degrees(&config, airs, &degree_bits)
            .expect("the resvm AIRs have no preprocessed trace to commit");
        let gadget = LogUpGadget::new();
        let tables = airs
            .iter()
            .zip(log_heights)
            .zip(&data.common.lookups)
            .map(|((air, &log_height), lookups)| {
                let layout = AirLayout::from_air(air);
                let trace_len = 1usize << log_height;
                // One symbolic evaluation gives the constraint count, the degree and the
                // quotient sizing; Plonky3's `get_max_constraint_degree` and
                // `get_log_num_quotient_chunks` would evaluate the AIR once each again
                // (a test checks the figures against them).
                let (base, ext) =
                    get_symbolic_constraints::<Val, Challenge, _, _>(air, layout, lookups, &gadget);
                let degree = max_constraint_degree(air, layout, trace_len, &base, &ext);
                // `log2_ceil`, as `get_log_num_quotient_chunks` sizes the quotient.
                let log_chunks = ((degree + ZK).max(2) - 1)
                    .next_power_of_two()
                    .trailing_zeros() as usize;
                TableShape {
                    log_height,
                    main_width: BaseAir::<Val>::width(air),
                    main_next: !BaseAir::<Val>::main_next_row_columns(air).is_empty(),
                    aux_width: if lookups.is_empty() {
                        0
                    } else {
                        lookups.len() + 1
                    },
                    num_constraints: base.len() + ext.len(),
                    max_constraint_degree: degree,
                    num_quotient_chunks: 1 << (log_chunks + ZK),
                    num_lookups: lookups.iter().map(|l| l.elements.len()).sum(),
                    max_message_width: lookups
                        .iter()
                        .flat_map(|l| l.elements.iter().map(Vec::len))
                        .max()
                        .unwrap_or(0),
                }
            })
            .collect();
        ProofShape { tables }
    }

    /// The largest shape the verifier accepts: every table at its maximum height
    /// ([`crate::trace::MAX_LOG_HEIGHT`]). Every term is
    /// monotone in the heights, so this shape's level is a lower bound for every proof.
    pub fn worst_case() -> &'static ProofShape {
        static SHAPE: OnceLock<ProofShape> = OnceLock::new();
        SHAPE.get_or_init(|| {
            let max = crate::trace::MAX_LOG_HEIGHT;
            // Every table (a Brainfuck image's proof; a resvm proof has a subset) and the
            // widest memory layout: every term grows with the tables and columns.
            let airs = VmAir::all(crate::air::memory::MemoryAir::widest());
            let heights = vec![max; airs.len()];
            ProofShape::from_airs(&airs, &heights)
        })
    }

    /// Largest committed degree bits over the tables (the FRI instance's height).
    fn max_degree_bits(&self) -> usize {
        self.tables
            .iter()
            .map(TableShape::degree_bits)
            .max()
            .unwrap_or(0)
    }
}

/// The largest constraint degree of a table (at least the AIR's own hint), from its symbolic
/// constraints, as `p3_batch_stark::symbolic::get_max_constraint_degree` computes it: the cached
/// degree multiple without periodic columns, else the trace-size-aware polynomial degree.
fn max_constraint_degree(
    air: &VmAir,
    layout: AirLayout,
    trace_len: usize,
    base: &[SymbolicExpression<Val>],
    ext: &[SymbolicExpressionExt<Val, Challenge>],
) -> usize {
    let hint = BaseAir::<Val>::max_constraint_degree(air).unwrap_or(0);
    let degree = if layout.num_periodic_columns == 0 {
        let b = base.iter().map(|c| c.degree_multiple());
        b.chain(ext.iter().map(|c| c.degree_multiple()))
            .max()
            .unwrap_or(0)
    } else {
        let periods: Vec<usize> = BaseAir::<Val>::periodic_columns(air)
            .iter()
            .map(Vec::len)
            .collect();
        let b = base.iter().map(|c| c.poly_degree(trace_len, &periods));
        let poly = b
            .chain(ext.iter().map(|c| c.poly_degree(trace_len, &periods)))
            .max()
            .unwrap_or(0);
        constraint_degree_from_poly_degree(poly, trace_len)
    };
    degree.max(hint)
}

impl Params {
    /// The FRI parameters as `p3-security`'s mirror of `p3_fri::FriParameters`.
    pub fn fri_regime(&self) -> FriRegime {
        FriRegime {
            log_blowup: self.log_blowup,
            num_queries: self.num_queries,
            log_final_poly_len: self.log_final_poly_len,
            max_log_arity: self.max_log_arity,
            commit_pow_bits: self.commit_pow_bits,
            query_pow_bits: self.query_pow_bits,
        }
    }
}

/// The conjectured security of `level`'s parameters on a proof of shape `shape`.
pub fn security_report(level: SecurityLevel, shape: &ProofShape) -> SecurityReport {
    params_report(&level.params(), shape)
}

/// [`security_report`] for explicit parameters.
pub fn params_report(p: &Params, shape: &ProofShape) -> SecurityReport {
    let regime = p.fri_regime();
    let max_db = shape.max_degree_bits();
    let instance = |log_trace_length: usize, num_batched_functions: usize| InstanceShape {
        log_trace_length,
        modulus_bits: MODULUS_BITS,
        collision_resistance: COLLISION_BITS,
        num_batched_functions,
    };
    let list_size = list_size_conjectured();
    let mut terms = Vec::with_capacity(7);

    // LogUp: each lookup column's denominators are charged N·(W + 2)/|EF| with N the number
    // of fractions over the column's rows; W is the widest message of the proof.
    let width = shape
        .tables
        .iter()
        .map(|t| t.max_message_width)
        .max()
        .unwrap_or(0);
    let logup: Vec<ErrorBits> = shape
        .tables
        .iter()
        .filter(|t| t.num_lookups > 0)
        .map(|t| {
            let air = LogUpAir {
                num_interactions: t.num_lookups,
                max_message_width: width,
            };
            fingerprint_error(&air, &instance(t.degree_bits(), 1))
        })
        .collect();
    if !logup.is_empty() {
        terms.push(SecurityTerm {
            label: LOGUP,
            bits: boost(ErrorBits::sum(&logup), p.lookup_pow_bits).bits(),
        });
    }

    // Constraint batching and DEEP: one challenge each for all tables, union bound.
    let ali: Vec<ErrorBits> = shape
        .tables
        .iter()
        .map(|t| p3_security::air::composition_error(t.num_constraints, list_size, MODULUS_BITS))
        .collect();
    terms.push(SecurityTerm {
        label: ALI,
        bits: ErrorBits::sum(&ali).bits(),
    });
    let deep: Vec<ErrorBits> = shape
        .tables
        .iter()
        .map(|t| {
            p3_security::deep::deep_ali_error(
                &t.air_params(),
                &instance(t.degree_bits(), 1),
                list_size,
            )
        })
        .collect();
    terms.push(SecurityTerm {
        label: DEEP,
        bits: boost(ErrorBits::sum(&deep), p.ood_pow_bits).bits(),
    });

    // FRI: one instance over the tallest committed domain, batching every opened column.
    let num_batched: usize = shape
        .tables
        .iter()
        .map(TableShape::num_batched_openings)
        .sum();
    let fri_instance = instance(max_db, num_batched);
    if num_batched >= 2 {
        let bits = SecurityAssumption::UniqueDecoding.prox_gaps_error(
            max_db,
            p.log_blowup,
            MODULUS_BITS,
            num_batched,
        );
        terms.push(SecurityTerm {
            label: BATCH,
            bits: boost(ErrorBits::from_log2(bits.max(0.0)), p.batch_pow_bits).bits(),
        });
    }
    if let Some(commit) = conjectured_commit_phase_error(&regime, &fri_instance) {
        terms.push(SecurityTerm {
            label: COMMIT,
            bits: commit.bits(),
        });
    }
    terms.push(SecurityTerm {
        label: QUERY,
        bits: conjectured_error(&regime, &fri_instance).bits(),
    });
    terms.push(SecurityTerm {
        label: COLLISION,
        bits: COLLISION_BITS as f64,
    });

    let binding = terms
        .iter()
        .min_by(|a, b| a.bits.total_cmp(&b.bits))
        .copied()
        .unwrap_or(SecurityTerm {
            label: COLLISION,
            bits: COLLISION_BITS as f64,
        });
    SecurityReport {
        bits: binding.bits,
        binding: binding.label,
        terms,
    }
}

/// The level of `level` on the largest shape the verifier accepts ([`ProofShape::worst_case`]):
/// the one figure that holds for every proof made with these parameters.
pub fn worst_case_report(level: SecurityLevel) -> SecurityReport {
    security_report(level, ProofShape::worst_case())
}
