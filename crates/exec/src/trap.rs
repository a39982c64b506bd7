//! Runtime errors and resource limits shared by all engines.

use resvm_field::{canonical, merge, Digest, F};

/// Resource limits of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting of non-tail calls (the "recursion depth"); deeper recursion is a
    /// [`Trap::DepthExceeded`], never a native stack overflow.
    pub max_depth: u32,
    /// Maximum number of steps, if any. A step is one function entry (`main`'s, and every call
    /// or `eval`, tail or not), counted the same way by every engine, so a limit means the same
    /// on all of them; see [`Counted::steps`].
    pub max_steps: Option<u64>,
    /// Maximum number of executed stack-machine instructions, if any: only the `stack` engine
    /// (and the prover, which records its run) has cycles; the other engines ignore it. Exceeding
    /// it is a [`Trap::CyclesExceeded`]. It bounds the memory a recorded trace takes.
    pub max_cycles: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 100_000,
            max_steps: None,
            max_cycles: None,
        }
    }
}

/// A successful run with its step count ([`Limits::max_steps`]'s unit on every engine: function
/// entries, `main`'s included, tail calls and evals included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counted {
    /// The program's output `b`.
    pub output: F,
    /// Function entries.
    pub steps: u64,
}

/// A runtime error. All engines report the same variant (with the same values) for the same
/// program and inputs; `pc` fields are engine-specific context and are ignored by
/// [`Trap::same_error`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Trap {
    /// `branch` on a condition other than 0 or 1.
    #[error("branch condition must be 0 or 1, got {}", canonical(*.value))]
    BranchCondition {
        /// The condition.
        value: F,
    },
    /// `merkle` (the `HASH` instruction) with a direction other than 0 or 1.
    #[error("merkle direction must be 0 or 1, got {}", canonical(*.value))]
    HashDirection {
        /// The direction.
        value: F,
    },
    /// `reflect` of a value that is no function's repr.
    #[error("reflect: {} is not the repr of any function of this program", canonical(*.value))]
    ReflectUnknown {
        /// The value.
        value: F,
    },
    /// `eval` of a value that is no function's repr.
    #[error("eval: {} is not the repr of any function of this program", canonical(*.value))]
    EvalUnknown {
        /// The value.
        value: F,
    },
    /// `eval` with the wrong number of arguments.
    #[error("eval: function `{name}` takes {expected} argument(s), got {got}")]
    EvalArity {
        /// Name of the callee.
        name: String,
        /// Its arity.
        expected: u32,
        /// Arguments supplied.
        got: u32,
    },
    /// Too many nested non-tail calls.
    #[error("recursion deeper than the limit of {limit} nested calls")]
    DepthExceeded {
        /// The configured limit.
        limit: u32,
    },
    /// The step budget ran out.
    #[error("step limit of {limit} exceeded")]
    StepsExceeded {
        /// The configured limit.
        limit: u64,
    },
    /// The cycle budget ran out (stack engine only; see [`Limits::max_cycles`]).
    #[error("cycle limit of {limit} exceeded")]
    CyclesExceeded {
        /// The configured limit.
        limit: u64,
    },
    /// Wrong number of inputs for `main`.
    #[error("main takes {expected} input(s), got {got}")]
    InputCount {
        /// Parameters of main.
        expected: usize,
        /// Inputs supplied.
        got: usize,
    },
    /// A malformed (hand-written) image did something the compiler never emits.
    #[error("malformed program at pc {pc}: {why}")]
    Malformed {
        /// Where.
        pc: u32,
        /// What.
        why: &'static str,
    },
}

/// One Merkle level, the `HASH` instruction's semantics shared by every engine: the digest
/// `merge(d, s)` if `e = 0`, `merge(s, d)` if `e = 1`, a [`Trap::HashDirection`] otherwise.
pub fn merkle_level(d: [F; 4], s: [F; 4], e: F) -> Result<[F; 4], Trap> {
    let (l, r) = match canonical(e) {
        0 => (d, s),
        1 => (s, d),
        _ => return Err(Trap::HashDirection { value: e }),
    };
    Ok(merge(&Digest::from_elements(l), &Digest::from_elements(r)).elements())
}

impl Trap {
    /// Whether two traps are the same error for cross-engine comparison: equal, except that
    /// `pc` context is ignored (engines other than `stack` have no pc).
    pub fn same_error(&self, other: &Trap) -> bool {
        match (self, other) {
            (Trap::Malformed { why: a, .. }, Trap::Malformed { why: b, .. }) => a == b,
            _ => self == other,
        }
    }
}
