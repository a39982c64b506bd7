//! Digests through the whole pipeline: values against `resvm_field::merge` on every engine,
//! one `HASH` per distinct Merkle level of a region, lazy digest branches, and recursion over
//! digest parameters in constant space.

use p3_field::PrimeCharacteristicRing;
use resvm::{Engine, Limits, Trap, F};
use resvm_field::{canonical, merge, Digest};

fn run_all(src: &str, inputs: &[F]) -> Result<F, Trap> {
    let c = resvm::compile(src).unwrap_or_else(|e| panic!("{e}"));
    let results: Vec<Result<F, Trap>> = Engine::ALL
        .iter()
        .map(|&e| resvm::run(&c, e, inputs, &Limits::default()))
        .collect();
    for r in &results[1..] {
        match (&results[0], r) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{src}"),
            (Err(a), Err(b)) => assert!(a.same_error(b), "{a:?} vs {b:?}: {src}"),
            (a, b) => panic!("{a:?} vs {b:?}: {src}"),
        }
    }
    results.into_iter().next().expect("three engines")
}

fn hashes(src: &str) -> usize {
    let c = resvm::compile(src).expect("compiles");
    c.program
        .code()
        .iter()
        .filter(|i| matches!(i, resvm_isa::Instr::Hash(_)))
        .count()
}

fn f(v: u64) -> F {
    F::from_u64(v)
}

#[test]
fn builtins_match_the_native_hash() {
    let (a, b) = ([f(1), f(2), f(3), f(4)], [f(5), f(6), f(7), f(8)]);
    let (da, db) = (Digest::from_elements(a), Digest::from_elements(b));
    let inputs: Vec<F> = a.iter().chain(&b).copied().collect();
    for j in 0..4 {
        let want = merge(&da, &db).elements()[j];
        let src = format!("fn main(a: d, b: d) = hash(a, b).{j};");
        assert_eq!(run_all(&src, &inputs), Ok(want), "{src}");
        for (e, want) in [(0, merge(&da, &db)), (1, merge(&db, &da))] {
            let src = format!("fn main(a: d, b: d) = merkle(a, b, {e}).{j};");
            assert_eq!(run_all(&src, &inputs), Ok(want.elements()[j]), "{src}");
        }
    }
    assert_eq!(
        run_all("fn main(a: d, b: d) = merkle(a, b, 2).0;", &inputs),
        Err(Trap::HashDirection { value: f(2) })
    );
    let src = "fn main(a: d, b: d) = eq(a, b) + 2 * eq(a, digest(1, 2, 3, 4)) + 4 * eq(a.1, 2) + 8 * eq(b.0, 2);";
    assert_eq!(run_all(src, &inputs), Ok(f(6)));
}

#[test]
fn a_merkle_level_is_computed_once_per_region() {
    // Written twice, shared: one HASH.
    assert_eq!(
        hashes("fn main(a: d, b: d) = hash(a, b).0 + hash(a, b).1 * hash(a, b).3;"),
        1
    );
    // Inlined functions share as well.
    assert_eq!(
        hashes("fn h(a: d, b: d) = hash(a, b);\nfn main(a: d, b: d) = eq(h(a, b), h(a, b));"),
        1
    );
    // Different operands: two.
    assert_eq!(
        hashes("fn main(a: d, b: d) = hash(a, b).0 + hash(b, a).0;"),
        2
    );
}

#[test]
fn digest_branches_are_lazy() {
    // The arm not taken would trap (a bad direction); it never runs.
    let src = "fn main(c, a: d) = branch(c, hash(a, a), merkle(a, a, 7)).2;";
    let a = [f(9), f(8), f(7), f(6)];
    let da = Digest::from_elements(a);
    let mut inputs = vec![F::ZERO];
    inputs.extend(a);
    assert_eq!(run_all(src, &inputs), Ok(merge(&da, &da).elements()[2]));
    inputs[0] = F::ONE;
    assert_eq!(
        run_all(src, &inputs),
        Err(Trap::HashDirection { value: f(7) })
    );
}

#[test]
fn recursion_over_digests_runs_in_constant_space() {
    // A hash chain deeper than the default depth limit: a tail call on every engine.
    let src = "fn chain(a: d, n) = branch(lt(0, n), chain(hash(a, a), n - 1), a.0);\n\
               fn main(x: d, n) = chain(x, n);";
    let x = [f(1), f(2), f(3), f(4)];
    let mut want = Digest::from_elements(x);
    let n = 150_000;
    for _ in 0..n {
        want = merge(&want, &want);
    }
    let mut inputs = x.to_vec();
    inputs.push(f(n));
    assert_eq!(run_all(src, &inputs), Ok(want.elements()[0]));
    assert!(canonical(want.elements()[0]) != 0);
}
