//! End to end on the example programs (`examples/*.rvm`): compile, prove (test parameters),
//! verify, and compare output and cycle count with the interpreter.

use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use resvm_prover::config::SecurityLevel;
use resvm_prover::*;

fn prove_example(name: &str, args: &[u64]) {
    let path = format!("{}/../../examples/{name}.rvm", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).expect("example exists");
    let c = resvm::compile(&src).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let inputs: Vec<F> = args.iter().map(|&a| F::from_u64(a)).collect();
    let run = resvm::run_stack(&c, &inputs, &Default::default()).expect("runs");
    let secret = c.program.secret_params();
    let (mut public, mut witness) = (vec![], vec![]);
    for (x, s) in inputs.iter().zip(&secret) {
        if *s {
            witness.push(*x)
        } else {
            public.push(*x)
        }
    }
    let opts = ProveOptions {
        security: SecurityLevel::Test,
        ..Default::default()
    };
    let (proof, _) = prove_with(&c.program, &public, &witness, &opts, &mut |_| {}).expect("proves");
    assert_eq!(proof.statement.output, run.output, "{name}: output");
    assert_eq!(proof.statement.cycles, run.cycles, "{name}: cycles");
    let bytes = proof.to_bytes();
    let q = Proof::from_bytes(&bytes).unwrap();
    verify_with(
        &c.program,
        &public,
        run.output,
        &q,
        VerifyOptions { allow_test: true },
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(verify_with(
        &c.program,
        &public,
        run.output + F::ONE,
        &q,
        VerifyOptions { allow_test: true }
    )
    .is_err());
}

#[test]
fn apply_and_reflect() {
    prove_example("apply", &[5]);
    prove_example("reflect", &[1, 3]);
}

#[test]
fn fib_min_secret() {
    prove_example("fib", &[20]);
    prove_example("min", &[resvm_field::P - 1, 3]);
    prove_example("secret", &[10, 2]);
}

#[test]
fn power_let_recursion() {
    prove_example("power", &[3, 4]);
    prove_example("let", &[9]);
    prove_example("fib_rec", &[6]);
}
