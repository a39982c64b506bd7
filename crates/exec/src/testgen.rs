//! Random well-typed source programs for cross-engine agreement tests (feature `testgen`).
//!
//! [`program`] turns a seed into a [`GenProgram`]: source text that `resvm_lang::compile`
//! accepts, plus inputs for `main`. Generated programs use every construct: `let`, `branch`
//! on 0, 1 and arbitrary conditions, `lt`, `^`, direct calls, recursion on a decreasing
//! counter (tail and non-tail), PROG values, `repr`, `reflect` (of known and unknown values),
//! and `eval` (with the right and the wrong arity). Many of them trap; all of them terminate
//! quickly whatever the reprs are, because calls and evals only reach functions defined
//! earlier, and self-recursion runs on a counter starting at a small literal.
//!
//! With [`test_reprs`] as the repr table, `reflect(1000 + k)` literals in the programs hit
//! real functions; with a compiler's reprs they mostly trap, which is fine as long as every
//! engine gets the same table.
//!
//! ```ignore
//! use proptest::prelude::*;
//! proptest! {
//!     #[test]
//!     fn engines_agree(p in resvm_exec::testgen::strategy()) {
//!         let module = resvm_lang::compile(&p.source).unwrap();
//!         // run every engine on p.inputs and compare
//!     }
//! }
//! ```

use p3_field::PrimeCharacteristicRing;
use resvm_field::{SplitMix64, F};
use std::fmt::Write;

/// A generated program and the inputs to run it on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenProgram {
    /// Source text accepted by `resvm_lang::compile`.
    pub source: String,
    /// One input per parameter of `main` (occasionally one too many or too few, to exercise
    /// `Trap::InputCount`).
    pub inputs: Vec<F>,
}

/// Reprs for tests without a compiler: function `i` gets `1000 + i` (distinct values the
/// generated `reflect` literals can hit).
pub fn test_reprs(functions: usize) -> Vec<F> {
    (0..functions as u64).map(|i| F::from_u64(1000 + i)).collect()
}

/// The proptest strategy over generated programs (seed-based: shrinking gives smaller seeds,
/// not smaller programs).
pub fn strategy() -> impl proptest::strategy::Strategy<Value = GenProgram> {
    use proptest::strategy::Strategy;
    proptest::num::u64::ANY.prop_map(program)
}

/// The program for `seed` (deterministic).
pub fn program(seed: u64) -> GenProgram {
    let mut g = Gen { rng: Rng(SplitMix64::new(seed ^ 0x9E37_79B9_7F4A_7C15)), fns: Vec::new(), lets: 0 };
    g.generate()
}

/// The generator's randomness: [`SplitMix64`] plus a percentage helper.
struct Rng(SplitMix64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum T {
    P,
    Prog,
}

/// A generated function's signature.
struct Sig {
    name: String,
    params: Vec<T>,
    ret: T,
    /// Self-recursive on its first parameter: call sites pass a small literal there.
    counter: bool,
}

struct Gen {
    rng: Rng,
    fns: Vec<Sig>,
    lets: u32,
}

/// What an expression may refer to while it is generated.
struct Scope {
    vars: Vec<(String, T)>,
    /// Functions callable from here: those defined before.
    callable: usize,
    /// Call sites still allowed in this body (bounds the total work).
    calls: u32,
}

impl Gen {
    fn generate(&mut self) -> GenProgram {
        let mut src = String::new();
        let nfns = 1 + self.rng.below(4) as usize;
        for i in 0..nfns {
            let def = self.function(i);
            src.push_str(&def);
            src.push('\n');
        }
        // main
        let arity = self.rng.below(4) as usize;
        let vars: Vec<(String, T)> = (0..arity)
            .map(|k| (format!("x{k}"), if self.rng.chance(25) { T::Prog } else { T::P }))
            .collect();
        let params = vars
            .iter()
            .map(|(n, t)| if *t == T::Prog { format!("{n}: prog") } else { n.clone() })
            .collect::<Vec<_>>()
            .join(", ");
        let vars_t: Vec<T> = vars.iter().map(|v| v.1).collect();
        let mut scope = Scope { vars, callable: nfns, calls: 3 };
        let body = self.expr(&mut scope, T::P, 4);
        let _ = writeln!(src, "fn main({params}) = {body};");
        let mut n = arity;
        if self.rng.chance(3) {
            n = if n > 0 && self.rng.chance(50) { n - 1 } else { n + 1 };
        }
        let inputs = (0..n)
            .map(|k| match vars_t.get(k) {
                // A PROG input: an earlier function's test repr, or a value that is none.
                Some(T::Prog) if self.rng.chance(60) => F::from_u64(1000 + self.rng.below(nfns as u64)),
                _ => self.value(),
            })
            .collect();
        GenProgram { source: src, inputs }
    }

    /// An interesting field value: small, near p, or anything.
    fn value(&mut self) -> F {
        match self.rng.below(4) {
            0 => F::from_u64(self.rng.below(4)),
            1 => F::from_u64(self.rng.below(50)),
            2 => -F::from_u64(1 + self.rng.below(3)),
            _ => F::from_u64(self.rng.next()),
        }
    }

    fn literal(&mut self) -> String {
        match self.rng.below(6) {
            0 => "0".into(),
            1 => "1".into(),
            3 => format!("{}", resvm_field::P - 1 - self.rng.below(3)),
            4 => format!("{}", self.rng.next() % resvm_field::P),
            _ => format!("{}", self.rng.below(20)),
        }
    }

    fn function(&mut self, index: usize) -> String {
        let name = format!("f{index}");
        let counter = self.rng.chance(40);
        let nparams = self.rng.below(3) as usize + usize::from(counter);
        let mut params = Vec::new();
        let mut vars = Vec::new();
        for k in 0..nparams {
            let t = if (counter && k == 0) || index == 0 || !self.rng.chance(25) { T::P } else { T::Prog };
            let pname = if counter && k == 0 { "n".to_string() } else { format!("a{k}") };
            params.push((pname.clone(), t));
            vars.push((pname, t));
        }
        let ret = if index > 0 && self.rng.chance(15) { T::Prog } else { T::P };
        self.fns.push(Sig {
            name: name.clone(),
            params: params.iter().map(|p| p.1).collect(),
            ret,
            counter,
        });
        let mut scope = Scope { vars, callable: index, calls: 2 };
        let body = if counter {
            // branch(lt(0, n), <recursive case>, <base>): n > 0 recurses on n - 1.
            let base = self.expr(&mut scope, ret, 2);
            let step = self.expr(&mut scope, ret, 3);
            let step = if self.rng.chance(50) || ret == T::Prog {
                // A tail call.
                let args = self.rec_args(&mut scope, index);
                let _ = step;
                format!("{name}({args})")
            } else {
                let args = self.rec_args(&mut scope, index);
                format!("({step}) + {name}({args})")
            };
            format!("branch(lt(0, n), {step}, {base})")
        } else {
            self.expr(&mut scope, ret, 4)
        };
        let ps = params
            .iter()
            .map(|(n, t)| if *t == T::Prog { format!("{n}: prog") } else { n.clone() })
            .collect::<Vec<_>>()
            .join(", ");
        format!("fn {name}({ps}) = {body};")
    }

    /// Arguments of the recursive call: `n - 1` then the others.
    fn rec_args(&mut self, scope: &mut Scope, f: usize) -> String {
        let params = self.fns[f].params.clone();
        let mut out = vec!["n - 1".to_string()];
        for t in params.iter().skip(1) {
            out.push(self.expr(scope, *t, 2));
        }
        out.join(", ")
    }

    fn var(&mut self, scope: &Scope, t: T) -> Option<String> {
        let vs: Vec<&String> = scope.vars.iter().filter(|(_, vt)| *vt == t).map(|(n, _)| n).collect();
        if vs.is_empty() {
            return None;
        }
        Some(vs[self.rng.below(vs.len() as u64) as usize].clone())
    }

    /// Arguments for a call of `f` from `scope`.
    fn call_args(&mut self, scope: &mut Scope, f: usize, depth: u32) -> String {
        let sig = &self.fns[f];
        let (params, counter) = (sig.params.clone(), sig.counter);
        let mut out = Vec::new();
        for (k, t) in params.iter().enumerate() {
            if k == 0 && counter {
                out.push(format!("{}", self.rng.below(4)));
            } else if *t == T::Prog {
                // Only functions defined before the callee: its evals cannot come back up.
                out.push(format!("f{}", self.rng.below(f as u64)));
            } else {
                out.push(self.expr(scope, *t, depth));
            }
        }
        out.join(", ")
    }

    /// A PROG-typed expression.
    fn prog(&mut self, scope: &mut Scope, depth: u32) -> String {
        let k = self.rng.below(if depth == 0 { 3 } else { 6 });
        match k {
            0 | 1 if scope.callable > 0 => format!("f{}", self.rng.below(scope.callable as u64)),
            0..=2 => match self.var(scope, T::Prog) {
                Some(v) => v,
                None if scope.callable > 0 => format!("f{}", self.rng.below(scope.callable as u64)),
                // No function to name: reflect a literal (may trap).
                None => format!("reflect({})", self.literal()),
            },
            3 if self.rng.chance(50) => {
                // The repr of an earlier function (with test reprs) or an unknown value.
                let k = self.rng.below(scope.callable as u64 + 1);
                if k < scope.callable as u64 {
                    format!("reflect({})", 1000 + k)
                } else {
                    format!("reflect({})", self.literal())
                }
            }
            3 => format!("reflect({})", self.expr(scope, T::P, depth - 1)),
            4 => {
                let c = self.cond(scope, depth - 1);
                let x = self.prog(scope, depth - 1);
                let y = self.prog(scope, depth - 1);
                format!("branch({c}, {x}, {y})")
            }
            _ => {
                // A call of an earlier function returning a program.
                let cands: Vec<usize> = (0..scope.callable).filter(|&f| self.fns[f].ret == T::Prog).collect();
                if cands.is_empty() || scope.calls == 0 {
                    return format!("reflect(repr({}))", self.prog(scope, depth - 1));
                }
                scope.calls -= 1;
                let f = cands[self.rng.below(cands.len() as u64) as usize];
                let args = self.call_args(scope, f, depth - 1);
                format!("{}({args})", self.fns[f].name)
            }
        }
    }

    fn cond(&mut self, scope: &mut Scope, depth: u32) -> String {
        match self.rng.below(5) {
            0 | 1 => {
                let a = self.expr(scope, T::P, depth);
                let b = self.expr(scope, T::P, depth);
                format!("lt({a}, {b})")
            }
            2 => ["0", "1"][self.rng.below(2) as usize].to_string(),
            _ => self.expr(scope, T::P, depth),
        }
    }

    fn expr(&mut self, scope: &mut Scope, t: T, depth: u32) -> String {
        if t == T::Prog {
            return self.prog(scope, depth);
        }
        if depth == 0 {
            return match self.var(scope, T::P) {
                Some(v) if self.rng.chance(70) => v,
                _ => self.literal(),
            };
        }
        let d = depth - 1;
        match self.rng.below(14) {
            0 => self.literal(),
            1 => self.var(scope, T::P).unwrap_or_else(|| self.literal()),
            2 => {
                let ops = ["+", "-", "*"];
                let op = ops[self.rng.below(3) as usize];
                let a = self.expr(scope, T::P, d);
                let b = self.expr(scope, T::P, d);
                format!("({a} {op} {b})")
            }
            3 => format!("-({})", self.expr(scope, T::P, d)),
            4 => format!("({}) ^ {}", self.expr(scope, T::P, d), self.rng.below(6)),
            5 => {
                let a = self.expr(scope, T::P, d);
                let b = self.expr(scope, T::P, d);
                format!("lt({a}, {b})")
            }
            6 => {
                let c = self.cond(scope, d);
                let x = self.expr(scope, T::P, d);
                let y = self.expr(scope, T::P, d);
                format!("branch({c}, {x}, {y})")
            }
            7 | 8 => {
                let vt = if self.rng.chance(30) { T::Prog } else { T::P };
                let v = self.expr(scope, vt, d);
                self.lets += 1;
                let name = format!("v{}", self.lets);
                scope.vars.push((name.clone(), vt));
                let body = self.expr(scope, T::P, d);
                scope.vars.pop();
                format!("(let {name} = {v} in {body})")
            }
            9 => format!("repr({})", self.prog(scope, d)),
            10 | 11 if scope.calls > 0 => {
                // A direct call of an earlier P-returning function.
                let cands: Vec<usize> = (0..scope.callable).filter(|&f| self.fns[f].ret == T::P).collect();
                if cands.is_empty() {
                    return self.literal();
                }
                scope.calls -= 1;
                let f = cands[self.rng.below(cands.len() as u64) as usize];
                let args = self.call_args(scope, f, d);
                format!("{}({args})", self.fns[f].name)
            }
            12 | 13 if scope.calls > 0 => {
                // eval of a PROG value: usually the right arity for the functions it names.
                scope.calls -= 1;
                let g = self.prog(scope, d);
                // `eval` of a function's name has that function's result type: a function
                // returning a program is named through `reflect(repr(..))` (a run-time callee).
                let g = match g.strip_prefix('f').and_then(|n| n.parse::<usize>().ok()) {
                    Some(f) if f < self.fns.len() && self.fns[f].ret == T::Prog => format!("reflect(repr({g}))"),
                    _ => g,
                };
                let arity = match g.strip_prefix('f').and_then(|n| n.parse::<usize>().ok()) {
                    Some(f) if f < self.fns.len() && !self.rng.chance(15) => {
                        let args = self.call_args(scope, f, d);
                        return if args.is_empty() { format!("eval({g})") } else { format!("eval({g}, {args})") };
                    }
                    _ => self.rng.below(3) as usize,
                };
                // Unknown callee: small literal arguments, so that a counter parameter stays
                // small (a PROG parameter given one traps with EvalUnknown when called).
                let mut s = format!("eval({g}");
                for _ in 0..arity {
                    let _ = write!(s, ", {}", self.rng.below(4));
                }
                s.push(')');
                s
            }
            _ => self.var(scope, T::P).unwrap_or_else(|| self.literal()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{closure, tree, Limits, Trap};
    use proptest::prelude::*;

    fn limits() -> Limits {
        Limits { max_depth: 10_000, max_steps: Some(1_000_000) }
    }

    fn agree(p: &GenProgram) -> Result<(), TestCaseError> {
        let module = match resvm_lang::compile(&p.source) {
            Ok(m) => m,
            Err(d) => return Err(TestCaseError::fail(format!("{}\n{}", d.message, p.source))),
        };
        let reprs = test_reprs(module.functions.len());
        let a = tree::run(&module, &reprs, &p.inputs, &limits());
        let b = closure::compile(&module, &reprs).run(&p.inputs, &limits());
        let same = match (&a, &b) {
            (Ok(x), Ok(y)) => x == y,
            (Err(x), Err(y)) => x.same_error(y),
            _ => false,
        };
        prop_assert!(same, "tree {:?} vs closure {:?}\n{}\ninputs {:?}", a, b, p.source, p.inputs);
        // Generated programs must stay small: a limit hit means the generator is wrong.
        prop_assert!(
            !matches!(a, Err(Trap::StepsExceeded { .. }) | Err(Trap::DepthExceeded { .. })),
            "hit a limit: {}",
            p.source
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn tree_and_closure_agree(p in strategy()) {
            agree(&p)?;
        }
    }

    #[test]
    fn generator_covers_outcomes() {
        // Over many seeds: both successes and each trap kind show up.
        let (mut ok, mut kinds) = (0, std::collections::BTreeSet::new());
        for seed in 0..600 {
            let p = program(seed);
            let m = resvm_lang::compile(&p.source).expect("generated programs check");
            match tree::run(&m, &test_reprs(m.functions.len()), &p.inputs, &limits()) {
                Ok(_) => ok += 1,
                Err(t) => {
                    kinds.insert(format!("{t:?}").split([' ', '{']).next().unwrap_or("").to_string());
                }
            }
        }
        assert!(ok > 100, "only {ok} successes");
        for k in ["BranchCondition", "ReflectUnknown", "EvalUnknown", "EvalArity", "InputCount"] {
            assert!(kinds.contains(k), "no {k} in {kinds:?}");
        }
    }
}

#[cfg(test)]
mod debug {
    #[test]
    #[ignore]
    fn show_limit_hits() {
        use crate::{tree, Limits, Trap};
        for seed in 0..600 {
            let p = super::program(seed);
            let m = resvm_lang::compile(&p.source).expect("checks");
            let l = Limits { max_depth: 10_000, max_steps: Some(1_000_000) };
            if let Err(Trap::StepsExceeded { .. } | Trap::DepthExceeded { .. }) =
                tree::run(&m, &super::test_reprs(m.functions.len()), &p.inputs, &l)
            {
                println!("seed {seed}:\n{}\n{:?}", p.source, p.inputs);
            }
        }
    }
}
