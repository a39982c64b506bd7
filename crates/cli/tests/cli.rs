//! End-to-end tests of the `resvm` binary: the command names, flags and printed formats are
//! contracts.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn resvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_resvm"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("binary runs")
}

fn stdout_ok(args: &[&str]) -> String {
    let o = resvm(args);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

fn temp_program(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("resvm-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn run_prints_b_alone() {
    assert_eq!(stdout_ok(&["run", "examples/min.rvm", "7", "5"]), "5\n");
}

#[test]
fn all_engines_agree_on_the_examples() {
    let cases: &[(&str, &[&str])] = &[
        ("examples/min.rvm", &["7", "5"]),
        ("examples/min.rvm", &["18446744069414584320", "1"]),
        ("examples/poly.rvm", &["3", "4"]),
        ("examples/factored.rvm", &["5", "2", "1"]),
        ("examples/let.rvm", &["9"]),
        ("examples/fib.rvm", &["90"]),
        ("examples/fib_rec.rvm", &["15"]),
        ("examples/reflect.rvm", &["0", "3"]),
        ("examples/reflect.rvm", &["1", "3"]),
        ("examples/apply.rvm", &["5"]),
        ("examples/secret.rvm", &["10", "2"]),
        ("examples/power.rvm", &["2", "3"]),
        ("examples/eval_loop.rvm", &["1000"]),
    ];
    for (file, args) in cases {
        let mut outs = Vec::new();
        for e in ["closure", "stack", "tree"] {
            let mut a = vec!["run", "--engine", e, file];
            a.extend_from_slice(args);
            outs.push(stdout_ok(&a));
        }
        assert!(
            outs.iter().all(|o| o == &outs[0]),
            "{file} {args:?}: {outs:?}"
        );
    }
    assert_eq!(
        stdout_ok(&["run", "examples/fib.rvm", "90"]),
        "2880067194370816120\n"
    );
    assert_eq!(
        stdout_ok(&["run", "examples/reflect.rvm", "1", "3"]),
        "27\n"
    );
}

#[test]
fn canon_prints_flint_format() {
    assert_eq!(
        stdout_ok(&["compile", "--emit", "canon", "examples/poly.rvm"]),
        "x^2*y + 18446744069414584320*y + 5\n"
    );
    let zero = temp_program("zero.rvm", "fn main(x) = x - x;");
    assert_eq!(
        stdout_ok(&["compile", "--emit", "canon", zero.to_str().unwrap()]),
        "0\n"
    );
}

#[test]
fn factor_prints_the_factorization() {
    assert_eq!(
        stdout_ok(&["compile", "--emit", "factor", "examples/factored.rvm"]),
        "3 * (a + 18446744069414584320*b)^2 * (a*b + c + 1)\n"
    );
}

#[test]
fn dag_and_asm_are_printed() {
    let dag = stdout_ok(&["compile", "--emit", "dag", "examples/fib.rvm"]);
    assert!(dag.contains("branch"), "{dag}");
    let asm = stdout_ok(&["compile", "--emit", "asm", "examples/fib.rvm"]);
    assert!(asm.contains("TAILCALL"), "{asm}");
    assert!(asm.contains("COMPARE"), "{asm}");
}

#[test]
fn compile_errors_have_file_line_col_and_caret() {
    let p = temp_program("bad.rvm", "fn main(x) =\n  x + yy;\n");
    let o = resvm(&["run", p.to_str().unwrap(), "1"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown name `yy`"), "{err}");
    assert!(err.contains("bad.rvm:2:7"), "{err}");
    assert!(err.contains("  |       ^^"), "{err}");
    let big = temp_program("big.rvm", "fn main() = 18446744069414584321;");
    let o = resvm(&["run", big.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("big.rvm:1:13"));
}

#[test]
fn runtime_and_input_errors_exit_non_zero() {
    let o = resvm(&["run", "examples/errors.rvm", "2"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("branch condition must be 0 or 1"));
    assert!(o.stdout.is_empty());
    for bad in [
        vec!["run", "examples/min.rvm", "1"],
        vec!["run", "examples/min.rvm", "x", "1"],
    ] {
        let o = resvm(&bad);
        assert!(!o.status.success(), "{bad:?}");
    }
    let o = resvm(&["run", "examples/min.rvm", "18446744069414584321", "1"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not below p"));
    let o = resvm(&["run", "no/such/file.rvm"]);
    assert!(!o.status.success());
}

#[test]
fn million_step_tail_loop_runs_on_stack_and_closure() {
    for e in ["stack", "closure"] {
        let out = stdout_ok(&["run", "--engine", e, "examples/fib.rvm", "1000000"]);
        assert!(!out.trim().is_empty());
        // Tail calls through `eval` of a reflected program, with a small depth limit: only
        // constant-space tail calls can pass.
        let out = stdout_ok(&[
            "run",
            "--engine",
            e,
            "--max-depth",
            "50",
            "examples/eval_loop.rvm",
            "1000000",
        ]);
        assert_eq!(out, "500000500000\n");
    }
}

#[test]
fn deep_recursion_is_a_clear_error() {
    let p = temp_program(
        "deep.rvm",
        "fn down(n) = branch(lt(0, n), 1 + down(n - 1), 0);\nfn main(n) = down(n);",
    );
    for e in ["stack", "closure", "tree"] {
        let o = resvm(&[
            "run",
            "--engine",
            e,
            "--max-depth",
            "1000",
            p.to_str().unwrap(),
            "5000",
        ]);
        assert!(!o.status.success(), "{e}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("recursion deeper"),
            "{e}"
        );
        assert_eq!(
            stdout_ok(&["run", "--engine", e, p.to_str().unwrap(), "500"]),
            "500\n"
        );
    }
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["compile", "--help"],
        vec!["bench", "--help"],
    ] {
        assert!(resvm(&sub).status.success(), "{sub:?}");
    }
}

#[test]
fn bench_suites_run_in_quick_mode() {
    let out = stdout_ok(&["bench", "exec", "--quick"]);
    for needle in [
        "closure/native",
        "tree/closure",
        "stack/native",
        "fib",
        "loop",
        "poly",
    ] {
        assert!(out.contains(needle), "missing {needle}: {out}");
    }
    assert!(!out.contains("error"), "{out}");
    let out = stdout_ok(&["bench", "factor", "--no-flint", "--runs", "1"]);
    assert!(out.contains("total"), "{out}");
}

#[test]
fn prove_and_verify_end_to_end() {
    let dir = std::env::temp_dir().join(format!("resvm-cli-prove-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let proof = dir.join("secret.proof");
    let p = proof.to_str().unwrap();
    // w = 2 is secret: 2^3 + 2 = 10.
    assert_eq!(
        stdout_ok(&["prove", "examples/secret.rvm", "10", "2", "-o", p]),
        "0\n"
    );
    let out = stdout_ok(&["verify", "examples/secret.rvm", p]);
    assert!(out.starts_with("valid\n"), "{out}");
    assert!(out.contains("x0=10"), "{out}");
    assert!(out.contains("output: 0"), "{out}");
    assert!(
        !out.contains("x1="),
        "the secret input must not be listed: {out}"
    );
    // Another program does not accept this proof.
    let o = resvm(&["verify", "examples/min.rvm", p]);
    assert!(!o.status.success());
    // Corrupted and truncated proofs are rejected with an error, not a crash.
    let bytes = std::fs::read(&proof).expect("read");
    let mut bad = bytes.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    let badp = dir.join("bad.proof");
    std::fs::write(&badp, &bad).expect("write");
    let o = resvm(&["verify", "examples/secret.rvm", badp.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("error"));
    std::fs::write(&badp, &bytes[..bytes.len() - 7]).expect("write");
    assert!(
        !resvm(&["verify", "examples/secret.rvm", badp.to_str().unwrap()])
            .status
            .success()
    );
    // --json prints a machine-readable summary.
    let json = stdout_ok(&[
        "prove",
        "--json",
        "--security",
        "test",
        "examples/fib.rvm",
        "20",
        "-o",
        p,
    ]);
    assert!(
        json.trim_start().starts_with('{') && json.contains("cycles"),
        "{json}"
    );
    // Test-parameter proofs are refused unless explicitly allowed.
    assert!(!resvm(&["verify", "examples/fib.rvm", p]).status.success());
    assert!(stdout_ok(&["verify", "--allow-test", "examples/fib.rvm", p]).starts_with("valid"));
}
