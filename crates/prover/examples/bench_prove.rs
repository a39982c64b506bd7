//! `cargo run --release -p resvm-prover --example bench_prove -- [MAX_LOG] [standard|test]`
//! (ideally with RUSTFLAGS="-C target-cpu=native"): proves the Fibonacci loop at CPU trace
//! sizes 2^MIN_LOG .. 2^MAX_LOG (`-- MAX_LOG LEVEL MIN_LOG`, MIN_LOG defaults to 10) and
//! prints one line per size. `cpu_s` is the process's user + system CPU time spent on that
//! line (prove and verify), a load-independent companion to the wall-clock columns.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let max: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(16);
    let level = args
        .get(2)
        .and_then(|s| resvm_prover::config::SecurityLevel::from_name(s))
        .unwrap_or(resvm_prover::config::SecurityLevel::Standard);
    println!(
        "{:>4} {:>9} {:>9} {:>10} {:>10} {:>10} {:>9} {:>10} {:>11} {:>12} {:>9}",
        "log",
        "cycles",
        "cpu_rows",
        "total_rows",
        "trace_ms",
        "prove_ms",
        "verify_ms",
        "proof_KB",
        "peak_MiB",
        "cycles/s",
        "cpu_s"
    );
    let min: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut last_cpu = cpu_seconds();
    let r = resvm_prover::bench::prove_fib(min..=max, level, &mut |r| {
        let now = cpu_seconds();
        let cpu = now - last_cpu;
        last_cpu = now;
        println!(
            "{:>4} {:>9} {:>9} {:>10} {:>10.1} {:>10.1} {:>9.2} {:>10.1} {:>11.1} {:>12.0} {:>9.2}",
            r.log_size,
            r.cycles,
            r.cpu_rows,
            r.total_rows,
            r.trace_ms,
            r.prove_ms,
            r.verify_ms,
            r.proof_bytes as f64 / 1024.0,
            r.peak_rss_bytes as f64 / (1 << 20) as f64,
            r.cycles_per_sec,
            cpu
        );
    });
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`), 0 elsewhere.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
