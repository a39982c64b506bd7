//! The canonical form of a pure polynomial `main` prints exactly as FLINT's
//! `fmpz_mod_mpoly` (ordering deglex) prints the same polynomial: a differential test
//! against python-flint 0.7.1 over random expressions (sums, differences, products, powers,
//! negation, `let`, full-size constants). Set `RESVM_SKIP_FLINT=1` to skip when python-flint
//! is unavailable; otherwise its absence fails the test.

use std::io::Write;
use std::process::{Command, Stdio};

const P: u64 = 0xFFFF_FFFF_0000_0001;

use resvm_field::SplitMix64 as Rng;

/// A random expression as (resvm source, python expression over flint generators).
fn expr(r: &mut Rng, vars: &[&str], depth: u32, lets: &mut u32, max_k: u64) -> (String, String) {
    let leaf = depth == 0 || r.below(4) == 0;
    if leaf {
        return match r.below(3) {
            0 => {
                let c = match r.below(3) {
                    0 => r.below(10),
                    1 => P - 1 - r.below(5),
                    _ => r.below(P),
                };
                (c.to_string(), format!("(ONE*{c})"))
            }
            _ => {
                let v = vars[r.below(vars.len() as u64) as usize];
                (v.to_string(), v.to_string())
            }
        };
    }
    match r.below(6) {
        0 | 1 => {
            let (a, pa) = expr(r, vars, depth - 1, lets, max_k);
            let (b, pb) = expr(r, vars, depth - 1, lets, max_k);
            let op = ["+", "-", "*"][r.below(3) as usize];
            (format!("({a} {op} {b})"), format!("({pa} {op} {pb})"))
        }
        2 => {
            let (a, pa) = expr(r, vars, depth - 1, lets, max_k);
            let k = r.below(max_k);
            (format!("({a})^{k}"), format!("(({pa})**{k})"))
        }
        3 => {
            let (a, pa) = expr(r, vars, depth - 1, lets, max_k);
            (format!("(-{a})"), format!("(-{pa})"))
        }
        4 => {
            // `let` is sharing: substitute on the Python side.
            *lets += 1;
            let name = format!("t{lets}");
            let (v, pv) = expr(r, vars, depth - 1, lets, max_k);
            let (b, pb) = expr(r, vars, depth - 1, lets, max_k);
            let uses = r.below(3);
            let body = match uses {
                0 => format!("({b} + {name})"),
                1 => format!("({name} * {b})"),
                _ => format!("({name} * {name} - {b})"),
            };
            let pbody = match uses {
                0 => format!("({pb} + ({pv}))"),
                1 => format!("(({pv}) * {pb})"),
                _ => format!("(({pv}) * ({pv}) - {pb})"),
            };
            (format!("(let {name} = {v} in {body})"), pbody)
        }
        _ => {
            let (a, pa) = expr(r, vars, depth - 1, lets, max_k);
            let (b, pb) = expr(r, vars, depth - 1, lets, max_k);
            (format!("{a} * {b}"), format!("{pa} * {pb}"))
        }
    }
}

#[test]
fn canon_printing_matches_flint() {
    run(0x5eed_0001, 300, 1, 4, 4, 4);
}

/// Beyond 4 variables and small powers: 5 to 8 variables, exponents up to 15, deeper
/// expressions (terms in the thousands, up to the expansion limit).
#[test]
fn canon_printing_matches_flint_many_variables_high_degree() {
    run(0x5eed_0002, 120, 5, 8, 16, 5);
}

/// `cases` random programs over `min..=max` variables, exponents below `max_k`, expression
/// depth `depth`: resvm's canonical form must print exactly as FLINT's.
fn run(seed: u64, cases_n: usize, min: usize, max: usize, max_k: u64, depth: u32) {
    if std::env::var("RESVM_SKIP_FLINT").as_deref() == Ok("1") {
        eprintln!("skipped: RESVM_SKIP_FLINT=1");
        return;
    }
    let names_pool = ["x", "y", "z", "w", "u", "v", "s", "t"];
    let mut r = Rng::new(seed);
    let mut cases = Vec::new();
    for _ in 0..cases_n {
        let n = min + r.below((max - min + 1) as u64) as usize;
        let vars = &names_pool[..n];
        let mut lets = 0;
        let (src, py) = expr(&mut r, vars, depth, &mut lets, max_k);
        cases.push((
            vars.join(","),
            format!("fn main({}) = {src};", vars.join(", ")),
            py,
        ));
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/canon_flint.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed (or set RESVM_SKIP_FLINT=1)");
    let input: String = cases
        .iter()
        .map(|(n, _, py)| format!("{n}\t{py}\n"))
        .collect();
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python3 runs");
    assert!(
        out.status.success(),
        "python-flint oracle failed (pip install python-flint==0.7.1, or RESVM_SKIP_FLINT=1): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flint: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(flint.len(), cases.len());
    // The generator must exercise real polynomials, not mostly constants.
    let multi_term = flint.iter().filter(|s| s.contains(" + ")).count();
    assert!(
        multi_term > cases.len() / 3,
        "only {multi_term} multi-term cases"
    );
    let mut compared = 0;
    let mut biggest = 0;
    for ((_, src, _), want) in cases.iter().zip(&flint) {
        let c = resvm::compile(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let main = &c.canon.functions[c.canon.main as usize];
        if !main.is_pure() {
            // A product or power beyond the expansion limit stays an atom: not a FLINT case.
            continue;
        }
        let got = resvm::print_canon(&c);
        assert_eq!(got.trim_end(), want, "program: {src}");
        compared += 1;
        biggest = biggest.max(main.body.result.poly.num_terms());
    }
    eprintln!(
        "{compared} of {} programs compared, largest {biggest} terms",
        cases.len()
    );
    assert!(
        compared * 10 >= cases.len() * 9,
        "only {compared} pure cases"
    );
}
