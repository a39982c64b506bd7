//! Compilation is bounded by the input: large generated programs compile with a circuit no
//! costlier than the program as written, shallow trees for long chains, and limits that
//! end in a diagnostic with a span instead of exhausting time or memory. (Sizes and counts
//! are asserted, not times; `cargo bench -p resvm-circuit` measures the times.)

use resvm::{Engine, Limits, F};
use resvm_field::canonical;
use resvm_isa::Instr;

/// `(mul, add)` instructions of the image (`SUB` and `NEG` count as additions, fused forms
/// as the operation they contain).
fn arith(c: &resvm::Compiled) -> (usize, usize) {
    use Instr::*;
    let code = c.program.code();
    let m = code
        .iter()
        .filter(|i| matches!(i, Mul | MulSS(..) | MulSI(..)))
        .count();
    let a = code
        .iter()
        .filter(|i| {
            matches!(
                i,
                Add | Sub | Neg | AddSS(..) | SubSS(..) | AddSI(..) | SubSI(..) | RSubSI(..)
            )
        })
        .count();
    (m, a)
}

#[test]
fn the_circuit_never_costs_more_than_the_written_program() {
    // (source, bound on MUL + ADD of the chosen form)
    let cases = [
        ("fn main(x) = (x + 1) ^ 1000;", 16),
        ("fn main(a, b, c, d) = (a + b + c + d + 1) ^ 15;", 12),
        ("fn id(x) = x;\nfn main(x) = id(x + 1) ^ 1000;", 16),
        ("fn main(x, y) = let t = (x + y) ^ 40 in t * t - t;", 12),
    ];
    for (src, bound) in cases {
        let c = resvm::compile(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let s = c.circuit.stats;
        assert!(s.chosen.0 + s.chosen.1 <= bound, "{src}: {s:?}");
        assert!(
            s.chosen.0 + s.chosen.1 <= s.expanded.0 + s.expanded.1,
            "{src}: {s:?}"
        );
        // The statistics count exactly the arithmetic of the image.
        assert_eq!(arith(&c), s.chosen, "{src}");
    }
    // The printed canonical form is still the full expansion.
    let c = resvm::compile("fn main(x) = (x + 1) ^ 1000;").unwrap();
    assert_eq!(resvm::print_canon(&c).matches(" + ").count(), 1000);
    let s = resvm::compile("fn main(x) = (x + 1) ^ 1000;")
        .unwrap()
        .circuit
        .stats;
    assert_eq!(s.expanded, (999, 1000), "the expansion's Horner cost");
    // A power kept as a `pow` atom is counted too.
    let c = resvm::compile("fn main(x) = x ^ 18446744069414584320;").unwrap();
    assert!(resvm::print_canon(&c).contains("%0 = pow(x, 18446744069414584320)"));
    assert_eq!(c.circuit.stats.chosen, (94, 0));
    assert_eq!(arith(&c), (94, 0));
    let x = F::new(3);
    assert_eq!(
        resvm::run(&c, Engine::Stack, &[x], &Limits::default()),
        Ok(F::new(1))
    );
}

#[test]
fn a_long_sum_of_atoms_compiles_linearly() {
    let n = 20_000;
    let terms: Vec<String> = (0..n).map(|i| format!("lt(x, {i})")).collect();
    let src = format!("fn main(x) = {};", terms.join(" + "));
    assert!(src.len() > 200_000);
    let c = resvm::compile(&src).expect("compiles");
    let main = &c.canon.functions[c.canon.main as usize];
    assert_eq!(main.nvars, n + 1, "one variable per atom");
    assert_eq!(main.body.result.poly.num_terms(), n);
    assert_eq!(c.circuit.stats.chosen, (0, n - 1));
    let depth = c.module.main_function().body.depth();
    assert!(depth < 40, "balanced: depth {depth}");
    for e in Engine::ALL {
        let got = resvm::run(&c, e, &[F::new(500)], &Limits::default()).expect("runs");
        // lt(500, i) is 1 for i <= 500.
        assert_eq!(canonical(got), 501, "{}", e.name());
    }
}

#[test]
fn long_let_chains_compile_and_run_everywhere() {
    let n = 20_000;
    let lets: String = (0..n)
        .map(|i| format!("let a{} = a{i} * 3 + 1 in ", i + 1))
        .collect();
    let src = format!("fn main(a0) = {lets}branch(lt(a{n}, 5), a{n}, a{n} + 1);");
    let c = resvm::compile(&src).expect("compiles");
    let want = (0..n).fold(F::new(2), |a, _| a * F::new(3) + F::new(1));
    let want = if canonical(want) < 5 {
        want
    } else {
        want + F::new(1)
    };
    for e in Engine::ALL {
        assert_eq!(
            resvm::run(&c, e, &[F::new(2)], &Limits::default()),
            Ok(want),
            "{}",
            e.name()
        );
    }
    // Each step is one MUL and one ADD as written.
    assert!(
        c.circuit.stats.chosen.0 <= 2 * n + 2,
        "{:?}",
        c.circuit.stats
    );
}

#[test]
fn limits_are_diagnostics_with_spans() {
    // Nesting beyond the parser's bound.
    let deep = format!(
        "fn main(x) = {}x{};",
        "(".repeat(resvm_lang::MAX_NESTING + 1),
        ")".repeat(resvm_lang::MAX_NESTING + 1)
    );
    let e = resvm::compile(&deep).expect_err("too deep");
    let d = &e.diagnostics()[0];
    assert!(d.message.contains("nested deeper than"), "{}", d.message);
    assert!(d.span.end <= deep.len());
    // A canonical form quadratic in the source: every step compares the growing sum.
    let n = 1600;
    let lets: String = (0..n)
        .map(|i| {
            let lts: Vec<String> = (0..4).map(|k| format!("lt(a{i}, {k})")).collect();
            format!("let a{} = a{i} + {} in ", i + 1, lts.join(" + "))
        })
        .collect();
    let src = format!("fn main(a0) = {lets}a{n};");
    let e = resvm::compile(&src).expect_err("too large");
    let d = &e.diagnostics()[0];
    assert!(
        d.message.starts_with("canonical form too large"),
        "{}",
        d.message
    );
    let at = &src[d.span.start..d.span.end];
    assert!(at.starts_with("lt(a") || at.starts_with('a'), "{at:?}");
    let r = e.render("big.rvm", &src);
    assert!(
        r.contains("--> big.rvm:1:") && r.lines().nth(3).unwrap().len() < 200,
        "{r}"
    );
}

#[test]
fn several_source_errors_are_reported_at_once() {
    let src = "fn f(x) = x +;\nfn g(x) = x\nfn main(x) = x;";
    let e = resvm::compile(src).expect_err("fails");
    assert_eq!(e.diagnostics().len(), 2);
    let r = e.render("t.rvm", src);
    assert!(r.contains("t.rvm:1:14") && r.contains("t.rvm:2:12"), "{r}");
}
