//! Wire format: round trip, truncation, extension, single-byte corruption; zero knowledge
//! smoke checks.

use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use resvm_prover::config::SecurityLevel;
use resvm_prover::*;

const ALLOW: VerifyOptions = VerifyOptions { allow_test: true };

fn check(bytes: &[u8], n: F, out: F) -> Result<(), VerifyError> {
    let p = bench::fib_program();
    let proof = Proof::from_bytes(bytes)?;
    verify_with(&p, &[n], out, &proof, ALLOW)
}

#[test]
fn corrupted_truncated_and_extended_proofs_are_rejected() {
    let p = bench::fib_program();
    let opts = ProveOptions {
        security: SecurityLevel::Test,
        ..Default::default()
    };
    let n = F::from_u64(5);
    let (proof, _) = prove_with(&p, &[n], &[], &opts, &mut |_| {}).unwrap();
    let out = proof.statement.output;
    let bytes = proof.to_bytes();
    check(&bytes, n, out).expect("round trip verifies");
    for cut in [0, 3, 6, 7, bytes.len() / 2, bytes.len() - 1] {
        assert!(check(&bytes[..cut], n, out).is_err(), "truncated at {cut}");
    }
    let mut ext = bytes.clone();
    ext.push(0);
    assert!(check(&ext, n, out).is_err(), "extended");
    // Flip every byte in a dense sample (all of the first 256, then every `step`-th) with
    // a few different masks.
    let step = (bytes.len() / 600).max(1);
    let positions: Vec<usize> = (0..bytes.len())
        .filter(|&i| i < 256 || i % step == 0)
        .collect();
    eprintln!(
        "proof {} bytes, flipping {} positions",
        bytes.len(),
        positions.len()
    );
    for (k, &i) in positions.iter().enumerate() {
        let mut b = bytes.clone();
        b[i] ^= [0x01, 0x80, 0xff][k % 3];
        assert!(check(&b, n, out).is_err(), "flip at byte {i} accepted");
    }
}

#[test]
fn proofs_are_randomized_and_do_not_contain_the_secret() {
    // main(secret s) = s * s; the secret is a random-looking 64-bit value.
    use resvm_isa::{Function, Instr, Program};
    let code = vec![
        Instr::Frame,
        Instr::Secret(0),
        Instr::Call(0),
        Instr::Halt,
        Instr::Load(0),
        Instr::Load(0),
        Instr::Mul,
        Instr::Ret,
    ];
    let p = Program::new(
        code,
        vec![Function {
            name: "main".into(),
            entry: 4,
            arity: 1,
            frame: 1,
        }],
        0,
    )
    .unwrap();
    let s = F::from_u64(0x1234_5678_9abc_def0);
    let opts = ProveOptions {
        security: SecurityLevel::Test,
        ..Default::default()
    };
    let (a, _) = prove_with(&p, &[], &[s], &opts, &mut |_| {}).unwrap();
    let (b, _) = prove_with(&p, &[], &[s], &opts, &mut |_| {}).unwrap();
    assert!(a.statement.public_inputs.is_empty());
    let (ba, bb) = (a.to_bytes(), b.to_bytes());
    assert_ne!(ba, bb, "hiding randomness must differ between proofs");
    let needle = 0x1234_5678_9abc_def0u64.to_le_bytes();
    assert!(!ba.windows(8).any(|w| w == needle));
    verify_with(&p, &[], s * s, &a, ALLOW).unwrap();
}
