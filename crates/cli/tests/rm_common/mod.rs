//! Helpers for the resource-machine CLI tests: running the binary and building
//! transactions with the library.
#![allow(dead_code)]

use rand::SeedableRng;
use resvm_field::Digest;
use resvm_rm::resource::{nullifier_commitment, random_digest};
use resvm_rm::{ActionBuilder, LogicCache, PartialTransaction, ReexecBackend, Resource};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn resvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_resvm"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("binary runs")
}

pub fn ok(args: &[&str]) -> String {
    let o = resvm(args);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

pub fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

pub fn status(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(&["ledger", "status", p(dir), "--json"])).expect("status JSON")
}

pub struct Maker {
    pub logics: LogicCache,
    pub accept: Digest,
    pub rng: rand::rngs::StdRng,
}

impl Maker {
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

    pub fn digest(&mut self) -> Digest {
        random_digest(&mut self.rng)
    }

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
