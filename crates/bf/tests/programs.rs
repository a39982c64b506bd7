//! The shipped programs (`examples/bf/`) with their expected outputs in both dialects, each
//! run on the fast engine, the stack interpreter and the reference interpreter; and random
//! bracket-balanced programs against the reference interpreter.

use proptest::prelude::*;
use resvm_bf::{compile, engine, reference, Dialect};
use resvm_exec::brainfuck::{self as stack_bf, BfTrap};

fn source(name: &str) -> Vec<u8> {
    let path = format!("{}/../../examples/bf/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const MAX: u64 = 100_000_000;

/// Runs `name` on all three engines in `dialect`; they must agree; returns the output.
fn run_all(name: &str, dialect: Dialect, input: &[u8]) -> Vec<u8> {
    let src = source(name);
    let c = compile(&src, dialect).expect("compiles");
    let fast = engine::run(&c.image, input, MAX).expect("fast engine");
    let stack = stack_bf::run(&c.image, input, MAX).expect("stack interpreter");
    assert_eq!(
        fast, stack,
        "{name} ({dialect:?}): fast engine vs stack interpreter"
    );
    let (out, _) = reference::run(&src, dialect, input, 10 * MAX).expect("reference");
    assert_eq!(fast.output, out, "{name} ({dialect:?}): vs reference");
    fast.output
}

/// Both dialects give `expected`.
fn same_in_both(name: &str, input: &[u8], expected: &[u8]) {
    for d in [Dialect::Field, Dialect::U8] {
        assert_eq!(run_all(name, d, input), expected, "{name} ({d:?})");
    }
}

#[test]
fn hello_world() {
    same_in_both("hello.bf", b"", b"Hello World!\n");
}

#[test]
fn cat_copies_input() {
    same_in_both("cat.bf", b"echo me\n", b"echo me\n");
    same_in_both("cat.bf", b"", b"");
}

#[test]
fn reverse_reverses() {
    same_in_both("reverse.bf", b"stressed", b"desserts");
}

#[test]
fn multiply_two_digits() {
    same_in_both("multiply.bf", b"79", b"63\n");
    same_in_both("multiply.bf", b"90", b"0\n");
    same_in_both("multiply.bf", b"99", b"81\n");
}

#[test]
fn nested_loops() {
    same_in_both("nested.bf", b"", b"A\n");
}

/// `-` on 0: p − 1 (byte 0x00, as p − 1 ≡ 0 mod 256) in the field, 255 in u8.
#[test]
fn field_wrap_differs_by_dialect() {
    assert_eq!(run_all("field_wrap.bf", Dialect::Field, b""), [0x00, 0xff]);
    assert_eq!(run_all("field_wrap.bf", Dialect::U8, b""), [0xff, 0xfe]);
}

/// 256 `+`: 0 in u8 (prints 1), 256 in the field (prints 0).
#[test]
fn u8_wrap_differs_by_dialect() {
    assert_eq!(run_all("u8_wrap.bf", Dialect::U8, b""), b"1\n");
    assert_eq!(run_all("u8_wrap.bf", Dialect::Field, b""), b"0\n");
}

#[test]
fn long_running_program() {
    let mut want = vec![b'.'; 60];
    want.push(b'\n');
    same_in_both("long.bf", b"", &want);
}

#[test]
fn errors_are_clear() {
    let c = compile(b"+><<", Dialect::Field).expect("compiles");
    // `><` folds to nothing, so the second instruction is the move left.
    assert_eq!(
        engine::run(&c.image, b"", MAX),
        Err(BfTrap::PointerBelowZero { step: 2 })
    );
    assert_eq!(
        stack_bf::run(&c.image, b"", MAX),
        Err(BfTrap::PointerBelowZero { step: 2 })
    );
    let c = compile(b"+[]", Dialect::U8).expect("compiles");
    assert_eq!(
        engine::run(&c.image, b"", 1000),
        Err(BfTrap::StepsExceeded { limit: 1000 })
    );
    assert_eq!(
        stack_bf::run(&c.image, b"", 1000),
        Err(BfTrap::StepsExceeded { limit: 1000 })
    );
}

/// A random bracket-balanced program over the eight instructions.
fn program() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop::collection::vec(prop::sample::select(b"+-<>,.+>".to_vec()), 0..8);
    leaf.prop_recursive(3, 64, 4, |inner| {
        prop::collection::vec(
            prop_oneof![
                inner.clone(),
                inner.prop_map(|b| {
                    let mut v = vec![b'['];
                    v.extend(b);
                    v.push(b']');
                    v
                })
            ],
            0..4,
        )
        .prop_map(|parts| parts.concat())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Same output as the reference interpreter, or the same kind of stop, in both dialects.
    #[test]
    fn engines_match_the_reference(src in program(), input in prop::collection::vec(any::<u8>(), 0..6)) {
        for d in [Dialect::Field, Dialect::U8] {
            let c = compile(&src, d).expect("balanced programs compile");
            let fast = engine::run(&c.image, &input, 20_000);
            let stack = stack_bf::run(&c.image, &input, 20_000);
            prop_assert_eq!(&fast, &stack);
            // The reference counts source characters, the engines folded instructions: a run
            // the reference finishes within 20 000 steps finishes on the engines too.
            match (reference::run(&src, d, &input, 20_000), &fast) {
                (Ok((out, _)), Ok(r)) => prop_assert_eq!(&out, &r.output),
                (Err(reference::RefError::PointerBelowZero), Err(BfTrap::PointerBelowZero { .. })) => {}
                (Err(reference::RefError::StepsExceeded), _) => {}
                (r, f) => prop_assert!(false, "reference {:?}, engine {:?}", r, f),
            }
        }
    }
}
