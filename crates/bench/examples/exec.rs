//! Runs the execution benchmark with the stack engine included (through the full compiler of
//! the `resvm` facade) and prints the table.
//!
//! `cargo run --release -p resvm-bench --example exec [-- --quick] [--samples N] [--no-stack]`

use resvm_bench::{external_engine, run_exec_bench, ExecBenchOptions, Runner};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = if args.iter().any(|a| a == "--quick") {
        ExecBenchOptions::quick()
    } else {
        ExecBenchOptions::default()
    };
    if let Some(i) = args.iter().position(|a| a == "--samples") {
        match args.get(i + 1).and_then(|s| s.parse().ok()) {
            Some(n) => opts.samples = n,
            None => {
                eprintln!("--samples needs a number");
                std::process::exit(2);
            }
        }
    }
    if !args.iter().any(|a| a == "--no-stack") {
        opts.external.push(external_engine("stack", |src| {
            let c = resvm::compile(src).map_err(|e| e.to_string())?;
            Ok(Box::new(move |x: &[resvm::F], l: &resvm::Limits| {
                resvm::run(&c, resvm::Engine::Stack, x, l)
            }) as Runner)
        }));
    }
    print!("{}", run_exec_bench(&opts));
}
