//! Instructions and their fixed-width encoding `(opcode, a, b)`.

use p3_field::PrimeCharacteristicRing;
use resvm_field::{canonical, F};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Numeric opcodes. Values are part of the program encoding (and so of every digest and
/// `repr`): never renumber, only append. 23–29 are the Brainfuck front end's (cell memory and
/// I/O, valid only in Brainfuck images); 30–46 are fused instructions (superinstructions the
/// fusion pass [`mod@crate::fuse`] makes of common stack sequences). Each opcode's meaning is
/// described by its entry in [`crate::spec::OPS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Opcode {
    Halt = 0,
    Push = 1,
    Pop = 2,
    Load = 3,
    Store = 4,
    Neg = 5,
    Add = 6,
    Sub = 7,
    Mul = 8,
    Compare = 9,
    Branch = 10,
    Jump = 11,
    Frame = 12,
    Call = 13,
    TailCall = 14,
    Ret = 15,
    Repr = 16,
    Reflect = 17,
    Eval = 18,
    TailEval = 19,
    Input = 20,
    Secret = 21,
    Hash = 22,
    BfAdd = 23,
    BfAdd8 = 24,
    BfMove = 25,
    BfJz = 26,
    BfJnz = 27,
    BfIn = 28,
    BfOut = 29,
    AddSS = 30,
    SubSS = 31,
    MulSS = 32,
    LtSS = 33,
    AddSI = 34,
    SubSI = 35,
    MulSI = 36,
    LtSI = 37,
    RSubSI = 38,
    RLtSI = 39,
    Load2 = 40,
    Store2 = 41,
    STailCall = 42,
    EqZS = 43,
    BrZS = 44,
    MovS = 45,
    IncS = 46,
}

impl Opcode {
    /// Every opcode, in numeric order.
    pub const ALL: [Opcode; crate::spec::NUM_OPS] = [
        Opcode::Halt,
        Opcode::Push,
        Opcode::Pop,
        Opcode::Load,
        Opcode::Store,
        Opcode::Neg,
        Opcode::Add,
        Opcode::Sub,
        Opcode::Mul,
        Opcode::Compare,
        Opcode::Branch,
        Opcode::Jump,
        Opcode::Frame,
        Opcode::Call,
        Opcode::TailCall,
        Opcode::Ret,
        Opcode::Repr,
        Opcode::Reflect,
        Opcode::Eval,
        Opcode::TailEval,
        Opcode::Input,
        Opcode::Secret,
        Opcode::Hash,
        Opcode::BfAdd,
        Opcode::BfAdd8,
        Opcode::BfMove,
        Opcode::BfJz,
        Opcode::BfJnz,
        Opcode::BfIn,
        Opcode::BfOut,
        Opcode::AddSS,
        Opcode::SubSS,
        Opcode::MulSS,
        Opcode::LtSS,
        Opcode::AddSI,
        Opcode::SubSI,
        Opcode::MulSI,
        Opcode::LtSI,
        Opcode::RSubSI,
        Opcode::RLtSI,
        Opcode::Load2,
        Opcode::Store2,
        Opcode::STailCall,
        Opcode::EqZS,
        Opcode::BrZS,
        Opcode::MovS,
        Opcode::IncS,
    ];

    /// The opcode with numeric value `v`, if any.
    pub fn from_u64(v: u64) -> Option<Opcode> {
        Opcode::ALL.get(usize::try_from(v).ok()?).copied()
    }

    /// The assembly mnemonic.
    pub fn mnemonic(self) -> &'static str {
        self.spec().mnemonic
    }

    /// The opcode's entry in the declarative table [`crate::spec::OPS`].
    pub const fn spec(self) -> &'static crate::spec::OpSpec {
        crate::spec::spec(self)
    }
}

/// One instruction. Immediates are code addresses (`pc`), frame slots, function indices,
/// argument counts or input indices (all `u32`), except `Push`, which carries a field element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Instr {
    /// Stop; the output `b` is the top of the stack.
    Halt,
    /// Push a constant.
    Push(F),
    /// Drop the top of the stack.
    Pop,
    /// Push frame slot `k` (`memory[fp + k]`).
    Load(u32),
    /// Pop into frame slot `k`.
    Store(u32),
    /// `x -> -x`.
    Neg,
    /// `a b -> a + b`.
    Add,
    /// `a b -> a - b`.
    Sub,
    /// `a b -> a * b`.
    Mul,
    /// `a b -> lt(a, b)`: 0 if a < b as canonical integers, else 1.
    Compare,
    /// Pop `c`; jump to the first target if c = 0, the second if c = 1; trap otherwise.
    Branch(u32, u32),
    /// Jump to a code address.
    Jump(u32),
    /// Reserve the two linkage cells (return pc, caller fp) of a call about to be set up.
    Frame,
    /// Call function `f` on the `arity(f)` arguments on top of the stack.
    Call(u32),
    /// Tail-call `f`: its arguments are already in slots `0..arity(f)` of the current frame.
    TailCall(u32),
    /// Return the top of the stack to the caller.
    Ret,
    /// Push `repr(f)` of function `f`: how a function used as a value (a PROG) is
    /// materialized, since PROG values are represented by their repr.
    Repr(u32),
    /// `x -> x`; trap unless `x` is the repr of a function of the program.
    Reflect,
    /// `a1 .. ak g -> f(a1, .., ak)` for the function `f` with `repr(f) = g`; trap if there
    /// is none or `arity(f) != k`.
    Eval(u32),
    /// Tail form of `Eval`: arguments already in slots `0..k`, `g` on top of the stack.
    TailEval(u32),
    /// Push public input `i`.
    Input(u32),
    /// Push secret (witness) input `i`.
    Secret(u32),
    /// One Merkle level over the digest on top of the stack: `d -> merge(d, s)` or
    /// `merge(s, d)`, with the sibling `s` in frame slots `k..k+4` and the direction bit in
    /// slot `k+4` (0: `d` is the left child).
    Hash(u32),
    /// Brainfuck images only: add a field constant to the current cell (`+`/`-` runs,
    /// prime-field dialect).
    BfAdd(F),
    /// Brainfuck images only: add a byte to the current cell modulo 256 (`+`/`-` runs, `u8`
    /// dialect).
    BfAdd8(u8),
    /// Brainfuck images only: move the data pointer by a signed amount (`<`/`>` runs);
    /// `|k| <=` [`crate::spec::BF_MAX_MOVE`].
    BfMove(i32),
    /// Brainfuck `[`: jump to the target if the current cell is zero, else fall through.
    BfJz(u32),
    /// Brainfuck `]`: jump to the target if the current cell is nonzero, else fall through.
    BfJnz(u32),
    /// Brainfuck `,`: the next input byte (0 at end of input) into the current cell.
    BfIn,
    /// Brainfuck `.`: the current cell modulo 256 (canonical representative) to the output.
    BfOut,
    /// Push `m[fp+a] + m[fp+b]` (`LOAD a; LOAD b; ADD`).
    AddSS(u32, u32),
    /// Push `m[fp+a] − m[fp+b]` (`LOAD a; LOAD b; SUB`).
    SubSS(u32, u32),
    /// Push `m[fp+a] · m[fp+b]` (`LOAD a; LOAD b; MUL`).
    MulSS(u32, u32),
    /// Push `lt(m[fp+a], m[fp+b])` (`LOAD a; LOAD b; COMPARE`).
    LtSS(u32, u32),
    /// Push `m[fp+a] + c` (`LOAD a; PUSH c; ADD`).
    AddSI(u32, F),
    /// Push `m[fp+a] − c` (`LOAD a; PUSH c; SUB`).
    SubSI(u32, F),
    /// Push `m[fp+a] · c` (`LOAD a; PUSH c; MUL`).
    MulSI(u32, F),
    /// Push `lt(m[fp+a], c)` (`LOAD a; PUSH c; COMPARE`).
    LtSI(u32, F),
    /// Push `c − m[fp+a]` (`PUSH c; LOAD a; SUB`).
    RSubSI(u32, F),
    /// Push `lt(c, m[fp+a])` (`PUSH c; LOAD a; COMPARE`).
    RLtSI(u32, F),
    /// Push `m[fp+a]`, then `m[fp+b]` (`LOAD a; LOAD b`).
    Load2(u32, u32),
    /// Pop into slot `a`, then pop into slot `b` (`STORE a; STORE b`).
    Store2(u32, u32),
    /// Pop into slot `k`, then tail-call `f` (`STORE k; TAILCALL f`).
    STailCall(u32, u32),
    /// Push `[m[fp+a] = 0]`, which is `lt(0, m[fp+a])` (`PUSH 0; LOAD a; COMPARE`): a zero
    /// test in the CPU instead of a comparison in the compare chiplet.
    EqZS(u32),
    /// Jump to `t` if `m[fp+k] = 0`, else go on at the next instruction (`PUSH 0; LOAD k;
    /// COMPARE; BRANCH next t`): a loop's zero test and branch in one cycle, with no stack
    /// traffic.
    BrZS(u32, u32),
    /// `m[fp+a] = m[fp+b]` (`LOAD b; STORE a`): a tail call's argument that is a slot of
    /// the caller, moved without passing through the stack.
    MovS(u32, u32),
    /// `m[fp+a] = m[fp+a] + c` (`LOAD a; PUSH c; ADD; STORE a`): a loop counter stepped in
    /// place.
    IncS(u32, F),
}

/// Why a fixed-width instruction word could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The opcode field holds no known opcode.
    #[error("unknown opcode {0}")]
    UnknownOpcode(u64),
    /// An immediate that must be a 32-bit index is out of range.
    #[error("immediate {value} of {mnemonic} does not fit in 32 bits")]
    ImmediateRange {
        /// The instruction's mnemonic.
        mnemonic: &'static str,
        /// The offending value.
        value: u64,
    },
    /// An immediate that must be zero is not.
    #[error("unused immediate of {0} is not zero")]
    NonZeroPadding(&'static str),
}

impl Instr {
    /// The instruction's opcode.
    pub fn opcode(&self) -> Opcode {
        match self {
            Instr::Halt => Opcode::Halt,
            Instr::Push(_) => Opcode::Push,
            Instr::Pop => Opcode::Pop,
            Instr::Load(_) => Opcode::Load,
            Instr::Store(_) => Opcode::Store,
            Instr::Neg => Opcode::Neg,
            Instr::Add => Opcode::Add,
            Instr::Sub => Opcode::Sub,
            Instr::Mul => Opcode::Mul,
            Instr::Compare => Opcode::Compare,
            Instr::Branch(..) => Opcode::Branch,
            Instr::Jump(_) => Opcode::Jump,
            Instr::Frame => Opcode::Frame,
            Instr::Call(_) => Opcode::Call,
            Instr::TailCall(_) => Opcode::TailCall,
            Instr::Ret => Opcode::Ret,
            Instr::Repr(_) => Opcode::Repr,
            Instr::Reflect => Opcode::Reflect,
            Instr::Eval(_) => Opcode::Eval,
            Instr::TailEval(_) => Opcode::TailEval,
            Instr::Input(_) => Opcode::Input,
            Instr::Secret(_) => Opcode::Secret,
            Instr::Hash(_) => Opcode::Hash,
            Instr::BfAdd(_) => Opcode::BfAdd,
            Instr::BfAdd8(_) => Opcode::BfAdd8,
            Instr::BfMove(_) => Opcode::BfMove,
            Instr::BfJz(_) => Opcode::BfJz,
            Instr::BfJnz(_) => Opcode::BfJnz,
            Instr::BfIn => Opcode::BfIn,
            Instr::BfOut => Opcode::BfOut,
            Instr::AddSS(..) => Opcode::AddSS,
            Instr::SubSS(..) => Opcode::SubSS,
            Instr::MulSS(..) => Opcode::MulSS,
            Instr::LtSS(..) => Opcode::LtSS,
            Instr::AddSI(..) => Opcode::AddSI,
            Instr::SubSI(..) => Opcode::SubSI,
            Instr::MulSI(..) => Opcode::MulSI,
            Instr::LtSI(..) => Opcode::LtSI,
            Instr::RSubSI(..) => Opcode::RSubSI,
            Instr::RLtSI(..) => Opcode::RLtSI,
            Instr::Load2(..) => Opcode::Load2,
            Instr::Store2(..) => Opcode::Store2,
            Instr::STailCall(..) => Opcode::STailCall,
            Instr::EqZS(..) => Opcode::EqZS,
            Instr::BrZS(..) => Opcode::BrZS,
            Instr::MovS(..) => Opcode::MovS,
            Instr::IncS(..) => Opcode::IncS,
        }
    }

    /// The single 32-bit index immediate (slot, pc, function, count or input index) of the
    /// instructions that carry exactly one.
    pub fn index(&self) -> Option<u32> {
        match *self {
            Instr::Load(k)
            | Instr::Store(k)
            | Instr::Jump(k)
            | Instr::Call(k)
            | Instr::TailCall(k)
            | Instr::Repr(k)
            | Instr::Eval(k)
            | Instr::TailEval(k)
            | Instr::Input(k)
            | Instr::Secret(k)
            | Instr::Hash(k)
            | Instr::BfJz(k)
            | Instr::BfJnz(k)
            | Instr::EqZS(k) => Some(k),
            _ => None,
        }
    }

    /// The code addresses a `JUMP`, `BRANCH` or `BRZS` may continue at other than the next
    /// (none for other instructions).
    pub fn jump_targets(&self) -> impl Iterator<Item = u32> {
        let t = match *self {
            Instr::Jump(t) | Instr::BrZS(t, _) => [Some(t), None],
            Instr::Branch(a, b) => [Some(a), Some(b)],
            _ => [None, None],
        };
        t.into_iter().flatten()
    }

    /// The instruction with its jump targets mapped by `f` (others unchanged).
    pub fn map_jump_targets(self, f: impl Fn(u32) -> u32) -> Instr {
        match self {
            Instr::Jump(t) => Instr::Jump(f(t)),
            Instr::Branch(a, b) => Instr::Branch(f(a), f(b)),
            Instr::BrZS(t, k) => Instr::BrZS(f(t), k),
            other => other,
        }
    }

    /// The function index of the instructions that name one (`CALL`, `TAILCALL`, `REPR`,
    /// `STAILCALL`): the function-table lookup by index.
    pub fn function(&self) -> Option<u32> {
        match *self {
            Instr::Call(f) | Instr::TailCall(f) | Instr::Repr(f) | Instr::STailCall(f, _) => {
                Some(f)
            }
            _ => None,
        }
    }

    /// The slot and the field constant of a slot–immediate instruction (`ADDSI a c`, ...).
    pub fn slot_imm(&self) -> Option<(u32, F)> {
        match *self {
            Instr::AddSI(a, c)
            | Instr::SubSI(a, c)
            | Instr::MulSI(a, c)
            | Instr::LtSI(a, c)
            | Instr::RSubSI(a, c)
            | Instr::RLtSI(a, c)
            | Instr::IncS(a, c) => Some((a, c)),
            _ => None,
        }
    }

    /// The two 32-bit index immediates of the instructions that carry two (`BRANCH`, the
    /// slot–slot instructions, `LOAD2`, `STORE2`, `STAILCALL`, `BRZS`, `MOVS`).
    pub fn index2(&self) -> Option<(u32, u32)> {
        match *self {
            Instr::Branch(a, b)
            | Instr::AddSS(a, b)
            | Instr::SubSS(a, b)
            | Instr::MulSS(a, b)
            | Instr::LtSS(a, b)
            | Instr::Load2(a, b)
            | Instr::Store2(a, b)
            | Instr::STailCall(a, b)
            | Instr::BrZS(a, b)
            | Instr::MovS(a, b) => Some((a, b)),
            _ => None,
        }
    }

    /// The fixed-width encoding `[opcode, a, b]` (unused immediates are zero).
    pub fn encode(&self) -> [F; 3] {
        let u = |x: u32| F::from_u64(x as u64);
        let op = F::from_u64(self.opcode() as u64);
        if let Some((a, c)) = self.slot_imm() {
            return [op, u(a), c];
        }
        if let Some((a, b)) = self.index2() {
            return [op, u(a), u(b)];
        }
        match *self {
            Instr::Push(c) => [op, c, F::ZERO],
            Instr::BfAdd(c) => [op, c, F::ZERO],
            Instr::BfAdd8(c) => [op, F::from_u8(c), F::ZERO],
            Instr::BfMove(k) => [op, F::from_i64(k as i64), F::ZERO],
            _ => [op, self.index().map_or(F::ZERO, u), F::ZERO],
        }
    }

    /// Decodes a word written by [`Instr::encode`]; rejects anything else. Which
    /// immediates an opcode has comes from its [`crate::spec::OpSpec::imm`].
    pub fn decode(word: [F; 3]) -> Result<Instr, DecodeError> {
        use crate::spec::Imm;
        let [op, a, b] = word.map(canonical);
        let opcode = Opcode::from_u64(op).ok_or(DecodeError::UnknownOpcode(op))?;
        let m = opcode.mnemonic();
        let check = |kind: Imm, v: u64| -> Result<u32, DecodeError> {
            match kind {
                Imm::None if v != 0 => Err(DecodeError::NonZeroPadding(m)),
                Imm::None | Imm::Field => Ok(0),
                Imm::Byte if v > u8::MAX as u64 => Err(DecodeError::ImmediateRange {
                    mnemonic: m,
                    value: v,
                }),
                Imm::Delta => {
                    let max = crate::spec::BF_MAX_MOVE as u64;
                    if v <= max || resvm_field::P - v <= max {
                        Ok(0)
                    } else {
                        Err(DecodeError::ImmediateRange {
                            mnemonic: m,
                            value: v,
                        })
                    }
                }
                Imm::Byte => Ok(v as u32),
                _ => u32::try_from(v).map_err(|_| DecodeError::ImmediateRange {
                    mnemonic: m,
                    value: v,
                }),
            }
        };
        let [ka, kb] = opcode.spec().imm;
        let (x, y) = (check(ka, a)?, check(kb, b)?);
        Ok(match opcode {
            Opcode::Halt => Instr::Halt,
            Opcode::Push => Instr::Push(word[1]),
            Opcode::Pop => Instr::Pop,
            Opcode::Load => Instr::Load(x),
            Opcode::Store => Instr::Store(x),
            Opcode::Neg => Instr::Neg,
            Opcode::Add => Instr::Add,
            Opcode::Sub => Instr::Sub,
            Opcode::Mul => Instr::Mul,
            Opcode::Compare => Instr::Compare,
            Opcode::Branch => Instr::Branch(x, y),
            Opcode::Jump => Instr::Jump(x),
            Opcode::Frame => Instr::Frame,
            Opcode::Call => Instr::Call(x),
            Opcode::TailCall => Instr::TailCall(x),
            Opcode::Ret => Instr::Ret,
            Opcode::Repr => Instr::Repr(x),
            Opcode::Reflect => Instr::Reflect,
            Opcode::Eval => Instr::Eval(x),
            Opcode::TailEval => Instr::TailEval(x),
            Opcode::Input => Instr::Input(x),
            Opcode::Secret => Instr::Secret(x),
            Opcode::Hash => Instr::Hash(x),
            Opcode::BfAdd => Instr::BfAdd(word[1]),
            Opcode::BfAdd8 => Instr::BfAdd8(x as u8),
            Opcode::BfMove => Instr::BfMove(if a <= resvm_field::P / 2 {
                a as i32
            } else {
                -((resvm_field::P - a) as i32)
            }),
            Opcode::BfJz => Instr::BfJz(x),
            Opcode::BfJnz => Instr::BfJnz(x),
            Opcode::BfIn => Instr::BfIn,
            Opcode::BfOut => Instr::BfOut,
            Opcode::AddSS => Instr::AddSS(x, y),
            Opcode::SubSS => Instr::SubSS(x, y),
            Opcode::MulSS => Instr::MulSS(x, y),
            Opcode::LtSS => Instr::LtSS(x, y),
            Opcode::AddSI => Instr::AddSI(x, word[2]),
            Opcode::SubSI => Instr::SubSI(x, word[2]),
            Opcode::MulSI => Instr::MulSI(x, word[2]),
            Opcode::LtSI => Instr::LtSI(x, word[2]),
            Opcode::RSubSI => Instr::RSubSI(x, word[2]),
            Opcode::RLtSI => Instr::RLtSI(x, word[2]),
            Opcode::Load2 => Instr::Load2(x, y),
            Opcode::Store2 => Instr::Store2(x, y),
            Opcode::STailCall => Instr::STailCall(x, y),
            Opcode::EqZS => Instr::EqZS(x),
            Opcode::BrZS => Instr::BrZS(x, y),
            Opcode::MovS => Instr::MovS(x, y),
            Opcode::IncS => Instr::IncS(x, word[2]),
        })
    }
}

impl fmt::Display for Instr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.opcode().mnemonic();
        if let Some((a, c)) = self.slot_imm() {
            let c = canonical(c);
            // A step is shown signed: `INCS 0 -1`, not `INCS 0 18446744069414584320`.
            if matches!(self, Instr::IncS(..)) && c > resvm_field::P / 2 {
                return write!(f, "{m} {a} -{}", resvm_field::P - c);
            }
            return write!(f, "{m} {a} {c}");
        }
        if let Some((a, b)) = self.index2() {
            return write!(f, "{m} {a} {b}");
        }
        match *self {
            Instr::Push(c) => write!(f, "{m} {}", canonical(c)),
            Instr::BfAdd(c) => write!(f, "{m} {}", canonical(c)),
            Instr::BfAdd8(c) => write!(f, "{m} {c}"),
            Instr::BfMove(k) => write!(f, "{m} {k}"),
            _ => match self.index() {
                Some(k) => write!(f, "{m} {k}"),
                None => f.write_str(m),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_roundtrip() {
        let all = [
            Instr::Halt,
            Instr::Push(F::from_u64(12345)),
            Instr::Pop,
            Instr::Load(3),
            Instr::Store(4),
            Instr::Neg,
            Instr::Add,
            Instr::Sub,
            Instr::Mul,
            Instr::Compare,
            Instr::Branch(7, 9),
            Instr::Jump(11),
            Instr::Frame,
            Instr::Call(2),
            Instr::TailCall(1),
            Instr::Ret,
            Instr::Repr(1),
            Instr::Reflect,
            Instr::Eval(3),
            Instr::TailEval(2),
            Instr::Input(0),
            Instr::Secret(1),
            Instr::Hash(2),
            Instr::BfAdd(-F::ONE),
            Instr::BfAdd8(255),
            Instr::BfMove(-3),
            Instr::BfJz(4),
            Instr::BfJnz(1),
            Instr::BfIn,
            Instr::BfOut,
            Instr::AddSS(1, 2),
            Instr::SubSS(2, 1),
            Instr::MulSS(0, 0),
            Instr::LtSS(3, 4),
            Instr::AddSI(1, -F::ONE),
            Instr::SubSI(2, F::from_u64(7)),
            Instr::MulSI(0, F::from_u64(3)),
            Instr::LtSI(1, F::ZERO),
            Instr::RSubSI(2, F::from_u64(9)),
            Instr::RLtSI(0, F::from_u64(1 << 40)),
            Instr::Load2(2, 1),
            Instr::Store2(2, 1),
            Instr::STailCall(1, 0),
            Instr::EqZS(2),
            Instr::BrZS(9, 1),
            Instr::MovS(1, 2),
            Instr::IncS(0, -F::ONE),
        ];
        assert_eq!(
            Instr::decode(Instr::BfMove(512).encode()),
            Ok(Instr::BfMove(512))
        );
        assert_eq!(all.len(), Opcode::ALL.len());
        for i in all {
            assert_eq!(Instr::decode(i.encode()), Ok(i), "{i}");
        }
    }

    #[test]
    fn decode_rejects_garbage() {
        let f = F::from_u64;
        assert_eq!(
            Instr::decode([f(99), f(0), f(0)]),
            Err(DecodeError::UnknownOpcode(99))
        );
        assert!(Instr::decode([f(6), f(1), f(0)]).is_err());
        assert!(Instr::decode([f(3), f(1 << 40), f(0)]).is_err());
        // BFADD8 takes a byte, BFMOVE a delta of at most BF_MAX_MOVE either way.
        assert!(Instr::decode([f(24), f(256), f(0)]).is_err());
        assert!(Instr::decode([f(25), f(513), f(0)]).is_err());
        assert!(Instr::decode([f(25), -f(513), f(0)]).is_err());
    }
}
