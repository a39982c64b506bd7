//! Brainfuck on resvm: a second front end of the same machine and prover.
//!
//! * [`assemble`]: BrainSTARK's streaming pushdown compiler from source to Brainfuck assembly,
//!   where `[` and `]` carry their jump targets (placeholders patched when `]` closes).
//! * [`compile`]: assembly lowered to a resvm Brainfuck image ([`resvm_isa::ImageKind::Brainfuck`]),
//!   runs of `+`/`-` and `<`/`>` folded into one `BFADD`/`BFADD8`/`BFMOVE` each (the AIR proves
//!   the folded forms), ending in `PUSH 0; HALT`.
//! * [`engine`]: the fast engine of `resvm bf run`, on the image's instructions.
//! * [`reference`](mod@reference): a plain interpreter over the source text, the differential baseline.
//!
//! The stack interpreter runs the same images (`resvm_exec::brainfuck`), and the prover proves
//! them (`resvm_prover::prove_brainfuck`). See `docs/brainfuck.md`.

#![warn(missing_docs)]

pub mod engine;
pub mod reference;

use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use resvm_isa::spec::BF_MAX_MOVE;
use resvm_isa::{Instr, Program};
use std::fmt;

/// The cell arithmetic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// BrainSTARK's prime-field Brainfuck: cells are Goldilocks elements (`-` on 0 gives p − 1).
    #[default]
    Field,
    /// Classic cells wrapping modulo 256.
    U8,
}

impl Dialect {
    /// The dialect's name (`field`, `u8`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Field => "field",
            Dialect::U8 => "u8",
        }
    }
}

/// One symbol of Brainfuck assembly: an instruction, or the jump target following `[`/`]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// One of the eight instructions (its character).
    Op(u8),
    /// The destination address following a `[` or `]`.
    Target(u32),
}

/// Where a bracket is in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Byte offset (0-based).
    pub offset: usize,
    /// Line (1-based).
    pub line: usize,
    /// Column in bytes (1-based).
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "byte {}, line {}, column {}",
            self.offset, self.line, self.column
        )
    }
}

/// Why a source does not compile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// A `]` without an open `[`.
    #[error("unmatched ']' at {0}")]
    UnmatchedClose(Position),
    /// A `[` never closed.
    #[error("unclosed '[' at {0}")]
    UnclosedOpen(Position),
    /// The program does not fit a resvm image.
    #[error("program too large: {0}")]
    TooLarge(String),
}

/// BrainSTARK's streaming compiler: one pass, emitting each instruction as it is read; `[`
/// is followed by a placeholder that the matching `]` patches with the address after itself,
/// and `]` is followed by the address after its `[` (and that `[`'s placeholder). Characters
/// other than the eight instructions are comments.
pub fn assemble(src: &[u8]) -> Result<Vec<Symbol>, CompileError> {
    let mut out: Vec<Symbol> = Vec::with_capacity(src.len());
    // Output locations of the open `[`s, with their source positions.
    let mut open: Vec<(usize, Position)> = Vec::new();
    let (mut line, mut col) = (1usize, 1usize);
    let addr = |n: usize| u32::try_from(n).map_err(|_| CompileError::TooLarge("source".into()));
    for (offset, &c) in src.iter().enumerate() {
        let pos = Position {
            offset,
            line,
            column: col,
        };
        if c == b'\n' {
            (line, col) = (line + 1, 1);
        } else {
            col += 1;
        }
        match c {
            b'+' | b'-' | b'<' | b'>' | b',' | b'.' => out.push(Symbol::Op(c)),
            b'[' => {
                open.push((out.len(), pos));
                out.push(Symbol::Op(c));
                out.push(Symbol::Target(0));
            }
            b']' => {
                let (at, _) = open.pop().ok_or(CompileError::UnmatchedClose(pos))?;
                out.push(Symbol::Op(c));
                out.push(Symbol::Target(addr(at + 2)?));
                out[at + 1] = Symbol::Target(addr(out.len())?);
            }
            _ => {}
        }
    }
    match open.pop() {
        Some((_, pos)) => Err(CompileError::UnclosedOpen(pos)),
        None => Ok(out),
    }
}

/// Renders assembly one symbol per line (`address  symbol [target]`).
pub fn assembly_listing(asm: &[Symbol]) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < asm.len() {
        match (asm[i], asm.get(i + 1)) {
            (Symbol::Op(c), Some(Symbol::Target(t))) => {
                s.push_str(&format!("  {i:>6}  {} {t}\n", c as char));
                i += 2;
            }
            (Symbol::Op(c), _) => {
                s.push_str(&format!("  {i:>6}  {}\n", c as char));
                i += 1;
            }
            (Symbol::Target(t), _) => {
                s.push_str(&format!("  {i:>6}  {t}\n"));
                i += 1;
            }
        }
    }
    s
}

/// Lowers assembly to resvm instructions: folded runs, `[` → `BFJZ`, `]` → `BFJNZ` (targets
/// mapped from assembly addresses to pcs), then `PUSH 0; HALT`.
pub fn lower(asm: &[Symbol], dialect: Dialect) -> Result<Vec<Instr>, CompileError> {
    let mut code: Vec<Instr> = Vec::new();
    // pc of the instruction that assembly address `i` starts (for jump targets).
    let mut pc_at = vec![u32::MAX; asm.len() + 1];
    // (index in `code`, assembly target) of each jump, patched at the end.
    let mut jumps: Vec<(usize, u32)> = Vec::new();
    let pc = |code: &Vec<Instr>| {
        u32::try_from(code.len()).map_err(|_| CompileError::TooLarge("image".into()))
    };
    let mut i = 0;
    while i < asm.len() {
        pc_at[i] = pc(&code)?;
        let Symbol::Op(c) = asm[i] else {
            return Err(CompileError::TooLarge("stray jump target".into()));
        };
        match c {
            b'+' | b'-' | b'<' | b'>' => {
                let add = matches!(c, b'+' | b'-');
                // The net change, and for moves the lowest point the run passes through: a
                // run like `><<>` must still stop at cell 0's left edge.
                let (mut net, mut low): (i64, i64) = (0, 0);
                let mut j = i;
                // Fold the whole run of this kind (`+-` and `<>` cancel).
                while let Some(Symbol::Op(d)) = asm.get(j) {
                    let step = match (add, d) {
                        (true, b'+') | (false, b'>') => 1,
                        (true, b'-') | (false, b'<') => -1,
                        _ => break,
                    };
                    net += step;
                    low = low.min(net);
                    j += 1;
                }
                if add {
                    match dialect {
                        Dialect::Field if net != 0 => code.push(Instr::BfAdd(F::from_i64(net))),
                        Dialect::U8 if net.rem_euclid(256) != 0 => {
                            code.push(Instr::BfAdd8(net.rem_euclid(256) as u8))
                        }
                        _ => {}
                    }
                } else {
                    // Down to the lowest point, then on to the net position; each move is
                    // proven per instruction only up to BF_MAX_MOVE cells.
                    let max = BF_MAX_MOVE as i64;
                    for mut part in [low, net - low] {
                        while part != 0 {
                            let k = part.clamp(-max, max);
                            code.push(Instr::BfMove(k as i32));
                            part -= k;
                        }
                    }
                }
                i = j;
            }
            b',' => {
                code.push(Instr::BfIn);
                i += 1;
            }
            b'.' => {
                code.push(Instr::BfOut);
                i += 1;
            }
            b'[' | b']' => {
                let Some(Symbol::Target(t)) = asm.get(i + 1) else {
                    return Err(CompileError::TooLarge("bracket without target".into()));
                };
                jumps.push((code.len(), *t));
                code.push(if c == b'[' {
                    Instr::BfJz(0)
                } else {
                    Instr::BfJnz(0)
                });
                i += 2;
            }
            _ => return Err(CompileError::TooLarge("unknown symbol".into())),
        }
    }
    pc_at[asm.len()] = pc(&code)?;
    // Targets always start an instruction (they follow a bracket's target symbol), never the
    // inside of a folded run.
    for (at, t) in jumps {
        let target = pc_at[t as usize];
        code[at] = match code[at] {
            Instr::BfJz(_) => Instr::BfJz(target),
            _ => Instr::BfJnz(target),
        };
    }
    code.push(Instr::Push(F::ZERO));
    code.push(Instr::Halt);
    Ok(code)
}

/// A compiled program: its assembly and its resvm image.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// BrainSTARK assembly.
    pub assembly: Vec<Symbol>,
    /// The dialect the image was lowered for.
    pub dialect: Dialect,
    /// The resvm image.
    pub image: Program,
}

/// Compiles source to a resvm Brainfuck image in `dialect`.
pub fn compile(src: &[u8], dialect: Dialect) -> Result<Compiled, CompileError> {
    let assembly = assemble(src)?;
    let code = lower(&assembly, dialect)?;
    let image = Program::new_brainfuck(code).map_err(|e| CompileError::TooLarge(e.to_string()))?;
    Ok(Compiled {
        assembly,
        dialect,
        image,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembler_patches_placeholders() {
        // "+[-]" → + [ 6 - ] 3, as in BrainSTARK (targets: after the `]`, after the `[`).
        let asm = assemble(b"+[-]").expect("balanced");
        use Symbol::*;
        assert_eq!(
            asm,
            vec![Op(b'+'), Op(b'['), Target(6), Op(b'-'), Op(b']'), Target(3)]
        );
    }

    #[test]
    fn unbalanced_brackets_report_their_position() {
        let e = assemble(b"+\n  ]").unwrap_err();
        assert_eq!(
            e,
            CompileError::UnmatchedClose(Position {
                offset: 4,
                line: 2,
                column: 3
            })
        );
        assert_eq!(e.to_string(), "unmatched ']' at byte 4, line 2, column 3");
        let e = assemble(b"[[]").unwrap_err();
        assert_eq!(
            e,
            CompileError::UnclosedOpen(Position {
                offset: 0,
                line: 1,
                column: 1
            })
        );
    }

    #[test]
    fn lowering_folds_runs_and_maps_targets() {
        let c = compile(b"+++--[>>><-]<>", Dialect::Field).expect("compiles");
        let code = c.image.code();
        assert_eq!(
            code,
            &[
                Instr::BfAdd(F::ONE),
                Instr::BfJz(5),
                Instr::BfMove(2),
                Instr::BfAdd(-F::ONE),
                Instr::BfJnz(2),
                // `<>` nets 0 but passes one cell left.
                Instr::BfMove(-1),
                Instr::BfMove(1),
                Instr::Push(F::ZERO),
                Instr::Halt
            ]
        );
        resvm_isa::validate(&c.image).expect("valid Brainfuck image");
        // u8: a net −1 is +255; long moves are split.
        let c = compile(&[b'<'; 1030], Dialect::U8).expect("compiles");
        assert_eq!(
            &c.image.code()[..3],
            &[Instr::BfMove(-512), Instr::BfMove(-512), Instr::BfMove(-6)]
        );
        let c = compile(b"-", Dialect::U8).expect("compiles");
        assert_eq!(c.image.code()[0], Instr::BfAdd8(255));
    }
}
