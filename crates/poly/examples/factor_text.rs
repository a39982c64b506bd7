//! Factors polynomials given as text: one per line on stdin, `names TAB polynomial`
//! (comma-separated names, FLINT syntax), printing the factorization or the error.
//! `cargo run -p resvm-poly --example factor_text < input.txt`

use p3_field::PrimeCharacteristicRing;
use resvm_poly::{Poly, F};
use std::io::BufRead;

fn parse(names: &[&str], text: &str) -> Option<Poly> {
    let n = names.len();
    let mut terms = Vec::new();
    for t in text.split(" + ") {
        let mut e = vec![0u32; n];
        let mut c = F::ONE;
        for f in t.split('*') {
            let (base, pow) = match f.split_once('^') {
                Some((b, p)) => (b, p.parse::<u32>().ok()?),
                None => (f, 1),
            };
            match names.iter().position(|&x| x == base) {
                Some(v) => e[v] += pow,
                None => c *= F::from_u64(base.parse::<u64>().ok()?),
            }
        }
        terms.push((e, c));
    }
    Some(Poly::from_terms(n, terms))
}

fn main() {
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let Some((names, text)) = line.split_once('\t') else {
            continue;
        };
        let names: Vec<&str> = names.split(',').collect();
        match parse(&names, text.trim()) {
            Some(p) => match p.factor_with(&Default::default()) {
                Ok(f) => println!("{}", f.to_string_with(&names)),
                Err(e) => println!("error: {e}"),
            },
            None => println!("error: cannot parse"),
        }
    }
}
