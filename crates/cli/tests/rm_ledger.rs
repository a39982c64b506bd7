//! `resvm ledger …`, `resvm ptx …`, `resvm resource …`: the contract of the issue, refusals
//! (one line, non-zero exit, ledger unchanged), and malformed input.

mod common;
use common::{ok, p, resvm, status, Maker};
use std::path::Path;

fn file_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("ledger.redb")).unwrap()
}

fn refused(args: &[&str]) -> String {
    let o = resvm(args);
    assert!(!o.status.success(), "{args:?} succeeded");
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn init_apply_status_and_refusals() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("ledger");
    let empty_root = ok(&["ledger", "init", p(&dir)]);
    let s = status(&dir);
    assert_eq!(s["version"], 1);
    assert_eq!(s["root"].as_str().unwrap(), empty_root.trim());
    assert_eq!(s["commitments"], 0);
    assert_eq!(s["nullifiers"], 0);
    refused(&["ledger", "init", p(&dir)]);

    let mut m = Maker::new(1);
    let label = m.digest();
    let (mint, _) = m.mint(label, 3);
    let tx = t.path().join("tx-01.json");
    std::fs::write(&tx, mint.to_json()).unwrap();
    let root = ok(&["ledger", "apply", p(&dir), p(&tx)]);
    assert_eq!(root.trim().len(), 64);
    let s = status(&dir);
    assert_eq!(s["root"].as_str().unwrap(), root.trim());
    assert_eq!(s["commitments"], 3);
    assert_eq!(s["nullifiers"], 1);
    ok(&["ledger", "check", p(&dir)]);

    // Replay: a double spend, refused in one line, the ledger byte-for-byte unchanged.
    let before = file_bytes(&dir);
    let err = refused(&["ledger", "apply", p(&dir), p(&tx)]);
    assert!(err.contains("double spend"), "{err}");
    assert!(file_bytes(&dir) == before);

    // Unbalanced.
    let (eph, en) = m.resource(label, 5, true);
    let mut b = resvm_rm::ActionBuilder::new();
    b.consume(eph, en, None).unwrap();
    let (a, _) = b
        .prove(&resvm_rm::ReexecBackend, &m.logics, &mut m.rng)
        .unwrap();
    let ub = t.path().join("unbalanced.json");
    std::fs::write(&ub, resvm_rm::PartialTransaction::single(a).to_json()).unwrap();
    let err = refused(&["ledger", "apply", p(&dir), p(&ub)]);
    assert!(err.contains("unbalanced"), "{err}");
    assert!(file_bytes(&dir) == before);
    // `ptx verify` without a ledger: valid but unbalanced.
    assert_eq!(ok(&["ptx", "verify", p(&ub)]).trim(), "valid (unbalanced)");
}

#[test]
fn malformed_and_truncated_input_gives_errors_not_panics() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("ledger");
    ok(&["ledger", "init", p(&dir)]);
    let before = file_bytes(&dir);
    let mut m = Maker::new(2);
    let label = m.digest();
    let (mint, _) = m.mint(label, 2);
    let json = mint.to_json();
    let bad = t.path().join("bad.json");
    let mut cases: Vec<String> = vec![
        String::new(),
        "{".into(),
        "[]".into(),
        "null".into(),
        "{\"version\": 2, \"actions\": []}".into(),
        "{\"version\": 1, \"actions\": []}".into(),
        "{\"version\": 1}".into(),
        json.replace("\"version\": 1", "\"version\": \"1\""),
        json.replacen("\"created\": [\n", "\"created\": [\n        \"zz\",\n", 1),
        json.replacen(
            "\"extradata\": []",
            "\"extradata\": [\"18446744069414584321\"]",
            1,
        ),
        json.replacen("\"backend\"", "\"backend_\"", 1),
        json.replacen("\"actions\"", "\"extra\": 1, \"actions\"", 1),
    ];
    // Truncations at many points, and truncated proofs.
    for cut in (1..json.len()).step_by(json.len() / 23 + 1) {
        cases.push(json[..cut].to_string());
    }
    let proof = hex_field(&json, "\"proof\": \"");
    cases.push(json.replacen(&proof, &proof[..proof.len() / 2], 1));
    cases.push(json.replacen(&proof, &proof[..proof.len() - 1], 1));
    for (i, c) in cases.iter().enumerate() {
        assert_ne!(*c, json, "case {i} changes nothing");
        std::fs::write(&bad, c).unwrap();
        let err = refused(&["ledger", "apply", p(&dir), p(&bad)]);
        assert!(err.starts_with("error"), "case {i}: {err}");
        refused(&["ptx", "verify", p(&bad)]);
    }
    assert!(file_bytes(&dir) == before);
    refused(&[
        "ledger",
        "apply",
        p(&dir),
        p(&t.path().join("missing.json")),
    ]);
    refused(&["ledger", "status", p(&t.path().join("nowhere")), "--json"]);
}

fn hex_field(json: &str, key: &str) -> String {
    let start = json.find(key).unwrap() + key.len();
    let end = start + json[start..].find('"').unwrap();
    json[start..end].to_string()
}

#[test]
fn build_compose_and_apply_from_the_command_line() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("ledger");
    ok(&["ledger", "init", p(&dir)]);
    let logic = common::root().join("examples/rm/always_accept.rvm");
    let label = "01000000000000000200000000000000030000000000000004000000000000000";
    let label = &label[..64];
    let new = |q: &str, eph: bool| -> serde_json::Value {
        let mut args = vec![
            "resource",
            "new",
            "--logic",
            p(&logic),
            "--label",
            label,
            "--quantity",
            q,
        ];
        if eph {
            args.push("--ephemeral");
        }
        serde_json::from_str(&ok(&args)).unwrap()
    };
    // Two parties' actions: one consumes an ephemeral 5 (an intent giving 5), the other
    // creates 5 from another ephemeral 5 ... composed, they mint 5 balanced.
    let give = new("5", true);
    let take_in = new("5", true);
    let take_out = new("5", false);
    let spec_a = serde_json::json!({
        "version": 1,
        "logics": [p(&logic)],
        "consume": [{"resource": give["resource"], "nullifier": give["nullifier"]}],
    });
    let spec_b = serde_json::json!({
        "version": 1,
        "logics": [p(&logic)],
        "consume": [{"resource": take_in["resource"], "nullifier": take_in["nullifier"]}],
        "create": [{"resource": take_out["resource"], "publish": true}, {"resource": take_out["resource"]}],
    });
    let (sa, sb) = (t.path().join("a.spec.json"), t.path().join("b.spec.json"));
    std::fs::write(&sa, spec_a.to_string()).unwrap();
    std::fs::write(&sb, spec_b.to_string()).unwrap();
    let (pa, pb, pab) = (
        t.path().join("ptx-a.json"),
        t.path().join("ptx-b.json"),
        t.path().join("tx.json"),
    );
    ok(&["ptx", "build", p(&sa), "-o", p(&pa), "--backend", "reexec"]);
    ok(&["ptx", "build", p(&sb), "-o", p(&pb), "--backend", "reexec"]);
    assert_eq!(ok(&["ptx", "verify", p(&pa)]).trim(), "valid (unbalanced)");
    let err = refused(&["ledger", "apply", p(&dir), p(&pa)]);
    assert!(err.contains("unbalanced"), "{err}");
    let summary: serde_json::Value =
        serde_json::from_str(&ok(&["ptx", "compose", p(&pa), p(&pb), "-o", p(&pab)])).unwrap();
    // +5 + 5 - 5 - 5 = 0
    assert_eq!(summary["balanced"], true);
    assert_eq!(
        ok(&["ptx", "verify", p(&pab), "--ledger", p(&dir)]).trim(),
        "valid (balanced)"
    );
    ok(&["ledger", "apply", p(&dir), p(&pab)]);
    let s = status(&dir);
    assert_eq!(
        (s["commitments"].as_u64(), s["nullifiers"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(s["public_resources"], 1);
    // Composing a transaction with itself: conflicting nullifiers, named.
    let err = refused(&["ptx", "compose", p(&pa), p(&pa), "-o", p(&pab)]);
    assert!(
        err.contains("nullifier") && err.contains(give["nullifier"].as_str().unwrap()),
        "{err}"
    );
}

#[test]
fn deterministic_roots_from_the_command_line() {
    let t = tempfile::tempdir().unwrap();
    let mut m = Maker::new(3);
    let label = m.digest();
    let files: Vec<_> = (0..3)
        .map(|i| {
            let f = t.path().join(format!("tx-{i:02}.json"));
            std::fs::write(&f, m.mint(label, i + 1).0.to_json()).unwrap();
            f
        })
        .collect();
    let mut runs = Vec::new();
    for k in 0..2 {
        let dir = t.path().join(format!("ledger-{k}"));
        ok(&["ledger", "init", p(&dir)]);
        let roots: Vec<String> = files
            .iter()
            .map(|f| ok(&["ledger", "apply", p(&dir), p(f)]))
            .collect();
        runs.push((roots, status(&dir)));
    }
    assert_eq!(runs[0], runs[1]);
}

/// The main job: `resvm demo --dir DIR` leaves the ledger it built, its transactions in
/// apply order and its partial transactions; the files replay on a fresh ledger to the
/// same root, and re-applying the swap is refused.
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn demo_leaves_its_ledger_transactions_and_partial_transactions() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("demo");
    let out = ok(&["demo", "--dir", p(&dir)]);
    assert!(out.contains("refused: double spend"), "{out}");
    let s = status(&dir.join("ledger"));
    assert_eq!(
        (
            s["commitments"].as_u64(),
            s["nullifiers"].as_u64(),
            s["transactions"].as_u64()
        ),
        (Some(4), Some(6), Some(2))
    );
    for (f, verdict) in [
        ("ptx-mint-a.json", "valid (balanced)"),
        ("ptx-mint-b.json", "valid (balanced)"),
        ("ptx-alice-swap.json", "valid (unbalanced)"),
        ("ptx-bob-swap.json", "valid (unbalanced)"),
    ] {
        assert_eq!(
            ok(&["ptx", "verify", p(&dir.join(f))]).trim(),
            verdict,
            "{f}"
        );
    }
    assert!(!dir.join("tx-03.json").exists());
    // Replaying tx-01, tx-02 on a fresh ledger gives the demo's root.
    let fresh = t.path().join("replay");
    ok(&["ledger", "init", p(&fresh)]);
    let mut root = String::new();
    for tx in ["tx-01.json", "tx-02.json"] {
        root = ok(&["ledger", "apply", p(&fresh), p(&dir.join(tx))]);
    }
    assert_eq!(root.trim(), s["root"].as_str().unwrap());
    let err = refused(&["ledger", "apply", p(&fresh), p(&dir.join("tx-02.json"))]);
    assert!(err.contains("double spend"), "{err}");
}
