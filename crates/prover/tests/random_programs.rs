//! Random well-typed programs (the engines' property generator, `resvm_exec::testgen`)
//! compiled through the whole pipeline, proven and verified: the proof's output and cycle
//! count are the interpreter's, and a wrong output is refused. Runs that trap have no proof:
//! the prover must refuse them with the interpreter's trap.

use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use resvm_prover::config::SecurityLevel;
use resvm_prover::*;

/// Splits main's arguments into public inputs and witness, as the program declares them.
fn split(program: &resvm_isa::Program, inputs: &[F]) -> (Vec<F>, Vec<F>) {
    let secret = program.secret_params();
    let (mut public, mut witness) = (vec![], vec![]);
    // Inputs beyond main's arity (the generator also makes wrong counts) count as public,
    // so the prover sees the wrong count too.
    for (i, x) in inputs.iter().enumerate() {
        if secret.get(i).copied().unwrap_or(false) {
            witness.push(*x)
        } else {
            public.push(*x)
        }
    }

    (public, witness)
}

#[test]
fn random_programs_prove_and_verify() {
    let opts = ProveOptions {
        security: SecurityLevel::Test,
        ..Default::default()
    };
    let allow = VerifyOptions { allow_test: true };
    let (mut proven, mut trapped) = (0, 0);
    for seed in 0..64u64 {
        let g = resvm_exec::testgen::program(seed);
        let c =
            resvm::compile(&g.source).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{}", g.source));
        let (public, witness) = split(&c.program, &g.inputs);
        let run = resvm_exec::stack::run(&c.program, &g.inputs, &opts.limits);
        let proved = prove_with(&c.program, &public, &witness, &opts, &mut |_| {});
        match (run, proved) {
            (Ok(run), Ok((proof, _))) => {
                let st = proof.statement();
                assert_eq!(
                    (st.output, st.cycles),
                    (run.output, run.cycles),
                    "seed {seed}\n{}",
                    g.source
                );
                let q = Proof::from_bytes(&proof.to_bytes()).expect("parses");
                verify_with(&c.program, &public, run.output, &q, allow)
                    .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{}", g.source));
                assert_eq!(
                    verify_with(&c.program, &public, run.output + F::ONE, &q, allow),
                    Err(VerifyError::OutputMismatch {
                        claimed: resvm_field::canonical(run.output)
                    })
                );
                proven += 1;
            }
            (Err(trap), Err(ProveError::Trace(trace::TraceError::Trap(t)))) => {
                assert_eq!(
                    trap, t,
                    "seed {seed}: the prover refuses with the interpreter's trap"
                );
                trapped += 1;
            }
            // The generator also produces wrong input counts: both refuse them.
            (Err(resvm_exec::Trap::InputCount { .. }), Err(ProveError::InputCount { .. })) => {
                trapped += 1
            }
            (run, proved) => panic!(
                "seed {seed}: interpreter {run:?}, prover {:?}\n{}",
                proved.map(|p| p.0.statement().output),
                g.source
            ),
        }
    }
    assert!(
        proven >= 24,
        "too few random programs proven ({proven}, {trapped} trapped)"
    );
}
