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
fn expr(r: &mut Rng, vars: &[&str], depth: u32, lets: &mut u32) -> (String, String) {
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
            let (a, pa) = expr(r, vars, depth - 1, lets);
            let (b, pb) = expr(r, vars, depth - 1, lets);
            let op = ["+", "-", "*"][r.below(3) as usize];
            (format!("({a} {op} {b})"), format!("({pa} {op} {pb})"))
        }
        2 => {
            let (a, pa) = expr(r, vars, depth - 1, lets);
            let k = r.below(4);
            (format!("({a})^{k}"), format!("(({pa})**{k})"))
        }
        3 => {
            let (a, pa) = expr(r, vars, depth - 1, lets);
            (format!("(-{a})"), format!("(-{pa})"))
        }
        4 => {
            // `let` is sharing: substitute on the Python side.
            *lets += 1;
            let name = format!("t{lets}");
            let (v, pv) = expr(r, vars, depth - 1, lets);
            let (b, pb) = expr(r, vars, depth - 1, lets);
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
            let (a, pa) = expr(r, vars, depth - 1, lets);
            let (b, pb) = expr(r, vars, depth - 1, lets);
            (format!("{a} * {b}"), format!("{pa} * {pb}"))
        }
    }
}

#[test]
fn canon_printing_matches_flint() {
    if std::env::var("RESVM_SKIP_FLINT").as_deref() == Ok("1") {
        eprintln!("skipped: RESVM_SKIP_FLINT=1");
        return;
    }
    let names_pool = ["x", "y", "z", "w"];
    let mut r = Rng::new(0x5eed_0001);
    let mut cases = Vec::new();
    for _ in 0..300 {
        let n = 1 + r.below(4) as usize;
        let vars = &names_pool[..n];
        let mut lets = 0;
        let (src, py) = expr(&mut r, vars, 4, &mut lets);
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
    for ((_, src, _), want) in cases.iter().zip(&flint) {
        let c = resvm::compile(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let got = resvm::print_canon(&c);
        assert_eq!(got.trim_end(), want, "program: {src}");
    }
}
