use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use resvm_prover::config::SecurityLevel;
use resvm_prover::*;

fn test_opts() -> ProveOptions {
    ProveOptions {
        security: SecurityLevel::Test,
        ..Default::default()
    }
}
const ALLOW: VerifyOptions = VerifyOptions { allow_test: true };

#[test]
fn fib_proves_and_verifies() {
    let p = bench::fib_program();
    let (proof, summary) =
        prove_with(&p, &[F::from_u64(10)], &[], &test_opts(), &mut |_| {}).expect("proves");
    assert_eq!(proof.statement.output, F::from_u64(55));
    eprintln!("{summary:?}");
    // A resvm image's proof has no Brainfuck I/O tables, no hash table without `HASH`, and
    // no compare table when its only comparison is the loop's zero test (`BRZS`).
    let names: Vec<&str> = summary.table_rows.iter().map(|r| r.0).collect();
    assert_eq!(names, ["cpu", "memory", "rom"]);
    assert_eq!(proof.stark.degree_bits.len(), 3);
    verify_with(&p, &[F::from_u64(10)], F::from_u64(55), &proof, ALLOW).expect("verifies");
}

/// The production parameter set end to end (100-bit conjectured, zero knowledge): `prove`,
/// the wire format, and `verify` without `allow_test`; a wrong output is rejected.
#[test]
fn fib_standard_parameters() {
    let p = bench::fib_program();
    let n = [F::from_u64(30)];
    let proof = prove(&p, &n, &[]).expect("proves");
    assert_eq!(proof.security, SecurityLevel::Standard);
    assert!(proof.security.params().conjectured_bits() >= 100);
    let out = proof.statement.output;
    let q = Proof::from_bytes(&proof.to_bytes()).expect("parses");
    verify(&p, &n, out, &q).expect("verifies");
    assert!(verify(&p, &n, out + F::ONE, &q).is_err());
    assert!(verify(&p, &[F::from_u64(31)], out, &q).is_err());
    // Performance guard: the tall tables (CPU, memory) and the read-only table stay at
    // constraint degree 2, i.e. 4 quotient chunks under zero knowledge; a stray degree-3
    // constraint would make it 8 and double their quotient work (see docs/air.md).
    let chunks: Vec<usize> = q
        .stark
        .opened_values
        .instances
        .iter()
        .map(|i| i.base_opened_values.quotient_chunks.len())
        .collect();
    assert_eq!(
        &chunks[..3],
        &[4, 4, 4],
        "quotient chunks per table: {chunks:?}"
    );
}

/// The compact parameter set (blowup 8, 27 queries): ≥ 100 bits, verifies without
/// `allow_test`, and its proofs are smaller than standard ones.
#[test]
fn fib_compact_parameters() {
    let p = bench::fib_program();
    let n = [F::from_u64(30)];
    assert_eq!(
        SecurityLevel::from_name("compact"),
        Some(SecurityLevel::Compact)
    );
    assert!(SecurityLevel::Compact.params().conjectured_bits() >= 100);
    let opts = ProveOptions {
        security: SecurityLevel::Compact,
        ..Default::default()
    };
    let (proof, _) = prove_with(&p, &n, &[], &opts, &mut |_| {}).expect("proves");
    let q = Proof::from_bytes(&proof.to_bytes()).expect("parses");
    assert_eq!(q.security, SecurityLevel::Compact);
    verify(&p, &n, q.statement.output, &q).expect("verifies");
    assert!(verify(&p, &n, q.statement.output + F::ONE, &q).is_err());
    let standard = prove(&p, &n, &[]).expect("proves");
    assert!(proof.to_bytes().len() < standard.to_bytes().len());
}
