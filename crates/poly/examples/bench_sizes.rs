//! Prints the size of every benchmark input (`cargo run -p resvm-poly --example bench_sizes`).
fn main() {
    for c in resvm_poly::bench::cases() {
        println!(
            "{:<12} vars {} terms {:>5} degree {:>3}",
            c.name,
            c.names.len(),
            c.poly.num_terms(),
            c.poly.total_degree().unwrap_or(0)
        );
    }
}
