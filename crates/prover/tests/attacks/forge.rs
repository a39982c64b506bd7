//! A permissive executor with the AIR's semantics (field registers and addresses, no
//! structural checks, a free choice of every `SECRET` value, no depth or step limit; `HASH` is not
//! modelled) and an
//! assembler that lays its run out exactly as `resvm_prover::trace::generate` does. On an
//! honest run both agree bit for bit with `generate` (tested); on runs the interpreter traps
//! on they produce the tables a cheating prover would feed `prove_traces`.

use core::borrow::BorrowMut;
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use p3_matrix::dense::RowMajorMatrix;
use resvm_isa::{Instr, Opcode, Program};
use resvm_prover::air::{
    compare, cpu, hash, memory, padded_height, rom, tables_for, TableKind, Val,
};
use resvm_prover::{public_params, Statement};
use std::collections::HashMap;

/// One executed instruction.
#[derive(Clone, Debug)]
pub struct Step {
    pub pc: u64,
    pub fp: Val,
    pub sp: Val,
    pub instr: Instr,
    /// `(addr, value, is_write)` in slot order.
    pub acc: Vec<(Val, Val, bool)>,
    /// The function-table tuple `(f, repr, entry, arity, frame)` of a call, eval or repr.
    pub tuple: Option<[Val; 5]>,
}

/// How the cheating run departs from the interpreter.
pub struct Cheat<'a> {
    /// Value written by the `n`-th execution (from 0) of `SECRET i`: `secret(i, n)`.
    pub secret: &'a dyn Fn(u32, usize) -> Val,
    /// Tuple used by `EVAL`/`TAILEVAL`/`REFLECT` of a value that is no repr (a forgery:
    /// the interpreter traps there).
    pub fake_tuple: Option<[Val; 5]>,
}

/// Runs `p` on all of main's parameters with the AIR's semantics; `None` if the run leaves
/// the code, branches on a non-boolean or exceeds `max_steps`.
pub fn air_run(p: &Program, inputs: &[Val], cheat: &Cheat, max_steps: usize) -> Option<Vec<Step>> {
    air_run_tampered(p, inputs, cheat, max_steps, None)
}

/// A value the cheating run writes wrong: step `step`'s `write`-th write (from 0) gets `delta`
/// added, and later reads of that cell see the tampered value.
#[derive(Clone, Copy, Debug)]
pub struct Tamper {
    pub step: usize,
    pub write: usize,
    pub delta: Val,
}

/// [`air_run`] with one written value tampered with.
pub fn air_run_tampered(
    p: &Program,
    inputs: &[Val],
    cheat: &Cheat,
    max_steps: usize,
    tamper: Option<Tamper>,
) -> Option<Vec<Step>> {
    let code = p.code();
    let fns = p.functions();
    let mut mem: HashMap<u64, Val> = HashMap::new();
    let (mut pc, mut fp, mut sp) = (0u64, Val::ZERO, Val::ZERO);
    let mut secrets_read: HashMap<u32, usize> = HashMap::new();
    let mut steps = Vec::new();
    let k = |x: u64| Val::from_u64(x);
    let tuple_of = |f: u32| -> [Val; 5] {
        let info = &fns[f as usize];
        [
            k(f as u64),
            p.repr(f).unwrap(),
            k(info.entry as u64),
            k(info.arity as u64),
            k(info.frame as u64),
        ]
    };
    loop {
        if steps.len() >= max_steps {
            return None;
        }
        let instr = *code.get(pc as usize)?;
        let mut s = Step {
            pc,
            fp,
            sp,
            instr,
            acc: vec![],
            tuple: None,
        };
        let rd = |s: &mut Step, a: Val| -> Val {
            let v = mem.get(&a.as_canonical_u64()).copied().unwrap_or(Val::ZERO);
            s.acc.push((a, v, false));
            v
        };
        // Writes are collected and applied after the reads of the same step.
        let mut wr: Vec<(Val, Val)> = vec![];
        let one = Val::ONE;
        let mut next = pc + 1;
        let by_repr = |g: Val| -> Option<[Val; 5]> {
            match p.reflect(g) {
                Some(f) => Some(tuple_of(f)),
                None => cheat.fake_tuple,
            }
        };
        let mut halt = false;
        match instr {
            Instr::Halt => {
                let _output = rd(&mut s, sp - one);
                halt = true;
            }
            Instr::Push(c) => {
                wr.push((sp, c));
                sp += one;
            }
            Instr::Pop => sp -= one,
            Instr::Load(a) => {
                let v = rd(&mut s, fp + k(a as u64));
                wr.push((sp, v));
                sp += one;
            }
            Instr::Store(a) => {
                let v = rd(&mut s, sp - one);
                wr.push((fp + k(a as u64), v));
                sp -= one;
            }
            Instr::Neg => {
                let v = rd(&mut s, sp - one);
                wr.push((sp - one, -v));
            }
            Instr::Add | Instr::Sub | Instr::Mul | Instr::Compare => {
                let x = rd(&mut s, sp - k(2));
                let y = rd(&mut s, sp - one);
                let r = match instr {
                    Instr::Add => x + y,
                    Instr::Sub => x - y,
                    Instr::Mul => x * y,
                    _ => resvm_field::lt(x, y),
                };
                wr.push((sp - k(2), r));
                sp -= one;
            }
            // Fused instructions (reads see memory before the step's writes: the forged
            // programs keep a fused op's read and write cells apart).
            Instr::AddSS(a, b) | Instr::SubSS(a, b) | Instr::MulSS(a, b) | Instr::LtSS(a, b) => {
                let x = rd(&mut s, fp + k(a as u64));
                let y = rd(&mut s, fp + k(b as u64));
                let r = match instr {
                    Instr::AddSS(..) => x + y,
                    Instr::SubSS(..) => x - y,
                    Instr::MulSS(..) => x * y,
                    _ => resvm_field::lt(x, y),
                };
                wr.push((sp, r));
                sp += one;
            }
            Instr::AddSI(a, c)
            | Instr::SubSI(a, c)
            | Instr::MulSI(a, c)
            | Instr::LtSI(a, c)
            | Instr::RSubSI(a, c)
            | Instr::RLtSI(a, c) => {
                let x = rd(&mut s, fp + k(a as u64));
                let r = match instr {
                    Instr::AddSI(..) => x + c,
                    Instr::SubSI(..) => x - c,
                    Instr::MulSI(..) => x * c,
                    Instr::LtSI(..) => resvm_field::lt(x, c),
                    Instr::RSubSI(..) => c - x,
                    _ => resvm_field::lt(c, x),
                };
                wr.push((sp, r));
                sp += one;
            }
            Instr::EqZS(a) => {
                let x = rd(&mut s, fp + k(a as u64));
                wr.push((sp, resvm_field::lt(Val::ZERO, x)));
                sp += one;
            }
            Instr::Load2(a, b) => {
                let x = rd(&mut s, fp + k(a as u64));
                let y = rd(&mut s, fp + k(b as u64));
                wr.push((sp, x));
                wr.push((sp + one, y));
                sp += k(2);
            }
            Instr::Store2(a, b) => {
                let y = rd(&mut s, sp - one);
                let x = rd(&mut s, sp - k(2));
                wr.push((fp + k(a as u64), y));
                wr.push((fp + k(b as u64), x));
                sp -= k(2);
            }
            Instr::STailCall(f, slot) => {
                let v = rd(&mut s, sp - one);
                wr.push((fp + k(slot as u64), v));
                let t = tuple_of(f);
                s.tuple = Some(t);
                sp = fp + t[4];
                next = t[2].as_canonical_u64();
            }
            // Slot moves without the stack: a read (of `b`, or of `a` itself), then the write of
            // `a`; sp unchanged. `INCS`'s read of its own slot sees the value before the write.
            Instr::MovS(a, b) => {
                let v = rd(&mut s, fp + k(b as u64));
                wr.push((fp + k(a as u64), v));
            }
            Instr::IncS(a, c) => {
                let v = rd(&mut s, fp + k(a as u64));
                wr.push((fp + k(a as u64), v + c));
            }
            Instr::Branch(t0, t1) => {
                let c = rd(&mut s, sp - one);
                sp -= one;
                next = match c.as_canonical_u64() {
                    0 => t0 as u64,
                    1 => t1 as u64,
                    _ => return None,
                };
            }
            Instr::Jump(t) => next = t as u64,
            Instr::BrZS(t, slot) => {
                if rd(&mut s, fp + k(slot as u64)) == Val::ZERO {
                    next = t as u64;
                }
            }
            Instr::Frame => sp += k(2),
            Instr::Call(f) | Instr::TailCall(f) | Instr::Repr(f) => {
                let t = tuple_of(f);
                s.tuple = Some(t);
                let [_, repr, ent, ar, frm] = t;
                match instr {
                    Instr::Call(_) => {
                        let nfp = sp - ar;
                        wr.push((nfp - k(2), k(pc + 1)));
                        wr.push((nfp - one, fp));
                        fp = nfp;
                        sp = nfp + frm;
                        next = ent.as_canonical_u64();
                    }
                    Instr::TailCall(_) => {
                        sp = fp + frm;
                        next = ent.as_canonical_u64();
                    }
                    _ => {
                        wr.push((sp, repr));
                        sp += one;
                    }
                }
            }
            Instr::Eval(_) | Instr::TailEval(_) | Instr::Reflect => {
                let g = rd(&mut s, sp - one);
                let t = by_repr(g)?;
                let t = [t[0], g, t[2], t[3], t[4]];
                s.tuple = Some(t);
                let [_, _, ent, ar, frm] = t;
                match instr {
                    Instr::Eval(_) => {
                        let nfp = sp - one - ar;
                        wr.push((nfp - k(2), k(pc + 1)));
                        wr.push((nfp - one, fp));
                        fp = nfp;
                        sp = nfp + frm;
                        next = ent.as_canonical_u64();
                    }
                    Instr::TailEval(_) => {
                        sp = fp + frm;
                        next = ent.as_canonical_u64();
                    }
                    _ => {}
                }
            }
            Instr::Ret => {
                let v = rd(&mut s, sp - one);
                let ret = rd(&mut s, fp - k(2));
                let cfp = rd(&mut s, fp - one);
                wr.push((fp - k(2), v));
                sp = fp - one;
                fp = cfp;
                next = ret.as_canonical_u64();
            }
            Instr::Input(i) => {
                wr.push((sp, *inputs.get(i as usize)?));
                sp += one;
            }
            // The hash chiplet's accesses are not forged here.
            Instr::Hash(_) => return None,
            // Brainfuck images are forged in `crates/prover/tests/brainfuck.rs`.
            Instr::BfAdd(_)
            | Instr::BfAdd8(_)
            | Instr::BfMove(_)
            | Instr::BfJz(_)
            | Instr::BfJnz(_)
            | Instr::BfIn
            | Instr::BfOut => return None,
            Instr::Secret(i) => {
                let n = secrets_read.entry(i).or_insert(0);
                wr.push((sp, (cheat.secret)(i, *n)));
                *n += 1;
                sp += one;
            }
        }
        if let Some(t) = tamper.filter(|t| t.step == steps.len()) {
            wr[t.write].1 += t.delta;
        }
        for &(a, v) in &wr {
            mem.insert(a.as_canonical_u64(), v);
        }
        // The accesses in the opcode table's slot order (reads and writes may interleave).
        let (mut reads, mut writes) = (std::mem::take(&mut s.acc).into_iter(), wr.into_iter());
        for acc in instr.opcode().spec().accesses() {
            let next_acc = if acc.write {
                writes.next().map(|(a, v)| (a, v, true))
            } else {
                reads.next()
            };
            s.acc.extend(next_acc);
        }
        s.acc.extend(reads);
        s.acc.extend(writes.map(|(a, v)| (a, v, true)));
        steps.push(s);
        if halt {
            return Some(steps);
        }
        pc = next;
    }
}

/// Lays a run out as the tables of a resvm proof (inner widths, `tables_for` order) and
/// the statement it proves. The CPU rows come from `CpuAir::fill_row` (registers and slot
/// addresses then overwritten with the run's field values), ROM, hash, compare, range and
/// inputs from the tables' own builders; only the memory table is laid out here, because its
/// addresses are field elements (the builder takes `u32`). `None` if the memory table cannot
/// be built (an address gap of 2^32 or more).
pub fn assemble(
    p: &Program,
    inputs: &[Val],
    steps: &[Step],
) -> Option<(Statement, Vec<RowMajorMatrix<Val>>)> {
    assemble_patched(p, inputs, steps, &|_, _| {})
}

/// [`assemble`], with `patch(clk, row)` applied to each filled CPU row before its chiplet
/// requests are collected (so the compare table follows a patched message).
pub fn assemble_patched(
    p: &Program,
    inputs: &[Val],
    steps: &[Step],
    patch: &dyn Fn(usize, &mut cpu::CpuCols<Val>),
) -> Option<(Statement, Vec<RowMajorMatrix<Val>>)> {
    let n = steps.len();
    let h = padded_height(n);
    let cpu_air = cpu::CpuAir::for_program(p);
    let cpu_w = cpu::FLAGS + cpu_air.ops().len();
    let mut cpu_t = Val::zero_vec(h * cpu_w);
    let mut fetch = vec![0u64; p.code().len()];
    let mut fn_uses = vec![0u64; p.functions().len()];
    let mut input_uses = vec![0u64; inputs.len()];
    let mut mem_rows: Vec<(u64, u64, Val, bool)> = vec![];
    let mut compares: Vec<(u64, u64)> = vec![];
    let mut range_mult = vec![0u64; rom::BYTES];
    let mut first_halt = true;
    for (clk, (s, row)) in steps.iter().zip(cpu_t.chunks_exact_mut(cpu_w)).enumerate() {
        let op = s.instr.opcode();
        let spec = op.spec();
        assert!(spec.chiplet_accesses.is_empty(), "{op:?} is not forged");
        assert_eq!(spec.slots.len(), s.acc.len(), "slot layout of {op:?}");
        for (&(addr, v, w), a) in s.acc.iter().zip(spec.accesses()) {
            assert_eq!(w, a.write, "access kinds of {op:?}");
            let ts = (clk * cpu::SLOTS) as u64 + a.sub as u64;
            mem_rows.push((ts, addr.as_canonical_u64(), v, w));
        }
        fetch[s.pc as usize] += 1;
        if let Some(t) = s.tuple {
            if let Some(u) = fn_uses.get_mut(t[0].as_canonical_u64() as usize) {
                if p.repr(t[0].as_canonical_u64() as u32) == Some(t[1]) {
                    *u += 1;
                }
            }
        }
        if let Instr::Input(i) = s.instr {
            input_uses[i as usize] += 1;
        }
        let is_first_halt = op == Opcode::Halt && first_halt;
        if is_first_halt {
            first_halt = false;
        }
        // Registers and addresses may be any field elements here: filled as 0, then set.
        let slots: Vec<(u32, Val)> = s.acc.iter().map(|&(_, v, _)| (0, v)).collect();
        cpu_air
            .fill_row(
                row,
                clk as u64,
                (s.pc as u32, 0, 0),
                &s.instr,
                &slots,
                s.tuple,
                is_first_halt,
            )
            .expect("an opcode of the image");
        let row: &mut cpu::CpuCols<Val> = row.borrow_mut();
        row.fp = s.fp;
        row.sp = s.sp;
        for (j, &(addr, _, _)) in s.acc.iter().enumerate() {
            row.addr[j] = addr;
        }
        patch(clk, row);
        if let Some(resvm_isa::spec::Chiplet::Compare { .. }) = spec.chiplet {
            compares.push((row.g.as_canonical_u64(), row.r.as_canonical_u64()));
        }
    }
    let last = steps.last()?;
    assert_eq!(last.instr, Instr::Halt);
    let halt_row: Vec<Val> = cpu_t[(n - 1) * cpu_w..n * cpu_w].to_vec();
    for clk in n..h {
        let row = &mut cpu_t[clk * cpu_w..(clk + 1) * cpu_w];
        row.copy_from_slice(&halt_row);
        let row: &mut cpu::CpuCols<Val> = row.borrow_mut();
        row.clk = Val::from_u64(clk as u64);
        row.active = Val::ZERO;
        row.fh = Val::ZERO;
        fetch[last.pc as usize] += 1;
    }
    let output = halt_row[cpu::V];

    // Memory (one address space, the stack's): sorted by (addr, ts) in the cyclic order of
    // the field that starts after the largest gap between used addresses (for honest runs:
    // plain numeric order).
    mem_rows.sort_unstable_by_key(|&(ts, addr, _, _)| (addr, ts));
    let p_ = resvm_field::P;
    if let (Some(&(_, lo, _, _)), Some(&(_, hi, _, _))) = (mem_rows.first(), mem_rows.last()) {
        let mut best = (lo + (p_ - hi), mem_rows.len()); // the wrap-around gap
        for e in 1..mem_rows.len() {
            let g = mem_rows[e].1 - mem_rows[e - 1].1;
            if g > best.0 {
                best = (g, e);
            }
        }
        let len = mem_rows.len();
        mem_rows.rotate_left(best.1 % len);
    }
    // One address space: the layout without the space columns.
    let slots = memory::MemoryAir::for_count(mem_rows.len(), false).slots();
    let width = slots * memory::STRIDE;
    let mh = padded_height(mem_rows.len().div_ceil(slots));
    let mut mem_t = Val::zero_vec(mh * width);
    let last_addr = mem_rows.last().map_or(0, |r| r.1);
    for e in 0..mh * slots {
        let at = (e / slots) * width + (e % slots) * memory::STRIDE;
        let row = &mut mem_t[at..at + memory::STRIDE];
        let row: &mut memory::MemSlot<Val> = row.borrow_mut();
        let Some(&(ts, addr, v, w)) = mem_rows.get(e) else {
            row.addr = Val::from_u64(last_addr) + Val::from_u64(1 + (e - mem_rows.len()) as u64);
            range_mult[0] += memory::D_LIMBS as u64;
            continue;
        };
        row.addr = Val::from_u64(addr);
        row.ts = Val::from_u64(ts);
        row.val = v;
        row.w = Val::from_bool(w);
        row.real = Val::ONE;
        let diff = if e == 0 {
            0
        } else {
            let (pts, paddr, _, _) = mem_rows[e - 1];
            if paddr == addr {
                row.same = Val::ONE;
                ts - pts - 1
            } else {
                (Val::from_u64(addr) - Val::from_u64(paddr) - Val::ONE).as_canonical_u64()
            }
        };
        if diff >> 32 != 0 {
            return None;
        }
        for j in 0..memory::D_LIMBS {
            let byte = (diff >> (8 * j)) & 0xff;
            row.d[j] = Val::from_u64(byte);
            range_mult[byte as usize] += 1;
        }
        if !w {
            row.rv = v;
            row.sr = row.same;
        }
    }

    // Forged runs have no `HASH`: the table is empty (and left out unless the image has one).
    let hash_t = hash::build(&[], padded_height(0));
    // Nor the compare table when the image asks it nothing (then its range lookups are absent).
    let cmp_t = tables_for(p)
        .contains(&TableKind::Compare)
        .then(|| compare::build(&compares, padded_height(compares.len()), &mut range_mult));
    let params = public_params(p);
    let public: Vec<(u32, Val)> = params.iter().map(|&i| (i, inputs[i as usize])).collect();
    let uses = rom::Uses {
        fetch: &fetch,
        functions: &fn_uses,
        inputs: &input_uses,
        bytes: &range_mult,
    };
    let rom_t = rom::build(p, &public, &uses);
    let st = Statement {
        program: p.digest(),
        public_inputs: public.iter().map(|x| x.1).collect(),
        output,
        cycles: n as u64,
        io: Default::default(),
    };
    let mut tables: Vec<Option<RowMajorMatrix<Val>>> = vec![None; tables_for(p).len()];
    for (kind, t) in [
        (TableKind::Cpu, Some(RowMajorMatrix::new(cpu_t, cpu_w))),
        (TableKind::Memory, Some(RowMajorMatrix::new(mem_t, width))),
        (TableKind::Rom, Some(rom_t)),
        (TableKind::Compare, cmp_t),
        (TableKind::Hash, Some(hash_t)),
    ] {
        if let Some((slot, t)) = tables.get_mut(kind.index()).zip(t) {
            *slot = Some(t);
        }
    }
    Some((st, tables.into_iter().map(Option::unwrap).collect()))
}

/// The step index of the first execution of `op` in the honest run of `p` on `inputs`.
pub fn first_step(p: &Program, inputs: &[Val], op: Opcode) -> usize {
    let cheat = Cheat {
        secret: &honest(inputs),
        fake_tuple: None,
    };
    let steps = air_run(p, inputs, &cheat, 1000).expect("the AIR admits the run");
    steps
        .iter()
        .position(|s| s.instr.opcode() == op)
        .expect("the program runs op")
}

/// A verdict on a claim and its tables (the attack suite's `judge_test`).
pub type Judge<'a> = &'a dyn Fn(
    &Program,
    &Statement,
    &[RowMajorMatrix<Val>],
) -> Result<(), resvm_prover::VerifyError>;

/// The honest run of `p` on `inputs`, forged at the first `op` step: its `write`-th write
/// gets `delta` added (`tamper`, if any) and `patch` edits that step's CPU row. The
/// untampered layout must verify (checked); returns its claim and the verdict on the forgery.
pub fn forge_first_step(
    p: &Program,
    inputs: &[Val],
    op: Opcode,
    tamper: Option<(usize, Val)>,
    patch: &dyn Fn(&mut cpu::CpuCols<Val>),
    judge: Judge<'_>,
) -> (Statement, Result<(), resvm_prover::VerifyError>) {
    let cheat = Cheat {
        secret: &honest(inputs),
        fake_tuple: None,
    };
    let (honest_st, t) = assemble(p, inputs, &air_run(p, inputs, &cheat, 1000).unwrap()).unwrap();
    assert_eq!(
        judge(p, &honest_st, &t),
        Ok(()),
        "untampered forge of {op:?}"
    );
    let step = first_step(p, inputs, op);
    let tamper = tamper.map(|(write, delta)| Tamper { step, write, delta });
    let steps = air_run_tampered(p, inputs, &cheat, 1000, tamper).expect("the AIR admits the run");
    let (st, t) = assemble_patched(p, inputs, &steps, &|clk, row| {
        if clk == step {
            patch(row);
        }
    })
    .unwrap();
    (honest_st, judge(p, &st, &t))
}

/// Recomputes a CPU row's degree-2 helper products after a patch of its values.
pub fn products(row: &mut cpu::CpuCols<Val>) {
    row.p = row.v[0] * row.v[1];
    row.q = row.v[0] * row.v[2];
    row.s = row.v[2] * row.v[3];
}

/// The honest cheat: `SECRET i` reads parameter `i`.
pub fn honest(inputs: &[Val]) -> impl Fn(u32, usize) -> Val + '_ {
    move |i, _| inputs.get(i as usize).copied().unwrap_or(Val::ZERO)
}

/// Whether an opcode's flag is set on a CPU row of a proof about `p`.
pub fn is_op(p: &Program, t: &RowMajorMatrix<Val>, row: usize, op: Opcode) -> bool {
    cpu::CpuAir::for_program(p)
        .flag(op)
        .is_some_and(|c| t.values[row * t.width + c] == Val::ONE)
}
