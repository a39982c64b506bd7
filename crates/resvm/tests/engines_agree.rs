//! The three engines agree: same output or the same error, on random well-typed programs
//! compiled through the whole pipeline (canonical form, factoring, DAG, stack code).

use proptest::prelude::*;
use resvm::{Engine, Limits};
use resvm_exec::testgen;

fn check(p: &testgen::GenProgram) -> Result<(), TestCaseError> {
    let c = resvm::compile(&p.source).map_err(|e| {
        TestCaseError::fail(format!("generated program rejected: {e}\n{}", p.source))
    })?;
    // The generator's limits: a step limit always, so a runaway program fails, not hangs.
    let results: Vec<_> = Engine::ALL
        .iter()
        .map(|&e| (e, resvm::run(&c, e, &p.inputs, &p.limits)))
        .collect();
    let (e0, r0) = &results[0];
    for (e, r) in &results[1..] {
        let same = match (r0, r) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => a.same_error(b),
            _ => false,
        };
        prop_assert!(
            same,
            "{} gave {:?} but {} gave {:?}\nprogram:\n{}\ninputs: {:?}",
            e0.name(),
            r0,
            e.name(),
            r,
            p.source,
            p.inputs
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn engines_agree_on_random_programs(p in testgen::strategy()) {
        check(&p)?;
    }

    #[test]
    fn engines_agree_on_random_digest_programs(p in testgen::digest_strategy()) {
        check(&p)?;
    }
}

/// The same over programs with digests; also checks that the sweep meets every digest
/// construct and both outcomes (values and `merkle` direction traps).
#[test]
fn engines_agree_on_digest_seed_sweep() {
    let (mut hashed, mut trapped) = (0, 0);
    for seed in 0..200 {
        let p = testgen::digest_program(seed);
        if let Err(e) = check(&p) {
            panic!("seed {seed}: {e}");
        }
        if p.source.contains("hash(") || p.source.contains("merkle(") {
            hashed += 1;
        }
        let c = resvm::compile(&p.source).expect("checked");
        if let Err(resvm::Trap::HashDirection { .. }) =
            resvm::run(&c, Engine::Stack, &p.inputs, &Limits::default())
        {
            trapped += 1;
        }
    }
    assert!(hashed > 100, "{hashed} of 200 programs hash");
    assert!(trapped > 0, "no program met a bad merkle direction");
}

/// A fixed sweep over seeds, so a regression reproduces without proptest's shrinking.
#[test]
fn engines_agree_on_seed_sweep() {
    for seed in 0..200 {
        let p = testgen::program(seed);
        if let Err(e) = check(&p) {
            panic!("seed {seed}: {e}");
        }
    }
}

/// Generated programs on which the stack engine once disagreed: a tail-call argument already
/// in its parameter slot lost the store that put it there (`tail_call_argument_moves`).
#[test]
fn tail_argument_in_place_seeds() {
    for seed in [
        5000179907,
        5000391562,
        11001025489,
        11001629176,
        11001945328,
    ] {
        if let Err(e) = check(&testgen::program(seed)) {
            panic!("seed {seed}: {e}");
        }
    }
    if let Err(e) = check(&testgen::digest_program(7000152583)) {
        panic!("digest seed 7000152583: {e}");
    }
}

/// Reflection round-trips with the real, digest-derived reprs on every engine.
#[test]
fn reflect_of_repr_is_identity_on_every_engine() {
    let src = "fn sq(x) = x * x;\nfn main(x) = eval(reflect(repr(sq)), x) + repr(sq) - repr(reflect(repr(sq)));";
    let c = resvm::compile(src).expect("compiles");
    for e in Engine::ALL {
        let b = resvm::run(&c, e, &[resvm::F::new(9)], &Limits::default()).expect("runs");
        assert_eq!(resvm_field::canonical(b), 81, "{}", e.name());
    }
}

/// `repr` is deterministic: the same program gives the same value on every compile.
#[test]
fn repr_is_deterministic() {
    let src = "fn f(x) = x + 1;\nfn main() = repr(f);";
    let a = resvm::compile(src).expect("compiles");
    let b = resvm::compile(src).expect("compiles");
    assert_eq!(a.program.digest(), b.program.digest());
    let ra = resvm::run(&a, Engine::Tree, &[], &Limits::default()).expect("runs");
    let rb = resvm::run(&b, Engine::Stack, &[], &Limits::default()).expect("runs");
    assert_eq!(ra, rb);
}

/// Long operator chains (deep trees) compile and run on every engine without overflowing the
/// native stack, even on a test thread's small stack.
#[test]
fn long_chains_compile_and_run() {
    let terms: Vec<String> = (0..8000).map(|i| format!("{}*x", i % 7)).collect();
    let src = format!("fn main(x) = {};", terms.join(" + "));
    let c = resvm::compile(&src).expect("compiles");
    let sum: u64 = (0..8000u64).map(|i| i % 7).sum();
    for e in Engine::ALL {
        let b = resvm::run(&c, e, &[resvm::F::new(3)], &Limits::default()).expect("runs");
        assert_eq!(resvm_field::canonical(b), 3 * sum, "{}", e.name());
    }
    // A chain that stays long through canonicalization: a 3000-term univariate polynomial,
    // whose Horner circuit nests 3000 deep.
    let terms: Vec<String> = (0..3000).map(|i| format!("x^{i}")).collect();
    let src = format!("fn main(x) = {};", terms.join(" + "));
    let c = resvm::compile(&src).expect("compiles");
    let x = resvm::F::new(5);
    let mut want = resvm::F::new(0);
    let mut pw = resvm::F::new(1);
    for _ in 0..3000 {
        want += pw;
        pw *= x;
    }
    for e in Engine::ALL {
        let b = resvm::run(&c, e, &[x], &Limits::default()).expect("runs");
        assert_eq!(b, want, "{}", e.name());
    }
}

/// Tail calls whose arguments are moves between the frame's slots (`MOVS`, `INCS`): swaps,
/// rotations with offsets (cycles the code generator breaks through the stack), a slot read
/// by two arguments, and a callee with more parameters than its caller, whose parameter
/// slots hold the caller's temporaries. Each has its output worked out by hand, and every
/// engine must give it.
#[test]
fn tail_call_argument_moves() {
    let p = resvm_field::P;
    let cases: [(&str, &[u64], u64); 10] = [
        // (3, 10, 4) → (2, 4, 10) → (1, 10, 4) → (0, 4, 10): 4 − 10.
        (
            "fn sw(n, a, b) = branch(lt(0, n), sw(n - 1, b, a), a - b);\nfn main(n, a, b) = sw(n, a, b);",
            &[3, 10, 4],
            p - 6,
        ),
        ("fn sw(n, a, b) = branch(lt(0, n), sw(n - 1, b, a), a - b);\nfn main(n, a, b) = sw(n, a, b);", &[4, 10, 4], 6),
        // (3; 1, 2, 3) → (2; 3, 3, −1) → (1; 4, −1, 1) → (0; 0, 1, 2): 0 + 10 + 2.
        (
            "fn rot(n, a, b, c) = branch(lt(0, n), rot(n - 1, b + 1, c, a - 2), 100 * a + 10 * b + c);\nfn main(n) = rot(n, 1, 2, 3);",
            &[3],
            12,
        ),
        // The counter stepped in place and the rest rotated without offsets.
        (
            "fn r3(n, a, b, c) = branch(lt(0, n), r3(n - 1, c, a, b), 100 * a + 10 * b + c);\nfn main(n) = r3(n, 1, 2, 3);",
            &[4],
            312,
        ),
        // x·x is used twice, so it lives in slot 2 — g's third parameter. g(5, 9, 4, 14).
        (
            "fn g(a, b, c, d) = 1000 * a + 100 * b + 10 * c + d;\nfn f(x, y) = g(y, x * x, x + 1, x * x + y);\nfn main(x, y) = f(x, y);",
            &[3, 5],
            5954,
        ),
        // One slot feeds two arguments; the other two swap. h(7, 2, 2).
        (
            "fn h(a, b, c) = 100 * a + 10 * b + c;\nfn k(x, y) = h(y, x, x);\nfn main(x, y) = k(x, y);",
            &[2, 7],
            722,
        ),
        // Fewer parameters in the callee: slot 1 is read before slot 0 is overwritten. m(9 + 1).
        (
            "fn m(a) = a * a;\nfn k(x, y) = m(y + 1);\nfn main(x, y) = k(x, y);",
            &[2, 9],
            100,
        ),
        // v is used twice, so it is stored in slot 1, where f0's second argument already is:
        // that store must stay although no LOAD of slot 1 follows (it was dropped, and the
        // stack engine gave f0 slot 1's stale value). f0(6, 6).
        (
            "fn f0(a0, a1) = a1;\nfn main(x) = (let v = x + 1 in f0(v, v));",
            &[5],
            6,
        ),
        (
            "fn f0(a0, a1) = 10 * a0 + a1;\nfn main(x) = (let v = x + 1 in f0(v, v));",
            &[5],
            66,
        ),
        // The same with the in-place slot a temporary of the caller: g(6, 3, 6).
        (
            "fn g(a, b, c) = 100 * a + 10 * b + c;\nfn f(x, y) = (let v = x * y in g(v, y, v));\nfn main(x, y) = f(x, y);",
            &[2, 3],
            636,
        ),
    ];
    for (src, inputs, want) in cases {
        let c = resvm::compile(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let inputs: Vec<_> = inputs.iter().map(|&v| resvm::F::new(v)).collect();
        for e in Engine::ALL {
            let b = resvm::run(&c, e, &inputs, &Limits::default())
                .unwrap_or_else(|t| panic!("{src} on {}: {t}", e.name()));
            assert_eq!(resvm_field::canonical(b), want, "{src} on {}", e.name());
        }
    }
}
