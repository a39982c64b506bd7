//! Code generation: circuit DAG -> stack-machine image.
//!
//! Per function, every value gets a frame slot or is computed where it is used:
//! * parameters live in slots `0..arity`;
//! * effectful nodes (calls, `eval`, `reflect`, `branch`) are computed in evaluation order
//!   and stored in their own slot, except a block's final effectful node whose only use is
//!   the block's result, which is left on the stack (or, when it is in tail position in the
//!   source, becomes a `TAILCALL`/`TAILEVAL`, or a branch whose arms return on their own);
//! * pure nodes used once are computed inline at their use; pure nodes used more than once
//!   are computed once, in block order, and stored;
//! * a Merkle level (`hash`/`merkle`) puts its sibling and direction in five fresh scratch
//!   slots, its digest on the stack, runs `HASH`, and stores the four elements in four
//!   consecutive slots, from which its element nodes are loaded.
//!
//! Function-table order equals the HIR's, so `Program::repr(f)` is the repr of HIR function
//! `f` for every engine.

use resvm_circuit::dag::{Block, Circuit, CircuitFn, Node, ValueId};
use resvm_isa::{Function, Instr, Program, ProgramError};
use resvm_lang::hir;
use resvm_lang::Span;
use std::collections::HashMap;

/// Why code generation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodegenError {
    /// The generated image failed validation.
    #[error("invalid program image: {0}")]
    Program(#[from] ProgramError),
    /// The circuit used a value it never defined (a compiler bug, reported, not hidden).
    #[error("internal compiler error: function `{function}` uses undefined value v{value}")]
    UndefinedValue {
        /// The function.
        function: String,
        /// The value.
        value: ValueId,
    },
}

/// Where each instruction of an image came from: for every pc, the function it belongs to
/// and the span of the source expression being evaluated there (a call, `eval`, `branch`,
/// `lt`, `reflect`, or else the enclosing function body or `branch` arm). The bootstrap
/// (the code before main's entry) maps to main's definition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceMap {
    entries: Vec<(hir::FnId, Span)>,
}

impl SourceMap {
    /// The function and source span of the instruction at `pc`, if `pc` is in the image.
    pub fn get(&self, pc: u32) -> Option<(hir::FnId, Span)> {
        self.entries.get(pc as usize).copied()
    }

    /// Number of instructions mapped (the image's code length).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Compiles a circuit to a program image. `module` supplies which parameters of main are
/// `secret` (read by `SECRET` instead of `INPUT` in the bootstrap).
pub fn generate(circuit: &Circuit, module: &hir::Module) -> Result<Program, CodegenError> {
    generate_with_map(circuit, module).map(|(p, _)| p)
}

/// [`generate`], also returning the [`SourceMap`] of the image.
pub fn generate_with_map(
    circuit: &Circuit,
    module: &hir::Module,
) -> Result<(Program, SourceMap), CodegenError> {
    let main = &module.functions[circuit.main as usize];
    let mut code = vec![Instr::Frame];
    for (i, p) in main.params.iter().enumerate() {
        code.push(if p.secret {
            Instr::Secret(i as u32)
        } else {
            Instr::Input(i as u32)
        });
    }
    code.push(Instr::Call(circuit.main));
    code.push(Instr::Halt);
    let mut map = vec![(circuit.main, main.span); code.len()];
    let mut functions = Vec::with_capacity(circuit.functions.len());
    for (id, f) in circuit.functions.iter().enumerate() {
        let entry = code.len() as u32;
        let (body, spans, frame) = FnGen::compile(f, entry)?;
        code.extend(body);
        map.extend(spans.into_iter().map(|s| (id as hir::FnId, s)));
        functions.push(Function {
            name: f.name.clone(),
            entry,
            arity: f.params.len() as u32,
            frame,
        });
    }
    let program = Program::new(code, functions, circuit.main)?;
    Ok((program, SourceMap { entries: map }))
}

struct FnGen<'a> {
    /// Node of each value (for inlining).
    defs: HashMap<ValueId, &'a Node>,
    uses: HashMap<ValueId, u32>,
    slots: HashMap<ValueId, u32>,
    next_slot: u32,
    /// Frame size needed beyond the slots (tail-call argument slots, `TAILEVAL` scratch).
    min_frame: u32,
    /// Slots a tail call reads where they are (an argument already in its parameter slot,
    /// so no `LOAD` of it is emitted): the peephole must keep their stores.
    read_in_place: Vec<u32>,
    code: Vec<Instr>,
    base: u32,
    /// First undefined value met, if any.
    undefined: Option<ValueId>,
    /// Source spans of the circuit's nodes.
    spans: &'a HashMap<ValueId, Span>,
    /// The span of the expression being emitted, recorded for every instruction.
    cur: Span,
    /// One span per instruction of `code`.
    code_spans: Vec<Span>,
}

impl<'a> FnGen<'a> {
    fn compile(f: &'a CircuitFn, base: u32) -> Result<(Vec<Instr>, Vec<Span>, u32), CodegenError> {
        let arity = f.params.len() as u32;
        let mut g = FnGen {
            defs: HashMap::new(),
            uses: HashMap::new(),
            slots: HashMap::new(),
            next_slot: arity,
            min_frame: arity,
            read_in_place: Vec::new(),
            code: Vec::new(),
            base,
            undefined: None,
            spans: &f.spans,
            cur: f.span,
            code_spans: Vec::new(),
        };
        g.scan(&f.body);
        g.block(&f.body, true);
        if let Some(value) = g.undefined {
            return Err(CodegenError::UndefinedValue {
                function: f.name.clone(),
                value,
            });
        }
        let frame = g.next_slot.max(g.min_frame);
        let (code, spans) = peephole(g.code, g.code_spans, base, &g.read_in_place);
        // Common sequences become fused instructions; each keeps its first span.
        let fused = resvm_isa::fuse::fuse(&code, base, &[]);
        let spans = fused.origin.iter().map(|&i| spans[i]).collect();
        Ok((fused.code, spans, frame))
    }

    /// Appends an instruction, attributed to the current source span.
    fn emit(&mut self, i: Instr) {
        self.code.push(i);
        self.code_spans.push(self.cur);
    }

    /// Runs `f` with the current span set to `v`'s, if it has one.
    fn at_value(&mut self, v: ValueId, f: impl FnOnce(&mut Self)) {
        let saved = self.cur;
        if let Some(&s) = self.spans.get(&v) {
            self.cur = s;
        }
        f(self);
        self.cur = saved;
    }

    fn scan(&mut self, b: &'a Block) {
        // Branches nest as deep as the source (bounded by `resvm_lang::MAX_EXPR_DEPTH`).
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.scan_inner(b))
    }

    fn scan_inner(&mut self, b: &'a Block) {
        *self.uses.entry(b.result).or_default() += 1;
        for (v, n) in &b.nodes {
            self.defs.insert(*v, n);
            for o in n.operands() {
                *self.uses.entry(o).or_default() += 1;
            }
            if let Node::Branch(_, x, y) = n {
                self.scan(x);
                self.scan(y);
            }
        }
    }

    fn pc(&self) -> u32 {
        self.base + self.code.len() as u32
    }

    fn slot(&mut self, v: ValueId) -> u32 {
        self.slots_for(v, 1)
    }

    /// The first of `n` consecutive slots holding `v` (allocated on first use).
    fn slots_for(&mut self, v: ValueId, n: u32) -> u32 {
        if let Some(&s) = self.slots.get(&v) {
            return s;
        }
        let s = self.next_slot;
        self.next_slot += n;
        self.slots.insert(v, s);
        s
    }

    /// Whether `v` is stored in a slot (rather than computed at its use).
    fn materialized(&self, v: ValueId) -> bool {
        match self.defs.get(&v) {
            Some(Node::Param(_) | Node::Const(_) | Node::Func(_) | Node::HashOut(..)) => false,
            Some(n) if n.is_effectful() => true,
            Some(_) => self.uses.get(&v).copied().unwrap_or(0) > 1,
            None => false,
        }
    }

    /// Emits a block; in tail position it ends by returning (or tail-calling).
    fn block(&mut self, b: &'a Block, tail: bool) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            let saved = self.cur;
            self.cur = b.span;
            self.block_inner(b, tail);
            self.cur = saved;
        })
    }

    fn block_inner(&mut self, b: &'a Block, tail: bool) {
        let last = b.nodes.last().map(|(v, _)| *v);
        // The node whose value is the block's: its last node, or the node in tail position
        // of the source when only dead pure nodes follow it (the DAG may build constants of
        // the result's polynomial after it).
        let result_node = match b.tail {
            Some(t)
                if t == b.result
                    && b.nodes
                        .iter()
                        .rev()
                        .take_while(|(v, _)| *v != t)
                        .all(|(v, n)| {
                            !n.is_effectful() && self.uses.get(v).copied().unwrap_or(0) == 0
                        }) =>
            {
                Some(t)
            }
            _ => last.filter(|l| *l == b.result),
        };
        for (v, n) in &b.nodes {
            let is_result = Some(*v) == result_node;
            if is_result && n.is_effectful() && self.uses.get(v).copied() == Some(1) {
                // The block's value is this node: leave it on the stack, or tail-call. Only
                // the node in tail position of the source is a tail call: `0 + f(x)` is a
                // non-tail call (it counts toward the depth limit) on every engine.
                let node_tail = tail && b.tail == Some(*v);
                self.at_value(*v, |g| g.node(*v, n, node_tail));
                if tail
                    && !(node_tail
                        && matches!(n, Node::Call(..) | Node::Eval(..) | Node::Branch(..)))
                {
                    self.emit(Instr::Ret);
                }
                return;
            }
            if let Node::Hash(_) = n {
                self.at_value(*v, |g| g.node(*v, n, false));
            } else if self.materialized(*v) {
                self.at_value(*v, |g| g.node(*v, n, false));
                let s = self.slot(*v);
                self.emit(Instr::Store(s));
            }
        }
        self.value(b.result);
        if tail {
            self.emit(Instr::Ret);
        }
    }

    /// Pushes the value `v`.
    fn value(&mut self, v: ValueId) {
        // Inlined single-use nodes nest as deep as the DAG (a Horner chain is as long as its
        // polynomial): grow the stack instead of overflowing it.
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.value_inner(v))
    }

    fn value_inner(&mut self, v: ValueId) {
        if let Some(&s) = self.slots.get(&v) {
            self.emit(Instr::Load(s));
            return;
        }
        match self.defs.get(&v).copied() {
            Some(n) => self.at_value(v, |g| g.node(v, n, false)),
            None => {
                self.undefined.get_or_insert(v);
            }
        }
    }

    fn node(&mut self, v: ValueId, n: &'a Node, tail: bool) {
        match n {
            Node::Param(i) => self.emit(Instr::Load(*i)),
            Node::Const(c) => self.emit(Instr::Push(*c)),
            Node::Func(f) => self.emit(Instr::Repr(*f)),
            Node::Add(a, b) => self.binary(*a, *b, Instr::Add),
            Node::Sub(a, b) => self.binary(*a, *b, Instr::Sub),
            Node::Mul(a, b) => self.binary(*a, *b, Instr::Mul),
            Node::Lt(a, b) => self.binary(*a, *b, Instr::Compare),
            Node::Neg(a) => {
                self.value(*a);
                self.emit(Instr::Neg);
            }
            Node::Reflect(a) => {
                self.value(*a);
                self.emit(Instr::Reflect);
            }
            Node::HashOut(h, i) => match self.slots.get(h) {
                Some(&s) => self.emit(Instr::Load(s + *i as u32)),
                None => {
                    self.undefined.get_or_insert(*h);
                }
            },
            // Emitted in block order (it is effectful); its value is only read through
            // `HashOut`.
            Node::Hash(ops) => self.hash(v, ops),
            Node::Call(f, args) => {
                if tail {
                    self.tail_args(args);
                    self.emit(Instr::TailCall(*f));
                } else {
                    self.emit(Instr::Frame);
                    for a in args {
                        self.value(*a);
                    }
                    self.emit(Instr::Call(*f));
                }
            }
            Node::Eval(g, args) => {
                let k = args.len() as u32;
                if tail {
                    for a in args {
                        self.value(*a);
                    }
                    self.value(*g);
                    // Park the callee above the argument slots so the stores cannot clobber it.
                    let scratch = self.next_slot.max(k);
                    self.min_frame = self.min_frame.max(scratch + 1);
                    self.emit(Instr::Store(scratch));
                    self.store_args(k);
                    self.emit(Instr::Load(scratch));
                    self.emit(Instr::TailEval(k));
                } else {
                    self.emit(Instr::Frame);
                    for a in args {
                        self.value(*a);
                    }
                    self.value(*g);
                    self.emit(Instr::Eval(k));
                }
            }
            Node::Branch(c, x, y) => {
                self.value(*c);
                let at = self.code.len();
                self.emit(Instr::Branch(0, 0));
                let t0 = self.pc();
                self.block(x, tail);
                let jump_at = (!tail).then(|| {
                    self.emit(Instr::Jump(0));
                    self.code.len() - 1
                });
                let t1 = self.pc();
                self.block(y, tail);
                self.code[at] = Instr::Branch(t0, t1);
                if let Some(j) = jump_at {
                    let end = self.pc();
                    self.code[j] = Instr::Jump(end);
                }
            }
        }
    }

    /// One Merkle level `v` over `[d0..d3, s0..s3, e]`: sibling and direction into scratch
    /// slots `k..k+5`, the digest onto the stack, `HASH k`, and the four elements into `v`'s
    /// slots (element 0 first).
    fn hash(&mut self, v: ValueId, ops: &[ValueId; 9]) {
        let k = self.next_slot;
        self.next_slot += 5;
        for (j, &o) in ops[4..].iter().enumerate() {
            self.value(o);
            self.emit(Instr::Store(k + j as u32));
        }
        for &o in &ops[..4] {
            self.value(o);
        }
        self.emit(Instr::Hash(k));
        let out = self.slots_for(v, 4);
        for j in (0..4).rev() {
            self.emit(Instr::Store(out + j));
        }
    }

    fn binary(&mut self, a: ValueId, b: ValueId, op: Instr) {
        self.value(a);
        self.value(b);
        self.emit(op);
    }

    /// The code that pushes `v`, and its spans, without emitting it.
    fn fragment(&mut self, v: ValueId) -> (Vec<Instr>, Vec<Span>) {
        let (code, spans) = (
            std::mem::take(&mut self.code),
            std::mem::take(&mut self.code_spans),
        );
        self.value(v);
        (
            std::mem::replace(&mut self.code, code),
            std::mem::replace(&mut self.code_spans, spans),
        )
    }

    /// Puts a tail call's arguments into slots `0..k` (the callee's parameters).
    ///
    /// An argument that only reads one slot of this frame (`LOAD s`, or `s ± c`: pure, it
    /// cannot trap) is a *move*: it is evaluated at its store, `LOAD s; STORE d` (fused to
    /// `MOVS d s`), `LOAD d; PUSH c; ADD; STORE d` (`INCS d c`), or nothing when it already
    /// is in place (recorded in `read_in_place`, so that the peephole keeps the store that
    /// put it there). Every other argument is pushed first, in source order, and popped into
    /// its slot after the moves. A move is emitted only once no other pending move reads its
    /// destination; when every pending move is in such a cycle (`f(b, a)` of `f(a, b)`), one
    /// of them is pushed like the other arguments instead. The pops come last, so they
    /// overwrite no slot a move still reads; the pushed arguments read the frame before any
    /// store. So every argument sees the frame as it was at the call, as on the other
    /// engines, and the slots may be any of the frame's (a callee with more parameters than
    /// this function overwrites its temporaries).
    fn tail_args(&mut self, args: &[ValueId]) {
        let k = args.len() as u32;
        // Slots below the operand stack must exist in this frame.
        self.min_frame = self.min_frame.max(k);
        let mut pushed = Vec::new();
        let mut moves = Vec::new();
        for (d, &a) in (0u32..).zip(args) {
            let (code, spans) = self.fragment(a);
            match move_source(&code) {
                Some(s) if s == d && code.len() == 1 => self.read_in_place.push(d),
                Some(s) => moves.push((d, s, code, spans)),
                None => {
                    self.code.extend(code);
                    self.code_spans.extend(spans);
                    pushed.push(d);
                }
            }
        }
        while !moves.is_empty() {
            let free = (0..moves.len())
                .find(|&i| {
                    let d = moves[i].0;
                    moves.iter().enumerate().all(|(j, m)| j == i || m.1 != d)
                })
                .unwrap_or(0);
            let (d, _, code, spans) = moves.remove(free);
            let cyclic = moves.iter().any(|m| m.1 == d);
            self.code.extend(code);
            self.code_spans.extend(spans);
            if cyclic {
                pushed.push(d);
            } else {
                self.emit(Instr::Store(d));
            }
        }
        for d in pushed.into_iter().rev() {
            self.emit(Instr::Store(d));
        }
    }

    /// Moves `k` arguments from the operand stack into slots `k-1 .. 0`.
    fn store_args(&mut self, k: u32) {
        // Slots below the operand stack must exist in this frame.
        self.min_frame = self.min_frame.max(k);
        for i in (0..k).rev() {
            self.emit(Instr::Store(i));
        }
    }
}

/// The slot a tail-call argument's code reads, if that code is a move: `LOAD s`, or `s ± c`
/// (`LOAD s; PUSH c; ADD`/`SUB`, `PUSH c; LOAD s; ADD`), which read nothing else and cannot
/// trap.
fn move_source(code: &[Instr]) -> Option<u32> {
    match *code {
        [Instr::Load(s)] => Some(s),
        [Instr::Load(s), Instr::Push(_), Instr::Add | Instr::Sub]
        | [Instr::Push(_), Instr::Load(s), Instr::Add] => Some(s),
        _ => None,
    }
}

/// Removes `STORE s; LOAD s` pairs whose slot is read nowhere else and whose `LOAD` no jump
/// lands on: the value simply stays on the stack. (Effectful nodes are always stored in
/// evaluation order; most are used exactly once, right after.) A slot in `read_in_place` is
/// read by a tail call without a `LOAD`, so its stores stay. Jump targets are remapped.
/// `spans` (one per instruction) is filtered alongside.
fn peephole(
    code: Vec<Instr>,
    spans: Vec<Span>,
    base: u32,
    read_in_place: &[u32],
) -> (Vec<Instr>, Vec<Span>) {
    let mut loads: HashMap<u32, u32> = HashMap::new();
    for &s in read_in_place {
        *loads.entry(s).or_default() += 1;
    }
    let mut targets = std::collections::HashSet::new();
    for i in &code {
        if let Instr::Load(s) = *i {
            *loads.entry(s).or_default() += 1;
        }
        targets.extend(i.jump_targets());
    }
    let mut keep = vec![true; code.len()];
    for k in 0..code.len().saturating_sub(1) {
        if let (Instr::Store(s), Instr::Load(l)) = (code[k], code[k + 1]) {
            let load_pc = base + k as u32 + 1;
            if s == l && loads.get(&s) == Some(&1) && !targets.contains(&load_pc) && keep[k] {
                keep[k] = false;
                keep[k + 1] = false;
            }
        }
    }
    // New address of every old address (a removed instruction maps to the next kept one).
    let mut new_addr = Vec::with_capacity(code.len() + 1);
    let mut n = 0u32;
    for &k in &keep {
        new_addr.push(base + n);
        if k {
            n += 1;
        }
    }
    new_addr.push(base + n);
    let remap = |t: u32| new_addr.get((t - base) as usize).copied().unwrap_or(t);
    let spans = spans
        .into_iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(s, _)| s)
        .collect();
    let code = code
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(i, _)| i.map_jump_targets(remap))
        .collect();
    (code, spans)
}
