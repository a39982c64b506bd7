//! Name resolution and type checking: `ast::Program` -> `hir::Module`.
//!
//! Digests (`d`) are lowered here to their four elements (see [`crate::hir`]): a `d` value
//! is a list of bindings to evaluate first ([`DVal::binds`]) and four *atomic* elements
//! (slots or constants) that can be read any number of times. The consumer of a digest (a
//! projection, `eq`, a call argument, ...) wraps the bindings around itself, at the place the
//! source evaluates the digest, so evaluation stays left to right and every `hash`/`merkle`
//! runs once.

use crate::ast::{self, ExprKind as A, TypeAnn};
use crate::diagnostic::{Diagnostic, Span};
use crate::hir::{self, ExprKind as H, FnId, DIGEST_ELEMENTS};
use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use std::collections::{HashMap, VecDeque};

const BUILTINS: [&str; 9] = [
    "lt", "branch", "repr", "reflect", "eval", "hash", "merkle", "digest", "eq",
];

/// Most source expressions the checker lowers again while inlining calls of functions that
/// return a digest (over the whole program): inlining a chain of functions that each call the
/// next twice doubles per level, so the work is bounded instead of the memory exhausted.
pub const MAX_INLINED_EXPRS: usize = 1 << 22;

/// Source-level types: [`hir::Ty`] plus the digest, which the HIR does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ty {
    P,
    Prog,
    D,
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Ty::P => "p",
            Ty::Prog => "prog",
            Ty::D => "d",
        })
    }
}

impl Ty {
    /// The HIR type of a scalar value of this type (a digest's elements are `p`).
    fn scalar(t: Option<Ty>) -> hir::Ty {
        match t {
            Some(Ty::Prog) => hir::Ty::Prog,
            _ => hir::Ty::P,
        }
    }
}

/// A parameter as the source declares it.
#[derive(Clone, Debug)]
struct SrcParam {
    name: String,
    ty: Ty,
    secret: bool,
}

/// A binding a digest needs evaluated before its elements can be read.
#[derive(Clone, Debug)]
enum Bind {
    /// `let slot = value`.
    Let(hir::Slot, hir::Expr),
    /// Slots `base..base+4` = one Merkle level over the (atomic) operands; the span is the
    /// `hash`/`merkle` call's.
    Hash(hir::Slot, Box<[hir::Expr; 9]>, Span),
}

/// A lowered digest value.
#[derive(Clone, Debug)]
struct DVal {
    /// Evaluated in order before the elements are read.
    binds: VecDeque<Bind>,
    /// The four elements: atomic expressions (slots or constants).
    parts: [hir::Expr; DIGEST_ELEMENTS],
    /// The source expression.
    span: Span,
}

/// A lowered value: a scalar expression (`p` or `prog`) or a digest.
#[derive(Debug)]
enum Val {
    P(hir::Expr),
    D(DVal),
}

impl Val {
    fn span(&self) -> Span {
        match self {
            Val::P(e) => e.span,
            Val::D(d) => d.span,
        }
    }
}

/// What a name in scope stands for.
#[derive(Clone, Debug)]
enum Bound {
    /// A scalar: an atomic expression (a slot, or a constant/function passed to an inlined
    /// function) and its type.
    Scalar(hir::Expr, Option<Ty>),
    /// A digest's four atomic elements.
    Digest([hir::Expr; DIGEST_ELEMENTS]),
}

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
                Some((TypeAnn::D, _)) => Ty::D,
                _ => Ty::P,
            };
            params.push(SrcParam {
                name: p.name.name.clone(),
                ty,
                secret: p.secret.is_some(),
            });
        }
        sigs.push(params);
    }

    // Infer result types: iterate to a fixpoint, treating unknown results as wildcards.
    let mut ret: Vec<Option<Ty>> = vec![None; program.items.len()];
    let mut inline_budget = MAX_INLINED_EXPRS;
    loop {
        let mut changed = false;
        for (i, f) in program.items.iter().enumerate() {
            if ret[i].is_some() {
                continue;
            }
            let mut cx = Cx::new(program, &index, &sigs, &ret, i, &mut inline_budget);
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

    // Functions returning a digest are inlined at their calls: they get no HIR function,
    // and the others are renumbered (in source order).
    let mut new_id = vec![None; program.items.len()];
    let mut kept = 0;
    for (i, t) in ret.iter().enumerate() {
        if *t != Some(Ty::D) {
            new_id[i] = Some(kept as FnId);
            kept += 1;
        }
    }

    let mut functions = Vec::with_capacity(kept);
    let mut inline_budget = MAX_INLINED_EXPRS;
    for (i, f) in program.items.iter().enumerate() {
        let mut cx = Cx::new(program, &index, &sigs, &ret, i, &mut inline_budget);
        let returns_digest = ret[i] == Some(Ty::D);
        if returns_digest {
            cx.inlining.push(i as FnId);
            if i as FnId == main {
                errors.push(Diagnostic::new(
                    f.name.span,
                    "`main` must return a p value, found d (compare the digest, e.g. with `eq`)",
                ));
            }
        }
        match cx.expr(&f.body) {
            Ok((Val::P(mut body), _)) if !returns_digest => {
                if let Err(e) = remap_functions(&mut body, &new_id) {
                    errors.push(e);
                    continue;
                }
                functions.push(hir::Function {
                    name: f.name.name.clone(),
                    params: hir_params(&sigs[i]),
                    ret: Ty::scalar(ret[i]),
                    body,
                    slots: cx.next_slot,
                    span: f.span,
                })
            }
            Ok(_) => {}
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        let main = new_id[main as usize].expect("main returns p");
        Ok(hir::Module { functions, main })
    } else {
        errors.sort_by_key(|d| (d.span.start, d.span.end));
        // An error inside a function returning a digest is met again where it is inlined.
        errors.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        Err(errors)
    }
}

/// The HIR parameters of a source parameter list: a `d` parameter is four elements.
fn hir_params(params: &[SrcParam]) -> Vec<hir::Param> {
    let mut out = Vec::new();
    for p in params {
        match p.ty {
            Ty::D => out.extend((0..DIGEST_ELEMENTS as u8).map(|j| hir::Param {
                name: format!("{}.{j}", p.name),
                ty: hir::Ty::P,
                secret: p.secret,
                digest_element: Some(j),
            })),
            t => out.push(hir::Param {
                name: p.name.clone(),
                ty: Ty::scalar(Some(t)),
                secret: p.secret,
                digest_element: None,
            }),
        }
    }
    out
}

/// Rewrites source function indices to HIR ones (functions returning digests have none; a
/// use of one that is not inlined was already reported, so it is an internal error here).
fn remap_functions(body: &mut hir::Expr, new_id: &[Option<FnId>]) -> Result<(), Diagnostic> {
    let mut todo = vec![body];
    while let Some(e) = todo.pop() {
        let span = e.span;
        let map = |f: &mut FnId| match new_id.get(*f as usize).copied().flatten() {
            Some(n) => {
                *f = n;
                Ok(())
            }
            None => Err(Diagnostic::new(
                span,
                "internal compiler error: a function returning a digest was not inlined",
            )),
        };
        match &mut e.kind {
            H::Const(_) | H::Slot(_) => {}
            H::Func(f) => map(f)?,
            H::Neg(a) | H::Pow(a, _) | H::Repr(a) | H::Reflect(a) => todo.push(a),
            H::Bin(_, a, b) | H::Lt(a, b) | H::Let(_, a, b) => {
                todo.push(a);
                todo.push(b);
            }
            H::Branch(c, x, y) => {
                todo.push(c);
                todo.push(x);
                todo.push(y);
            }
            H::Call(f, args) => {
                map(f)?;
                todo.extend(args.iter_mut());
            }
            H::Eval(g, args) => {
                todo.push(g);
                todo.extend(args.iter_mut());
            }
            H::Hash(_, ops, b) => {
                todo.extend(ops.iter_mut());
                todo.push(b);
            }
        }
    }
    Ok(())
}

/// Type checking context of one function body. Types are `Option<Ty>`: `None` is the
/// wildcard of a call whose result type is not inferred yet.
struct Cx<'a> {
    program: &'a ast::Program,
    index: &'a HashMap<&'a str, FnId>,
    sigs: &'a [Vec<SrcParam>],
    ret: &'a [Option<Ty>],
    scope: Vec<(String, Bound)>,
    next_slot: u32,
    /// Functions returning digests being inlined (innermost last): a call of one of them
    /// again would inline forever.
    inlining: Vec<FnId>,
    /// Source expressions that may still be lowered while inlining ([`MAX_INLINED_EXPRS`]).
    inline_budget: &'a mut usize,
}

type Typed = (Val, Option<Ty>);

fn atomic(e: &hir::Expr) -> bool {
    matches!(e.kind, H::Const(_) | H::Slot(_) | H::Func(_))
}

impl<'a> Cx<'a> {
    fn new(
        program: &'a ast::Program,
        index: &'a HashMap<&'a str, FnId>,
        sigs: &'a [Vec<SrcParam>],
        ret: &'a [Option<Ty>],
        f: usize,
        inline_budget: &'a mut usize,
    ) -> Self {
        let mut scope = Vec::new();
        let mut slot = 0u32;
        for p in &sigs[f] {
            let span = Span::new(0, 0);
            match p.ty {
                Ty::D => {
                    let parts =
                        std::array::from_fn(|j| Self::slot_expr(slot + j as u32, None, span));
                    slot += DIGEST_ELEMENTS as u32;
                    scope.push((p.name.clone(), Bound::Digest(parts)));
                }
                t => {
                    let e = Self::slot_expr(slot, Some(t), span);
                    slot += 1;
                    scope.push((p.name.clone(), Bound::Scalar(e, Some(t))));
                }
            }
        }
        Cx {
            program,
            index,
            sigs,
            ret,
            scope,
            next_slot: slot,
            inlining: Vec::new(),
            inline_budget,
        }
    }

    fn slot_expr(slot: hir::Slot, ty: Option<Ty>, span: Span) -> hir::Expr {
        hir::Expr {
            kind: H::Slot(slot),
            ty: Ty::scalar(ty),
            span,
        }
    }

    fn fresh(&mut self, n: u32) -> hir::Slot {
        let s = self.next_slot;
        self.next_slot += n;
        s
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

    fn lookup(&self, name: &str) -> Option<&Bound> {
        self.scope
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b)
    }

    fn mismatch(span: Span, what: &str, want: Ty, found: Ty) -> Diagnostic {
        Diagnostic::new(
            span,
            format!("type mismatch: {what} must be of type {want}, found {found}"),
        )
    }

    /// A scalar operand of type `want` (the wildcard passes).
    fn scalar(t: Typed, want: Ty, what: &str) -> Result<hir::Expr, Diagnostic> {
        match t {
            (Val::P(e), Some(found)) if found != want => {
                Err(Self::mismatch(e.span, what, want, found))
            }
            (Val::P(e), _) => Ok(e),
            (Val::D(d), _) => Err(Self::mismatch(d.span, what, want, Ty::D)),
        }
    }

    /// A digest operand (the wildcard passes, as zeros: only inference sees it).
    fn digest(t: Typed, what: &str) -> Result<DVal, Diagnostic> {
        match t {
            (Val::D(d), _) => Ok(d),
            (Val::P(e), None) => Ok(DVal {
                binds: VecDeque::new(),
                parts: std::array::from_fn(|_| Self::konst(F::ZERO, e.span)),
                span: e.span,
            }),
            (Val::P(e), Some(found)) => Err(Self::mismatch(e.span, what, Ty::D, found)),
        }
    }

    fn mk(kind: H, ty: Option<Ty>, span: Span) -> hir::Expr {
        hir::Expr {
            kind,
            ty: Ty::scalar(ty),
            span,
        }
    }

    fn konst(c: F, span: Span) -> hir::Expr {
        Self::mk(H::Const(c), Some(Ty::P), span)
    }

    fn p(e: hir::Expr, ty: Option<Ty>) -> Typed {
        (Val::P(e), ty)
    }

    fn p_operand(&mut self, e: &ast::Expr, what: &str) -> Result<hir::Expr, Diagnostic> {
        let t = self.expr(e)?;
        Self::scalar(t, Ty::P, what)
    }

    fn d_operand(&mut self, e: &ast::Expr, what: &str) -> Result<DVal, Diagnostic> {
        let t = self.expr(e)?;
        Self::digest(t, what)
    }

    /// `e` itself if atomic, else a read of a fresh slot bound to it (appended to `binds`).
    fn atomize(&mut self, e: hir::Expr, binds: &mut VecDeque<Bind>) -> hir::Expr {
        if atomic(&e) {
            return e;
        }
        let slot = self.fresh(1);
        let read = hir::Expr {
            kind: H::Slot(slot),
            ty: e.ty,
            span: e.span,
        };
        binds.push_back(Bind::Let(slot, e));
        read
    }

    /// Scalar operands of `vals` in evaluation order, appending to `binds` what must be
    /// evaluated first: the digests' bindings, and every scalar operand that comes before a
    /// digest with bindings (bound to a slot, so evaluation stays left to right).
    fn sequence(&mut self, vals: Vec<Val>, binds: &mut VecDeque<Bind>) -> Vec<hir::Expr> {
        let last = vals
            .iter()
            .rposition(|v| matches!(v, Val::D(d) if !d.binds.is_empty()));
        let mut out = Vec::with_capacity(vals.len());
        for (i, v) in vals.into_iter().enumerate() {
            match v {
                Val::P(e) if last.is_some_and(|l| i < l) => out.push(self.atomize(e, binds)),
                Val::P(e) => out.push(e),
                Val::D(d) => {
                    binds.extend(d.binds);
                    out.extend(d.parts);
                }
            }
        }
        out
    }

    /// `body` under `binds` (the first binding outermost).
    fn wrap(binds: VecDeque<Bind>, mut body: hir::Expr) -> hir::Expr {
        for b in binds.into_iter().rev() {
            let (ty, span) = (body.ty, body.span);
            body = match b {
                Bind::Let(slot, v) => hir::Expr {
                    kind: H::Let(slot, Box::new(v), Box::new(body)),
                    ty,
                    span,
                },
                Bind::Hash(base, ops, span) => hir::Expr {
                    kind: H::Hash(base, ops, Box::new(body)),
                    ty,
                    span,
                },
            };
        }
        body
    }

    /// The digest whose elements are slots `base..base+4`, bound by one Merkle level.
    fn hash_level(&mut self, mut binds: VecDeque<Bind>, ops: [hir::Expr; 9], span: Span) -> Typed {
        let base = self.fresh(DIGEST_ELEMENTS as u32);
        binds.push_back(Bind::Hash(base, Box::new(ops), span));
        let parts = std::array::from_fn(|j| Self::slot_expr(base + j as u32, Some(Ty::P), span));
        (Val::D(DVal { binds, parts, span }), Some(Ty::D))
    }

    /// `eq` of two scalars: `lt(a, b) * lt(b, a)` (1 exactly when neither is less).
    fn eq_scalar(a: &hir::Expr, b: &hir::Expr, span: Span) -> hir::Expr {
        let lt = |x: &hir::Expr, y: &hir::Expr| {
            Self::mk(
                H::Lt(Box::new(x.clone()), Box::new(y.clone())),
                Some(Ty::P),
                span,
            )
        };
        Self::mk(
            H::Bin(ast::BinOp::Mul, Box::new(lt(a, b)), Box::new(lt(b, a))),
            Some(Ty::P),
            span,
        )
    }

    fn expr(&mut self, e: &ast::Expr) -> Result<Typed, Diagnostic> {
        if !self.inlining.is_empty() {
            *self.inline_budget = self.inline_budget.checked_sub(1).ok_or_else(|| {
                Diagnostic::new(
                    e.span,
                    format!(
                        "too much inlining: calls of functions returning a digest expand to more \
                         than {MAX_INLINED_EXPRS} expressions (reached here)"
                    ),
                )
            })?;
        }
        // Long operator chains make deep trees: grow the stack instead of overflowing it.
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.expr_inner(e))
    }

    fn expr_inner(&mut self, e: &ast::Expr) -> Result<Typed, Diagnostic> {
        let span = e.span;
        Ok(match &e.kind {
            A::Number(v) => Self::p(Self::konst(F::from_u64(*v), span), Some(Ty::P)),
            A::Var(name) => {
                if let Some(b) = self.lookup(name) {
                    let at = |x: &hir::Expr| {
                        let mut x = x.clone();
                        x.span = span;
                        x
                    };
                    match b {
                        Bound::Scalar(x, ty) => Self::p(at(x), *ty),
                        Bound::Digest(parts) => (
                            Val::D(DVal {
                                binds: VecDeque::new(),
                                parts: std::array::from_fn(|j| at(&parts[j])),
                                span,
                            }),
                            Some(Ty::D),
                        ),
                    }
                } else if let Some(&f) = self.index.get(name.as_str()) {
                    if self.ret[f as usize] == Some(Ty::D) {
                        return Err(Diagnostic::new(
                            span,
                            format!(
                                "`{name}` returns a digest, so it cannot be used as a program value \
                                 (functions returning `d` are inlined at their calls)"
                            ),
                        ));
                    }
                    Self::p(Self::mk(H::Func(f), Some(Ty::Prog), span), Some(Ty::Prog))
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
                Self::p(
                    Self::mk(H::Neg(Box::new(x)), Some(Ty::P), span),
                    Some(Ty::P),
                )
            }
            A::Binary(op, a, b) => {
                let what = "an arithmetic operand";
                let a = self.p_operand(a, what)?;
                let b = self.p_operand(b, what)?;
                Self::p(
                    Self::mk(H::Bin(*op, Box::new(a), Box::new(b)), Some(Ty::P), span),
                    Some(Ty::P),
                )
            }
            A::Pow(x, k) => {
                let x = self.p_operand(x, "the base of `^`")?;
                Self::p(
                    Self::mk(H::Pow(Box::new(x), *k), Some(Ty::P), span),
                    Some(Ty::P),
                )
            }
            A::Proj(x, i) => {
                let d = self.d_operand(x, &format!("the operand of `.{i}`"))?;
                let mut part = d.parts[*i as usize].clone();
                part.span = span;
                Self::p(Self::wrap(d.binds, part), Some(Ty::P))
            }
            A::Let(name, value, body) => {
                let (v, vt) = self.expr(value)?;
                match v {
                    Val::P(v) => {
                        let slot = self.fresh(1);
                        let read = Self::slot_expr(slot, vt, name.span);
                        self.scope
                            .push((name.name.clone(), Bound::Scalar(read, vt)));
                        let r = self.expr(body);
                        self.scope.pop();
                        match r? {
                            (Val::P(b), bt) => Self::p(
                                Self::mk(H::Let(slot, Box::new(v), Box::new(b)), bt, span),
                                bt,
                            ),
                            (Val::D(mut d), bt) => {
                                d.binds.push_front(Bind::Let(slot, v));
                                d.span = span;
                                (Val::D(d), bt)
                            }
                        }
                    }
                    Val::D(d) => {
                        self.scope
                            .push((name.name.clone(), Bound::Digest(d.parts.clone())));
                        let r = self.expr(body);
                        self.scope.pop();
                        match r? {
                            (Val::P(b), bt) => {
                                let mut b = Self::wrap(d.binds, b);
                                b.span = span;
                                Self::p(b, bt)
                            }
                            (Val::D(bd), bt) => {
                                let mut binds = d.binds;
                                binds.extend(bd.binds);
                                (
                                    Val::D(DVal {
                                        binds,
                                        parts: bd.parts,
                                        span,
                                    }),
                                    bt,
                                )
                            }
                        }
                    }
                }
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
        if let Some(b) = self.lookup(name) {
            let g = match b {
                Bound::Scalar(g, ty) if *ty != Some(Ty::P) => {
                    let mut g = g.clone();
                    g.span = callee.span;
                    g
                }
                Bound::Scalar(..) | Bound::Digest(_) => {
                    let t = if matches!(b, Bound::Digest(_)) {
                        Ty::D
                    } else {
                        Ty::P
                    };
                    return Err(Diagnostic::new(
                        callee.span,
                        format!("`{name}` is a {t} value, not a program: it cannot be called"),
                    ));
                }
            };
            return self.eval(g, &args[..], span);
        }
        match name {
            "lt" => {
                self.arity(callee, args, 2, span)?;
                let a = self.p_operand(&args[0], "an argument of `lt`")?;
                let b = self.p_operand(&args[1], "an argument of `lt`")?;
                Ok(Self::p(
                    Self::mk(H::Lt(Box::new(a), Box::new(b)), Some(Ty::P), span),
                    Some(Ty::P),
                ))
            }
            "eq" => {
                self.arity(callee, args, 2, span)?;
                let a = self.expr(&args[0])?;
                let b = self.expr(&args[1])?;
                let what = "an argument of `eq`";
                if a.1 == Some(Ty::D) || b.1 == Some(Ty::D) {
                    let (a, b) = (Self::digest(a, what)?, Self::digest(b, what)?);
                    let mut binds = a.binds;
                    binds.extend(b.binds);
                    let mut all = Self::eq_scalar(&a.parts[0], &b.parts[0], span);
                    for j in 1..DIGEST_ELEMENTS {
                        let e = Self::eq_scalar(&a.parts[j], &b.parts[j], span);
                        all = Self::mk(
                            H::Bin(ast::BinOp::Mul, Box::new(all), Box::new(e)),
                            Some(Ty::P),
                            span,
                        );
                    }
                    let mut r = Self::wrap(binds, all);
                    r.span = span;
                    return Ok(Self::p(r, Some(Ty::P)));
                }
                let (a, b) = (Self::scalar(a, Ty::P, what)?, Self::scalar(b, Ty::P, what)?);
                let mut binds = VecDeque::new();
                let a = self.atomize(a, &mut binds);
                let b = self.atomize(b, &mut binds);
                let mut r = Self::wrap(binds, Self::eq_scalar(&a, &b, span));
                r.span = span;
                Ok(Self::p(r, Some(Ty::P)))
            }
            "hash" => {
                self.arity(callee, args, 2, span)?;
                let a = self.d_operand(&args[0], "an argument of `hash`")?;
                let b = self.d_operand(&args[1], "an argument of `hash`")?;
                let mut binds = a.binds;
                binds.extend(b.binds);
                // merge(a, b) is HASH with d = b on the stack, s = a, e = 1.
                let [a0, a1, a2, a3] = a.parts;
                let [b0, b1, b2, b3] = b.parts;
                let one = Self::konst(F::ONE, span);
                Ok(self.hash_level(binds, [b0, b1, b2, b3, a0, a1, a2, a3, one], span))
            }
            "merkle" => {
                self.arity(callee, args, 3, span)?;
                let a = self.d_operand(&args[0], "the first argument of `merkle`")?;
                let s = self.d_operand(&args[1], "the sibling argument of `merkle`")?;
                let e = self.p_operand(&args[2], "the direction of `merkle`")?;
                let mut binds = a.binds;
                binds.extend(s.binds);
                let e = self.atomize(e, &mut binds);
                let [a0, a1, a2, a3] = a.parts;
                let [s0, s1, s2, s3] = s.parts;
                Ok(self.hash_level(binds, [a0, a1, a2, a3, s0, s1, s2, s3, e], span))
            }
            "digest" => {
                self.arity(callee, args, DIGEST_ELEMENTS, span)?;
                let mut binds = VecDeque::new();
                let mut parts = Vec::with_capacity(DIGEST_ELEMENTS);
                for a in args {
                    let x = self.p_operand(a, "an argument of `digest`")?;
                    parts.push(self.atomize(x, &mut binds));
                }
                let parts: [hir::Expr; DIGEST_ELEMENTS] = parts.try_into().expect("four elements");
                Ok((Val::D(DVal { binds, parts, span }), Some(Ty::D)))
            }
            "branch" => {
                self.arity(callee, args, 3, span)?;
                let c = self.p_operand(&args[0], "the condition of `branch`")?;
                let x = self.expr(&args[1])?;
                let y = self.expr(&args[2])?;
                let ty = match (x.1, y.1) {
                    (Some(a), Some(b)) if a != b => {
                        return Err(Diagnostic::new(
                            y.0.span(),
                            format!("type mismatch: the arms of `branch` must have the same type, found {a} and {b}"),
                        ))
                    }
                    (a, b) => a.or(b),
                };
                if ty == Some(Ty::D) {
                    return self.digest_branch(c, x, y, span);
                }
                let (x, y) = match (x.0, y.0) {
                    (Val::P(x), Val::P(y)) => (x, y),
                    _ => unreachable!("digest arms have type d"),
                };
                Ok(Self::p(
                    Self::mk(H::Branch(Box::new(c), Box::new(x), Box::new(y)), ty, span),
                    ty,
                ))
            }
            "repr" => {
                self.arity(callee, args, 1, span)?;
                let g = self.expr(&args[0])?;
                let g = Self::scalar(g, Ty::Prog, "the argument of `repr`")?;
                Ok(Self::p(
                    Self::mk(H::Repr(Box::new(g)), Some(Ty::P), span),
                    Some(Ty::P),
                ))
            }
            "reflect" => {
                self.arity(callee, args, 1, span)?;
                let x = self.p_operand(&args[0], "the argument of `reflect`")?;
                Ok(Self::p(
                    Self::mk(H::Reflect(Box::new(x)), Some(Ty::Prog), span),
                    Some(Ty::Prog),
                ))
            }
            "eval" => {
                if args.is_empty() {
                    return Err(Diagnostic::new(span, "`eval` needs a program argument"));
                }
                let g = self.expr(&args[0])?;
                let g = Self::scalar(g, Ty::Prog, "the first argument of `eval`")?;
                self.eval(g, &args[1..], span)
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
                let mut vals = Vec::with_capacity(args.len());
                for (a, p) in args.iter().zip(params.iter()) {
                    let t = self.expr(a)?;
                    let what = format!("argument `{}` of `{name}`", p.name);
                    vals.push(match p.ty {
                        Ty::D => Val::D(Self::digest(t, &what)?),
                        ty => Val::P(Self::scalar(t, ty, &what)?),
                    });
                }
                if self.ret[f as usize] == Some(Ty::D) {
                    return self.inline(f, vals, span);
                }
                let mut binds = VecDeque::new();
                let args = self.sequence(vals, &mut binds);
                let ty = self.ret[f as usize];
                let mut r = Self::wrap(binds, Self::mk(H::Call(f, args), ty, span));
                r.span = span;
                Ok(Self::p(r, ty))
            }
        }
    }

    /// `eval(g, args)` with the callee already lowered (evaluated first). A digest argument
    /// is passed as its four elements.
    fn eval(&mut self, g: hir::Expr, args: &[ast::Expr], span: Span) -> Result<Typed, Diagnostic> {
        let ty = self.eval_ty(&g);
        let mut vals = vec![Val::P(g)];
        for a in args {
            vals.push(self.expr(a)?.0);
        }
        let mut binds = VecDeque::new();
        let mut scalars = self.sequence(vals, &mut binds);
        let g = scalars.remove(0);
        let mut r = Self::wrap(binds, Self::mk(H::Eval(Box::new(g), scalars), ty, span));
        r.span = span;
        Ok(Self::p(r, ty))
    }

    /// `branch(c, x, y)` with digest arms: one `branch` per element (each runs the chosen
    /// arm; only an arm's own bindings are evaluated again, per element).
    fn digest_branch(
        &mut self,
        c: hir::Expr,
        x: Typed,
        y: Typed,
        span: Span,
    ) -> Result<Typed, Diagnostic> {
        let what = "an arm of `branch`";
        let (x, y) = (Self::digest(x, what)?, Self::digest(y, what)?);
        let mut binds = VecDeque::new();
        let c = self.atomize(c, &mut binds);
        let mut parts = Vec::with_capacity(DIGEST_ELEMENTS);
        for j in 0..DIGEST_ELEMENTS {
            let xj = Self::wrap(x.binds.clone(), x.parts[j].clone());
            let yj = Self::wrap(y.binds.clone(), y.parts[j].clone());
            let b = Self::mk(
                H::Branch(Box::new(c.clone()), Box::new(xj), Box::new(yj)),
                Some(Ty::P),
                span,
            );
            parts.push(self.atomize(b, &mut binds));
        }
        let parts: [hir::Expr; DIGEST_ELEMENTS] = parts.try_into().expect("four elements");
        Ok((Val::D(DVal { binds, parts, span }), Some(Ty::D)))
    }

    /// A call of `f`, which returns a digest: its body lowered in place, with the parameters
    /// bound to the (atomic) arguments.
    fn inline(&mut self, f: FnId, vals: Vec<Val>, span: Span) -> Result<Typed, Diagnostic> {
        let program = self.program;
        let item = &program.items[f as usize];
        if self.inlining.contains(&f) {
            return Err(Diagnostic::new(
                span,
                format!(
                    "`{}` returns a digest and is called recursively: functions returning `d` are \
                     inlined at their calls, so they cannot be recursive (return a p from the \
                     recursive function instead, e.g. compare the digest with `eq` in it)",
                    item.name.name
                ),
            ));
        }
        let mut binds = VecDeque::new();
        let mut scope = Vec::with_capacity(vals.len());
        for (v, p) in vals.into_iter().zip(&self.sigs[f as usize]) {
            match v {
                Val::P(e) => {
                    // A function passed as an argument is bound to a slot like any other:
                    // `eval` of a parameter has type p whatever the caller passes, inlined or not.
                    let e = if matches!(e.kind, H::Func(_)) {
                        let slot = self.fresh(1);
                        let read = Self::slot_expr(slot, Some(p.ty), e.span);
                        binds.push_back(Bind::Let(slot, e));
                        read
                    } else {
                        self.atomize(e, &mut binds)
                    };
                    scope.push((p.name.clone(), Bound::Scalar(e, Some(p.ty))));
                }
                Val::D(d) => {
                    binds.extend(d.binds);
                    scope.push((p.name.clone(), Bound::Digest(d.parts)));
                }
            }
        }
        let outer = std::mem::replace(&mut self.scope, scope);
        self.inlining.push(f);
        let r = self.expr(&item.body);
        self.inlining.pop();
        self.scope = outer;
        let body = Self::digest(r?, "the result")?;
        binds.extend(body.binds);
        Ok((
            Val::D(DVal {
                binds,
                parts: body.parts,
                span,
            }),
            Some(Ty::D),
        ))
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

    #[test]
    fn digest_parameters_are_four_consecutive_inputs() {
        let m = compile("fn main(a, secret x: d, g: prog) = a + x.3;").expect("checks");
        let ps = &m.main_function().params;
        let names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "x.0", "x.1", "x.2", "x.3", "g"]);
        assert_eq!(
            ps.iter().map(|p| p.secret).collect::<Vec<_>>(),
            [false, true, true, true, true, false]
        );
        assert_eq!(ps[4].digest_element, Some(3));
        assert_eq!(ps[0].digest_element, None);
        assert_eq!(ps[5].ty, Ty::Prog);
        // `x.3` is the slot of element 3.
        assert!(matches!(
            m.main_function().body.kind,
            crate::hir::ExprKind::Bin(..)
        ));
    }

    #[test]
    fn digest_type_errors_have_spans() {
        assert_eq!(
            err("fn main(x: d) = x + 1;"),
            "type mismatch: an arithmetic operand must be of type p, found d|x"
        );
        assert_eq!(
            err("fn main(x: d) = -x;"),
            "type mismatch: the operand of `-` must be of type p, found d|x"
        );
        assert_eq!(
            err("fn main(x: d) = x ^ 2;"),
            "type mismatch: the base of `^` must be of type p, found d|x"
        );
        assert_eq!(
            err("fn main(x: d, y: d) = lt(x, y);"),
            "type mismatch: an argument of `lt` must be of type p, found d|x"
        );
        assert_eq!(
            err("fn main(x) = x.1;"),
            "type mismatch: the operand of `.1` must be of type d, found p|x"
        );
        assert_eq!(
            err("fn main(x: d) = eq(x, 1);"),
            "type mismatch: an argument of `eq` must be of type d, found p|1"
        );
        assert_eq!(
            err("fn main(x: d) = hash(x, 3).0;"),
            "type mismatch: an argument of `hash` must be of type d, found p|3"
        );
        assert_eq!(
            err("fn main(x: d, e: d) = merkle(x, x, e).0;"),
            "type mismatch: the direction of `merkle` must be of type p, found d|e"
        );
        assert_eq!(
            err("fn main(x: d) = branch(0, x, 1).0;"),
            "type mismatch: the arms of `branch` must have the same type, found d and p|1"
        );
        assert_eq!(
            err("fn main(x: d) = x;"),
            "`main` must return a p value, found d (compare the digest, e.g. with `eq`)|main"
        );
        assert_eq!(
            err("fn f(a: d) = a.0;\nfn main(x) = f(x);"),
            "type mismatch: argument `a` of `f` must be of type d, found p|x"
        );
        assert_eq!(
            err("fn main(x: d) = x(1);"),
            "`x` is a d value, not a program: it cannot be called|x"
        );
        assert_eq!(
            err("fn main(x: d) = repr(x);"),
            "type mismatch: the argument of `repr` must be of type prog, found d|x"
        );
        assert!(err("fn main(x) = digest(x, x, x).0;").contains("takes 4 argument(s), got 3"));
        assert!(err("fn hash(x) = x; fn main() = 1;").contains("builtin"));
        assert!(err("fn eq(x) = x; fn main() = 1;").contains("builtin"));
    }

    #[test]
    fn projection_index_is_a_literal_below_four() {
        let e = crate::parse("fn main(x: d) = x.4;").expect_err("out of range");
        assert!(e.message.contains("index 4 is out of range"), "{e}");
        assert_eq!(e.span, crate::Span::new(18, 19));
        let e = crate::parse("fn main(x: d) = x.y;").expect_err("not a literal");
        assert!(
            e.message
                .starts_with("expected a number as the digest element index"),
            "{e}"
        );
        // Postfix binds tightest: `-x.0 ^ 2` is `-((x.0) ^ 2)`.
        assert!(compile("fn main(x: d) = -x.0 ^ 2 + hash(x, x).3;").is_ok());
    }

    #[test]
    fn digest_functions_are_inlined_and_may_not_recurse() {
        // `h` returns a digest: it is inlined, so the HIR has only `g` and `main`.
        let m = compile(
            "fn h(a: d) = hash(a, a);\nfn g(a: d, n) = n + h(a).0;\nfn main(x: d) = g(h(x), 1);",
        )
        .expect("checks");
        let names: Vec<&str> = m.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["g", "main"]);
        assert_eq!(m.main, 1);
        assert_eq!(m.functions[0].params.len(), 5);
        let e =
            err("fn f(a: d, n) = branch(n, a, f(hash(a, a), n - 1));\nfn main(x: d) = f(x, 3).0;");
        assert!(
            e.contains("returns a digest and is called recursively"),
            "{e}"
        );
        assert!(e.ends_with("|f(hash(a, a), n - 1)"), "{e}");
        assert!(err("fn f(a: d) = a;\nfn main(x: d) = eval(f, x);")
            .contains("cannot be used as a program value"));
        // p-returning functions with digest parameters may recurse.
        assert!(compile(
            "fn c(a: d, n, w: d) = branch(lt(0, n), c(hash(a, a), n - 1, w), eq(a, w));\nfn main(x: d, w: d) = c(x, 4, w);"
        )
        .is_ok());
    }

    #[test]
    fn each_hash_is_bound_once_and_shared_by_its_projections() {
        let m = compile("fn main(x: d) = let h = hash(x, x) in h.0 + h.1 * h.2 + h.3;")
            .expect("checks");
        let mut hashes = 0;
        let mut todo = vec![&m.main_function().body];
        while let Some(e) = todo.pop() {
            if let crate::hir::ExprKind::Hash(..) = e.kind {
                hashes += 1;
            }
            e.kind.for_each_child(&mut |c| todo.push(c));
        }
        assert_eq!(hashes, 1);
    }
}
