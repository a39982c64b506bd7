//! `cargo run --release -p resvm-prover --example bench_prove -- [MAX_LOG] [standard|test]`
//! (ideally with RUSTFLAGS="-C target-cpu=native"): proves the Fibonacci loop at CPU trace
//! sizes 2^10 .. 2^MAX_LOG and prints one line per size.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let max: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(16);
    let level = args
        .get(2)
        .and_then(|s| resvm_prover::config::SecurityLevel::from_name(s))
        .unwrap_or(resvm_prover::config::SecurityLevel::Standard);
    println!(
        "{:>4} {:>9} {:>9} {:>10} {:>10} {:>10} {:>9} {:>10} {:>11} {:>12}",
        "log", "cycles", "cpu_rows", "total_rows", "trace_ms", "prove_ms", "verify_ms", "proof_KB", "peak_MiB", "cycles/s"
    );
    let r = resvm_prover::bench::prove_fib(10..=max, level, &mut |r| {
        println!(
            "{:>4} {:>9} {:>9} {:>10} {:>10.1} {:>10.1} {:>9.2} {:>10.1} {:>11.1} {:>12.0}",
            r.log_size,
            r.cycles,
            r.cpu_rows,
            r.total_rows,
            r.trace_ms,
            r.prove_ms,
            r.verify_ms,
            r.proof_bytes as f64 / 1024.0,
            r.peak_rss_bytes as f64 / (1 << 20) as f64,
            r.cycles_per_sec
        );
    });
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
