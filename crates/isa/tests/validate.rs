//! Static validation (`resvm_isa::validate`): hand-written images that would reach each
//! structural trap of the stack interpreter are rejected with the matching error.

use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use resvm_isa::validate::{validate, ErrorKind, MAX_FRAME};
use resvm_isa::{Function, Instr, Program};
use Instr::*;

fn func(name: &str, entry: u32, arity: u32, frame: u32) -> Function {
    Function {
        name: name.into(),
        entry,
        arity,
        frame,
    }
}

/// `main` (function 0) at pc `2 + arity` with `arity` parameters and frame `frame`, after the standard
/// bootstrap `FRAME; INPUT 0..; CALL 0; HALT`; `body` is main's code, `extra` more functions.
fn image(arity: u32, frame: u32, body: Vec<Instr>, extra: Vec<Function>) -> Program {
    let mut code = vec![Frame];
    code.extend((0..arity).map(Input));
    code.push(Call(0));
    code.push(Halt);
    let entry = code.len() as u32;
    code.extend(body);
    let mut fs = vec![func("main", entry, arity, frame)];
    fs.extend(extra);
    Program::new(code, fs, 0).expect("structurally valid image")
}

fn kind(p: &Program) -> ErrorKind {
    match validate(p) {
        Ok(a) => panic!("accepted: {a:?}\n{}", p.listing()),
        Err(e) => {
            // Every error names a pc and says why.
            assert!(e.to_string().contains(&format!("pc {}", e.pc)), "{e}");
            e.kind
        }
    }
}

#[test]
fn accepts_well_formed_images() {
    // main(x) = x * x
    let p = image(1, 1, vec![Load(0), Load(0), Mul, Ret], vec![]);
    let a = validate(&p).expect("valid");
    assert_eq!(a.states[4].as_ref().map(|s| s.height), Some(1));
    assert_eq!(a.states[7].as_ref().map(|s| s.height), Some(2));
    assert!(a.max_safe_depth() > 100_000);

    // main(x) = branch(x, 1, sq(x)) with sq(y) = y * y, tail loop, eval, repr, reflect.
    // main at 5 (frame 2: x and a scratch slot), sq at 20.
    let body = vec![
        /*  5 */ Load(0),
        /*  6 */ Branch(7, 9),
        /*  7 */ Push(F::ONE),
        /*  8 */ Jump(17),
        /*  9 */ Frame,
        /* 10 */ Load(0),
        /* 11 */ Call(1),
        /* 12 */ Frame,
        /* 13 */ Load(0),
        /* 14 */ Repr(1),
        /* 15 */ Reflect,
        /* 16 */ Eval(1),
        /* 17 */ Store(1),
        /* 18 */ Load(1),
        /* 19 */ Ret,
        /* 20 */ Load(0),
        /* 21 */ Load(0),
        /* 22 */ Mul,
        /* 23 */ Ret,
    ];
    let mut code = vec![Frame, Input(0), Call(0), Halt];
    code.insert(4, Jump(5)); // unreachable filler keeps main at 5
    code.extend(body);
    let p = Program::new(code, vec![func("main", 5, 1, 2), func("sq", 20, 1, 1)], 0)
        .expect("valid image");
    // The branch arms meet at 17 with different heights (1 vs 2 results): rejected.
    assert!(matches!(kind(&p), ErrorKind::Inconsistent { .. }));
}

#[test]
fn calls_evals_and_tail_calls_validate() {
    // main(x) = f(x) + g(x) with f by CALL, g by EVAL of its repr; f tail-calls g.
    let body = vec![
        /* 4 */ Frame,
        /* 5 */ Load(0),
        /* 6 */ Call(1),
        /* 7 */ Frame,
        /* 8 */ Load(0),
        /* 9 */ Repr(2),
        /* 10 */ Eval(1),
        /* 11 */ Add,
        /* 12 */ Ret,
        /* 13 f */ Load(0),
        /* 14 */ Push(F::ONE),
        /* 15 */ Add,
        /* 16 */ Store(0),
        /* 17 */ TailCall(2),
        /* 18 g */ Load(0),
        /* 19 */ Ret,
    ];
    let p = image(1, 1, body, vec![func("f", 13, 1, 1), func("g", 18, 1, 1)]);
    let a = validate(&p).expect("valid");
    assert_eq!(a.states[11].as_ref().map(|s| s.height), Some(3));
    assert_eq!(a.states[7].as_ref().map(|s| s.pending.len()), Some(0));
    assert_eq!(
        a.states[10].as_ref().map(|s| s.pending.clone()),
        Some(vec![2])
    );
}

// One test per `malformed!` site of `resvm_exec::stack` (the property test in
// `crates/resvm/tests/validate.rs` checks the interpreter side).

#[test]
fn read_outside_the_stack() {
    // LOAD of a slot beyond the frame, and HALT/RET/NEG with nothing to read.
    assert_eq!(
        kind(&image(0, 1, vec![Load(7), Ret], vec![])),
        ErrorKind::SlotOutsideFrame { slot: 7, frame: 1 }
    );
    assert_eq!(
        kind(&image(0, 0, vec![Ret], vec![])),
        ErrorKind::Underflow {
            needs: 1,
            available: 0
        }
    );
    assert_eq!(
        kind(&image(0, 2, vec![Neg, Ret], vec![])),
        ErrorKind::Underflow {
            needs: 1,
            available: 0
        }
    );
    // The locals of the frame are not operands.
    assert_eq!(
        kind(&image(2, 2, vec![Add, Ret], vec![])),
        ErrorKind::Underflow {
            needs: 2,
            available: 0
        }
    );
}

#[test]
fn stack_underflow() {
    assert_eq!(
        kind(&image(0, 0, vec![Pop, Push(F::ONE), Ret], vec![])),
        ErrorKind::Underflow {
            needs: 1,
            available: 0
        }
    );
    // Consuming a pending FRAME's linkage cells.
    assert_eq!(
        kind(&image(
            0,
            0,
            vec![Frame, Pop, Pop, Push(F::ONE), Ret],
            vec![]
        )),
        ErrorKind::Underflow {
            needs: 1,
            available: 0
        }
    );
    assert_eq!(
        kind(&image(0, 0, vec![Push(F::ONE), Branch(5, 5), Ret], vec![])),
        ErrorKind::Underflow {
            needs: 1,
            available: 0
        }
    );
}

#[test]
fn store_outside_the_frame() {
    assert_eq!(
        kind(&image(
            0,
            1,
            vec![Push(F::ONE), Store(5), Load(0), Ret],
            vec![]
        )),
        ErrorKind::SlotOutsideFrame { slot: 5, frame: 1 }
    );
    assert_eq!(
        kind(&image(0, 1, vec![Store(0), Load(0), Ret], vec![])),
        ErrorKind::Underflow {
            needs: 1,
            available: 0
        }
    );
}

#[test]
fn call_without_frame() {
    // CALL with no FRAME; with the FRAME too far below the arguments; EVAL likewise.
    let f = || vec![func("f", 8, 1, 1)];
    assert_eq!(
        kind(&image(
            1,
            1,
            vec![Load(0), Call(1), Ret, Pop, Load(0), Ret],
            f()
        )),
        ErrorKind::CallWithoutFrame
    );
    assert_eq!(
        kind(&image(
            1,
            1,
            vec![Frame, Load(0), Load(0), Call(1), Ret, Load(0), Ret],
            vec![func("f", 9, 1, 1)]
        )),
        ErrorKind::CallWithoutFrame
    );
    assert_eq!(
        kind(&image(1, 1, vec![Load(0), Repr(0), Eval(1), Ret], vec![])),
        ErrorKind::CallWithoutFrame
    );
}

#[test]
fn unknown_function() {
    // The image constructor already refuses these; the validator's check is a second line.
    let code = vec![Frame, Call(0), Halt, Repr(9), Ret];
    assert!(Program::new(code, vec![func("main", 3, 0, 0)], 0).is_err());
}

#[test]
fn input_index_out_of_range() {
    assert_eq!(
        kind(&image(1, 1, vec![Input(3), Ret], vec![])),
        ErrorKind::InputOutsideBootstrap
    );
    // In the bootstrap: an index beyond main's arity.
    let p = Program::new(
        vec![Frame, Input(3), Call(0), Halt, Load(0), Ret],
        vec![func("main", 4, 1, 1)],
        0,
    )
    .unwrap();
    assert!(matches!(
        kind(&p),
        ErrorKind::BadBootstrap(_) | ErrorKind::InputOutOfRange { .. }
    ));
    // Public and secret at once.
    let mut code = vec![Frame, Input(0), Call(0), Halt, Secret(0), Ret];
    let p = Program::new(code.clone(), vec![func("main", 4, 1, 1)], 0).unwrap();
    assert_eq!(kind(&p), ErrorKind::InputAndSecret { index: 0 });
    // A parameter read again inside a function (a second SECRET read could disagree with the
    // first in a proof) is refused even when it is public.
    code[4] = Input(0);
    assert_eq!(
        kind(&Program::new(code, vec![func("main", 4, 1, 1)], 0).unwrap()),
        ErrorKind::InputOutsideBootstrap
    );
}

#[test]
fn frame_too_large() {
    let p = image(0, MAX_FRAME + 1, vec![Push(F::ONE), Ret], vec![]);
    assert_eq!(
        kind(&p),
        ErrorKind::FrameTooLarge {
            frame: MAX_FRAME + 1
        }
    );
    // A large but allowed frame lowers the safe recursion depth.
    let a = validate(&image(0, MAX_FRAME, vec![Push(F::ONE), Ret], vec![])).expect("valid");
    assert!(a.max_safe_depth() < 4096);
}

#[test]
fn return_from_the_bootstrap_and_bad_bootstraps() {
    let f = || vec![func("main", 1, 0, 0)];
    let p = Program::new(vec![Ret, Push(F::ONE), Ret], f(), 0).unwrap();
    assert!(matches!(kind(&p), ErrorKind::BadBootstrap(_)));
    let p = Program::new(
        vec![Frame, Call(0), Ret, Push(F::ONE), Ret],
        vec![func("main", 3, 0, 0)],
        0,
    )
    .unwrap();
    assert!(matches!(kind(&p), ErrorKind::BadBootstrap(_)));
    // Parameters out of order.
    let p = Program::new(
        vec![Frame, Input(1), Input(0), Call(0), Halt, Load(0), Ret],
        vec![func("main", 5, 2, 2)],
        0,
    )
    .unwrap();
    assert!(matches!(kind(&p), ErrorKind::BadBootstrap(_)));
    // Jumping back into the bootstrap (or anywhere backwards: loops must be calls).
    let p = image(0, 0, vec![Jump(0)], vec![]);
    assert!(matches!(kind(&p), ErrorKind::BackwardJump { target: 0 }));
}

#[test]
fn corrupt_linkage_is_unreachable() {
    // Nothing can write below fp: the linkage cells a RET reads were written by its CALL.
    // A callee reaching into its caller's operand stack is an underflow.
    let p = image(
        0,
        0,
        vec![
            Frame,
            Push(F::ONE),
            Call(1),
            Ret,
            Pop,
            Pop,
            Push(F::ONE),
            Ret,
        ],
        vec![func("f", 7, 1, 1)],
    );
    assert_eq!(
        kind(&p),
        ErrorKind::Underflow {
            needs: 1,
            available: 0
        }
    );
}

#[test]
fn pc_outside_the_code() {
    // Falling off the end, and a CALL as the last instruction (its return point).
    assert_eq!(
        kind(&image(0, 0, vec![Push(F::ONE)], vec![])),
        ErrorKind::FallsOffEnd
    );
    let p = image(0, 0, vec![Push(F::ONE), Ret, Frame, Call(0)], vec![]);
    // main's own code is fine; the unreachable tail is not analysed.
    assert!(validate(&p).is_ok());
    let p = image(0, 0, vec![Frame, Call(1)], vec![func("f", 3, 0, 0)]);
    // f's entry is main's entry with the same frame: f = main, which ends in a CALL.
    assert_eq!(kind(&p), ErrorKind::FallsOffEnd);
}

#[test]
fn halt_and_tail_calls_need_their_context() {
    assert_eq!(
        kind(&image(0, 0, vec![Push(F::ONE), Halt], vec![])),
        ErrorKind::HaltInFunction
    );
    assert_eq!(
        kind(&image(0, 0, vec![Frame, TailCall(0)], vec![])),
        ErrorKind::PendingFrame
    );
    assert_eq!(
        kind(&image(0, 0, vec![TailEval(0)], vec![])),
        ErrorKind::Underflow {
            needs: 1,
            available: 0
        }
    );
    // Code shared by two frames of different sizes.
    let p = image(0, 0, vec![Push(F::ONE), Ret], vec![func("g", 3, 0, 3)]);
    assert!(matches!(kind(&p), ErrorKind::Inconsistent { .. }));
}
