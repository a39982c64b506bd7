//! Static validation of program images, in the style of WebAssembly's validator.
//!
//! [`validate`] proves, once per image and before anything runs, that the stack interpreter
//! (`resvm_exec::stack`) can never stop with a structural `Trap::Malformed` on it, whatever
//! the inputs: every structural check the interpreter makes at run time holds on every path.
//! What stays a run-time trap is data-dependent: `BRANCH` on a value outside {0, 1}, `REFLECT`
//! or `EVAL` of a value that is no function's repr or of the wrong arity, and the depth and
//! step limits (see [`Analysis::max_safe_depth`] for the one condition on the depth limit).
//!
//! The analysis is an abstract interpretation over the control-flow graph. The abstract state
//! at a pc ([`State`]) is the frame it runs in (the bootstrap, or a function's frame size), the
//! stack height relative to `fp` (`sp - fp`), and the heights of the `FRAME`s whose call has
//! not been made yet. Every path into a pc must arrive with the same state; roots are pc 0
//! (the bootstrap, `fp = sp = 0`) and every function's entry (`sp = fp + frame`). Rules:
//!
//! - the bootstrap is exactly `FRAME; (INPUT i | SECRET i) for i in 0..arity(main); CALL main;
//!   HALT`, and a parameter is never read both by `INPUT` and by `SECRET`;
//! - an instruction consumes only operands above its floor: the function's frame (arguments
//!   and locals), or the linkage cells of the innermost pending `FRAME`;
//! - `LOAD k` / `STORE k` name a slot of the frame (`k < frame`), so never the bootstrap;
//! - `CALL f` / `EVAL k` find exactly `arity` arguments (and, for `EVAL`, the callee) above
//!   the two linkage cells of the innermost pending `FRAME`; execution resumes after the call
//!   with the result in the first linkage cell;
//! - `RET`, `TAILCALL`, `TAILEVAL` occur only in functions, `HALT` only in the bootstrap, none
//!   with a pending `FRAME`, and each finds its operands;
//! - no path falls through past the end of the code (a `CALL`'s return point included), runs
//!   into code of another frame, or names an unknown function or input;
//! - frames are at most [`MAX_FRAME`] slots.

use crate::instr::Instr;
use crate::program::{ImageKind, Program};
use std::fmt;

/// The largest frame (slots) a function may declare.
pub const MAX_FRAME: u32 = 1 << 20;

/// The abstract machine state before an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// `None` in the bootstrap; `Some(frame)` in a function with that frame size.
    pub frame: Option<u32>,
    /// `sp - fp`.
    pub height: u64,
    /// Heights (relative to `fp`) of the first linkage cell of each pending `FRAME`,
    /// innermost last.
    pub pending: Vec<u64>,
}

impl State {
    /// Lowest height the current instruction may consume down to.
    fn floor(&self) -> u64 {
        match self.pending.last() {
            Some(&m) => m + 2,
            None => self.frame.unwrap_or(0) as u64,
        }
    }
}

/// The result of a successful validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    /// The abstract state before each instruction; `None` for code no path reaches.
    pub states: Vec<Option<State>>,
    /// The largest stack height (`sp - fp`) reached in any frame.
    pub max_height: u64,
}

impl Analysis {
    /// The largest recursion-depth limit under which no run of this image can overflow the
    /// interpreter's 32-bit addresses (`Trap::Malformed` "frame too large"): each nested call
    /// moves `fp` up by at most [`Analysis::max_height`], so with depth `d` every address stays
    /// below `(d + 1) · max_height`.
    pub fn max_safe_depth(&self) -> u32 {
        let h = self.max_height.max(1);
        let d = (u32::MAX as u64 / h).saturating_sub(1);
        u32::try_from(d).unwrap_or(u32::MAX)
    }
}

/// Why an image is rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The code at pc 0 is not the bootstrap `FRAME; INPUT/SECRET ...; CALL main; HALT`.
    BadBootstrap(&'static str),
    /// Parameter `index` of main is read both by `INPUT` and by `SECRET`.
    InputAndSecret {
        /// The parameter.
        index: u32,
    },
    /// `INPUT i` / `SECRET i` with `i` ≥ main's arity.
    InputOutOfRange {
        /// The index.
        index: u32,
        /// Main's arity.
        arity: u32,
    },
    /// A function index outside the function table.
    UnknownFunction(u32),
    /// A function declares more than [`MAX_FRAME`] slots.
    FrameTooLarge {
        /// Its frame size.
        frame: u32,
    },
    /// Execution would continue past the last instruction.
    FallsOffEnd,
    /// A `JUMP` or `BRANCH` to itself or an earlier pc. Compiled code only jumps forward
    /// inside a body (loops are tail calls), and the interpreter stops a call-free loop with
    /// a structural trap, so a backward jump is refused here: a proof could otherwise attest a
    /// run the interpreter does not have.
    BackwardJump {
        /// The target.
        target: u32,
    },
    /// Two paths reach this pc in different frames, or with different stack heights or
    /// pending `FRAME`s.
    Inconsistent {
        /// The state from the first path.
        first: State,
        /// The state from another path.
        other: State,
    },
    /// The instruction consumes more operands than lie above its floor.
    Underflow {
        /// Operands it needs.
        needs: u64,
        /// Operands available above the floor.
        available: u64,
    },
    /// `LOAD k` / `STORE k` outside the frame (or in the bootstrap, which has none).
    SlotOutsideFrame {
        /// The slot.
        slot: u32,
        /// The frame size (0 in the bootstrap).
        frame: u32,
    },
    /// `CALL` / `EVAL` with no pending `FRAME`, or whose arguments do not begin right after
    /// the pending `FRAME`'s linkage cells.
    CallWithoutFrame,
    /// `RET`, `TAILCALL`, `TAILEVAL` or `HALT` while a `FRAME` awaits its call.
    PendingFrame,
    /// `RET`, `TAILCALL` or `TAILEVAL` in the bootstrap.
    NotInFunction,
    /// `INPUT` / `SECRET` inside a function: parameters are read once, by the bootstrap
    /// (the AIR leaves `SECRET` values free, so a second read could disagree with the first).
    InputOutsideBootstrap,
    /// `HALT` inside a function.
    HaltInFunction,
    /// A Brainfuck instruction in a resvm image.
    BrainfuckInstruction,
    /// A Brainfuck image breaks one of its rules ([`validate_brainfuck`]).
    BadBrainfuckImage(&'static str),
}

/// A rejected image: where, which instruction, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// The address of the offending instruction.
    pub pc: u32,
    /// The instruction there, if the pc is inside the code.
    pub instr: Option<Instr>,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frame = |s: &State| match s.frame {
            None => "the bootstrap".to_string(),
            Some(n) => format!("a frame of {n} slots"),
        };
        match self {
            ErrorKind::BadBootstrap(why) => write!(f, "malformed bootstrap: {why}"),
            ErrorKind::InputAndSecret { index } => {
                write!(
                    f,
                    "parameter {index} of main is read both by INPUT and by SECRET"
                )
            }
            ErrorKind::InputOutOfRange { index, arity } => {
                write!(
                    f,
                    "input {index} does not exist (main has {arity} parameter(s))"
                )
            }
            ErrorKind::UnknownFunction(i) => write!(f, "function {i} does not exist"),
            ErrorKind::FrameTooLarge { frame } => {
                write!(
                    f,
                    "frame of {frame} slots exceeds the maximum of {MAX_FRAME}"
                )
            }
            ErrorKind::FallsOffEnd => f.write_str("execution falls off the end of the code"),
            ErrorKind::InputOutsideBootstrap => {
                f.write_str("INPUT and SECRET may appear only in the bootstrap")
            }
            ErrorKind::BackwardJump { target } => {
                write!(f, "jump back to pc {target} (loops must be calls)")
            }
            ErrorKind::Inconsistent { first, other } => write!(
                f,
                "paths disagree: one arrives in {} at stack height {} with {} pending FRAME(s), \
                 another in {} at height {} with {}",
                frame(first),
                first.height,
                first.pending.len(),
                frame(other),
                other.height,
                other.pending.len()
            ),
            ErrorKind::Underflow { needs, available } => {
                write!(
                    f,
                    "stack underflow: needs {needs} operand(s), {available} available"
                )
            }
            ErrorKind::SlotOutsideFrame { slot, frame } => {
                write!(f, "slot {slot} is outside the frame of {frame} slot(s)")
            }
            ErrorKind::CallWithoutFrame => {
                f.write_str("call without a matching FRAME right below its arguments")
            }
            ErrorKind::PendingFrame => f.write_str("a FRAME is still waiting for its call"),
            ErrorKind::NotInFunction => f.write_str("only valid inside a function"),
            ErrorKind::HaltInFunction => f.write_str("HALT inside a function"),
            ErrorKind::BrainfuckInstruction => {
                f.write_str("Brainfuck instructions are valid only in Brainfuck images")
            }
            ErrorKind::BadBrainfuckImage(why) => write!(f, "malformed Brainfuck image: {why}"),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.instr {
            Some(i) => write!(f, "invalid program at pc {} ({i}): {}", self.pc, self.kind),
            None => write!(f, "invalid program at pc {}: {}", self.pc, self.kind),
        }
    }
}

impl std::error::Error for ValidationError {}

/// How an instruction changes the abstract stack, apart from its control flow: the one place
/// that knows each opcode's stack effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Pops `pops` operands and pushes `pushes`.
    Simple {
        /// Operands consumed.
        pops: u64,
        /// Results pushed.
        pushes: u64,
    },
    /// `FRAME`: reserves two linkage cells.
    Frame,
    /// `CALL` / `EVAL`: consumes `operands` (arguments, and `EVAL`'s callee) above a pending
    /// `FRAME` whose callee takes `args` arguments; resumes after the call with one result.
    Call {
        /// Cells consumed above the linkage cells.
        operands: u64,
    },
    /// `TAILCALL` / `TAILEVAL`: consumes `pops`, then jumps to a function entry.
    TailCall {
        /// Operands consumed (`TAILEVAL`'s callee).
        pops: u64,
    },
    /// `RET`: consumes the result and returns.
    Ret,
    /// `HALT`: consumes the output and stops.
    Halt,
}

/// The stack effect of `instr` in `program` (`None`: it names an unknown function).
pub fn stack_effect(program: &Program, instr: &Instr) -> Option<Effect> {
    let simple = |pops, pushes| Effect::Simple { pops, pushes };
    Some(match *instr {
        Instr::Push(_) | Instr::Load(_) | Instr::Repr(_) | Instr::Input(_) | Instr::Secret(_) => {
            simple(0, 1)
        }
        Instr::Pop | Instr::Store(_) | Instr::Branch(..) => simple(1, 0),
        Instr::Neg | Instr::Reflect => simple(1, 1),
        // The digest on top of the stack is replaced by the parent digest.
        Instr::Hash(_) => simple(4, 4),
        Instr::Add | Instr::Sub | Instr::Mul | Instr::Compare => simple(2, 1),
        // Fused instructions: the effect of the sequence they replace.
        Instr::AddSS(..)
        | Instr::SubSS(..)
        | Instr::MulSS(..)
        | Instr::LtSS(..)
        | Instr::AddSI(..)
        | Instr::SubSI(..)
        | Instr::MulSI(..)
        | Instr::LtSI(..)
        | Instr::RSubSI(..)
        | Instr::RLtSI(..)
        | Instr::EqZS(..) => simple(0, 1),
        Instr::Load2(..) => simple(0, 2),
        Instr::Store2(..) => simple(2, 0),
        Instr::STailCall(..) => Effect::TailCall { pops: 1 },
        Instr::Jump(_) | Instr::BrZS(..) | Instr::MovS(..) | Instr::IncS(..) => simple(0, 0),
        Instr::Frame => Effect::Frame,
        Instr::Call(f) => Effect::Call {
            operands: program.functions().get(f as usize)?.arity as u64,
        },
        Instr::Eval(k) => Effect::Call {
            operands: k as u64 + 1,
        },
        Instr::TailCall(_) => Effect::TailCall { pops: 0 },
        Instr::TailEval(_) => Effect::TailCall { pops: 1 },
        Instr::Ret => Effect::Ret,
        Instr::Halt => Effect::Halt,
        // Brainfuck instructions touch cell and I/O memory, never the stack.
        Instr::BfAdd(_)
        | Instr::BfAdd8(_)
        | Instr::BfMove(_)
        | Instr::BfIn
        | Instr::BfOut
        | Instr::BfJz(_)
        | Instr::BfJnz(_) => simple(0, 0),
    })
}

/// Validates `program` (see the module documentation); on success returns the per-pc states.
pub fn validate(program: &Program) -> Result<Analysis, ValidationError> {
    if program.kind() == ImageKind::Brainfuck {
        return validate_brainfuck(program);
    }
    let code = program.code();
    let n = code.len();
    let err = |pc: usize, kind: ErrorKind| ValidationError {
        pc: pc as u32,
        instr: code.get(pc).copied(),
        kind,
    };

    for f in program.functions() {
        if f.frame > MAX_FRAME {
            return Err(err(
                f.entry as usize,
                ErrorKind::FrameTooLarge { frame: f.frame },
            ));
        }
    }
    check_bootstrap(program).map_err(|(pc, kind)| err(pc, kind))?;

    let mut states: Vec<Option<State>> = vec![None; n];
    let mut work: Vec<usize> = Vec::new();
    let mut max_height = 0u64;
    // Records `s` as the state at `to` (reached from `from`), or checks it against the one
    // already there.
    let mut arrive =
        |states: &mut Vec<Option<State>>, work: &mut Vec<usize>, from: usize, to: u64, s: State| {
            let to = match usize::try_from(to) {
                Ok(t) if t < n => t,
                _ => return Err(err(from, ErrorKind::FallsOffEnd)),
            };
            match &states[to] {
                Some(first) if *first != s => Err(err(
                    to,
                    ErrorKind::Inconsistent {
                        first: first.clone(),
                        other: s,
                    },
                )),
                Some(_) => Ok(()),
                None => {
                    max_height = max_height.max(s.height);
                    states[to] = Some(s);
                    work.push(to);
                    Ok(())
                }
            }
        };

    arrive(
        &mut states,
        &mut work,
        0,
        0,
        State {
            frame: None,
            height: 0,
            pending: vec![],
        },
    )?;
    for f in program.functions() {
        let s = State {
            frame: Some(f.frame),
            height: f.frame as u64,
            pending: vec![],
        };
        arrive(&mut states, &mut work, f.entry as usize, f.entry as u64, s)?;
    }

    while let Some(pc) = work.pop() {
        let s = states[pc].clone().expect("queued pcs have a state");
        let instr = code[pc];
        let available = s.height.saturating_sub(s.floor());
        let need = |k: u64| {
            if available < k {
                Err(err(
                    pc,
                    ErrorKind::Underflow {
                        needs: k,
                        available,
                    },
                ))
            } else {
                Ok(())
            }
        };
        let in_function = || {
            if s.frame.is_some() {
                Ok(())
            } else {
                Err(err(pc, ErrorKind::NotInFunction))
            }
        };
        let no_pending = || {
            if s.pending.is_empty() {
                Ok(())
            } else {
                Err(err(pc, ErrorKind::PendingFrame))
            }
        };
        let next = pc as u64 + 1;

        // Operand checks of specific instructions.
        match instr {
            Instr::BfAdd(_)
            | Instr::BfAdd8(_)
            | Instr::BfMove(_)
            | Instr::BfIn
            | Instr::BfOut
            | Instr::BfJz(_)
            | Instr::BfJnz(_) => return Err(err(pc, ErrorKind::BrainfuckInstruction)),
            Instr::Load(k) | Instr::Store(k) => {
                let frame = s.frame.unwrap_or(0);
                if k >= frame {
                    return Err(err(pc, ErrorKind::SlotOutsideFrame { slot: k, frame }));
                }
            }
            Instr::AddSS(a, b)
            | Instr::SubSS(a, b)
            | Instr::MulSS(a, b)
            | Instr::LtSS(a, b)
            | Instr::Load2(a, b)
            | Instr::Store2(a, b)
            | Instr::MovS(a, b) => {
                let frame = s.frame.unwrap_or(0);
                for k in [a, b] {
                    if k >= frame {
                        return Err(err(pc, ErrorKind::SlotOutsideFrame { slot: k, frame }));
                    }
                }
            }
            Instr::AddSI(k, _)
            | Instr::SubSI(k, _)
            | Instr::MulSI(k, _)
            | Instr::LtSI(k, _)
            | Instr::RSubSI(k, _)
            | Instr::RLtSI(k, _)
            | Instr::EqZS(k)
            | Instr::BrZS(_, k)
            | Instr::IncS(k, _) => {
                let frame = s.frame.unwrap_or(0);
                if k >= frame {
                    return Err(err(pc, ErrorKind::SlotOutsideFrame { slot: k, frame }));
                }
            }
            Instr::STailCall(f, k) => {
                if f as usize >= program.functions().len() {
                    return Err(err(pc, ErrorKind::UnknownFunction(f)));
                }
                let frame = s.frame.unwrap_or(0);
                if k >= frame {
                    return Err(err(pc, ErrorKind::SlotOutsideFrame { slot: k, frame }));
                }
            }
            // HASH k reads the sibling and the direction from slots k..k+5.
            Instr::Hash(k) => {
                let frame = s.frame.unwrap_or(0);
                let last = k.saturating_add(4);
                if last >= frame {
                    return Err(err(pc, ErrorKind::SlotOutsideFrame { slot: last, frame }));
                }
            }
            Instr::Input(i) | Instr::Secret(i) => {
                if s.frame.is_some() {
                    return Err(err(pc, ErrorKind::InputOutsideBootstrap));
                }
                let arity = program.main_function().arity;
                if i >= arity {
                    return Err(err(pc, ErrorKind::InputOutOfRange { index: i, arity }));
                }
            }
            Instr::Call(f) | Instr::TailCall(f) | Instr::Repr(f)
                if f as usize >= program.functions().len() =>
            {
                return Err(err(pc, ErrorKind::UnknownFunction(f)));
            }
            _ => {}
        }

        let effect = stack_effect(program, &instr).ok_or_else(|| {
            err(
                pc,
                ErrorKind::UnknownFunction(instr.function().unwrap_or(0)),
            )
        })?;
        match effect {
            Effect::Simple { pops, pushes } => {
                need(pops)?;
                let after = State {
                    height: s.height - pops + pushes,
                    ..s.clone()
                };
                for t in instr.jump_targets() {
                    if t as usize <= pc {
                        return Err(err(pc, ErrorKind::BackwardJump { target: t }));
                    }
                }
                match instr {
                    Instr::Jump(t) => arrive(&mut states, &mut work, pc, t as u64, after)?,
                    Instr::Branch(t0, t1) => {
                        arrive(&mut states, &mut work, pc, t0 as u64, after.clone())?;
                        arrive(&mut states, &mut work, pc, t1 as u64, after)?;
                    }
                    Instr::BrZS(t, _) => {
                        arrive(&mut states, &mut work, pc, next, after.clone())?;
                        arrive(&mut states, &mut work, pc, t as u64, after)?;
                    }
                    _ => arrive(&mut states, &mut work, pc, next, after)?,
                }
            }
            Effect::Frame => {
                let mut after = s.clone();
                after.pending.push(s.height);
                after.height += 2;
                arrive(&mut states, &mut work, pc, next, after)?;
            }
            Effect::Call { operands } => {
                match s.pending.last() {
                    Some(&m) if m + 2 + operands == s.height => {}
                    _ => return Err(err(pc, ErrorKind::CallWithoutFrame)),
                }
                let mut after = s.clone();
                let m = after.pending.pop().unwrap_or(0);
                after.height = m + 1;
                arrive(&mut states, &mut work, pc, next, after)?;
            }
            Effect::TailCall { pops } => {
                in_function()?;
                no_pending()?;
                need(pops)?;
                // The callee's entry is a root of its own.
            }
            Effect::Ret => {
                in_function()?;
                no_pending()?;
                need(1)?;
            }
            Effect::Halt => {
                if s.frame.is_some() {
                    return Err(err(pc, ErrorKind::HaltInFunction));
                }
                no_pending()?;
                need(1)?;
            }
        }
    }
    Ok(Analysis { states, max_height })
}

/// Checks that the code at pc 0 is `FRAME; (INPUT i | SECRET i) for i in 0..arity; CALL main;
/// HALT`, and that no parameter is read both publicly and secretly anywhere.
fn check_bootstrap(program: &Program) -> Result<(), (usize, ErrorKind)> {
    let code = program.code();
    let arity = program.main_function().arity;
    let bad = |pc: usize, why| Err((pc, ErrorKind::BadBootstrap(why)));
    if code.first() != Some(&Instr::Frame) {
        return bad(0, "it must begin with FRAME");
    }
    for i in 0..arity {
        let pc = 1 + i as usize;
        match code.get(pc) {
            Some(Instr::Input(k)) | Some(Instr::Secret(k)) if *k == i => {}
            _ => {
                return bad(
                    pc.min(code.len().saturating_sub(1)),
                    "main's parameters must be read in order",
                )
            }
        }
    }
    let call = 1 + arity as usize;
    if code.get(call) != Some(&Instr::Call(program.main())) {
        return bad(
            call.min(code.len() - 1),
            "it must call main after reading its parameters",
        );
    }
    if code.get(call + 1) != Some(&Instr::Halt) {
        return bad(
            (call + 1).min(code.len() - 1),
            "it must end with HALT after the call",
        );
    }
    let mut public = vec![false; arity as usize];
    let mut secret = vec![false; arity as usize];
    for (pc, i) in code.iter().enumerate() {
        let (k, is_public) = match *i {
            Instr::Input(k) => (k, true),
            Instr::Secret(k) => (k, false),
            _ => continue,
        };
        let slot = k as usize;
        if slot >= public.len() {
            continue;
        }
        if is_public {
            public[slot] = true
        } else {
            secret[slot] = true
        }
        if public[slot] && secret[slot] {
            return Err((pc, ErrorKind::InputAndSecret { index: k }));
        }
    }
    Ok(())
}

/// Validates a Brainfuck image ([`ImageKind::Brainfuck`]).
///
/// Rules: the code is Brainfuck instructions followed by exactly `PUSH 0; HALT` (the halt
/// reads the pushed 0, the only stack memory a Brainfuck run touches); it uses `BFADD` (prime
/// field dialect) or `BFADD8` (`u8` dialect), never both; jump targets lie inside the code
/// before the `HALT`; the function table is the single entry `(entry 0, arity 0, frame 0)`.
///
/// Unlike resvm images, backward jumps are allowed: they are Brainfuck's loops. This is sound
/// because no Brainfuck instruction can stop the interpreter with a structural trap (none
/// touches the stack; every jump target is an instruction), so the only ways a run ends are
/// the final `HALT`, the data-dependent "moving left of cell 0" (which the AIR refuses: a
/// cell address below 0 cannot be sorted into the memory table) and the step limit, which a
/// proof meets by its bounded CPU table. A loop that never ends has no proof at all.
pub fn validate_brainfuck(program: &Program) -> Result<Analysis, ValidationError> {
    let code = program.code();
    let n = code.len();
    let bad = |pc: usize, why: &'static str| ValidationError {
        pc: pc as u32,
        instr: code.get(pc).copied(),
        kind: ErrorKind::BadBrainfuckImage(why),
    };
    let f = program.functions();
    if f.len() != 1 || f[0].entry != 0 || f[0].arity != 0 || f[0].frame != 0 {
        return Err(bad(
            0,
            "the function table must be the single entry (0, 0, 0)",
        ));
    }
    if n < 2
        || code[n - 2] != Instr::Push(p3_field::PrimeCharacteristicRing::ZERO)
        || code[n - 1] != Instr::Halt
    {
        return Err(bad(
            n.saturating_sub(1),
            "the code must end with PUSH 0; HALT",
        ));
    }
    let (mut field, mut byte) = (false, false);
    for (pc, i) in code[..n - 2].iter().enumerate() {
        match *i {
            Instr::BfAdd(_) => field = true,
            Instr::BfAdd8(_) => byte = true,
            Instr::BfMove(k) if k.unsigned_abs() > crate::spec::BF_MAX_MOVE => {
                return Err(bad(pc, "BFMOVE beyond BF_MAX_MOVE"))
            }
            Instr::BfJz(t) | Instr::BfJnz(t) if t as usize >= n - 1 => {
                return Err(bad(pc, "jump target outside the Brainfuck code"))
            }
            Instr::BfMove(_) | Instr::BfIn | Instr::BfOut | Instr::BfJz(_) | Instr::BfJnz(_) => {}
            _ => return Err(bad(pc, "only Brainfuck instructions before PUSH 0; HALT")),
        }
        if field && byte {
            return Err(bad(pc, "BFADD and BFADD8 mixed (one dialect per image)"));
        }
    }
    let state = |height| {
        Some(State {
            frame: None,
            height,
            pending: vec![],
        })
    };
    let mut states = vec![state(0); n];
    states[n - 1] = state(1);
    Ok(Analysis {
        states,
        max_height: 1,
    })
}
