use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use resvm_prover::config::SecurityLevel;
use resvm_prover::*;

fn test_opts() -> ProveOptions {
    ProveOptions { security: SecurityLevel::Test, ..Default::default() }
}
const ALLOW: VerifyOptions = VerifyOptions { allow_test: true };

#[test]
fn fib_proves_and_verifies() {
    let p = bench::fib_program();
    let (proof, summary) =
        prove_with(&p, &[F::from_u64(10)], &[], &test_opts(), &mut |_| {}).expect("proves");
    assert_eq!(proof.statement.output, F::from_u64(55));
    eprintln!("{summary:?}");
    verify_with(&p.digest(), &[F::from_u64(10)], F::from_u64(55), &proof, ALLOW).expect("verifies");
}
