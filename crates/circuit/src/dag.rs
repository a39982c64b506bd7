//! Stage 3: the circuit DAG.
//!
//! A function becomes a [`Block`] of nodes in evaluation order; a `branch` node owns one
//! block per arm. Pure nodes are hash-consed within a block (and an arm sees the values
//! computed before its branch), so shared subterms appear once. Each polynomial is built in
//! up to three ways: by multivariate Horner evaluation of its expanded form, as a product of
//! powers of its factors, and in its written form (the arithmetic as the source wrote it);
//! the form with the fewest arithmetic nodes wins (ties go to the expanded form, then the
//! factored one). So neither factoring nor canonicalization ever makes the circuit cost more
//! than the program as written: `(x + 1)^1000` stays a handful of squarings.
//!
//! Every pass here is linear in the size of its input: trial constructions are rolled back
//! through an undo log instead of copying the block, and Horner evaluation works on slices
//! of one lexicographically sorted term list.

use crate::canon::{AtomKind, CanonFn, CanonModule, Region, Value, WNode, Wid};
use crate::factor::{Factorer, SparseFactorization};
use p3_field::PrimeCharacteristicRing;
use resvm_field::{canonical, F};
use resvm_lang::hir::FnId;
use resvm_lang::Span;
use resvm_poly::sparse::{cmp_deglex_sparse, cmp_lex, Mono};
use resvm_poly::SparsePoly;
use std::cmp::Ordering;
use std::collections::HashMap;
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
    /// Polynomials built from their written form (cheaper than expanding them).
    pub written_polys: usize,
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
    /// Span of the whole definition.
    pub span: Span,
    /// Source spans of the non-arithmetic nodes (calls, `eval`, `reflect`, `branch`, `lt`,
    /// function values and products/powers kept unexpanded): the expressions they compute.
    pub spans: HashMap<ValueId, Span>,
}

/// Nodes in evaluation order and the block's result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Block {
    /// `(value, node)` pairs in evaluation order.
    pub nodes: Vec<(ValueId, Node)>,
    /// The value the block produces.
    pub result: ValueId,
    /// The source expression of the block (a function body or a `branch` arm).
    pub span: Span,
    /// The call, `eval` or `branch` node in tail position of the block's source expression,
    /// if any ([`crate::canon::Region::tail`]): the only node that may be compiled as a tail
    /// call (or a branch whose arms return on their own).
    pub tail: Option<ValueId>,
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
    /// One Merkle level (`HASH`) over `[d0..d3, s0..s3, e]` (may trap: `e` not a bit). Its
    /// value is the whole digest, read only through [`Node::HashOut`]. Equal levels visible
    /// from each other are one node.
    Hash(Box<[ValueId; 9]>),
    /// Element `i` (0..=3) of a [`Node::Hash`] digest.
    HashOut(ValueId, u8),
}

impl Node {
    /// Whether the node can trap or diverge (so it keeps its place in evaluation order and
    /// is never merged with an equal-looking node).
    pub fn is_effectful(&self) -> bool {
        matches!(
            self,
            Node::Call(..) | Node::Eval(..) | Node::Reflect(_) | Node::Branch(..) | Node::Hash(_)
        )
    }

    /// Values this node reads directly (not those of its arms).
    pub fn operands(&self) -> Vec<ValueId> {
        match self {
            Node::Param(_) | Node::Const(_) | Node::Func(_) => vec![],
            Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) | Node::Lt(a, b) => vec![*a, *b],
            Node::Neg(a) | Node::Reflect(a) | Node::Branch(a, ..) | Node::HashOut(a, _) => {
                vec![*a]
            }
            Node::Hash(ops) => ops.to_vec(),
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
        written: &f.written,
        memo: HashMap::new(),
        consts: HashMap::new(),
        wmemo: HashMap::new(),
        undo: Vec::new(),
        muls: 0,
        adds: 0,
        savings: (0, 0),
        factored_polys: 0,
        written_polys: 0,
        spans: HashMap::new(),
    };
    let mut bb = BlockBuilder::default();
    let (result, tail) = b.region(&mut bb, &f.body);
    let body = Block {
        nodes: bb.nodes,
        result,
        span: f.body.span,
        tail,
    };
    // The chosen form's cost is what the circuit contains; the expanded form's is that plus
    // what choosing saved.
    let (muls, adds) = count_arith(&body);
    stats.chosen.0 += muls;
    stats.chosen.1 += adds;
    stats.expanded.0 += (muls as i64 + b.savings.0).max(0) as usize;
    stats.expanded.1 += (adds as i64 + b.savings.1).max(0) as usize;
    stats.factored_polys += b.factored_polys;
    stats.written_polys += b.written_polys;
    CircuitFn {
        name: f.name.clone(),
        params: f.params.clone(),
        num_values: b.next,
        body,
        span: f.span,
        spans: b.spans,
    }
}

/// `(mul, add)` nodes of a block and its arms (`sub` and `neg` count as additions).
fn count_arith(b: &Block) -> (usize, usize) {
    let (mut m, mut a) = (0, 0);
    let mut todo = vec![b];
    while let Some(b) = todo.pop() {
        for (_, n) in &b.nodes {
            match n {
                Node::Mul(..) => m += 1,
                Node::Add(..) | Node::Sub(..) | Node::Neg(_) => a += 1,
                Node::Branch(_, x, y) => {
                    todo.push(x);
                    todo.push(y);
                }
                _ => {}
            }
        }
    }
    (m, a)
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
    Hash([ValueId; 9]),
    HashOut(ValueId, u8),
}

/// One block's nodes under construction. The hash-consing tables live in the
/// [`FnBuilder`] (scoped by its undo log), so entering an arm copies nothing.
#[derive(Default)]
struct BlockBuilder {
    nodes: Vec<(ValueId, Node)>,
}

/// An entry of the undo log: a table insertion to take back.
enum Undo {
    Memo(Key),
    Const(ValueId),
    Written(Wid),
}

/// A point to roll a trial construction back to.
#[derive(Clone, Copy)]
struct Mark {
    undo: usize,
    nodes: usize,
    next: ValueId,
    muls: usize,
    adds: usize,
}

/// The ways to build a polynomial.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Expanded,
    Factored,
    Written,
}

/// A term of a polynomial being evaluated: its monomial and coefficient.
type TermRef<'p> = (&'p Mono, F);

struct FnBuilder<'a> {
    next: ValueId,
    /// Variable (parameter or atom) -> value.
    var_val: Vec<Option<ValueId>>,
    factorer: &'a Factorer,
    /// The function's written-form arena.
    written: &'a [WNode],
    /// Hash-consing of pure nodes visible at the current point.
    memo: HashMap<Key, ValueId>,
    /// Values known to be constants.
    consts: HashMap<ValueId, F>,
    /// Written-form nodes already built (visible at the current point).
    wmemo: HashMap<Wid, ValueId>,
    undo: Vec<Undo>,
    /// Arithmetic nodes created so far (trial costs are differences of these).
    muls: usize,
    adds: usize,
    /// Sum over polynomials of (expanded cost - chosen cost), as (mul, add).
    savings: (i64, i64),
    factored_polys: usize,
    written_polys: usize,
    spans: HashMap<ValueId, Span>,
}

impl FnBuilder<'_> {
    fn fresh(&mut self) -> ValueId {
        let v = self.next;
        self.next += 1;
        v
    }

    fn mark(&self, bb: &BlockBuilder) -> Mark {
        Mark {
            undo: self.undo.len(),
            nodes: bb.nodes.len(),
            next: self.next,
            muls: self.muls,
            adds: self.adds,
        }
    }

    /// Takes back the table insertions made since `undo_len`.
    fn unwind(&mut self, undo_len: usize) {
        while self.undo.len() > undo_len {
            match self.undo.pop().expect("nonempty") {
                Undo::Memo(k) => {
                    self.memo.remove(&k);
                }
                Undo::Const(v) => {
                    self.consts.remove(&v);
                }
                Undo::Written(w) => {
                    self.wmemo.remove(&w);
                }
            }
        }
    }

    /// Discards everything built since `m`.
    fn rollback(&mut self, bb: &mut BlockBuilder, m: Mark) {
        self.unwind(m.undo);
        bb.nodes.truncate(m.nodes);
        self.next = m.next;
        self.muls = m.muls;
        self.adds = m.adds;
    }

    fn pure(&mut self, bb: &mut BlockBuilder, key: Key, node: Node) -> ValueId {
        if let Some(&v) = self.memo.get(&key) {
            return v;
        }
        match node {
            Node::Mul(..) => self.muls += 1,
            Node::Add(..) | Node::Sub(..) | Node::Neg(_) => self.adds += 1,
            _ => {}
        }
        let v = self.fresh();
        if let Node::Const(c) = node {
            self.consts.insert(v, c);
            self.undo.push(Undo::Const(v));
        }
        bb.nodes.push((v, node));
        self.memo.insert(key, v);
        self.undo.push(Undo::Memo(key));
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
        match (self.consts.get(&a).copied(), self.consts.get(&b).copied()) {
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

    fn neg(&mut self, bb: &mut BlockBuilder, a: ValueId) -> ValueId {
        match self.consts.get(&a).copied() {
            Some(x) => self.konst(bb, -x),
            None => self.pure(bb, Key::Neg(a), Node::Neg(a)),
        }
    }

    fn mul(&mut self, bb: &mut BlockBuilder, a: ValueId, b: ValueId) -> ValueId {
        match (self.consts.get(&a).copied(), self.consts.get(&b).copied()) {
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
        if let Some(c) = self.consts.get(&x).copied() {
            return self.konst(bb, c.exp_u64(k));
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

    /// Multivariate Horner evaluation of the expanded polynomial, first variable outermost:
    /// `p = (..((C_d1 x^(d1-d2) + C_d2) x^(d2-d3) + ..) x^dk) + C_0` with `x` the first
    /// variable that occurs, recursively in the coefficients `C_d`.
    fn horner(&mut self, bb: &mut BlockBuilder, p: &SparsePoly) -> ValueId {
        if let Some(c) = p.as_constant() {
            return self.konst(bb, c);
        }
        let mut ts: Vec<TermRef<'_>> = p.terms().collect();
        // Lexicographic order groups the terms by the power of the first variable, and
        // within a group by the rest: every coefficient is a contiguous slice.
        ts.sort_by(|a, b| cmp_lex(b.0, a.0));
        self.horner_slice(bb, &ts, 0, false)
    }

    /// Horner evaluation of the terms `ts` (lexicographically descending) with their first
    /// `k` monomial entries (shared by all of them) removed, negated when `neg`.
    ///
    /// The terms split into chunks by their first remaining variable; the value is
    /// `chunk_0 ± (chunk_1 ± (chunk_2 ...))` (each `±` a subtraction when the rest's leading
    /// coefficient is -1, saving a negation), built without recursing along the chunks.
    fn horner_slice(
        &mut self,
        bb: &mut BlockBuilder,
        ts: &[TermRef<'_>],
        k: usize,
        neg: bool,
    ) -> ValueId {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            let mut starts = Vec::new();
            let mut i = 0;
            while i < ts.len() {
                starts.push(i);
                if ts[i].0.len() == k {
                    // The constant term is the lexicographically smallest: the last one.
                    i += 1;
                    continue;
                }
                let v = ts[i].0[k].0;
                while i < ts.len() && ts[i].0.len() > k && ts[i].0[k].0 == v {
                    i += 1;
                }
            }
            // Leading (deglex-largest) term of each suffix ts[starts[j]..].
            let mut best_from = vec![0usize; starts.len()];
            let mut best = ts.len() - 1;
            let mut j = starts.len();
            for t in (0..ts.len()).rev() {
                if greater_deglex(ts[t].0, ts[best].0, k) {
                    best = t;
                }
                if j > 0 && starts[j - 1] == t {
                    j -= 1;
                    best_from[j] = best;
                }
            }
            // Signs: chunk j is built negated when an odd number of subtractions lie above it.
            let mut negs = Vec::with_capacity(starts.len());
            let mut subs = Vec::with_capacity(starts.len());
            let mut cur = neg;
            for j in 0..starts.len() {
                if j > 0 {
                    let lc = signed(ts[best_from[j]].1, cur);
                    let sub = lc == F::NEG_ONE;
                    if sub {
                        cur = !cur;
                    }
                    subs.push(sub);
                }
                negs.push(cur);
            }
            let mut vals = Vec::with_capacity(starts.len());
            for j in 0..starts.len() {
                let end = starts.get(j + 1).copied().unwrap_or(ts.len());
                vals.push(self.chunk(bb, &ts[starts[j]..end], k, negs[j]));
            }
            let mut r = vals.pop().expect("at least one chunk");
            while let Some(v) = vals.pop() {
                r = if subs.pop().expect("one per later chunk") {
                    self.sub(bb, v, r)
                } else {
                    self.add(bb, v, r)
                };
            }
            r
        })
    }

    /// One chunk: the constant term alone, or the terms whose first remaining variable is
    /// the same `x`: `(..(C_d1 x^(d1-d2) + C_d2) ..) x^dk`.
    fn chunk(&mut self, bb: &mut BlockBuilder, ts: &[TermRef<'_>], k: usize, neg: bool) -> ValueId {
        if ts[0].0.len() == k {
            return self.konst(bb, signed(ts[0].1, neg));
        }
        let (v, _) = ts[0].0[k];
        let x = self.var(bb, v as usize);
        let mut acc: Option<ValueId> = None;
        let mut prev = 0u32;
        let mut i = 0;
        while i < ts.len() {
            let d = ts[i].0[k].1;
            let mut e = i;
            while e < ts.len() && ts[e].0[k].1 == d {
                e += 1;
            }
            let group = &ts[i..e];
            acc = Some(match acc {
                None => self.horner_slice(bb, group, k + 1, neg),
                Some(a) => {
                    let xp = self.pow(bb, x, (prev - d) as u64);
                    let stepped = self.mul(bb, a, xp);
                    let lc = signed(group[leading(group, k + 1)].1, neg);
                    if lc == F::NEG_ONE {
                        let c = self.horner_slice(bb, group, k + 1, !neg);
                        self.sub(bb, stepped, c)
                    } else {
                        let c = self.horner_slice(bb, group, k + 1, neg);
                        self.add(bb, stepped, c)
                    }
                }
            });
            prev = d;
            i = e;
        }
        let acc = acc.expect("a nonempty chunk");
        let xp = self.pow(bb, x, prev as u64);
        self.mul(bb, acc, xp)
    }

    /// Builds the written form `w`.
    fn written(&mut self, bb: &mut BlockBuilder, w: Wid) -> ValueId {
        if let Some(&v) = self.wmemo.get(&w) {
            return v;
        }
        // As deep as the source expression (bounded by `resvm_lang::MAX_EXPR_DEPTH`).
        let v = stacker::maybe_grow(64 * 1024, 1024 * 1024, || match self.written[w as usize] {
            WNode::Const(c) => self.konst(bb, c),
            WNode::Var(i) => self.var(bb, i as usize),
            WNode::Add(a, b) => {
                let (a, b) = (self.written(bb, a), self.written(bb, b));
                self.add(bb, a, b)
            }
            WNode::Sub(a, b) => {
                let (a, b) = (self.written(bb, a), self.written(bb, b));
                match (self.consts.get(&a).copied(), self.consts.get(&b).copied()) {
                    (Some(x), Some(y)) => self.konst(bb, x - y),
                    (_, Some(y)) if y == F::ZERO => a,
                    (Some(x), _) if x == F::ZERO => self.neg(bb, b),
                    _ => self.sub(bb, a, b),
                }
            }
            WNode::Neg(a) => {
                let a = self.written(bb, a);
                self.neg(bb, a)
            }
            WNode::Mul(a, b) => {
                let (a, b) = (self.written(bb, a), self.written(bb, b));
                self.mul(bb, a, b)
            }
            WNode::Pow(a, k) => {
                let a = self.written(bb, a);
                self.pow(bb, a, k)
            }
        });
        self.wmemo.insert(w, v);
        self.undo.push(Undo::Written(w));
        v
    }

    fn factored(&mut self, bb: &mut BlockBuilder, f: &SparseFactorization) -> ValueId {
        let mut acc = self.konst(bb, f.unit);
        for (q, e) in &f.factors {
            let base = self.horner(bb, q);
            let pw = self.pow(bb, base, *e as u64);
            acc = self.mul(bb, acc, pw);
        }
        acc
    }

    fn build_form(&mut self, bb: &mut BlockBuilder, v: &Value, form: Form) -> ValueId {
        match form {
            Form::Expanded => self.horner(bb, &v.poly),
            Form::Factored => match self.factorer.factor_for_circuit(&v.poly) {
                // Chosen only after a successful factorization, which is cached.
                Some(Ok(f)) => self.factored(bb, &f),
                _ => self.horner(bb, &v.poly),
            },
            Form::Written => self.written(bb, v.written),
        }
    }

    /// Builds a polynomial value, choosing the cheapest of its expanded, factored and
    /// written forms (ties: expanded, then factored, then written).
    ///
    /// The written form is built first. The expansion is only tried when its size makes it
    /// a plausible winner: Horner evaluation of `t` terms needs about `t` additions, so an
    /// expansion of more than `4 * written + 16` terms is not built (its cost is estimated
    /// for the statistics instead) — that keeps a long chain of cheap `let`s over a growing
    /// polynomial linear.
    fn poly(&mut self, bb: &mut BlockBuilder, v: &Value) -> ValueId {
        let p = &v.poly;
        if p.as_constant().is_some()
            || matches!(
                self.written[v.written as usize],
                WNode::Const(_) | WNode::Var(_)
            )
        {
            // Leaves are built the same way in every form.
            return self.horner(bb, p);
        }
        let start = self.mark(bb);
        let cost = |s: &Self| (s.muls - start.muls, s.adds - start.adds);
        let total = |c: (usize, usize)| c.0 + c.1;
        let vw = self.written(bb, v.written);
        let cost_w = cost(self);
        let mut best = (cost_w, Form::Written);
        // The form currently built, if any.
        let mut built = Some((Form::Written, vw));
        let cost_e = if p.num_terms() <= 4 * total(cost_w) + 16 {
            self.rollback(bb, start);
            let ve = self.horner(bb, p);
            let c = cost(self);
            built = Some((Form::Expanded, ve));
            if total(c) <= total(best.0) {
                best = (c, Form::Expanded);
            }
            c
        } else {
            horner_estimate(p)
        };
        // A polynomial of degree < 2 or with a single term is its own cheapest form:
        // factoring can only win where there are products to share.
        if p.num_terms() >= 2 && p.total_degree().is_some_and(|d| d >= 2) {
            if let Some(Ok(f)) = self.factorer.factor_for_circuit(p) {
                self.rollback(bb, start);
                let vf = self.factored(bb, &f);
                let c = cost(self);
                built = Some((Form::Factored, vf));
                if total(c) < total(best.0)
                    || (total(c) == total(best.0) && best.1 == Form::Written)
                {
                    best = (c, Form::Factored);
                }
            }
        }
        let value = match built {
            Some((form, val)) if form == best.1 => val,
            _ => {
                self.rollback(bb, start);
                self.build_form(bb, v, best.1)
            }
        };
        self.savings.0 += cost_e.0 as i64 - best.0 .0 as i64;
        self.savings.1 += cost_e.1 as i64 - best.0 .1 as i64;
        match best.1 {
            Form::Expanded => {}
            Form::Factored => self.factored_polys += 1,
            Form::Written => self.written_polys += 1,
        }
        value
    }

    /// Builds region `r` into `bb`: its result and its tail-position node, if any.
    fn region(&mut self, bb: &mut BlockBuilder, r: &Region) -> (ValueId, Option<ValueId>) {
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
                    let bx = self.arm(x);
                    let by = self.arm(y);
                    self.effect(bb, Node::Branch(c, bx, by))
                }
                AtomKind::Hash(ops) => {
                    let mut ids = [0; 9];
                    for (id, o) in ids.iter_mut().zip(ops.iter()) {
                        *id = self.poly(bb, o);
                    }
                    // A level may trap, so it stays in evaluation order; an equal level
                    // computed before (in this block or an enclosing one) already ran
                    // without trapping and gave the same digest: reuse it.
                    let h = match self.memo.get(&Key::Hash(ids)) {
                        Some(&h) => h,
                        None => {
                            let h = self.effect(bb, Node::Hash(Box::new(ids)));
                            self.memo.insert(Key::Hash(ids), h);
                            self.undo.push(Undo::Memo(Key::Hash(ids)));
                            h
                        }
                    };
                    self.spans.entry(h).or_insert(a.span);
                    let outs: Vec<ValueId> = (0..4u8)
                        .map(|j| self.pure(bb, Key::HashOut(h, j), Node::HashOut(h, j)))
                        .collect();
                    for (j, &out) in outs.iter().enumerate().skip(1) {
                        if let Some(slot) = self.var_val.get_mut(a.var + j) {
                            *slot = Some(out);
                        }
                    }
                    outs[0]
                }
            };
            self.spans.entry(v).or_insert(a.span);
            if let Some(slot) = self.var_val.get_mut(a.var) {
                *slot = Some(v);
            }
        }
        let tail = r
            .tail
            .and_then(|var| self.var_val.get(var).copied().flatten());
        (self.poly(bb, &r.result), tail)
    }

    /// A `branch` arm: its own block, seeing (and reusing) everything computed before the
    /// branch; what it adds to the tables is taken back afterwards.
    fn arm(&mut self, r: &Region) -> Block {
        // Branches nest as deep as the source (bounded by `resvm_lang::MAX_EXPR_DEPTH`).
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            let undo = self.undo.len();
            let mut b = BlockBuilder::default();
            let (result, tail) = self.region(&mut b, r);
            self.unwind(undo);
            Block {
                nodes: b.nodes,
                result,
                span: r.span,
                tail,
            }
        })
    }
}

/// `(mul, add)` count of Horner evaluation of `p` without any sharing or constant folding
/// beyond skipping unit coefficients: the statistics' estimate for an expansion not built.
fn horner_estimate(p: &SparsePoly) -> (usize, usize) {
    fn pow_cost(e: u64) -> usize {
        if e <= 1 {
            0
        } else {
            (63 - e.leading_zeros()) as usize + e.count_ones() as usize - 1
        }
    }
    fn slice(ts: &[TermRef<'_>], k: usize) -> (usize, usize) {
        let (mut m, mut a) = (0, 0);
        let mut i = 0;
        let mut chunks = 0;
        while i < ts.len() {
            chunks += 1;
            if ts[i].0.len() == k {
                i += 1;
                continue;
            }
            let v = ts[i].0[k].0;
            let mut prev: Option<u32> = None;
            let mut unit_lead = false;
            while i < ts.len() && ts[i].0.len() > k && ts[i].0[k].0 == v {
                let d = ts[i].0[k].1;
                let mut e = i;
                while e < ts.len() && ts[e].0.len() > k && ts[e].0[k] == (v, d) {
                    e += 1;
                }
                let (gm, ga) = slice(&ts[i..e], k + 1);
                m += gm;
                a += ga;
                if let Some(p) = prev {
                    m += pow_cost((p - d) as u64) + 1;
                    a += 1;
                } else if e == i + 1 && ts[i].0.len() == k + 1 && ts[i].1 == F::ONE {
                    // The leading coefficient 1: the first step's multiplication folds away.
                    unit_lead = true;
                }
                prev = Some(d);
                i = e;
            }
            m += pow_cost(prev.unwrap_or(0) as u64) + 1 - usize::from(unit_lead);
        }
        (m, a + chunks - 1)
    }
    if p.as_constant().is_some() {
        return (0, 0);
    }
    let mut ts: Vec<TermRef<'_>> = p.terms().collect();
    ts.sort_by(|a, b| cmp_lex(b.0, a.0));
    // Iterative on the outer chunk chain; recursion only into coefficient groups (as deep
    // as a monomial is long).
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || slice(&ts, 0))
}

/// `c`, negated when `neg`.
fn signed(c: F, neg: bool) -> F {
    if neg {
        -c
    } else {
        c
    }
}

/// Whether `a[k..]` is greater than `b[k..]` in deglex order.
fn greater_deglex(a: &Mono, b: &Mono, k: usize) -> bool {
    cmp_deglex_sparse(&a[k.min(a.len())..], &b[k.min(b.len())..]) == Ordering::Greater
}

/// Index of the deglex-leading term of `ts` (monomials without their first `k` entries).
fn leading(ts: &[TermRef<'_>], k: usize) -> usize {
    let mut best = 0;
    for i in 1..ts.len() {
        if greater_deglex(ts[i].0, ts[best].0, k) {
            best = i;
        }
    }
    best
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
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
        print_block_inner(out, c, f, b, depth)
    })
}

fn print_block_inner(out: &mut String, c: &Circuit, f: &CircuitFn, b: &Block, depth: usize) {
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
            Node::Hash(ops) => format!(
                "merkle {}; {}; v{}",
                list(&ops[..4]),
                list(&ops[4..8]),
                ops[8]
            ),
            Node::HashOut(h, i) => format!("v{h}.{i}"),
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
