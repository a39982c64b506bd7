//! Static image validation (`resvm_isa::validate`) against the compiler and the interpreter:
//! every image the compiler produces validates, and no validated image — however mutated —
//! makes the stack interpreter stop with `Trap::Malformed`.

use p3_field::PrimeCharacteristicRing;
use proptest::prelude::*;
use resvm::{Limits, Trap, F};
use resvm_exec::testgen;
use resvm_field::SplitMix64;
use resvm_isa::validate::{validate, ErrorKind};
use resvm_isa::{Function, Instr, Program};

#[test]
fn every_example_validates() {
    let mut compiled = 0;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
        .expect("examples/")
    {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rvm") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("readable");
        // Some examples demonstrate compile errors.
        let Ok(c) = resvm::compile(&src) else {
            continue;
        };
        compiled += 1;
        if let Err(e) = validate(&c.program) {
            panic!("{}: {e}\n{}", path.display(), c.program.listing());
        }
    }
    assert!(compiled >= 8, "only {compiled} examples compiled");
}

#[test]
fn every_generated_program_validates() {
    for seed in 0..400 {
        let p = testgen::program(seed);
        let c = resvm::compile(&p.source).expect("generated programs compile");
        if let Err(e) = validate(&c.program) {
            panic!("seed {seed}: {e}\n{}\n{}", p.source, c.program.listing());
        }
    }
}

/// Hand-written images reaching each `malformed!` site of the interpreter: the interpreter
/// reports exactly that site, and the validator rejects the image beforehand.
#[test]
fn each_malformed_site_is_rejected_statically() {
    use Instr::*;
    let one = F::ONE;
    let f = |entry, arity, frame| Function {
        name: "f".into(),
        entry,
        arity,
        frame,
    };
    // (code, functions, main arity-matching inputs, interpreter's reason)
    let cases: Vec<(Vec<Instr>, Vec<Function>, usize, &str)> = vec![
        (
            vec![Frame, Call(0), Halt, Load(3), Ret],
            vec![f(3, 0, 0)],
            0,
            "read outside the stack",
        ),
        (
            vec![Pop, Push(one), Halt],
            vec![f(0, 0, 0)],
            0,
            "stack underflow",
        ),
        (
            vec![Frame, Call(0), Halt, Push(one), Store(4), Push(one), Ret],
            vec![f(3, 0, 0)],
            0,
            "store outside the frame",
        ),
        (
            vec![
                Frame,
                Call(0),
                Halt,
                Push(one),
                Call(1),
                Ret,
                Push(one),
                Ret,
            ],
            vec![f(3, 0, 0), f(6, 1, 1)],
            0,
            "call without FRAME",
        ),
        (
            vec![Frame, Input(0), Call(0), Halt, Input(5), Ret],
            vec![f(4, 1, 1)],
            1,
            "input index out of range",
        ),
        (
            vec![Frame, Call(0), Halt, Push(one)],
            vec![f(3, 0, 0)],
            0,
            "pc outside the code",
        ),
        (
            vec![Push(one), Ret],
            vec![f(0, 0, 0)],
            0,
            "return from the bootstrap",
        ),
        (
            vec![Frame, Call(0), Halt, Push(one), Repr(0), Eval(0)],
            vec![f(3, 0, 0)],
            0,
            "call without FRAME",
        ),
    ];
    let limits = Limits {
        max_steps: Some(1000),
        max_cycles: Some(100_000),
        ..Limits::default()
    };
    for (code, functions, n_inputs, why) in cases {
        let p = Program::new(code, functions, 0).expect("structurally valid image");
        let inputs = vec![F::ONE; n_inputs];
        match resvm_exec::stack::run(&p, &inputs, &limits) {
            Err(Trap::Malformed { why: w, .. }) => assert_eq!(w, why, "{}", p.listing()),
            r => panic!("interpreter gave {r:?} for\n{}", p.listing()),
        }
        assert!(validate(&p).is_err(), "validator accepted\n{}", p.listing());
    }
    // "frame too large": an address overflow, excluded by the frame bound and the depth bound.
    let p = Program::new(
        vec![Frame, Call(0), Halt, Push(F::ONE), Ret],
        vec![f(3, 0, u32::MAX)],
        0,
    )
    .unwrap();
    assert!(matches!(
        validate(&p).map_err(|e| e.kind),
        Err(ErrorKind::FrameTooLarge { .. })
    ));
}

/// A random change to one instruction or function-table entry.
fn mutate(p: &Program, rng: &mut SplitMix64) -> Option<Program> {
    let mut code = p.code().to_vec();
    let mut fs = p.functions().to_vec();
    let n = code.len() as u64;
    let nf = fs.len() as u64;
    for _ in 0..1 + rng.below(3) {
        if rng.below(6) == 0 {
            let f = &mut fs[rng.below(nf) as usize];
            match rng.below(3) {
                0 => {
                    f.frame = (f.frame + rng.below(3) as u32)
                        .saturating_sub(1)
                        .max(f.arity)
                }
                1 => f.entry = rng.below(n) as u32,
                _ => f.arity = f.arity.saturating_sub(rng.below(2) as u32),
            }
            continue;
        }
        let pc = rng.below(n) as usize;
        let small = |rng: &mut SplitMix64| rng.below(4) as u32;
        code[pc] = match rng.below(4) {
            // Same-shape changes, which often keep the image valid.
            0 => match code[pc] {
                Instr::Add | Instr::Sub | Instr::Mul | Instr::Compare => {
                    [Instr::Add, Instr::Sub, Instr::Mul, Instr::Compare][rng.below(4) as usize]
                }
                Instr::Push(_) => Instr::Push(F::from_u64(rng.below(3))),
                Instr::Load(_) => Instr::Load(small(rng)),
                Instr::Store(_) => Instr::Store(small(rng)),
                Instr::Branch(a, b) => Instr::Branch(b, a),
                other => other,
            },
            // Anything at all.
            _ => match rng.below(22) {
                0 => Instr::Halt,
                1 => Instr::Push(F::from_u64(rng.below(3))),
                2 => Instr::Pop,
                3 => Instr::Load(small(rng)),
                4 => Instr::Store(small(rng)),
                5 => Instr::Neg,
                6 => Instr::Add,
                7 => Instr::Sub,
                8 => Instr::Mul,
                9 => Instr::Compare,
                10 => Instr::Branch(rng.below(n) as u32, rng.below(n) as u32),
                11 => Instr::Jump(rng.below(n) as u32),
                12 => Instr::Frame,
                13 => Instr::Call(rng.below(nf) as u32),
                14 => Instr::TailCall(rng.below(nf) as u32),
                15 => Instr::Ret,
                16 => Instr::Repr(rng.below(nf) as u32),
                17 => Instr::Reflect,
                18 => Instr::Eval(small(rng)),
                19 => Instr::TailEval(small(rng)),
                20 => Instr::Input(small(rng)),
                _ => Instr::Secret(small(rng)),
            },
        };
    }
    Program::new(code, fs, p.main()).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// If `validate` accepts an image, the interpreter never stops with `Trap::Malformed` on
    /// it (bounded steps, a depth limit within `Analysis::max_safe_depth`).
    #[test]
    fn validated_images_never_trap_malformed(seed in any::<u64>()) {
        let g = testgen::program(seed);
        let c = resvm::compile(&g.source).expect("generated programs compile");
        let mut rng = SplitMix64::new(seed);
        let mut accepted = 0;
        for round in 0..40 {
            // The unmutated image first, then mutants.
            let p = if round == 0 { Some(c.program.clone()) } else { mutate(&c.program, &mut rng) };
            let Some(p) = p else { continue };
            let Ok(analysis) = validate(&p) else { continue };
            accepted += 1;
            let arity = p.main_function().arity as usize;
            let inputs: Vec<F> = (0..arity).map(|_| F::from_u64(rng.below(4))).collect();
            let limits = Limits { max_depth: analysis.max_safe_depth().min(200), max_steps: Some(20_000), max_cycles: Some(20_000) };
            let r = resvm_exec::stack::run(&p, &inputs, &limits);
            prop_assert!(
                !matches!(r, Err(Trap::Malformed { .. })),
                "validated image trapped: {r:?}\n{}",
                p.listing()
            );
        }
        prop_assert!(accepted >= 1);
    }
}
