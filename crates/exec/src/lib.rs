//! Execution engines for resvm programs.
//!
//! * [`stack`]: the interpreter of the stack-machine image (`resvm-isa`), with a tracer hook
//!   that the prover uses to record the execution it proves.
//! * [`closure`]: the closure compiler, the default engine: the typed HIR compiled once into
//!   nested Rust closures over pre-allocated frames.
//! * [`tree`]: the reference tree evaluator over the HIR, the plain baseline.
//! * [`brainfuck`]: the stack interpreter's mode for Brainfuck images (cells, input, output).
//!
//! All engines agree exactly on results, on errors ([`Trap::same_error`]) and on step counts:
//! a step is one function entry ([`Limits::max_steps`], [`Counted::steps`]).

#![warn(missing_docs)]

pub mod brainfuck;
pub mod closure;
pub mod stack;
#[cfg(any(test, feature = "testgen"))]
pub mod testgen;
mod trap;
pub mod tree;

pub use closure::ClosureProgram;

pub use trap::{merkle_level, Counted, Limits, Trap};
