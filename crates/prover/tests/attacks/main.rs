//! Issue 7, part 2: the verifier attacked as an adversary would, with the real `verify`.
//!
//! Every public value is tried: the statement's fields, table heights and degree bits, the
//! proof's `security` field and FRI openings, the blinding bus, addresses near p, `EVAL` of a
//! non-repr, deep recursion and frames beyond u32, padding rows after `HALT`, the inputs
//! table's unused rows and the range table. Each test asserts the verifier's specific
//! [`VerifyError`] (or the prover's refusal).
//!
//! Forged tables come from [`forge`], a permissive executor with the AIR's semantics. Runs the
//! interpreter traps on (or cannot produce at all) are laid out exactly as `trace::generate`
//! would and proven with `prove_traces`. Tests named `refused_*` were forgeries the verifier
//! accepted before static validation (`resvm_isa::validate`); they now assert that prover and
//! verifier refuse the image as `InvalidProgram`. A forgery the verifier still accepts would be
//! a test named `known_forgery_*`, `#[ignore = "KNOWN FORGERY: ..."]`, asserting the rejection
//! that must come (there is none at present).
//!
//! Forged proofs reach the verifier only in release builds (debug Plonky3 checks constraints
//! inside the prover and panics): `cargo test --release -p resvm-prover --test attacks`.

mod forge;
#[path = "../support/mod.rs"]
mod support;

use forge::{air_run, assemble, honest, Cheat};
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use resvm_exec::Limits;
use resvm_field::F;
use resvm_isa::{Function, Instr, Opcode, Program};
use resvm_prover::air::{compare, cpu, memory, rom, TableKind, Val, BLIND_SINK};
use resvm_prover::config::SecurityLevel;
use resvm_prover::trace::{generate, TraceError};
use resvm_prover::*;
use support::*;

const P: u64 = resvm_field::P;

macro_rules! release_test {
    ($(#[$m:meta])* fn $name:ident() $body:block) => {
        #[test]
        #[cfg_attr(
            debug_assertions,
            ignore = "forged proofs reach the verifier only in release: cargo test --release -p resvm-prover --test attacks"
        )]
        $(#[$m])*
        fn $name() $body
    };
}

fn f(v: u64) -> F {
    F::from_u64(v)
}

/// An image, or `None` when `Program::new` refuses it (static validation: a refusal is a
/// rejection of the forgery).
fn image(code: Vec<Instr>, fns: Vec<Function>) -> Option<Program> {
    Program::new(code, fns, 0).ok()
}

/// main(x, secret y) = eval(reflect(x))(y, …, y), with dbl(z) = z + z and sq(z) = z * z; the
/// EVAL passes `k` arguments (k copies of y, so the image validates for every `k`: the callee's
/// arity is only known at run time).
fn eval_program(k: u32) -> Program {
    let mut rest = vec![Instr::Frame];
    rest.extend((0..k).map(|_| Instr::Load(1)));
    rest.extend([
        Instr::Load(0),
        Instr::Reflect,
        Instr::Eval(k),
        Instr::Ret,
        Instr::Load(0),
        Instr::Load(0),
        Instr::Add,
        Instr::Ret,
        Instr::Load(0),
        Instr::Load(0),
        Instr::Mul,
        Instr::Ret,
    ]);
    let dbl = 10 + k;
    main2(true, &rest, &[func(dbl, 1, 1), func(dbl + 4, 1, 1)])
}

/// `fn main(n) = rec(n)` with `rec(n) = if 0 < n { rec(n - 1) } else { 0 }`: depth n + 1.
fn recursion() -> Program {
    let code = vec![
        Instr::Frame,
        Instr::Input(0),
        Instr::Call(0),
        Instr::Halt,
        // main(n) @4
        Instr::Frame,
        Instr::Load(0),
        Instr::Call(1),
        Instr::Ret,
        // rec(n) @8
        Instr::Push(f(0)),
        Instr::Load(0),
        Instr::Compare,
        Instr::Branch(14, 12),
        // @12: n = 0
        Instr::Push(f(0)),
        Instr::Ret,
        // @14: rec(n - 1)
        Instr::Frame,
        Instr::Load(0),
        Instr::Push(f(1)),
        Instr::Sub,
        Instr::Call(1),
        Instr::Ret,
    ];
    image(code, vec![func(4, 1, 1), func(8, 1, 1)]).unwrap()
}

/// Proves (possibly forged) tables for `st` with `security` and judges the proof as a
/// verifier receives it (wire format), against the inputs and output `st` claims.
fn judge(
    p: &Program,
    st: &Statement,
    traces: &[RowMajorMatrix<Val>],
    security: SecurityLevel,
) -> Result<(), VerifyError> {
    let proof = prove_forged(p, st, traces, security)?;
    if security == SecurityLevel::Test {
        verify_with(p, &st.public_inputs, st.output, &proof, ALLOW)
    } else {
        verify(p, &st.public_inputs, st.output, &proof)
    }
}

fn judge_test(p: &Program, st: &Statement, t: &[RowMajorMatrix<Val>]) -> Result<(), VerifyError> {
    judge(p, st, t, SecurityLevel::Test)
}

/// Full-width tables (blinding columns chosen by the test), Test parameters.
fn judge_full(
    p: &Program,
    st: &Statement,
    full: &[RowMajorMatrix<Val>],
) -> Result<(), VerifyError> {
    let proof = prove_full(p, st, full, SecurityLevel::Test);
    verify_with(p, &st.public_inputs, st.output, &proof, ALLOW)
}

/// A cheating run: AIR semantics, `SECRET` values from `secret`.
fn forged_run(
    p: &Program,
    inputs: &[F],
    secret: &dyn Fn(u32, usize) -> Val,
) -> (Statement, Vec<RowMajorMatrix<Val>>) {
    let cheat = Cheat {
        secret,
        fake_tuple: None,
    };
    let steps = air_run(p, inputs, &cheat, 1 << 16).expect("the AIR admits the run");
    assemble(p, inputs, &steps).expect("the tables can be laid out")
}

/// The verdict on a proof whose transcript no longer matches what it was made under (an edited
/// statement, terminal or degree bits): every later challenge changes, so the first check that
/// depends on one fails. Under the standard set that is the 8-bit lookup grinding (probability
/// 1 − 2^-8) or else an opening or the 22-bit query grinding; which one is chance.
fn transcript_broken(r: &Result<(), VerifyError>) -> bool {
    matches!(r, Err(VerifyError::Opening) | Err(VerifyError::ProofOfWork))
}

// ---------------------------------------------------------------------------------------
// The forging tool itself.

#[test]
fn assembler_matches_trace_generate() {
    let lt = lt_secret();
    let ev = eval_program(1);
    let cases: Vec<(Program, Vec<F>)> = vec![
        (lt, vec![f(1000), f(437)]),
        (ev.clone(), vec![ev.repr(1).unwrap(), f(7)]),
        (ev.clone(), vec![ev.repr(2).unwrap(), f(7)]),
        (bench::fib_program(), vec![f(20)]),
        (recursion(), vec![f(6)]),
        (mul_secret(), vec![f(5), f(7)]),
    ];
    for (p, x) in cases {
        let w = generate(&p, &x, &Limits::default()).unwrap();
        let (st, t) = forged_run(&p, &x, &honest(&x));
        assert_eq!(st, statement(&p, &w));
        for (i, (a, b)) in t.iter().zip(&w.traces).enumerate() {
            assert_eq!(a.width, b.width);
            assert!(
                a.values == b.values,
                "table {i} differs from trace::generate"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// 1. Statement fields, with the standard parameters and the real `verify`.

release_test! {
    fn statement_fields_standard() {
        let p = mul_secret();
        let x = [f(5)];
        let proof = prove(&p, &x, &[f(7)]).unwrap();
        let bytes = proof.to_bytes();
        let out = f(35);
        assert_eq!(verify(&p, &x, out, &proof), Ok(()));
        let edit = |g: &dyn Fn(&mut Proof)| {
            let mut q = Proof::from_bytes(&bytes).unwrap();
            g(&mut q);
            q
        };
        // Program.
        let other = bench::fib_program();
        assert!(matches!(verify(&other, &x, out, &proof), Err(VerifyError::ProgramMismatch { .. })));
        let q = edit(&|q| q.statement.program = other.digest());
        let r = verify(&other, &x, out, &q);
        // fib's CPU rows have flags for other opcodes (and more of them): a shape the
        // proof's opened rows do not have.
        assert!(matches!(r, Err(VerifyError::Shape(_))), "{r:?}");
        // A program with the same opcodes (`y · x`, the same output): the transcript, which
        // binds the digest, no longer matches.
        let same_ops = main2(true, &[Instr::Load(1), Instr::Load(0), Instr::Mul, Instr::Ret], &[]);
        let q = edit(&|q| q.statement.program = same_ops.digest());
        assert!(transcript_broken(&verify(&same_ops, &x, out, &q)));
        // Public inputs (main has one public parameter; y is secret).
        assert_eq!(verify(&p, &[f(6)], out, &proof), Err(VerifyError::PublicInputsMismatch));
        assert_eq!(verify(&p, &[], out, &proof), Err(VerifyError::PublicInputCount { expected: 1, got: 0 }));
        assert_eq!(verify(&p, &[f(5), f(999)], out, &proof), Err(VerifyError::PublicInputCount { expected: 1, got: 2 }));
        let q = edit(&|q| q.statement.public_inputs = vec![f(6)]);
        assert!(transcript_broken(&verify(&p, &[f(6)], out, &q)));
        let q = edit(&|q| q.statement.public_inputs.push(f(999)));
        assert_eq!(verify_claimed(&p, &q, VerifyOptions::default()), Err(VerifyError::PublicInputCount { expected: 1, got: 2 }));
        // Output.
        assert_eq!(verify(&p, &x, f(36), &proof), Err(VerifyError::OutputMismatch { claimed: 35 }));
        let q = edit(&|q| q.statement.output = f(36));
        assert!(transcript_broken(&verify(&p, &x, f(36), &q)));
        let q = edit(&|q| q.statement.output = f(35 + P));
        assert_eq!(verify(&p, &x, out, &q), Ok(()), "F is canonical: 35 + p is 35");
        // Cycles: bound modulo p in the AIR, range-checked by the verifier.
        let c = proof.statement.cycles;
        for bad in [c + P, u64::MAX, 0, 257] {
            let q = edit(&|q| q.statement.cycles = bad);
            assert!(
                matches!(verify(&p, &x, out, &q), Err(VerifyError::CyclesOutOfRange { cycles, max: 256 }) if cycles == bad),
                "cycles {bad}"
            );
        }
        let q = edit(&|q| q.statement.cycles = c + 1);
        assert!(transcript_broken(&verify(&p, &x, out, &q)));
    }
}

release_test! {
    /// The verifier takes the parameter set from the proof's `security` field, but never
    /// fewer queries than that named set has: a relabelled proof fails.
    fn security_field_and_query_count() {
        let p = mul_secret();
        let x = [f(5)];
        let out = f(35);
        let mk = |s: SecurityLevel| {
            prove_with(&p, &x, &[f(7)], &ProveOptions { security: s, ..Default::default() }, &mut |_| {})
                .unwrap()
                .0
                .to_bytes()
        };
        let relabel = |bytes: &[u8], s: SecurityLevel| {
            let mut q = Proof::from_bytes(bytes).unwrap();
            q.security = s;
            q
        };
        let std = mk(SecurityLevel::Standard);
        let test = mk(SecurityLevel::Test);
        let compact = mk(SecurityLevel::Compact);
        assert_eq!(verify(&p, &x, out, &Proof::from_bytes(&compact).unwrap()), Ok(()));
        // Test parameters are refused by default, and a test proof cannot pass as standard.
        assert_eq!(verify(&p, &x, out, &Proof::from_bytes(&test).unwrap()), Err(VerifyError::TestParameters));
        // The grinding difficulties are part of the transcript's domain separator, so a label
        // with other difficulties changes every challenge; one with the same difficulties but
        // another blowup and query count fails the FRI check.
        for (bytes, label) in [
            (&test, SecurityLevel::Standard),
            (&test, SecurityLevel::Compact),
            (&std, SecurityLevel::Test),
        ] {
            let r = verify_with(&p, &x, out, &relabel(bytes, label), ALLOW);
            assert!(transcript_broken(&r), "relabelled {label:?}: {r:?}");
        }
        for (bytes, label) in [(&compact, SecurityLevel::Standard), (&std, SecurityLevel::Compact)] {
            let r = verify(&p, &x, out, &relabel(bytes, label));
            assert_eq!(r, Err(VerifyError::Opening), "relabelled {label:?}");
        }
        // Fewer queries than the set has, in every commit-phase round and input opening.
        let mut q = Proof::from_bytes(&std).unwrap();
        for round in &mut q.stark.opening_proof.commit_phase_openings {
            round.sibling_values.pop();
        }
        assert_eq!(verify(&p, &x, out, &q), Err(VerifyError::Opening));
        let mut q = Proof::from_bytes(&std).unwrap();
        for batch in &mut q.stark.opening_proof.input_openings {
            batch.opened_values.pop();
        }
        assert_eq!(verify(&p, &x, out, &q), Err(VerifyError::Opening));
    }
}

release_test! {
    /// Degree bits, terminals and proof-of-work witnesses edited in a standard proof.
    fn proof_shape_edits() {
        let p = mul_secret();
        let x = [f(5)];
        let out = f(35);
        let bytes = prove(&p, &x, &[f(7)]).unwrap().to_bytes();
        let edit = |g: &dyn Fn(&mut Proof)| {
            let mut q = Proof::from_bytes(&bytes).unwrap();
            g(&mut q);
            verify(&p, &x, out, &q)
        };
        assert_eq!(edit(&|_| {}), Ok(()));
        // The read-only table's height is fixed by the verifier.
        for (i, d) in [(2usize, 1isize), (2, -1)] {
            let r = edit(&|q| q.stark.degree_bits[i] = (q.stark.degree_bits[i] as isize + d) as usize);
            assert!(matches!(r, Err(VerifyError::Shape(_))), "table {i} {d:+}: {r:?}");
        }
        // Others must stay within the supported heights.
        for b in [0usize, 8, 24, 64, usize::MAX] {
            let r = edit(&|q| q.stark.degree_bits[0] = b);
            assert!(matches!(r, Err(VerifyError::Shape(_))), "cpu degree bits {b}: {r:?}");
        }
        // A height within bounds that is not the committed one.
        let r = edit(&|q| q.stark.degree_bits[0] += 1);
        assert!(transcript_broken(&r), "{r:?}");
        let r = edit(&|q| q.stark.degree_bits.pop().map(|_| ()).unwrap());
        assert!(matches!(r, Err(VerifyError::Shape(_))), "{r:?}");
        // A proof about a resvm image without `HASH` or comparisons has three tables: one
        // carrying four (the shape with a compare table), five (and a hash table) or six is
        // refused before Plonky3 sees it.
        for extra_tables in 1..=3 {
        let r = edit(&|q| {
            // More tables, copied from the read-only table of another parse of the proof.
            for _ in 0..extra_tables {
                let extra = Proof::from_bytes(&bytes).unwrap().stark;
                let s = &mut q.stark;
                s.degree_bits.push(extra.degree_bits[2]);
                s.opened_values.instances.extend(extra.opened_values.instances.into_iter().nth(2));
                s.lookup_terminals.extend(extra.lookup_terminals.into_iter().nth(2));
            }
        });
        assert!(matches!(&r, Err(VerifyError::Shape(m)) if m == "expected 3 tables"), "{r:?}");
        }
        // The memory layout is read off the width of the memory table's opened row: a width
        // of no layout is a shape error, the other layout's width breaks the opening.
        let mem = TableKind::Memory.index();
        let r = edit(&|q| q.stark.opened_values.instances[mem].base_opened_values.trace_local.truncate(1));
        assert!(matches!(&r, Err(VerifyError::Shape(m)) if m.contains("no layout")), "{r:?}");
        let r = edit(&|q| {
            let row = &mut q.stark.opened_values.instances[mem].base_opened_values.trace_local;
            row.extend(row[..2 * memory::STRIDE].to_vec());
        });
        assert!(matches!(&r, Err(VerifyError::Shape(m)) if m.contains("no layout")), "{r:?}");
        let r = edit(&|q| {
            let row = &mut q.stark.opened_values.instances[mem].base_opened_values.trace_local;
            row.extend(row[..memory::STRIDE].to_vec());
        });
        assert!(r.is_err() && !matches!(&r, Err(VerifyError::Shape(m)) if m.contains("no layout")), "{r:?}");
        // Terminals.
        let r = edit(&|q| q.stark.lookup_terminals[0] = None);
        assert!(matches!(r, Err(VerifyError::Shape(_))), "{r:?}");
        let r = edit(&|q| {
            let t = q.stark.lookup_terminals[2].as_mut().unwrap();
            t.0 += resvm_prover::config::Challenge::ONE;
        });
        // The terminals are absorbed before ζ: the edit breaks the transcript before the sum
        // is even looked at.
        assert!(transcript_broken(&r), "{r:?}");
        // Shifting value between two terminals keeps the sum zero; Fiat–Shamir and the
        // accumulator constraints catch it.
        let r = edit(&|q| {
            let one = resvm_prover::config::Challenge::ONE;
            q.stark.lookup_terminals[1].as_mut().unwrap().0 += one;
            q.stark.lookup_terminals[2].as_mut().unwrap().0 -= one;
        });
        assert!(transcript_broken(&r), "{r:?}");
        // The randomization polynomials are committed in the main tree, and the proof names
        // that commitment twice. Another one is absorbed before ζ, so the edit breaks the
        // transcript (the PCS's own refusal of a consistent proof that commits them apart is
        // `config::hiding`'s unit test); none at all is Plonky3's ZK check.
        let r = edit(&|q| q.stark.commitments.random = Some(q.stark.commitments.quotient_chunks.clone()));
        assert!(transcript_broken(&r), "{r:?}");
        let r = edit(&|q| q.stark.commitments.random = None);
        assert!(matches!(&r, Err(VerifyError::Invalid(m)) if m.contains("randomization")), "{r:?}");
        // Proof-of-work witnesses.
        let r = edit(&|q| q.stark.lookup_pow_witness = None);
        assert_eq!(r, Err(VerifyError::ProofOfWork));
        // The out-of-domain grinding is 8 bits: a wrong witness passes it with probability
        // 1/256, and then draws another ζ (the transcript breaks at the opening). So four
        // wrong witnesses are all refused, and at least one of them (all but 2^-32 of the
        // time) as the proof-of-work failure.
        let rs: Vec<_> = (1..=4u64)
            .map(|k| edit(&|q| q.stark.ood_pow_witness += Val::from_u64(k)))
            .collect();
        assert!(rs.iter().all(transcript_broken), "{rs:?}");
        assert!(rs.contains(&Err(VerifyError::ProofOfWork)), "{rs:?}");
        // The query grinding is checked inside FRI: an opening failure.
        let r = edit(&|q| q.stark.opening_proof.query_pow_witness += Val::ONE);
        assert_eq!(r, Err(VerifyError::Opening));
    }
}

// ---------------------------------------------------------------------------------------
// 2. Table heights.

release_test! {
    fn table_heights() {
        // A run of 261 cycles (5 per iteration, 11 around): CPU table of 512 rows.
        let p = bench::fib_program();
        let (st, t) = honest_run(&p, &[f(50)]);
        assert_eq!((st.cycles, t[0].height()), (261, 512));
        assert_eq!(judge_test(&p, &st, &t), Ok(()));

        // Growing the CPU table (more padding HALTs) is the prover's right: still valid.
        let mut g = t.clone();
        let last: Vec<Val> = g[0].values[511 * g[0].width..].to_vec();
        for clk in 512..1024 {
            let mut row = last.clone();
            row[cpu::CLK] = Val::from_u64(clk);
            g[0].values.extend(row);
        }
        // The ROM's fetch count of the HALT grows with it.
        let halt_pc = last[cpu::PC].as_canonical_u64() as usize;
        let m = get(&g[2], halt_pc, resvm_prover::air::rom::FETCH);
        set(&mut g[2], halt_pc, resvm_prover::air::rom::FETCH, m + Val::from_u64(512));
        assert_eq!(judge_test(&p, &st, &g), Ok(()));
        // Then a claim up to 1024 cycles passes the range check, and the AIR rejects it.
        let mut st2 = st.clone();
        st2.cycles = 1000;
        assert_eq!(judge_test(&p, &st2, &g), Err(VerifyError::Constraints { table: "cpu" }));

        // Shrinking it below the run: the last row is no HALT (and a claim above the height
        // is refused first).
        let mut s = t.clone();
        let w = s[0].width;
        s[0].values.truncate(256 * w);
        assert!(matches!(judge_test(&p, &st, &s), Err(VerifyError::CyclesOutOfRange { .. })));
        let mut st3 = st.clone();
        st3.cycles = 256;
        assert_eq!(judge_test(&p, &st3, &s), Err(VerifyError::Constraints { table: "cpu" }));

        // A read-only table of another height: the verifier fixes it from the program and
        // the public inputs.
        let mut i2 = t.clone();
        i2[2].values.resize(512 * rom::WIDTH, Val::ZERO);
        let r = judge_test(&p, &st, &i2);
        assert!(matches!(r, Err(VerifyError::Shape(_))), "{r:?}");
        // A memory table that leaves out an access.
        let mut m2 = t.clone();
        set(&mut m2[1], 0, memory::REAL, Val::ZERO);
        // (real accesses must form a prefix of the sorted table)
        assert_eq!(judge_test(&p, &st, &m2), Err(VerifyError::Constraints { table: "memory" }));
    }
}

// ---------------------------------------------------------------------------------------
// 3. The blinding bus.

release_test! {
    fn blinding_bus_cannot_cancel_other_messages() {
        let p = mul_secret();
        let (st, t) = honest_run(&p, &[f(5), f(7)]);
        let sink = BLIND_SINK.index();
        let full = blinded(&t, 1);
        assert_eq!(judge_full(&p, &st, &full), Ok(()));
        // No blinding at all, or the same message sent from several rows: still sound (the
        // blinding protects only the prover's own secrets).
        assert_eq!(judge_full(&p, &st, &unblinded(&t)), Ok(()));
        let mut many = full.clone();
        let msg = blind_cell(&many[0], 0);
        for row in 1..4 {
            set_blind(&mut many[0], row, msg);
            // (the sink's first rows, one per table, hold the honest receipts)
            set_blind(&mut many[sink], t.len() + row, msg);
        }
        assert_eq!(judge_full(&p, &st, &many), Ok(()));

        // A message nobody receives, or a receipt nobody sent.
        let mut a = full.clone();
        let [r0, r1, m] = blind_cell(&a[0], 0);
        set_blind(&mut a[0], 0, [r0 + Val::ONE, r1, m]);
        assert_eq!(judge_full(&p, &st, &a), Err(VerifyError::LookupImbalance));
        let mut b = full.clone();
        set_blind(&mut b[sink], 100, [f(3), f(4), Val::ONE]);
        assert_eq!(judge_full(&p, &st, &b), Err(VerifyError::LookupImbalance));
        // A sender multiplicity other than 0/1 (balanced by the sink): the AIR refuses it.
        let mut c = full.clone();
        let [r0, r1, _] = blind_cell(&c[1], 0);
        set_blind(&mut c[1], 0, [r0, r1, f(2)]);
        set_blind(&mut c[sink], 1, [r0, r1, f(2)]);
        assert_eq!(judge_full(&p, &st, &c), Err(VerifyError::Constraints { table: "memory" }));

        // A forged output: the HALT reads 36 although memory holds 35. The memory bus is out
        // by (ts, addr, 36, 0) − (ts, addr, 35, 0). The sink may receive anything with any
        // multiplicity and every table may send blinding messages, but those live on their
        // own bus (prefix α + (id+1)·β^6, payload width 2): no choice of them cancels it.
        let mut forged = t.clone();
        let n = st.cycles as usize - 1;
        assert!(forge::is_op(&p, &forged[0], n, Opcode::Halt));
        let (v1, v2) = (get(&forged[0], n, cpu::V + 1), get(&forged[0], n, cpu::V + 2));
        set(&mut forged[0], n, cpu::V, f(36));
        set(&mut forged[0], n, cpu::P, f(36) * v1);
        set(&mut forged[0], n, cpu::Q, f(36) * v2);
        let mut st2 = st.clone();
        st2.output = f(36);
        for attempt in 0..3 {
            let mut full = blinded(&forged, 2);
            let ts = f(4 * n as u64);
            let addr = get(&forged[0], n, cpu::ADDR);
            match attempt {
                0 => {}
                // Re-send the two unmatched memory messages' tails on the blind bus.
                1 => {
                    set_blind(&mut full[0], 1, [f(36), Val::ZERO, Val::ONE]);
                    set_blind(&mut full[sink], 10, [f(35), Val::ZERO, -Val::ONE]);
                }
                // Or their heads, with the sink absorbing the difference.
                _ => {
                    set_blind(&mut full[sink], 10, [ts, addr, Val::ONE]);
                    set_blind(&mut full[sink], 11, [ts, addr, -Val::ONE]);
                }
            }
            assert_eq!(judge_full(&p, &st2, &full), Err(VerifyError::LookupImbalance), "attempt {attempt}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// 4. EVAL / REFLECT of something that is not a repr, and EVAL with the wrong arity.

release_test! {
    fn eval_of_a_non_repr() {
        let p = eval_program(1);
        let dbl = p.repr(1).unwrap();
        let x = dbl + F::ONE;
        // The interpreter traps and the prover refuses.
        assert!(matches!(
            prove_with(&p, &[x], &[f(7)], &test_opts(), &mut |_| {}),
            Err(ProveError::Trace(TraceError::Trap(resvm_exec::Trap::ReflectUnknown { .. })))
        ));
        // Forged: REFLECT and EVAL of x behave as if x were dbl's repr (entry, arity, frame of
        // dbl): the function tuple (1, x, …) is not in the ROM.
        let inputs = [x, f(7)];
        let secret = honest(&inputs);
        let fake = [f(1), x, f(11), f(1), f(1)];
        let cheat = Cheat { secret: &secret, fake_tuple: Some(fake) };
        let steps = air_run(&p, &inputs, &cheat, 1000).unwrap();
        let (st, t) = assemble(&p, &inputs, &steps).unwrap();
        assert_eq!(st.output, f(14));
        assert_eq!(judge_test(&p, &st, &t), Err(VerifyError::LookupImbalance));
        // A fake tuple with the true repr but another entry: also not in the ROM.
        let cheat = Cheat { secret: &secret, fake_tuple: None };
        let inputs = [dbl, f(7)];
        let steps = air_run(&p, &inputs, &cheat, 1000).unwrap();
        let (st, mut t) = assemble(&p, &inputs, &steps).unwrap();
        assert_eq!(judge_test(&p, &st, &t), Ok(()));
        let eval_row = (0..st.cycles as usize).find(|&r| forge::is_op(&p, &t[0], r, Opcode::Eval)).unwrap();
        set(&mut t[0], eval_row, cpu::FRM, f(5));
        // (the next sp is computed from the frame size, so the transition fails first)
        assert_eq!(judge_test(&p, &st, &t), Err(VerifyError::Constraints { table: "cpu" }));

        // EVAL 2 of the arity-1 dbl: the interpreter traps; forged, the AIR's `AR = A`.
        let p2 = eval_program(2);
        let dbl2 = p2.repr(1).unwrap();
        assert!(resvm_exec::stack::run(&p2, &[dbl2, f(7)], &Limits::default()).is_err());
        let inputs = [dbl2, f(7)];
        let secret = honest(&inputs);
        let cheat = Cheat { secret: &secret, fake_tuple: None };
        let steps = air_run(&p2, &inputs, &cheat, 1000).unwrap();
        let (st, t) = assemble(&p2, &inputs, &steps).unwrap();
        assert_eq!(judge_test(&p2, &st, &t), Err(VerifyError::Constraints { table: "cpu" }));
    }
}

// ---------------------------------------------------------------------------------------
// 5. Depth.

release_test! {
    /// The prover refuses a run beyond its depth limit. The limit is not part of the
    /// statement: the same run proven without the limit verifies (so a proof says nothing
    /// about the depth a verifier's interpreter would allow; see the report).
    fn depth_limit_is_not_in_the_statement() {
        let p = recursion();
        let opts = ProveOptions {
            security: SecurityLevel::Test,
            limits: Limits { max_depth: 5, max_steps: None, max_cycles: None },
        };
        assert!(matches!(
            prove_with(&p, &[f(10)], &[], &opts, &mut |_| {}),
            Err(ProveError::Trace(TraceError::Trap(resvm_exec::Trap::DepthExceeded { limit: 5 })))
        ));
        let (st, t) = honest_run(&p, &[f(10)]);
        assert_eq!(judge_test(&p, &st, &t), Ok(()));
    }
}

// ---------------------------------------------------------------------------------------
// 6. Padding rows after HALT.

release_test! {
    fn padding_rows_after_halt() {
        let p = mul_secret();
        let (st, t) = honest_run(&p, &[f(5), f(7)]);
        let n = st.cycles as usize;
        assert_eq!(judge_test(&p, &st, &t), Ok(()));
        let cpu_air = cpu::CpuAir::for_program(&p);
        let flag = |op: Opcode| cpu_air.flag(op).expect("an opcode of the image");
        // A padding row that is a LOAD at the HALT's pc.
        let mut a = t.clone();
        set(&mut a[0], n + 3, flag(Opcode::Halt), Val::ZERO);
        set(&mut a[0], n + 3, flag(Opcode::Load), Val::ONE);
        assert_eq!(judge_test(&p, &st, &a), Err(VerifyError::Constraints { table: "cpu" }));
        // A second "first HALT" (its output would be read again).
        let mut b = t.clone();
        set(&mut b[0], n + 3, cpu::FH, Val::ONE);
        assert_eq!(judge_test(&p, &st, &b), Err(VerifyError::Constraints { table: "cpu" }));
        // Still active after the HALT.
        let mut c = t.clone();
        set(&mut c[0], n, cpu::ACTIVE, Val::ONE);
        assert_eq!(judge_test(&p, &st, &c), Err(VerifyError::Constraints { table: "cpu" }));
        // Padding that moves to another pc (pc 0, a FRAME, repeated).
        let mut d = t.clone();
        for r in n + 1..t[0].height() {
            set(&mut d[0], r, cpu::PC, Val::ZERO);
        }
        assert_eq!(judge_test(&p, &st, &d), Err(VerifyError::Constraints { table: "cpu" }));
    }
}

// ---------------------------------------------------------------------------------------
// 7. The public inputs' unused rows, and INPUT of a secret parameter.

release_test! {
    fn inputs_table_unused_rows() {
        let p = mul_secret();
        let (st, t) = honest_run(&p, &[f(5), f(7)]);
        let rom_t = TableKind::Rom.index();
        // An unused row claiming the input (1, 999): its entry is not the verifier's.
        let mut a = t.clone();
        set(&mut a[rom_t], 1, rom::IN_IDX, Val::ONE);
        set(&mut a[rom_t], 1, rom::IN_VAL, f(999));
        assert_eq!(judge_test(&p, &st, &a), Err(VerifyError::Constraints { table: "rom" }));
        // A read count on a row that holds no public input: refused too.
        let mut a = t.clone();
        set(&mut a[rom_t], 1, rom::READS, Val::ONE);
        assert_eq!(judge_test(&p, &st, &a), Err(VerifyError::Constraints { table: "rom" }));

        // `main(x, secret y) = INPUT 1 * x`: INPUT of the secret parameter. The interpreter
        // reads y (7); the AIR has no public input 1 (the honest prover's proof used to fail
        // its lookup balance, and an unused inputs row offering (1, 7) its inputs
        // constraints). Static validation now refuses the image first: INPUT outside the
        // bootstrap.
        let q = main2(true, &[Instr::Load(0), Instr::Input(1), Instr::Mul, Instr::Ret], &[]);
        assert_eq!(public_params(&q), vec![0]);
        let run = resvm_exec::stack::run(&q, &[f(5), f(7)], &Limits::default()).unwrap();
        assert_eq!(run.output, f(35));
        assert!(resvm_isa::validate(&q).is_err());
        assert!(matches!(prove(&q, &[f(5)], &[f(7)]), Err(ProveError::InvalidProgram(_))));
        let (st, t) = honest_run(&q, &[f(5), f(7)]);
        assert!(matches!(judge_test(&q, &st, &t), Err(VerifyError::InvalidProgram(_))));
        let mut b = t.clone();
        set(&mut b[2], 1, rom::IN_IDX, Val::ONE);
        set(&mut b[2], 1, rom::IN_VAL, f(7));
        set(&mut b[2], 1, rom::READS, Val::ONE);
        assert!(matches!(judge_test(&q, &st, &b), Err(VerifyError::InvalidProgram(_))));
    }
}

// ---------------------------------------------------------------------------------------
// 8. The byte rows of the read-only table (range checks).

release_test! {
    fn range_table() {
        let p = lt_secret();
        let (st, t) = honest_run(&p, &[f(1000), f(437)]);
        assert_eq!(judge_test(&p, &st, &t), Ok(()));
        let rom_t = TableKind::Rom.index();
        // A table value moved.
        let mut a = t.clone();
        set(&mut a[rom_t], 3, rom::IDX, f(300));
        assert_eq!(judge_test(&p, &st, &a), Err(VerifyError::Constraints { table: "rom" }));
        // A multiplicity off by one.
        let mut b = t.clone();
        let m = get(&b[rom_t], 7, rom::BYTE_MULT);
        set(&mut b[rom_t], 7, rom::BYTE_MULT, m + Val::ONE);
        assert_eq!(judge_test(&p, &st, &b), Err(VerifyError::LookupImbalance));
        // A "byte" of 256 + x carrying into its neighbour: the same value 437 = 0x1b5 written
        // as limbs (0x1b5, 0x00), multiplicities adjusted as far as they can be.
        let mut c = t.clone();
        let a0 = compare::LIMBS;
        assert_eq!(get(&c[3], 0, a0), f(0xb5));
        assert_eq!(get(&c[3], 0, a0 + 1), f(0x01));
        set(&mut c[3], 0, a0, f(0x1b5));
        set(&mut c[3], 0, a0 + 1, Val::ZERO);
        for (v, d) in [(0xb5usize, -1i64), (0x01, -1), (0x00, 1)] {
            let m = get(&c[rom_t], v, rom::BYTE_MULT);
            set(&mut c[rom_t], v, rom::BYTE_MULT, m + F::from_i64(d));
        }
        assert_eq!(judge_test(&p, &st, &c), Err(VerifyError::LookupImbalance));
    }
}

// ---------------------------------------------------------------------------------------
// 9. Structural traps of the interpreter that the AIR does not see (issue 7, item 5).
//
// Each case: the interpreter traps (or computes another output), so the claim is false; the
// forged tables are laid out by `forge` and judged by the real verifier. These were known
// forgeries (the verifier accepted them); static validation (`resvm_isa::validate`, run by
// prover and verifier) now refuses every one of these images, so they are regression tests
// asserting `ProveError::InvalidProgram` and `VerifyError::InvalidProgram`.

/// The image of a structural forgery: built (`Program::new` checks only the image's shape)
/// but refused by static validation.
fn invalid_image(code: Vec<Instr>, fns: Vec<Function>) -> Program {
    let p = image(code, fns).expect("Program::new builds the image");
    assert!(resvm_isa::validate(&p).is_err(), "the image validates");
    p
}

/// Asserts that a structural forgery is refused as an invalid program by both sides: the
/// honest prover (`prove_with` validates before it runs anything) and the verifier, given a
/// proof of the forged run (AIR semantics, every read of a SECRET after the first gets the
/// next value: the AIR does not tie two reads of one parameter together) laid out by `forge`
/// and proven with `prove_traces`. Before validation every one of these proofs verified.
fn assert_refused(
    what: &str,
    p: &Program,
    inputs: &[F],
    claim_output: Option<F>,
    security: SecurityLevel,
) {
    // The honest prover.
    let secret = p.secret_params();
    let split = |s: bool| -> Vec<F> {
        (0..secret.len())
            .filter(|&i| secret[i] == s)
            .map(|i| inputs.get(i).copied().unwrap_or(F::ZERO))
            .collect()
    };
    let opts = ProveOptions {
        security,
        ..Default::default()
    };
    let r = prove_with(p, &split(false), &split(true), &opts, &mut |_| {});
    assert!(
        matches!(r, Err(ProveError::InvalidProgram(_))),
        "{what}: the prover says {:?}",
        r.err()
    );
    // The forged proof.
    let secret_vals: Vec<F> = inputs.to_vec();
    let secret = |i: u32, n: usize| -> Val {
        secret_vals.get(i as usize).copied().unwrap_or(f(1)) + F::from_u64(n as u64 * 5)
    };
    let cheat = Cheat {
        secret: &secret,
        fake_tuple: None,
    };
    let steps = air_run(p, inputs, &cheat, 1 << 12).expect("the AIR admits the run");
    let (st, t) = assemble(p, inputs, &steps).expect("the tables can be laid out");
    if let Some(o) = claim_output {
        assert_eq!(st.output, o, "{what}: the forged run's output");
    }
    let r = judge(p, &st, &t, security);
    assert!(
        matches!(r, Err(VerifyError::InvalidProgram(_))),
        "{what}: the verifier says {r:?} to output {} in {} cycles",
        st.output.as_canonical_u64(),
        st.cycles
    );
}

/// `fn main(secret s) = s - s` with the body reading SECRET 0 again: the interpreter always
/// outputs 0.
fn secret_twice() -> Program {
    let code = vec![
        Instr::Frame,
        Instr::Secret(0),
        Instr::Call(0),
        Instr::Halt,
        Instr::Secret(0),
        Instr::Load(0),
        Instr::Sub,
        Instr::Ret,
    ];
    invalid_image(code, vec![func(4, 1, 1)])
}

release_test! {
    /// Formerly a known forgery: two reads of one SECRET parameter got independent values in
    /// the AIR. Validation: INPUT/SECRET only in the bootstrap.
    fn refused_secret_read_twice() {
        let p = secret_twice();
        for s in [0u64, 7, P - 1] {
            assert_eq!(
                resvm_exec::stack::run(&p, &[f(s)], &Limits::default()).unwrap().output,
                F::ZERO
            );
        }
        // The second read gets s + 5: the claim main(s) = 5 for some s is false.
        assert_refused("SECRET 0 read twice", &p, &[f(7)], Some(f(5)), SecurityLevel::Standard);
    }
}

release_test! {
    /// Formerly a known forgery: SECRET i with i beyond main's arity was unconstrained.
    fn refused_secret_index_out_of_range() {
        // main() = SECRET 3: the interpreter traps (input index out of range).
        let code = vec![Instr::Frame, Instr::Call(0), Instr::Halt, Instr::Secret(3), Instr::Ret];
        let p = invalid_image(code, vec![func(3, 0, 0)]);
        assert!(resvm_exec::stack::run(&p, &[], &Limits::default()).is_err());
        assert_refused("SECRET 3 of a 0-ary main", &p, &[], Some(f(1)), SecurityLevel::Test);
    }
}

release_test! {
    /// Formerly a known forgery: stack underflow wrapped to address p - 1 in the AIR.
    fn refused_stack_underflow() {
        // [HALT] at sp = 0: the interpreter traps; the AIR reads address p - 1 (fresh: 0).
        let p = invalid_image(vec![Instr::Halt], vec![func(0, 0, 0)]);
        assert!(resvm_exec::stack::run(&p, &[], &Limits::default()).is_err());
        assert_refused("HALT on an empty stack", &p, &[], Some(F::ZERO), SecurityLevel::Test);
        // POP; PUSH 7; HALT: writes and reads address p - 1.
        let code = vec![Instr::Pop, Instr::Push(f(7)), Instr::Halt];
        let p = invalid_image(code, vec![func(0, 0, 0)]);
        assert!(resvm_exec::stack::run(&p, &[], &Limits::default()).is_err());
        assert_refused("POP on an empty stack", &p, &[], Some(f(7)), SecurityLevel::Test);
    }
}

release_test! {
    /// Formerly a known forgery: RET from the bootstrap (no frame) through linkage cells at
    /// p - 2, p - 1.
    fn refused_ret_from_bootstrap() {
        let code = vec![
            Instr::Pop,
            Instr::Pop,
            Instr::Push(f(6)),
            Instr::Push(f(0)),
            Instr::Push(f(7)),
            Instr::Ret,
            Instr::Halt,
        ];
        let p = invalid_image(code, vec![func(0, 0, 0)]);
        assert!(resvm_exec::stack::run(&p, &[], &Limits::default()).is_err());
        assert_refused("RET at depth 0", &p, &[], Some(f(7)), SecurityLevel::Test);
    }
}

release_test! {
    /// Formerly a known forgery: reads above sp returned stale values.
    fn refused_read_above_sp() {
        // f() stores 9 in its slot 0 and returns 1; the bootstrap then LOADs address 2 (f's
        // dead slot, above sp = 1): the interpreter traps, the AIR reads 9.
        let code = vec![
            Instr::Frame,
            Instr::Call(0),
            Instr::Load(2),
            Instr::Halt,
            // f @4
            Instr::Push(f(9)),
            Instr::Store(0),
            Instr::Push(f(1)),
            Instr::Ret,
        ];
        let p = invalid_image(code, vec![func(4, 0, 1)]);
        assert!(resvm_exec::stack::run(&p, &[], &Limits::default()).is_err());
        assert_refused("LOAD above sp", &p, &[], Some(f(9)), SecurityLevel::Test);
        // LOAD of a never-written cell far above sp reads 0.
        let p = invalid_image(vec![Instr::Load(1000), Instr::Halt], vec![func(0, 0, 0)]);
        assert!(resvm_exec::stack::run(&p, &[], &Limits::default()).is_err());
        assert_refused("LOAD of an unallocated cell", &p, &[], Some(F::ZERO), SecurityLevel::Test);
    }
}

release_test! {
    /// Formerly a known forgery: STORE outside the frame.
    fn refused_store_outside_frame() {
        // PUSH 4; STORE 3; LOAD 3; HALT at fp = sp = 0: the interpreter traps at the STORE.
        let code = vec![Instr::Push(f(4)), Instr::Store(3), Instr::Load(3), Instr::Halt];
        let p = invalid_image(code, vec![func(0, 0, 0)]);
        assert!(resvm_exec::stack::run(&p, &[], &Limits::default()).is_err());
        assert_refused("STORE beyond sp", &p, &[], Some(f(4)), SecurityLevel::Test);
    }
}

release_test! {
    /// Formerly a known forgery: CALL without FRAME wrote the linkage at p - 2, p - 1.
    fn refused_call_without_frame() {
        let code = vec![Instr::Call(0), Instr::Halt, Instr::Push(f(5)), Instr::Ret];
        let p = invalid_image(code, vec![func(2, 0, 0)]);
        assert!(resvm_exec::stack::run(&p, &[], &Limits::default()).is_err());
        assert_refused("CALL without FRAME", &p, &[], None, SecurityLevel::Test);
    }
}

release_test! {
    /// Formerly a known forgery: a frame beyond u32 (sp = 2 + u32::MAX) is fine in the field.
    /// Validation: frames are at most `MAX_FRAME` slots.
    fn refused_frame_beyond_u32() {
        let code = vec![Instr::Frame, Instr::Call(0), Instr::Halt, Instr::Push(f(5)), Instr::Ret];
        let p = invalid_image(code, vec![func(3, 0, u32::MAX)]);
        // The interpreter's checked `fp + frame` overflows (2 + u32::MAX), a Malformed trap,
        // before allocating.
        assert!(resvm_exec::stack::run(&p, &[], &Limits::default()).is_err());
        assert_refused("frame of u32::MAX slots", &p, &[], Some(f(5)), SecurityLevel::Test);
    }
}

release_test! {
    /// A trap the AIR does see: a non-boolean BRANCH condition.
    fn traps_the_air_sees() {
        // main() = BRANCH on c, then 1.
        let branch_on = |c: u64| {
            let code = vec![
                Instr::Frame,
                Instr::Call(0),
                Instr::Halt,
                // main @3
                Instr::Push(f(c)),
                Instr::Branch(5, 5),
                Instr::Push(f(1)),
                Instr::Ret,
            ];
            image(code, vec![func(3, 0, 0)]).unwrap()
        };
        let p = branch_on(2);
        assert!(resvm_isa::validate(&p).is_ok());
        assert!(matches!(
            resvm_exec::stack::run(&p, &[], &Limits::default()),
            Err(resvm_exec::Trap::BranchCondition { .. })
        ));
        // Forged from the run on 1 (same path) under p's ROM, with the condition 2 at the
        // PUSH (clk 2), in memory and at the BRANCH (clk 3): only BRANCH's booleanity
        // `v0·(1 − v0) = 0` fails.
        let p1 = branch_on(1);
        let (mut st2, mut t2) = honest_run(&p1, &[]);
        assert_eq!(judge_test(&p1, &st2, &t2), Ok(()));
        st2.program = p.digest();
        let (nf, nc) = (p.functions().len(), p.code().len());
        let get_u = |row: usize, col: usize| get(&t2[2], row, col).as_canonical_u64();
        let fetch: Vec<u64> = (0..nc).map(|pc| get_u(pc, rom::FETCH)).collect();
        let uses: Vec<u64> = (0..nf).map(|g| get_u(g, rom::USES)).collect();
        let bytes: Vec<u64> = (0..rom::BYTES).map(|v| get_u(v, rom::BYTE_MULT)).collect();
        assert_eq!(fetch.iter().sum::<u64>(), t2[0].height() as u64);
        assert_eq!(uses, vec![1]);
        let uses = rom::Uses { fetch: &fetch, functions: &uses, inputs: &[], bytes: &bytes };
        t2[2] = rom::build(&p, &[], &uses);
        let (push, br) = (2, 3);
        assert!(forge::is_op(&p, &t2[0], push, Opcode::Push) && forge::is_op(&p, &t2[0], br, Opcode::Branch));
        set(&mut t2[0], push, cpu::A, f(2));
        set(&mut t2[0], push, cpu::V, f(2));
        set(&mut t2[0], br, cpu::V, f(2));
        let v1 = get(&t2[0], br, cpu::V + 1);
        set(&mut t2[0], br, cpu::V + 2, Val::ONE - f(2));
        set(&mut t2[0], br, cpu::P, f(2) * v1);
        set(&mut t2[0], br, cpu::Q, f(2) * (Val::ONE - f(2)));
        let mut edited = 0;
        for r in 0..t2[1].height() {
            for k in 0..t2[1].width / memory::STRIDE {
                let o = k * memory::STRIDE;
                let ts = get(&t2[1], r, o + memory::TS).as_canonical_u64();
                if get(&t2[1], r, o + memory::REAL) == Val::ONE
                    && get(&t2[1], r, o + memory::VAL) == Val::ONE
                    && (4 * push as u64..4 * (br as u64 + 1)).contains(&ts)
                {
                    set(&mut t2[1], r, o + memory::VAL, f(2));
                    if get(&t2[1], r, o + memory::W) == Val::ZERO {
                        set(&mut t2[1], r, o + memory::RV, f(2));
                    }
                    edited += 1;
                }
            }
        }
        assert_eq!(edited, 2, "the PUSH's write and the BRANCH's read");
        assert_eq!(judge_test(&p, &st2, &t2), Err(VerifyError::Constraints { table: "cpu" }));
    }
}

// ---------------------------------------------------------------------------------------
// 10. Malformed bytes: never a panic, never an acceptance.

release_test! {
    fn mutated_proof_bytes_are_rejected_without_panic() {
        let p = mul_secret();
        let x = [f(5)];
        let opts = test_opts();
        let bytes = prove_with(&p, &x, &[f(7)], &opts, &mut |_| {}).unwrap().0.to_bytes();
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(9);
        let (mut parsed, mut cut) = (0, 0);
        for i in 0..1500u64 {
            use rand::RngExt;
            let mut b = bytes.clone();
            if i % 3 == 0 {
                b.truncate(rng.random_range(0..bytes.len()));
                cut += 1;
            } else {
                let at = rng.random_range(0..b.len());
                b[at] ^= 1 << rng.random_range(0..8u32);
            }
            let r = std::panic::catch_unwind(|| match Proof::from_bytes(&b) {
                Ok(q) => Some(verify_with(&p, &x, f(35), &q, ALLOW)),
                Err(_) => None,
            });
            let r = r.unwrap_or_else(|_| panic!("mutation {i} panicked"));
            if let Some(v) = r {
                parsed += 1;
                // A flip inside a field element's unused encoding space can leave the proof
                // intact (postcard varints, canonical reduction): then it must still be the
                // same proof, i.e. verify for the same claim; otherwise it must be rejected.
                if v.is_ok() {
                    assert_eq!(Proof::from_bytes(&b).unwrap().to_bytes(), bytes, "mutation {i} verified");
                }
            }
        }
        assert!(parsed > 0 && cut > 0);
    }
}

mod fused;
mod values;
