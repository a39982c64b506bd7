//! The stack interpreter's Brainfuck mode: executes a Brainfuck image
//! ([`resvm_isa::ImageKind::Brainfuck`]) instruction by instruction, exactly as the opcode
//! table `resvm_isa::spec::OPS` describes it, reporting every step and memory access to a
//! [`Tracer`] (the prover records its runs through it).
//!
//! Machine state: `pc`, the data pointer (the `fp` register), `sp` (0 until the final
//! `PUSH 0`), the cells (a vector as long as the highest cell the pointer reached: every cell
//! below it was visited, since Brainfuck moves one cell at a time), the input position and
//! the output bytes. Accesses are reported per instruction in the table's order; which
//! address space an access is in follows from that order (`Access::space`).

use crate::stack::Tracer;
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use resvm_field::F;
use resvm_isa::{ImageKind, Instr, Program};

/// The default bound on executed instructions of `resvm bf run`.
pub const DEFAULT_MAX_STEPS: u64 = 1_000_000_000;

/// The result of a run that reached `HALT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BfOutcome {
    /// The bytes written by `.`.
    pub output: Vec<u8>,
    /// Instructions executed, the final `PUSH 0; HALT` included.
    pub cycles: u64,
}

/// Why a Brainfuck run stopped without reaching its end.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BfTrap {
    /// `<` moved the data pointer left of cell 0.
    #[error("step {step}: the data pointer moved left of cell 0")]
    PointerBelowZero {
        /// The executed instruction (1-based) that moved it.
        step: u64,
    },
    /// The data pointer passed `u32::MAX`.
    #[error("step {step}: the data pointer passed cell {}", u32::MAX)]
    PointerOverflow {
        /// The executed instruction (1-based) that moved it.
        step: u64,
    },
    /// The step limit ran out (the program may not halt).
    #[error("step limit of {limit} instructions exceeded (the program did not halt; raise it with --max-steps)")]
    StepsExceeded {
        /// The limit.
        limit: u64,
    },
    /// A `u8`-dialect instruction found a cell holding more than a byte (an image mixing
    /// dialects, which validation refuses).
    #[error("step {step}: a u8 instruction found a cell that is not a byte")]
    NotAByte {
        /// The executed instruction (1-based).
        step: u64,
    },
    /// The image is not a valid Brainfuck image.
    #[error("not a Brainfuck image: {0}")]
    NotBrainfuck(String),
}

/// Runs a Brainfuck image on `input`, at most `max_steps` instructions.
pub fn run(program: &Program, input: &[u8], max_steps: u64) -> Result<BfOutcome, BfTrap> {
    run_traced(program, input, max_steps, &mut crate::stack::NoTrace)
}

/// [`run`], reporting every step and memory access to `tracer`.
pub fn run_traced<T: Tracer>(
    program: &Program,
    input: &[u8],
    max_steps: u64,
    tracer: &mut T,
) -> Result<BfOutcome, BfTrap> {
    if program.kind() != ImageKind::Brainfuck {
        return Err(BfTrap::NotBrainfuck("a resvm image".into()));
    }
    resvm_isa::validate_brainfuck(program).map_err(|e| BfTrap::NotBrainfuck(e.to_string()))?;
    let code = program.code();
    let mut cells: Vec<F> = vec![F::ZERO; 1];
    let mut output = Vec::new();
    let (mut pc, mut dp, mut sp) = (0u32, 0u32, 0u32);
    let (mut in_pos, mut stack0) = (0u64, F::ZERO);
    let mut clk = 0u64;
    let f = |v: u64| F::from_u64(v);
    loop {
        let instr = code[pc as usize];
        tracer.step(clk, pc, dp, sp, &instr);
        clk += 1;
        if clk > max_steps {
            return Err(BfTrap::StepsExceeded { limit: max_steps });
        }
        let cell = cells[dp as usize];
        match instr {
            Instr::BfAdd(c) => {
                tracer.read(dp, cell);
                tracer.write(dp, cell + c);
                cells[dp as usize] = cell + c;
            }
            Instr::BfAdd8(c) => {
                let v = cell.as_canonical_u64();
                if v > 255 {
                    return Err(BfTrap::NotAByte { step: clk });
                }
                let n = f((v + c as u64) & 0xff);
                tracer.read(dp, cell);
                tracer.write(dp, n);
                cells[dp as usize] = n;
            }
            Instr::BfMove(k) => {
                let to = dp as i64 + k as i64;
                if to < 0 {
                    return Err(BfTrap::PointerBelowZero { step: clk });
                }
                let to = u32::try_from(to).map_err(|_| BfTrap::PointerOverflow { step: clk })?;
                if to as usize >= cells.len() {
                    cells.resize(to as usize + 1, F::ZERO);
                }
                tracer.read(dp, cell);
                tracer.read(to, cells[to as usize]);
                dp = to;
            }
            Instr::BfJz(t) | Instr::BfJnz(t) => {
                tracer.read(dp, cell);
                let jump = (cell == F::ZERO) == matches!(instr, Instr::BfJz(_));
                if jump {
                    pc = t;
                    continue;
                }
            }
            Instr::BfIn => {
                let (x, next) = match input.get(in_pos as usize) {
                    Some(&b) => (f(b as u64), in_pos + 1),
                    // End of input: the cell gets 0 and the position stays.
                    None => (F::ZERO, in_pos),
                };
                tracer.read(0, f(in_pos));
                tracer.write(0, f(next));
                tracer.write(dp, x);
                cells[dp as usize] = x;
                in_pos = next;
            }
            Instr::BfOut => {
                let j = output.len() as u64;
                tracer.read(dp, cell);
                tracer.read(0, f(j));
                tracer.write(0, f(j + 1));
                output.push(cell.as_canonical_u64() as u8);
            }
            Instr::Push(c) => {
                tracer.write(sp, c);
                stack0 = c;
                sp += 1;
            }
            Instr::Halt => {
                tracer.read(sp - 1, stack0);
                return Ok(BfOutcome {
                    output,
                    cycles: clk,
                });
            }
            // Validation admits nothing else.
            other => return Err(BfTrap::NotBrainfuck(format!("instruction {other}"))),
        }
        pc += 1;
    }
}
