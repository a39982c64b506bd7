//! Stage 1: canonical polynomial regions.
//!
//! Polynomials are [`SparsePoly`]s: a function has one variable per parameter and per atom,
//! but each term stores only the variables it mentions, so lowering costs what the source
//! says, not (terms x variables). Alongside its canonical polynomial every value keeps the
//! *written form* (a DAG of the arithmetic as the source wrote it, [`WNode`]), from which the
//! circuit stage may build the value when that is cheaper than the expansion.

use resvm_field::F;
use resvm_lang::ast::BinOp;
use resvm_lang::hir::{self, ExprKind as H, FnId, Slot};
use resvm_lang::Span;
use resvm_poly::SparsePoly;
use std::collections::HashMap;
use std::fmt::Write;

/// Largest polynomial (in terms) a product or power may expand to; beyond it the operation
/// stays a single opaque multiplication in the circuit instead of blowing up.
pub const MAX_EXPANDED_TERMS: usize = 4096;

/// A module in canonical form.
#[derive(Clone, Debug)]
pub struct CanonModule {
    /// One entry per function, in the HIR's order.
    pub functions: Vec<CanonFn>,
    /// Index of `main`.
    pub main: FnId,
}

/// Index of a node in [`CanonFn::written`].
pub type Wid = u32;

/// A node of a value's written form: the arithmetic exactly as the source wrote it (with
/// `let` sharing preserved as shared nodes). Leaves are constants and variables (parameters
/// and atoms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WNode {
    /// A constant.
    Const(F),
    /// A variable: a parameter or an atom.
    Var(u32),
    /// `a + b`
    Add(Wid, Wid),
    /// `a - b`
    Sub(Wid, Wid),
    /// `-a`
    Neg(Wid),
    /// `a * b`
    Mul(Wid, Wid),
    /// `a ^ k`
    Pow(Wid, u64),
}

/// A polynomial value: its canonical form and its written form.
#[derive(Clone, Debug)]
pub struct Value {
    /// The canonical (expanded) polynomial over parameters and atoms.
    pub poly: SparsePoly,
    /// The written form: a node of the function's [`CanonFn::written`] arena.
    pub written: Wid,
}

/// A function in canonical form.
#[derive(Clone, Debug)]
pub struct CanonFn {
    /// Source name.
    pub name: String,
    /// Parameter names (variables `0..arity`).
    pub params: Vec<String>,
    /// Number of variables of this function: parameters, then atoms.
    pub nvars: usize,
    /// The body.
    pub body: Region,
    /// The arena of written-form nodes the values of this function refer to.
    pub written: Vec<WNode>,
    /// Span of the whole definition.
    pub span: Span,
}

/// A branch-free, call-free region: atoms computed in order, then one polynomial.
#[derive(Clone, Debug)]
pub struct Region {
    /// Non-polynomial values this region needs, in evaluation order.
    pub atoms: Vec<Atom>,
    /// The region's value, a polynomial over parameters and visible atoms.
    pub result: Value,
    /// The source expression of the region (a function body or a `branch` arm).
    pub span: Span,
    /// The variable of the atom in tail position, if any: the call, `eval` or `branch` that
    /// is the region's expression once `let`s are peeled off. Only that atom may become a
    /// tail call; one that is merely the region's result after simplification (`0 + f(x)`,
    /// `let y = f(x) in y`) is still a non-tail call, as on every engine.
    pub tail: Option<usize>,
}

/// A non-polynomial value bound to a fresh variable (four for [`AtomKind::Hash`]).
#[derive(Clone, Debug)]
pub struct Atom {
    /// The variable it defines (the first of them).
    pub var: usize,
    /// How it is computed.
    pub kind: AtomKind,
    /// The source expression it stands for.
    pub span: Span,
}

/// How an atom is computed. Operands are polynomials of the enclosing region.
#[derive(Clone, Debug)]
pub enum AtomKind {
    /// `lt(a, b)`
    Lt(Value, Value),
    /// A direct call.
    Call(FnId, Vec<Value>),
    /// `eval(g, args)`
    Eval(Value, Vec<Value>),
    /// `reflect(x)`
    Reflect(Value),
    /// A function used as a value (its repr).
    Func(FnId),
    /// `branch(c, x, y)`; each arm is its own region, evaluated only when chosen.
    Branch(Value, Box<Region>, Box<Region>),
    /// A product too large to expand.
    Mul(Value, Value),
    /// A power too large to expand.
    Pow(Value, u64),
    /// One Merkle level (`HASH`) over `[d0..d3, s0..s3, e]`: `merge(d, s)` if `e = 0`,
    /// `merge(s, d)` if `e = 1`, a runtime error otherwise. It defines four variables,
    /// [`Atom::var`] .. `var + 4`, the digest's elements.
    Hash(Box<[Value; 9]>),
}

impl AtomKind {
    /// Whether evaluating the atom can trap or diverge (so it must keep its place in the
    /// evaluation order).
    pub fn is_effectful(&self) -> bool {
        !matches!(
            self,
            AtomKind::Lt(..) | AtomKind::Func(_) | AtomKind::Mul(..) | AtomKind::Pow(..)
        )
    }
}

impl CanonFn {
    /// Whether the body is a single polynomial of the parameters (no atoms).
    pub fn is_pure(&self) -> bool {
        self.body.atoms.is_empty()
    }

    /// Printing names of all variables: parameter names, then `%0, %1, ...` for atoms.
    pub fn var_names(&self) -> Vec<String> {
        let mut names = self.params.clone();
        for i in 0..self.nvars - self.params.len() {
            names.push(format!("%{i}"));
        }
        names
    }
}

/// Most terms the canonical form of one module may hold, over all its polynomials (about
/// 32 bytes each). The canonical form is usually about as large as the source, but a
/// polynomial reused by many atoms (a `let` chain that keeps growing one sum and compares it
/// at every step) is stored once per use, which is quadratic in the source; beyond this
/// budget compilation stops with a diagnostic instead of exhausting memory.
pub const MAX_CANON_TERMS: usize = 1 << 22;

/// Lowers every function of a checked module to canonical regions.
///
/// Panics if the module's canonical form exceeds [`MAX_CANON_TERMS`]; use
/// [`try_canonicalize`] for untrusted programs.
pub fn canonicalize(module: &hir::Module) -> CanonModule {
    try_canonicalize(module).expect("canonical form within MAX_CANON_TERMS")
}

/// Lowers every function of a checked module to canonical regions, or reports (with the
/// span of the expression where it happened) that the canonical form exceeds
/// [`MAX_CANON_TERMS`] terms.
pub fn try_canonicalize(module: &hir::Module) -> Result<CanonModule, resvm_lang::Diagnostic> {
    let mut budget = MAX_CANON_TERMS;
    let mut functions = Vec::with_capacity(module.functions.len());
    for f in &module.functions {
        let (cf, over) = canon_fn(f, &mut budget);
        if let Some(span) = over {
            return Err(resvm_lang::Diagnostic::new(
                span,
                format!(
                    "canonical form too large: the polynomials of this program exceed {MAX_CANON_TERMS} terms \
                     (reached here; a polynomial reused by many atoms is stored once per use)"
                ),
            ));
        }
        functions.push(cf);
    }
    Ok(CanonModule {
        functions,
        main: module.main,
    })
}

fn canon_fn(f: &hir::Function, budget: &mut usize) -> (CanonFn, Option<Span>) {
    let arity = f.params.len();
    let mut cx = Lower {
        next_var: arity as u32,
        lets: HashMap::new(),
        uses: let_uses(&f.body),
        written: Vec::new(),
        budget: *budget,
        over: None,
        tail_expr: std::ptr::null(),
        tail_var: None,
    };
    let body = cx.region(&f.body);
    *budget = cx.budget;
    let cf = CanonFn {
        name: f.name.clone(),
        params: f.params.iter().map(|p| p.name.clone()).collect(),
        nvars: cx.next_var as usize,
        body,
        written: cx.written,
        span: f.span,
    };
    (cf, cx.over)
}

/// How often each slot is read in a body (iteratively: the tree may be deep).
fn let_uses(e: &hir::Expr) -> HashMap<Slot, u32> {
    let mut uses = HashMap::new();
    let mut todo = vec![e];
    while let Some(e) = todo.pop() {
        match &e.kind {
            H::Const(_) | H::Func(_) => {}
            H::Slot(s) => *uses.entry(*s).or_insert(0) += 1,
            H::Neg(a) | H::Pow(a, _) | H::Repr(a) | H::Reflect(a) => todo.push(a),
            H::Bin(_, a, b) | H::Lt(a, b) | H::Let(_, a, b) => {
                todo.push(a);
                todo.push(b);
            }
            H::Branch(c, x, y) => todo.extend([&**c, &**x, &**y]),
            H::Call(_, args) => todo.extend(args.iter()),
            H::Eval(g, args) => {
                todo.push(g);
                todo.extend(args.iter());
            }
            H::Hash(_, ops, body) => {
                todo.extend(ops.iter());
                todo.push(body);
            }
        }
    }
    uses
}

struct Lower {
    next_var: u32,
    /// `let` values in scope, with the number of reads still to come: the last read moves
    /// the value instead of copying it (a long `let` chain stays linear).
    lets: HashMap<Slot, (Value, u32)>,
    uses: HashMap<Slot, u32>,
    written: Vec<WNode>,
    /// Terms the canonical form may still store (see [`MAX_CANON_TERMS`]).
    budget: usize,
    /// Where the budget ran out; from then on stored polynomials are dropped (the result
    /// is an error) so the work stays bounded.
    over: Option<Span>,
    /// The expression in tail position of the region being lowered (null if none) ...
    tail_expr: *const hir::Expr,
    /// ... and the variable of its atom, once lowered.
    tail_var: Option<usize>,
}

/// The call, `eval` or `branch` in tail position of a region's expression `e`: `e` with its
/// `let`s peeled off, if it is one of those (null otherwise).
fn tail_expr(mut e: &hir::Expr) -> *const hir::Expr {
    while let H::Let(_, _, body) | H::Hash(_, _, body) = &e.kind {
        e = body;
    }
    match e.kind {
        H::Call(..) | H::Eval(..) | H::Branch(..) => e,
        _ => std::ptr::null(),
    }
}

/// Terms of the polynomials an atom stores.
fn atom_terms(k: &AtomKind) -> usize {
    let n = |v: &Value| v.poly.num_terms();
    match k {
        AtomKind::Lt(a, b) | AtomKind::Mul(a, b) => n(a) + n(b),
        AtomKind::Call(_, args) => args.iter().map(n).sum(),
        AtomKind::Eval(g, args) => n(g) + args.iter().map(n).sum::<usize>(),
        AtomKind::Reflect(a) | AtomKind::Pow(a, _) | AtomKind::Branch(a, ..) => n(a),
        AtomKind::Func(_) => 0,
        AtomKind::Hash(ops) => ops.iter().map(n).sum(),
    }
}

impl Lower {
    /// Charges `terms` stored terms to the budget; false (and the error is recorded at
    /// `span`) once it is spent.
    fn charge(&mut self, terms: usize, span: Span) -> bool {
        if self.over.is_some() {
            return false;
        }
        match self.budget.checked_sub(terms) {
            Some(left) => {
                self.budget = left;
                true
            }
            None => {
                self.over = Some(span);
                false
            }
        }
    }

    fn w(&mut self, n: WNode) -> Wid {
        self.written.push(n);
        (self.written.len() - 1) as Wid
    }

    fn atom(&mut self, atoms: &mut Vec<Atom>, kind: AtomKind, span: Span) -> Value {
        self.atom_vars(atoms, kind, 1, span)
    }

    /// An atom defining `n` consecutive variables; the value of the first.
    fn atom_vars(&mut self, atoms: &mut Vec<Atom>, kind: AtomKind, n: u32, span: Span) -> Value {
        let kind = if self.charge(atom_terms(&kind), span) {
            kind
        } else {
            AtomKind::Func(0)
        };
        let var = self.next_var;
        self.next_var += n;
        atoms.push(Atom {
            var: var as usize,
            kind,
            span,
        });
        let written = self.w(WNode::Var(var));
        Value {
            poly: SparsePoly::var(var),
            written,
        }
    }

    fn lower(&mut self, e: &hir::Expr, atoms: &mut Vec<Atom>) -> Value {
        // The tree is at most `resvm_lang::MAX_EXPR_DEPTH` deep (`let` chains): grow the
        // stack instead of overflowing it.
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.lower_inner(e, atoms))
    }

    fn lower_inner(&mut self, e: &hir::Expr, atoms: &mut Vec<Atom>) -> Value {
        let v = self.lower_expr(e, atoms);
        if std::ptr::eq(e, self.tail_expr) {
            self.tail_var = atoms.last().map(|a| a.var);
        }
        v
    }

    fn lower_expr(&mut self, e: &hir::Expr, atoms: &mut Vec<Atom>) -> Value {
        let span = e.span;
        match &e.kind {
            H::Const(c) => {
                let written = self.w(WNode::Const(*c));
                Value {
                    poly: SparsePoly::constant(*c),
                    written,
                }
            }
            H::Slot(s) => match self.lets.get_mut(s) {
                Some((v, left)) => {
                    *left = left.saturating_sub(1);
                    let last = *left == 0;
                    let n = v.poly.num_terms();
                    if last {
                        self.lets.remove(s).expect("present").0
                    } else {
                        if self.charge(n, span) {
                            self.lets.get(s).expect("present").0.clone()
                        } else {
                            Value {
                                poly: SparsePoly::zero(),
                                written: 0,
                            }
                        }
                    }
                }
                None => {
                    let written = self.w(WNode::Var(*s));
                    Value {
                        poly: SparsePoly::var(*s),
                        written,
                    }
                }
            },
            H::Func(f) => self.atom(atoms, AtomKind::Func(*f), span),
            H::Neg(a) => {
                let a = self.lower(a, atoms);
                let written = self.w(WNode::Neg(a.written));
                Value {
                    poly: -a.poly,
                    written,
                }
            }
            H::Bin(op, a, b) => {
                let a = self.lower(a, atoms);
                let b = self.lower(b, atoms);
                match op {
                    BinOp::Add => {
                        let written = self.w(WNode::Add(a.written, b.written));
                        Value {
                            poly: a.poly + b.poly,
                            written,
                        }
                    }
                    BinOp::Sub => {
                        let written = self.w(WNode::Sub(a.written, b.written));
                        Value {
                            poly: a.poly - b.poly,
                            written,
                        }
                    }
                    BinOp::Mul => {
                        let fits = a.poly.num_terms().saturating_mul(b.poly.num_terms())
                            <= MAX_EXPANDED_TERMS;
                        match fits.then(|| a.poly.checked_mul(&b.poly)).flatten() {
                            Some(poly) => {
                                let written = self.w(WNode::Mul(a.written, b.written));
                                Value { poly, written }
                            }
                            None => self.atom(atoms, AtomKind::Mul(a, b), span),
                        }
                    }
                }
            }
            H::Pow(a, k) => {
                let a = self.lower(a, atoms);
                match a.poly.checked_pow(*k, MAX_EXPANDED_TERMS) {
                    Some(poly) => {
                        let written = self.w(WNode::Pow(a.written, *k));
                        Value { poly, written }
                    }
                    None => self.atom(atoms, AtomKind::Pow(a, *k), span),
                }
            }
            H::Lt(a, b) => {
                let a = self.lower(a, atoms);
                let b = self.lower(b, atoms);
                self.atom(atoms, AtomKind::Lt(a, b), span)
            }
            H::Branch(c, x, y) => {
                let c = self.lower(c, atoms);
                let x = self.region(x);
                let y = self.region(y);
                self.atom(atoms, AtomKind::Branch(c, Box::new(x), Box::new(y)), span)
            }
            H::Call(f, args) => {
                let args = args.iter().map(|a| self.lower(a, atoms)).collect();
                self.atom(atoms, AtomKind::Call(*f, args), span)
            }
            H::Eval(g, args) => {
                let g = self.lower(g, atoms);
                let args = args.iter().map(|a| self.lower(a, atoms)).collect();
                self.atom(atoms, AtomKind::Eval(g, args), span)
            }
            // A PROG value is its repr: `repr` is the identity.
            H::Repr(g) => self.lower(g, atoms),
            H::Reflect(x) => {
                let x = self.lower(x, atoms);
                self.atom(atoms, AtomKind::Reflect(x), span)
            }
            H::Let(slot, v, body) => {
                let v = self.lower(v, atoms);
                let uses = self.uses.get(slot).copied().unwrap_or(0);
                if uses > 0 {
                    self.lets.insert(*slot, (v, uses));
                }
                let r = self.lower(body, atoms);
                self.lets.remove(slot);
                r
            }
            H::Hash(base, ops, body) => {
                let ops: Vec<Value> = ops.iter().map(|o| self.lower(o, atoms)).collect();
                let ops: [Value; 9] = ops.try_into().expect("nine operands");
                let first = self.atom_vars(atoms, AtomKind::Hash(Box::new(ops)), 4, span);
                let var = atoms.last().map_or(0, |a| a.var) as u32;
                for j in 0..4u32 {
                    let slot = base + j;
                    let uses = self.uses.get(&slot).copied().unwrap_or(0);
                    if uses > 0 {
                        let value = if j == 0 {
                            first.clone()
                        } else {
                            let written = self.w(WNode::Var(var + j));
                            Value {
                                poly: SparsePoly::var(var + j),
                                written,
                            }
                        };
                        self.lets.insert(slot, (value, uses));
                    }
                }
                let r = self.lower(body, atoms);
                for j in 0..4 {
                    self.lets.remove(&(base + j));
                }
                r
            }
        }
    }

    fn region(&mut self, e: &hir::Expr) -> Region {
        let mut atoms = Vec::new();
        let outer = (
            std::mem::replace(&mut self.tail_expr, tail_expr(e)),
            self.tail_var.take(),
        );
        let mut result = self.lower(e, &mut atoms);
        let tail = std::mem::replace(&mut self.tail_var, outer.1);
        self.tail_expr = outer.0;
        if !self.charge(result.poly.num_terms(), e.span) {
            result.poly = SparsePoly::zero();
        }
        Region {
            atoms,
            result,
            span: e.span,
            tail,
        }
    }
}

/// Prints the canonical form of the functions reachable from `main`. When `main` is a
/// single polynomial of its parameters, that polynomial alone is printed, exactly as FLINT's
/// `fmpz_mod_mpoly` prints it (ordering `deglex`, parameter names as generators).
pub fn print_module(m: &CanonModule, poly: &dyn Fn(&SparsePoly, &[&str]) -> String) -> String {
    let main = &m.functions[m.main as usize];
    if main.is_pure() {
        let names = main.var_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        return format!("{}\n", poly(&main.body.result.poly, &names));
    }
    let mut out = String::new();
    for f in reachable(m) {
        let f = &m.functions[f as usize];
        let names = f.var_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let _ = writeln!(out, "fn {}({}):", f.name, f.params.join(", "));
        print_region(&mut out, m, &f.body, &names, 1, poly);
    }
    out
}

/// Functions reachable from `main` through calls and function values, `main` first.
pub fn reachable(m: &CanonModule) -> Vec<FnId> {
    let mut seen = vec![false; m.functions.len()];
    let mut order = vec![m.main];
    seen[m.main as usize] = true;
    let mut i = 0;
    while i < order.len() {
        let mut found = Vec::new();
        visit_region(&m.functions[order[i] as usize].body, &mut |k| {
            if let AtomKind::Call(f, _) | AtomKind::Func(f) = k {
                found.push(*f);
            }
        });
        for f in found {
            if !std::mem::replace(&mut seen[f as usize], true) {
                order.push(f);
            }
        }
        i += 1;
    }
    order
}

fn visit_region(r: &Region, f: &mut dyn FnMut(&AtomKind)) {
    // Branch nesting is bounded by the tree depth (`resvm_lang::MAX_EXPR_DEPTH`).
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit_region_inner(r, f))
}

fn visit_region_inner(r: &Region, f: &mut dyn FnMut(&AtomKind)) {
    for a in &r.atoms {
        f(&a.kind);
        if let AtomKind::Branch(_, x, y) = &a.kind {
            visit_region(x, f);
            visit_region(y, f);
        }
    }
}

fn print_region(
    out: &mut String,
    m: &CanonModule,
    r: &Region,
    names: &[&str],
    depth: usize,
    poly: &dyn Fn(&SparsePoly, &[&str]) -> String,
) {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
        print_region_inner(out, m, r, names, depth, poly)
    })
}

fn print_region_inner(
    out: &mut String,
    m: &CanonModule,
    r: &Region,
    names: &[&str],
    depth: usize,
    poly: &dyn Fn(&SparsePoly, &[&str]) -> String,
) {
    let pad = "  ".repeat(depth);
    let p = |x: &Value| poly(&x.poly, names);
    let list = |xs: &[Value]| {
        xs.iter()
            .map(|x| poly(&x.poly, names))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for a in &r.atoms {
        let lhs = names[a.var];
        match &a.kind {
            AtomKind::Lt(x, y) => {
                let _ = writeln!(out, "{pad}{lhs} = lt({}, {})", p(x), p(y));
            }
            AtomKind::Call(f, args) => {
                let _ = writeln!(
                    out,
                    "{pad}{lhs} = {}({})",
                    m.functions[*f as usize].name,
                    list(args)
                );
            }
            AtomKind::Eval(g, args) => {
                let sep = if args.is_empty() { "" } else { ", " };
                let _ = writeln!(out, "{pad}{lhs} = eval({}{sep}{})", p(g), list(args));
            }
            AtomKind::Reflect(x) => {
                let _ = writeln!(out, "{pad}{lhs} = reflect({})", p(x));
            }
            AtomKind::Func(f) => {
                let _ = writeln!(out, "{pad}{lhs} = {}", m.functions[*f as usize].name);
            }
            AtomKind::Mul(x, y) => {
                let _ = writeln!(out, "{pad}{lhs} = mul({}, {})", p(x), p(y));
            }
            AtomKind::Pow(x, k) => {
                let _ = writeln!(out, "{pad}{lhs} = pow({}, {k})", p(x));
            }
            AtomKind::Hash(ops) => {
                let _ = writeln!(
                    out,
                    "{pad}({lhs}, {}, {}, {}) = merkle({}; {}; {})",
                    names[a.var + 1],
                    names[a.var + 2],
                    names[a.var + 3],
                    list(&ops[..4]),
                    list(&ops[4..8]),
                    p(&ops[8])
                );
            }
            AtomKind::Branch(c, x, y) => {
                let _ = writeln!(out, "{pad}{lhs} = branch({})", p(c));
                let _ = writeln!(out, "{pad}  0 =>");
                print_region(out, m, x, names, depth + 2, poly);
                let _ = writeln!(out, "{pad}  1 =>");
                print_region(out, m, y, names, depth + 2, poly);
            }
        }
    }
    let _ = writeln!(out, "{pad}{}", p(&r.result));
}
