//! Unit tests of both HIR engines (closure and tree): every construct, every trap, limits.

use crate::{closure, tree, Limits, Trap};
use p3_field::PrimeCharacteristicRing;
use resvm_field::{F, P};

fn f(v: u64) -> F {
    F::from_u64(v)
}

fn reprs(n: usize) -> Vec<F> {
    (0..n as u64).map(|i| f(1000 + i)).collect()
}

/// Runs `src` on both engines, checks they agree, returns the common result.
fn run_with(src: &str, inputs: &[u64], limits: Limits) -> Result<F, Trap> {
    let m = resvm_lang::compile(src).unwrap_or_else(|d| panic!("{}: {src}", d.message));
    let r = reprs(m.functions.len());
    let inputs: Vec<F> = inputs.iter().map(|&v| f(v)).collect();
    let a = tree::run(&m, &r, &inputs, &limits);
    let b = closure::compile(&m, &r).run(&inputs, &limits);
    match (&a, &b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "{src}"),
        (Err(x), Err(y)) => assert!(x.same_error(y), "{x:?} vs {y:?}: {src}"),
        _ => panic!("tree {a:?} vs closure {b:?}: {src}"),
    }
    b
}

fn run(src: &str, inputs: &[u64]) -> Result<F, Trap> {
    run_with(src, inputs, Limits::default())
}

fn ok(src: &str, inputs: &[u64]) -> u64 {
    resvm_field::canonical(run(src, inputs).unwrap_or_else(|t| panic!("{t}: {src}")))
}

#[test]
fn arithmetic() {
    assert_eq!(ok("fn main(a, b) = a + b * 3 - 1;", &[2, 5]), 16);
    assert_eq!(ok("fn main(a) = -a;", &[1]), P - 1);
    assert_eq!(ok("fn main(a) = 0 - a + a;", &[7]), 0);
    assert_eq!(
        ok("fn main(a) = a ^ 0 + a ^ 1 + a ^ 2 + a ^ 3 + a ^ 10;", &[2]),
        1 + 2 + 4 + 8 + 1024
    );
    assert_eq!(ok("fn main() = (0 - 1) * (0 - 1);", &[]), 1);
    assert_eq!(
        ok("fn main() = 2 ^ 64;", &[]),
        resvm_field::canonical(f(1 << 32) * f(1 << 32))
    );
    // Constant folding must agree with run-time arithmetic.
    assert_eq!(ok("fn main(x) = (3 - 5) * x + (2 ^ 3) * 1;", &[1]), 6);
}

#[test]
fn lt_is_canonical() {
    assert_eq!(ok("fn main(a, b) = lt(a, b);", &[1, 2]), 0);
    assert_eq!(ok("fn main(a, b) = lt(a, b);", &[2, 2]), 1);
    assert_eq!(ok("fn main(a, b) = lt(a, b);", &[3, 2]), 1);
    // -1 is p - 1: the largest element.
    assert_eq!(ok("fn main(a) = lt(0 - 1, a);", &[5]), 1);
    assert_eq!(ok("fn main(a) = lt(a, 0 - 1);", &[5]), 0);
}

#[test]
fn let_is_strict_and_scoped() {
    assert_eq!(
        ok(
            "fn main(a) = let x = a * 2 in let y = x + 1 in x * y;",
            &[3]
        ),
        42
    );
    // The value is evaluated even when unused: its trap shows.
    assert_eq!(
        run("fn main(a) = let x = branch(a, 1, 2) in 5;", &[7]),
        Err(Trap::BranchCondition { value: f(7) })
    );
    assert_eq!(
        ok("fn main(a) = let x = a in (let x = x + 1 in x) + x;", &[3]),
        7
    );
}

#[test]
fn branch_is_lazy_and_checked() {
    let src = "fn main(c) = branch(c, 10, 20);";
    assert_eq!(ok(src, &[0]), 10);
    assert_eq!(ok(src, &[1]), 20);
    assert_eq!(run(src, &[2]), Err(Trap::BranchCondition { value: f(2) }));
    // Only the chosen arm runs.
    assert_eq!(
        ok("fn main(c) = branch(c, 1, repr(reflect(5)) + 1);", &[0]),
        1
    );
    assert_eq!(
        run("fn main(c) = branch(c, 1, repr(reflect(5)));", &[1]),
        Err(Trap::ReflectUnknown { value: f(5) })
    );
    // Constant conditions, including a bad one.
    assert_eq!(
        ok("fn main() = branch(0, 1, 2) + branch(1, 10, 20);", &[]),
        21
    );
    assert_eq!(
        run("fn main() = branch(3, 1, 2);", &[]),
        Err(Trap::BranchCondition { value: f(3) })
    );
    assert_eq!(ok("fn main(a, b) = branch(lt(a, b), 1, 2);", &[1, 2]), 1);
    assert_eq!(ok("fn main(a, b) = branch(lt(a, b), 1, 2);", &[2, 1]), 2);
}

#[test]
fn left_to_right_first_trap_wins() {
    // Both operands trap: the left one is reported.
    let src = "fn main(a, b) = branch(a, 0, 0) + branch(b, 0, 0);";
    assert_eq!(
        run(src, &[5, 6]),
        Err(Trap::BranchCondition { value: f(5) })
    );
    let src = "fn g(x, y) = x + y;\nfn main(a) = g(reflect(a), branch(a, 1, 2));";
    let m = resvm_lang::compile(src);
    // g takes p parameters: reflect's result is prog, so pass repr(reflect(a)).
    assert!(m.is_err());
    let src = "fn g(x, y) = x + y;\nfn main(a) = g(repr(reflect(a)), branch(a, 1, 2));";
    assert_eq!(run(src, &[9]), Err(Trap::ReflectUnknown { value: f(9) }));
    // eval: the program first, then the arguments, then resolution.
    let src = "fn g(x) = x;\nfn main(a) = eval(reflect(a), branch(a, 1, 2));";
    assert_eq!(run(src, &[9]), Err(Trap::ReflectUnknown { value: f(9) }));
    let src = "fn g(x) = x;\nfn main(a) = eval(g, branch(a, 1, 2), 3);";
    assert_eq!(run(src, &[9]), Err(Trap::BranchCondition { value: f(9) }));
}

#[test]
fn calls_and_recursion() {
    let fib = "fn fib(n) = branch(lt(n, 2), n, fib(n - 1) + fib(n - 2));\nfn main(n) = fib(n);";
    assert_eq!(ok(fib, &[20]), 6765);
    let many = "fn g(a, b, c, d, e, f, h) = a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * h;\n\
                fn main(x) = g(x, x, x, x, x, x, x) + g(1, 0, 0, 0, 0, 0, 0);";
    assert_eq!(ok(many, &[1]), 29);
    assert_eq!(ok("fn k() = 42;\nfn main() = k() + k();", &[]), 84);
}

#[test]
fn prog_values_repr_reflect_eval() {
    // Func evaluates to its repr; repr is the identity.
    assert_eq!(ok("fn g(x) = x;\nfn main() = repr(g);", &[]), 1000);
    assert_eq!(ok("fn g(x) = x;\nfn main() = repr(main);", &[]), 1001);
    assert_eq!(
        ok(
            "fn g(x) = x * 2;\nfn main(a) = eval(reflect(a), 21);",
            &[1000]
        ),
        42
    );
    assert_eq!(
        run("fn g(x) = x;\nfn main(a) = repr(reflect(a));", &[1002]),
        Err(Trap::ReflectUnknown { value: f(1002) })
    );
    // eval through a prog parameter, called like a function.
    let src = "fn sq(x) = x * x;\nfn ap(h: prog, x) = h(x) + 1;\nfn main(a) = ap(sq, a);";
    assert_eq!(ok(src, &[5]), 26);
    // eval of a non-repr value.
    let src = "fn g(x) = x;\nfn ap(h: prog) = h(1);\nfn main(a) = ap(reflect(a));";
    assert_eq!(run(src, &[1000]), Ok(f(1)));
    // Unknown repr reaches eval without reflect when a prog is passed around as p... via repr.
    let src = "fn g(x) = x;\nfn main(a) = eval(branch(a, g, g), 1);";
    assert_eq!(ok(src, &[1]), 1);
    // Wrong arity, direct and in tail position.
    let src = "fn g(x, y) = x;\nfn main(a) = 1 + eval(g, a);";
    let want = Trap::EvalArity {
        name: "g".into(),
        expected: 2,
        got: 1,
    };
    assert_eq!(run(src, &[3]), Err(want.clone()));
    let src = "fn g(x, y) = x;\nfn main(a) = eval(g, a);";
    assert_eq!(run(src, &[3]), Err(want));
    let src = "fn g(x, y) = x;\nfn main(a) = eval(g, a, a, a, a, a, a, a, a, a);";
    assert_eq!(
        run(src, &[3]),
        Err(Trap::EvalArity {
            name: "g".into(),
            expected: 2,
            got: 9
        })
    );
}

#[test]
fn eval_unknown() {
    // A prog parameter of main is whatever the input is.
    let src = "fn main(h: prog, x) = h(x);";
    assert_eq!(run(src, &[77, 1]), Err(Trap::EvalUnknown { value: f(77) }));
    let src = "fn main(h: prog, x) = 1 + h(x);";
    assert_eq!(run(src, &[77, 1]), Err(Trap::EvalUnknown { value: f(77) }));
    // main itself through eval.
    let src = "fn main(h: prog, x) = branch(x, 5, h(h, 0));";
    assert_eq!(ok(src, &[1000, 1]), 5);
}

#[test]
fn input_count() {
    assert_eq!(
        run("fn main(a, b) = a;", &[1]),
        Err(Trap::InputCount {
            expected: 2,
            got: 1
        })
    );
    assert_eq!(
        run("fn main() = 1;", &[1]),
        Err(Trap::InputCount {
            expected: 0,
            got: 1
        })
    );
}

const COUNT: &str =
    "fn count(n, acc) = branch(lt(0, n), count(n - 1, acc + 2), acc);\nfn main(n) = count(n, 0);";

#[test]
fn tail_calls_run_in_constant_space() {
    // A million steps with a depth limit of 10: only tail calls can do that.
    let tight = Limits {
        max_depth: 10,
        max_steps: None,
        ..Limits::default()
    };
    assert_eq!(run_with(COUNT, &[1_000_000], tight), Ok(f(2_000_000)));
    // Through let bodies and eval in tail position, mutually recursive.
    let src = "fn even(n) = let m = n in branch(lt(0, m), eval(odd, m - 1), 1);\n\
               fn odd(n) = branch(lt(0, n), even(n - 1), 0);\n\
               fn main(n) = even(n);";
    assert_eq!(run_with(src, &[1_000_001], tight), Ok(f(0)));
    assert_eq!(run_with(src, &[1_000_000], tight), Ok(f(1)));
}

const DEEP: &str = "fn sum(n) = branch(lt(0, n), n + sum(n - 1), 0);\nfn main(n) = sum(n);";

#[test]
fn deep_recursion_succeeds_under_the_limit() {
    assert_eq!(run(DEEP, &[50_000]), Ok(f(50_000 * 50_001 / 2)));
}

#[test]
fn deep_recursion_traps_at_the_limit() {
    assert_eq!(
        run(DEEP, &[200_000]),
        Err(Trap::DepthExceeded { limit: 100_000 })
    );
    // The limit counts frames; main tail-calls sum, so sum(n..=0) is n + 1 frames.
    let l = Limits {
        max_depth: 12,
        max_steps: None,
        ..Limits::default()
    };
    assert_eq!(run_with(DEEP, &[11], l), Ok(f(66)));
    assert_eq!(
        run_with(DEEP, &[12], l),
        Err(Trap::DepthExceeded { limit: 12 })
    );
    let l = Limits {
        max_depth: 1,
        max_steps: None,
        ..Limits::default()
    };
    assert_eq!(
        run_with("fn g() = 1;\nfn main() = g() + 1;", &[], l),
        Err(Trap::DepthExceeded { limit: 1 })
    );
    assert_eq!(run_with("fn g() = 1;\nfn main() = g();", &[], l), Ok(f(1)));
    let l = Limits {
        max_depth: 0,
        max_steps: None,
        ..Limits::default()
    };
    assert_eq!(
        run_with("fn main() = 1;", &[], l),
        Err(Trap::DepthExceeded { limit: 0 })
    );
}

#[test]
fn deep_recursion_through_eval_and_deep_expressions() {
    let src = "fn sum(n) = branch(lt(0, n), n + eval(sum, n - 1), 0);\nfn main(n) = sum(n);";
    assert_eq!(run(src, &[50_000]), Ok(f(50_000 * 50_001 / 2)));
    assert!(matches!(
        run(src, &[150_000]),
        Err(Trap::DepthExceeded { .. })
    ));
    // Deeply nested expressions around each recursive call.
    let mut body = "s(n - 1)".to_string();
    for _ in 0..150 {
        body = format!("(1 + {body})");
    }
    let src = format!("fn s(n) = branch(lt(0, n), {body}, 0);\nfn main(n) = s(n);");
    assert_eq!(run(&src, &[2_000]), Ok(f(2_000 * 150)));
    assert!(matches!(
        run(&src, &[200_000]),
        Err(Trap::DepthExceeded { .. })
    ));
}

#[test]
fn step_limit() {
    let l = Limits {
        max_depth: 100,
        max_steps: Some(1_000),
        ..Limits::default()
    };
    assert!(matches!(
        run_with(COUNT, &[10_000], l),
        Err(Trap::StepsExceeded { limit: 1_000 })
    ));
    assert_eq!(run_with(COUNT, &[10], l), Ok(f(20)));
    let l = Limits {
        max_depth: 100,
        max_steps: Some(0),
        ..Limits::default()
    };
    assert!(matches!(
        run_with("fn main() = 1;", &[], l),
        Err(Trap::StepsExceeded { .. })
    ));
    // Infinite tail loop: bounded by steps.
    let l = Limits {
        max_depth: 100,
        max_steps: Some(100_000),
        ..Limits::default()
    };
    assert!(matches!(
        run_with("fn main() = main();", &[], l),
        Err(Trap::StepsExceeded { .. })
    ));
}

#[test]
fn trap_inside_recursion_unwinds() {
    // The trap happens 1000 calls deep; outer frames must not keep computing.
    let src =
        "fn r(n) = branch(lt(0, n), 1 + r(n - 1), branch(5, 0, 0));\nfn main(n) = r(n) + r(n);";
    assert_eq!(
        run(src, &[1000]),
        Err(Trap::BranchCondition { value: f(5) })
    );
}

#[test]
fn big_frames() {
    // More than 64 slots: the heap-frame path.
    let mut body = "x0".to_string();
    let mut src = String::from("fn big(a) = ");
    for i in 0..70 {
        src.push_str(&format!("let x{i} = a + {i} in "));
        if i > 0 {
            body = format!("{body} + x{i}");
        }
    }
    src.push_str(&format!("{body};\nfn main(a) = big(a) + big(a + 1);"));
    let want: u64 = (0..70).map(|i| i as u64).sum::<u64>() * 2 + 70 * 3;
    assert_eq!(ok(&src, &[1]), want);
}

#[test]
fn closure_program_reruns() {
    let m = resvm_lang::compile(COUNT).expect("checks");
    let p = closure::compile(&m, &reprs(m.functions.len()));
    for n in [0, 1, 5] {
        assert_eq!(p.run(&[f(n)], &Limits::default()), Ok(f(2 * n)));
    }
}

#[test]
fn self_tail_loops() {
    // Bodies `branch(lt(..), self(..), y)` in either arm order, with every argument shape the
    // loop specialises (affine forms, constants, other slots, nested calls) and the rest.
    let srcs = [
        "fn lp(i, n, acc) = branch(lt(i, n), lp(i + 1, n, acc * 7 + i), acc);\nfn main(n) = lp(0, n, 1);",
        "fn lp(i, n, acc) = branch(lt(n, i + 0), acc, lp(1 + i, n, i + acc * 7));\nfn main(n) = lp(0, n, 1);",
        "fn lp(i, n, a, b) = branch(lt(i, 9), lp(i * 2 + 1, n, b, 3 * a - 1), a + b + n);\nfn main(n) = lp(n, n, 2, 5);",
        "fn lp(i, n, a, b) = branch(lt(3, i), lp(i - 1, n, a * 5, 4), a - b);\nfn main(n) = lp(n, n, 1, 0);",
        "fn g(x) = x * x;\nfn lp(i, n, a) = branch(lt(i * 1, n + 1), lp(i + 1, n, a + g(i)), a);\nfn main(n) = lp(0, n, 0);",
        "fn lp(i, n, a, b, c, d) = branch(lt(i, n), lp(i + 1, n, b, c, d, a * b + c), a + b + c + d);\nfn main(n) = lp(0, n, 1, 2, 3, 4);",
        "fn lp(i, n, a) = branch(lt(i, n), lp(i + 1, n, a ^ 3 + 2 * a * i), a);\nfn main(n) = lp(0, n, 2);",
        "fn lp(i, n, a) = branch(lt(i, n), lp(i + 1, n, a + branch(lt(i, 5), 0, 3)), a);\nfn main(n) = lp(0, n, 0);",
    ];
    for src in srcs {
        for n in [0, 1, 2, 5, 10, 37] {
            let _ = run(src, &[n]).unwrap_or_else(|t| panic!("{t}: {src}"));
            // Exact step accounting: every budget around the needed one.
            for steps in 0..(n + 8) {
                let l = Limits {
                    max_depth: 100,
                    max_steps: Some(steps),
                    ..Limits::default()
                };
                let want = tree::run(
                    &resvm_lang::compile(src).expect("checks"),
                    &reprs(src.matches("fn ").count()),
                    &[f(n)],
                    &l,
                );
                assert_eq!(run_with(src, &[n], l), want, "{src} n={n} steps={steps}");
            }
        }
    }
    // A trap in an argument ends the loop with that trap, not a step-limit one.
    let src = "fn lp(i, n, a) = branch(lt(i, n), lp(i + 1, n, branch(lt(i, 3), a, 7)), a);\nfn main(n) = lp(0, n, 0);";
    assert_eq!(run(src, &[10]), Ok(f(7)));
    let src = "fn lp(i, n, a) = branch(lt(i, n), lp(i + 1, n, a + repr(reflect(branch(lt(i, 5), 1000, i)))), a);\nfn main(n) = lp(0, n, 0);";
    assert_eq!(run(src, &[10]), Err(Trap::ReflectUnknown { value: f(5) }));
    assert_eq!(run(src, &[5]), Ok(f(5000)));
    let l = Limits {
        max_depth: 100,
        max_steps: Some(3),
        ..Limits::default()
    };
    assert_eq!(
        run_with(src, &[10], l),
        Err(Trap::StepsExceeded { limit: 3 })
    );
    // Infinite self loop with no changed argument: bounded by steps.
    let l = Limits {
        max_depth: 100,
        max_steps: Some(1_000),
        ..Limits::default()
    };
    let src = "fn lp(i, n) = branch(lt(i, n), lp(i, n), 0);\nfn main(n) = lp(0, n);";
    assert_eq!(
        run_with(src, &[1], l),
        Err(Trap::StepsExceeded { limit: 1_000 })
    );
}
