//! The resvm instruction set.
//!
//! A program image ([`Program`]) is a flat list of fixed-width instructions ([`Instr`]: an
//! opcode and up to two immediates) plus a function table ([`Function`]). The machine state is
//! `(pc, fp, sp, memory)`: the data stack lives in memory (one field element per cell, growing
//! upward), `fp` points at the first argument of the current frame and `sp` at the first free
//! cell. See `docs/isa.md` for the full semantics, stack effects and traps.
//!
//! The image is hashed with Poseidon2 ([`Program::digest`]); the value `repr(f)` of a function
//! is derived from that digest and the function's index ([`Program::repr`]), so a proof bound
//! to the digest is bound to every `repr` value the program can produce or reflect.

pub mod fuse;
mod instr;
mod program;
pub mod spec;
pub mod validate;

pub use fuse::{fuse, fuse_program, Fused};
pub use instr::{DecodeError, Instr, Opcode};
pub use program::{
    Function, ImageKind, Program, ProgramError, ENCODING_VERSION, TAG_FUNCTION, TAG_INSTRUCTION,
};
pub use spec::{OpSpec, NUM_OPS, OPS};
pub use validate::{validate, validate_brainfuck, Analysis, ValidationError};
