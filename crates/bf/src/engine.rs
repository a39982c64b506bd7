//! The fast engine of `resvm bf run`: the image's instructions decoded once into a compact
//! form and run in a tight loop, with the stack interpreter's semantics exactly (same output,
//! same instruction count, same errors with the same step numbers; tested on every shipped
//! program and on random ones).

use p3_field::{PrimeCharacteristicRing, PrimeField64};
use resvm_exec::brainfuck::{BfOutcome, BfTrap};
use resvm_field::F;
use resvm_isa::{ImageKind, Instr, Program};

#[derive(Clone, Copy)]
enum Op {
    Add(F),
    Add8(u8),
    Move(i64),
    Jz(usize),
    Jnz(usize),
    In,
    Out,
    Push,
    Halt,
}

/// Runs a Brainfuck image on `input`, at most `max_steps` instructions.
pub fn run(program: &Program, input: &[u8], max_steps: u64) -> Result<BfOutcome, BfTrap> {
    if program.kind() != ImageKind::Brainfuck {
        return Err(BfTrap::NotBrainfuck("a resvm image".into()));
    }
    resvm_isa::validate_brainfuck(program).map_err(|e| BfTrap::NotBrainfuck(e.to_string()))?;
    let ops: Vec<Op> = program
        .code()
        .iter()
        .map(|i| match *i {
            Instr::BfAdd(c) => Op::Add(c),
            Instr::BfAdd8(c) => Op::Add8(c),
            Instr::BfMove(k) => Op::Move(k as i64),
            Instr::BfJz(t) => Op::Jz(t as usize),
            Instr::BfJnz(t) => Op::Jnz(t as usize),
            Instr::BfIn => Op::In,
            Instr::BfOut => Op::Out,
            Instr::Push(_) => Op::Push,
            // Validation leaves only HALT.
            _ => Op::Halt,
        })
        .collect();
    let byte = ops.iter().any(|o| matches!(o, Op::Add8(_)));
    if byte {
        exec::<u8>(&ops, input, max_steps)
    } else {
        exec::<F>(&ops, input, max_steps)
    }
}

/// A cell type: field elements or bytes.
trait Cell: Copy + Default {
    fn add(self, c: F) -> Self;
    fn add8(self, c: u8) -> Self;
    fn is_zero(self) -> bool;
    fn from_byte(b: u8) -> Self;
    fn low_byte(self) -> u8;
}

impl Cell for F {
    #[inline(always)]
    fn add(self, c: F) -> F {
        self + c
    }
    #[inline(always)]
    fn add8(self, _: u8) -> F {
        unreachable!("a field image has no BFADD8")
    }
    #[inline(always)]
    fn is_zero(self) -> bool {
        self == F::ZERO
    }
    #[inline(always)]
    fn from_byte(b: u8) -> F {
        F::from_u8(b)
    }
    #[inline(always)]
    fn low_byte(self) -> u8 {
        self.as_canonical_u64() as u8
    }
}

impl Cell for u8 {
    #[inline(always)]
    fn add(self, _: F) -> u8 {
        unreachable!("a u8 image has no BFADD")
    }
    #[inline(always)]
    fn add8(self, c: u8) -> u8 {
        self.wrapping_add(c)
    }
    #[inline(always)]
    fn is_zero(self) -> bool {
        self == 0
    }
    #[inline(always)]
    fn from_byte(b: u8) -> u8 {
        b
    }
    #[inline(always)]
    fn low_byte(self) -> u8 {
        self
    }
}

fn exec<C: Cell>(ops: &[Op], input: &[u8], max_steps: u64) -> Result<BfOutcome, BfTrap> {
    // Cells up to the highest one the pointer reached (all of them were visited).
    let mut cells: Vec<C> = vec![C::default(); 1];
    let mut output = Vec::new();
    let (mut pc, mut dp, mut in_pos, mut clk) = (0usize, 0usize, 0usize, 0u64);
    loop {
        clk += 1;
        if clk > max_steps {
            return Err(BfTrap::StepsExceeded { limit: max_steps });
        }
        match ops[pc] {
            Op::Add(c) => cells[dp] = cells[dp].add(c),
            Op::Add8(c) => cells[dp] = cells[dp].add8(c),
            Op::Move(k) => {
                let to = dp as i64 + k;
                if to < 0 {
                    return Err(BfTrap::PointerBelowZero { step: clk });
                }
                if to > u32::MAX as i64 {
                    return Err(BfTrap::PointerOverflow { step: clk });
                }
                dp = to as usize;
                if dp >= cells.len() {
                    cells.resize(dp + 1, C::default());
                }
            }
            Op::Jz(t) => {
                if cells[dp].is_zero() {
                    pc = t;
                    continue;
                }
            }
            Op::Jnz(t) => {
                if !cells[dp].is_zero() {
                    pc = t;
                    continue;
                }
            }
            Op::In => {
                cells[dp] = match input.get(in_pos) {
                    Some(&b) => {
                        in_pos += 1;
                        C::from_byte(b)
                    }
                    None => C::default(),
                }
            }
            Op::Out => output.push(cells[dp].low_byte()),
            Op::Push => {}
            Op::Halt => {
                return Ok(BfOutcome {
                    output,
                    cycles: clk,
                })
            }
        }
        pc += 1;
    }
}
