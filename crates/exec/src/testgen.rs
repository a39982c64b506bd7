//! Random well-typed source programs for cross-engine agreement tests (feature `testgen`).
//!
//! [`program`] turns a seed into a [`GenProgram`]: source text that `resvm_lang::compile`
//! accepts, inputs for `main` and the [`Limits`] to run it under. Generated programs use every
//! construct: `let`, `branch` on 0, 1 and arbitrary conditions, `lt`, `^`, direct calls,
//! recursion on a decreasing counter (tail and non-tail, up to a few hundred deep from
//! `main`), mutual recursion between pairs of functions, PROG values, `repr`, `reflect` (of
//! known and unknown values), `eval` (with the right and the wrong arity), `secret` parameters
//! of `main`, and rare oversized products (more terms or a higher degree than the factoring
//! limits allow). Many of them trap, some on purpose at a small step or depth limit; all of
//! them terminate quickly whatever the reprs are, because calls and evals only reach
//! functions defined earlier (or the partner of a mutually recursive pair), and recursion runs
//! on a counter starting at a literal.
//!
//! With [`test_reprs`] as the repr table, `reflect` literals of [`test_repr`] values in the
//! programs hit real functions; with a compiler's reprs they mostly trap, which is fine as long
//! as every engine gets the same table. Computed `reflect`s (`reflect(f0(8) + repr(f0))`) could
//! name `main` or a later function and recurse without end if reprs were small consecutive
//! numbers, so test reprs are pseudo-random field elements, as a compiler's hash-derived ones
//! are. They follow the functions' names, not their indices: the functions returning digests
//! are inlined away, so a module can number its functions differently from the source.
//!
//! ```ignore
//! use proptest::prelude::*;
//! proptest! {
//!     #[test]
//!     fn engines_agree(p in resvm_exec::testgen::strategy()) {
//!         let module = resvm_lang::compile(&p.source).unwrap();
//!         // run every engine on p.inputs under p.limits and compare
//!     }
//! }
//! ```

use crate::Limits;
use p3_field::PrimeCharacteristicRing;
use resvm_field::{SplitMix64, F};
use std::fmt::Write;

/// The limits most generated programs run under: generous enough that no program reaches
/// them (a limit hit under these is a generator bug); [`GenProgram::limits`] is tighter in
/// the programs meant to hit a limit.
pub const GENEROUS: Limits = Limits {
    max_depth: 10_000,
    max_steps: Some(1_000_000),
    max_cycles: None,
};

/// A generated program and the inputs to run it on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenProgram {
    /// Source text accepted by `resvm_lang::compile`.
    pub source: String,
    /// One input per parameter of `main` (occasionally one too many or too few, to exercise
    /// `Trap::InputCount`).
    pub inputs: Vec<F>,
    /// Limits to run under: usually [`GENEROUS`]; sometimes a small step or depth limit, so
    /// that limit traps (and exact step accounting) are compared across engines.
    pub limits: Limits,
}

/// Reprs for tests without a compiler: each function of `module` gets the [`test_repr`] of
/// its name.
pub fn test_reprs(module: &resvm_lang::hir::Module) -> Vec<F> {
    module
        .functions
        .iter()
        .map(|f| test_repr(&f.name))
        .collect()
}

/// The test repr of the function named `name`: a fixed pseudo-random field element (the
/// generated `reflect` literals name functions by these values). Arithmetic on one repr names
/// another function only with negligible probability, as with a compiler's hash-derived reprs.
pub fn test_repr(name: &str) -> F {
    // FNV-1a of the name, then one SplitMix64 step to spread it over the field.
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    SplitMix64::new(h).next_f()
}

/// The proptest strategy over generated programs (seed-based: shrinking gives smaller seeds,
/// not smaller programs).
pub fn strategy() -> impl proptest::strategy::Strategy<Value = GenProgram> {
    use proptest::strategy::Strategy;
    proptest::num::u64::ANY.prop_map(program)
}

/// The program for `seed` (deterministic).
pub fn program(seed: u64) -> GenProgram {
    let mut g = Gen {
        rng: Rng(SplitMix64::new(seed ^ 0x9E37_79B9_7F4A_7C15)),
        fns: Vec::new(),
        lets: 0,
        digests: false,
    };
    g.generate()
}

/// The program for `seed` with digests as well (deterministic): everything [`program`]
/// generates, plus `d` parameters of `main` (four inputs each) and of functions (recursive
/// ones included), functions returning digests (inlined), `hash`, `merkle` (its direction
/// usually a bit, sometimes not: a trap), `digest`, projections, `eq` on both types, and
/// digest `let`s and `branch`es.
pub fn digest_program(seed: u64) -> GenProgram {
    let mut g = Gen {
        rng: Rng(SplitMix64::new(seed ^ 0xD16E_57D1_6E57_0001)),
        fns: Vec::new(),
        lets: 0,
        digests: true,
    };
    g.generate()
}

/// The proptest strategy over [`digest_program`]s.
pub fn digest_strategy() -> impl proptest::strategy::Strategy<Value = GenProgram> {
    use proptest::strategy::Strategy;
    proptest::num::u64::ANY.prop_map(digest_program)
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
    /// A digest (only in [`digest_program`]s).
    D,
}

/// A generated function's signature.
struct Sig {
    name: String,
    params: Vec<T>,
    ret: T,
    /// Recursive (on itself or with a partner) on its first parameter: call sites pass a
    /// literal there.
    counter: bool,
}

struct Gen {
    rng: Rng,
    fns: Vec<Sig>,
    lets: u32,
    /// Generate digests too ([`digest_program`]); without, no draw differs from the
    /// generator before digests existed, so pinned seeds keep their programs.
    digests: bool,
}

/// What an expression may refer to while it is generated.
struct Scope {
    vars: Vec<(String, T)>,
    /// Functions callable from here: those defined before.
    callable: usize,
    /// Call sites still allowed in this body (bounds the total work).
    calls: u32,
    /// In `main`: counters passed to recursive functions may be large (deep recursion);
    /// elsewhere they stay below 4, so nested recursion cannot multiply into long runs.
    top: bool,
}

impl Gen {
    fn generate(&mut self) -> GenProgram {
        let mut src = String::new();
        let nfns = 1 + self.rng.below(4) as usize;
        let mut i = 0;
        while i < nfns {
            if i + 1 < nfns && self.rng.chance(30) {
                let (a, b) = self.mutual_pair(i);
                let _ = writeln!(src, "{a}\n{b}");
                i += 2;
            } else {
                let def = self.function(i);
                src.push_str(&def);
                src.push('\n');
                i += 1;
            }
        }
        // main; some P parameters are `secret` (the HIR engines ignore it, the stack machine
        // reads them with SECRET).
        let arity = self.rng.below(4) as usize;
        let vars: Vec<(String, T)> = (0..arity)
            .map(|k| {
                (
                    format!("x{k}"),
                    if self.rng.chance(25) { T::Prog } else { T::P },
                )
            })
            .collect();
        let mut params = vars
            .iter()
            .map(|(n, t)| match t {
                T::Prog => format!("{n}: prog"),
                T::P if self.rng.chance(30) => format!("secret {n}"),
                _ => n.clone(),
            })
            .collect::<Vec<_>>();
        let vars_t: Vec<T> = vars.iter().map(|v| v.1).collect();
        let mut vars = vars;
        // Digest parameters come last; each is four inputs.
        let ndigests = if self.digests { self.rng.below(3) } else { 0 };
        for k in 0..ndigests {
            let secret = if self.rng.chance(40) { "secret " } else { "" };
            params.push(format!("{secret}z{k}: d"));
            vars.push((format!("z{k}"), T::D));
        }
        let params = params.join(", ");
        let mut scope = Scope {
            vars,
            callable: nfns,
            calls: 3,
            top: true,
        };
        let body = self.expr(&mut scope, T::P, 4);
        let _ = writeln!(src, "fn main({params}) = {body};");
        let mut n = arity;
        if self.rng.chance(3) {
            n = if n > 0 && self.rng.chance(50) {
                n - 1
            } else {
                n + 1
            };
        }
        let mut inputs: Vec<F> = (0..n)
            .map(|k| match vars_t.get(k) {
                // A PROG input: an earlier function's test repr, or a value that is none.
                Some(T::Prog) if self.rng.chance(60) => {
                    test_repr(&self.fns[self.rng.below(nfns as u64) as usize].name)
                }
                _ => self.value(),
            })
            .collect();
        for _ in 0..4 * ndigests {
            inputs.push(self.value());
        }
        let limits = match self.rng.below(10) {
            0 => Limits {
                max_steps: Some(self.rng.below(40)),
                ..GENEROUS
            },
            1 => Limits {
                max_depth: self.rng.below(12) as u32,
                ..GENEROUS
            },
            _ => GENEROUS,
        };
        GenProgram {
            source: src,
            inputs,
            limits,
        }
    }

    /// A counter for a recursive callee: small inside function bodies, sometimes deep in main.
    fn counter(&mut self, top: bool) -> u64 {
        match self.rng.below(10) {
            6..=8 if top => 4 + self.rng.below(40),
            9 if top => 50 + self.rng.below(250),
            _ => self.rng.below(4),
        }
    }

    /// Functions `index` and `index + 1`, recursive through each other on a counter `n`:
    /// `branch(lt(0, n), <step calling the partner on n - 1>, <base>)`.
    fn mutual_pair(&mut self, index: usize) -> (String, String) {
        let extra = self.rng.below(3) as usize;
        let mut params = vec![("n".to_string(), T::P)];
        params.extend((0..extra).map(|k| (format!("a{k}"), T::P)));
        for f in [index, index + 1] {
            self.fns.push(Sig {
                name: format!("f{f}"),
                params: params.iter().map(|p| p.1).collect(),
                ret: T::P,
                counter: true,
            });
        }
        let ps = params
            .iter()
            .map(|p| p.0.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let mut defs = Vec::new();
        for (f, partner) in [(index, index + 1), (index + 1, index)] {
            let mut scope = Scope {
                vars: params.clone(),
                callable: index,
                calls: 2,
                top: false,
            };
            let base = self.expr(&mut scope, T::P, 2);
            let args = self.rec_args(&mut scope, partner);
            let step = if self.rng.chance(50) {
                format!("f{partner}({args})")
            } else {
                let e = self.expr(&mut scope, T::P, 2);
                format!("({e}) * f{partner}({args})")
            };
            defs.push(format!("fn f{f}({ps}) = branch(lt(0, n), {step}, {base});"));
        }
        let b = defs.pop().unwrap_or_default();
        let a = defs.pop().unwrap_or_default();
        (a, b)
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
            let t = if (counter && k == 0) || index == 0 || !self.rng.chance(25) {
                if self.digests && !(counter && k == 0) && self.rng.chance(30) {
                    T::D
                } else {
                    T::P
                }
            } else {
                T::Prog
            };
            let pname = if counter && k == 0 {
                "n".to_string()
            } else {
                format!("a{k}")
            };
            params.push((pname.clone(), t));
            vars.push((pname, t));
        }
        let ret = if index > 0 && self.rng.chance(15) {
            T::Prog
        } else if self.digests && index > 0 && !counter && self.rng.chance(30) {
            // Inlined at its calls, so never recursive.
            T::D
        } else {
            T::P
        };
        self.fns.push(Sig {
            name: name.clone(),
            params: params.iter().map(|p| p.1).collect(),
            ret,
            counter,
        });
        let mut scope = Scope {
            vars,
            callable: index,
            calls: 2,
            top: false,
        };
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
            .map(|(n, t)| match t {
                T::Prog => format!("{n}: prog"),
                T::D => format!("{n}: d"),
                T::P => n.clone(),
            })
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
        let vs: Vec<&String> = scope
            .vars
            .iter()
            .filter(|(_, vt)| *vt == t)
            .map(|(n, _)| n)
            .collect();
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
                let n = self.counter(scope.top);
                out.push(format!("{n}"));
            } else if *t == T::Prog {
                // Only functions defined before the callee: its evals cannot come back up.
                out.push(self.fn_value(f));
            } else {
                out.push(self.expr(scope, *t, depth));
            }
        }
        out.join(", ")
    }

    /// The name of one of the functions `0..below` that can be a PROG value (not returning a
    /// digest; function 0 never does). Draws exactly as `f{below(n)}` when none returns one.
    fn fn_value(&mut self, below: usize) -> String {
        let cands: Vec<usize> = (0..below).filter(|&f| self.fns[f].ret != T::D).collect();
        format!("f{}", cands[self.rng.below(cands.len() as u64) as usize])
    }

    /// A digest-typed expression.
    fn digest(&mut self, scope: &mut Scope, depth: u32) -> String {
        if depth == 0 {
            return match self.var(scope, T::D) {
                Some(v) if self.rng.chance(70) => v,
                _ => {
                    let xs: Vec<String> = (0..4).map(|_| self.literal()).collect();
                    format!("digest({})", xs.join(", "))
                }
            };
        }
        let d = depth - 1;
        match self.rng.below(9) {
            0 => {
                let xs: Vec<String> = (0..4).map(|_| self.expr(scope, T::P, d)).collect();
                format!("digest({})", xs.join(", "))
            }
            1 | 2 => {
                let a = self.digest(scope, d);
                let b = self.digest(scope, d);
                format!("hash({a}, {b})")
            }
            3 => {
                let a = self.digest(scope, d);
                let s = self.digest(scope, d);
                let e = match self.rng.below(10) {
                    0..=5 => {
                        let x = self.expr(scope, T::P, d);
                        let y = self.expr(scope, T::P, d);
                        format!("lt({x}, {y})")
                    }
                    6..=8 => ["0", "1"][self.rng.below(2) as usize].to_string(),
                    _ => self.expr(scope, T::P, d),
                };
                format!("merkle({a}, {s}, {e})")
            }
            4 => {
                let c = self.cond(scope, d);
                let x = self.digest(scope, d);
                let y = self.digest(scope, d);
                format!("branch({c}, {x}, {y})")
            }
            5 => {
                let vt = if self.rng.chance(50) { T::D } else { T::P };
                let v = self.expr(scope, vt, d);
                self.lets += 1;
                let name = format!("v{}", self.lets);
                scope.vars.push((name.clone(), vt));
                let body = self.digest(scope, d);
                scope.vars.pop();
                format!("(let {name} = {v} in {body})")
            }
            6 if scope.calls > 0 => {
                // A call of an earlier function returning a digest (inlined).
                let cands: Vec<usize> = (0..scope.callable)
                    .filter(|&f| self.fns[f].ret == T::D)
                    .collect();
                if cands.is_empty() {
                    return self.digest(scope, d);
                }
                scope.calls -= 1;
                let f = cands[self.rng.below(cands.len() as u64) as usize];
                let args = self.call_args(scope, f, d);
                format!("{}({args})", self.fns[f].name)
            }
            _ => self
                .var(scope, T::D)
                .unwrap_or_else(|| format!("digest({}, 0, 0, 0)", self.literal())),
        }
    }

    /// A p-typed expression over digests: a projection, `eq`, or a digest `let`.
    fn digest_use(&mut self, scope: &mut Scope, depth: u32) -> String {
        match self.rng.below(4) {
            0 => {
                let x = self.digest(scope, depth);
                format!("({x}).{}", self.rng.below(4))
            }
            1 => {
                let a = self.digest(scope, depth);
                let b = self.digest(scope, depth);
                format!("eq({a}, {b})")
            }
            2 => {
                let a = self.expr(scope, T::P, depth);
                let b = if self.rng.chance(30) {
                    a.clone()
                } else {
                    self.expr(scope, T::P, depth)
                };
                format!("eq({a}, {b})")
            }
            _ => {
                let v = self.digest(scope, depth);
                self.lets += 1;
                let name = format!("v{}", self.lets);
                scope.vars.push((name.clone(), T::D));
                let body = self.expr(scope, T::P, depth);
                scope.vars.pop();
                format!("(let {name} = {v} in {body})")
            }
        }
    }

    /// A PROG-typed expression.
    fn prog(&mut self, scope: &mut Scope, depth: u32) -> String {
        let k = self.rng.below(if depth == 0 { 3 } else { 6 });
        match k {
            0 | 1 if scope.callable > 0 => self.fn_value(scope.callable),
            0..=2 => match self.var(scope, T::Prog) {
                Some(v) => v,
                None if scope.callable > 0 => self.fn_value(scope.callable),
                // No function to name: reflect a literal (may trap).
                None => format!("reflect({})", self.literal()),
            },
            3 if self.rng.chance(50) => {
                // The repr of an earlier function (with test reprs) or an unknown value.
                let k = self.rng.below(scope.callable as u64 + 1);
                if k < scope.callable as u64 {
                    let name = &self.fns[k as usize].name;
                    format!("reflect({})", resvm_field::canonical(test_repr(name)))
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
                let cands: Vec<usize> = (0..scope.callable)
                    .filter(|&f| self.fns[f].ret == T::Prog)
                    .collect();
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

    /// A product beyond the factoring limits (2000 terms, degree 64): a power of a sum of
    /// three operands (2024 to 2925 terms) or of a binomial (degree 65 to 100).
    fn oversized(&mut self, scope: &mut Scope) -> String {
        let leaf = |g: &mut Self| match g.var(scope, T::P) {
            Some(v) if g.rng.chance(80) => v,
            _ => g.literal(),
        };
        if self.rng.chance(50) {
            let (a, b, c) = (leaf(self), leaf(self), leaf(self));
            format!(
                "({a} + {b} + {c} + {}) ^ {}",
                1 + self.rng.below(5),
                21 + self.rng.below(4)
            )
        } else {
            let a = leaf(self);
            format!(
                "({a} + {}) ^ {}",
                1 + self.rng.below(5),
                65 + self.rng.below(36)
            )
        }
    }

    fn expr(&mut self, scope: &mut Scope, t: T, depth: u32) -> String {
        match t {
            T::Prog => return self.prog(scope, depth),
            T::D => return self.digest(scope, depth),
            T::P => {}
        }
        if self.digests && depth > 0 && self.rng.chance(25) {
            return self.digest_use(scope, depth - 1);
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
            3 if self.rng.chance(4) => self.oversized(scope),
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
                let cands: Vec<usize> = (0..scope.callable)
                    .filter(|&f| self.fns[f].ret == T::P)
                    .collect();
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
                    Some(f) if f < self.fns.len() && self.fns[f].ret == T::Prog => {
                        format!("reflect(repr({g}))")
                    }
                    _ => g,
                };
                let arity = match g.strip_prefix('f').and_then(|n| n.parse::<usize>().ok()) {
                    Some(f) if f < self.fns.len() && !self.rng.chance(15) => {
                        let args = self.call_args(scope, f, d);
                        return if args.is_empty() {
                            format!("eval({g})")
                        } else {
                            format!("eval({g}, {args})")
                        };
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
    use crate::{closure, stack, tree, Counted, Trap};
    use proptest::prelude::*;

    /// Runs `p` on the tree and closure engines (test reprs) and checks they agree on the
    /// output, the error and the step count.
    fn agree(p: &GenProgram) -> Result<(), TestCaseError> {
        let module = match resvm_lang::compile(&p.source) {
            Ok(m) => m,
            Err(d) => return Err(TestCaseError::fail(format!("{}\n{}", d.message, p.source))),
        };
        let reprs = test_reprs(&module);
        let a = tree::run_counted(&module, &reprs, &p.inputs, &p.limits);
        let b = closure::compile(&module, &reprs).run_counted(&p.inputs, &p.limits);
        prop_assert!(
            same(&a, &b),
            "tree {:?} vs closure {:?}\n{}\ninputs {:?}",
            a,
            b,
            p.source,
            p.inputs
        );
        no_limit_hit_when_generous(p, &a)
    }

    fn same(a: &Result<Counted, Trap>, b: &Result<Counted, Trap>) -> bool {
        match (a, b) {
            (Ok(x), Ok(y)) => x == y,
            (Err(x), Err(y)) => x.same_error(y),
            _ => false,
        }
    }

    /// Under [`GENEROUS`] limits a limit hit means the generator makes runaway programs.
    fn no_limit_hit_when_generous(
        p: &GenProgram,
        r: &Result<Counted, Trap>,
    ) -> Result<(), TestCaseError> {
        if p.limits == GENEROUS {
            prop_assert!(
                !matches!(
                    r,
                    Err(Trap::StepsExceeded { .. }) | Err(Trap::DepthExceeded { .. })
                ),
                "hit a limit: {}",
                p.source
            );
        }
        Ok(())
    }

    /// The real compiler's image of a source program.
    fn image(m: &resvm_lang::hir::Module) -> resvm_isa::Program {
        let canon = resvm_circuit::canonicalize(m);
        let circuit = resvm_circuit::build_dag(&canon, &resvm_circuit::Factorer::default());
        resvm_codegen::generate(&circuit, m).expect("generates")
    }

    /// All three engines, the stack machine on the compiled image and every engine with the
    /// image's reprs, agree on the output, the error and the step count.
    fn agree_with_stack(p: &GenProgram) -> Result<(), TestCaseError> {
        let module = resvm_lang::compile(&p.source).map_err(|d| TestCaseError::fail(d.message))?;
        let program = image(&module);
        let reprs = program.reprs();
        let t = tree::run_counted(&module, reprs, &p.inputs, &p.limits);
        let c = closure::compile(&module, reprs).run_counted(&p.inputs, &p.limits);
        let s = stack::run(&program, &p.inputs, &p.limits).map(|o| Counted {
            output: o.output,
            steps: o.steps,
        });
        let ctx = format!("{}\ninputs {:?}\nlimits {:?}", p.source, p.inputs, p.limits);
        prop_assert!(same(&t, &c), "tree {t:?} vs closure {c:?}\n{ctx}");
        prop_assert!(same(&t, &s), "tree {t:?} vs stack {s:?}\n{ctx}");
        no_limit_hit_when_generous(p, &t)
    }

    /// A computed `reflect` of a repr plus a small number (CI, stop 28: with reprs
    /// `1000 + i` it named `main`, which then evaluated itself without end).
    #[test]
    fn reflect_of_repr_arithmetic_names_no_later_function() {
        let p = GenProgram {
            source: "fn f0(n) = branch(lt(0, n), f0(n - 1), lt((0 * n), (n * n)));\n\
                     fn main() = eval(reflect((f0(8) + repr(f0))));\n"
                .into(),
            inputs: vec![],
            limits: GENEROUS,
        };
        agree(&p).unwrap();
        let m = resvm_lang::compile(&p.source).unwrap();
        let r = tree::run_counted(&m, &test_reprs(&m), &[], &GENEROUS);
        assert!(matches!(r, Err(Trap::ReflectUnknown { .. })), "{r:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn tree_and_closure_agree(p in strategy()) {
            agree(&p)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(150))]
        #[test]
        fn all_engines_agree_through_the_compiler(p in strategy()) {
            agree_with_stack(&p)?;
        }
    }

    /// A fixed seed sweep through the whole pipeline (reproducible without shrinking).
    #[test]
    fn all_engines_agree_on_a_seed_sweep() {
        for seed in 0..150 {
            if let Err(e) = agree_with_stack(&program(seed)) {
                panic!("seed {seed}: {e}");
            }
        }
    }

    #[test]
    fn generator_covers_outcomes() {
        // Over many seeds: successes, each trap kind and each feature show up.
        let (mut ok, mut kinds) = (0, std::collections::BTreeSet::new());
        let (mut deepest, mut secret, mut mutual, mut oversized) = (0u64, 0, 0, 0);
        for seed in 0..600 {
            let p = program(seed);
            let m = resvm_lang::compile(&p.source).expect("generated programs check");
            secret += usize::from(p.source.contains("secret "));
            // Only a mutually recursive pair calls forward: f_i's body names f_{i+1}.
            mutual += usize::from((0..m.functions.len()).any(|i| {
                p.source.lines().any(|l| {
                    l.starts_with(&format!("fn f{i}(")) && l.contains(&format!("f{}(", i + 1))
                })
            }));
            // Ordinary powers have exponents below 6.
            oversized += usize::from(p.source.split(") ^ ").skip(1).any(|rest| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse::<u32>().ok())
                    >= Some(21)
            }));
            match tree::run_counted(&m, &test_reprs(&m), &p.inputs, &p.limits) {
                Ok(c) => {
                    ok += 1;
                    deepest = deepest.max(c.steps);
                }
                Err(t) => {
                    kinds.insert(
                        format!("{t:?}")
                            .split([' ', '{'])
                            .next()
                            .unwrap_or("")
                            .to_string(),
                    );
                }
            }
        }
        assert!(ok > 100, "only {ok} successes");
        let all = [
            "BranchCondition",
            "ReflectUnknown",
            "EvalUnknown",
            "EvalArity",
            "InputCount",
        ];
        for k in all.iter().chain(&["StepsExceeded", "DepthExceeded"]) {
            assert!(kinds.contains(*k), "no {k} in {kinds:?}");
        }
        assert!(deepest > 50, "no deep recursion: at most {deepest} steps");
        assert!(
            secret > 30 && mutual > 30 && oversized > 10,
            "secret {secret}, mutual {mutual}, oversized {oversized}"
        );
    }
}
