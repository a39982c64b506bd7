//! Name resolution and type checking: `ast::Program` -> `hir::Module`.

use crate::ast::{self, ExprKind as A, TypeAnn};
use crate::diagnostic::{Diagnostic, Span};
use crate::hir::{self, ExprKind as H, FnId, Ty};
use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use std::collections::HashMap;

const BUILTINS: [&str; 5] = ["lt", "branch", "repr", "reflect", "eval"];

/// Checks a parsed program, returning its first error.
pub fn check(program: &ast::Program) -> Result<hir::Module, Diagnostic> {
    check_all(program).map_err(|mut ds| ds.swap_remove(0))
}

/// Checks a parsed program, returning every error found (in source order): all errors of
/// the item list (redefinitions, duplicates, a missing `main`), of the parameter lists, and
/// the first error of each function body.
pub fn check_all(program: &ast::Program) -> Result<hir::Module, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut index: HashMap<&str, FnId> = HashMap::new();
    for (i, f) in program.items.iter().enumerate() {
        let name = f.name.name.as_str();
        if BUILTINS.contains(&name) {
            errors.push(Diagnostic::new(
                f.name.span,
                format!("`{name}` is a builtin and cannot be redefined"),
            ));
        } else if index.contains_key(name) {
            errors.push(Diagnostic::new(
                f.name.span,
                format!("duplicate definition of `{name}`"),
            ));
        } else {
            index.insert(name, i as FnId);
        }
    }
    let main = match index.get("main") {
        Some(&m) => m,
        None => {
            let end = program.items.last().map_or(0, |f| f.span.end);
            errors.push(Diagnostic::new(
                Span::new(end, end),
                "no `main` function: the entry point is missing",
            ));
            FnId::MAX
        }
    };

    let mut sigs = Vec::with_capacity(program.items.len());
    for (i, f) in program.items.iter().enumerate() {
        let mut seen = HashMap::new();
        let mut params = Vec::new();
        for p in &f.params {
            if let Some(span) = p.secret {
                if i as FnId != main {
                    errors.push(Diagnostic::new(
                        span,
                        "`secret` is only allowed on main's parameters",
                    ));
                }
            }
            if seen.insert(p.name.name.as_str(), ()).is_some() {
                errors.push(Diagnostic::new(
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
        match cx.expr(&f.body) {
            Ok((body, _)) => functions.push(hir::Function {
                name: f.name.name.clone(),
                params: sigs[i].clone(),
                ret: ret[i].unwrap_or(Ty::P),
                body,
                slots: cx.next_slot,
                span: f.span,
            }),
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(hir::Module { functions, main })
    } else {
        errors.sort_by_key(|d| (d.span.start, d.span.end));
        Err(errors)
    }
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

    /// Result type of `eval(g, ...)`: when `g` is a function's name (written directly),
    /// that function's result type; for any other callee expression (a parameter, a `let`
    /// name, a call, `branch`, `reflect`, ...) the callee is only known at run time and the
    /// result is `p`. (A named callee of the wrong arity always traps at run time, so its
    /// result type is never observed.)
    fn eval_ty(&self, g: &hir::Expr) -> Option<Ty> {
        match g.kind {
            H::Func(f) => self.ret[f as usize],
            _ => Some(Ty::P),
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
            let ty = self.eval_ty(&g);
            return Ok(Self::mk(H::Eval(Box::new(g), args), ty, span));
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
                let ty = self.eval_ty(&g.0);
                Ok(Self::mk(H::Eval(Box::new(g.0), rest), ty, span))
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
    fn eval_of_a_known_callee_has_its_result_type() {
        let pick = "fn f(x) = x + 1;\nfn pick() = f;\n";
        // `eval(pick)` is a prog: it can be evaluated again, and is no operand of `+`.
        let m = compile(&format!("{pick}fn main(x) = eval(eval(pick), x);")).expect("checks");
        assert_eq!(m.main_function().ret, Ty::P);
        let e = err(&format!("{pick}fn main(x) = eval(pick) + x;"));
        assert!(
            e.starts_with("type mismatch: an arithmetic operand must be of type p, found prog"),
            "{e}"
        );
        // Any other callee (a `let` name, a parameter, a computed program) gives a p result.
        assert!(compile(&format!("{pick}fn main(x) = let g = pick in g() + x;")).is_ok());
        assert!(
            err(&format!("{pick}fn main(x) = let g = pick in eval(g(), x);"))
                .contains("must be of type prog")
        );
        assert!(compile(&format!(
            "{pick}fn main(x, g: prog) = g(x) + eval(reflect(x)) + x;"
        ))
        .is_ok());
        assert!(err(&format!("{pick}fn main(x, g: prog) = eval(g(x), x);"))
            .contains("must be of type prog"));
        // Result types are inferred through recursion and `eval` of known callees.
        let m = compile(
            "fn id(x) = x;\nfn k(n) = branch(n, id, eval(k, n - 1));\nfn main(n) = eval(k(n), 5);",
        )
        .expect("checks");
        assert_eq!(m.functions[1].ret, Ty::Prog);
    }

    #[test]
    fn builtin_names_can_be_parameters() {
        let m = compile("fn main(lt, eval) = lt + eval;").expect("checks");
        assert_eq!(m.main_function().params[0].name, "lt");
        assert!(err("fn main(lt) = lt(1, 2);").contains("cannot be called"));
    }

    #[test]
    fn reports_every_function_error() {
        let src = "fn f(x) = y;\nfn g(x) = x + h;\nfn lt() = 1;\nfn main(x) = f(x, x);";
        let ast = crate::parse(src).expect("parses");
        let ds = crate::check_all(&ast).expect_err("fails");
        let msgs: Vec<&str> = ds.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(ds.len(), 4, "{msgs:?}");
        assert!(msgs[0].contains("unknown name `y`"));
        assert!(msgs[1].contains("unknown name `h`"));
        assert!(msgs[2].contains("builtin"));
        assert!(msgs[3].contains("takes 1 argument"));
    }

    #[test]
    fn let_slots_follow_params() {
        let m = compile("fn main(a, b) = let x = a in let y = x * b in y + x;").expect("checks");
        assert_eq!(m.main_function().slots, 4);
    }
}
