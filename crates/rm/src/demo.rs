//! The resource machine's main job, end to end, on any ledger ([`LedgerApi`]) and backend:
//! what `resvm demo` runs on a redb ledger and the playground on a [`crate::MemoryLedger`].
//!
//! Two token kinds (A issued by Alice's issuer, B by Bob's) are minted to Alice (5 A) and
//! Bob (3 B) in one transaction composed of two mint actions; each party builds an
//! **unbalanced** swap partial transaction (Alice: "I give 5 A for at least 3 B", Bob: the
//! converse), each consuming its tokens (the owner's key checked by the token logic) and an
//! ephemeral intent resource (checked by the intent logic), and creating what it asks for;
//! the two compose into a balanced transaction, which is verified and applied; re-applying
//! it is refused as a double spend, and the ledger is checked unchanged.
//!
//! The caller sees the flow through a [`DemoHost`]: progress lines, each partial
//! transaction and each applied transaction (the CLI writes them to files), and a clock
//! (there is no `std::time::Instant` in the browser).

use crate::backend::ProvingBackend;
use crate::builder::{ActionBuilder, OtherRef};
use crate::logic::LogicCache;
use crate::resource::{key_hash, kind, nullifier_commitment, random_digest, Resource};
use crate::state::LedgerApi;
use crate::transaction::PartialTransaction;
use crate::Error;
use resvm_field::{merge, Digest};

/// The token logic (`examples/rm/token.rvm`).
pub const TOKEN_LOGIC: &str = include_str!("../../../examples/rm/token.rvm");
/// The swap intent logic (`examples/rm/intent.rvm`).
pub const INTENT_LOGIC: &str = include_str!("../../../examples/rm/intent.rvm");

/// What the demo tells its caller as it goes.
pub trait DemoHost {
    /// Milliseconds on a monotonic clock (only differences are shown).
    fn now_ms(&self) -> f64;
    /// One progress line (no newline).
    fn line(&mut self, text: &str);
    /// A partial transaction was built: `name` is `mint-a`, `mint-b`, `alice-swap` or
    /// `bob-swap`.
    fn partial(&mut self, _name: &str, _tx: &PartialTransaction) -> Result<(), Error> {
        Ok(())
    }
    /// Transaction number `seq` (1, 2) was applied to the ledger.
    fn applied(&mut self, _seq: usize, _tx: &PartialTransaction) -> Result<(), Error> {
        Ok(())
    }
}

/// The outcome of a successful demo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoReport {
    /// The ledger's root after the swap.
    pub root: Digest,
    /// Every commitment created, in apply order.
    pub commitments: Vec<Digest>,
    /// Every nullifier consumed, in apply order.
    pub nullifiers: Vec<Digest>,
    /// Transactions applied (2: the mints, the swap).
    pub transactions: usize,
    /// Why the ledger refused the swap's replay (a double spend).
    pub refused: String,
}

/// One party's keys and what it owns.
struct Party {
    name: &'static str,
    key: Digest,
    owned: Option<(Resource, Digest)>,
}

struct Demo<'a, R: rand::Rng> {
    logics: LogicCache,
    backend: &'a dyn ProvingBackend,
    ledger: &'a mut dyn LedgerApi,
    host: &'a mut dyn DemoHost,
    rng: &'a mut R,
    token: Digest,
    intent: Digest,
    report: DemoReport,
}

fn demo_error(what: &str, e: Error) -> Error {
    Error::Demo(format!("{what}: {e}"))
}

impl<R: rand::Rng> Demo<'_, R> {
    fn fresh(
        &mut self,
        logic: Digest,
        label: Digest,
        quantity: u64,
        ephemeral: bool,
    ) -> (Resource, Digest) {
        let n = random_digest(self.rng);
        let r = Resource {
            logic,
            label,
            quantity,
            value: Digest([0; 4]),
            nonce: random_digest(self.rng),
            nc: nullifier_commitment(&n),
            ephemeral,
        };
        (r, n)
    }

    fn prove(
        &mut self,
        b: &ActionBuilder,
        what: &str,
    ) -> Result<(PartialTransaction, Vec<Resource>), Error> {
        let t = self.host.now_ms();
        let (a, created) = b
            .prove(self.backend, &self.logics, self.rng)
            .map_err(|e| demo_error(&format!("proving {what}"), e))?;
        let proved = self.host.now_ms() - t;
        let t = self.host.now_ms();
        // A fresh cache: the verifier compiles the logics itself, as any verifier would.
        a.verify(self.backend, &LogicCache::new())
            .map_err(|e| demo_error(&format!("verifying {what}"), e))?;
        let verified = self.host.now_ms() - t;
        self.host.line(&format!(
            "  {what}: proved in {:.2} s, verified in {verified:.1} ms ({} proof bytes)",
            proved / 1e3,
            a.proofs.proof.len()
        ));
        Ok((PartialTransaction::single(a), created))
    }

    /// A mint of `q` tokens of `issuer`'s kind to `to`: consumes an ephemeral token
    /// (authorized by the issuer's key), creates the persistent one.
    fn mint(
        &mut self,
        issuer: &Digest,
        to: &mut Party,
        q: u64,
    ) -> Result<PartialTransaction, Error> {
        let label = key_hash(issuer);
        let (eph, en) = self.fresh(self.token, label, q, true);
        let (mut out, on) = self.fresh(self.token, label, q, false);
        out.value = key_hash(&to.key);
        let mut b = ActionBuilder::new();
        let i = b.consume(eph, en, None)?;
        b.aux_consumed(i, [*issuer, Digest([0; 4])])?;
        b.create(out)?;
        let (tx, created) = self.prove(&b, &format!("mint {q} to {}", to.name))?;
        // The owner keeps the plaintext (with its final nonce) and the nullifier secret.
        to.owned = Some((created[0], on));
        Ok(tx)
    }

    /// `who` gives its tokens for at least `want` of the kind labelled `want_label`,
    /// created for itself.
    fn swap(
        &mut self,
        who: &Party,
        want_label: Digest,
        want: u64,
    ) -> Result<PartialTransaction, Error> {
        let (mine, n) = who
            .owned
            .ok_or_else(|| Error::Demo(format!("{} owns nothing", who.name)))?;
        let want_kind = kind(&self.token, &want_label);
        let terms = Digest([want, 0, 0, 0]);
        let (mut intent, inn) = self.fresh(self.intent, merge(&want_kind, &terms), 0, true);
        intent.value = key_hash(&who.key);
        let (mut wanted, _) = self.fresh(self.token, want_label, want, false);
        wanted.value = key_hash(&who.key);
        let path = self.ledger.path(&mine.commitment())?;
        let mut b = ActionBuilder::new();
        let c = b.consume(mine, n, Some(path))?;
        b.aux_consumed(c, [who.key, Digest([0; 4])])?;
        let i = b.consume(intent, inn, None)?;
        b.aux_consumed(i, [want_kind, terms])?;
        let j = b.create(wanted)?;
        b.show_consumed(i, OtherRef::Created(j))?;
        let what = format!("{}: give {} for at least {want}", who.name, mine.quantity);
        let (tx, _) = self.prove(&b, &what)?;
        Ok(tx)
    }

    fn apply(&mut self, tx: &PartialTransaction) -> Result<(), Error> {
        let before = self.ledger.status()?;
        let t = self.host.now_ms();
        let root = self.ledger.apply(tx, self.backend, &LogicCache::new())?;
        let ms = self.host.now_ms() - t;
        self.report.transactions += 1;
        let seq = self.report.transactions;
        self.host.applied(seq, tx)?;
        let after = self.ledger.status()?;
        self.host.line(&format!(
            "applied transaction {seq} in {ms:.1} ms (verified): root {} -> {}",
            before.root,
            root.to_hex()
        ));
        for c in tx.created() {
            self.host.line(&format!("  + commitment {}", c.to_hex()));
            self.report.commitments.push(*c);
        }
        for n in tx.consumed() {
            self.host.line(&format!("  - nullifier  {}", n.to_hex()));
            self.report.nullifiers.push(*n);
        }
        self.host.line(&format!(
            "  ledger: {} commitments, {} nullifiers, {} roots",
            after.commitments, after.nullifiers, after.roots
        ));
        self.report.root = root;
        Ok(())
    }
}

/// Runs the demo on `ledger` (fresh or not: it only adds to it) with `backend`, drawing
/// keys, nonces and the provers' randomness from `rng`. Fails with the first error, or with
/// [`Error::Demo`] if the ledger accepts the double spend or a refusal changes it.
pub fn run(
    ledger: &mut dyn LedgerApi,
    backend: &dyn ProvingBackend,
    rng: &mut impl rand::Rng,
    host: &mut dyn DemoHost,
) -> Result<DemoReport, Error> {
    let logics = LogicCache::new();
    let token = logics.add_source(TOKEN_LOGIC)?.digest();
    let intent = logics.add_source(INTENT_LOGIC)?.digest();
    let root = ledger.status()?.root;
    host.line(&format!("ledger root {root} (backend {})", backend.name()));
    let mut d = Demo {
        logics,
        backend,
        ledger,
        host,
        rng,
        token,
        intent,
        report: DemoReport {
            root: Digest([0; 4]),
            commitments: Vec::new(),
            nullifiers: Vec::new(),
            transactions: 0,
            refused: String::new(),
        },
    };
    let (issuer_a, issuer_b) = (random_digest(d.rng), random_digest(d.rng));
    let mut alice = Party {
        name: "Alice",
        key: random_digest(d.rng),
        owned: None,
    };
    let mut bob = Party {
        name: "Bob",
        key: random_digest(d.rng),
        owned: None,
    };
    let (label_a, label_b) = (key_hash(&issuer_a), key_hash(&issuer_b));

    d.host
        .line("1. mint 5 A to Alice and 3 B to Bob (two actions, composed)");
    let mint_a = d.mint(&issuer_a, &mut alice, 5)?;
    let mint_b = d.mint(&issuer_b, &mut bob, 3)?;
    d.host.partial("mint-a", &mint_a)?;
    d.host.partial("mint-b", &mint_b)?;
    let mints = mint_a.compose_concurrent(&mint_b)?;
    d.apply(&mints)?;

    d.host
        .line("2. each party builds an unbalanced swap intent");
    let alice_ptx = d.swap(&alice, label_b, 3)?;
    let bob_ptx = d.swap(&bob, label_a, 5)?;
    for (who, t) in [("alice", &alice_ptx), ("bob", &bob_ptx)] {
        d.host.line(&format!(
            "  {who}'s delta: {} (balanced: {})",
            t.delta(),
            t.is_balanced()
        ));
    }
    d.host.partial("alice-swap", &alice_ptx)?;
    d.host.partial("bob-swap", &bob_ptx)?;

    let swap = alice_ptx.compose_concurrent(&bob_ptx)?;
    d.host.line(&format!(
        "3. compose them: delta {} (balanced: {})",
        swap.delta(),
        swap.is_balanced()
    ));
    d.apply(&swap)?;

    d.host.line("4. double spend: apply the swap again");
    let before = d.ledger.status()?;
    match d.ledger.apply(&swap, d.backend, &LogicCache::new()) {
        Ok(_) => return Err(Error::Demo("the double spend was accepted".into())),
        Err(e) => {
            d.host.line(&format!("  refused: {e}"));
            d.report.refused = e.to_string();
        }
    }
    let after = d.ledger.status()?;
    if after != before {
        return Err(Error::Demo(
            "the refused transaction changed the ledger".into(),
        ));
    }
    d.host
        .line(&format!("  ledger unchanged: root {}", after.root));
    Ok(d.report)
}
