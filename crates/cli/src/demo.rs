//! `resvm demo [--dir DIR]`: the resource machine's main job, end to end, with the STARK
//! backend, on a fresh redb ledger. The flow itself is [`resvm_rm::demo::run`] (shared with
//! the playground); this command gives it the ledger in `DIR/ledger/`, prints its progress
//! and writes `DIR/tx-01.json`, `DIR/tx-02.json` (in apply order) and `DIR/ptx-*.json`.

use crate::error::{Failure, Outcome};
use anyhow::{anyhow, Context, Result};
use clap::Args;
use resvm_rm::demo::DemoHost;
use resvm_rm::{Ledger, PartialTransaction, ProvingBackend, StarkBackend};
use std::path::{Path, PathBuf};
use std::time::Instant;

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

/// Prints the progress and writes the transactions into the demo directory.
struct Host {
    dir: PathBuf,
    start: Instant,
}

impl Host {
    fn write(&self, name: &str, tx: &PartialTransaction) -> Result<(), resvm_rm::Error> {
        let p = self.dir.join(name);
        std::fs::write(&p, tx.to_json())
            .map_err(|e| resvm_rm::Error::Io(format!("writing {}: {e}", p.display())))
    }
}

impl DemoHost for Host {
    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1e3
    }
    fn line(&mut self, text: &str) {
        println!("{text}");
    }
    fn partial(&mut self, name: &str, tx: &PartialTransaction) -> Result<(), resvm_rm::Error> {
        self.write(&format!("ptx-{name}.json"), tx)
    }
    fn applied(&mut self, seq: usize, tx: &PartialTransaction) -> Result<(), resvm_rm::Error> {
        self.write(&format!("tx-{seq:02}.json"), tx)
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
    let dir = demo_dir(a.dir)?;
    let ledger_dir = dir.join("ledger");
    if Path::new(&ledger_dir).exists() {
        return Err(anyhow!(
            "{} already exists: give the demo a new directory",
            ledger_dir.display()
        ));
    }
    let mut ledger = Ledger::init(&ledger_dir).map_err(|e| anyhow!("{e}"))?;
    let backend = StarkBackend::new();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_seed(crate::rm_cmd::os_seed());
    println!(
        "resvm demo in {} (backend {})",
        dir.display(),
        backend.name()
    );
    let mut host = Host {
        dir: dir.clone(),
        start: Instant::now(),
    };
    let report = resvm_rm::demo::run(&mut ledger, &backend, &mut rng, &mut host)
        .map_err(|e| anyhow!("{e}"))?;
    println!(
        "done in {:.1} s: {} transactions applied, files in {}",
        host.start.elapsed().as_secs_f64(),
        report.transactions,
        dir.display()
    );
    Ok(())
}
