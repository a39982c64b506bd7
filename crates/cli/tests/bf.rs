//! End-to-end tests of `resvm bf ...`: commands, printed formats and exit codes.

mod common;

use common::{resvm_stdin, stderr};

#[test]
fn run_prints_the_output_bytes_in_both_dialects() {
    let o = resvm_stdin(&["bf", "run", "examples/bf/hello.bf"], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout, b"Hello World!\n");
    let o = resvm_stdin(
        &["bf", "run", "--dialect", "u8", "examples/bf/multiply.bf"],
        b"79",
    );
    assert_eq!(o.stdout, b"63\n");
    let o = resvm_stdin(
        &["bf", "run", "--dialect", "u8", "examples/bf/field_wrap.bf"],
        b"",
    );
    assert_eq!(o.stdout, [0xff, 0xfe]);
    let o = resvm_stdin(&["bf", "run", "examples/bf/field_wrap.bf"], b"");
    assert_eq!(o.stdout, [0x00, 0xff]);
}

#[test]
fn errors_have_positions_steps_and_exit_1() {
    let dir = std::env::temp_dir().join(format!("resvm-bf-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.bf");
    std::fs::write(&bad, "+\n  ]").unwrap();
    let o = resvm_stdin(&["bf", "run", bad.to_str().unwrap()], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unmatched ']' at byte 4, line 2, column 3"),
        "{}",
        stderr(&o)
    );
    let spin = dir.join("spin.bf");
    std::fs::write(&spin, "+[]").unwrap();
    let o = resvm_stdin(
        &["bf", "run", "--max-steps", "1000", spin.to_str().unwrap()],
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("step limit of 1000"), "{}", stderr(&o));
    let left = dir.join("left.bf");
    std::fs::write(&left, "+<").unwrap();
    let o = resvm_stdin(&["bf", "run", left.to_str().unwrap()], b"");
    assert!(
        stderr(&o).contains("step 2: the data pointer moved left of cell 0"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn compile_shows_targets_then_the_image() {
    let o = resvm_stdin(&["bf", "compile", "examples/bf/cat.bf"], b"");
    let s = String::from_utf8_lossy(&o.stdout);
    // `,[.,]` assembles to `, [ 7 . , ] 3`: the `[` at 1 jumps past the `]`'s target, the
    // `]` at 5 back past the `[`'s.
    assert!(s.contains("       1  [ 7\n"), "{s}");
    assert!(s.contains("       5  ] 3\n"), "{s}");
    assert!(s.contains("BFJZ 5") && s.contains("BFJNZ 2"), "{s}");
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn prove_then_verify_checks_input_and_output() {
    let dir = std::env::temp_dir().join(format!("resvm-bf-prove-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let proof = dir.join("run.proof");
    let p = proof.to_str().unwrap();
    let o = resvm_stdin(
        &[
            "bf",
            "prove",
            "--security",
            "test",
            "examples/bf/cat.bf",
            "-o",
            p,
        ],
        b"hi",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let good_in = dir.join("in");
    std::fs::write(&good_in, "hi").unwrap();
    let bad_out = dir.join("out");
    std::fs::write(&bad_out, "ho").unwrap();
    let o = resvm_stdin(
        &[
            "bf",
            "verify",
            "examples/bf/cat.bf",
            p,
            "--allow-test",
            "--input",
            good_in.to_str().unwrap(),
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.starts_with("valid\n")
            && s.contains("input 2 bytes \"hi\"")
            && s.contains("output 2 bytes \"hi\""),
        "{s}"
    );
    let o = resvm_stdin(
        &[
            "bf",
            "verify",
            "examples/bf/cat.bf",
            p,
            "--allow-test",
            "--output",
            bad_out.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("another output"), "{}", stderr(&o));
    let o = resvm_stdin(
        &["bf", "verify", "examples/bf/reverse.bf", p, "--allow-test"],
        b"",
    );
    assert_eq!(o.status.code(), Some(3));
    std::fs::remove_dir_all(&dir).ok();
}
