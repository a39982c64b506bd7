//! Name resolution and type checking: `ast::Program` -> `hir::Module`.

use crate::ast::{self, ExprKind as A, TypeAnn};
use crate::diagnostic::{Diagnostic, Span};
use crate::hir::{self, ExprKind as H, FnId, Ty};
use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use std::collections::HashMap;

const BUILTINS: [&str; 5] = ["lt", "branch", "repr", "reflect", "eval"];

/// Checks a parsed program.
pub fn check(program: &ast::Program) -> Result<hir::Module, Diagnostic> {
    let mut index: HashMap<&str, FnId> = HashMap::new();
    for (i, f) in program.items.iter().enumerate() {
        let name = f.name.name.as_str();
        if BUILTINS.contains(&name) {
            return Err(Diagnostic::new(
                f.name.span,
                format!("`{name}` is a builtin and cannot be redefined"),
            ));
        }
        if index.insert(name, i as FnId).is_some() {
            return Err(Diagnostic::new(
                f.name.span,
                format!("duplicate definition of `{name}`"),
            ));
        }
    }
    let main = *index.get("main").ok_or_else(|| {
        let end = program.items.last().map_or(0, |f| f.span.end);
        Diagnostic::new(
            Span::new(end, end),
            "no `main` function: the entry point is missing",
        )
    })?;

    let mut sigs = Vec::with_capacity(program.items.len());
    for (i, f) in program.items.iter().enumerate() {
        let mut seen = HashMap::new();
        let mut params = Vec::new();
        for p in &f.params {
            if let Some(span) = p.secret {
                if i as FnId != main {
                    return Err(Diagnostic::new(
                        span,
                        "`secret` is only allowed on main's parameters",
                    ));
                }
            }
            if seen.insert(p.name.name.as_str(), ()).is_some() {
                return Err(Diagnostic::new(
                    p.name.span,
                    format!("duplicate parameter `{}`", p.name.name),
                ));
            }
            let ty = match p.ty {
                Some((TypeAnn::Prog, _)) => Ty::Prog,
                _ => Ty::P,
            };
            params.push(hir::Param {
                name: p.name.name.clone(),
                ty,
                secret: p.secret.is_some(),
            });
        }
        sigs.push(params);
    }

    // Infer result types: iterate to a fixpoint, treating unknown results as wildcards.
    let mut ret: Vec<Option<Ty>> = vec![None; program.items.len()];
    loop {
        let mut changed = false;
        for (i, f) in program.items.iter().enumerate() {
            if ret[i].is_some() {
                continue;
            }
            let mut cx = Cx::new(&index, &sigs, &ret, &sigs[i]);
            if let Ok((_, Some(t))) = cx.expr(&f.body) {
                ret[i] = Some(t);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Whatever is still unknown never produces a value (e.g. `fn f() = f();`): call it P.
    let ret: Vec<Option<Ty>> = ret.into_iter().map(|t| Some(t.unwrap_or(Ty::P))).collect();

    let mut functions = Vec::with_capacity(program.items.len());
    for (i, f) in program.items.iter().enumerate() {
        let mut cx = Cx::new(&index, &sigs, &ret, &sigs[i]);
        let (body, _) = cx.expr(&f.body)?;
        functions.push(hir::Function {
            name: f.name.name.clone(),
            params: sigs[i].clone(),
            ret: ret[i].unwrap_or(Ty::P),
            body,
            slots: cx.next_slot,
            span: f.span,
        });
    }
    Ok(hir::Module { functions, main })
}

/// Type checking context of one function body. Types are `Option<Ty>`: `None` is the
/// wildcard of a call whose result type is not inferred yet.
struct Cx<'a> {
    index: &'a HashMap<&'a str, FnId>,
    sigs: &'a [Vec<hir::Param>],
    ret: &'a [Option<Ty>],
    scope: Vec<(String, hir::Slot, Option<Ty>)>,
    next_slot: u32,
}

type Typed = (hir::Expr, Option<Ty>);

impl<'a> Cx<'a> {
    fn new(
        index: &'a HashMap<&'a str, FnId>,
        sigs: &'a [Vec<hir::Param>],
        ret: &'a [Option<Ty>],
        params: &[hir::Param],
    ) -> Self {
        let scope = params
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i as u32, Some(p.ty)))
            .collect();
        Cx {
            index,
            sigs,
            ret,
            scope,
            next_slot: params.len() as u32,
        }
    }

    fn lookup(&self, name: &str) -> Option<(hir::Slot, Option<Ty>)> {
        self.scope
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .map(|(_, s, t)| (*s, *t))
    }

    fn want(&self, e: &Typed, want: Ty, what: &str) -> Result<(), Diagnostic> {
        match e.1 {
            Some(t) if t != want => Err(Diagnostic::new(
                e.0.span,
                format!("type mismatch: {what} must be of type {want}, found {t}"),
            )),
            _ => Ok(()),
        }
    }

    fn mk(kind: H, ty: Option<Ty>, span: Span) -> Typed {
        (
            hir::Expr {
                kind,
                ty: ty.unwrap_or(Ty::P),
                span,
            },
            ty,
        )
    }

    fn p_operand(&mut self, e: &ast::Expr, what: &str) -> Result<hir::Expr, Diagnostic> {
        let t = self.expr(e)?;
        self.want(&t, Ty::P, what)?;
        Ok(t.0)
    }

    fn expr(&mut self, e: &ast::Expr) -> Result<Typed, Diagnostic> {
        // Long operator chains make deep trees: grow the stack instead of overflowing it.
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.expr_inner(e))
    }

    fn expr_inner(&mut self, e: &ast::Expr) -> Result<Typed, Diagnostic> {
        let span = e.span;
        Ok(match &e.kind {
            A::Number(v) => Self::mk(H::Const(F::from_u64(*v)), Some(Ty::P), span),
            A::Var(name) => {
                if let Some((slot, ty)) = self.lookup(name) {
                    Self::mk(H::Slot(slot), ty, span)
                } else if let Some(&f) = self.index.get(name.as_str()) {
                    Self::mk(H::Func(f), Some(Ty::Prog), span)
                } else if BUILTINS.contains(&name.as_str()) {
                    return Err(Diagnostic::new(
                        span,
                        format!("builtin `{name}` must be called, it is not a value"),
                    ));
                } else {
                    return Err(Diagnostic::new(span, format!("unknown name `{name}`")));
                }
            }
            A::Neg(x) => {
                let x = self.p_operand(x, "the operand of `-`")?;
                Self::mk(H::Neg(Box::new(x)), Some(Ty::P), span)
            }
            A::Binary(op, a, b) => {
                let what = "an arithmetic operand";
                let a = self.p_operand(a, what)?;
                let b = self.p_operand(b, what)?;
                Self::mk(H::Bin(*op, Box::new(a), Box::new(b)), Some(Ty::P), span)
            }
            A::Pow(x, k) => {
                let x = self.p_operand(x, "the base of `^`")?;
                Self::mk(H::Pow(Box::new(x), *k), Some(Ty::P), span)
            }
            A::Let(name, value, body) => {
                let (v, vt) = self.expr(value)?;
                let slot = self.next_slot;
                self.next_slot += 1;
                self.scope.push((name.name.clone(), slot, vt));
                let r = self.expr(body);
                self.scope.pop();
                let (b, bt) = r?;
                Self::mk(H::Let(slot, Box::new(v), Box::new(b)), bt, span)
            }
            A::Call(callee, args) => return self.call(callee, args, span),
        })
    }

    fn arity(
        &self,
        name: &ast::Ident,
        args: &[ast::Expr],
        n: usize,
        span: Span,
    ) -> Result<(), Diagnostic> {
        if args.len() == n {
            Ok(())
        } else {
            Err(Diagnostic::new(
                span,
                format!("`{}` takes {n} argument(s), got {}", name.name, args.len()),
            ))
        }
    }

    fn call(
        &mut self,
        callee: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Result<Typed, Diagnostic> {
        let name = callee.name.as_str();
        // A local `prog` value called like a function is `eval`.
        if let Some((slot, ty)) = self.lookup(name) {
            if ty == Some(Ty::P) {
                return Err(Diagnostic::new(
                    callee.span,
                    format!("`{name}` is a p value, not a program: it cannot be called"),
                ));
            }
            let g = Self::mk(H::Slot(slot), ty, callee.span).0;
            let args = self.args(args)?;
            return Ok(Self::mk(H::Eval(Box::new(g), args), Some(Ty::P), span));
        }
        match name {
            "lt" => {
                self.arity(callee, args, 2, span)?;
                let a = self.p_operand(&args[0], "an argument of `lt`")?;
                let b = self.p_operand(&args[1], "an argument of `lt`")?;
                Ok(Self::mk(H::Lt(Box::new(a), Box::new(b)), Some(Ty::P), span))
            }
            "branch" => {
                self.arity(callee, args, 3, span)?;
                let c = self.p_operand(&args[0], "the condition of `branch`")?;
                let x = self.expr(&args[1])?;
                let y = self.expr(&args[2])?;
                let ty = match (x.1, y.1) {
                    (Some(a), Some(b)) if a != b => {
                        return Err(Diagnostic::new(
                            y.0.span,
                            format!("type mismatch: the arms of `branch` must have the same type, found {a} and {b}"),
                        ))
                    }
                    (a, b) => a.or(b),
                };
                Ok(Self::mk(
                    H::Branch(Box::new(c), Box::new(x.0), Box::new(y.0)),
                    ty,
                    span,
                ))
            }
            "repr" => {
                self.arity(callee, args, 1, span)?;
                let g = self.expr(&args[0])?;
                self.want(&g, Ty::Prog, "the argument of `repr`")?;
                Ok(Self::mk(H::Repr(Box::new(g.0)), Some(Ty::P), span))
            }
            "reflect" => {
                self.arity(callee, args, 1, span)?;
                let x = self.p_operand(&args[0], "the argument of `reflect`")?;
                Ok(Self::mk(H::Reflect(Box::new(x)), Some(Ty::Prog), span))
            }
            "eval" => {
                if args.is_empty() {
                    return Err(Diagnostic::new(span, "`eval` needs a program argument"));
                }
                let g = self.expr(&args[0])?;
                self.want(&g, Ty::Prog, "the first argument of `eval`")?;
                let rest = self.args(&args[1..])?;
                Ok(Self::mk(H::Eval(Box::new(g.0), rest), Some(Ty::P), span))
            }
            _ => {
                let Some(&f) = self.index.get(name) else {
                    return Err(Diagnostic::new(
                        callee.span,
                        format!("unknown function `{name}`"),
                    ));
                };
                let params = &self.sigs[f as usize];
                self.arity(callee, args, params.len(), span)?;
                let mut out = Vec::with_capacity(args.len());
                for (a, p) in args.iter().zip(params.iter()) {
                    let t = self.expr(a)?;
                    self.want(&t, p.ty, &format!("argument `{}` of `{name}`", p.name))?;
                    out.push(t.0);
                }
                Ok(Self::mk(H::Call(f, out), self.ret[f as usize], span))
            }
        }
    }

    fn args(&mut self, args: &[ast::Expr]) -> Result<Vec<hir::Expr>, Diagnostic> {
        args.iter().map(|a| self.expr(a).map(|t| t.0)).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::compile;
    use crate::hir::Ty;

    fn err(src: &str) -> String {
        let e = compile(src).expect_err("should fail");
        format!("{}|{}", e.message, &src[e.span.start..e.span.end])
    }

    #[test]
    fn infers_types_through_recursion() {
        let m = compile(
            "fn pick(c) = branch(c, pick(c - 1), f);\nfn f(x) = x;\nfn main(x) = eval(pick(x), 3);",
        )
        .expect("checks");
        assert_eq!(m.functions[0].ret, Ty::Prog);
        assert_eq!(m.functions[2].ret, Ty::P);
    }

    #[test]
    fn errors_with_spans() {
        assert_eq!(err("fn main(x) = y;"), "unknown name `y`|y");
        assert!(err("fn main(x) = x;\nfn main(y) = y;").starts_with("duplicate definition"));
        assert!(err("fn f(x) = x;\nfn main() = f(1, 2);").contains("takes 1 argument"));
        assert!(err("fn f(x) = x;\nfn main() = f + 1;").contains("type mismatch"));
        assert!(err("fn f(secret x) = x;\nfn main() = 1;").contains("only allowed on main"));
        assert!(err("fn main(x) = repr(x);").contains("must be of type prog"));
        assert!(err("fn main(x) = branch(x, 1, main);").contains("same type"));
        assert!(err("fn g() = 1;").contains("no `main`"));
        assert!(err("fn main(x) = x(1);").contains("cannot be called"));
        assert!(err("fn lt(x) = x; fn main() = 1;").contains("builtin"));
    }

    #[test]
    fn let_slots_follow_params() {
        let m = compile("fn main(a, b) = let x = a in let y = x * b in y + x;").expect("checks");
        assert_eq!(m.main_function().slots, 4);
    }
}
