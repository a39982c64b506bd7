//! `cargo run --release -p resvm-prover --example proof_size -- [LOG [N]]`: proves the
//! Fibonacci loop at 2^LOG CPU rows (default 14), or fib(N) when N is given, with the
//! standard parameters and prints where the
//! proof's bytes go: commitments, out-of-domain values per table, and per PCS commitment the
//! opened values, Merkle salts and Merkle paths (with the widths of the opened matrices), then
//! the FRI layers.

use p3_field::PrimeCharacteristicRing;
fn sz<T: serde::Serialize>(t: &T) -> usize {
    postcard::to_allocvec(t).unwrap().len()
}
fn main() {
    let k: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(14);
    let p = resvm_prover::bench::fib_program();
    let n = match std::env::args().nth(2) {
        Some(n) => n.parse().expect("N is a number"),
        None => resvm_prover::bench::fib_n_for_cycles(&p, 1 << k).unwrap(),
    };
    let proof = resvm_prover::prove(&p, &[resvm_field::F::from_u64(n)], &[]).unwrap();
    let s = &proof.stark;
    println!("total {}", proof.to_bytes().len());
    println!("commitments {}", sz(&s.commitments));
    for (i, inst) in s.opened_values.instances.iter().enumerate() {
        println!("opened[{i}] {}", sz(inst));
    }
    let fri = &s.opening_proof;
    println!("fri commit_phase_commits {}", sz(&fri.commit_phase_commits));
    println!("fri final_poly {}", sz(&fri.final_poly));
    for (i, o) in fri.input_openings.iter().enumerate() {
        let (salts, paths) = &o.opening_proof;
        let per: Vec<usize> = o
            .opened_values
            .first()
            .map(|q| q.iter().map(|m| m.len()).collect())
            .unwrap_or_default();
        println!(
            "input_openings[{i}] values {} salts {} paths {}  widths(q0) {:?}",
            sz(&o.opened_values),
            sz(salts),
            sz(paths),
            per
        );
    }
    let mut tot = 0;
    for (i, st) in fri.commit_phase_openings.iter().enumerate() {
        let a = sz(&st.sibling_values);
        let b = sz(&st.opening_proof);
        tot += a + b;
        println!("commit_phase[{i}] siblings {a} proof {b}");
    }
    println!("commit_phase total {tot}");
}
