//! Digests in the language, proven: `examples/digest.rvm` (Merkle membership with a secret
//! leaf, path and bits) against a root computed natively with `resvm_field::merge`, and
//! programs that hash secret digest inputs. A wrong public digest is refused by `verify`.

use p3_field::PrimeCharacteristicRing;
use resvm_field::{merge, Digest, F};
use resvm_prover::config::SecurityLevel;
use resvm_prover::*;

fn f(v: u64) -> F {
    F::from_u64(v)
}

fn d(xs: [u64; 4]) -> Digest {
    Digest::from_elements(xs.map(f))
}

/// `merkle(a, s, e)` natively.
fn level(a: &Digest, s: &Digest, e: u64) -> Digest {
    if e == 0 {
        merge(a, s)
    } else {
        merge(s, a)
    }
}

/// Runs `src` on the stack engine, proves it (test parameters), checks the output, verifies
/// the proof against the public inputs and refuses it against `wrong_public`.
fn prove_and_check(src: &str, inputs: &[F], want: u64, wrong_public: &[F]) {
    let c = resvm::compile(src).unwrap_or_else(|e| panic!("{e:?}"));
    let run = resvm::run_stack(&c, inputs, &Default::default()).expect("runs");
    assert_eq!(resvm_field::canonical(run.output), want);
    for engine in [resvm::Engine::Tree, resvm::Engine::Closure] {
        let out = resvm::run(&c, engine, inputs, &Default::default()).expect("runs");
        assert_eq!(out, run.output, "{engine:?}");
    }
    let secret = c.program.secret_params();
    assert_eq!(
        secret.len(),
        inputs.len(),
        "a digest parameter is four inputs"
    );
    let (mut public, mut witness) = (vec![], vec![]);
    for (x, s) in inputs.iter().zip(&secret) {
        if *s {
            witness.push(*x)
        } else {
            public.push(*x)
        }
    }
    assert_eq!(public_params(&c.program).len(), public.len());
    let opts = ProveOptions {
        security: SecurityLevel::Test,
        ..Default::default()
    };
    let (proof, _) = prove_with(&c.program, &public, &witness, &opts, &mut |_| {}).expect("proves");
    assert_eq!(proof.statement.output, run.output);
    let q = Proof::from_bytes(&proof.to_bytes()).expect("decodes");
    let allow = VerifyOptions { allow_test: true };
    verify_with(&c.program, &public, run.output, &q, allow).expect("verifies");
    assert_ne!(public, wrong_public);
    assert!(
        verify_with(&c.program, wrong_public, run.output, &q, allow).is_err(),
        "a wrong public digest is refused"
    );
}

#[test]
fn merkle_membership_example_proves_and_a_wrong_root_is_refused() {
    let src = std::fs::read_to_string(format!(
        "{}/../../examples/digest.rvm",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("example exists");
    let (s0, e0, s1, e1) = (d([1, 2, 3, 4]), 1, d([5, 6, 7, 8]), 0);
    let leaf = merge(&d([42, 0, 0, 0]), &d([0, 0, 0, 0]));
    let root = level(&level(&leaf, &s0, e0), &s1, e1);
    let mut inputs: Vec<F> = root.elements().to_vec();
    inputs.push(f(42));
    inputs.extend(s0.elements());
    inputs.push(f(e0));
    inputs.extend(s1.elements());
    inputs.push(f(e1));
    let mut wrong = root.elements().to_vec();
    wrong[2] += F::ONE;
    prove_and_check(&src, &inputs, 1, &wrong);
    // The values the CLI test (`crates/cli/tests/cli.rs`, DIGEST_PATH) writes out.
    assert_eq!(
        root.elements().map(resvm_field::canonical),
        [
            17253281879595416348,
            1918130842255587007,
            6759448289651759571,
            15150932947097635602
        ]
    );
}

#[test]
fn preimage_of_a_public_digest_with_secret_digest_inputs() {
    // Knowledge of a secret pair (x, y) of digests whose hash is the public h, with a
    // recursive (tail) hash chain over a digest parameter.
    let src = "fn chain(a: d, n) = branch(lt(0, n), chain(hash(a, a), n - 1), a.0 + a.3);\n\
               fn main(h: d, secret x: d, secret y: d) = eq(hash(x, y), h) * chain(x, 3);";
    let (x, y) = (d([11, 12, 13, 14]), d([21, 22, 23, 24]));
    let h = merge(&x, &y);
    let mut c = x;
    for _ in 0..3 {
        c = merge(&c, &c);
    }
    let want = resvm_field::canonical(c.elements()[0] + c.elements()[3]);
    let mut inputs = h.elements().to_vec();
    inputs.extend(x.elements());
    inputs.extend(y.elements());
    let mut wrong = h.elements().to_vec();
    wrong[0] += F::ONE;
    prove_and_check(src, &inputs, want, &wrong);
}
