//! The zero-knowledge STARK backend: one resvm proof per action.
//!
//! For each action shape (N consumed, which of them persistent, M created, K delta entries)
//! and list of tag logics, [`action_program`] generates a program image directly at the ISA
//! level: a straight-line `main` that checks compliance (nullifier integrity, commitments,
//! depth-32 Merkle paths, created nonces, quantity range checks, the delta per kind) and
//! then calls every tag's logic (linked into the same image) on the very resources it has
//! just opened, with the ABI v1 arguments. The proof is `resvm_prover::prove` of that
//! program: public inputs = the statement (action digest, nullifiers, commitments, roots,
//! delta), witness = resources, paths, nonce randomness, the second resources chosen per
//! tag and the auxiliary digests. The verifier regenerates the program from the public
//! shape and logics, so the program digest it checks is its own.
//!
//! What a proof reveals beyond the statement: which logic each tag uses (the statement
//! names them; the image links them), the cycle count of the run and the table heights
//! (so, roughly, how long the logics ran). Everything else is hidden by the prover's zero
//! knowledge.

use crate::backend::{check_action, ActionStatement, ActionWitness, ProvingBackend, VerifyJob};
use crate::logic::{LogicProgram, LOGIC_MAX_STEPS};
use crate::resource::{
    chain_iv, DOMAIN_COMMITMENT, DOMAIN_KIND, DOMAIN_NC, DOMAIN_NF_LIST, DOMAIN_NONCE, MAX_QUANTITY,
};
use crate::tree::DEPTH;
use crate::Error;
use resvm_field::{Digest, F, P};
use resvm_isa::{Function, Instr, Program};
use resvm_prover::config::SecurityLevel;
use resvm_prover::{Proof, ProveOptions, VerifyOptions};

/// The STARK backend (name `stark-v1`).
#[derive(Clone, Copy, Debug)]
pub struct StarkBackend {
    security: SecurityLevel,
}

impl Default for StarkBackend {
    fn default() -> Self {
        StarkBackend {
            security: SecurityLevel::Standard,
        }
    }
}

impl StarkBackend {
    /// The backend with the standard (≥ 100-bit) parameter set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The backend with the prover's insecure test parameters (a few queries): its
    /// verifier accepts test proofs, the standard one refuses them. For fast tests only.
    pub fn insecure_test() -> Self {
        StarkBackend {
            security: SecurityLevel::Test,
        }
    }
}

/// Where an operand comes from: a frame slot or a constant.
#[derive(Clone, Copy, Debug)]
enum Src {
    Slot(u32),
    Const(u64),
}

fn digest_at(base: u32) -> [Src; 4] {
    [0, 1, 2, 3].map(|i| Src::Slot(base + i))
}

fn digest_const(d: &Digest) -> [Src; 4] {
    d.0.map(Src::Const)
}

/// Slots of one resource as the generated code sees it.
#[derive(Clone, Copy, Debug)]
struct ResSlots {
    logic: u32,
    label: u32,
    value: u32,
    nonce: u32,
    nc: u32,
    quantity: u32,
    eph: Src,
    kind: u32,
}

/// The frame layout of the generated `main`: parameters (public, then secret), then locals.
struct Layout {
    n: usize,
    m: usize,
    k: usize,
    // public
    action: u32,
    tag: Vec<u32>,
    root: Vec<Option<u32>>,
    delta: Vec<(u32, u32)>,
    n_public: u32,
    // secret
    res: Vec<ResSlots>,
    path: Vec<Option<u32>>,
    rand: Vec<u32>,
    sel: Vec<u32>,
    aux: Vec<(u32, u32)>,
    n_params: u32,
    // locals
    scratch: u32,
    tmp: u32,
    nfd: u32,
    eq_kind: Vec<Vec<u32>>,
    present: Vec<u32>,
    aux_hash: Vec<u32>,
    frame: u32,
}

/// The next `len` slots.
fn take(next: &mut u32, len: u32) -> u32 {
    let s = *next;
    *next += len;
    s
}

const CONSUMED_FIELDS: u32 = 21;
const CREATED_FIELDS: u32 = 22;
const PATH_LEN: u32 = 5 * DEPTH as u32;

impl Layout {
    fn new(persistent: &[bool], m: usize, k: usize) -> Layout {
        let n = persistent.len();
        let r = n + m;
        let mut next = 0u32;
        let action = take(&mut next, 4);
        let tag: Vec<u32> = (0..r).map(|_| take(&mut next, 4)).collect();
        let root = persistent
            .iter()
            .map(|p| p.then(|| take(&mut next, 4)))
            .collect();
        let delta = (0..k)
            .map(|_| (take(&mut next, 4), take(&mut next, 1)))
            .collect();
        let n_public = next;
        let mut res = Vec::with_capacity(r);
        let mut path = Vec::with_capacity(r);
        for p in persistent {
            let b = take(&mut next, CONSUMED_FIELDS);
            res.push(ResSlots {
                logic: b,
                label: b + 4,
                value: b + 8,
                nonce: b + 12,
                nc: b + 16,
                quantity: b + 20,
                eph: Src::Const(u64::from(*p)),
                kind: 0,
            });
            path.push(p.then(|| take(&mut next, PATH_LEN)));
        }
        let mut rand = Vec::with_capacity(m);
        for _ in 0..m {
            let b = take(&mut next, CREATED_FIELDS);
            res.push(ResSlots {
                logic: b,
                label: b + 4,
                value: b + 8,
                nc: b + 12,
                quantity: b + 16,
                eph: Src::Slot(b + 17),
                nonce: 0,
                kind: 0,
            });
            rand.push(b + 18);
        }
        let mut sel = Vec::with_capacity(r);
        let mut aux = Vec::with_capacity(r);
        for _ in 0..r {
            sel.push(take(&mut next, r as u32));
            aux.push((take(&mut next, 4), take(&mut next, 4)));
        }
        let n_params = next;
        let scratch = take(&mut next, 5);
        let tmp = take(&mut next, 4);
        let nfd = take(&mut next, 4);
        for x in res.iter_mut() {
            x.kind = take(&mut next, 4);
        }
        for x in res.iter_mut().skip(n) {
            x.nonce = take(&mut next, 4);
        }
        let eq_kind = (0..r)
            .map(|_| (0..k).map(|_| take(&mut next, 1)).collect())
            .collect();
        let present = (0..r).map(|_| take(&mut next, 1)).collect();
        let aux_hash = (0..r).map(|_| take(&mut next, 4)).collect();
        Layout {
            n,
            m,
            k,
            action,
            tag,
            root,
            delta,
            n_public,
            res,
            path,
            rand,
            sel,
            aux,
            n_params,
            scratch,
            tmp,
            nfd,
            eq_kind,
            present,
            aux_hash,
            frame: next,
        }
    }
}

/// A straight-line assembler for `main`: every check leaves the operand stack empty, so
/// all branches to the shared failure block arrive at the same stack height.
struct Asm {
    code: Vec<Instr>,
    fail_sites: Vec<usize>,
    scratch: u32,
}

impl Asm {
    fn i(&mut self, i: Instr) {
        self.code.push(i);
    }

    fn src(&mut self, s: Src) {
        match s {
            Src::Slot(k) => self.i(Instr::Load(k)),
            Src::Const(c) => self.i(Instr::Push(F::new(c))),
        }
    }

    fn srcs(&mut self, s: &[Src]) {
        for x in s {
            self.src(*x);
        }
    }

    /// Pops x; fails the run when x = 1 (traps when x ∉ {0, 1}): "assert x = 0".
    fn assert_zero(&mut self) {
        let pc = self.code.len();
        self.fail_sites.push(pc);
        self.i(Instr::Branch(pc as u32 + 1, 0));
    }

    /// Pops x; traps unless x ∈ {0, 1}.
    fn assert_bool(&mut self) {
        let next = self.code.len() as u32 + 1;
        self.i(Instr::Branch(next, next));
    }

    fn assert_eq(&mut self, a: Src, b: Src) {
        self.src(a);
        self.src(b);
        self.i(Instr::Sub);
        self.assert_zero();
    }

    fn assert_eq_digest(&mut self, a: [Src; 4], b: [Src; 4]) {
        for (x, y) in a.into_iter().zip(b) {
            self.assert_eq(x, y);
        }
    }

    /// Pushes the digest of a chain from `iv` over `blocks` (each copied into the scratch
    /// block, whose direction cell holds 0: `acc = merge(acc, block)`).
    fn chain(&mut self, iv: Digest, blocks: &[[Src; 4]]) {
        self.srcs(&digest_const(&iv));
        for b in blocks {
            for (i, x) in b.iter().enumerate() {
                self.src(*x);
                self.i(Instr::Store(self.scratch + i as u32));
            }
            self.i(Instr::Hash(self.scratch));
        }
    }

    /// Pops a digest into slots `dst..dst + 4`.
    fn store_digest(&mut self, dst: u32) {
        for i in (0..4).rev() {
            self.i(Instr::Store(dst + i));
        }
    }

    /// Pushes eq(a, b) ∈ {0, 1}: `lt` both ways (each 1 when "not less").
    fn eq(&mut self, a: Src, b: Src) {
        self.src(a);
        self.src(b);
        self.i(Instr::Compare);
        self.src(b);
        self.src(a);
        self.i(Instr::Compare);
        self.i(Instr::Mul);
    }

    fn eq_digest(&mut self, a: [Src; 4], b: [Src; 4]) {
        for i in 0..4 {
            self.eq(a[i], b[i]);
            if i > 0 {
                self.i(Instr::Mul);
            }
        }
    }
}

fn field(q: i128) -> u64 {
    // |q| < 2^62 (Delta's bound), so this is the field element q.
    if q >= 0 {
        q as u64
    } else {
        P - q.unsigned_abs() as u64
    }
}

/// The program that proves an action of this shape with these tag logics.
///
/// `persistent[i]` says whether consumed resource i has a root; `k` is the number of delta
/// entries; `logics[t]` is the image of tag t's logic (consumed, then created:
/// [`LogicProgram`]'s `compiled.program`).
pub fn action_program(
    persistent: &[bool],
    m: usize,
    k: usize,
    logics: &[&Program],
) -> Result<Program, Error> {
    let l = Layout::new(persistent, m, k);
    let (n, r) = (l.n, l.n + l.m);
    if logics.len() != r {
        return Err(Error::Malformed("one logic per tag".into()));
    }
    let mut a = Asm {
        code: Vec::new(),
        fail_sites: Vec::new(),
        scratch: l.scratch,
    };
    // Bootstrap: public parameters first.
    a.i(Instr::Frame);
    for i in 0..l.n_params {
        a.i(if i < l.n_public {
            Instr::Input(i)
        } else {
            Instr::Secret(i)
        });
    }
    a.i(Instr::Call(0));
    a.i(Instr::Halt);
    let entry = a.code.len() as u32;
    // The scratch block's direction cell.
    a.src(Src::Const(0));
    a.i(Instr::Store(l.scratch + 4));

    // Link the logics (each distinct program once) after main's code: their function
    // indices follow main's (index 0).
    let mut linked: Vec<(Digest, u32)> = Vec::new();
    let mut tail_code: Vec<Instr> = Vec::new();
    let mut functions = vec![Function {
        name: "rm_action".into(),
        entry,
        arity: l.n_params,
        frame: l.frame,
    }];
    let mut logic_fn = Vec::with_capacity(r);
    for p in logics {
        let d = p.digest();
        let f = match linked.iter().find(|(x, _)| *x == d) {
            Some((_, f)) => *f,
            None => {
                let f = link(p, &mut tail_code, &mut functions)?;
                linked.push((d, f));
                f
            }
        };
        logic_fn.push(f);
    }

    // Consumed: nullifier integrity, logic, range, commitment and membership.
    for i in 0..n {
        let s = l.res[i];
        a.chain(chain_iv(DOMAIN_NC, 4), &[digest_at(l.tag[i])]);
        a.store_digest(l.tmp);
        a.assert_eq_digest(digest_at(l.tmp), digest_at(s.nc));
        if let (Some(root), Some(path)) = (l.root[i], l.path[i]) {
            commitment(&mut a, &s);
            for level in 0..DEPTH as u32 {
                a.i(Instr::Hash(path + 5 * level));
            }
            a.store_digest(l.tmp);
            a.assert_eq_digest(digest_at(l.tmp), digest_at(root));
        }
    }
    // The nullifiers digest, for the created nonces.
    let nf_blocks: Vec<[Src; 4]> = (0..n).map(|i| digest_at(l.tag[i])).collect();
    a.chain(chain_iv(DOMAIN_NF_LIST, 4 * n as u64), &nf_blocks);
    a.store_digest(l.nfd);
    // Created: nonce derivation, ephemerality bit, commitment.
    for j in 0..l.m {
        let s = l.res[n + j];
        let iv = chain_iv(DOMAIN_NONCE, 9);
        a.chain(
            iv,
            &[
                digest_at(l.nfd),
                digest_at(l.rand[j]),
                [
                    Src::Const(j as u64),
                    Src::Const(0),
                    Src::Const(0),
                    Src::Const(0),
                ],
            ],
        );
        a.store_digest(s.nonce);
        a.src(s.eph);
        a.assert_bool();
        commitment(&mut a, &s);
        a.store_digest(l.tmp);
        a.assert_eq_digest(digest_at(l.tmp), digest_at(l.tag[n + j]));
    }
    // Every resource: its logic is the tag's, its quantity < 2^48, its kind.
    for (t, s) in l.res.iter().enumerate() {
        a.assert_eq_digest(digest_at(s.logic), digest_const(&logics[t].digest()));
        a.src(Src::Slot(s.quantity));
        a.src(Src::Const(MAX_QUANTITY + 1));
        a.i(Instr::Compare);
        a.assert_zero();
        a.chain(
            chain_iv(DOMAIN_KIND, 8),
            &[digest_at(s.logic), digest_at(s.label)],
        );
        a.store_digest(s.kind);
    }
    // Delta. Signed quantity of resource t: +q consumed, -q created. Every listed kind's
    // sum is its public quantity; every resource whose kind is not listed nets to zero
    // with the resources of its kind. (Sums are integers: < 2^14 terms below 2^48.)
    let signed = |a: &mut Asm, t: usize| {
        a.src(Src::Slot(l.res[t].quantity));
        if t >= n {
            a.i(Instr::Neg);
        }
    };
    for t in 0..r {
        for e in 0..l.k {
            a.eq_digest(digest_at(l.res[t].kind), digest_at(l.delta[e].0));
            a.i(Instr::Store(l.eq_kind[t][e]));
        }
    }
    for e in 0..l.k {
        a.src(Src::Const(0));
        for t in 0..r {
            a.src(Src::Slot(l.eq_kind[t][e]));
            signed(&mut a, t);
            a.i(Instr::Mul);
            a.i(Instr::Add);
        }
        a.src(Src::Slot(l.delta[e].1));
        a.i(Instr::Sub);
        a.assert_zero();
    }
    for t in 0..r {
        // unlisted = 1 - Σ_e eq(kind_t, K_e)
        a.src(Src::Const(1));
        for e in 0..l.k {
            a.src(Src::Slot(l.eq_kind[t][e]));
            a.i(Instr::Sub);
        }
        signed(&mut a, t);
        for u in 0..r {
            if u == t {
                continue;
            }
            a.eq_digest(digest_at(l.res[t].kind), digest_at(l.res[u].kind));
            signed(&mut a, u);
            a.i(Instr::Mul);
            a.i(Instr::Add);
        }
        a.i(Instr::Mul);
        a.assert_zero();
    }
    // Logics.
    for (t, f_logic) in logic_fn.iter().enumerate() {
        let s = l.res[t];
        // The second resource: one-hot selection bits, at most one set.
        for u in 0..r as u32 {
            a.src(Src::Slot(l.sel[t] + u));
            a.assert_bool();
        }
        a.src(Src::Const(0));
        for u in 0..r as u32 {
            a.src(Src::Slot(l.sel[t] + u));
            a.i(Instr::Add);
        }
        a.i(Instr::Store(l.present[t]));
        a.src(Src::Slot(l.present[t]));
        a.assert_bool();
        // aux_hash = merge(aux0, aux1).
        let (aux0, aux1) = l.aux[t];
        a.srcs(&digest_at(aux0));
        for i in 0..4 {
            a.src(Src::Slot(aux1 + i));
            a.i(Instr::Store(l.scratch + i));
        }
        a.i(Instr::Hash(l.scratch));
        a.store_digest(l.aux_hash[t]);

        a.i(Instr::Frame);
        let created = t >= n;
        a.src(Src::Const(created as u64));
        a.srcs(&digest_at(l.tag[t]));
        a.srcs(&digest_at(l.action));
        a.src(Src::Const(n as u64));
        a.src(Src::Const(l.m as u64));
        push_resource(&mut a, &s);
        // other: present, created, index, then each field as Σ_u sel_u · field_u.
        a.src(Src::Slot(l.present[t]));
        let mux = |a: &mut Asm, f: &dyn Fn(usize) -> Src| {
            a.src(Src::Const(0));
            for u in 0..r {
                a.src(Src::Slot(l.sel[t] + u as u32));
                a.src(f(u));
                a.i(Instr::Mul);
                a.i(Instr::Add);
            }
        };
        mux(&mut a, &|u| Src::Const((u >= n) as u64));
        mux(&mut a, &|u| {
            Src::Const(if u >= n { u - n } else { u } as u64)
        });
        for f in 0..RES_FIELDS {
            mux(&mut a, &|u| resource_field(&l.res[u], f));
        }
        a.srcs(&digest_at(aux0));
        a.srcs(&digest_at(aux1));
        a.srcs(&digest_at(l.aux_hash[t]));
        a.i(Instr::Call(*f_logic));
        a.src(Src::Const(1));
        a.i(Instr::Sub);
        a.assert_zero();
    }
    a.src(Src::Const(1));
    a.i(Instr::Ret);
    let fail = a.code.len() as u32;
    a.src(Src::Const(0));
    a.i(Instr::Ret);
    for pc in std::mem::take(&mut a.fail_sites) {
        if let Instr::Branch(next, _) = a.code[pc] {
            a.code[pc] = Instr::Branch(next, fail);
        }
    }
    // Linked code was laid out from address 0 of `tail_code`: shift it behind main.
    let base = a.code.len() as u32;
    for f in functions.iter_mut().skip(1) {
        f.entry += base;
    }
    a.code
        .extend(tail_code.into_iter().map(|i| shift_pc(i, base as i64)));
    // The generated part is fused like compiled code (the linked logics already are).
    Program::new(a.code, functions, 0)
        .and_then(|p| resvm_isa::fuse_program(&p))
        .map_err(|e| Error::Malformed(format!("generated action program: {e}")))
}

/// Elements of a resource as logics see it: logic(4), label(4), quantity, value(4),
/// ephemerality, kind(4) (the order of ABI v1).
const RES_FIELDS: usize = crate::logic::RESOURCE_LEN;

fn resource_field(s: &ResSlots, f: usize) -> Src {
    match f {
        0..=3 => Src::Slot(s.logic + f as u32),
        4..=7 => Src::Slot(s.label + f as u32 - 4),
        8 => Src::Slot(s.quantity),
        9..=12 => Src::Slot(s.value + f as u32 - 9),
        13 => s.eph,
        _ => Src::Slot(s.kind + f as u32 - 14),
    }
}

fn push_resource(a: &mut Asm, s: &ResSlots) {
    for f in 0..RES_FIELDS {
        a.src(resource_field(s, f));
    }
}

/// Pushes the commitment of a resource (the chain of `Resource::encoding`).
fn commitment(a: &mut Asm, s: &ResSlots) {
    a.chain(
        chain_iv(DOMAIN_COMMITMENT, 22),
        &[
            digest_at(s.logic),
            digest_at(s.label),
            digest_at(s.value),
            digest_at(s.nonce),
            digest_at(s.nc),
            [Src::Slot(s.quantity), s.eph, Src::Const(0), Src::Const(0)],
        ],
    );
}

fn shift_pc(i: Instr, by: i64) -> Instr {
    i.map_jump_targets(|x| (x as i64 + by) as u32)
}

/// Appends `p`'s functions (without its bootstrap) to `code` / `functions`, renumbering
/// code addresses (relative to the start of `code`) and function indices; returns the
/// index of `p`'s `main`.
fn link(p: &Program, code: &mut Vec<Instr>, functions: &mut Vec<Function>) -> Result<u32, Error> {
    let boot = p.main_function().arity as usize + 3;
    let pc_code = p.code();
    let ok_boot = pc_code.len() > boot
        && pc_code[0] == Instr::Frame
        && pc_code[boot - 2] == Instr::Call(p.main())
        && pc_code[boot - 1] == Instr::Halt;
    if !ok_boot {
        return Err(Error::LogicAbi(
            "logic image does not start with the standard bootstrap".into(),
        ));
    }
    let pc_off = code.len() as i64 - boot as i64;
    let fn_off = functions.len() as u32;
    for i in &pc_code[boot..] {
        let i = match *i {
            Instr::Call(f) => Instr::Call(f + fn_off),
            Instr::TailCall(f) => Instr::TailCall(f + fn_off),
            Instr::STailCall(f, k) => Instr::STailCall(f + fn_off, k),
            Instr::Repr(f) => Instr::Repr(f + fn_off),
            Instr::Halt | Instr::Input(_) | Instr::Secret(_) => {
                return Err(Error::LogicAbi(
                    "logic image has bootstrap instructions inside its functions".into(),
                ))
            }
            i => shift_pc(i, pc_off),
        };
        code.push(i);
    }
    for f in p.functions() {
        let entry = f.entry as i64 + pc_off;
        functions.push(Function {
            name: format!("logic_{}", f.name),
            entry: u32::try_from(entry)
                .map_err(|_| Error::LogicAbi("logic function inside its bootstrap".into()))?,
            arity: f.arity,
            frame: f.frame,
        });
    }
    Ok(fn_off + p.main())
}

/// The public inputs of an action's proof (the values of the action program's public
/// parameters): action digest, nullifiers, commitments, roots of persistent consumed
/// resources, then per delta entry its kind and quantity (negative ones as p − |q|).
pub fn public_inputs(stmt: &ActionStatement) -> Vec<F> {
    let mut v = Vec::new();
    v.extend(stmt.action.elements());
    for t in stmt.consumed.iter().chain(stmt.created) {
        v.extend(t.elements());
    }
    for r in stmt.roots.iter().flatten() {
        v.extend(r.elements());
    }
    for (kind, q) in stmt.delta.entries() {
        v.extend(kind.elements());
        v.push(F::new(field(*q)));
    }
    v
}

/// The witness of an action's proof (the values of the action program's secret parameters,
/// which follow the public ones).
pub fn witness_inputs(stmt: &ActionStatement, w: &ActionWitness) -> Vec<F> {
    let r = stmt.tags();
    let mut v = Vec::new();
    let d = |v: &mut Vec<F>, x: &Digest| v.extend(x.elements());
    for c in &w.consumed {
        let x = &c.resource;
        for dg in [&x.logic, &x.label, &x.value, &x.nonce, &x.nc] {
            d(&mut v, dg);
        }
        v.push(F::new(x.quantity));
        if let Some(p) = &c.path {
            for (level, s) in p.siblings.iter().enumerate() {
                d(&mut v, s);
                v.push(F::new((p.index >> level) & 1));
            }
        }
    }
    for c in &w.created {
        let x = &c.resource;
        for dg in [&x.logic, &x.label, &x.value, &x.nc] {
            d(&mut v, dg);
        }
        v.push(F::new(x.quantity));
        v.push(F::new(x.ephemerality()));
        d(&mut v, &c.rand);
    }
    let n = stmt.consumed.len();
    for tw in &w.tags {
        let mut sel = vec![F::new(0); r];
        if let Some((created, i)) = tw.other {
            sel[if created { n + i as usize } else { i as usize }] = F::new(1);
        }
        v.extend(sel);
        d(&mut v, &tw.aux[0].0);
        d(&mut v, &tw.aux[1].0);
    }
    v
}

fn program_for(stmt: &ActionStatement, programs: &[&Program]) -> Result<Program, Error> {
    stmt.check_shape()?;
    for (t, p) in programs.iter().enumerate() {
        if stmt.logics.get(t) != Some(&p.digest()) {
            return Err(Error::InvalidProof(format!(
                "tag {t}: the program given is not the logic the action names"
            )));
        }
    }
    let persistent: Vec<bool> = stmt.roots.iter().map(Option::is_some).collect();
    action_program(
        &persistent,
        stmt.created.len(),
        stmt.delta.entries().len(),
        programs,
    )
}

/// The images of the logics.
fn images<'a>(logics: &[&'a LogicProgram]) -> Vec<&'a Program> {
    logics.iter().map(|p| &p.compiled.program).collect()
}

/// An action's proof, parsed, with the program it is about and its public inputs.
struct Prepared {
    program: Program,
    inputs: Vec<F>,
    proof: Proof,
}

impl StarkBackend {
    /// The action program and the parsed proof.
    fn prepare(
        &self,
        stmt: &ActionStatement,
        programs: &[&Program],
        proof: &[u8],
    ) -> Result<Prepared, Error> {
        Ok(Prepared {
            program: program_for(stmt, programs)?,
            inputs: public_inputs(stmt),
            proof: Proof::from_bytes(proof).map_err(|e| Error::InvalidProof(e.to_string()))?,
        })
    }

    /// The STARK check of a prepared proof: the action program outputs 1.
    fn check(&self, p: &Prepared) -> Result<(), Error> {
        resvm_prover::verify_with(
            &p.program,
            &p.inputs,
            F::new(1),
            &p.proof,
            VerifyOptions {
                allow_test: self.security == SecurityLevel::Test,
            },
        )
        .map_err(|e| Error::InvalidProof(format!("STARK: {e}")))
    }
}

impl ProvingBackend for StarkBackend {
    fn name(&self) -> &'static str {
        "stark-v1"
    }

    fn prove(
        &self,
        stmt: &ActionStatement,
        programs: &[&LogicProgram],
        witness: &ActionWitness,
    ) -> Result<Vec<u8>, Error> {
        // The native check first: a false statement fails with its precise reason.
        check_action(stmt, programs, witness)?;
        let program = program_for(stmt, &images(programs))?;
        let opts = ProveOptions {
            security: self.security,
            limits: resvm_exec::Limits {
                max_steps: Some(LOGIC_MAX_STEPS * (1 + stmt.tags() as u64)),
                ..Default::default()
            },
        };
        let (proof, _) = resvm_prover::prove_with(
            &program,
            &public_inputs(stmt),
            &witness_inputs(stmt, witness),
            &opts,
            &mut |_| {},
        )
        .map_err(|e| Error::InvalidProof(format!("proving failed: {e}")))?;
        if proof.statement.output != F::new(1) {
            return Err(Error::InvalidProof(
                "the action program rejected the witness".into(),
            ));
        }
        Ok(proof.to_bytes())
    }

    fn verify(
        &self,
        stmt: &ActionStatement,
        programs: &[&LogicProgram],
        proof: &[u8],
    ) -> Result<(), Error> {
        self.check(&self.prepare(stmt, &images(programs), proof)?)
    }

    /// Every job on all cores: the logics themselves are not thread-safe (their compilers
    /// cache), their images are.
    fn verify_all(&self, jobs: &[VerifyJob<'_>]) -> Vec<Result<(), Error>> {
        use p3_maybe_rayon::prelude::*;
        let jobs: Vec<(ActionStatement<'_>, Vec<&Program>, &[u8])> = jobs
            .iter()
            .map(|j| (j.stmt, images(&j.programs), j.proof))
            .collect();
        jobs.into_par_iter()
            .map(|(stmt, images, proof)| self.check(&self.prepare(&stmt, &images, proof)?))
            .collect()
    }
}
