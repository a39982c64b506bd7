//! The reference tree evaluator (`--engine tree`): a recursive `match` over the HIR.
//!
//! It is the baseline the other engines are measured against and checked with, so it stays
//! as plain as possible: one `Vec<F>` of slots per call, `Result` on every node. Only two
//! things are not naive, because programs depend on them: calls and evals in tail position
//! (the body, a `let` body, a `branch` arm) loop instead of recursing, so tail-recursive loops
//! run in constant space; and deep non-tail recursion ends in [`Trap::DepthExceeded`], with the
//! native stack grown in segments at call boundaries rather than overflowing.

use crate::closure::rt::{ReflectMap, StackGuard};
use crate::trap::{merkle_level, Counted, Limits, Trap};
use p3_field::PrimeCharacteristicRing;
use resvm_field::{canonical, lt, pow, F};
use resvm_lang::ast::BinOp;
use resvm_lang::hir::{Expr, ExprKind, FnId, Module};

/// Runs `module` on `inputs` (one per parameter of `main`). `reprs[f]` is the repr of
/// function `f` (the value of `f` used as a PROG value); `reflect`/`eval` resolve through it.
///
/// Steps (for [`Limits::max_steps`]) count function entries, tail calls included.
pub fn run(module: &Module, reprs: &[F], inputs: &[F], limits: &Limits) -> Result<F, Trap> {
    run_counted(module, reprs, inputs, limits).map(|c| c.output)
}

/// [`run`], also returning the number of steps (function entries) taken.
pub fn run_counted(
    module: &Module,
    reprs: &[F],
    inputs: &[F],
    limits: &Limits,
) -> Result<Counted, Trap> {
    let Some(main) = module.functions.get(module.main as usize) else {
        return Err(malformed("main is not a function"));
    };
    if inputs.len() != main.params.len() {
        return Err(Trap::InputCount {
            expected: main.params.len(),
            got: inputs.len(),
        });
    }
    if limits.max_depth == 0 {
        return Err(Trap::DepthExceeded { limit: 0 });
    }
    let reflect = ReflectMap::new(&reprs[..reprs.len().min(module.functions.len())]);
    let red_zone = StackGuard::red_zone_for(module);
    StackGuard::with(red_zone, |guard| {
        let mut ev = Tree {
            module,
            reprs,
            reflect: &reflect,
            limits,
            depth: 1,
            steps: 0,
            guard,
        };
        ev.step()?;
        let frame = ev.frame(module.main, inputs.to_vec())?;
        let output = ev.body(module.main, frame)?;
        Ok(Counted {
            output,
            steps: ev.steps,
        })
    })
}

fn malformed(why: &'static str) -> Trap {
    Trap::Malformed { pc: 0, why }
}

struct Tree<'a> {
    module: &'a Module,
    reprs: &'a [F],
    reflect: &'a ReflectMap,
    limits: &'a Limits,
    /// Active (non-tail) calls, main included.
    depth: u32,
    steps: u64,
    guard: StackGuard,
}

impl Tree<'_> {
    /// Counts one function entry against the step budget.
    fn step(&mut self) -> Result<(), Trap> {
        self.steps += 1;
        match self.limits.max_steps {
            Some(limit) if self.steps > limit => Err(Trap::StepsExceeded { limit }),
            _ => Ok(()),
        }
    }

    /// A fresh frame for `f` holding `args` in its parameter slots.
    fn frame(&self, f: FnId, mut args: Vec<F>) -> Result<Vec<F>, Trap> {
        let func = self
            .module
            .functions
            .get(f as usize)
            .ok_or_else(|| malformed("unknown function"))?;
        args.resize((func.slots as usize).max(args.len()), F::ZERO);
        Ok(args)
    }

    /// Resolves the PROG value `g` of an eval with `got` arguments.
    fn callee(&self, g: F, got: usize) -> Result<FnId, Trap> {
        let f = self.reflect.get(g).ok_or(Trap::EvalUnknown { value: g })?;
        let func = self
            .module
            .functions
            .get(f as usize)
            .ok_or_else(|| malformed("unknown function"))?;
        if func.params.len() != got {
            return Err(Trap::EvalArity {
                name: func.name.clone(),
                expected: func.params.len() as u32,
                got: got as u32,
            });
        }
        Ok(f)
    }

    fn args(&mut self, args: &[Expr], frame: &mut [F]) -> Result<Vec<F>, Trap> {
        args.iter().map(|a| self.eval(a, frame)).collect()
    }

    /// Runs the body of `f` in `frame`, looping on tail calls.
    fn body(&mut self, mut f: FnId, mut frame: Vec<F>) -> Result<F, Trap> {
        let module = self.module;
        let mut e = match module.functions.get(f as usize) {
            Some(func) => &func.body,
            None => return Err(malformed("unknown function")),
        };
        loop {
            match &e.kind {
                ExprKind::Let(s, v, b) => {
                    let x = self.eval(v, &mut frame)?;
                    *frame
                        .get_mut(*s as usize)
                        .ok_or_else(|| malformed("slot out of range"))? = x;
                    e = b;
                }
                ExprKind::Hash(base, ops, b) => {
                    self.hash(*base, ops, &mut frame)?;
                    e = b;
                }
                ExprKind::Branch(c, x, y) => {
                    e = match self.cond(c, &mut frame)? {
                        false => x,
                        true => y,
                    };
                }
                ExprKind::Call(g, args) => {
                    let vals = self.args(args, &mut frame)?;
                    self.step()?;
                    f = *g;
                    frame = self.frame(f, vals)?;
                    e = &module.functions[f as usize].body;
                }
                ExprKind::Eval(g, args) => {
                    let gv = self.eval(g, &mut frame)?;
                    let vals = self.args(args, &mut frame)?;
                    f = self.callee(gv, vals.len())?;
                    self.step()?;
                    frame = self.frame(f, vals)?;
                    e = &module.functions[f as usize].body;
                }
                _ => return self.eval(e, &mut frame),
            }
        }
    }

    /// One Merkle level: evaluates `[d, s, e]` in order and stores the digest in slots
    /// `base..base+4`.
    fn hash(&mut self, base: u32, ops: &[Expr; 9], frame: &mut [F]) -> Result<(), Trap> {
        let mut v = [F::ZERO; 9];
        for (x, o) in v.iter_mut().zip(ops) {
            *x = self.eval(o, frame)?;
        }
        let h = merkle_level([v[0], v[1], v[2], v[3]], [v[4], v[5], v[6], v[7]], v[8])?;
        frame
            .get_mut(base as usize..base as usize + 4)
            .ok_or_else(|| malformed("slot out of range"))?
            .copy_from_slice(&h);
        Ok(())
    }

    /// A branch condition: `false` for 0, `true` for 1, a trap otherwise.
    fn cond(&mut self, c: &Expr, frame: &mut [F]) -> Result<bool, Trap> {
        let v = self.eval(c, frame)?;
        match canonical(v) {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Trap::BranchCondition { value: v }),
        }
    }

    /// A non-tail call of `f` with `args`.
    fn call(&mut self, f: FnId, args: Vec<F>) -> Result<F, Trap> {
        self.step()?;
        if self.depth >= self.limits.max_depth {
            return Err(Trap::DepthExceeded {
                limit: self.limits.max_depth,
            });
        }
        let frame = self.frame(f, args)?;
        self.depth += 1;
        let r = if self.guard.ok() {
            self.body(f, frame)
        } else {
            let outer = self.guard;
            let r = outer.grow(|g| {
                self.guard = g;
                self.body(f, frame)
            });
            self.guard = outer;
            r
        };
        self.depth -= 1;
        r
    }

    fn eval(&mut self, e: &Expr, frame: &mut [F]) -> Result<F, Trap> {
        Ok(match &e.kind {
            ExprKind::Const(c) => *c,
            ExprKind::Slot(s) => *frame
                .get(*s as usize)
                .ok_or_else(|| malformed("slot out of range"))?,
            ExprKind::Func(f) => *self
                .reprs
                .get(*f as usize)
                .ok_or_else(|| malformed("function without repr"))?,
            ExprKind::Neg(x) => -self.eval(x, frame)?,
            ExprKind::Bin(op, a, b) => {
                let a = self.eval(a, frame)?;
                let b = self.eval(b, frame)?;
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                }
            }
            ExprKind::Pow(x, k) => pow(self.eval(x, frame)?, *k),
            ExprKind::Lt(a, b) => {
                let a = self.eval(a, frame)?;
                let b = self.eval(b, frame)?;
                lt(a, b)
            }
            ExprKind::Branch(c, x, y) => match self.cond(c, frame)? {
                false => self.eval(x, frame)?,
                true => self.eval(y, frame)?,
            },
            ExprKind::Call(f, args) => {
                let vals = self.args(args, frame)?;
                self.call(*f, vals)?
            }
            ExprKind::Eval(g, args) => {
                let gv = self.eval(g, frame)?;
                let vals = self.args(args, frame)?;
                let f = self.callee(gv, vals.len())?;
                self.call(f, vals)?
            }
            // A PROG value is its repr already.
            ExprKind::Repr(g) => self.eval(g, frame)?,
            ExprKind::Reflect(x) => {
                let v = self.eval(x, frame)?;
                if self.reflect.get(v).is_none() {
                    return Err(Trap::ReflectUnknown { value: v });
                }
                v
            }
            ExprKind::Let(s, v, b) => {
                let x = self.eval(v, frame)?;
                *frame
                    .get_mut(*s as usize)
                    .ok_or_else(|| malformed("slot out of range"))? = x;
                self.eval(b, frame)?
            }
            ExprKind::Hash(base, ops, b) => {
                self.hash(*base, ops, frame)?;
                self.eval(b, frame)?
            }
        })
    }
}
