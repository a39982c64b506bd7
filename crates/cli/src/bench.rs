//! `resvm bench ...`: benchmark suites. Every figure is printed next to a baseline measured
//! in the same run (these machines are shared and noisy, so only ratios mean anything).

use anyhow::{bail, Result};
use clap::Subcommand;

/// The suites.
#[derive(Subcommand)]
pub enum Suite {
    /// Factor the fixed polynomial set with resvm and with python-flint, side by side.
    Factor {
        /// Timed runs per polynomial (best is kept).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Python interpreter with python-flint 0.7.1 installed.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Skip the FLINT side (resvm figures only).
        #[arg(long)]
        no_flint: bool,
    },
}

/// Runs a suite and prints its report.
pub fn run(suite: Suite) -> Result<()> {
    match suite {
        Suite::Factor { runs, python, no_flint } => {
            use resvm_poly::bench;
            let cases = bench::cases();
            let ours = bench::run_cases(&cases, runs);
            let flint = if no_flint {
                None
            } else {
                match bench::run_flint(&python, &cases, runs) {
                    Ok(f) => Some(f),
                    Err(e) => bail!(
                        "error: cannot time python-flint ({e}); install it with `pip install python-flint==0.7.1` or pass --no-flint"
                    ),
                }
            };
            print!("{}", bench::report(&cases, &ours, flint.as_deref()));
            Ok(())
        }
    }
}
