//! Execution engines for resvm programs.
//!
//! * [`stack`]: the interpreter of the stack-machine image (`resvm-isa`), with a tracer hook
//!   that the prover uses to record the execution it proves.

pub mod stack;
mod trap;

pub use trap::{Limits, Trap};
