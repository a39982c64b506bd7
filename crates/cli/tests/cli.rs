//! End-to-end tests of the `resvm` binary: the command names, flags, printed formats and exit
//! codes are contracts (0 ok, 1 program error, 2 usage error, 3 invalid proof, 4 I/O error).

mod common;

use common::{ok, resvm, resvm_stdin, root, stderr};
use std::path::PathBuf;
use std::process::Command;

const P: u64 = 18446744069414584321;

/// Asserts the exit code and that stderr contains `needle`; returns stderr.
fn fails(args: &[&str], code: i32, needle: &str) -> String {
    let o = resvm(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}: stderr {err}");
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

/// Under the build's own scratch directory (`target/tmp`), not the system's `/tmp`, where one
/// directory per run would pile up.
fn temp_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("resvm-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn temp_file(name: &str, text: &str) -> String {
    let p = temp_dir().join(name);
    std::fs::write(&p, text).expect("write");
    p.to_str().expect("utf-8 path").to_string()
}

/// `examples/digest.rvm`: the root (4 elements) of leaf 42 under siblings (1, 2, 3, 4) with
/// bit 1 and (5, 6, 7, 8) with bit 0, then the secret leaf value, path and bits. (The root is
/// recomputed natively with `resvm_field::merge` in `crates/prover/tests/digest.rs`.)
const DIGEST_PATH: [&str; 15] = [
    "17253281879595416348",
    "1918130842255587007",
    "6759448289651759571",
    "15150932947097635602",
    "42",
    "1",
    "2",
    "3",
    "4",
    "1",
    "5",
    "6",
    "7",
    "8",
    "0",
];
const DIGEST_WRONG_LEAF: [&str; 15] = [
    "17253281879595416348",
    "1918130842255587007",
    "6759448289651759571",
    "15150932947097635602",
    "43",
    "1",
    "2",
    "3",
    "4",
    "1",
    "5",
    "6",
    "7",
    "8",
    "0",
];
const DIGEST_BAD_BIT: [&str; 15] = [
    "17253281879595416348",
    "1918130842255587007",
    "6759448289651759571",
    "15150932947097635602",
    "42",
    "1",
    "2",
    "3",
    "4",
    "2",
    "5",
    "6",
    "7",
    "8",
    "0",
];

/// Every example, its inputs and its expected output on every engine (`Err(needle)`: a
/// runtime error, exit 1, whose message contains the needle).
const EXAMPLES: &[(&str, &[&str], Result<&str, &str>)] = &[
    ("apply.rvm", &["5"], Ok("19")),
    ("digest.rvm", &DIGEST_PATH, Ok("1")),
    ("digest.rvm", &DIGEST_WRONG_LEAF, Ok("0")),
    (
        "digest.rvm",
        &DIGEST_BAD_BIT,
        Err("merkle direction must be 0 or 1, got 2"),
    ),
    ("errors.rvm", &["0"], Ok("42")),
    ("errors.rvm", &["1"], Ok("7")),
    (
        "errors.rvm",
        &["2"],
        Err("branch condition must be 0 or 1, got 2"),
    ),
    ("eval_loop.rvm", &["1000"], Ok("500500")),
    ("factored.rvm", &["5", "2", "1"], Ok("324")),
    ("fib.rvm", &["0"], Ok("0")),
    ("fib.rvm", &["20"], Ok("6765")),
    ("fib.rvm", &["90"], Ok("2880067194370816120")),
    ("fib_rec.rvm", &["0"], Ok("0")),
    ("fib_rec.rvm", &["1"], Ok("1")),
    ("fib_rec.rvm", &["20"], Ok("6765")),
    ("let.rvm", &["9"], Ok("6642")),
    ("min.rvm", &["7", "5"], Ok("5")),
    ("min.rvm", &["5", "7"], Ok("5")),
    ("min.rvm", &["18446744069414584320", "1"], Ok("1")),
    ("poly.rvm", &["3", "4"], Ok("37")),
    ("power.rvm", &["2", "3"], Ok("18446744069414584305")),
    ("reflect.rvm", &["0", "3"], Ok("9")),
    ("reflect.rvm", &["1", "3"], Ok("27")),
    ("secret.rvm", &["10", "2"], Ok("0")),
    ("secret.rvm", &["10", "3"], Ok("1")),
];

#[test]
fn every_example_has_its_expected_output_on_every_engine() {
    for (file, args, want) in EXAMPLES {
        let path = format!("examples/{file}");
        for e in ["closure", "stack", "tree"] {
            let mut a = vec!["run", "--engine", e, &path];
            a.extend_from_slice(args);
            match want {
                Ok(v) => assert_eq!(ok(&a), format!("{v}\n"), "{a:?}"),
                Err(needle) => {
                    fails(&a, 1, needle);
                }
            }
        }
    }
    // The table covers every example: a new example needs an expected output here.
    let mut files: Vec<String> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".rvm"))
        .collect();
    files.sort();
    for f in &files {
        assert!(
            EXAMPLES.iter().any(|(n, _, _)| n == f),
            "examples/{f} has no expected output in EXAMPLES"
        );
    }
    assert!(files.len() >= 12, "{files:?}");
}

#[test]
fn digest_inputs_from_the_command_line_and_json() {
    let root: Vec<u64> = DIGEST_PATH[..4]
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    // `Digest::to_hex`: each element's 8 little-endian bytes.
    let hex: String = root
        .iter()
        .map(|v| format!("{:016x}", v.swap_bytes()))
        .collect();
    let secrets = r#""v": "42", "s0": ["1", "2", "3", "4"], "e0": "1", "s1": ["5", "6", "7", "8"], "e1": "0""#;
    for root_json in [
        format!("\"{hex}\""),
        format!("{:?}", DIGEST_PATH[..4].to_vec()),
    ] {
        let j = temp_file(
            "digest.json",
            &format!("{{\"root\": {root_json}, {secrets}}}"),
        );
        assert_eq!(
            ok(&["run", "--inputs", &j, "examples/digest.rvm"]),
            "1\n",
            "{root_json}"
        );
    }
    let bad = |root_json: &str, needle: &str| {
        let j = temp_file(
            "digest.json",
            &format!("{{\"root\": {root_json}, {secrets}}}"),
        );
        fails(&["run", "--inputs", &j, "examples/digest.rvm"], 2, needle);
    };
    bad(r#""abc""#, "`root` is a digest: expected 64 hex digits");
    bad(r#"["1", "2", "3"]"#, "an array of 4 values");
    bad(r#"["1", "2", "3", 4]"#, "`root`[3] must be a string");
    bad(&format!("\"{}\"", "f".repeat(64)), "expected 64 hex digits");
    fails(
        &["run", "examples/digest.rvm", "1"],
        2,
        "main takes 15 inputs (root: d, secret v, secret s0: d, secret e0, secret s1: d, secret e1; a `d` parameter takes 4), got 1",
    );
    // The stages print the Merkle levels readably.
    let canon = ok(&["compile", "--emit", "canon", "examples/digest.rvm"]);
    assert!(
        canon.contains("(%0, %1, %2, %3) = merkle(0, 0, 0, 0; v, 0, 0, 0; 1)"),
        "{canon}"
    );
    assert!(
        canon.contains("= merkle(%0, %1, %2, %3; s0.0, s0.1, s0.2, s0.3; e0)"),
        "{canon}"
    );
    let dag = ok(&["compile", "--emit", "dag", "examples/digest.rvm"]);
    assert!(dag.contains(" = merkle v") && dag.contains(".3\n"), "{dag}");
    let asm = ok(&["compile", "--emit", "asm", "examples/digest.rvm"]);
    assert_eq!(asm.matches("  HASH ").count(), 3, "{asm}");
}

#[test]
fn canon_prints_flint_format() {
    assert_eq!(
        ok(&["compile", "--emit", "canon", "examples/poly.rvm"]),
        "x^2*y + 18446744069414584320*y + 5\n"
    );
    let zero = temp_file("zero.rvm", "fn main(x) = x - x;");
    assert_eq!(ok(&["compile", "--emit", "canon", &zero]), "0\n");
}

#[test]
fn factor_prints_the_factorization() {
    assert_eq!(
        ok(&["compile", "--emit", "factor", "examples/factored.rvm"]),
        "3 * (a + 18446744069414584320*b)^2 * (a*b + c + 1)\n"
    );
}

#[test]
fn dag_and_asm_are_printed() {
    let dag = ok(&["compile", "--emit", "dag", "examples/fib.rvm"]);
    assert!(dag.contains("branch"), "{dag}");
    let asm = ok(&["compile", "--emit", "asm", "examples/fib.rvm"]);
    // The loop iteration, fused (docs/isa.md "Fused instructions").
    for op in [
        "BRZS 9 0",
        "ADDSS 2 1",
        "INCS 0 -1",
        "MOVS 1 2",
        "STAILCALL 0 2",
    ] {
        assert!(asm.contains(op), "{op}: {asm}");
    }
}

#[test]
fn digest_and_check() {
    let d = ok(&["digest", "examples/min.rvm"]);
    assert_eq!(d.trim().len(), 64, "{d}");
    assert!(d.trim().chars().all(|c| c.is_ascii_hexdigit()), "{d}");
    assert_eq!(ok(&["compile", "--emit", "digest", "examples/min.rvm"]), d);
    assert_ne!(ok(&["digest", "examples/fib.rvm"]), d);
    // Renaming nothing that decides what runs keeps the digest; comments do not matter.
    let same = temp_file("min2.rvm", "fn main(a, b) = branch(lt(a, b), a, b);");
    assert_eq!(ok(&["digest", &same]), d);
    assert_eq!(ok(&["check", "examples/reflect.rvm"]), "ok\n");
    let bad = temp_file("badtype.rvm", "fn f(x) = x;\nfn main(x) = f + 1;");
    let o = resvm(&["check", &bad]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("badtype.rvm:2:"), "{}", stderr(&o));
}

#[test]
fn compile_errors_have_file_line_col_and_caret() {
    let p = temp_file("bad.rvm", "fn main(x) =\n  x + yy;\n");
    let err = fails(&["run", &p, "1"], 1, "unknown name `yy`");
    assert!(err.starts_with("error: unknown name"), "{err}");
    assert!(err.contains("bad.rvm:2:7"), "{err}");
    assert!(err.contains("  |       ^^"), "{err}");
    let big = temp_file("big.rvm", "fn main() = 18446744069414584321;");
    fails(&["run", &big], 1, "big.rvm:1:13");
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let p = temp_file("bom.rvm", "\u{feff}fn main(x) = x + 1;");
    assert_eq!(ok(&["run", &p, "41"]), "42\n");
}

#[test]
fn exit_codes_are_documented_and_distinct() {
    // 1: runtime trap and compile error; nothing on stdout.
    let o = resvm(&["run", "examples/errors.rvm", "2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    // 2: usage errors, ours and clap's.
    fails(
        &["run", "examples/min.rvm", "x", "1"],
        2,
        "input 0 (`x`) is not a number",
    );
    fails(
        &["run", "examples/min.rvm", "18446744069414584321", "1"],
        2,
        "not below p",
    );
    fails(&["run", "--no-such-flag", "examples/min.rvm"], 2, "");
    fails(
        &["run", "--engine", "jit", "examples/min.rvm", "1", "2"],
        2,
        "",
    );
    // 4: I/O.
    fails(
        &["run", "no/such/file.rvm"],
        4,
        "cannot read no/such/file.rvm",
    );
    fails(
        &["run", "--inputs", "no/such.json", "examples/min.rvm"],
        4,
        "cannot read no/such.json",
    );
    // The codes are in --help.
    let help = ok(&["--help"]);
    for needle in [
        "0 ok",
        "1 program error",
        "2 usage error",
        "3 invalid proof",
        "4 I/O error",
    ] {
        assert!(help.contains(needle), "{help}");
    }
}

#[test]
fn wrong_input_count_names_the_parameters_in_run_and_prove() {
    let want = "error: main takes 2 inputs (x, secret w), got 1\n";
    let o = resvm(&["run", "examples/secret.rvm", "10"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), want);
    let out = temp_dir().join("count.proof");
    let o = resvm(&[
        "prove",
        "--security",
        "test",
        "examples/secret.rvm",
        "10",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), want);
    assert!(!out.exists(), "no proof file for a usage error");
    fails(
        &["run", "examples/min.rvm"],
        2,
        "main takes 2 inputs (a, b), got 0",
    );
    let one = temp_file("one.rvm", "fn main(n) = n;");
    fails(&["run", &one, "1", "2"], 2, "main takes 1 input (n), got 2");
}

#[test]
fn inputs_negative_hex_and_plus() {
    // -1 is p - 1; 0x hex; both the same value as the decimal.
    assert_eq!(ok(&["run", "examples/min.rvm", "-1", "3"]), "3\n");
    let p1 = (P - 1).to_string();
    let one = temp_file("id.rvm", "fn main(x) = x;");
    assert_eq!(ok(&["run", &one, "-1"]), format!("{p1}\n"));
    assert_eq!(ok(&["run", &one, "0xff"]), "255\n");
    assert_eq!(ok(&["run", &one, "0XFFFFFFFF00000000"]), format!("{p1}\n"));
    assert_eq!(ok(&["run", &one, "--", "-0x2"]), format!("{}\n", P - 2));
    assert_eq!(ok(&["run", &one, "-0"]), "0\n");
    fails(&["run", &one, "+5"], 2, "leading `+`");
    fails(&["run", &one, &format!("-{P}")], 2, "not below p");
    fails(&["run", &one, "0x"], 2, "is not a number");
}

#[test]
fn inputs_from_json_files_and_stdin() {
    let j = temp_file("in.json", r#"{"b": "5", "a": "7"}"#);
    assert_eq!(ok(&["run", "--inputs", &j, "examples/min.rvm"]), "5\n");
    let o = resvm_stdin(
        &["run", "--inputs", "-", "examples/min.rvm"],
        r#"{"a": "-1", "b": "0x10"}"#,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "16\n");
    // The program itself on stdin.
    let o = resvm_stdin(&["run", "-", "6", "7"], "fn main(x, y) = x * y;");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "42\n");
    let o = resvm_stdin(&["run", "-", "1"], "fn main(x) = x + zz;");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("<stdin>:1:18"), "{}", stderr(&o));
    let o = resvm_stdin(&["run", "--inputs", "-", "-"], "fn main() = 1;");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Bad objects are usage errors that say what is wrong.
    let bad = |name: &str, text: &str, needle: &str| {
        let f = temp_file(name, text);
        fails(&["run", "--inputs", &f, "examples/min.rvm"], 2, needle);
    };
    bad("missing.json", r#"{"a": "1"}"#, "missing b");
    bad(
        "extra.json",
        r#"{"a": "1", "b": "2", "c": "3"}"#,
        "`c` is not one of the parameters",
    );
    bad("number.json", r#"{"a": 1, "b": "2"}"#, "must be a string");
    bad(
        "twice.json",
        r#"{"a": "1", "a": "2", "b": "3"}"#,
        "given twice",
    );
    bad("syntax.json", r#"{"a": "1", "#, "not a JSON object");
    bad("plus.json", r#"{"a": "+1", "b": "2"}"#, "leading `+`");
    // --inputs and positional inputs together.
    fails(
        &["run", "--inputs", &j, "examples/min.rvm", "1", "2"],
        2,
        "",
    );
}

#[test]
fn stats_and_step_limits_mean_the_same_on_every_engine() {
    for e in ["closure", "stack", "tree"] {
        // fib(1000): main + 1001 entries of fib = 1002 steps, well under 5000.
        let o = resvm(&[
            "run",
            "--engine",
            e,
            "--stats",
            "--max-steps",
            "5000",
            "examples/fib.rvm",
            "1000",
        ]);
        assert!(o.status.success(), "{e}: {}", stderr(&o));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "16245143635561662896\n",
            "{e}"
        );
        let err = stderr(&o);
        assert!(err.contains(&format!("engine: {e}\n")), "{err}");
        assert!(err.contains("steps: 1002\n"), "{e}: {err}");
        assert!(err.contains("time: "), "{err}");
        assert_eq!(err.contains("cycles: "), e == "stack", "{err}");
        // One step short traps on every engine, the same way.
        fails(
            &[
                "run",
                "--engine",
                e,
                "--max-steps",
                "1001",
                "examples/fib.rvm",
                "1000",
            ],
            1,
            "step limit of 1001 exceeded",
        );
        assert_eq!(
            ok(&[
                "run",
                "--engine",
                e,
                "--max-steps",
                "1002",
                "examples/fib.rvm",
                "1000"
            ]),
            "16245143635561662896\n"
        );
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    // Enough output to fill a pipe: 3000 small functions in the listing.
    let src: String = (0..3000)
        .map(|i| format!("fn f{i}(x) = x * x + {i};\n"))
        .chain(["fn main(x) = f1(x);\n".into()])
        .collect();
    let big = temp_file("many.rvm", &src);
    let bin = env!("CARGO_BIN_EXE_resvm");
    for cmd in [
        format!("'{bin}' compile --emit asm '{big}' | head -c 10 >/dev/null"),
        format!("'{bin}' compile --emit canon examples/poly.rvm | true"),
        format!("'{bin}' run examples/fib.rvm 10 | true"),
    ] {
        let o = Command::new("bash")
            .arg("-c")
            .arg(format!("set -o pipefail; {cmd}"))
            .current_dir(root())
            .output()
            .expect("bash runs");
        assert!(o.status.success(), "{cmd}: {:?} {}", o.status, stderr(&o));
        assert_eq!(stderr(&o), "", "{cmd}");
    }
}

#[test]
fn million_step_tail_loop_runs_on_stack_and_closure() {
    for e in ["stack", "closure"] {
        let out = ok(&["run", "--engine", e, "examples/fib.rvm", "1000000"]);
        assert!(!out.trim().is_empty());
        // Tail calls through `eval` of a reflected program, with a small depth limit: only
        // constant-space tail calls can pass.
        let out = ok(&[
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
    let p = temp_file(
        "deep.rvm",
        "fn down(n) = branch(lt(0, n), 1 + down(n - 1), 0);\nfn main(n) = down(n);",
    );
    for e in ["stack", "closure", "tree"] {
        fails(
            &["run", "--engine", e, "--max-depth", "1000", &p, "5000"],
            1,
            "recursion deeper",
        );
        assert_eq!(ok(&["run", "--engine", e, &p, "500"]), "500\n");
    }
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "run", "compile", "check", "digest", "prove", "verify", "bench",
    ] {
        let h = ok(&[sub, "--help"]);
        assert!(h.contains("Usage"), "{sub}: {h}");
    }
}

#[test]
fn bench_suites_run_in_quick_mode() {
    let out = ok(&["bench", "exec", "--quick"]);
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
    let out = ok(&["bench", "factor", "--no-flint", "--runs", "1"]);
    assert!(out.contains("total"), "{out}");
    fails(&["bench", "exec", "--samples", "0"], 2, "--samples");
    fails(
        &["bench", "factor", "--no-flint", "--runs", "0"],
        2,
        "--runs",
    );
}

#[test]
fn prove_checks_the_output_path_first() {
    let o = resvm(&[
        "prove",
        "--security",
        "test",
        "examples/fib.rvm",
        "5",
        "-o",
        "/no/such/dir/x.proof",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write /no/such/dir/x.proof"),
        "{}",
        stderr(&o)
    );
    // Its own directory: other tests prove into the shared one concurrently.
    let dir = temp_dir().join("outpath");
    std::fs::create_dir_all(&dir).expect("dir");
    let o = resvm(&[
        "prove",
        "--security",
        "test",
        "examples/fib.rvm",
        "5",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    // A trap while proving is a program error and leaves no file behind.
    let out = dir.join("trap.proof");
    let o = resvm(&[
        "prove",
        "--security",
        "test",
        "examples/errors.rvm",
        "2",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".resvm-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The cycle limit (the recorded trace's size) applies while proving.
    let o = resvm(&[
        "prove",
        "--security",
        "test",
        "--max-cycles",
        "100",
        "examples/fib.rvm",
        "100",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cycle limit of 100 exceeded"),
        "{}",
        stderr(&o)
    );
    // The step limit applies while proving.
    let o = resvm(&[
        "prove",
        "--security",
        "test",
        "--max-steps",
        "10",
        "examples/fib.rvm",
        "100",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("step limit of 10 exceeded"),
        "{}",
        stderr(&o)
    );
    let o = resvm(&[
        "prove",
        "--security",
        "test",
        "--max-depth",
        "3",
        "examples/fib_rec.rvm",
        "10",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("recursion deeper than the limit of 3"),
        "{}",
        stderr(&o)
    );
}

/// The standard parameters end to end: prove with a secret, verify against the expected
/// public inputs and output.
#[test]
fn prove_and_verify_end_to_end_with_standard_parameters() {
    let dir = temp_dir();
    let proof = dir.join("secret.proof");
    let p = proof.to_str().unwrap();
    // w = 2 is secret: 2^3 + 2 = 10.
    assert_eq!(
        ok(&["prove", "examples/secret.rvm", "10", "2", "-o", p]),
        "0\n"
    );
    let digest = ok(&["digest", "examples/secret.rvm"]);
    let out = ok(&["verify", "examples/secret.rvm", p]);
    assert!(out.starts_with("valid\n"), "{out}");
    assert!(
        out.contains(&format!("program: {}", digest.trim())),
        "{out}"
    );
    assert!(out.contains("security: standard ("), "{out}");
    assert!(out.contains(" bits"), "{out}");
    assert!(out.contains("public inputs (claimed): x=10\n"), "{out}");
    assert!(out.contains("output (claimed): 0\n"), "{out}");
    assert!(
        !out.contains("w="),
        "the secret input must not be listed: {out}"
    );
    let inputs = temp_file("public.json", r#"{"x": "10"}"#);
    let out = ok(&[
        "verify",
        "examples/secret.rvm",
        p,
        "--inputs",
        &inputs,
        "--output",
        "0",
    ]);
    assert!(
        out.contains("public inputs (checked): x=10\n") && out.contains("output (checked): 0\n"),
        "{out}"
    );
    // Another expected statement: exit 3, one sentence.
    let other = temp_file("other.json", r#"{"x": "11"}"#);
    let err = fails(
        &["verify", "examples/secret.rvm", p, "--inputs", &other],
        3,
        "error: ",
    );
    assert_eq!(error_lines(&err), 1, "{err}");
    let err = fails(
        &["verify", "examples/secret.rvm", p, "--output", "1"],
        3,
        "output",
    );
    assert_eq!(error_lines(&err), 1, "{err}");
}

/// The CLI contract of `verify` and `prove --json`, on fast test-parameter proofs.
#[test]
fn verify_contract_on_test_proofs() {
    let dir = temp_dir();
    let proof = dir.join("fib.proof");
    let p = proof.to_str().unwrap();
    let json = ok(&[
        "prove",
        "--json",
        "--security",
        "test",
        "examples/secret.rvm",
        "10",
        "2",
        "-o",
        p,
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("prove --json is JSON");
    assert_eq!(v["public_inputs"], serde_json::json!({"x": "10"}), "{json}");
    assert_eq!(v["output"], serde_json::json!("0"), "{json}");
    assert!(
        v["cycles"].is_u64() && v["security_bits"].is_u64(),
        "{json}"
    );
    assert_eq!(v["program"].as_str().map(str::len), Some(64), "{json}");
    // Test-parameter proofs are refused unless explicitly allowed, which warns.
    fails(&["verify", "examples/secret.rvm", p], 3, "test");
    let o = resvm(&["verify", "--allow-test", "examples/secret.rvm", p]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: --allow-test"),
        "{}",
        stderr(&o)
    );
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("valid\n"));
    // --json verify: field elements as strings, inputs by name.
    let inputs = temp_file("x10.json", r#"{"x": "10"}"#);
    let out = ok(&[
        "verify",
        "--allow-test",
        "--json",
        "examples/secret.rvm",
        p,
        "--inputs",
        &inputs,
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("verify --json is JSON");
    assert_eq!(v["valid"], serde_json::json!(true));
    assert_eq!(v["public_inputs"], serde_json::json!({"x": "10"}));
    assert_eq!(v["output"], serde_json::json!("0"));
    assert_eq!(
        v["checked"],
        serde_json::json!({"public_inputs": true, "output": false})
    );
    // A secret parameter cannot be named; unknown names and bad values are usage errors.
    let secret = temp_file("with-w.json", r#"{"x": "10", "w": "2"}"#);
    fails(
        &[
            "verify",
            "--allow-test",
            "examples/secret.rvm",
            p,
            "--inputs",
            &secret,
        ],
        2,
        "`w` is a secret parameter",
    );
    fails(
        &[
            "verify",
            "--allow-test",
            "examples/secret.rvm",
            p,
            "--output",
            "+0",
        ],
        2,
        "leading `+`",
    );
    // A mismatch: exit 3, one readable sentence (no Plonky3 debug text), and JSON says so.
    let other = temp_file("x11.json", r#"{"x": "11"}"#);
    let err = fails(
        &[
            "verify",
            "--allow-test",
            "examples/secret.rvm",
            p,
            "--inputs",
            &other,
        ],
        3,
        "error: ",
    );
    assert_eq!(error_lines(&err), 1, "{err}");
    let o = resvm(&[
        "verify",
        "--allow-test",
        "--json",
        "examples/secret.rvm",
        p,
        "--output",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on failure too");
    assert_eq!(v["valid"], serde_json::json!(false));
    // Another program does not accept this proof.
    fails(
        &["verify", "--allow-test", "examples/min.rvm", p],
        3,
        "error: ",
    );
    // Corrupted and truncated proofs: exit 3 with one sentence, never a crash.
    let bytes = std::fs::read(&proof).expect("read");
    let badp = dir.join("bad.proof");
    for (i, bad) in [
        flip(&bytes, bytes.len() / 2),
        flip(&bytes, 3),
        bytes[..bytes.len() - 7].to_vec(),
        vec![],
    ]
    .into_iter()
    .enumerate()
    {
        std::fs::write(&badp, &bad).expect("write");
        let err = fails(
            &[
                "verify",
                "--allow-test",
                "examples/secret.rvm",
                badp.to_str().unwrap(),
            ],
            3,
            "error: ",
        );
        assert_eq!(error_lines(&err), 1, "case {i}: {err}");
    }
    // A missing proof file is an I/O error.
    fails(
        &["verify", "examples/secret.rvm", "/no/such.proof"],
        4,
        "cannot read /no/such.proof",
    );
}

/// Lines of stderr other than warnings: a failure is one sentence.
fn error_lines(err: &str) -> usize {
    err.lines().filter(|l| !l.starts_with("warning: ")).count()
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at] ^= 1;
    b
}
