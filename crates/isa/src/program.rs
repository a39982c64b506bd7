//! Program images: code, function table, digest and `repr` values.

use crate::instr::Instr;
use crate::spec::Imm;
use p3_field::PrimeCharacteristicRing;
use resvm_field::{canonical, hash, Digest, F};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Version of the canonical encoding hashed by [`Program::digest`]. Bumped whenever the
/// encoding or an instruction's meaning changes, so old digests can never alias new programs.
pub const ENCODING_VERSION: u64 = 3;

/// Domain separator for `repr` values ("repr" in ASCII).
const REPR_DOMAIN: u64 = 0x7265_7072;

/// One entry of the function table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    /// Source name (informational: not part of the digest).
    pub name: String,
    /// Code address of the first instruction.
    pub entry: u32,
    /// Number of arguments.
    pub arity: u32,
    /// Frame size in slots (arguments first, then locals); at least `arity`.
    pub frame: u32,
}

/// Why a program image is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    /// The image has no code.
    #[error("program has no code")]
    Empty,
    /// `main` is not a function index.
    #[error("main function index {0} is out of range")]
    BadMain(u32),
    /// An instruction names a code address outside the program.
    #[error("instruction {pc} ({instr}) jumps outside the program")]
    BadTarget {
        /// Address of the instruction.
        pc: usize,
        /// The instruction.
        instr: String,
    },
    /// An instruction names a function that does not exist.
    #[error("instruction {pc} ({instr}) names an unknown function")]
    BadFunction {
        /// Address of the instruction.
        pc: usize,
        /// The instruction.
        instr: String,
    },
    /// A function-table entry is inconsistent.
    #[error("function {index} ({name}): {why}")]
    BadEntry {
        /// Index in the function table.
        index: usize,
        /// Its name.
        name: String,
        /// What is wrong.
        why: &'static str,
    },
    /// Two functions have the same `repr` (a Poseidon2 collision: never expected).
    #[error("repr collision between functions {0} and {1}")]
    ReprCollision(u32, u32),
    /// The image is too large to address.
    #[error("program too large")]
    TooLarge,
}

/// Which front end an image is for: it selects the static validation rules and is lane 4 of
/// the encoding's header (0 for resvm images, so their digests are what they always were).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImageKind {
    /// A resvm program: bootstrap and functions (`crate::validate`).
    Resvm = 0,
    /// A compiled Brainfuck program (`crate::validate::validate_brainfuck`).
    Brainfuck = 1,
}

/// A validated program image. Execution starts at pc 0 with `fp = sp = 0`; the compiler puts
/// a bootstrap there (`FRAME; INPUT/SECRET ...; CALL main; HALT`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    code: Vec<Instr>,
    functions: Vec<Function>,
    main: u32,
    digest: Digest,
    reprs: Vec<F>,
    by_repr: HashMap<u64, u32>,
    kind: ImageKind,
}

impl Program {
    /// Validates an image and computes its digest and `repr` table.
    pub fn new(
        code: Vec<Instr>,
        functions: Vec<Function>,
        main: u32,
    ) -> Result<Self, ProgramError> {
        Self::with_kind(ImageKind::Resvm, code, functions, main)
    }

    /// A Brainfuck image: `code` with the single function-table entry `(0, 0, 0)` that
    /// [`crate::validate::validate_brainfuck`] requires.
    pub fn new_brainfuck(code: Vec<Instr>) -> Result<Self, ProgramError> {
        let f = Function {
            name: "brainfuck".into(),
            entry: 0,
            arity: 0,
            frame: 0,
        };
        Self::with_kind(ImageKind::Brainfuck, code, vec![f], 0)
    }

    /// An image of the given kind (checked as [`Program::new`] does).
    pub fn with_kind(
        kind: ImageKind,
        code: Vec<Instr>,
        functions: Vec<Function>,
        main: u32,
    ) -> Result<Self, ProgramError> {
        if code.is_empty() {
            return Err(ProgramError::Empty);
        }
        if code.len() > u32::MAX as usize / 2 || functions.len() > u32::MAX as usize / 2 {
            return Err(ProgramError::TooLarge);
        }
        if main as usize >= functions.len() {
            return Err(ProgramError::BadMain(main));
        }
        let n = code.len() as u64;
        for (index, f) in functions.iter().enumerate() {
            let bad = |why| ProgramError::BadEntry {
                index,
                name: f.name.clone(),
                why,
            };
            if f.entry as u64 >= n {
                return Err(bad("entry outside the program"));
            }
            if f.frame < f.arity {
                return Err(bad("frame smaller than arity"));
            }
        }
        let nf = functions.len() as u64;
        for (pc, i) in code.iter().enumerate() {
            // Which immediates are code addresses or function indices comes from the opcode
            // table.
            let [_, a, b] = i.encode();
            for (kind, v) in i.opcode().spec().imm.into_iter().zip([a, b]) {
                let v = canonical(v);
                match kind {
                    Imm::Pc if v >= n => {
                        return Err(ProgramError::BadTarget {
                            pc,
                            instr: i.to_string(),
                        })
                    }
                    Imm::Function if v >= nf => {
                        return Err(ProgramError::BadFunction {
                            pc,
                            instr: i.to_string(),
                        })
                    }
                    _ => {}
                }
            }
        }
        let digest = hash(&encode(kind, &code, &functions, main));
        let reprs: Vec<F> = (0..functions.len() as u32)
            .map(|f| repr_of(&digest, f))
            .collect();
        let mut by_repr = HashMap::with_capacity(reprs.len());
        for (f, r) in reprs.iter().enumerate() {
            if let Some(prev) = by_repr.insert(canonical(*r), f as u32) {
                return Err(ProgramError::ReprCollision(prev, f as u32));
            }
        }
        Ok(Program {
            code,
            functions,
            main,
            digest,
            reprs,
            by_repr,
            kind,
        })
    }

    /// The image kind.
    pub fn kind(&self) -> ImageKind {
        self.kind
    }

    /// The instructions.
    pub fn code(&self) -> &[Instr] {
        &self.code
    }

    /// The function table.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// Index of `main` in the function table.
    pub fn main(&self) -> u32 {
        self.main
    }

    /// The entry function (`main`).
    pub fn main_function(&self) -> &Function {
        &self.functions[self.main as usize]
    }

    /// The 256-bit Poseidon2 digest of the canonical encoding ([`Program::encoding`]).
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The canonical encoding as field elements, in blocks of 8:
    /// `[version, #functions, #instructions, main, kind, 0, 0, 0]` ([`ImageKind`] as a
    /// number), then per function `f`
    /// `[TAG_FUNCTION, f, entry, arity, frame, 0, 0, 0]`, then per instruction
    /// `[TAG_INSTRUCTION, pc, opcode, a, b, 0, 0, 0]`.
    /// Function names are not part of it: renaming changes nothing.
    pub fn encoding(&self) -> Vec<F> {
        encode(self.kind, &self.code, &self.functions, self.main)
    }

    /// `repr(f)`: the first element of `H(REPR_DOMAIN, digest, f)`.
    pub fn repr(&self, f: u32) -> Option<F> {
        self.reprs.get(f as usize).copied()
    }

    /// All `repr` values, indexed by function.
    pub fn reprs(&self) -> &[F] {
        &self.reprs
    }

    /// `reflect(x)`: the function whose repr is `x`, if any.
    pub fn reflect(&self, x: F) -> Option<u32> {
        self.by_repr.get(&canonical(x)).copied()
    }

    /// Per main parameter, in order: `true` when it is read by `SECRET` (a witness).
    /// Derived from the bootstrap's `INPUT`/`SECRET` instructions.
    pub fn secret_params(&self) -> Vec<bool> {
        let arity = self.main_function().arity as usize;
        let mut out = vec![false; arity];
        for i in &self.code {
            if let Instr::Secret(k) = *i {
                if let Some(s) = out.get_mut(k as usize) {
                    *s = true;
                }
            }
        }
        out
    }

    /// Human-readable assembly listing: one instruction per line with its address, and a
    /// header line per function.
    pub fn listing(&self) -> String {
        let mut heads: HashMap<u32, Vec<&Function>> = HashMap::new();
        for f in &self.functions {
            heads.entry(f.entry).or_default().push(f);
        }
        let mut out = format!("; program {}\n", self.digest);
        for (pc, i) in self.code.iter().enumerate() {
            if let Some(fs) = heads.get(&(pc as u32)) {
                for f in fs {
                    out.push_str(&format!(
                        "{}:  ; arity {}, frame {}\n",
                        f.name, f.arity, f.frame
                    ));
                }
            }
            out.push_str(&format!("  {pc:>5}  {i}\n"));
        }
        out
    }
}

fn repr_of(digest: &Digest, f: u32) -> F {
    let d = digest.elements();
    hash(&[
        F::from_u64(REPR_DOMAIN),
        d[0],
        d[1],
        d[2],
        d[3],
        F::from_u64(f as u64),
    ])
    .elements()[0]
}

/// Tag of a function block in the encoding (lane 0).
pub const TAG_FUNCTION: u64 = 0x10;
/// Tag of an instruction block in the encoding (lane 0).
pub const TAG_INSTRUCTION: u64 = 0x11;

/// The canonical encoding: whole sponge blocks of [`resvm_field::RATE`] = 8 elements, one per
/// header, function and instruction, so that a STARK hashes one table row per permutation
/// (see `docs/air.md`, ROM table).
fn encode(kind: ImageKind, code: &[Instr], functions: &[Function], main: u32) -> Vec<F> {
    let u = |x: u64| F::from_u64(x);
    let z = F::ZERO;
    let mut out = Vec::with_capacity(8 * (1 + functions.len() + code.len()));
    out.extend([
        u(ENCODING_VERSION),
        u(functions.len() as u64),
        u(code.len() as u64),
        u(main as u64),
        u(kind as u64),
        z,
        z,
        z,
    ]);
    for (i, f) in functions.iter().enumerate() {
        out.extend([
            u(TAG_FUNCTION),
            u(i as u64),
            u(f.entry as u64),
            u(f.arity as u64),
            u(f.frame as u64),
            z,
            z,
            z,
        ]);
    }
    for (pc, i) in code.iter().enumerate() {
        let [op, a, b] = i.encode();
        out.extend([u(TAG_INSTRUCTION), u(pc as u64), op, a, b, z, z, z]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(name: &str) -> Program {
        // main(x) = x * x
        let code = vec![
            Instr::Frame,
            Instr::Input(0),
            Instr::Call(0),
            Instr::Halt,
            Instr::Load(0),
            Instr::Load(0),
            Instr::Mul,
            Instr::Ret,
        ];
        let f = Function {
            name: name.into(),
            entry: 4,
            arity: 1,
            frame: 1,
        };
        Program::new(code, vec![f], 0).expect("valid")
    }

    #[test]
    fn digest_ignores_names_and_reflect_inverts_repr() {
        let a = tiny("main");
        let b = tiny("renamed");
        assert_eq!(a.digest(), b.digest());
        let r = a.repr(0).expect("repr");
        assert_eq!(a.reflect(r), Some(0));
        assert_eq!(a.reflect(r + F::ONE), None);
    }

    #[test]
    fn validation_rejects_bad_images() {
        let f = Function {
            name: "main".into(),
            entry: 0,
            arity: 0,
            frame: 0,
        };
        assert_eq!(
            Program::new(vec![], vec![f.clone()], 0),
            Err(ProgramError::Empty)
        );
        assert!(matches!(
            Program::new(vec![Instr::Jump(5)], vec![f.clone()], 0),
            Err(ProgramError::BadTarget { .. })
        ));
        assert!(matches!(
            Program::new(vec![Instr::Call(3)], vec![f.clone()], 0),
            Err(ProgramError::BadFunction { .. })
        ));
        assert_eq!(
            Program::new(vec![Instr::Halt], vec![f], 1),
            Err(ProgramError::BadMain(1))
        );
    }
}
