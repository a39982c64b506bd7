//! Helpers of the `resvm` binary's tests: running the binary from the workspace root (with or
//! without stdin), and, for the resource-machine tests, building transactions with the
//! library. Each test binary uses a part (`mod common;`).
#![allow(dead_code)]

use rand::SeedableRng;
use resvm_field::Digest;
use resvm_rm::resource::{nullifier_commitment, random_digest};
use resvm_rm::{ActionBuilder, LogicCache, PartialTransaction, ReexecBackend, Resource};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The workspace root: the binary runs there, so example paths are relative to it.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the binary with `args` (stdin closed).
pub fn resvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_resvm"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("binary runs")
}

/// Runs the binary with `args` and `input` on stdin.
pub fn resvm_stdin(args: &[&str], input: impl AsRef<[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_resvm"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_ref())
        .expect("write stdin");
    child.wait_with_output().expect("binary runs")
}

/// Stderr of a run, lossily decoded.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs the binary, asserts success and returns stdout.
pub fn ok(args: &[&str]) -> String {
    let o = resvm(args);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

/// A path as a command-line argument.
pub fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `resvm ledger status DIR --json`, parsed.
pub fn status(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(&["ledger", "status", p(dir), "--json"])).expect("status JSON")
}

/// Builds resources and partial transactions with the library (seeded, so reproducible), all
/// under the `examples/rm/always_accept.rvm` logic.
pub struct Maker {
    pub logics: LogicCache,
    pub accept: Digest,
    pub rng: rand::rngs::StdRng,
}

impl Maker {
    /// A maker whose randomness comes from `seed`.
    pub fn new(seed: u64) -> Maker {
        let logics = LogicCache::new();
        let src = std::fs::read_to_string(root().join("examples/rm/always_accept.rvm")).unwrap();
        let accept = logics.add_source(&src).unwrap().digest();
        Maker {
            logics,
            accept,
            rng: rand::rngs::StdRng::seed_from_u64(seed),
        }
    }

    /// A random digest.
    pub fn digest(&mut self) -> Digest {
        random_digest(&mut self.rng)
    }

    /// A resource of `q` units of `label` and its nullifier key.
    pub fn resource(&mut self, label: Digest, q: u64, ephemeral: bool) -> (Resource, Digest) {
        let n = self.digest();
        let r = Resource {
            logic: self.accept,
            label,
            quantity: q,
            value: Digest([0; 4]),
            nonce: self.digest(),
            nc: nullifier_commitment(&n),
            ephemeral,
        };
        (r, n)
    }

    /// A balanced mint of `count` resources of quantity 1 (one ephemeral consumed).
    pub fn mint(
        &mut self,
        label: Digest,
        count: usize,
    ) -> (PartialTransaction, Vec<(Resource, Digest)>) {
        let (eph, en) = self.resource(label, count as u64, true);
        let mut b = ActionBuilder::new();
        b.consume(eph, en, None).unwrap();
        let mut secrets = Vec::new();
        for _ in 0..count {
            let (r, n) = self.resource(label, 1, false);
            b.create(r).unwrap();
            secrets.push(n);
        }
        let (a, created) = b
            .prove(&ReexecBackend, &self.logics, &mut self.rng)
            .unwrap();
        (
            PartialTransaction::single(a),
            created.into_iter().zip(secrets).collect(),
        )
    }
}
