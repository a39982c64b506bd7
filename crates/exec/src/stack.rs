//! The stack-machine interpreter (`--engine stack`).
//!
//! Executes a [`Program`] image exactly as `docs/isa.md` specifies. A [`Tracer`] sees every
//! step and every memory access in order; the default [`NoTrace`] compiles away, so the
//! plain interpreter pays nothing for the hook the prover uses.

use crate::trap::{Limits, Trap};
use p3_field::PrimeCharacteristicRing;
use resvm_field::{canonical, lt, F};
use resvm_isa::spec::{Term, HASH_ACCESSES};
use resvm_isa::{Instr, Program};

/// Observer of an execution, called in program order.
pub trait Tracer {
    /// Before executing `instr` at `pc`, with the registers as they are then.
    #[inline(always)]
    fn step(&mut self, _clk: u64, _pc: u32, _fp: u32, _sp: u32, _instr: &Instr) {}
    /// A memory read of the current instruction.
    #[inline(always)]
    fn read(&mut self, _addr: u32, _value: F) {}
    /// A memory write of the current instruction.
    #[inline(always)]
    fn write(&mut self, _addr: u32, _value: F) {}
}

/// The tracer that records nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTrace;

impl Tracer for NoTrace {}

/// The result of a successful run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The program's output `b`.
    pub output: F,
    /// Instructions executed, `HALT` included.
    pub cycles: u64,
    /// Steps as [`Limits::max_steps`] counts them on every engine: function entries (the
    /// bootstrap's `CALL main` and every `CALL`, `EVAL`, `TAILCALL` and `TAILEVAL`).
    pub steps: u64,
}

/// Runs `program` on `inputs` (all parameters of `main`, in order).
pub fn run(program: &Program, inputs: &[F], limits: &Limits) -> Result<Outcome, Trap> {
    run_traced(program, inputs, limits, &mut NoTrace)
}

#[derive(Clone, Copy)]
struct FnInfo {
    entry: u32,
    arity: u32,
    frame: u32,
}

/// Runs `program` on `inputs`, reporting every step and memory access to `tracer`.
///
/// [`Limits::max_steps`] bounds function entries, as on the other engines (`CALL`, `EVAL`,
/// `TAILCALL`, `TAILEVAL`, the bootstrap's `CALL main` included), checked before the depth
/// limit at each entry. [`Limits::max_cycles`] bounds executed instructions (this engine
/// only). A function body has no backward jumps, so the cycle count is at most
/// the step count times the longest function body plus the bootstrap.
///
/// Memory accesses per instruction, in the order reported:
/// `PUSH/REPR/INPUT/SECRET`: write `sp`; `LOAD k`: read `fp+k`, write `sp`; `STORE k`: read
/// `sp-1`, write `fp+k`; unary ops: read `sp-1`, write `sp-1`; binary ops: read `sp-2`,
/// read `sp-1`, write `sp-2`; `BRANCH`, `REFLECT`, `TAILEVAL`: read `sp-1`; `CALL`/`EVAL`: (`EVAL`: read `sp-1`,) write `fp'-2`,
/// write `fp'-1`; `RET`: read `sp-1`, read `fp-2`, read `fp-1`, write `fp-2`; `HALT`: read
/// `sp-1`; `HASH k`: read `sp-4..sp`, read `fp+k..fp+k+5`, write `sp-4..sp`. `POP`, `JUMP`,
/// `FRAME`, `TAILCALL` touch no memory. This is the order of `resvm_isa::spec::OPS`
/// (`slots`, then `chiplet_accesses`); `tests::accesses_and_registers_follow_the_opcode_table`
/// checks every instruction against that table.
pub fn run_traced<T: Tracer>(
    program: &Program,
    inputs: &[F],
    limits: &Limits,
    tracer: &mut T,
) -> Result<Outcome, Trap> {
    let main = program.main_function();
    if inputs.len() != main.arity as usize {
        return Err(Trap::InputCount {
            expected: main.arity as usize,
            got: inputs.len(),
        });
    }
    let code = program.code();
    let funcs: Vec<FnInfo> = program
        .functions()
        .iter()
        .map(|f| FnInfo {
            entry: f.entry,
            arity: f.arity,
            frame: f.frame,
        })
        .collect();
    let max_steps = limits.max_steps.unwrap_or(u64::MAX);
    let max_cycles = limits.max_cycles.unwrap_or(u64::MAX);
    let mut mem: Vec<F> = vec![F::ZERO; 256];
    let (mut pc, mut fp, mut sp) = (0u32, 0u32, 0u32);
    let mut depth: u32 = 0;
    let mut clk: u64 = 0;
    let mut steps: u64 = 0;
    // Instructions since the last function entry or return. Compiled code only jumps forward
    // inside a body, so this never exceeds the code length; a hand-written image that loops
    // without calls is reported instead of running forever outside the step budget.
    let mut segment: usize = 0;
    let code_len = code.len();
    if limits.max_depth == 0 {
        return Err(Trap::DepthExceeded { limit: 0 });
    }
    if max_steps == 0 {
        return Err(Trap::StepsExceeded { limit: 0 });
    }

    macro_rules! malformed {
        ($why:expr) => {
            return Err(Trap::Malformed { pc, why: $why })
        };
    }
    macro_rules! read {
        ($addr:expr) => {{
            let a: u32 = $addr;
            match mem.get(a as usize) {
                Some(&v) if a < sp || a < fp => {
                    tracer.read(a, v);
                    v
                }
                _ => malformed!("read outside the stack"),
            }
        }};
    }
    macro_rules! write {
        ($addr:expr, $v:expr) => {{
            let a: u32 = $addr;
            let v: F = $v;
            tracer.write(a, v);
            mem[a as usize] = v;
        }};
    }
    // Grows memory so that every address below `new_sp` exists.
    macro_rules! set_sp {
        ($new:expr) => {{
            let n: u32 = $new;
            if n as usize > mem.len() {
                let want = (n as usize).max(mem.len() * 2);
                mem.resize(want, F::ZERO);
            }
            sp = n;
        }};
    }
    macro_rules! dec {
        ($x:expr, $k:expr) => {
            match $x.checked_sub($k) {
                Some(v) => v,
                None => malformed!("stack underflow"),
            }
        };
    }
    // Counts one function entry against the step budget.
    macro_rules! step {
        () => {{
            steps += 1;
            segment = 0;
            if steps > max_steps {
                return Err(Trap::StepsExceeded { limit: max_steps });
            }
        }};
    }
    macro_rules! func {
        ($f:expr) => {
            match funcs.get($f as usize) {
                Some(&info) => info,
                None => malformed!("unknown function"),
            }
        };
    }
    macro_rules! input {
        ($i:expr) => {
            match inputs.get($i as usize) {
                Some(&v) => v,
                None => malformed!("input index out of range"),
            }
        };
    }
    // Writes frame slot `k`, which must lie below `sp`.
    macro_rules! store_slot {
        ($k:expr, $v:expr) => {{
            let a = fp.saturating_add($k);
            if a >= sp {
                malformed!("store outside the frame");
            }
            write!(a, $v);
        }};
    }
    // Pops the top of the stack into frame slot `k` (`STORE k`).
    macro_rules! pop_to_slot {
        ($k:expr) => {{
            let v = read!(dec!(sp, 1));
            sp -= 1;
            store_slot!($k, v);
        }};
    }
    // Tail-enters a function whose arguments are already in the frame's first slots.
    macro_rules! tail_enter {
        ($info:expr) => {{
            let info: FnInfo = $info;
            step!();
            set_sp!(match fp.checked_add(info.frame) {
                Some(v) => v,
                None => malformed!("frame too large"),
            });
            pc = info.entry;
        }};
    }
    // Enters function `f` whose arguments occupy the top `arity` cells below `top`.
    macro_rules! enter {
        ($info:expr, $top:expr) => {{
            let info: FnInfo = $info;
            if depth >= limits.max_depth {
                return Err(Trap::DepthExceeded {
                    limit: limits.max_depth,
                });
            }
            depth += 1;
            let new_fp = dec!($top, info.arity);
            if new_fp < 2 || new_fp - 2 < fp {
                malformed!("call without FRAME");
            }
            write!(new_fp - 2, F::from_u64(pc as u64 + 1));
            write!(new_fp - 1, F::from_u64(fp as u64));
            fp = new_fp;
            set_sp!(match new_fp.checked_add(info.frame) {
                Some(v) => v,
                None => malformed!("frame too large"),
            });
            pc = info.entry;
        }};
    }

    loop {
        let instr = match code.get(pc as usize) {
            Some(i) => *i,
            None => malformed!("pc outside the code"),
        };
        tracer.step(clk, pc, fp, sp, &instr);
        clk += 1;
        if clk > max_cycles {
            return Err(Trap::CyclesExceeded { limit: max_cycles });
        }
        segment += 1;
        if segment > code_len {
            malformed!("a loop without calls");
        }
        match instr {
            Instr::Halt => {
                let v = read!(dec!(sp, 1));
                return Ok(Outcome {
                    output: v,
                    cycles: clk,
                    steps,
                });
            }
            Instr::Push(c) => {
                let a = sp;
                set_sp!(sp + 1);
                write!(a, c);
                pc += 1;
            }
            Instr::Pop => {
                sp = dec!(sp, 1);
                pc += 1;
            }
            Instr::Load(k) => {
                let v = read!(fp.saturating_add(k));
                let a = sp;
                set_sp!(sp + 1);
                write!(a, v);
                pc += 1;
            }
            Instr::Store(k) => {
                pop_to_slot!(k);
                pc += 1;
            }
            Instr::Neg => {
                let a = dec!(sp, 1);
                let x = read!(a);
                write!(a, -x);
                pc += 1;
            }
            Instr::Add | Instr::Sub | Instr::Mul | Instr::Compare => {
                let a = dec!(sp, 2);
                let x = read!(a);
                let y = read!(a + 1);
                let r = match instr {
                    Instr::Add => x + y,
                    Instr::Sub => x - y,
                    Instr::Mul => x * y,
                    _ => lt(x, y),
                };
                write!(a, r);
                sp = a + 1;
                pc += 1;
            }
            // Fused instructions: the accesses of the sequence each replaces, minus the
            // temporaries above `sp` (`resvm_isa::fuse`).
            Instr::AddSS(ka, kb)
            | Instr::SubSS(ka, kb)
            | Instr::MulSS(ka, kb)
            | Instr::LtSS(ka, kb) => {
                let x = read!(fp.saturating_add(ka));
                let y = read!(fp.saturating_add(kb));
                let r = match instr {
                    Instr::AddSS(..) => x + y,
                    Instr::SubSS(..) => x - y,
                    Instr::MulSS(..) => x * y,
                    _ => lt(x, y),
                };
                let a = sp;
                set_sp!(sp + 1);
                write!(a, r);
                pc += 1;
            }
            Instr::AddSI(k, c)
            | Instr::SubSI(k, c)
            | Instr::MulSI(k, c)
            | Instr::LtSI(k, c)
            | Instr::RSubSI(k, c)
            | Instr::RLtSI(k, c) => {
                let x = read!(fp.saturating_add(k));
                let r = match instr {
                    Instr::AddSI(..) => x + c,
                    Instr::SubSI(..) => x - c,
                    Instr::MulSI(..) => x * c,
                    Instr::LtSI(..) => lt(x, c),
                    Instr::RSubSI(..) => c - x,
                    _ => lt(c, x),
                };
                let a = sp;
                set_sp!(sp + 1);
                write!(a, r);
                pc += 1;
            }
            Instr::EqZS(k) => {
                let x = read!(fp.saturating_add(k));
                // lt(0, x): the fusion of `PUSH 0; LOAD k; COMPARE`.
                let r = lt(F::ZERO, x);
                let a = sp;
                set_sp!(sp + 1);
                write!(a, r);
                pc += 1;
            }
            Instr::Load2(ka, kb) => {
                let x = read!(fp.saturating_add(ka));
                let a = sp;
                set_sp!(sp + 1);
                write!(a, x);
                let y = read!(fp.saturating_add(kb));
                set_sp!(sp + 1);
                write!(a + 1, y);
                pc += 1;
            }
            Instr::Store2(ka, kb) => {
                pop_to_slot!(ka);
                pop_to_slot!(kb);
                pc += 1;
            }
            Instr::STailCall(f, k) => {
                pop_to_slot!(k);
                tail_enter!(func!(f));
            }
            Instr::Branch(t0, t1) => {
                let c = read!(dec!(sp, 1));
                sp -= 1;
                pc = match canonical(c) {
                    0 => t0,
                    1 => t1,
                    _ => return Err(Trap::BranchCondition { value: c }),
                };
            }
            Instr::Jump(t) => pc = t,
            Instr::BrZS(t, k) => {
                // `EQZS k; BRANCH pc+1 t` without the stack traffic.
                let x = read!(fp.saturating_add(k));
                pc = if x == F::ZERO { t } else { pc + 1 };
            }
            // `LOAD b; STORE a` and `LOAD a; PUSH c; ADD; STORE a` without the stack.
            Instr::MovS(ka, kb) => {
                let x = read!(fp.saturating_add(kb));
                store_slot!(ka, x);
                pc += 1;
            }
            Instr::IncS(k, c) => {
                let x = read!(fp.saturating_add(k));
                store_slot!(k, x + c);
                pc += 1;
            }
            Instr::Frame => {
                set_sp!(sp + 2);
                pc += 1;
            }
            Instr::Call(f) => {
                let info = func!(f);
                step!();
                enter!(info, sp);
            }
            Instr::Eval(k) => {
                let top = dec!(sp, 1);
                let g = read!(top);
                let info = callee(program, &funcs, g, k)?;
                step!();
                enter!(info, top);
            }
            Instr::TailCall(f) => tail_enter!(func!(f)),
            Instr::TailEval(k) => {
                let g = read!(dec!(sp, 1));
                tail_enter!(callee(program, &funcs, g, k)?);
            }
            Instr::Ret => {
                if fp < 2 || depth == 0 {
                    malformed!("return from the bootstrap");
                }
                segment = 0;
                let v = read!(dec!(sp, 1));
                let ret = read!(fp - 2);
                let caller_fp = read!(fp - 1);
                write!(fp - 2, v);
                sp = fp - 1;
                depth -= 1;
                match (
                    u32::try_from(canonical(ret)),
                    u32::try_from(canonical(caller_fp)),
                ) {
                    (Ok(r), Ok(c)) => {
                        pc = r;
                        fp = c;
                    }
                    _ => malformed!("corrupt linkage"),
                }
            }
            Instr::Repr(f) => {
                let r = match program.repr(f) {
                    Some(r) => r,
                    None => malformed!("unknown function"),
                };
                let a = sp;
                set_sp!(sp + 1);
                write!(a, r);
                pc += 1;
            }
            Instr::Reflect => {
                let x = read!(dec!(sp, 1));
                if program.reflect(x).is_none() {
                    return Err(Trap::ReflectUnknown { value: x });
                }
                pc += 1;
            }
            Instr::Hash(k) => {
                // The accesses, in order, are the opcode table's: d (stack top), s and the
                // direction e (frame slots k..k+5), then h over d.
                let env = |t: Term| match t {
                    Term::Sp => Some(sp as i64),
                    Term::Fp => Some(fp as i64),
                    Term::A => Some(k as i64),
                    _ => None,
                };
                let mut vals = [F::ZERO; 9];
                for (j, acc) in HASH_ACCESSES[..9].iter().enumerate() {
                    match acc.addr.eval_u32(env) {
                        Some(a) => vals[j] = read!(a),
                        None => malformed!("stack underflow"),
                    }
                }
                let d: [F; 4] = core::array::from_fn(|i| vals[i]);
                let s: [F; 4] = core::array::from_fn(|i| vals[4 + i]);
                let h = crate::trap::merkle_level(d, s, vals[8])?;
                for (acc, v) in HASH_ACCESSES[9..].iter().zip(h) {
                    match acc.addr.eval_u32(env) {
                        Some(a) => write!(a, v),
                        None => malformed!("stack underflow"),
                    }
                }
                pc += 1;
            }
            // Brainfuck images run in `crate::brainfuck` (validation keeps these out of
            // resvm images).
            Instr::BfAdd(_)
            | Instr::BfAdd8(_)
            | Instr::BfMove(_)
            | Instr::BfJz(_)
            | Instr::BfJnz(_)
            | Instr::BfIn
            | Instr::BfOut => malformed!("Brainfuck instruction in a resvm image"),
            Instr::Input(i) | Instr::Secret(i) => {
                let v = input!(i);
                let a = sp;
                set_sp!(sp + 1);
                write!(a, v);
                pc += 1;
            }
        }
    }
}

/// Resolves the PROG value (a repr) `g` of an `EVAL k`, checking the arity.
fn callee(program: &Program, funcs: &[FnInfo], g: F, k: u32) -> Result<FnInfo, Trap> {
    let i = program.reflect(g).ok_or(Trap::EvalUnknown { value: g })? as usize;
    let info = funcs[i];
    if info.arity == k {
        Ok(info)
    } else {
        Err(Trap::EvalArity {
            name: program.functions()[i].name.clone(),
            expected: info.arity,
            got: k,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use resvm_field::{merge, Digest};

    fn f(v: u64) -> F {
        F::from_u64(v)
    }

    /// The real compiler's image of a source program.
    fn compile(src: &str) -> Program {
        let m = resvm_lang::compile(src).expect("compiles");
        let canon = resvm_circuit::canonicalize(&m);
        let circuit = resvm_circuit::build_dag(&canon, &resvm_circuit::Factorer::default());
        resvm_codegen::generate(&circuit, &m).expect("generates")
    }

    /// Tail-recursive Fibonacci.
    fn fib_loop() -> Program {
        compile("fn fib(n, a, b) = branch(lt(0, n), fib(n - 1, b, a + b), a);\nfn main(n) = fib(n, 0, 1);")
    }

    #[test]
    fn fib_tail_loop_runs_in_constant_space() {
        let p = fib_loop();
        let out = run(&p, &[f(10)], &Limits::default()).expect("runs");
        assert_eq!(out.output, f(55));
        struct MaxSp(u32);
        impl Tracer for MaxSp {
            fn step(&mut self, _: u64, _: u32, _: u32, sp: u32, _: &Instr) {
                self.0 = self.0.max(sp);
            }
        }
        let mut t = MaxSp(0);
        let out = run_traced(&p, &[f(1_000_000)], &Limits::default(), &mut t).expect("runs");
        assert!(t.0 < 16, "stack grew to {}", t.0);
        assert!(out.cycles > 1_000_000);
    }

    #[test]
    fn wrong_input_count_and_step_limit() {
        let p = fib_loop();
        assert!(matches!(
            run(&p, &[], &Limits::default()),
            Err(Trap::InputCount { .. })
        ));
        let l = Limits {
            max_steps: Some(100),
            ..Limits::default()
        };
        assert!(matches!(
            run(&p, &[f(1000)], &l),
            Err(Trap::StepsExceeded { .. })
        ));
    }

    /// Every executed instruction's memory accesses (direction, address, order) and its next
    /// `pc`, `fp`, `sp` are exactly those of its entry in `resvm_isa::spec::OPS`, for programs
    /// that together execute every opcode.
    #[test]
    fn accesses_and_registers_follow_the_opcode_table() {
        use resvm_isa::spec::{FnUse, Lin, Term};
        use resvm_isa::{Function, Opcode};
        /// `(pc, fp, sp, instr)` and the step's `(is_write, addr, value)` accesses.
        type Step = ((u32, u32, u32, Instr), Vec<(bool, u32, F)>);
        #[derive(Default)]
        struct Rec(Vec<Step>);
        impl Tracer for Rec {
            fn step(&mut self, _: u64, pc: u32, fp: u32, sp: u32, i: &Instr) {
                self.0.push(((pc, fp, sp, *i), vec![]));
            }
            fn read(&mut self, a: u32, v: F) {
                self.0.last_mut().unwrap().1.push((false, a, v));
            }
            fn write(&mut self, a: u32, v: F) {
                self.0.last_mut().unwrap().1.push((true, a, v));
            }
        }
        // main(x): a Merkle level with HASH, NEG, POP, REPR, STORE, JUMP, TAILEVAL into id.
        let hand = {
            let mut code = vec![Instr::Frame, Instr::Input(0), Instr::Call(0), Instr::Halt];
            for (slot, v) in [(1, 11), (2, 12), (3, 13), (4, 14), (5, 1)] {
                code.extend([Instr::Push(f(v)), Instr::Store(slot)]);
            }
            code.extend([
                Instr::Load(0),
                Instr::Load(0),
                Instr::Neg,
                Instr::Push(f(3)),
                Instr::Push(f(4)),
                Instr::Hash(1),
                Instr::Add,
                Instr::Add,
                Instr::Add,
                Instr::Pop,
                Instr::Repr(1),
                Instr::Store(6),
                Instr::Jump(27),
                Instr::Load(6),
                Instr::TailEval(1),
                Instr::Load(0),
                Instr::Ret,
            ]);
            let fns = vec![
                Function {
                    name: "main".into(),
                    entry: 4,
                    arity: 1,
                    frame: 7,
                },
                Function {
                    name: "id".into(),
                    entry: 29,
                    arity: 1,
                    frame: 1,
                },
            ];
            Program::new(code, fns, 0).expect("valid")
        };
        let evals = compile(
            "fn twice(f: prog, x) = f(f(x));\nfn inc(x) = x + 1;\n\
             fn count(n, acc) = branch(lt(0, n), eval(reflect(repr(count)), n - 1, acc + n), acc);\n\
             fn main(secret x) = twice(inc, x) * x + eval(twice, inc, 10) + count(3, 0);",
        );
        // Brainfuck images (`crate::brainfuck`, input "a"): every BF instruction, jumps taken
        // and not taken, a read at the end of the input, the u8 wrap.
        let bf_field = Program::new_brainfuck(vec![
            Instr::BfIn,
            Instr::BfIn,
            Instr::BfAdd(f(2)),
            Instr::BfJz(7),
            Instr::BfOut,
            Instr::BfAdd(-F::ONE),
            Instr::BfJnz(4),
            Instr::BfMove(3),
            Instr::BfJz(10),
            Instr::BfOut,
            Instr::BfMove(-3),
            Instr::Push(F::ZERO),
            Instr::Halt,
        ])
        .expect("valid");
        let bf_u8 = Program::new_brainfuck(vec![
            Instr::BfAdd8(255),
            Instr::BfAdd8(2),
            Instr::BfOut,
            Instr::Push(F::ZERO),
            Instr::Halt,
        ])
        .expect("valid");
        // main(x): every fused instruction, ending in a STAILCALL into id.
        let fused = {
            let mut code = vec![Instr::Frame, Instr::Input(0), Instr::Call(0), Instr::Halt];
            code.extend([Instr::Push(f(3)), Instr::Store(1)]);
            // [x = 0] of a nonzero and of a zero slot (slot 2 is still fresh).
            code.extend([Instr::EqZS(0), Instr::EqZS(2)]);
            // BRZS on the zero slot 2 (jumps over a JUMP) and on slot 0 = x ≠ 0 (falls
            // through to a JUMP to the same place).
            let i = code.len() as u32;
            code.extend([
                Instr::BrZS(i + 2, 2),
                Instr::Jump(i + 2),
                Instr::BrZS(i + 4, 0),
                Instr::Jump(i + 4),
            ]);
            // A BRANCH on a pushed condition: the compiled branches of these programs all test
            // for zero, which the fusion pass makes BRZS.
            let i = code.len() as u32;
            code.extend([
                Instr::Push(F::ONE),
                Instr::Branch(i + 2, i + 3),
                Instr::Jump(i + 3),
            ]);
            for (a, b) in [(0, 1), (1, 0)] {
                code.extend([
                    Instr::AddSS(a, b),
                    Instr::SubSS(a, b),
                    Instr::MulSS(a, b),
                    Instr::LtSS(a, b),
                ]);
            }
            for c in [f(2), f(9)] {
                code.extend([
                    Instr::AddSI(0, c),
                    Instr::SubSI(0, c),
                    Instr::MulSI(0, c),
                    Instr::LtSI(0, c),
                    Instr::RSubSI(0, c),
                    Instr::RLtSI(0, c),
                ]);
            }
            code.extend([
                Instr::Store2(2, 3),
                Instr::Load2(3, 2),
                Instr::Sub,
                Instr::STailCall(1, 0),
                Instr::Load(0),
                Instr::Ret,
            ]);
            let fns = vec![
                Function {
                    name: "main".into(),
                    entry: 4,
                    arity: 1,
                    frame: 4,
                },
                Function {
                    name: "id".into(),
                    entry: code.len() as u32 - 2,
                    arity: 1,
                    frame: 1,
                },
            ];
            Program::new(code, fns, 0).expect("valid")
        };
        // The top two of the 22 results are 9 − 5 = 4 and lt(9, 5) = 1: slots 2, 3 get 1, 4;
        // LOAD2 3 2; SUB gives 4 − 1.
        assert_eq!(
            run(&fused, &[f(5)], &Limits::default()).map(|o| o.output),
            Ok(f(3)),
        );
        // The unfused forms compiled code no longer emits: main(x) = id(lt(x*x, 9)).
        let unfused = {
            let code = vec![
                Instr::Frame,
                Instr::Input(0),
                Instr::Call(0),
                Instr::Halt,
                Instr::Load(0),
                Instr::Load(0),
                Instr::Mul,
                Instr::Push(f(9)),
                Instr::Compare,
                Instr::Store(0),
                Instr::TailCall(1),
                Instr::Load(0),
                Instr::Ret,
            ];
            let fns = ["main", "id"].map(|name| Function {
                name: name.into(),
                entry: if name == "main" { 4 } else { 11 },
                arity: 1,
                frame: 1,
            });
            Program::new(code, fns.to_vec(), 0).expect("valid")
        };
        assert_eq!(
            run(&unfused, &[f(5)], &Limits::default()).map(|o| o.output),
            Ok(f(1)),
        );
        let runs: Vec<(Program, Vec<F>)> = vec![
            (hand, vec![f(5)]),
            (unfused, vec![f(5)]),
            (fused, vec![f(5)]),
            (fib_loop(), vec![f(6)]),
            (evals, vec![f(7)]),
            (bf_field, vec![]),
            (bf_u8, vec![]),
        ];
        let mut seen = std::collections::HashSet::new();
        for (p, inputs) in runs {
            let mut rec = Rec::default();
            if p.kind() == resvm_isa::ImageKind::Brainfuck {
                crate::brainfuck::run_traced(&p, b"a", 1000, &mut rec).expect("runs");
            } else {
                run_traced(&p, &inputs, &Limits::default(), &mut rec).expect("runs");
            }
            for (i, ((pc, fp, sp, instr), acc)) in rec.0.iter().enumerate() {
                let op = instr.opcode();
                seen.insert(op);
                let spec = op.spec();
                let [_, a, b] = instr.encode();
                let (a, b) = (canonical(a) as i64, canonical(b) as i64);
                // BFMOVE's immediate is a signed delta.
                let a = match *instr {
                    Instr::BfMove(k) => k as i64,
                    _ => a,
                };
                let callee = match spec.fn_use() {
                    Some(FnUse::ByIndex) => Some(a as usize),
                    Some(_) => p.reflect(acc[0].2).map(|x| x as usize),
                    None => None,
                };
                let info = callee.map(|c| &p.functions()[c]);
                let v = |j: usize| acc.get(j).map(|x| canonical(x.2) as i64);
                let env = |t: Term| -> Option<i64> {
                    Some(match t {
                        Term::Pc => *pc as i64,
                        Term::Fp => *fp as i64,
                        Term::Sp => *sp as i64,
                        Term::A => a,
                        Term::B => b,
                        Term::Ent => info?.entry as i64,
                        Term::Ar => info?.arity as i64,
                        Term::Frm => info?.frame as i64,
                        Term::V(j) => v(j as usize)?,
                        // BRANCH's slot 1 carries b − a (see the CPU AIR).
                        Term::V0V1 => v(0)? * if op == Opcode::Branch { b - a } else { v(1)? },
                        // BF jumps: v2 = [cell ≠ 0], v3 the jump distance (see the CPU AIR).
                        Term::V2V3 => {
                            let nz = (v(0)? != 0) as i64;
                            match op {
                                Opcode::BfJz | Opcode::BrZS => nz * (*pc as i64 + 1 - a),
                                Opcode::BfJnz => nz * (a - *pc as i64 - 1),
                                _ => v(2)? * v(3)?,
                            }
                        }
                    })
                };
                let want: Vec<(bool, Option<u32>)> = spec
                    .accesses()
                    .map(|x| (x.write, x.addr.eval_u32(env)))
                    .collect();
                let got: Vec<(bool, Option<u32>)> = acc.iter().map(|x| (x.0, Some(x.1))).collect();
                assert_eq!(got, want, "{instr} at pc {pc}: accesses");
                if let Some(((npc, nfp, nsp, _), _)) = rec.0.get(i + 1) {
                    let ev = |l: Lin| l.eval_u32(env);
                    assert_eq!(
                        (Some(*npc), Some(*nfp), Some(*nsp)),
                        (ev(spec.next_pc), ev(spec.next_fp), ev(spec.next_sp)),
                        "{instr} at pc {pc}: next registers"
                    );
                }
            }
        }
        let missing: Vec<_> = Opcode::ALL.iter().filter(|o| !seen.contains(o)).collect();
        assert!(missing.is_empty(), "opcodes never executed: {missing:?}");
    }

    /// `HASH k` computes one Merkle level in either direction and traps on a direction
    /// cell outside {0, 1}.
    #[test]
    fn hash_is_one_merkle_level() {
        use resvm_isa::Function;
        let prog = |bit: u64| {
            let mut code = vec![Instr::Frame, Instr::Call(0), Instr::Halt];
            for (slot, v) in [(0, 11), (1, 12), (2, 13), (3, 14), (4, bit)] {
                code.extend([Instr::Push(f(v)), Instr::Store(slot)]);
            }
            code.extend([
                Instr::Push(f(1)),
                Instr::Push(f(2)),
                Instr::Push(f(3)),
                Instr::Push(f(4)),
                Instr::Hash(0),
            ]);
            // Returns h0 (h1..h3 are left below it and dropped by RET).
            code.extend([Instr::Pop, Instr::Pop, Instr::Pop, Instr::Ret]);
            let fns = vec![Function {
                name: "main".into(),
                entry: 3,
                arity: 0,
                frame: 5,
            }];
            Program::new(code, fns, 0).expect("valid")
        };
        let d = Digest::from_elements([f(1), f(2), f(3), f(4)]);
        let s = Digest::from_elements([f(11), f(12), f(13), f(14)]);
        for (bit, want) in [(0, merge(&d, &s)), (1, merge(&s, &d))] {
            let out = run(&prog(bit), &[], &Limits::default()).expect("runs");
            assert_eq!(out.output, want.elements()[0]);
        }
        // A direction outside {0, 1} is data, not a malformed image: the same runtime
        // error the other engines give for `merkle`.
        assert_eq!(
            run(&prog(2), &[], &Limits::default()).map(|o| o.output),
            Err(Trap::HashDirection { value: f(2) })
        );
    }

    /// Steps are function entries: main, then fib for n = 10, 9, .., 0.
    #[test]
    fn steps_count_function_entries() {
        let p = fib_loop();
        let out = run(&p, &[f(10)], &Limits::default()).expect("runs");
        assert_eq!(out.steps, 12);
        assert!(out.cycles > 12 * 5, "{} cycles", out.cycles);
        let at = |n| Limits {
            max_steps: Some(n),
            ..Limits::default()
        };
        assert_eq!(run(&p, &[f(10)], &at(12)).map(|o| o.output), Ok(f(55)));
        assert_eq!(
            run(&p, &[f(10)], &at(11)),
            Err(Trap::StepsExceeded { limit: 11 })
        );
        assert_eq!(
            run(&p, &[f(10)], &at(0)),
            Err(Trap::StepsExceeded { limit: 0 })
        );
    }

    /// Hand-written images that break the compiler's invariants are reported, never panic.
    #[test]
    fn malformed_images_are_errors() {
        use resvm_isa::Function;
        let main = |frame| {
            vec![Function {
                name: "main".into(),
                entry: 0,
                arity: 0,
                frame,
            }]
        };
        let cases: Vec<(Vec<Instr>, u32)> = vec![
            (vec![Instr::Pop, Instr::Halt], 0),
            (vec![Instr::Add, Instr::Halt], 0),
            (vec![Instr::Load(7), Instr::Halt], 0),
            (vec![Instr::Push(f(1)), Instr::Store(5), Instr::Halt], 0),
            (vec![Instr::Ret], 0),
            (vec![Instr::Call(0)], 0),
            (vec![Instr::Halt], 0),
            (vec![Instr::Push(f(3)), Instr::Eval(0)], 0),
            (vec![Instr::Frame, Instr::Jump(0)], 0),
            (vec![Instr::Push(f(1)), Instr::Hash(0), Instr::Halt], 0),
        ];
        let limits = Limits {
            max_steps: Some(10_000),
            ..Limits::default()
        };
        for (code, frame) in cases {
            let listing = format!("{code:?}");
            let p = Program::new(code, main(frame), 0).expect("structurally valid image");
            let r = run(&p, &[], &limits);
            assert!(r.is_err(), "{listing} gave {r:?}");
        }
    }
}
