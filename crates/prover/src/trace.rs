//! Witness generation: runs the interpreter (`resvm_exec::stack::run_traced`) and lays its
//! steps and memory accesses out as the tables of `crate::air`.

use crate::air::{bfio, compare, cpu, hash, memory, padded_height, rom, TableKind, Val};
use core::borrow::{Borrow, BorrowMut};
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use p3_matrix::dense::RowMajorMatrix;
use resvm_exec::stack::{run_traced, Tracer};
use resvm_exec::{Limits, Trap};
use resvm_isa::spec::{Chiplet, FnUse};
use resvm_isa::{Instr, Opcode, Program};

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

/// The traces of one run, the tables of [`crate::air::tables_for`] the image's kind in order,
/// with their public values.
pub struct Witness {
    /// One matrix per table.
    pub traces: Vec<RowMajorMatrix<Val>>,
    /// The program's output.
    pub output: Val,
    /// Instructions executed (HALT included).
    pub cycles: u64,
    /// Public inputs as `(parameter index, value)`.
    pub public_inputs: Vec<(u32, Val)>,
    /// The Brainfuck output bytes (empty for resvm programs).
    pub bf_output: Vec<u8>,
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
    /// The Brainfuck run stopped without reaching its end.
    #[error("Brainfuck run failed: {0}")]
    Brainfuck(#[from] resvm_exec::brainfuck::BfTrap),
    /// The interpreter reported accesses that disagree with the AIR's slot layout (a bug).
    #[error("internal: interpreter trace does not match the AIR at cycle {0}")]
    Mismatch(u64),
}

/// Largest log2 table height accepted by prover and verifier.
pub const MAX_LOG_HEIGHT: usize = 22;

/// Most cycles the prover records unless told otherwise: about what 24 GB of memory proves
/// (a cycle limit is enforced while recording, so a longer run stops in bounded memory).
pub const DEFAULT_MAX_CYCLES: u64 = 1 << 21;

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
    let secret = program.secret_params();
    let public_inputs: Vec<(u32, Val)> = secret
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(i, _)| (i as u32, inputs[i]))
        .collect();
    build(
        program,
        rec.steps,
        outcome.cycles,
        inputs,
        public_inputs,
        &[],
    )
}

/// Runs the Brainfuck image `program` on the input bytes and builds every table. The run is
/// stopped once it exceeds `max_cycles` (default [`DEFAULT_MAX_CYCLES`], never more than the
/// CPU table can hold).
pub fn generate_brainfuck(
    program: &Program,
    input: &[u8],
    max_cycles: Option<u64>,
) -> Result<Witness, TraceError> {
    let hard_cap = 1u64 << MAX_LOG_HEIGHT;
    let cap = max_cycles.unwrap_or(DEFAULT_MAX_CYCLES).min(hard_cap);
    let mut rec = Recorder::default();
    let outcome = match resvm_exec::brainfuck::run_traced(program, input, cap, &mut rec) {
        Err(resvm_exec::brainfuck::BfTrap::StepsExceeded { .. })
            if max_cycles.is_none_or(|m| m > cap) =>
        {
            return Err(TraceError::TooLarge(format!(
                "the run exceeds {cap} instructions, the most this prover records"
            )))
        }
        r => r?,
    };
    let mut wit = build(program, rec.steps, outcome.cycles, &[], vec![], input)?;
    if wit.bf_output != outcome.output {
        return Err(TraceError::Mismatch(outcome.cycles));
    }
    wit.bf_output = outcome.output;
    Ok(wit)
}

/// Lays recorded steps out as the tables.
fn build(
    program: &Program,
    steps: Vec<Step>,
    cycles: u64,
    inputs: &[Val],
    public_inputs: Vec<(u32, Val)>,
    bf_input: &[u8],
) -> Result<Witness, TraceError> {
    if steps.len() as u64 != cycles {
        return Err(TraceError::Mismatch(steps.len() as u64));
    }
    if steps.len() >= 1 << MAX_LOG_HEIGHT {
        return Err(TraceError::TooLarge(format!("{} cycles", steps.len())));
    }

    let funcs = program.functions();
    let mut fetch = vec![0u64; program.code().len()];
    let mut fn_uses = vec![0u64; funcs.len()];
    let mut input_uses = vec![0u64; inputs.len()];
    let mut range_mult = vec![0u64; rom::BYTES];
    let mut mem: Vec<memory::Access> = Vec::with_capacity(steps.len() * 2);
    let mut compares: Vec<(u64, u64)> = Vec::new();
    let mut hash_ops: Vec<hash::HashOp> = Vec::new();
    let mut bf_reads = vec![0u64; bf_input.len() + 1];
    let mut bf_cells: Vec<Val> = Vec::new();

    // CPU; every chiplet request is collected on the way.
    let n = steps.len();
    let h = padded_height(n);
    let cpu_air = cpu::CpuAir::for_program(program);
    let cpu_w = p3_air::BaseAir::<Val>::width(&cpu_air);
    let mut cpu_t = Val::zero_vec(h * cpu_w);
    let mut first_halt = true;
    let mut slot_vals: Vec<(u32, Val)> = Vec::with_capacity(cpu::SLOTS);
    for (clk, (s, row)) in steps.iter().zip(cpu_t.chunks_exact_mut(cpu_w)).enumerate() {
        let bad = || TraceError::Mismatch(clk as u64);
        let op = s.instr.opcode();
        let spec = op.spec();
        // The interpreter's accesses must be the opcode table's: CPU slots, then chiplet.
        if s.acc.len() != spec.slots.len() + spec.chiplet_accesses.len()
            || s.acc
                .iter()
                .zip(spec.accesses())
                .any(|(a, sp)| a.2 != sp.write)
        {
            return Err(bad());
        }
        slot_vals.clear();
        for (&(addr, v, w), acc) in s.acc.iter().zip(spec.accesses()) {
            if slot_vals.len() < spec.slots.len() {
                slot_vals.push((addr, v));
            }
            let sub = acc.sub as u64;
            mem.push(memory::Access {
                space: acc.space as u32,
                ts: clk as u64 * cpu::SLOTS as u64 + sub,
                addr,
                val: v,
                write: w,
            });
        }
        fetch[s.pc as usize] += 1;
        let tuple = match spec.fn_use() {
            None => None,
            Some(u) => {
                let f = match u {
                    FnUse::ByIndex => s.instr.function().ok_or_else(bad)?,
                    _ => program
                        .reflect(s.acc.first().ok_or_else(bad)?.1)
                        .ok_or_else(bad)?,
                };
                let info = funcs.get(f as usize).ok_or_else(bad)?;
                fn_uses[f as usize] += 1;
                let u = |v: u32| Val::from_u64(v as u64);
                Some([
                    u(f),
                    program.repr(f).ok_or_else(bad)?,
                    u(info.entry),
                    u(info.arity),
                    u(info.frame),
                ])
            }
        };
        match s.instr {
            Instr::Input(i) => input_uses[i as usize] += 1,
            Instr::BfIn => {
                let pos = s.acc[0].1.as_canonical_u64() as usize;
                *bf_reads.get_mut(pos).ok_or_else(bad)? += 1;
            }
            Instr::BfOut => bf_cells.push(s.acc[0].1),
            Instr::BfAdd8(_) => range_mult[s.acc[1].1.as_canonical_u64() as usize & 0xff] += 1,
            Instr::Hash(k) => {
                let v = |j: usize| s.acc[j].1;
                hash_ops.push(hash::HashOp {
                    clk: clk as u64,
                    sp: s.sp,
                    fp: s.fp,
                    a: k,
                    d: core::array::from_fn(v),
                    s: core::array::from_fn(|i| v(4 + i)),
                    bit: v(8) == Val::ONE,
                });
            }
            _ => {}
        }
        let is_first_halt = op == Opcode::Halt && first_halt;
        if is_first_halt {
            first_halt = false;
        }
        cpu_air
            .fill_row(
                row,
                clk as u64,
                (s.pc, s.fp, s.sp),
                &s.instr,
                &slot_vals,
                tuple,
                is_first_halt,
            )
            .ok_or_else(bad)?;
        let row: &cpu::CpuCols<Val> = (*row).borrow();
        // The compare chiplet's request is the row's (g, r) = (x, y) (`fill_row`).
        if let Some(Chiplet::Compare { .. }) = spec.chiplet {
            compares.push((row.g.as_canonical_u64(), row.r.as_canonical_u64()));
        }
    }
    // Padding: the final HALT repeats, inactive, touching no memory.
    let last = steps.last().ok_or(TraceError::Mismatch(0))?;
    if last.instr != Instr::Halt {
        return Err(TraceError::Mismatch(n as u64));
    }
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

    // The hash chiplet HASH asks for.
    let hh = padded_height(2 * hash_ops.len());
    if hh > 1 << MAX_LOG_HEIGHT {
        return Err(TraceError::TooLarge(format!(
            "{} HASH instructions",
            hash_ops.len()
        )));
    }
    let hash_t = hash::build(&hash_ops, hh);

    // Memory: every access of the CPU and the chiplets.
    let layout = memory::MemoryAir::for_accesses(&mem);
    let mh = padded_height(mem.len().div_ceil(layout.slots()));
    if mh > 1 << MAX_LOG_HEIGHT {
        return Err(TraceError::TooLarge(format!(
            "{} memory accesses",
            mem.len()
        )));
    }
    let mem_t = memory::build(&mut mem, layout, mh, &mut range_mult)
        .map_err(|g| TraceError::TooLarge(format!("memory gap {}", g.0)))?;

    let tables = crate::air::tables_for(program);
    let has = |k: TableKind| tables.contains(&k);
    // A table a proof omits adds no range lookups either.
    let cmp_t = has(TableKind::Compare)
        .then(|| compare::build(&compares, padded_height(compares.len()), &mut range_mult));
    let bf_in_t = has(TableKind::BfInput).then(|| bfio::build_input(bf_input, &bf_reads));
    let bf_out_t = has(TableKind::BfOutput).then(|| bfio::build_output(&bf_cells, &mut range_mult));
    // The read-only table last: every range lookup is counted by now.
    let rom_uses = rom::Uses {
        fetch: &fetch,
        functions: &fn_uses,
        inputs: &input_uses,
        bytes: &range_mult,
    };
    let rom_t = rom::build(program, &public_inputs, &rom_uses);

    let mut traces: Vec<Option<RowMajorMatrix<Val>>> = vec![None; tables.len()];
    for (kind, t) in [
        (TableKind::Cpu, Some(RowMajorMatrix::new(cpu_t, cpu_w))),
        (TableKind::Memory, Some(mem_t)),
        (TableKind::Rom, Some(rom_t)),
        (TableKind::Compare, cmp_t),
        (TableKind::Hash, Some(hash_t)),
        (TableKind::BfInput, bf_in_t),
        (TableKind::BfOutput, bf_out_t),
    ] {
        if let Some(slot) = traces.get_mut(kind.index()) {
            *slot = t;
        }
    }
    Ok(Witness {
        traces: traces
            .into_iter()
            .map(|t| t.ok_or(TraceError::Mismatch(0)))
            .collect::<Result<_, _>>()?,
        output,
        cycles,
        public_inputs,
        bf_output: bf_cells
            .iter()
            .map(|c| c.as_canonical_u64() as u8)
            .collect(),
    })
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
