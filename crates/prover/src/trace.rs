//! Witness generation: runs the interpreter (`resvm_exec::stack::run_traced`) and lays its
//! steps and memory accesses out as the tables of `crate::air`.

use crate::air::{compare, cpu, inputs, memory, range, rom, Val, MIN_LOG_HEIGHT};
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use p3_matrix::dense::RowMajorMatrix;
use resvm_exec::stack::{run_traced, Tracer};
use resvm_exec::{Limits, Trap};
use resvm_isa::{Instr, Program};

/// One executed instruction with its memory accesses, as the tracer reports them.
#[derive(Clone, Debug)]
struct Step {
    pc: u32,
    fp: u32,
    sp: u32,
    instr: Instr,
    /// `(addr, value, is_write)` in order.
    acc: Vec<(u32, Val, bool)>,
}

#[derive(Default)]
struct Recorder {
    steps: Vec<Step>,
}

impl Tracer for Recorder {
    fn step(&mut self, _clk: u64, pc: u32, fp: u32, sp: u32, instr: &Instr) {
        self.steps.push(Step {
            pc,
            fp,
            sp,
            instr: *instr,
            acc: Vec::with_capacity(4),
        });
    }
    fn read(&mut self, addr: u32, value: Val) {
        if let Some(s) = self.steps.last_mut() {
            s.acc.push((addr, value, false));
        }
    }
    fn write(&mut self, addr: u32, value: Val) {
        if let Some(s) = self.steps.last_mut() {
            s.acc.push((addr, value, true));
        }
    }
}

/// The traces of one run, in [`crate::air::TABLES`] order, with their public values.
pub struct Witness {
    /// One matrix per table.
    pub traces: Vec<RowMajorMatrix<Val>>,
    /// The program's output.
    pub output: Val,
    /// Instructions executed (HALT included).
    pub cycles: u64,
    /// Public inputs as `(parameter index, value)`.
    pub public_inputs: Vec<(u32, Val)>,
}

/// Why no witness could be built.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The program trapped (or the inputs were wrong): there is no run to prove.
    #[error("execution trapped: {0}")]
    Trap(#[from] Trap),
    /// The run does not fit the AIR's limits.
    #[error("run too large to prove: {0}")]
    TooLarge(String),
    /// The interpreter reported accesses that disagree with the AIR's slot layout (a bug).
    #[error("internal: interpreter trace does not match the AIR at cycle {0}")]
    Mismatch(u64),
}

/// Largest log2 table height accepted by prover and verifier.
pub const MAX_LOG_HEIGHT: usize = 22;

/// Most cycles the prover records unless told otherwise: about what 24 GB of memory proves
/// (a cycle limit is enforced while recording, so a longer run stops in bounded memory).
pub const DEFAULT_MAX_CYCLES: u64 = 1 << 21;

fn padded_height(n: usize) -> usize {
    n.next_power_of_two().max(1 << MIN_LOG_HEIGHT)
}

/// Runs `program` on all of main's parameters and builds every table.
///
/// The run is stopped while recording once it exceeds `limits.max_cycles` (default
/// [`DEFAULT_MAX_CYCLES`], never more than the CPU table can hold): a cycle limit set by the
/// caller gives [`Trap::CyclesExceeded`], the prover's own cap [`TraceError::TooLarge`]. The
/// caller's step and depth limits apply as in every engine.
pub fn generate(program: &Program, inputs: &[Val], limits: &Limits) -> Result<Witness, TraceError> {
    let hard_cap = 1u64 << MAX_LOG_HEIGHT;
    let cap = limits
        .max_cycles
        .unwrap_or(DEFAULT_MAX_CYCLES)
        .min(hard_cap);
    let capped = Limits {
        max_cycles: Some(cap),
        ..*limits
    };
    let mut rec = Recorder::default();
    let outcome = match run_traced(program, inputs, &capped, &mut rec) {
        Err(Trap::CyclesExceeded { .. }) if limits.max_cycles.is_none_or(|m| m > cap) => {
            return Err(TraceError::TooLarge(format!(
                "the run exceeds {cap} cycles, the most this prover records{}",
                if cap < hard_cap {
                    " by default (raise it with a cycle limit)"
                } else {
                    ""
                }
            )))
        }
        r => r?,
    };
    let steps = rec.steps;
    if steps.len() as u64 != outcome.cycles {
        return Err(TraceError::Mismatch(steps.len() as u64));
    }
    if steps.len() >= 1 << MAX_LOG_HEIGHT {
        return Err(TraceError::TooLarge(format!("{} cycles", steps.len())));
    }
    let secret = program.secret_params();
    let public_inputs: Vec<(u32, Val)> = secret
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(i, _)| (i as u32, inputs[i]))
        .collect();

    let funcs = program.functions();
    let mut fetch = vec![0u64; program.code().len()];
    let mut fn_uses = vec![0u64; funcs.len()];
    let mut input_uses = vec![0u64; inputs.len()];
    let mut range_mult = vec![0u64; 1 << range::LOG_HEIGHT];
    let mut mem_rows: Vec<(u64, u32, Val, bool)> = Vec::with_capacity(steps.len() * 2);
    let mut compares: Vec<(u64, u64)> = Vec::new();

    // CPU.
    let n = steps.len();
    let h = padded_height(n);
    let mut cpu_t = Val::zero_vec(h * cpu::WIDTH);
    let mut first_halt = true;
    for (clk, s) in steps.iter().enumerate() {
        let row = &mut cpu_t[clk * cpu::WIDTH..(clk + 1) * cpu::WIDTH];
        let op = s.instr.opcode();
        let [_, a, b] = s.instr.encode();
        row[cpu::CLK] = Val::from_u64(clk as u64);
        row[cpu::PC] = Val::from_u64(s.pc as u64);
        row[cpu::FP] = Val::from_u64(s.fp as u64);
        row[cpu::SP] = Val::from_u64(s.sp as u64);
        row[cpu::A] = a;
        row[cpu::B] = b;
        row[cpu::FLAGS + op as usize] = Val::ONE;
        row[cpu::ACTIVE] = Val::ONE;
        let layout = cpu::slots(op);
        if layout.len() != s.acc.len() {
            return Err(TraceError::Mismatch(clk as u64));
        }
        for (j, (&(addr, v, w), &(lw, _))) in s.acc.iter().zip(layout).enumerate() {
            if w != lw {
                return Err(TraceError::Mismatch(clk as u64));
            }
            row[cpu::ADDR + j] = Val::from_u64(addr as u64);
            row[cpu::V + j] = v;
            mem_rows.push(((clk * cpu::SLOTS + j) as u64, addr, v, w));
        }
        fetch[s.pc as usize] += 1;
        if cpu::uses_function(op) {
            let f = match s.instr {
                Instr::Call(f) | Instr::TailCall(f) | Instr::Repr(f) => f,
                _ => program
                    .reflect(row[cpu::V])
                    .ok_or(TraceError::Mismatch(clk as u64))?,
            };
            let info = &funcs[f as usize];
            row[cpu::G] = Val::from_u64(f as u64);
            row[cpu::R] = program.repr(f).ok_or(TraceError::Mismatch(clk as u64))?;
            row[cpu::ENT] = Val::from_u64(info.entry as u64);
            row[cpu::AR] = Val::from_u64(info.arity as u64);
            row[cpu::FRM] = Val::from_u64(info.frame as u64);
            fn_uses[f as usize] += 1;
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
                input_uses[i as usize] += 1;
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
    // Padding: the final HALT repeats, inactive, touching no memory.
    let last = steps.last().ok_or(TraceError::Mismatch(0))?;
    if last.instr != Instr::Halt {
        return Err(TraceError::Mismatch(n as u64));
    }
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

    // Memory: sorted by (addr, ts), two accesses per row, padding addresses counting up.
    mem_rows.sort_unstable_by_key(|&(ts, addr, _, _)| (addr, ts));
    let mh = padded_height(mem_rows.len().div_ceil(memory::SLOTS));
    if mh > 1 << MAX_LOG_HEIGHT {
        return Err(TraceError::TooLarge(format!(
            "{} memory accesses",
            mem_rows.len()
        )));
    }
    let mut mem_t = Val::zero_vec(mh * memory::WIDTH);
    let last_addr = mem_rows.last().map_or(0, |r| r.1 as u64);
    for e in 0..mh * memory::SLOTS {
        let at = (e / memory::SLOTS) * memory::WIDTH + (e % memory::SLOTS) * memory::STRIDE;
        let row = &mut mem_t[at..at + memory::STRIDE];
        let Some(&(ts, addr, v, w)) = mem_rows.get(e) else {
            // Padding: the address goes up by one, the difference is 0.
            row[memory::ADDR] = Val::from_u64(last_addr + 1 + (e - mem_rows.len()) as u64);
            range_mult[0] += memory::D_LIMBS as u64;
            continue;
        };
        row[memory::ADDR] = Val::from_u64(addr as u64);
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
                (addr - paddr - 1) as u64
            }
        };
        if diff >> 32 != 0 {
            return Err(TraceError::TooLarge(format!("memory gap {diff}")));
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

    // Compare chiplet.
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

    // Range table.
    let mut range_t = Val::zero_vec((1 << range::LOG_HEIGHT) * range::WIDTH);
    for (v, m) in range_mult.iter().enumerate() {
        range_t[v * range::WIDTH + range::VALUE] = Val::from_u64(v as u64);
        range_t[v * range::WIDTH + range::MULT] = Val::from_u64(*m);
    }

    // Public inputs.
    let ih = 1 << inputs::InputsAir::log_height_for(public_inputs.len());
    let mut in_t = Val::zero_vec(ih * inputs::WIDTH);
    for (j, &(i, x)) in public_inputs.iter().enumerate() {
        in_t[j * inputs::WIDTH + inputs::IDX] = Val::from_u64(i as u64);
        in_t[j * inputs::WIDTH + inputs::VALUE] = x;
        in_t[j * inputs::WIDTH + inputs::MULT] = Val::from_u64(input_uses[i as usize]);
    }

    let rom_t = rom_trace(program, &fetch, &fn_uses);

    Ok(Witness {
        traces: vec![
            RowMajorMatrix::new(cpu_t, cpu::WIDTH),
            RowMajorMatrix::new(mem_t, memory::WIDTH),
            rom_t,
            RowMajorMatrix::new(cmp_t, compare::WIDTH),
            RowMajorMatrix::new(range_t, range::WIDTH),
            RowMajorMatrix::new(in_t, inputs::WIDTH),
        ],
        output,
        cycles: outcome.cycles,
        public_inputs,
    })
}

/// The ROM table of `program` with the given fetch counts per pc and uses per function.
pub fn rom_trace(program: &Program, fetch: &[u64], fn_uses: &[u64]) -> RowMajorMatrix<Val> {
    let enc = program.encoding();
    let nblocks = enc.len() / 8;
    let nf = program.functions().len();
    let perms = nblocks + nf;
    let h = padded_height(2 * perms);
    let mut states: Vec<[Val; 12]> = Vec::with_capacity(h / 2);
    // The program sponge, block by block.
    let mut state = [Val::ZERO; 12];
    state[8] = Val::from_u64(enc.len() as u64);
    for block in enc.chunks(8) {
        state[..8].copy_from_slice(block);
        states.push(state);
        resvm_field::permute(&mut state);
    }
    debug_assert_eq!(
        resvm_field::Digest::from_elements([state[0], state[1], state[2], state[3]]),
        program.digest()
    );
    // Repr rows.
    let d = program.digest().elements();
    for f in 0..nf {
        let mut s = [Val::ZERO; 12];
        s[0] = Val::from_u64(rom::REPR_DOMAIN);
        s[1..5].copy_from_slice(&d);
        s[5] = Val::from_u64(f as u64);
        s[8] = Val::from_u64(6);
        states.push(s);
    }
    states.resize(h / 2, [Val::ZERO; 12]);
    // One permutation per row in Plonky3's layout (inputs, 4 full rounds, 22 partial rounds,
    // 4 full rounds), then split into the ROM's row A / row B layout.
    let p2 = p3_poseidon2_air::generate_trace_rows::<
        Val,
        p3_goldilocks::GenericPoseidon2LinearLayersGoldilocks,
        { rom::P2_WIDTH },
        { rom::SBOX_DEGREE },
        { rom::SBOX_REGISTERS },
        { rom::HALF_FULL_ROUNDS },
        { rom::PARTIAL_ROUNDS },
    >(states, &rom::round_constants(), 0);
    const W: usize = rom::P2_WIDTH;
    let full = rom::HALF_FULL_ROUNDS * 2 * W;
    let src_part = W + full;
    let src_width = src_part + 2 * rom::PARTIAL_ROUNDS + full;
    let a_part_cols = 2 * rom::A_PARTIAL;
    let mut t = Val::zero_vec(h * rom::WIDTH);
    for (p, src) in p2.values.chunks(src_width).enumerate() {
        let (ra, rb) = t[2 * p * rom::WIDTH..(2 * p + 2) * rom::WIDTH].split_at_mut(rom::WIDTH);
        // Row A: inputs, initial full rounds, first partial rounds, then the state after them.
        ra[..src_part + a_part_cols].copy_from_slice(&src[..src_part + a_part_cols]);
        let mut mid: [Val; W] = core::array::from_fn(|i| src[src_part - W + i]);
        for r in 0..rom::A_PARTIAL {
            mid[0] = src[src_part + 2 * r + 1];
            <p3_goldilocks::GenericPoseidon2LinearLayersGoldilocks as p3_poseidon2::GenericPoseidon2LinearLayers<W>>::internal_linear_layer(&mut mid);
        }
        ra[rom::A_MID..rom::A_MID + W].copy_from_slice(&mid);
        ra[rom::EVEN] = Val::ONE;
        // Row B: the remaining partial rounds and the final full rounds.
        let rest = &src[src_part + a_part_cols..];
        rb[rom::B_PART..rom::B_PART + rest.len()].copy_from_slice(rest);
        let (kind, mult_a, mult_b) = if p == 0 {
            (rom::K_HDR, 0, 0)
        } else if p <= nf {
            (rom::K_FN, 0, 0)
        } else if p < nblocks {
            (rom::K_INS, fetch[p - 1 - nf], 0)
        } else if p < perms {
            let f = p - nblocks;
            let info = &program.functions()[f];
            rb[rom::ENT] = Val::from_u64(info.entry as u64);
            rb[rom::AR] = Val::from_u64(info.arity as u64);
            rb[rom::FRM] = Val::from_u64(info.frame as u64);
            rb[rom::FIDX] = Val::from_u64(f as u64);
            (rom::K_REPR, 0, fn_uses[f])
        } else {
            continue;
        };
        ra[kind] = Val::ONE;
        rb[kind] = Val::ONE;
        ra[rom::MULT] = Val::from_u64(mult_a);
        rb[rom::MULT] = Val::from_u64(mult_b);
    }
    RowMajorMatrix::new(t, rom::WIDTH)
}

/// Merges public inputs and witness into main's parameter list, following which parameters
/// are `SECRET` in the program.
pub fn merge_inputs(program: &Program, public: &[Val], witness: &[Val]) -> Option<Vec<Val>> {
    let secret = program.secret_params();
    let (mut p, mut w) = (public.iter(), witness.iter());
    let all: Option<Vec<Val>> = secret
        .iter()
        .map(|&s| {
            if s {
                w.next().copied()
            } else {
                p.next().copied()
            }
        })
        .collect();
    (p.next().is_none() && w.next().is_none())
        .then_some(all)
        .flatten()
}
