//! Stage 1: canonical polynomial regions.

use resvm_lang::ast::BinOp;
use resvm_lang::hir::{self, ExprKind as H, FnId, Slot};
use resvm_poly::Poly;
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

/// A function in canonical form.
#[derive(Clone, Debug)]
pub struct CanonFn {
    /// Source name.
    pub name: String,
    /// Parameter names (variables `0..arity`).
    pub params: Vec<String>,
    /// Number of variables every polynomial of this function is over: parameters, then atoms.
    pub nvars: usize,
    /// The body.
    pub body: Region,
}

/// A branch-free, call-free region: atoms computed in order, then one polynomial.
#[derive(Clone, Debug)]
pub struct Region {
    /// Non-polynomial values this region needs, in evaluation order.
    pub atoms: Vec<Atom>,
    /// The region's value, a polynomial over parameters and visible atoms.
    pub result: Poly,
}

/// A non-polynomial value bound to a fresh variable.
#[derive(Clone, Debug)]
pub struct Atom {
    /// The variable it defines.
    pub var: usize,
    /// How it is computed.
    pub kind: AtomKind,
}

/// How an atom is computed. Operands are polynomials of the enclosing region.
#[derive(Clone, Debug)]
pub enum AtomKind {
    /// `lt(a, b)`
    Lt(Poly, Poly),
    /// A direct call.
    Call(FnId, Vec<Poly>),
    /// `eval(g, args)`
    Eval(Poly, Vec<Poly>),
    /// `reflect(x)`
    Reflect(Poly),
    /// A function used as a value (its repr).
    Func(FnId),
    /// `branch(c, x, y)`; each arm is its own region, evaluated only when chosen.
    Branch(Poly, Box<Region>, Box<Region>),
    /// A product too large to expand.
    Mul(Poly, Poly),
    /// A power too large to expand.
    Pow(Poly, u64),
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

/// Lowers every function of a checked module to canonical regions.
pub fn canonicalize(module: &hir::Module) -> CanonModule {
    let functions = module.functions.iter().map(canon_fn).collect();
    CanonModule {
        functions,
        main: module.main,
    }
}

fn canon_fn(f: &hir::Function) -> CanonFn {
    let arity = f.params.len();
    let (definite, possible) = count_atoms(&f.body);
    // Every polynomial is over `nvars` variables, so size it tightly: the atoms that always
    // exist plus a small reserve for products and powers too large to expand (rare); if the
    // reserve runs out, lower again with a larger one.
    let mut reserve = possible.min(16);
    loop {
        let nvars = arity + definite + reserve;
        let mut cx = Lower {
            nvars,
            next_var: arity,
            lets: HashMap::new(),
            overflow: false,
        };
        let mut body = Region {
            atoms: Vec::new(),
            result: Poly::zero(nvars),
        };
        body.result = cx.lower(&f.body, &mut body.atoms);
        if cx.overflow && reserve < possible {
            reserve = (reserve * 4).max(16).min(possible);
            continue;
        }
        // Trim to the variables actually created so printing and later stages stay small.
        let used = cx.next_var;
        let body = if used < nvars {
            shrink_region(&body, used)
        } else {
            body
        };
        return CanonFn {
            name: f.name.clone(),
            params: f.params.iter().map(|p| p.name.clone()).collect(),
            nvars: used,
            body,
        };
    }
}

/// `(atoms every lowering creates, products/powers that may become atoms)` of a body.
fn count_atoms(e: &hir::Expr) -> (usize, usize) {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || {
        let own = match &e.kind {
            H::Lt(..) | H::Branch(..) | H::Call(..) | H::Eval(..) | H::Reflect(_) | H::Func(_) => {
                (1, 0)
            }
            H::Pow(..) | H::Bin(BinOp::Mul, ..) => (0, 1),
            _ => (0, 0),
        };
        children(e)
            .into_iter()
            .map(count_atoms)
            .fold(own, |a, b| (a.0 + b.0, a.1 + b.1))
    })
}

fn children(e: &hir::Expr) -> Vec<&hir::Expr> {
    match &e.kind {
        H::Const(_) | H::Slot(_) | H::Func(_) => vec![],
        H::Neg(a) | H::Pow(a, _) | H::Repr(a) | H::Reflect(a) => vec![a],
        H::Bin(_, a, b) | H::Lt(a, b) | H::Let(_, a, b) => vec![a, b],
        H::Branch(c, x, y) => vec![c, x, y],
        H::Call(_, args) => args.iter().collect(),
        H::Eval(g, args) => std::iter::once(&**g).chain(args.iter()).collect(),
    }
}

struct Lower {
    nvars: usize,
    next_var: usize,
    lets: HashMap<Slot, Poly>,
    /// Set when an atom was needed but every variable was taken (the caller retries).
    overflow: bool,
}

impl Lower {
    fn atom(&mut self, atoms: &mut Vec<Atom>, kind: AtomKind) -> Poly {
        if self.next_var >= self.nvars {
            self.overflow = true;
            return Poly::zero(self.nvars);
        }
        let var = self.next_var;
        self.next_var += 1;
        atoms.push(Atom { var, kind });
        Poly::var(self.nvars, var)
    }

    fn lower(&mut self, e: &hir::Expr, atoms: &mut Vec<Atom>) -> Poly {
        // Long operator chains make deep trees: grow the stack instead of overflowing it.
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.lower_inner(e, atoms))
    }

    fn lower_inner(&mut self, e: &hir::Expr, atoms: &mut Vec<Atom>) -> Poly {
        let n = self.nvars;
        match &e.kind {
            H::Const(c) => Poly::constant(n, *c),
            H::Slot(s) => match self.lets.get(s) {
                Some(p) => p.clone(),
                None => Poly::var(n, *s as usize),
            },
            H::Func(f) => self.atom(atoms, AtomKind::Func(*f)),
            H::Neg(a) => -self.lower(a, atoms),
            H::Bin(op, a, b) => {
                let a = self.lower(a, atoms);
                let b = self.lower(b, atoms);
                match op {
                    BinOp::Add => &a + &b,
                    BinOp::Sub => &a - &b,
                    BinOp::Mul => {
                        let fits =
                            a.num_terms().saturating_mul(b.num_terms()) <= MAX_EXPANDED_TERMS;
                        match fits.then(|| a.checked_mul(&b)).flatten() {
                            Some(p) => p,
                            None => self.atom(atoms, AtomKind::Mul(a, b)),
                        }
                    }
                }
            }
            H::Pow(a, k) => {
                let a = self.lower(a, atoms);
                match a.checked_pow(*k, MAX_EXPANDED_TERMS) {
                    Some(p) => p,
                    None => self.atom(atoms, AtomKind::Pow(a, *k)),
                }
            }
            H::Lt(a, b) => {
                let a = self.lower(a, atoms);
                let b = self.lower(b, atoms);
                self.atom(atoms, AtomKind::Lt(a, b))
            }
            H::Branch(c, x, y) => {
                let c = self.lower(c, atoms);
                let x = self.region(x);
                let y = self.region(y);
                self.atom(atoms, AtomKind::Branch(c, Box::new(x), Box::new(y)))
            }
            H::Call(f, args) => {
                let args = args.iter().map(|a| self.lower(a, atoms)).collect();
                self.atom(atoms, AtomKind::Call(*f, args))
            }
            H::Eval(g, args) => {
                let g = self.lower(g, atoms);
                let args = args.iter().map(|a| self.lower(a, atoms)).collect();
                self.atom(atoms, AtomKind::Eval(g, args))
            }
            // A PROG value is its repr: `repr` is the identity.
            H::Repr(g) => self.lower(g, atoms),
            H::Reflect(x) => {
                let x = self.lower(x, atoms);
                self.atom(atoms, AtomKind::Reflect(x))
            }
            H::Let(slot, v, body) => {
                let v = self.lower(v, atoms);
                let prev = self.lets.insert(*slot, v);
                let r = self.lower(body, atoms);
                match prev {
                    Some(p) => self.lets.insert(*slot, p),
                    None => self.lets.remove(slot),
                };
                r
            }
        }
    }

    fn region(&mut self, e: &hir::Expr) -> Region {
        let mut atoms = Vec::new();
        let result = self.lower(e, &mut atoms);
        Region { atoms, result }
    }
}

fn shrink(p: &Poly, nvars: usize) -> Poly {
    Poly::from_terms(
        nvars,
        p.terms().map(|(m, c)| (m[..nvars].to_vec(), c)).collect(),
    )
}

fn shrink_region(r: &Region, n: usize) -> Region {
    let atoms = r
        .atoms
        .iter()
        .map(|a| Atom {
            var: a.var,
            kind: match &a.kind {
                AtomKind::Lt(x, y) => AtomKind::Lt(shrink(x, n), shrink(y, n)),
                AtomKind::Call(f, args) => {
                    AtomKind::Call(*f, args.iter().map(|x| shrink(x, n)).collect())
                }
                AtomKind::Eval(g, args) => {
                    AtomKind::Eval(shrink(g, n), args.iter().map(|x| shrink(x, n)).collect())
                }
                AtomKind::Reflect(x) => AtomKind::Reflect(shrink(x, n)),
                AtomKind::Func(f) => AtomKind::Func(*f),
                AtomKind::Branch(c, x, y) => AtomKind::Branch(
                    shrink(c, n),
                    Box::new(shrink_region(x, n)),
                    Box::new(shrink_region(y, n)),
                ),
                AtomKind::Mul(x, y) => AtomKind::Mul(shrink(x, n), shrink(y, n)),
                AtomKind::Pow(x, k) => AtomKind::Pow(shrink(x, n), *k),
            },
        })
        .collect();
    Region {
        atoms,
        result: shrink(&r.result, n),
    }
}

/// Prints the canonical form of the functions reachable from `main`. When `main` is a
/// single polynomial of its parameters, that polynomial alone is printed, exactly as FLINT's
/// `fmpz_mod_mpoly` prints it (ordering `deglex`, parameter names as generators).
pub fn print_module(m: &CanonModule, poly: &dyn Fn(&Poly, &[&str]) -> String) -> String {
    let main = &m.functions[m.main as usize];
    if main.is_pure() {
        let names = main.var_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        return format!("{}\n", poly(&main.body.result, &names));
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
    poly: &dyn Fn(&Poly, &[&str]) -> String,
) {
    let pad = "  ".repeat(depth);
    let p = |x: &Poly| poly(x, names);
    let list = |xs: &[Poly]| {
        xs.iter()
            .map(|x| poly(x, names))
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
