//! The playground's entry points, natively (the same code the browser runs as WebAssembly).

use serde_json::Value;

fn j(s: String) -> Value {
    serde_json::from_str(&s).expect("the entry points answer JSON")
}

const MIN: &str = include_str!("../../../examples/min.rvm");
const SECRET: &str = include_str!("../../../examples/secret.rvm");

#[test]
fn compile_gives_stages_params_and_digest() {
    let r = j(resvm_web::compile(SECRET));
    assert_eq!(r["ok"], true);
    assert_eq!(
        r["params"],
        serde_json::json!([
            {"name": "x", "secret": false, "type": "p"},
            {"name": "w", "secret": true, "type": "p"}
        ])
    );
    // A digest parameter is one entry (its four inputs share the name).
    let d = j(resvm_web::compile(include_str!(
        "../../../examples/digest.rvm"
    )));
    assert_eq!(
        d["params"][0],
        serde_json::json!({"name": "root", "secret": false, "type": "d"})
    );
    assert_eq!(d["params"].as_array().map(Vec::len), Some(6));
    let c = resvm::compile(SECRET).expect("compiles");
    assert_eq!(r["digest"], c.program.digest().to_string());
    assert_eq!(r["stages"]["canon"], resvm::print_canon(&c));
    assert_eq!(r["stages"]["factor"], resvm::print_factor(&c));
    assert_eq!(r["stages"]["dag"], c.circuit.print());
    assert_eq!(r["stages"]["asm"], resvm::print_asm(&c));
}

#[test]
fn compile_errors_carry_utf16_spans() {
    // "é" is 2 bytes in UTF-8 and 1 code unit in UTF-16: the span must count the latter.
    let src = "// é\nfn main(a) = a + ;\n";
    let r = j(resvm_web::compile(src));
    assert_eq!(r["ok"], false);
    let d = &r["diagnostics"][0];
    assert_eq!(d["line"], 2);
    let start = d["start"].as_u64().expect("start") as usize;
    let utf16: Vec<u16> = src.encode_utf16().collect();
    // The error is at or after the `+` on line 2, within the text.
    let plus = utf16.iter().position(|&c| c == u16::from(b'+')).expect("+");
    assert!(start >= plus && start <= utf16.len(), "{d}");
    assert!(r["error"]
        .as_str()
        .expect("rendered")
        .contains("main.rvm:2:"));
}

#[test]
fn run_on_every_engine() {
    for engine in ["closure", "stack", "tree"] {
        let r = j(resvm_web::run(MIN, r#"{"a": "7", "b": "5"}"#, engine));
        assert_eq!(r["ok"], true, "{engine}: {r}");
        assert_eq!(r["output"], "5");
        assert_eq!(r["engine"], engine);
        assert_eq!(r["cycles"].is_u64(), engine == "stack");
    }
    let r = j(resvm_web::run(MIN, r#"{"a": "7"}"#, "stack"));
    assert_eq!(r["ok"], false);
    assert!(
        r["error"].as_str().expect("error").contains("missing b"),
        "{r}"
    );
    let r = j(resvm_web::run(MIN, "{}", "jit"));
    assert!(r["error"]
        .as_str()
        .expect("error")
        .contains("unknown engine"));
}

#[test]
fn runtime_errors_are_located() {
    let src = "fn f(x) = branch(x, 1, 2);\nfn main(x) = f(x) + 1;\n";
    let r = j(resvm_web::run(src, r#"{"x": "7"}"#, "closure"));
    assert_eq!(r["ok"], false);
    let e = r["error"].as_str().expect("error");
    assert!(
        e.starts_with("runtime error: branch condition must be 0 or 1, got 7"),
        "{e}"
    );
    assert!(e.contains("main.rvm:1:11"), "{e}");
    let (start, end) = (r["span"]["start"].as_u64(), r["span"]["end"].as_u64());
    assert_eq!((start, end), (Some(10), Some(25)), "{r}");
}

#[test]
fn prove_then_verify_and_reject_an_edited_proof() {
    let mut stages = Vec::new();
    let p = resvm_web::prove_native(SECRET, r#"{"x": "10", "w": "2"}"#, &mut |s| stages.push(s))
        .expect("proves");
    assert_eq!(stages, ["execute", "trace", "prove", "done"]);
    let summary: Value = serde_json::from_str(&p.summary()).expect("JSON summary");
    assert_eq!(summary["output"], "0");
    assert_eq!(summary["public_inputs"], serde_json::json!({"x": "10"}));
    assert_eq!(summary["security"], "standard");
    let bytes = p.bytes();
    assert_eq!(summary["proof_bytes"], bytes.len());
    // The wire format of `resvm prove`: the prover's own parser reads it.
    let proof = resvm_prover::Proof::from_bytes(&bytes).expect("parses");
    assert_eq!(proof.statement().public_inputs, vec![resvm::F::new(10)]);

    let v = j(resvm_web::verify(SECRET, &bytes));
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["output"], "0");
    assert_eq!(v["public_inputs"], serde_json::json!({"x": "10"}));
    assert!(v.get("w").is_none() && !v.to_string().contains("\"w\""));

    // Zero knowledge draws fresh randomness: a second proof of the same run differs.
    let again =
        resvm_web::prove_native(SECRET, r#"{"x": "10", "w": "2"}"#, &mut |_| {}).expect("proves");
    assert_ne!(again.bytes(), bytes);

    let mut forged = bytes.clone();
    let at = forged.len() / 2;
    forged[at] ^= 1;
    let v = j(resvm_web::verify(SECRET, &forged));
    assert_eq!(v["valid"], false, "{v}");
    assert!(v["error"].is_string());
    // Against another program.
    let v = j(resvm_web::verify(MIN, &bytes));
    assert_eq!(v["valid"], false);
    assert!(v["error"]
        .as_str()
        .expect("error")
        .contains("another program"));
    let v = j(resvm_web::verify(SECRET, b"not a proof"));
    assert!(v["error"].as_str().expect("error").contains("malformed"));
}

#[test]
fn prove_refuses_runs_beyond_the_page_cap() {
    let fib = include_str!("../../../examples/fib.rvm");
    let n = resvm_web::PAGE_MAX_CYCLES.to_string();
    let e = match resvm_web::prove_native(fib, &format!(r#"{{"n": "{n}"}}"#), &mut |_| {}) {
        Ok(_) => panic!("a run of more than PAGE_MAX_CYCLES cycles was proved"),
        Err(e) => e,
    };
    assert!(e.contains("too large to prove in the page"), "{e}");
    let e = match resvm_web::prove_native(MIN, r#"{"a": "+1", "b": "2"}"#, &mut |_| {}) {
        Ok(_) => panic!("a bad input was accepted"),
        Err(e) => e,
    };
    assert!(e.contains("leading `+`"), "{e}");
}

/// The swap demo on the in-memory ledger with the re-execution backend (the STARK one is
/// the Chromium test's): every progress line reaches the callback, the report is the
/// ledger's (its root, counts), and an unknown backend is an error, not a panic.
#[test]
fn swap_demo_reports_the_ledger_it_built() {
    let mut lines = Vec::new();
    let r = j(
        resvm_web::swap_demo_native("reexec-v2", &mut |l| lines.push(l.to_string()))
            .expect("the demo runs"),
    );
    assert_eq!(r["backend"], "reexec-v2");
    assert_eq!(r["transactions"], 2);
    let root = r["root"].as_str().expect("root");
    assert_eq!(root.len(), 64);
    assert_eq!(r["ledger"]["root"], root);
    let commitments = r["commitments"].as_array().expect("commitments");
    let nullifiers = r["nullifiers"].as_array().expect("nullifiers");
    assert_eq!(r["ledger"]["commitments"], commitments.len());
    assert_eq!(r["ledger"]["nullifiers"], nullifiers.len());
    assert_eq!(r["ledger"]["transactions"], 2);
    assert!(
        r["refused"]
            .as_str()
            .expect("refused")
            .starts_with("double spend: nullifier "),
        "{}",
        r["refused"]
    );
    let log = lines.join("\n");
    assert!(log.contains("(balanced: true)"), "{log}");
    assert!(log.contains(&format!("-> {root}")), "{log}");
    assert!(log.contains("ledger unchanged"), "{log}");

    let e = resvm_web::swap_demo_native("groth16", &mut |_| {}).expect_err("unknown backend");
    assert!(e.contains("unknown proving backend"), "{e}");
}
