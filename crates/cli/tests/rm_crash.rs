//! Crash safety: a writer process (`resvm ledger apply`) is killed with SIGKILL at spread
//! moments of an apply; after each kill the ledger reopens with all of the transaction or
//! none of it, the root recomputed from the leaves equals the stored one, and a transaction
//! is never half applied. Re-applying after success is refused.

mod common;
use common::{ok, p, resvm, status, Maker};
use std::process::{Command, Stdio};
use std::time::Instant;

#[test]
fn kill_9_mid_apply_leaves_all_or_nothing() {
    const CREATED: usize = 2000;
    const TXS: usize = 6;
    let t = tempfile::tempdir().unwrap();
    let mut m = Maker::new(7);
    let label = m.digest();
    let files: Vec<_> = (0..TXS)
        .map(|i| {
            let f = t.path().join(format!("tx-{i:02}.json"));
            std::fs::write(&f, m.mint(label, CREATED).0.to_json()).unwrap();
            f
        })
        .collect();

    // How long one apply takes here (spawn included), to spread the kills over it.
    let probe = t.path().join("probe");
    ok(&["ledger", "init", p(&probe)]);
    let start = Instant::now();
    ok(&["ledger", "apply", p(&probe), p(&files[0])]);
    // Later applies run on a bigger ledger and may be slower than this probe: `full` grows
    // to the longest uninterrupted apply seen, and every fifth attempt is never killed, so
    // the loop progresses however slow the machine is.
    let mut full = start.elapsed();

    let dir = t.path().join("ledger");
    ok(&["ledger", "init", p(&dir)]);
    let mut applied = 0usize;
    let mut kills = 0usize;
    let mut attempt = 0u64;
    while applied < TXS {
        assert!(attempt < 200, "no progress after {attempt} attempts");
        let before = status(&dir);
        // Delays sweep 0 .. 1.2 x the full apply time (a few always complete).
        let frac = (attempt * 37 % 100) as f64 / 100.0 * 1.2;
        let delay = full.mul_f64(frac);
        attempt += 1;
        let spawned = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_resvm"))
            .args(["ledger", "apply", p(&dir), p(&files[applied])])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let killed = if attempt % 5 == 0 {
            let code = child.wait().unwrap();
            assert!(code.success(), "an uninterrupted apply failed");
            full = full.max(spawned.elapsed());
            false
        } else {
            std::thread::sleep(delay);
            child.try_wait().unwrap().is_none()
        };
        if killed {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let code = child.wait().unwrap();
        // Reopen: integrity holds (root recomputed from the leaves) and the state is
        // exactly before or after.
        let check = resvm(&["ledger", "check", p(&dir)]);
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let after = status(&dir);
        let n0 = before["commitments"].as_u64().unwrap();
        let n1 = after["commitments"].as_u64().unwrap();
        let f0 = before["nullifiers"].as_u64().unwrap();
        let f1 = after["nullifiers"].as_u64().unwrap();
        if n1 == n0 {
            assert_eq!(after, before, "nothing applied, yet the state changed");
            assert!(killed || !code.success(), "apply exited 0 without applying");
        } else {
            assert_eq!(n1, n0 + CREATED as u64, "half applied: {n0} -> {n1}");
            assert_eq!(f1, f0 + 1);
            assert_eq!(
                after["transactions"].as_u64(),
                before["transactions"].as_u64().map(|x| x + 1)
            );
            applied += 1;
        }
    }
    assert!(kills > 0, "no kill landed mid-apply (full apply {full:?})");
    // Every applied transaction is now a double spend.
    for f in &files {
        assert!(!resvm(&["ledger", "apply", p(&dir), p(f)]).status.success());
    }
    // The roots equal those of a ledger that never crashed.
    let clean = t.path().join("clean");
    ok(&["ledger", "init", p(&clean)]);
    for f in &files {
        ok(&["ledger", "apply", p(&clean), p(f)]);
    }
    assert_eq!(status(&clean)["root"], status(&dir)["root"]);
    eprintln!("crash test: {kills} kills over {attempt} attempts, full apply {full:?}");
}
