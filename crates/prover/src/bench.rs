//! Example programs and the prover benchmark used by `resvm bench prove`.

use resvm_field::F;
use resvm_isa::{Function, Instr, Program};
use p3_field::PrimeCharacteristicRing;

/// `main(n) = loop(n, 0, 1)` with the tail-recursive `loop(n, a, b)`: fib(n) mod p, about
/// 17 cycles per iteration in constant stack space.
pub fn fib_program() -> Program {
    let f = F::from_u64;
    let code = vec![
        Instr::Frame,
        Instr::Input(0),
        Instr::Call(0),
        Instr::Halt,
        // main(n) @4
        Instr::Load(0),
        Instr::Push(f(0)),
        Instr::Push(f(1)),
        Instr::Store(2),
        Instr::Store(1),
        Instr::Store(0),
        Instr::TailCall(1),
        // loop(n, a, b) @11
        Instr::Push(f(0)),
        Instr::Load(0),
        Instr::Compare,
        Instr::Branch(17, 15),
        Instr::Load(1),
        Instr::Ret,
        // @17
        Instr::Load(0),
        Instr::Push(f(1)),
        Instr::Sub,
        Instr::Load(2),
        Instr::Load(1),
        Instr::Load(2),
        Instr::Add,
        Instr::Store(2),
        Instr::Store(1),
        Instr::Store(0),
        Instr::TailCall(1),
    ];
    let fns = vec![
        Function { name: "main".into(), entry: 4, arity: 1, frame: 3 },
        Function { name: "loop".into(), entry: 11, arity: 3, frame: 3 },
    ];
    Program::new(code, fns, 0).expect("the fib image is valid")
}
