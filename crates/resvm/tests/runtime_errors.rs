//! Runtime errors name the function and the source span where they happened, with the call
//! sites of the active calls (innermost first).

use resvm::{Engine, Limits, Trap, F};

const SRC: &str = "fn f(x) = branch(x, 1, 2);\nfn g(x) = 1 + f(x);\nfn main(x) = g(x) * 2;\n";

#[test]
fn trap_is_located_with_a_backtrace() {
    let c = resvm::compile(SRC).expect("compiles");
    let e = resvm::run_located(&c, &[F::new(7)], &Limits::default()).expect_err("traps");
    assert_eq!(e.trap, Trap::BranchCondition { value: F::new(7) });
    let (name, span) = c.locate(e.pc.expect("a pc")).expect("mapped");
    assert_eq!(name, "f");
    assert_eq!(&SRC[span.start..span.end], "branch(x, 1, 2)");
    let sites: Vec<(&str, &str)> = e
        .backtrace
        .iter()
        .map(|&pc| {
            let (f, s) = c.locate(pc).expect("mapped");
            (f, &SRC[s.start..s.end])
        })
        .collect();
    assert_eq!(sites, [("g", "f(x)"), ("main", "g(x)")]);
    let r = e.render(&c, "t.rvm", SRC);
    assert!(
        r.starts_with("error: branch condition must be 0 or 1, got 7\n --> t.rvm:1:11\n"),
        "{r}"
    );
    assert!(
        r.contains("1 | fn f(x) = branch(x, 1, 2);\n  |           ^^^^^^^^^^^^^^^\n"),
        "{r}"
    );
    assert!(
        r.contains("  = in `f`, called from:\n      g at t.rvm:2:15\n      main at t.rvm:3:14\n"),
        "{r}"
    );
    // Every engine reports the same trap; a good input runs normally.
    for engine in Engine::ALL {
        assert_eq!(
            resvm::run(&c, engine, &[F::new(7)], &Limits::default()),
            Err(e.trap.clone())
        );
    }
    assert_eq!(
        resvm::run_located(&c, &[F::new(1)], &Limits::default()).map(|o| o.output),
        Ok(F::new(6))
    );
}

#[test]
fn every_instruction_is_mapped_inside_the_source() {
    for src in [
        SRC,
        include_str!("../../../examples/fib_rec.rvm"),
        include_str!("../../../examples/reflect.rvm"),
    ] {
        let c = resvm::compile(src).expect("compiles");
        assert_eq!(c.source_map.len(), c.program.code().len());
        for pc in 0..c.program.code().len() as u32 {
            let (f, s) = c.locate(pc).expect("mapped");
            assert!(s.start <= s.end && s.end <= src.len(), "{f} {s:?}");
        }
        assert!(c.locate(c.program.code().len() as u32).is_none());
    }
}

#[test]
fn deep_recursion_shows_both_ends_of_the_backtrace() {
    let src = "fn r(n) = 1 + r(n + 1);\nfn main(x) = 2 * r(x);\n";
    let c = resvm::compile(src).expect("compiles");
    let limits = Limits {
        max_depth: 50,
        ..Limits::default()
    };
    let e = resvm::run_located(&c, &[F::new(0)], &limits).expect_err("traps");
    assert_eq!(e.trap, Trap::DepthExceeded { limit: 50 });
    let (name, span) = c.locate(e.pc.unwrap()).unwrap();
    assert_eq!((name, &src[span.start..span.end]), ("r", "r(n + 1)"));
    assert!(e.backtrace.len() >= 45, "{}", e.backtrace.len());
    let r = e.render(&c, "t.rvm", src);
    assert!(r.contains("more call(s) ..."), "{r}");
    assert!(r.trim_end().ends_with("main at t.rvm:2:18"), "{r}");
    // Wrong input counts have no location.
    let e = resvm::run_located(&c, &[], &limits).expect_err("traps");
    assert_eq!(e.pc, None);
    assert_eq!(
        e.render(&c, "t.rvm", src),
        "error: main takes 1 input(s), got 0\n"
    );
}
