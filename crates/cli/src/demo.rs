//! `resvm demo [--dir DIR]`: the resource machine's main job, end to end, with the STARK
//! backend.
//!
//! A fresh ledger; two token kinds (A issued by Alice's issuer, B by Bob's) minted to
//! Alice (5 A) and Bob (3 B) in one transaction composed of two mint actions; each party
//! builds an **unbalanced** swap partial transaction (Alice: "I give 5 A for at least 3 B",
//! Bob: the converse), each consuming its tokens (the owner's key checked by the token
//! logic) and an ephemeral intent resource (checked by the intent logic), and creating
//! what it asks for; the two compose into a balanced transaction, which is verified and
//! applied; re-applying it is refused as a double spend. Files written: `DIR/ledger/`,
//! `DIR/tx-01.json`, `DIR/tx-02.json` (in apply order) and `DIR/ptx-*.json`.

use crate::error::{Failure, Outcome};
use anyhow::{anyhow, Context, Result};
use clap::Args;
use resvm_field::{merge, Digest};
use resvm_rm::resource::{key_hash, kind, nullifier_commitment, random_digest};
use resvm_rm::{
    ActionBuilder, Ledger, LogicCache, OtherRef, PartialTransaction, ProvingBackend, Resource,
    StarkBackend,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

const TOKEN: &str = include_str!("../../../examples/rm/token.rvm");
const INTENT: &str = include_str!("../../../examples/rm/intent.rvm");

/// `resvm demo`
#[derive(Args)]
pub struct DemoArgs {
    /// Where to leave the ledger and the transactions (a new temporary directory when
    /// omitted).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Runs the demo.
pub fn demo(a: DemoArgs) -> Outcome {
    run(a).map_err(|e| Failure::program(format!("{e:#}")))
}

/// One party's keys and what it owns.
struct Party {
    name: &'static str,
    key: Digest,
    owned: Option<(Resource, Digest)>,
}

struct Demo {
    dir: PathBuf,
    logics: LogicCache,
    backend: StarkBackend,
    rng: rand::rngs::StdRng,
    token: Digest,
    intent: Digest,
    ledger: Ledger,
    applied: usize,
}

fn fail(e: resvm_rm::Error) -> anyhow::Error {
    anyhow!("{e}")
}

impl Demo {
    fn fresh(
        &mut self,
        logic: Digest,
        label: Digest,
        quantity: u64,
        ephemeral: bool,
    ) -> (Resource, Digest) {
        let n = random_digest(&mut self.rng);
        let r = Resource {
            logic,
            label,
            quantity,
            value: Digest([0; 4]),
            nonce: random_digest(&mut self.rng),
            nc: nullifier_commitment(&n),
            ephemeral,
        };
        (r, n)
    }

    fn write(&self, name: &str, tx: &PartialTransaction) -> Result<()> {
        let p = self.dir.join(name);
        std::fs::write(&p, tx.to_json()).with_context(|| format!("writing {}", p.display()))
    }

    fn prove(
        &mut self,
        b: &ActionBuilder,
        what: &str,
    ) -> Result<(PartialTransaction, Vec<Resource>)> {
        let t = Instant::now();
        let (a, created) = b
            .prove(&self.backend, &self.logics, &mut self.rng)
            .map_err(fail)
            .with_context(|| format!("proving {what}"))?;
        let proved = t.elapsed();
        let t = Instant::now();
        a.verify(&self.backend, &LogicCache::new())
            .map_err(fail)
            .with_context(|| format!("verifying {what}"))?;
        println!(
            "  {what}: proved in {:.2} s, verified in {:.1} ms ({} proof bytes)",
            proved.as_secs_f64(),
            t.elapsed().as_secs_f64() * 1e3,
            a.proofs.proof.len()
        );
        Ok((PartialTransaction::single(a), created))
    }

    /// A mint of `q` tokens of `issuer`'s kind to `to`: consumes an ephemeral token
    /// (authorized by the issuer's key), creates the persistent one.
    fn mint(&mut self, issuer: &Digest, to: &mut Party, q: u64) -> Result<PartialTransaction> {
        let label = key_hash(issuer);
        let (eph, en) = self.fresh(self.token, label, q, true);
        let (mut out, on) = self.fresh(self.token, label, q, false);
        out.value = key_hash(&to.key);
        let mut b = ActionBuilder::new();
        let i = b.consume(eph, en, None).map_err(fail)?;
        b.aux_consumed(i, [*issuer, Digest([0; 4])]).map_err(fail)?;
        b.create(out).map_err(fail)?;
        let (tx, created) = self.prove(&b, &format!("mint {q} to {}", to.name))?;
        // The owner keeps the plaintext (with its final nonce) and the nullifier secret.
        to.owned = Some((created[0], on));
        Ok(tx)
    }

    /// `who` gives its tokens for at least `want` of `want_kind`, created for itself.
    fn swap(&mut self, who: &Party, want_label: Digest, want: u64) -> Result<PartialTransaction> {
        let (mine, n) = who
            .owned
            .ok_or_else(|| anyhow!("{} owns nothing", who.name))?;
        let want_kind = kind(&self.token, &want_label);
        let terms = Digest([want, 0, 0, 0]);
        let (mut intent, inn) = self.fresh(self.intent, merge(&want_kind, &terms), 0, true);
        intent.value = key_hash(&who.key);
        let (mut wanted, _) = self.fresh(self.token, want_label, want, false);
        wanted.value = key_hash(&who.key);
        let path = self.ledger.path(&mine.commitment()).map_err(fail)?;
        let mut b = ActionBuilder::new();
        let c = b.consume(mine, n, Some(path)).map_err(fail)?;
        b.aux_consumed(c, [who.key, Digest([0; 4])]).map_err(fail)?;
        let i = b.consume(intent, inn, None).map_err(fail)?;
        b.aux_consumed(i, [want_kind, terms]).map_err(fail)?;
        let j = b.create(wanted).map_err(fail)?;
        b.show_consumed(i, OtherRef::Created(j)).map_err(fail)?;
        let (tx, _) = self.prove(
            &b,
            &format!("{}: give {} for at least {want}", who.name, mine.quantity),
        )?;
        Ok(tx)
    }

    fn apply(&mut self, tx: &PartialTransaction) -> Result<()> {
        let before = self.ledger.status().map_err(fail)?;
        let t = Instant::now();
        let root = self
            .ledger
            .apply(tx, &self.backend, &LogicCache::new())
            .map_err(fail)?;
        self.applied += 1;
        let name = format!("tx-{:02}.json", self.applied);
        self.write(&name, tx)?;
        let after = self.ledger.status().map_err(fail)?;
        println!(
            "applied {name} in {:.1} ms (verified): root {} -> {}",
            t.elapsed().as_secs_f64() * 1e3,
            before.root,
            root.to_hex()
        );
        for c in tx.created() {
            println!("  + commitment {}", c.to_hex());
        }
        for n in tx.consumed() {
            println!("  - nullifier  {}", n.to_hex());
        }
        println!(
            "  ledger: {} commitments, {} nullifiers, {} roots",
            after.commitments, after.nullifiers, after.roots
        );
        Ok(())
    }
}

fn demo_dir(dir: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match dir {
        Some(d) => d,
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            std::env::temp_dir().join(format!("resvm-demo-{}-{nanos}", std::process::id()))
        }
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn run(a: DemoArgs) -> Result<()> {
    let start = Instant::now();
    let dir = demo_dir(a.dir)?;
    let ledger_dir = dir.join("ledger");
    if Path::new(&ledger_dir).exists() {
        return Err(anyhow!(
            "{} already exists: give the demo a new directory",
            ledger_dir.display()
        ));
    }
    let ledger = Ledger::init(&ledger_dir).map_err(fail)?;
    let logics = LogicCache::new();
    let token = logics.add_source(TOKEN).map_err(fail)?.digest();
    let intent = logics.add_source(INTENT).map_err(fail)?.digest();
    let mut d = Demo {
        dir: dir.clone(),
        logics,
        backend: StarkBackend::new(),
        rng: <rand::rngs::StdRng as rand::SeedableRng>::from_seed(crate::rm_cmd::os_seed()),
        token,
        intent,
        ledger,
        applied: 0,
    };
    println!(
        "resvm demo in {} (backend {})",
        dir.display(),
        d.backend.name()
    );
    println!(
        "fresh ledger: root {}",
        d.ledger.root().map_err(fail)?.to_hex()
    );
    let (issuer_a, issuer_b) = (random_digest(&mut d.rng), random_digest(&mut d.rng));
    let mut alice = Party {
        name: "Alice",
        key: random_digest(&mut d.rng),
        owned: None,
    };
    let mut bob = Party {
        name: "Bob",
        key: random_digest(&mut d.rng),
        owned: None,
    };
    let (label_a, label_b) = (key_hash(&issuer_a), key_hash(&issuer_b));

    println!("1. mint 5 A to Alice and 3 B to Bob (two actions, composed)");
    let mint_a = d.mint(&issuer_a, &mut alice, 5)?;
    let mint_b = d.mint(&issuer_b, &mut bob, 3)?;
    d.write("ptx-mint-a.json", &mint_a)?;
    d.write("ptx-mint-b.json", &mint_b)?;
    let mints = mint_a.compose_concurrent(&mint_b).map_err(fail)?;
    d.apply(&mints)?;
    println!("2. each party builds an unbalanced swap intent");
    let alice_ptx = d.swap(&alice, label_b, 3)?;
    let bob_ptx = d.swap(&bob, label_a, 5)?;
    for (who, t) in [("alice", &alice_ptx), ("bob", &bob_ptx)] {
        println!(
            "  {who}'s delta: {} (balanced: {})",
            t.delta(),
            t.is_balanced()
        );
    }
    d.write("ptx-alice-swap.json", &alice_ptx)?;
    d.write("ptx-bob-swap.json", &bob_ptx)?;

    let swap = alice_ptx.compose_concurrent(&bob_ptx).map_err(fail)?;
    println!(
        "3. compose them: delta {} (balanced: {})",
        swap.delta(),
        swap.is_balanced()
    );
    d.apply(&swap)?;

    println!("4. double spend: apply the swap again");
    let before = d.ledger.status().map_err(fail)?;
    match d.ledger.apply(&swap, &d.backend, &LogicCache::new()) {
        Ok(_) => return Err(anyhow!("the double spend was accepted")),
        Err(e) => println!("  refused: {e}"),
    }
    let after = d.ledger.status().map_err(fail)?;
    if after.root != before.root || after.nullifiers != before.nullifiers {
        return Err(anyhow!("the refused transaction changed the ledger"));
    }
    println!("  ledger unchanged: root {}", after.root);
    println!(
        "done in {:.1} s: {} transactions applied, files in {}",
        start.elapsed().as_secs_f64(),
        d.applied,
        dir.display()
    );
    Ok(())
}
