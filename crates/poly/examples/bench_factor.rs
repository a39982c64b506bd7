//! Runs the factorization benchmark and, if python-flint is available, the same set in
//! FLINT, printing both side by side.
//!
//! `cargo run --release -p resvm-poly --example bench_factor [RUNS] [NAME-FILTER]`

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let filter = std::env::args().nth(2).unwrap_or_default();
    let cases: Vec<_> = resvm_poly::bench::cases()
        .into_iter()
        .filter(|c| c.name.contains(&filter))
        .collect();
    for c in &cases {
        println!("{:<12} {}", c.name, c.description);
    }
    let ours = resvm_poly::bench::run_cases(&cases, runs);
    let flint = match resvm_poly::bench::run_flint("python3", &cases, runs) {
        Ok(f) => Some(f),
        Err(e) => {
            eprintln!("python-flint not run: {e}");
            None
        }
    };
    println!(
        "{}",
        resvm_poly::bench::report(&cases, &ours, flint.as_deref())
    );
}
