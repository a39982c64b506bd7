//! A permissive executor with the AIR's semantics (field registers and addresses, no
//! structural checks, a free choice of every `SECRET` value, no depth or step limit) and an
//! assembler that lays its run out exactly as `resvm_prover::trace::generate` does. On an
//! honest run both agree bit for bit with `generate` (tested); on runs the interpreter traps
//! on they produce the tables a cheating prover would feed `prove_traces`.

use p3_field::{PrimeCharacteristicRing, PrimeField64};
use p3_matrix::dense::RowMajorMatrix;
use resvm_isa::{Instr, Opcode, Program};
use resvm_prover::air::{compare, cpu, inputs, memory, range, Val, MIN_LOG_HEIGHT};
use resvm_prover::{public_params, trace, Statement};
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
            Instr::Secret(i) => {
                let n = secrets_read.entry(i).or_insert(0);
                wr.push((sp, (cheat.secret)(i, *n)));
                *n += 1;
                sp += one;
            }
        }
        for (a, v) in wr {
            s.acc.push((a, v, true));
            mem.insert(a.as_canonical_u64(), v);
        }
        steps.push(s);
        if halt {
            return Some(steps);
        }
        pc = next;
    }
}

fn padded_height(n: usize) -> usize {
    n.next_power_of_two().max(1 << MIN_LOG_HEIGHT)
}

/// Lays a run out as the six tables (inner widths, [`resvm_prover::air::TABLES`] order) and
/// the statement it proves. `None` if the memory table cannot be built (an address gap of
/// 2^32 or more).
pub fn assemble(
    p: &Program,
    inputs: &[Val],
    steps: &[Step],
) -> Option<(Statement, Vec<RowMajorMatrix<Val>>)> {
    let n = steps.len();
    let h = padded_height(n);
    let mut cpu_t = Val::zero_vec(h * cpu::WIDTH);
    let mut fetch = vec![0u64; p.code().len()];
    let mut fn_uses = vec![0u64; p.functions().len()];
    let mut input_uses: HashMap<u32, u64> = HashMap::new();
    let mut mem_rows: Vec<(u64, u64, Val, bool)> = vec![];
    let mut compares: Vec<(u64, u64)> = vec![];
    let mut range_mult = vec![0u64; 1 << range::LOG_HEIGHT];
    let mut first_halt = true;
    for (clk, s) in steps.iter().enumerate() {
        let row = &mut cpu_t[clk * cpu::WIDTH..(clk + 1) * cpu::WIDTH];
        let op = s.instr.opcode();
        let [_, a, b] = s.instr.encode();
        row[cpu::CLK] = Val::from_u64(clk as u64);
        row[cpu::PC] = Val::from_u64(s.pc);
        row[cpu::FP] = s.fp;
        row[cpu::SP] = s.sp;
        row[cpu::A] = a;
        row[cpu::B] = b;
        row[cpu::FLAGS + op as usize] = Val::ONE;
        row[cpu::ACTIVE] = Val::ONE;
        assert_eq!(cpu::slots(op).len(), s.acc.len(), "slot layout of {op:?}");
        for (j, &(addr, v, w)) in s.acc.iter().enumerate() {
            row[cpu::ADDR + j] = addr;
            row[cpu::V + j] = v;
            mem_rows.push(((clk * cpu::SLOTS + j) as u64, addr.as_canonical_u64(), v, w));
        }
        fetch[s.pc as usize] += 1;
        if let Some(t) = s.tuple {
            row[cpu::G..cpu::G + 5].copy_from_slice(&t);
            if let Some(u) = fn_uses.get_mut(t[0].as_canonical_u64() as usize) {
                if p.repr(t[0].as_canonical_u64() as u32) == Some(t[1]) {
                    *u += 1;
                }
            }
        }
        match s.instr {
            Instr::Compare => {
                compares.push((
                    row[cpu::V].as_canonical_u64(),
                    row[cpu::V + 1].as_canonical_u64(),
                ));
                row[cpu::G] = row[cpu::V];
                row[cpu::R] = row[cpu::V + 1];
                row[cpu::ENT] = row[cpu::V + 2];
            }
            Instr::Input(i) => {
                *input_uses.entry(i).or_insert(0) += 1;
                row[cpu::G] = a;
                row[cpu::R] = row[cpu::V];
            }
            Instr::Branch(..) => {
                row[cpu::V + 1] = b - a;
                row[cpu::V + 2] = Val::ONE - row[cpu::V];
            }
            Instr::Halt if first_halt => {
                row[cpu::FH] = Val::ONE;
                first_halt = false;
            }
            _ => {}
        }
        row[cpu::P] = row[cpu::V] * row[cpu::V + 1];
        row[cpu::Q] = row[cpu::V] * row[cpu::V + 2];
    }
    let last = steps.last()?;
    assert_eq!(last.instr, Instr::Halt);
    let halt_row: Vec<Val> = cpu_t[(n - 1) * cpu::WIDTH..n * cpu::WIDTH].to_vec();
    for clk in n..h {
        let row = &mut cpu_t[clk * cpu::WIDTH..(clk + 1) * cpu::WIDTH];
        row.copy_from_slice(&halt_row);
        row[cpu::CLK] = Val::from_u64(clk as u64);
        row[cpu::ACTIVE] = Val::ZERO;
        row[cpu::FH] = Val::ZERO;
        fetch[last.pc as usize] += 1;
    }
    let output = halt_row[cpu::V];

    // Memory: sorted by (addr, ts) in the cyclic order of the field that starts after the
    // largest gap between used addresses (for honest runs: plain numeric order).
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
    let mh = padded_height(mem_rows.len().div_ceil(memory::SLOTS));
    let mut mem_t = Val::zero_vec(mh * memory::WIDTH);
    let last_addr = mem_rows.last().map_or(0, |r| r.1);
    for e in 0..mh * memory::SLOTS {
        let at = (e / memory::SLOTS) * memory::WIDTH + (e % memory::SLOTS) * memory::STRIDE;
        let row = &mut mem_t[at..at + memory::STRIDE];
        let Some(&(ts, addr, v, w)) = mem_rows.get(e) else {
            row[memory::ADDR] =
                Val::from_u64(last_addr) + Val::from_u64(1 + (e - mem_rows.len()) as u64);
            range_mult[0] += memory::D_LIMBS as u64;
            continue;
        };
        row[memory::ADDR] = Val::from_u64(addr);
        row[memory::TS] = Val::from_u64(ts);
        row[memory::VAL] = v;
        row[memory::W] = Val::from_bool(w);
        row[memory::REAL] = Val::ONE;
        let diff = if e == 0 {
            0
        } else {
            let (pts, paddr, _, _) = mem_rows[e - 1];
            if paddr == addr {
                row[memory::SAME] = Val::ONE;
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
            row[memory::D + j] = Val::from_u64(byte);
            range_mult[byte as usize] += 1;
        }
        if !w {
            row[memory::RV] = v;
            if row[memory::SAME] == Val::ONE {
                row[memory::SR] = Val::ONE;
            }
        }
    }

    let ch = padded_height(compares.len());
    let mut cmp_t = Val::zero_vec(ch * compare::WIDTH);
    for i in 0..ch {
        let row = &mut cmp_t[i * compare::WIDTH..(i + 1) * compare::WIDTH];
        let (a, b, real) = compares
            .get(i)
            .map_or((0, 0, false), |&(a, b)| (a, b, true));
        compare::fill_row(row, a, b, real);
        for l in 0..3 * compare::NL {
            range_mult[row[compare::LIMBS + l].as_canonical_u64() as usize] += 1;
        }
    }
    let mut range_t = Val::zero_vec((1 << range::LOG_HEIGHT) * range::WIDTH);
    for (v, m) in range_mult.iter().enumerate() {
        range_t[v * range::WIDTH + range::VALUE] = Val::from_u64(v as u64);
        range_t[v * range::WIDTH + range::MULT] = Val::from_u64(*m);
    }
    let params = public_params(p);
    let ih = 1 << inputs::InputsAir::log_height_for(params.len());
    let mut in_t = Val::zero_vec(ih * inputs::WIDTH);
    for (j, &i) in params.iter().enumerate() {
        in_t[j * inputs::WIDTH + inputs::IDX] = Val::from_u64(i as u64);
        in_t[j * inputs::WIDTH + inputs::VALUE] = inputs[i as usize];
        in_t[j * inputs::WIDTH + inputs::MULT] =
            Val::from_u64(input_uses.get(&i).copied().unwrap_or(0));
    }
    let rom_t = trace::rom_trace(p, &fetch, &fn_uses);
    let st = Statement {
        program: p.digest(),
        public_inputs: params.iter().map(|&i| inputs[i as usize]).collect(),
        output,
        cycles: n as u64,
    };
    Some((
        st,
        vec![
            RowMajorMatrix::new(cpu_t, cpu::WIDTH),
            RowMajorMatrix::new(mem_t, memory::WIDTH),
            rom_t,
            RowMajorMatrix::new(cmp_t, compare::WIDTH),
            RowMajorMatrix::new(range_t, range::WIDTH),
            RowMajorMatrix::new(in_t, inputs::WIDTH),
        ],
    ))
}

/// The honest cheat: `SECRET i` reads parameter `i`.
pub fn honest(inputs: &[Val]) -> impl Fn(u32, usize) -> Val + '_ {
    move |i, _| inputs.get(i as usize).copied().unwrap_or(Val::ZERO)
}

/// Whether an opcode's flag is set on a CPU row.
pub fn is_op(t: &RowMajorMatrix<Val>, row: usize, op: Opcode) -> bool {
    t.values[row * cpu::WIDTH + cpu::FLAGS + op as usize] == Val::ONE
}
