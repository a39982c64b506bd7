//! The conjectured security model (`resvm_prover::config::security`), against Plonky3 0.8's
//! own `p3-security` composite and the parameter sets' targets.

use p3_security::grinding::GrindingSites;
use p3_security::logup::{security_term, LogUpAir};
use p3_security::shape::{InstanceShape, StarkAirParams};
use p3_security::stark::conjectured_security_report;
use resvm_prover::air::{memory::MemoryAir, VmAir};
use resvm_prover::config::security::{self, ProofShape, TableShape, MODULUS_BITS};
use resvm_prover::config::SecurityLevel;

fn cpu_like(log_height: usize) -> TableShape {
    TableShape {
        log_height,
        main_width: 45,
        main_next: true,
        aux_width: 7,
        num_constraints: 77,
        max_constraint_degree: 2,
        num_quotient_chunks: 4,
        num_lookups: 6,
        max_message_width: 6,
    }
}

/// For one table the model is exactly `p3_security::stark::conjectured_security_report` with
/// the LogUp term as an extra, every term and the total.
#[test]
fn single_table_matches_p3_security() {
    for level in [
        SecurityLevel::Standard,
        SecurityLevel::Compact,
        SecurityLevel::Test,
    ] {
        for log_height in [8, 16, 26] {
            let t = cpu_like(log_height);
            let ours = security::security_report(level, &ProofShape { tables: vec![t] });
            let p = level.params();
            let air = StarkAirParams {
                num_constraints: t.num_constraints,
                max_constraint_degree: t.max_constraint_degree,
                num_quotient_chunks: t.num_quotient_chunks,
                max_combo: 2,
            };
            let shape = InstanceShape {
                log_trace_length: log_height + 1,
                modulus_bits: MODULUS_BITS,
                // 200-bit Merkle digests (BLAKE3 cut to 25 bytes).
                collision_resistance: 100,
                num_batched_functions: t.num_batched_openings(),
            };
            let grinding = GrindingSites {
                out_of_domain: p.ood_pow_bits,
                batch_combination: p.batch_pow_bits,
                lookup_challenge: p.lookup_pow_bits,
            };
            let logup = LogUpAir {
                num_interactions: t.num_lookups,
                max_message_width: t.max_message_width,
            };
            let extra = security_term(&logup, &shape, &grinding).expect("has lookups");
            let theirs =
                conjectured_security_report(&p.fri_regime(), &air, &shape, &[extra], &grinding);
            assert!(
                (ours.bits - theirs.security_bits()).abs() < 1e-9,
                "{level:?} 2^{log_height}: {ours:?}"
            );
            for term in theirs.terms() {
                let mine = ours
                    .term(term.label)
                    .unwrap_or_else(|| panic!("missing {}", term.label));
                assert!(
                    (mine - term.bits.bits()).abs() < 1e-9,
                    "{}: {mine} vs {:?}",
                    term.label,
                    term.bits
                );
            }
            assert_eq!(ours.terms.len(), theirs.terms().len());
        }
    }
}

/// The query term is the random-words rate `n_q · −log2(ρ + η) + PoW`, η = (log2 e + log2 1/ρ)·ρ
/// / log2|EF|, computed here from the formula of ePrint 2025/2010 §1.5.
#[test]
fn query_term_is_the_random_words_rate() {
    let shape = ProofShape::worst_case();
    for (level, log_blowup, queries, pow) in [
        (SecurityLevel::Standard, 2.0, 40.0, 22.0),
        (SecurityLevel::Compact, 3.0, 27.0, 21.0),
    ] {
        let rho = 2f64.powf(-log_blowup);
        let eta = (std::f64::consts::LOG2_E + log_blowup) * rho / MODULUS_BITS as f64;
        let expected = queries * -(rho + eta).log2() + pow;
        let got = security::security_report(level, shape)
            .term(security::QUERY)
            .expect("query term");
        assert!(
            (got - expected).abs() < 1e-9,
            "{level:?}: {got} vs {expected}"
        );
    }
}

/// The targets: both production sets reach 100 bits on the largest shape the verifier
/// accepts, so on every proof; the test set does not.
#[test]
fn standard_and_compact_reach_100_bits_at_the_largest_shape() {
    for level in [SecurityLevel::Standard, SecurityLevel::Compact] {
        let r = security::worst_case_report(level);
        assert!(r.bits >= 100.0, "{level:?}: {r:?}");
        assert!(r.terms.iter().all(|t| t.bits >= 100.0), "{level:?}: {r:?}");
        assert_eq!(level.params().conjectured_bits(), r.bits.floor() as usize);
        assert!(level.params().conjectured_bits() >= 100);
    }
    let t = security::worst_case_report(SecurityLevel::Test);
    assert!(t.bits < 20.0, "{t:?}");
    assert_eq!(t.binding, security::QUERY);
}

/// The shape read off the AIRs: every table, the hash chiplet's degree-4 Poseidon2
/// constraints, and LogUp on every table.
#[test]
fn worst_case_shape_is_read_from_the_airs() {
    let shape = ProofShape::worst_case();
    assert_eq!(shape.tables.len(), resvm_prover::air::TABLES.len());
    assert!(shape
        .tables
        .iter()
        .all(|t| t.num_lookups > 0 && t.aux_width == t.aux_width.max(2)));
    assert_eq!(
        shape.tables.iter().map(|t| t.max_constraint_degree).max(),
        Some(4)
    );
    assert!(shape
        .tables
        .iter()
        .all(|t| t.log_height <= resvm_prover::trace::MAX_LOG_HEIGHT));
}

/// Smaller proofs are at least as secure, term by term (the worst case bounds them all).
#[test]
fn smaller_shapes_are_no_less_secure() {
    let airs = VmAir::all(MemoryAir::widest());
    // cpu, memory, rom, compare, hash, bf_input, bf_output.
    let small = ProofShape::from_airs(&airs, &[16, 16, 10, 12, 11, 8, 8]);
    for level in [SecurityLevel::Standard, SecurityLevel::Compact] {
        let a = security::security_report(level, &small);
        let b = security::worst_case_report(level);
        assert!(a.bits >= b.bits);
        for t in &b.terms {
            assert!(
                a.term(t.label).unwrap_or(f64::INFINITY) >= t.bits - 1e-9,
                "{}",
                t.label
            );
        }
    }
}

/// The old standard set (40 queries, 20-bit query PoW, no other grinding) was "100 bits" by the
/// legacy formula `n_q · log2(blowup) + PoW`; under the model it is below 100 (batching, DEEP
/// and FRI folding bind), which is why the parameters changed.
#[test]
fn the_legacy_standard_set_is_below_100_bits() {
    let mut old = SecurityLevel::Standard.params();
    old.num_queries = 40;
    old.query_pow_bits = 20;
    old.commit_pow_bits = 0;
    old.lookup_pow_bits = 8;
    old.ood_pow_bits = 0;
    old.batch_pow_bits = 0;
    assert_eq!(old.num_queries * old.log_blowup + old.query_pow_bits, 100);
    let r = security::params_report(&old, ProofShape::worst_case());
    assert!(r.bits < 96.0, "{r:?}");
    for label in [
        security::DEEP,
        security::COMMIT,
        security::QUERY,
        security::BATCH,
    ] {
        assert!(r.term(label).expect("term") < 100.0, "{label}");
    }
}

/// Prints every term at the largest accepted shape (the figures `docs/proof-system.md`
/// quotes: `cargo test --release -p resvm-prover --test security -- --nocapture worst_case_terms`).
#[test]
fn worst_case_terms() {
    for level in [SecurityLevel::Standard, SecurityLevel::Compact] {
        let r = security::worst_case_report(level);
        for t in &r.terms {
            eprintln!("{level:?} {}: {:.2}", t.label, t.bits);
        }
        eprintln!("{level:?} level {:.2} ({})", r.bits, r.binding);
        assert!(r.bits >= 100.0);
    }
}

/// The shape's degrees, quotient chunks and constraint counts, read off one symbolic evaluation
/// per table, are the ones Plonky3's own functions give (`get_max_constraint_degree`,
/// `get_log_num_quotient_chunks`, `get_symbolic_constraints`), for every table and memory
/// layout, at the smallest and the largest height (the read-only table's periodic columns make
/// its degree depend on the height).
#[test]
fn shape_degrees_are_plonky3s() {
    use p3_air::symbolic::AirLayout;
    use p3_air::BaseAir;
    use p3_batch_stark::symbolic::{
        get_log_num_quotient_chunks, get_max_constraint_degree, get_symbolic_constraints,
    };
    use p3_batch_stark::ProverData;
    use p3_lookup::LogUpGadget;
    use resvm_prover::air::Val;
    use resvm_prover::config::{make_config, Challenge, VmConfig};

    let config = make_config(SecurityLevel::Test, [0; 32]);
    let gadget = LogUpGadget::new();
    let mut checked_periodic = false;
    for memory in MemoryAir::all() {
        let airs = VmAir::all(memory);
        for log_height in [
            resvm_prover::air::MIN_LOG_HEIGHT,
            resvm_prover::trace::MAX_LOG_HEIGHT,
        ] {
            let heights = vec![log_height; airs.len()];
            let shape = ProofShape::from_airs(&airs, &heights);
            let bits: Vec<usize> = heights.iter().map(|h| h + 1).collect();
            let data =
                ProverData::<VmConfig>::from_airs_and_degrees(&config, &airs, &bits).unwrap();
            for ((air, lookups), t) in airs.iter().zip(&data.common.lookups).zip(&shape.tables) {
                let layout = AirLayout::from_air(air);
                checked_periodic |= layout.num_periodic_columns > 0;
                let n = 1usize << log_height;
                let hint = BaseAir::<Val>::max_constraint_degree(air).unwrap_or(0);
                let degree = get_max_constraint_degree::<Val, Challenge, _, _>(
                    air, layout, n, lookups, &gadget,
                )
                .max(hint);
                let log_chunks = get_log_num_quotient_chunks::<Val, Challenge, _, _>(
                    air, layout, n, lookups, 1, &gadget,
                );
                let (base, ext) =
                    get_symbolic_constraints::<Val, Challenge, _, _>(air, layout, lookups, &gadget);
                let kind = air.kind();
                assert_eq!(
                    t.max_constraint_degree, degree,
                    "{kind:?} at 2^{log_height}"
                );
                assert_eq!(t.num_quotient_chunks, 1 << (log_chunks + 1), "{kind:?}");
                assert_eq!(t.num_constraints, base.len() + ext.len(), "{kind:?}");
            }
        }
    }
    assert!(checked_periodic, "some table has periodic columns");
}
