//! Compile-time benchmark: generated programs of growing size through the whole pipeline
//! (`resvm::compile`), reporting source size, time per compilation (median) and the peak
//! memory of a process that compiles just that program.
//!
//! ```text
//! cargo bench -p resvm --bench compile            # every case
//! cargo bench -p resvm --bench compile -- lt_     # cases whose name contains `lt_`
//! ```
//!
//! Each case runs in a child process of this binary (`--case NAME`), so the peak resident
//! memory (`VmHWM` of `/proc/self/status`, Linux) is that case's alone.

use std::fmt::Write;
use std::time::Instant;

/// `fn main(x) = lt(x,0) + lt(x,1) + ... + lt(x,n-1);`
fn lt_chain(n: usize) -> String {
    let terms: Vec<String> = (0..n).map(|i| format!("lt(x, {i})")).collect();
    format!("fn main(x) = {};\n", terms.join(" + "))
}

/// Many small functions with products, powers, comparisons, branches and calls.
fn mixed(bytes: usize) -> String {
    let mut s = String::from("fn f0(x, y) = x * y + 1;\n");
    let mut i = 0;
    while s.len() < bytes {
        i += 1;
        let c = 1 + (i * 7919) % 997;
        let _ = writeln!(
            s,
            "fn f{i}(x, y) = let a = (x + {c} * y + 1)^3 in let b = a * (x - y) + lt(a, {c}) in \
             branch(lt(x, {c}), f{}(b, y), b * b - {c} * x * y);",
            i - 1
        );
    }
    let _ = writeln!(s, "fn main(x, y) = f{i}(x, y);");
    s
}

/// An unrolled loop: a `let` chain, each step scaling the previous value and adding an
/// atom (`reuse`: the atom compares the previous value itself, so the canonical form stores
/// every intermediate sum and is quadratic in the source).
fn let_chain(bytes: usize, reuse: bool) -> String {
    let mut s = String::from("fn main(a0, x) = ");
    let mut n = 0;
    while s.len() < bytes {
        let c = 1 + (n * 31) % 97;
        let arg = if reuse {
            format!("a{n}")
        } else {
            "x".to_string()
        };
        let _ = write!(s, "let a{} = a{n} * {c} + lt({arg}, {c}) in ", n + 1);
        n += 1;
    }
    let _ = writeln!(s, "a{n};");
    s
}

/// A long polynomial over 8 parameters.
fn wide_poly(bytes: usize) -> String {
    let vars = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let mut s = String::from("fn main(a, b, c, d, e, f, g, h) = 1");
    let mut i = 0usize;
    while s.len() < bytes {
        let _ = write!(
            s,
            " + {}*{}*{}",
            1 + i * 104729 % 1_000_000,
            vars[i % 8],
            vars[(i / 8) % 8]
        );
        i += 1;
    }
    s.push_str(";\n");
    s
}

fn cases() -> Vec<(String, String)> {
    let mut v = Vec::new();
    for n in [500, 1000, 4000, 16_000] {
        v.push((format!("lt_chain_{n}"), lt_chain(n)));
    }
    for kb in [10, 100] {
        v.push((format!("mixed_{kb}k"), mixed(kb * 1000)));
        v.push((format!("let_chain_{kb}k"), let_chain(kb * 1000, false)));
        v.push((
            format!("reuse_chain_{}k", kb * 3 / 10),
            let_chain(kb * 300, true),
        ));
        v.push((format!("wide_poly_{kb}k"), wide_poly(kb * 1000)));
    }
    v.push((
        "pow_x_plus_1_1000".into(),
        "fn main(x) = (x + 1) ^ 1000;\n".into(),
    ));
    v.push((
        "pow_5vars_15".into(),
        "fn main(a, b, c, d) = (a + b + c + d + 1) ^ 15;\n".into(),
    ));
    v
}

fn peak_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Compiles one case repeatedly; prints `name bytes median_ms peak_kb mul add`.
fn run_case(name: &str) {
    let Some((_, src)) = cases().into_iter().find(|(n, _)| n == name) else {
        eprintln!("unknown case {name}");
        std::process::exit(2);
    };
    let mut times = Vec::new();
    let mut stats = None;
    let start = Instant::now();
    while times.len() < 3 || (times.len() < 15 && start.elapsed().as_secs_f64() < 3.0) {
        let t = Instant::now();
        let c = resvm::compile(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
        times.push(t.elapsed().as_secs_f64() * 1e3);
        stats = Some(c.circuit.stats.chosen);
    }
    times.sort_by(f64::total_cmp);
    let (m, a) = stats.unwrap_or_default();
    println!(
        "{name:<20} {:>8} B {:>10.2} ms {:>10} KB peak   chosen {m} MUL + {a} ADD",
        src.len(),
        times[times.len() / 2],
        peak_kb().map_or("?".to_string(), |k| k.to_string()),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--case") {
        run_case(args.get(i + 1).map(String::as_str).unwrap_or(""));
        return;
    }
    // `cargo bench` passes `--bench`; any other argument filters the cases by name.
    let filter: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let exe = std::env::current_exe().expect("own path");
    println!(
        "{:<20} {:>10} {:>13} {:>16}",
        "case", "source", "median", "memory"
    );
    for (name, _) in cases() {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let out = std::process::Command::new(&exe)
            .args(["--case", &name])
            .output()
            .expect("runs itself");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
