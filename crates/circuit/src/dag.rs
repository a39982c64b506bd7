//! Stage 3: the circuit DAG.
//!
//! A function becomes a [`Block`] of nodes in evaluation order; a `branch` node owns one
//! block per arm. Pure nodes are hash-consed within a block (and an arm sees the values
//! computed before its branch), so shared subterms appear once. Each polynomial is built
//! both by multivariate Horner evaluation of the expanded form and as a product of powers of
//! its factors; the form with fewer arithmetic nodes wins (ties go to the expanded form), so
//! factoring never makes the code slower.

use crate::canon::{AtomKind, CanonFn, CanonModule, Region};
use crate::factor::Factorer;
use p3_field::PrimeCharacteristicRing;
use resvm_field::{canonical, F};
use resvm_lang::hir::FnId;
use resvm_poly::Poly;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// A value produced by a node (unique within a function).
pub type ValueId = u32;

/// The circuit of a whole module.
#[derive(Clone, Debug)]
pub struct Circuit {
    /// One per function, in the HIR's order.
    pub functions: Vec<CircuitFn>,
    /// Index of `main`.
    pub main: FnId,
    /// Arithmetic node counts for the expanded and the chosen forms, summed over the module.
    pub stats: DagStats,
}

/// Arithmetic cost of the circuit under both constructions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DagStats {
    /// `(mul, add)` node counts had every polynomial been built from its expanded form.
    pub expanded: (usize, usize),
    /// `(mul, add)` node counts of the forms chosen.
    pub chosen: (usize, usize),
    /// Polynomials built from their factored form.
    pub factored_polys: usize,
}

/// One function's circuit.
#[derive(Clone, Debug)]
pub struct CircuitFn {
    /// Source name.
    pub name: String,
    /// Parameter names.
    pub params: Vec<String>,
    /// Number of values (ids are `0..num_values`).
    pub num_values: u32,
    /// The body.
    pub body: Block,
}

/// Nodes in evaluation order and the block's result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Block {
    /// `(value, node)` pairs in evaluation order.
    pub nodes: Vec<(ValueId, Node)>,
    /// The value the block produces.
    pub result: ValueId,
}

/// A circuit node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// Parameter `i`.
    Param(u32),
    /// A constant.
    Const(F),
    /// `a + b`
    Add(ValueId, ValueId),
    /// `a - b`
    Sub(ValueId, ValueId),
    /// `a * b`
    Mul(ValueId, ValueId),
    /// `-a`
    Neg(ValueId),
    /// `lt(a, b)`
    Lt(ValueId, ValueId),
    /// The repr of a function used as a value.
    Func(FnId),
    /// A direct call (may trap or diverge).
    Call(FnId, Vec<ValueId>),
    /// `eval(g, args)` (may trap or diverge).
    Eval(ValueId, Vec<ValueId>),
    /// `reflect(x)` (may trap).
    Reflect(ValueId),
    /// `branch(c, x, y)`: evaluates exactly one arm.
    Branch(ValueId, Block, Block),
}

impl Node {
    /// Whether the node can trap or diverge (so it keeps its place in evaluation order and
    /// is never merged with an equal-looking node).
    pub fn is_effectful(&self) -> bool {
        matches!(
            self,
            Node::Call(..) | Node::Eval(..) | Node::Reflect(_) | Node::Branch(..)
        )
    }

    /// Values this node reads directly (not those of its arms).
    pub fn operands(&self) -> Vec<ValueId> {
        match self {
            Node::Param(_) | Node::Const(_) | Node::Func(_) => vec![],
            Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) | Node::Lt(a, b) => vec![*a, *b],
            Node::Neg(a) | Node::Reflect(a) | Node::Branch(a, ..) => vec![*a],
            Node::Call(_, args) => args.clone(),
            Node::Eval(g, args) => std::iter::once(*g).chain(args.iter().copied()).collect(),
        }
    }
}

/// Builds the circuit of a canonical module, factoring with `factorer`.
pub fn build_dag(m: &CanonModule, factorer: &Factorer) -> Circuit {
    let mut stats = DagStats::default();
    let functions = m
        .functions
        .iter()
        .map(|f| build_fn(f, factorer, &mut stats))
        .collect();
    Circuit {
        functions,
        main: m.main,
        stats,
    }
}

fn build_fn(f: &CanonFn, factorer: &Factorer, stats: &mut DagStats) -> CircuitFn {
    let mut b = FnBuilder {
        next: 0,
        var_val: vec![None; f.nvars],
        factorer,
        stats,
    };
    let mut bb = BlockBuilder::default();
    let result = b.region(&mut bb, &f.body);
    CircuitFn {
        name: f.name.clone(),
        params: f.params.clone(),
        num_values: b.next,
        body: Block {
            nodes: bb.nodes,
            result,
        },
    }
}

/// Hash-consing key of a pure node.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Param(u32),
    Const(u64),
    Add(ValueId, ValueId),
    Sub(ValueId, ValueId),
    Mul(ValueId, ValueId),
    Neg(ValueId),
    Lt(ValueId, ValueId),
    Func(FnId),
}

#[derive(Clone, Default)]
struct BlockBuilder {
    nodes: Vec<(ValueId, Node)>,
    memo: HashMap<Key, ValueId>,
    consts: HashMap<ValueId, F>,
    muls: usize,
    adds: usize,
}

struct FnBuilder<'a> {
    next: ValueId,
    /// Variable (parameter or atom) -> value.
    var_val: Vec<Option<ValueId>>,
    factorer: &'a Factorer,
    stats: &'a mut DagStats,
}

impl FnBuilder<'_> {
    fn fresh(&mut self) -> ValueId {
        let v = self.next;
        self.next += 1;
        v
    }

    fn pure(&mut self, bb: &mut BlockBuilder, key: Key, node: Node) -> ValueId {
        if let Some(&v) = bb.memo.get(&key) {
            return v;
        }
        match node {
            Node::Mul(..) => bb.muls += 1,
            Node::Add(..) | Node::Sub(..) | Node::Neg(_) => bb.adds += 1,
            _ => {}
        }
        let v = self.fresh();
        if let Node::Const(c) = node {
            bb.consts.insert(v, c);
        }
        bb.nodes.push((v, node));
        bb.memo.insert(key, v);
        v
    }

    fn effect(&mut self, bb: &mut BlockBuilder, node: Node) -> ValueId {
        let v = self.fresh();
        bb.nodes.push((v, node));
        v
    }

    fn konst(&mut self, bb: &mut BlockBuilder, c: F) -> ValueId {
        self.pure(bb, Key::Const(canonical(c)), Node::Const(c))
    }

    fn var(&mut self, bb: &mut BlockBuilder, i: usize) -> ValueId {
        if let Some(v) = self.var_val.get(i).copied().flatten() {
            return v;
        }
        // Parameters have no defining atom: they are read where needed.
        self.pure(bb, Key::Param(i as u32), Node::Param(i as u32))
    }

    fn add(&mut self, bb: &mut BlockBuilder, a: ValueId, b: ValueId) -> ValueId {
        match (bb.consts.get(&a).copied(), bb.consts.get(&b).copied()) {
            (Some(x), Some(y)) => self.konst(bb, x + y),
            (Some(x), _) if x == F::ZERO => b,
            (_, Some(y)) if y == F::ZERO => a,
            _ => {
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                self.pure(bb, Key::Add(a, b), Node::Add(a, b))
            }
        }
    }

    fn sub(&mut self, bb: &mut BlockBuilder, a: ValueId, b: ValueId) -> ValueId {
        self.pure(bb, Key::Sub(a, b), Node::Sub(a, b))
    }

    fn mul(&mut self, bb: &mut BlockBuilder, a: ValueId, b: ValueId) -> ValueId {
        match (bb.consts.get(&a).copied(), bb.consts.get(&b).copied()) {
            (Some(x), Some(y)) => self.konst(bb, x * y),
            (Some(x), _) if x == F::ONE => b,
            (_, Some(y)) if y == F::ONE => a,
            (Some(x), _) if x == F::ZERO => a,
            (_, Some(y)) if y == F::ZERO => b,
            (Some(x), _) if x == F::NEG_ONE => self.pure(bb, Key::Neg(b), Node::Neg(b)),
            (_, Some(y)) if y == F::NEG_ONE => self.pure(bb, Key::Neg(a), Node::Neg(a)),
            _ => {
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                self.pure(bb, Key::Mul(a, b), Node::Mul(a, b))
            }
        }
    }

    /// `x^k` by square-and-multiply; squares are shared through hash-consing.
    fn pow(&mut self, bb: &mut BlockBuilder, x: ValueId, k: u64) -> ValueId {
        if k == 0 {
            return self.konst(bb, F::ONE);
        }
        let mut result: Option<ValueId> = None;
        let mut base = x;
        let mut e = k;
        loop {
            if e & 1 == 1 {
                result = Some(match result {
                    None => base,
                    Some(r) => self.mul(bb, r, base),
                });
            }
            e >>= 1;
            if e == 0 {
                break;
            }
            base = self.mul(bb, base, base);
        }
        result.unwrap_or(x)
    }

    /// Multivariate Horner evaluation of the expanded polynomial, first variable outermost.
    fn horner(&mut self, bb: &mut BlockBuilder, p: &Poly) -> ValueId {
        if let Some(c) = p.as_constant() {
            return self.konst(bb, c);
        }
        let n = p.nvars();
        let Some(v) = (0..n).find(|&i| p.degree_in(i) > 0) else {
            return self.konst(bb, F::ZERO);
        };
        // Coefficients of each power of v (descending).
        let mut by_deg: BTreeMap<u32, Vec<(Vec<u32>, F)>> = BTreeMap::new();
        for (m, c) in p.terms() {
            let mut rest = m.to_vec();
            let d = std::mem::replace(&mut rest[v], 0);
            by_deg.entry(d).or_default().push((rest, c));
        }
        let x = self.var(bb, v);
        let mut acc: Option<ValueId> = None;
        let mut prev = 0u32;
        for (&d, terms) in by_deg.iter().rev() {
            let coeff = Poly::from_terms(n, terms.clone());
            if let Some(a) = acc {
                let stepped = {
                    let xp = self.pow(bb, x, (prev - d) as u64);
                    self.mul(bb, a, xp)
                };
                acc = Some(self.add_poly(bb, stepped, &coeff));
            } else {
                acc = Some(self.horner(bb, &coeff));
            }
            prev = d;
        }
        let acc = acc.unwrap_or_else(|| self.konst(bb, F::ZERO));
        if prev > 0 {
            let xp = self.pow(bb, x, prev as u64);
            self.mul(bb, acc, xp)
        } else {
            acc
        }
    }

    /// `acc + coeff`, using a subtraction when `coeff` is a negated polynomial with a
    /// leading coefficient of -1 (saves the negation).
    fn add_poly(&mut self, bb: &mut BlockBuilder, acc: ValueId, coeff: &Poly) -> ValueId {
        if coeff.leading_coeff() == F::NEG_ONE {
            let c = self.horner(bb, &(-coeff.clone()));
            return self.sub(bb, acc, c);
        }
        let c = self.horner(bb, coeff);
        self.add(bb, acc, c)
    }

    fn factored(&mut self, bb: &mut BlockBuilder, p: &Poly) -> Option<ValueId> {
        let f = self.factorer.factor(p).ok()?;
        let mut acc = self.konst(bb, f.unit);
        for (q, e) in &f.factors {
            let base = self.horner(bb, q);
            let pw = self.pow(bb, base, *e as u64);
            acc = self.mul(bb, acc, pw);
        }
        Some(acc)
    }

    /// Builds `p`, choosing the cheaper of the expanded and factored forms.
    fn poly(&mut self, bb: &mut BlockBuilder, p: &Poly) -> ValueId {
        let before = (bb.muls, bb.adds);
        // A polynomial of degree < 2 or with a single term is its own cheapest form: try
        // factoring (and pay for cloning the block) only where it can win.
        let may_factor = p.num_terms() >= 2 && p.total_degree().is_some_and(|d| d >= 2);
        if !may_factor {
            let v = self.horner(bb, p);
            let cost = (bb.muls - before.0, bb.adds - before.1);
            self.record(cost, cost, false);
            return v;
        }
        let mut expanded = bb.clone();
        let ve = self.horner(&mut expanded, p);
        let cost_e = (expanded.muls - before.0, expanded.adds - before.1);
        let mut factored = bb.clone();
        if let Some(vf) = self.factored(&mut factored, p) {
            let cost_f = (factored.muls - before.0, factored.adds - before.1);
            if cost_f.0 + cost_f.1 < cost_e.0 + cost_e.1 {
                self.record(cost_e, cost_f, true);
                *bb = factored;
                return vf;
            }
        }
        // Value ids of the discarded attempt are simply never used.
        self.record(cost_e, cost_e, false);
        *bb = expanded;
        ve
    }

    /// Adds one polynomial's `(mul, add)` costs to the module statistics.
    fn record(&mut self, expanded: (usize, usize), chosen: (usize, usize), factored: bool) {
        self.stats.expanded.0 += expanded.0;
        self.stats.expanded.1 += expanded.1;
        self.stats.chosen.0 += chosen.0;
        self.stats.chosen.1 += chosen.1;
        self.stats.factored_polys += usize::from(factored);
    }

    fn region(&mut self, bb: &mut BlockBuilder, r: &Region) -> ValueId {
        for a in &r.atoms {
            let v = match &a.kind {
                AtomKind::Lt(x, y) => {
                    let x = self.poly(bb, x);
                    let y = self.poly(bb, y);
                    self.pure(bb, Key::Lt(x, y), Node::Lt(x, y))
                }
                AtomKind::Func(f) => self.pure(bb, Key::Func(*f), Node::Func(*f)),
                AtomKind::Mul(x, y) => {
                    let x = self.poly(bb, x);
                    let y = self.poly(bb, y);
                    self.mul(bb, x, y)
                }
                AtomKind::Pow(x, k) => {
                    let x = self.poly(bb, x);
                    self.pow(bb, x, *k)
                }
                AtomKind::Call(f, args) => {
                    let args = args.iter().map(|x| self.poly(bb, x)).collect();
                    self.effect(bb, Node::Call(*f, args))
                }
                AtomKind::Eval(g, args) => {
                    let g = self.poly(bb, g);
                    let args = args.iter().map(|x| self.poly(bb, x)).collect();
                    self.effect(bb, Node::Eval(g, args))
                }
                AtomKind::Reflect(x) => {
                    let x = self.poly(bb, x);
                    self.effect(bb, Node::Reflect(x))
                }
                AtomKind::Branch(c, x, y) => {
                    let c = self.poly(bb, c);
                    let mut bx = child(bb);
                    let rx = self.region(&mut bx, x);
                    let mut by = child(bb);
                    let ry = self.region(&mut by, y);
                    bb.muls += bx.muls + by.muls - 2 * bb.muls;
                    bb.adds += bx.adds + by.adds - 2 * bb.adds;
                    self.effect(
                        bb,
                        Node::Branch(
                            c,
                            Block {
                                nodes: bx.nodes,
                                result: rx,
                            },
                            Block {
                                nodes: by.nodes,
                                result: ry,
                            },
                        ),
                    )
                }
            };
            if let Some(slot) = self.var_val.get_mut(a.var) {
                *slot = Some(v);
            }
        }
        self.poly(bb, &r.result)
    }
}

/// An arm's builder: it sees (and may reuse) everything computed before the branch.
fn child(parent: &BlockBuilder) -> BlockBuilder {
    BlockBuilder {
        nodes: Vec::new(),
        memo: parent.memo.clone(),
        consts: parent.consts.clone(),
        muls: parent.muls,
        adds: parent.adds,
    }
}

impl Circuit {
    /// Prints the DAG, one node per line, arms indented under their branch.
    pub fn print(&self) -> String {
        let mut out = String::new();
        for f in &self.functions {
            let _ = writeln!(out, "fn {}({}):", f.name, f.params.join(", "));
            print_block(&mut out, self, f, &f.body, 1);
        }
        out
    }
}

fn print_block(out: &mut String, c: &Circuit, f: &CircuitFn, b: &Block, depth: usize) {
    let pad = "  ".repeat(depth);
    let list = |xs: &[ValueId]| {
        xs.iter()
            .map(|x| format!("v{x}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (v, n) in &b.nodes {
        let rhs = match n {
            Node::Param(i) => format!(
                "param {}",
                f.params.get(*i as usize).map_or("?", |s| s.as_str())
            ),
            Node::Const(k) => format!("const {}", canonical(*k)),
            Node::Add(a, b) => format!("add v{a}, v{b}"),
            Node::Sub(a, b) => format!("sub v{a}, v{b}"),
            Node::Mul(a, b) => format!("mul v{a}, v{b}"),
            Node::Neg(a) => format!("neg v{a}"),
            Node::Lt(a, b) => format!("lt v{a}, v{b}"),
            Node::Func(g) => format!("func {}", c.functions[*g as usize].name),
            Node::Call(g, args) => {
                format!("call {}({})", c.functions[*g as usize].name, list(args))
            }
            Node::Eval(g, args) => format!("eval v{g}({})", list(args)),
            Node::Reflect(a) => format!("reflect v{a}"),
            Node::Branch(cond, x, y) => {
                let _ = writeln!(out, "{pad}v{v} = branch v{cond}");
                let _ = writeln!(out, "{pad}  0 =>");
                print_block(out, c, f, x, depth + 2);
                let _ = writeln!(out, "{pad}  1 =>");
                print_block(out, c, f, y, depth + 2);
                continue;
            }
        };
        let _ = writeln!(out, "{pad}v{v} = {rhs}");
    }
    let _ = writeln!(out, "{pad}=> v{}", b.result);
}
