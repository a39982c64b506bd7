//! `resvm ledger …`, `resvm ptx …` and `resvm resource …`: the resource machine from the
//! command line (formats in docs/resource-machine.md). `ptx build` proves with the STARK
//! backend unless told `--backend reexec`; verifiers use the backend an action names.

use crate::error::{Failure, Outcome};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use resvm_field::Digest;
use resvm_rm::resource::{nullifier_commitment, random_digest};
use resvm_rm::serde_hex;
use resvm_rm::{
    ActionBuilder, Ledger, LogicCache, OtherRef, PartialTransaction, ReexecBackend, Resource,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The largest transaction file read (bytes).
const MAX_FILE: u64 = 256 << 20;

/// `resvm ledger …`
#[derive(Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    cmd: LedgerCmd,
}

#[derive(Subcommand)]
enum LedgerCmd {
    /// Create a new, empty ledger in DIR.
    Init {
        /// The ledger directory (created if missing).
        dir: PathBuf,
    },
    /// Verify TX against the ledger, then apply it atomically; prints the new root.
    Apply {
        /// The ledger directory.
        dir: PathBuf,
        /// The transaction (JSON).
        tx: PathBuf,
    },
    /// Print the root and counts.
    Status {
        /// The ledger directory.
        dir: PathBuf,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Recompute the tree from the stored leaves and check it against the stored root,
    /// frontier and counts.
    Check {
        /// The ledger directory.
        dir: PathBuf,
    },
    /// Print the membership path of a commitment (JSON: path and root).
    Path {
        /// The ledger directory.
        dir: PathBuf,
        /// The commitment (hex).
        commitment: String,
    },
}

/// `resvm ptx …`
#[derive(Args)]
pub struct PtxArgs {
    #[command(subcommand)]
    cmd: PtxCmd,
}

#[derive(Subcommand)]
enum PtxCmd {
    /// Build and prove an action from a build spec (JSON); writes the partial transaction.
    Build {
        /// The build spec.
        spec: PathBuf,
        /// The ledger that supplies membership paths of consumed persistent resources.
        #[arg(long)]
        ledger: Option<PathBuf>,
        /// Where to write the partial transaction.
        #[arg(short, long)]
        out: PathBuf,
        /// Where to write the created resources (with their final nonces) as JSON.
        #[arg(long)]
        created_out: Option<PathBuf>,
        /// The proving backend: `stark` (zero-knowledge) or `reexec` (fast, reveals the
        /// resources).
        #[arg(long, default_value = "stark")]
        backend: BackendChoice,
    },
    /// Verify every proof; with --ledger also the roots, spent nullifiers and balance.
    Verify {
        /// The partial transaction.
        tx: PathBuf,
        /// Check against this ledger too.
        #[arg(long)]
        ledger: Option<PathBuf>,
    },
    /// Compose partial transactions in order (all concurrent, or all sequential).
    Compose {
        /// The partial transactions, in order.
        #[arg(required = true, num_args = 2..)]
        txs: Vec<PathBuf>,
        /// Sequential composition (later ones may consume what earlier ones create).
        #[arg(long)]
        sequential: bool,
        /// Where to write the result.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Print a summary (JSON): actions, consumed, created, delta, balanced.
    Inspect {
        /// The partial transaction.
        tx: PathBuf,
    },
}

/// A proving backend chosen on the command line.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum BackendChoice {
    /// The zero-knowledge STARK backend (`stark-v1`).
    Stark,
    /// The re-execution backend (`reexec-v2`): not zero-knowledge.
    Reexec,
}

impl BackendChoice {
    /// The backend.
    pub fn backend(self) -> Box<dyn resvm_rm::ProvingBackend> {
        match self {
            BackendChoice::Stark => Box::new(resvm_rm::StarkBackend::new()),
            BackendChoice::Reexec => Box::new(ReexecBackend),
        }
    }
}

/// The backend that verifies `t` (the one its actions name).
fn verifier_of(t: &PartialTransaction) -> Result<Box<dyn resvm_rm::ProvingBackend>> {
    resvm_rm::backend_of(t).map_err(|e| anyhow!("error: refused: {}", one_line(e)))
}

/// `resvm resource …`
#[derive(Args)]
pub struct ResourceArgs {
    #[command(subcommand)]
    cmd: ResourceCmd,
}

#[derive(Subcommand)]
enum ResourceCmd {
    /// A new resource with a fresh nullifier secret: prints {"resource", "nullifier",
    /// "commitment", "kind"} (the nonce of a created resource is replaced when proving).
    New {
        /// The logic's source (`.rvm`).
        #[arg(long)]
        logic: PathBuf,
        /// The label (hex digest).
        #[arg(long)]
        label: String,
        /// The quantity (at most 2^48 - 1).
        #[arg(long)]
        quantity: u64,
        /// The value (hex digest; zero when omitted).
        #[arg(long)]
        value: Option<String>,
        /// Ephemeral (no membership proof when consumed).
        #[arg(long)]
        ephemeral: bool,
    },
    /// Print a resource's commitment, kind and nullifier commitment.
    Show {
        /// A resource (JSON), or a file printed by `resource new`.
        file: PathBuf,
    },
    /// Print the logic digest of a program.
    LogicDigest {
        /// The logic's source (`.rvm`).
        file: PathBuf,
    },
}

/// A failed command: exit code 1 (a refused or invalid transaction, a bad file) with its
/// one-line message.
fn failure(e: anyhow::Error) -> Failure {
    Failure::program(one_line(format!("{e:#}")))
}

fn one_line(e: impl std::fmt::Display) -> String {
    e.to_string().replace('\n', " ")
}

fn read_text(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("error: cannot read {}", path.display()))?;
    if meta.len() > MAX_FILE {
        bail!(
            "error: {} is larger than {} bytes",
            path.display(),
            MAX_FILE
        );
    }
    std::fs::read_to_string(path).with_context(|| format!("error: cannot read {}", path.display()))
}

fn read_tx(path: &Path) -> Result<PartialTransaction> {
    let text = read_text(path)?;
    PartialTransaction::from_json(&text)
        .map_err(|e| anyhow!("error: {}: {}", path.display(), one_line(e)))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("error: cannot write {}", path.display()))
}

fn open(dir: &Path) -> Result<Ledger> {
    Ledger::open(dir).map_err(|e| anyhow!("error: {}", one_line(e)))
}

fn digest_arg(s: &str) -> Result<Digest> {
    serde_hex::parse_digest(s).map_err(|e| anyhow!("error: {e}"))
}

/// Runs `resvm ledger …`.
pub fn ledger(a: LedgerArgs) -> Outcome {
    ledger_inner(a).map_err(failure)
}

fn ledger_inner(a: LedgerArgs) -> Result<()> {
    match a.cmd {
        LedgerCmd::Init { dir } => {
            let l = Ledger::init(&dir).map_err(|e| anyhow!("error: {}", one_line(e)))?;
            println!("{}", l.root().map_err(|e| anyhow!("error: {e}"))?.to_hex());
            Ok(())
        }
        LedgerCmd::Apply { dir, tx } => {
            let mut l = open(&dir)?;
            let t = read_tx(&tx)?;
            let root = l
                .apply(&t, &*verifier_of(&t)?, &LogicCache::new())
                .map_err(|e| anyhow!("error: refused: {}", one_line(e)))?;
            println!("{}", root.to_hex());
            Ok(())
        }
        LedgerCmd::Status { dir, json } => {
            let s = open(&dir)?.status().map_err(|e| anyhow!("error: {e}"))?;
            if json {
                println!("{}", serde_json::to_string(&s)?);
            } else {
                println!("root: {}", s.root);
                println!("commitments: {}", s.commitments);
                println!("nullifiers: {}", s.nullifiers);
                println!("roots: {}", s.roots);
                println!("transactions: {}", s.transactions);
                println!("public resources: {}", s.public_resources);
            }
            Ok(())
        }
        LedgerCmd::Check { dir } => {
            let s = open(&dir)?
                .check_integrity()
                .map_err(|e| anyhow!("error: {}", one_line(e)))?;
            println!("ok: {} commitments, root {}", s.commitments, s.root);
            Ok(())
        }
        LedgerCmd::Path { dir, commitment } => {
            let c = digest_arg(&commitment)?;
            let (path, root) = open(&dir)?
                .path(&c)
                .map_err(|e| anyhow!("error: {}", one_line(e)))?;
            #[derive(Serialize)]
            struct Out<'a> {
                version: u64,
                path: &'a resvm_rm::MerklePath,
                root: String,
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&Out {
                    version: 1,
                    path: &path,
                    root: root.to_hex(),
                })?
            );
            Ok(())
        }
    }
}

/// The build spec of `resvm ptx build` (version 1).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildSpec {
    version: u64,
    /// Logic sources, relative to the spec file.
    logics: Vec<PathBuf>,
    #[serde(default)]
    consume: Vec<ConsumeSpec>,
    #[serde(default)]
    create: Vec<CreateSpec>,
    #[serde(default, with = "serde_hex::felts")]
    extradata: Vec<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsumeSpec {
    resource: Resource,
    #[serde(with = "serde_hex::digest")]
    nullifier: Digest,
    /// The second resource shown to its logic: {"consumed": i} or {"created": i}.
    #[serde(default)]
    show: Option<ShowSpec>,
    /// The logic's auxiliary witness: two digests (e.g. the owner's secret key and 0).
    #[serde(default, with = "serde_hex::digests")]
    aux: Vec<Digest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateSpec {
    resource: Resource,
    #[serde(default)]
    publish: bool,
    #[serde(default)]
    show: Option<ShowSpec>,
    #[serde(default, with = "serde_hex::digests")]
    aux: Vec<Digest>,
}

/// The two aux digests of a spec entry (none given: zeros).
fn aux_of(v: &[Digest]) -> Result<[Digest; 2]> {
    match v {
        [] => Ok([Digest([0; 4]); 2]),
        [a, b] => Ok([*a, *b]),
        _ => bail!("error: `aux` takes exactly two digests"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
enum ShowSpec {
    Consumed(usize),
    Created(usize),
}

impl From<&ShowSpec> for OtherRef {
    fn from(s: &ShowSpec) -> OtherRef {
        match s {
            ShowSpec::Consumed(i) => OtherRef::Consumed(*i),
            ShowSpec::Created(i) => OtherRef::Created(*i),
        }
    }
}

/// Runs `resvm ptx …`.
pub fn ptx(a: PtxArgs) -> Outcome {
    ptx_inner(a).map_err(failure)
}

fn ptx_inner(a: PtxArgs) -> Result<()> {
    match a.cmd {
        PtxCmd::Build {
            spec,
            ledger,
            out,
            created_out,
            backend,
        } => {
            let text = read_text(&spec)?;
            let s: BuildSpec = serde_json::from_str(&text)
                .map_err(|e| anyhow!("error: {}: {}", spec.display(), one_line(e)))?;
            if s.version != 1 {
                bail!(
                    "error: unsupported build spec version {} (expected 1)",
                    s.version
                );
            }
            let base = spec.parent().unwrap_or(Path::new("."));
            let logics = LogicCache::new();
            for p in &s.logics {
                let src = read_text(&base.join(p))?;
                logics
                    .add_source(&src)
                    .map_err(|e| anyhow!("error: {}: {}", p.display(), one_line(e)))?;
            }
            let ledger = ledger.as_deref().map(open).transpose()?;
            let mut b = ActionBuilder::new();
            let fail = |e: resvm_rm::Error| anyhow!("error: {}", one_line(e));
            for c in &s.consume {
                let path = if c.resource.ephemeral {
                    None
                } else {
                    let l = ledger.as_ref().ok_or_else(|| {
                        anyhow!("error: consuming a persistent resource needs --ledger")
                    })?;
                    Some(l.path(&c.resource.commitment()).map_err(fail)?)
                };
                b.consume(c.resource, c.nullifier, path).map_err(fail)?;
            }
            for (j, c) in s.create.iter().enumerate() {
                b.create(c.resource).map_err(fail)?;
                if c.publish {
                    b.publish(j).map_err(fail)?;
                }
            }
            for (i, c) in s.consume.iter().enumerate() {
                if let Some(o) = &c.show {
                    b.show_consumed(i, o.into()).map_err(fail)?;
                }
                b.aux_consumed(i, aux_of(&c.aux)?).map_err(fail)?;
            }
            for (j, c) in s.create.iter().enumerate() {
                if let Some(o) = &c.show {
                    b.show_created(j, o.into()).map_err(fail)?;
                }
                b.aux_created(j, aux_of(&c.aux)?).map_err(fail)?;
            }
            for x in &s.extradata {
                b.push_extradata(*x);
            }
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_seed(os_seed());
            let (action, created) = b
                .prove(&*backend.backend(), &logics, &mut rng)
                .map_err(fail)?;
            let tx = PartialTransaction::single(action);
            write(&out, &tx.to_json())?;
            if let Some(p) = created_out {
                write(&p, &serde_json::to_string_pretty(&created)?)?;
            }
            println!("{}", summary(&tx)?);
            Ok(())
        }
        PtxCmd::Verify { tx, ledger } => {
            let t = read_tx(&tx)?;
            let logics = LogicCache::new();
            let backend = verifier_of(&t)?;
            match ledger {
                Some(dir) => open(&dir)?
                    .check(&t, &*backend, &logics)
                    .map_err(|e| anyhow!("error: invalid: {}", one_line(e)))?,
                None => {
                    t.verify_shape()
                        .map_err(|e| anyhow!("error: invalid: {}", one_line(e)))?;
                    resvm_rm::verify_actions(&t.actions, &*backend, &logics)
                        .map_err(|e| anyhow!("error: invalid: {}", one_line(e)))?;
                }
            }
            println!(
                "valid{}",
                if t.is_balanced() {
                    " (balanced)"
                } else {
                    " (unbalanced)"
                }
            );
            Ok(())
        }
        PtxCmd::Compose {
            txs,
            sequential,
            out,
        } => {
            let mut acc = read_tx(&txs[0])?;
            for p in &txs[1..] {
                let t = read_tx(p)?;
                acc = if sequential {
                    acc.compose_sequential(&t)
                } else {
                    acc.compose_concurrent(&t)
                }
                .map_err(|e| anyhow!("error: {}", one_line(e)))?;
            }
            write(&out, &acc.to_json())?;
            println!("{}", summary(&acc)?);
            Ok(())
        }
        PtxCmd::Inspect { tx } => {
            println!("{}", summary(&read_tx(&tx)?)?);
            Ok(())
        }
    }
}

fn summary(t: &PartialTransaction) -> Result<String> {
    #[derive(Serialize)]
    struct Summary {
        version: u64,
        actions: usize,
        #[serde(with = "serde_hex::digests")]
        consumed: Vec<Digest>,
        #[serde(with = "serde_hex::digests")]
        created: Vec<Digest>,
        delta: resvm_rm::Delta,
        balanced: bool,
    }
    Ok(serde_json::to_string_pretty(&Summary {
        version: 1,
        actions: t.actions.len(),
        consumed: t.consumed().copied().collect(),
        created: t.created().copied().collect(),
        delta: t.delta(),
        balanced: t.is_balanced(),
    })?)
}

pub(crate) fn os_seed() -> [u8; 32] {
    use rand::TryRng;
    let mut seed = [0u8; 32];
    // A failing OS generator leaves a zero seed only if it fails; refuse to go on then.
    if rand::rngs::SysRng.try_fill_bytes(&mut seed).is_err() {
        eprintln!("error: the OS random number generator failed");
        std::process::exit(1);
    }
    seed
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewResource {
    version: u64,
    resource: Resource,
    #[serde(with = "serde_hex::digest")]
    nullifier: Digest,
    #[serde(with = "serde_hex::digest")]
    commitment: Digest,
    #[serde(with = "serde_hex::digest")]
    kind: Digest,
}

/// Runs `resvm resource …`.
pub fn resource(a: ResourceArgs) -> Outcome {
    resource_inner(a).map_err(failure)
}

fn resource_inner(a: ResourceArgs) -> Result<()> {
    match a.cmd {
        ResourceCmd::New {
            logic,
            label,
            quantity,
            value,
            ephemeral,
        } => {
            let src = read_text(&logic)?;
            let p = resvm_rm::LogicProgram::compile(&src)
                .map_err(|e| anyhow!("error: {}: {}", logic.display(), one_line(e)))?;
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_seed(os_seed());
            let n = random_digest(&mut rng);
            let r = Resource {
                logic: p.digest(),
                label: digest_arg(&label)?,
                quantity,
                value: value
                    .as_deref()
                    .map(digest_arg)
                    .transpose()?
                    .unwrap_or(Digest([0; 4])),
                nonce: random_digest(&mut rng),
                nc: nullifier_commitment(&n),
                ephemeral,
            };
            r.check_bounds().map_err(|e| anyhow!("error: {e}"))?;
            let out = NewResource {
                version: 1,
                resource: r,
                nullifier: n,
                commitment: r.commitment(),
                kind: r.kind(),
            };
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        ResourceCmd::Show { file } => {
            let text = read_text(&file)?;
            let r: Resource = match serde_json::from_str::<NewResource>(&text) {
                Ok(n) => n.resource,
                Err(_) => serde_json::from_str(&text)
                    .map_err(|e| anyhow!("error: {}: {}", file.display(), one_line(e)))?,
            };
            #[derive(Serialize)]
            struct Show {
                version: u64,
                #[serde(with = "serde_hex::digest")]
                commitment: Digest,
                #[serde(with = "serde_hex::digest")]
                kind: Digest,
                #[serde(with = "serde_hex::digest")]
                nc: Digest,
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&Show {
                    version: 1,
                    commitment: r.commitment(),
                    kind: r.kind(),
                    nc: r.nc,
                })?
            );
            Ok(())
        }
        ResourceCmd::LogicDigest { file } => {
            let src = read_text(&file)?;
            let p = resvm_rm::LogicProgram::compile(&src)
                .map_err(|e| anyhow!("error: {}: {}", file.display(), one_line(e)))?;
            println!("{}", p.digest().to_hex());
            Ok(())
        }
    }
}

/// `resvm bench rm`
#[derive(Args)]
pub struct BenchRmArgs {
    /// Transactions applied one commit each.
    #[arg(long, default_value_t = 200)]
    single: usize,
    /// Transactions applied in one batched commit.
    #[arg(long, default_value_t = 2000)]
    batched: usize,
    /// Repetitions of each STARK prove (verifications: 10 times as many).
    #[arg(long, default_value_t = 3)]
    stark_reps: usize,
}

/// The STARK backend's figures: token transfers (owner's key checked by the token logic,
/// persistent inputs with depth-32 membership paths), 1-in/1-out and 2-in/2-out.
fn stark_figures(reps: usize) -> Result<()> {
    use resvm_rm::resource::key_hash;
    use std::time::Instant;
    let fail = |e: resvm_rm::Error| anyhow!("error: {}", one_line(e));
    let logics = LogicCache::new();
    let token = logics
        .add_source(include_str!("../../../examples/rm/token.rvm"))
        .map_err(fail)?
        .digest();
    let backend = resvm_rm::StarkBackend::new();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(2);
    let (issuer, owner, recipient) = (
        random_digest(&mut rng),
        random_digest(&mut rng),
        random_digest(&mut rng),
    );
    let reps = reps.max(1);
    println!(
        "STARK backend (zero-knowledge, standard parameters; logic: token, owner's key checked)"
    );
    for (name, ins) in [
        ("one resource's proofs (1-in/1-out)", 1),
        ("2-in/2-out transfer", 2),
    ] {
        let mut tree = resvm_rm::MemoryTree::new();
        let mut owned = Vec::new();
        for _ in 0..ins {
            let n = random_digest(&mut rng);
            let r = Resource {
                logic: token,
                label: key_hash(&issuer),
                quantity: 5,
                value: key_hash(&owner),
                nonce: random_digest(&mut rng),
                nc: nullifier_commitment(&n),
                ephemeral: false,
            };
            let i = tree.append(r.commitment()).map_err(fail)?;
            owned.push((r, n, i));
        }
        let mut b = ActionBuilder::new();
        for (r, n, i) in &owned {
            let path = tree.path(*i).map_err(fail)?;
            let c = b.consume(*r, *n, Some((path, tree.root()))).map_err(fail)?;
            b.aux_consumed(c, [owner, Digest([0; 4])]).map_err(fail)?;
        }
        for _ in 0..ins {
            let mut r = owned[0].0;
            r.value = key_hash(&recipient);
            r.nc = nullifier_commitment(&random_digest(&mut rng));
            b.create(r).map_err(fail)?;
        }
        let start = Instant::now();
        let mut action = None;
        for _ in 0..reps {
            action = Some(b.prove(&backend, &logics, &mut rng).map_err(fail)?.0);
        }
        let prove = start.elapsed().as_secs_f64() / reps as f64;
        let action = action.expect("reps >= 1");
        let verifier = LogicCache::new();
        let vreps = 10 * reps;
        let start = Instant::now();
        for _ in 0..vreps {
            action.verify(&backend, &verifier).map_err(fail)?;
        }
        let verify = start.elapsed().as_secs_f64() / vreps as f64;
        // A block of such actions: one by one, then together (`verify_actions`: the STARK
        // checks on all cores), the same work in the same run.
        let block: Vec<&resvm_rm::Action> = std::iter::repeat_n(&action, 8).collect();
        let start = Instant::now();
        for a in &block {
            a.verify(&backend, &verifier).map_err(fail)?;
        }
        let one_by_one = start.elapsed().as_secs_f64();
        let start = Instant::now();
        resvm_rm::verify_actions(block.iter().copied(), &backend, &verifier).map_err(fail)?;
        let together = start.elapsed().as_secs_f64();
        let tx = PartialTransaction::single(action);
        println!(
            "{name}: prove {:.0} ms, verify {:.1} ms, proof {} bytes, transaction {} bytes JSON",
            prove * 1e3,
            verify * 1e3,
            tx.actions[0].proofs.proof.len(),
            tx.to_json().len()
        );
        println!(
            "  8 such actions: verified one by one {:.0} ms, together {:.0} ms ({:.2}x)",
            one_by_one * 1e3,
            together * 1e3,
            together / one_by_one
        );
    }
    Ok(())
}

/// Runs `resvm bench rm`: every figure measured in this run, with the re-execution backend
/// (proving = checking the witness and running the logics; not zero-knowledge).
pub fn bench_rm(a: BenchRmArgs) -> Outcome {
    bench_rm_inner(a).map_err(failure)
}

fn bench_rm_inner(a: BenchRmArgs) -> Result<()> {
    use std::time::Instant;
    let fail = |e: resvm_rm::Error| anyhow!("error: {}", one_line(e));
    let src = include_str!("../../../examples/rm/always_accept.rvm");
    let logics = LogicCache::new();
    let logic = logics.add_source(src).map_err(fail)?.digest();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
    let label = random_digest(&mut rng);
    let fresh = |rng: &mut rand::rngs::StdRng, q: u64, ephemeral: bool| {
        let n = random_digest(rng);
        let r = Resource {
            logic,
            label,
            quantity: q,
            value: Digest([0; 4]),
            nonce: random_digest(rng),
            nc: nullifier_commitment(&n),
            ephemeral,
        };
        (r, n)
    };
    // A 2-in/2-out transaction of ephemeral inputs (independent of ledger state).
    let make = |rng: &mut rand::rngs::StdRng, ins: usize| -> Result<PartialTransaction> {
        let mut b = ActionBuilder::new();
        for _ in 0..ins {
            let (r, n) = fresh(rng, 1, true);
            b.consume(r, n, None).map_err(fail)?;
        }
        for _ in 0..ins {
            let (r, _) = fresh(rng, 1, false);
            b.create(r).map_err(fail)?;
        }
        let (a, _) = b.prove(&ReexecBackend, &logics, rng).map_err(fail)?;
        Ok(PartialTransaction::single(a))
    };
    let time = |f: &mut dyn FnMut() -> Result<()>, reps: usize| -> Result<f64> {
        let start = Instant::now();
        for _ in 0..reps {
            f()?;
        }
        Ok(start.elapsed().as_secs_f64() / reps as f64)
    };
    stark_figures(a.stark_reps)?;
    let reps = 50;
    println!("resource machine (re-execution backend, not zero-knowledge; logic: always_accept)");
    for (name, ins) in [("one resource (1-in/1-out)", 1), ("2-in/2-out transfer", 2)] {
        let prove = time(&mut || make(&mut rng, ins).map(|_| ()), reps)?;
        let tx = make(&mut rng, ins)?;
        let verifier = LogicCache::new();
        let verify = time(
            &mut || {
                tx.actions[0]
                    .verify(&ReexecBackend, &verifier)
                    .map_err(fail)
            },
            reps,
        )?;
        let cold = time(
            &mut || {
                tx.actions[0]
                    .verify(&ReexecBackend, &LogicCache::new())
                    .map_err(fail)
            },
            5,
        )?;
        println!(
            "{name}: prove {:.3} ms, verify {:.3} ms (logic cached), {:.3} ms (logic compiled), size {} bytes JSON",
            prove * 1e3,
            verify * 1e3,
            cold * 1e3,
            tx.to_json().len()
        );
    }
    let txs: Vec<PartialTransaction> = (0..a.single.max(a.batched))
        .map(|_| make(&mut rng, 2))
        .collect::<Result<_>>()?;
    for verify in [true, false] {
        let verifier = LogicCache::new();
        let tmp = std::env::temp_dir().join(format!("resvm-bench-rm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let mut l = Ledger::init(&tmp).map_err(fail)?;
        let n = a.single.min(txs.len());
        let start = Instant::now();
        for t in &txs[..n] {
            if verify {
                l.apply(t, &ReexecBackend, &verifier).map_err(fail)?;
            } else {
                l.apply_batch(std::slice::from_ref(t), None).map_err(fail)?;
            }
        }
        let single = start.elapsed().as_secs_f64();
        drop(l);
        let _ = std::fs::remove_dir_all(&tmp);
        let mut l = Ledger::init(&tmp).map_err(fail)?;
        let m = a.batched.min(txs.len());
        let start = Instant::now();
        l.apply_batch(
            &txs[..m],
            verify.then_some((&ReexecBackend as &dyn resvm_rm::ProvingBackend, &verifier)),
        )
        .map_err(fail)?;
        let batched = start.elapsed().as_secs_f64();
        drop(l);
        let _ = std::fs::remove_dir_all(&tmp);
        let label = if verify {
            "with verification"
        } else {
            "without verification"
        };
        println!(
            "ledger apply {label}: per-transaction commits {:.0} tx/s ({:.0} commitments/s, {n} tx); batched {:.0} tx/s ({:.0} commitments/s, {m} tx in one commit)",
            n as f64 / single,
            2.0 * n as f64 / single,
            m as f64 / batched,
            2.0 * m as f64 / batched,
        );
    }
    Ok(())
}
