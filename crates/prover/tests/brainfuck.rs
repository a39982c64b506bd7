//! Proofs of Brainfuck runs: they bind the program, the input and the output; tampered
//! proofs and forged traces are rejected by the verifier with a specific reason.
//!
//! Forgeries reach the verifier only in release builds (debug Plonky3 checks constraints in
//! the prover and panics), so the prover-heavy tests are ignored in debug; `.ci/run` runs this
//! file again in release.

use p3_field::{Field, PrimeCharacteristicRing, PrimeField64};
use p3_matrix::Matrix;
use resvm_bf::{compile, Dialect};
use resvm_prover::air::{bfio, cpu, TableKind, Val};
use resvm_prover::config::SecurityLevel;
use resvm_prover::*;

fn opts() -> ProveOptions {
    ProveOptions {
        security: SecurityLevel::Test,
        ..Default::default()
    }
}
const ALLOW: VerifyOptions = VerifyOptions { allow_test: true };

fn source(name: &str) -> Vec<u8> {
    let path = format!("{}/../../examples/bf/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn prove(name: &str, d: Dialect, input: &[u8]) -> (resvm_isa::Program, Proof) {
    let image = compile(&source(name), d).expect("compiles").image;
    let (proof, _) = prove_brainfuck(&image, input, &opts(), &mut |_| {}).expect("proves");
    (image, proof)
}

fn verify(p: &resvm_isa::Program, i: &[u8], o: &[u8], proof: &Proof) -> Result<(), VerifyError> {
    verify_brainfuck(p, Some(i), Some(o), proof, ALLOW)
}

/// Every I/O-using shipped program proves in both dialects with the outputs it prints.
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn shipped_programs_prove_in_both_dialects() {
    // (program, input, field output, u8 output)
    type Case = (&'static str, &'static [u8], &'static [u8], &'static [u8]);
    let cases: [Case; 4] = [
        ("hello.bf", b"", b"Hello World!\n", b"Hello World!\n"),
        ("multiply.bf", b"79", b"63\n", b"63\n"),
        ("reverse.bf", b"abc", b"cba", b"cba"),
        ("field_wrap.bf", b"", &[0x00, 0xff], &[0xff, 0xfe]),
    ];
    for (name, input, field_out, u8_out) in cases {
        for (d, want) in [(Dialect::Field, field_out), (Dialect::U8, u8_out)] {
            let (p, proof) = prove(name, d, input);
            assert_eq!(proof.statement.io.output, want, "{name} {d:?}");
            verify(&p, input, want, &proof).expect("verifies");
            // Round trip through the wire format.
            let back = Proof::from_bytes(&proof.to_bytes()).expect("parses");
            verify(&p, input, want, &back).expect("verifies after the round trip");
        }
    }
    let (p, proof) = prove("u8_wrap.bf", Dialect::U8, b"");
    verify(&p, b"", b"1\n", &proof).expect("u8 wrap proves");
    let (p, proof) = prove("u8_wrap.bf", Dialect::Field, b"");
    verify(&p, b"", b"0\n", &proof).expect("no wrap in the field");
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn other_program_input_or_output_is_rejected() {
    let (p, proof) = prove("cat.bf", Dialect::Field, b"hi");
    verify(&p, b"hi", b"hi", &proof).expect("verifies");
    let other = compile(&source("reverse.bf"), Dialect::Field)
        .unwrap()
        .image;
    assert!(matches!(
        verify(&other, b"hi", b"hi", &proof),
        Err(VerifyError::ProgramMismatch { .. })
    ));
    // A program with `+`/`-` is another image in the other dialect.
    let digest = |d| compile(&source("hello.bf"), d).unwrap().image.digest();
    assert_ne!(digest(Dialect::Field), digest(Dialect::U8));
    assert_eq!(
        verify(&p, b"ho", b"hi", &proof),
        Err(VerifyError::InputBytesMismatch { len: 2 })
    );
    assert_eq!(
        verify(&p, b"hi", b"ho", &proof),
        Err(VerifyError::OutputBytesMismatch { len: 2 })
    );
    // A resvm verifier refuses a Brainfuck proof.
    assert!(matches!(
        verify_claimed(&p, &proof, ALLOW),
        Err(VerifyError::WrongKind(_))
    ));
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn tampered_proof_is_rejected() {
    let (p, proof) = prove("hello.bf", Dialect::U8, b"");
    let mut bytes = proof.to_bytes();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    let res = Proof::from_bytes(&bytes).and_then(|pr| verify(&p, b"", b"Hello World!\n", &pr));
    assert!(res.is_err(), "a flipped bit must not verify");
    // A Brainfuck proof has all seven tables, the I/O tables last: without them (a resvm
    // proof's shape) it is refused before Plonky3 sees it.
    assert_eq!(proof.stark.degree_bits.len(), 7);
    let mut q = Proof::from_bytes(&proof.to_bytes()).expect("parses");
    q.stark.degree_bits.truncate(5);
    q.stark.opened_values.instances.truncate(5);
    q.stark.lookup_terminals.truncate(5);
    let r = verify(&p, b"", b"Hello World!\n", &q);
    assert!(
        matches!(&r, Err(VerifyError::Shape(m)) if m == "expected 7 tables"),
        "{r:?}"
    );
}

/// The honest tables of a run, and its statement.
fn witness(name: &str, input: &[u8]) -> (resvm_isa::Program, trace::Witness, Statement) {
    witness_of(&source(name), Dialect::Field, input)
}

/// The honest tables of a run of the source `src` in dialect `d`, and its statement.
fn witness_of(
    src: &[u8],
    d: Dialect,
    input: &[u8],
) -> (resvm_isa::Program, trace::Witness, Statement) {
    let p = compile(src, d).unwrap().image;
    let w = trace::generate_brainfuck(&p, input, None).expect("runs");
    let st = Statement {
        program: p.digest(),
        public_inputs: vec![],
        output: w.output,
        cycles: w.cycles,
        io: ByteStreams {
            input: input.to_vec(),
            output: w.bf_output.clone(),
        },
    };
    (p, w, st)
}

fn prove_forged(
    p: &resvm_isa::Program,
    st: &Statement,
    traces: &[p3_matrix::dense::RowMajorMatrix<Val>],
) -> Proof {
    let stark = prove_traces(p, st, traces, SecurityLevel::Test).expect("the prover emits a proof");
    Proof {
        security: SecurityLevel::Test,
        statement: st.clone(),
        stark,
    }
}

/// Claiming another output over the honest tables: the output table's bytes are the public
/// ones, so its constraints fail.
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn forged_output_claim_is_rejected() {
    let (p, w, mut st) = witness("cat.bf", b"ok");
    st.io.output = b"no".to_vec();
    let proof = prove_forged(&p, &st, &w.traces);
    assert_eq!(
        verify(&p, b"ok", b"no", &proof),
        Err(VerifyError::Constraints { table: "bf_output" })
    );
}

/// An output table rewritten consistently for another output (other cell, other bytes):
/// the CPU's `BFOUT` messages then have no counterpart.
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn forged_output_table_is_rejected() {
    let (p, mut w, mut st) = witness("cat.bf", b"ok");
    let out = TableKind::BfOutput.index();
    let width = w.traces[out].width();
    // Row 0 wrote 'o'; make it 'x' (the cell value and its byte).
    w.traces[out].values[bfio::OUT_B] = Val::from_u8(b'x');
    assert!(w.traces[out].height() >= 2 && width > bfio::OUT_B);
    st.io.output = b"xk".to_vec();
    let proof = prove_forged(&p, &st, &w.traces);
    assert_eq!(
        verify(&p, b"ok", b"xk", &proof),
        Err(VerifyError::LookupImbalance)
    );
}

/// The ISA refuses Brainfuck instructions in resvm images and resvm instructions in Brainfuck
/// images (no proof of either is meaningful).
#[test]
fn images_keep_their_kind() {
    use resvm_isa::{Instr, Program};
    let bad = Program::new_brainfuck(vec![Instr::Load(0), Instr::Push(Val::ZERO), Instr::Halt])
        .expect("well-formed image");
    assert!(resvm_isa::validate(&bad).is_err());
    let mixed = Program::new_brainfuck(vec![
        Instr::BfAdd(Val::ONE),
        Instr::BfAdd8(1),
        Instr::Push(Val::ZERO),
        Instr::Halt,
    ])
    .expect("well-formed image");
    assert!(resvm_isa::validate(&mixed).is_err());
}

/// A Brainfuck run's memory table in the layout without address spaces (the one resvm images
/// use): its messages all carry space 0, so the CPU's cell accesses (space 1) have no
/// counterpart. The table is rebuilt consistently for one space (`+++`, no I/O: the cells
/// moved above the stack's addresses) and the read-only table's byte counts follow it, so
/// only the memory bus can object.
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn brainfuck_memory_without_spaces_is_rejected() {
    use resvm_prover::air::{memory, rom};
    let p = compile(b"+++", Dialect::Field).unwrap().image;
    let w = trace::generate_brainfuck(&p, b"", None).expect("runs");
    let st = Statement {
        program: p.digest(),
        public_inputs: vec![],
        output: w.output,
        cycles: w.cycles,
        io: ByteStreams::default(),
    };
    let mem = TableKind::Memory.index();
    let layout = memory::MemoryAir::from_width(w.traces[mem].width()).unwrap();
    assert!(layout.spaces(), "a Brainfuck run needs the space columns");
    const CELLS_AT: u32 = 1 << 20;
    let get =
        |t: &p3_matrix::dense::RowMajorMatrix<Val>, r: usize, c: usize| t.values[r * t.width() + c];
    let u = |v: Val| p3_field::PrimeField64::as_canonical_u64(&v);
    let mut accesses = vec![];
    let mut spaces = std::collections::BTreeSet::new();
    for r in 0..w.traces[mem].height() {
        for k in 0..layout.slots() {
            let o = k * layout.stride();
            if get(&w.traces[mem], r, o + memory::REAL) == Val::ONE {
                let space = u(get(&w.traces[mem], r, o + memory::SPACE));
                spaces.insert(space);
                accesses.push(memory::Access {
                    space: 0,
                    ts: u(get(&w.traces[mem], r, o + memory::TS)),
                    addr: u(get(&w.traces[mem], r, o + memory::ADDR)) as u32
                        + CELLS_AT * space as u32,
                    val: get(&w.traces[mem], r, o + memory::VAL),
                    write: get(&w.traces[mem], r, o + memory::W) == Val::ONE,
                });
            }
        }
    }
    assert_eq!(
        spaces,
        [0, resvm_isa::spec::SPACE_BF_CELLS].into(),
        "stack and cells only"
    );
    let mut t = w.traces.clone();
    let narrow = memory::MemoryAir::for_count(accesses.len(), false);
    let mut bytes = vec![0u64; rom::BYTES];
    t[mem] = memory::build(&mut accesses, narrow, w.traces[mem].height(), &mut bytes).unwrap();
    // The other tables' byte lookups, as the honest read-only table counted them minus the
    // memory table's.
    let romi = TableKind::Rom.index();
    let honest_rom = &w.traces[romi];
    let col = |c: usize, n: usize| (0..n).map(|r| u(get(honest_rom, r, c))).collect::<Vec<_>>();
    let mut old_mem_bytes = vec![0u64; rom::BYTES];
    for r in 0..w.traces[mem].height() {
        for k in 0..layout.slots() {
            for j in 0..memory::D_LIMBS {
                old_mem_bytes
                    [u(get(&w.traces[mem], r, k * layout.stride() + memory::D + j)) as usize] += 1;
            }
        }
    }
    let all_bytes = col(rom::BYTE_MULT, rom::BYTES);
    for b in 0..rom::BYTES {
        bytes[b] += all_bytes[b] - old_mem_bytes[b];
    }
    let (fetch, functions) = (
        col(rom::FETCH, p.code().len()),
        col(rom::USES, p.functions().len()),
    );
    let uses = rom::Uses {
        fetch: &fetch,
        functions: &functions,
        inputs: &[],
        bytes: &bytes,
    };
    t[romi] = rom::build(&p, &[], &uses);
    let proof = prove_forged(&p, &st, &t);
    assert_eq!(
        verify(&p, b"", b"", &proof),
        Err(VerifyError::LookupImbalance)
    );
    // The control: the same rebuild with the cells' space kept verifies.
    let mut honest = w.traces.clone();
    let mut same = accesses
        .iter()
        .map(|a| match a.addr.checked_sub(CELLS_AT) {
            Some(addr) => memory::Access {
                space: resvm_isa::spec::SPACE_BF_CELLS as u32,
                addr,
                ..*a
            },
            None => *a,
        })
        .collect::<Vec<_>>();
    let mut b2 = vec![0u64; rom::BYTES];
    honest[mem] = memory::build(&mut same, layout, w.traces[mem].height(), &mut b2).unwrap();
    assert_eq!(honest[mem].values, w.traces[mem].values);
    assert_eq!(
        verify(&p, b"", b"", &prove_forged(&p, &st, &honest)),
        Ok(())
    );
}

/// The honest tables of a small run, forged one CPU value at a time: a slot value's memory
/// access (where the slot is one of the opcode's accesses) and the row's products `p, q, s`
/// and I/O payloads follow it, so a forgery breaks only the value constraint it aims at.
struct Forge {
    p: resvm_isa::Program,
    w: trace::Witness,
    st: Statement,
}

impl Forge {
    fn new(src: &[u8], d: Dialect, input: &[u8]) -> Self {
        let (p, w, st) = witness_of(src, d, input);
        Forge { p, w, st }
    }

    fn at(&self, row: usize, c: usize) -> Val {
        let t = &self.w.traces[TableKind::Cpu.index()];
        t.values[row * t.width() + c]
    }

    fn set(&mut self, row: usize, c: usize, v: Val) {
        let t = &mut self.w.traces[TableKind::Cpu.index()];
        let width = t.width();
        t.values[row * width + c] = v;
    }

    /// The CPU rows that execute `op`, in order.
    fn rows(&self, op: resvm_isa::Opcode) -> Vec<usize> {
        let flag = cpu::CpuAir::for_program(&self.p)
            .flag(op)
            .expect("in the image");
        let h = self.w.traces[TableKind::Cpu.index()].height();
        (0..h).filter(|&r| self.at(r, flag) == Val::ONE).collect()
    }

    /// Sets `v_j` of CPU row `row`, with the memory table's copy of the access if slot `j` is
    /// one (its time stamp `4·clk + j`), the products and the `BFIN`/`BFOUT` payloads.
    fn slot(&mut self, row: usize, j: usize, v: Val) {
        use resvm_isa::Opcode::{BfIn, BfOut};
        use resvm_prover::air::memory;
        self.set(row, cpu::V + j, v);
        let pc = self.at(row, cpu::PC).as_canonical_u64() as usize;
        let op = self.p.code()[pc].opcode();
        if let Some(acc) = op.spec().slots.get(j) {
            let mem = &mut self.w.traces[TableKind::Memory.index()];
            let layout = memory::MemoryAir::from_width(mem.width()).unwrap();
            let ts = Val::from_u64((row * cpu::SLOTS + j) as u64);
            let mut hits = 0;
            for r in 0..mem.height() {
                for k in 0..layout.slots() {
                    let o = r * mem.width() + k * layout.stride();
                    if mem.values[o + memory::REAL] == Val::ONE && mem.values[o + memory::TS] == ts
                    {
                        assert_eq!(mem.values[o + memory::SPACE], Val::from_u64(acc.space));
                        mem.values[o + memory::VAL] = v;
                        if !acc.write {
                            mem.values[o + memory::RV] = v;
                        }
                        hits += 1;
                    }
                }
            }
            assert_eq!(hits, 1, "one access at ts {ts}");
        }
        let v = |j: usize| self.at(row, cpu::V + j);
        let (p, q, s) = (v(0) * v(1), v(0) * v(2), v(2) * v(3));
        let io = match op {
            BfIn => [(cpu::G, v(0)), (cpu::R, v(2)), (cpu::ENT, v(3))].to_vec(),
            BfOut => [(cpu::G, v(1)), (cpu::R, v(0))].to_vec(),
            _ => vec![],
        };
        for (c, x) in [(cpu::P, p), (cpu::Q, q), (cpu::S, s)]
            .into_iter()
            .chain(io)
        {
            self.set(row, c, x);
        }
    }

    /// The `BFIN` of CPU row `row` ran at the end of an empty input (it wrote 0 to the cell);
    /// it reads the byte 1 instead, of the input `[1]`: the position advances, the cell is 1.
    fn read_one(&mut self, row: usize) {
        assert!(self.st.io.input.is_empty() && self.at(row, cpu::V + 3) == Val::ONE);
        self.slot(row, 1, Val::ONE);
        self.slot(row, 2, Val::ONE);
        self.slot(row, 3, Val::ZERO);
        self.st.io.input = vec![1];
        self.w.traces[TableKind::BfInput.index()] = bfio::build_input(&[1], &[1, 0]);
    }

    fn verify(&self) -> Result<(), VerifyError> {
        let proof = prove_forged(&self.p, &self.st, &self.w.traces);
        verify(&self.p, &self.st.io.input, &self.st.io.output, &proof)
    }
}

const CPU: Result<(), VerifyError> = Err(VerifyError::Constraints { table: "cpu" });

/// `BFADD`, `BFIN` and `BFOUT` each write a value other than their constraint's (`+,.` on
/// input `a`): the cell `+` writes (overwritten by `,`, so no read sees it), the input
/// position `,` writes and the output position `.` writes (the last accesses of their cells).
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn forged_brainfuck_writes_are_rejected() {
    use resvm_isa::Opcode::{BfAdd, BfIn, BfOut};
    let honest = Forge::new(b"+,.", Dialect::Field, b"a");
    assert_eq!(honest.st.io.output, b"a");
    assert_eq!(honest.verify(), Ok(()), "the control");
    // (opcode, slot, forged value, what the constraint wants)
    let cases = [
        (BfAdd, 1, 5, "BFADD: v1 = v0 + c"),
        (BfIn, 1, 0, "BFIN: v1 = v0 + 1 - eof"),
        (BfOut, 2, 0, "BFOUT: v2 = v1 + 1"),
    ];
    for (op, j, val, what) in cases {
        let mut f = Forge::new(b"+,.", Dialect::Field, b"a");
        let row = f.rows(op)[0];
        assert_ne!(f.at(row, cpu::V + j), Val::from_u64(val));
        f.slot(row, j, Val::from_u64(val));
        assert_eq!(f.verify(), CPU, "{what}");
    }
}

/// `BFADD8 1` on 0 (`+`, u8) with the carry's constraints broken one at a time: the carry
/// set (`v2 = 1`, `v3 = 0`: the sum is off by 256), `v3 ≠ 1 − v2`, and a carry of 1/256 that
/// writes 0 (`v2·v3 ≠ 0`; the range table counts the byte 0 instead of 1).
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn forged_bfadd8_carry_is_rejected() {
    use resvm_prover::air::rom;
    let honest = Forge::new(b"+", Dialect::U8, b"");
    assert_eq!(honest.verify(), Ok(()), "the control");
    let row = honest.rows(resvm_isa::Opcode::BfAdd8)[0];
    let v = |j: usize| honest.at(row, cpu::V + j);
    assert_eq!([v(0), v(1), v(2), v(3)], [0, 1, 0, 1].map(Val::from_u8));
    let frac = Val::from_u64(256).inverse();
    // (v1, v2, v3, what breaks)
    let cases = [
        (1, Val::ONE, Val::ZERO, "v1 = v0 + c - 256·v2"),
        (1, Val::ZERO, Val::from_u8(5), "v3 = 1 - v2"),
        (0, frac, Val::ONE - frac, "v2·v3 = 0"),
    ];
    for (v1, v2, v3, what) in cases {
        let mut f = Forge::new(b"+", Dialect::U8, b"");
        f.slot(row, 1, Val::from_u8(v1));
        f.slot(row, 2, v2);
        f.slot(row, 3, v3);
        if v1 != 1 {
            let rom = &mut f.w.traces[TableKind::Rom.index()];
            let width = rom.width();
            rom.values[width + rom::BYTE_MULT] -= Val::ONE;
            rom.values[rom::BYTE_MULT] += Val::ONE;
        }
        assert_eq!(f.verify(), CPU, "{what}");
    }
}

/// The jumps' helper values forged where the next pc does not see them (`[]++[-]`: `BFJZ`
/// on 0 and on 2, `BFJNZ` on 1 and on 0): a wrong inverse `v1 = 0` of a nonzero cell (then
/// `v2 ≠ v0·v1`), and a wrong distance `v3` on a zero cell (`s = v2·v3` is 0 either way).
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn forged_brainfuck_jump_helpers_are_rejected() {
    use resvm_isa::Opcode::{BfJnz, BfJz};
    let src = b"[]++[-]";
    let honest = Forge::new(src, Dialect::Field, b"");
    assert_eq!(honest.verify(), Ok(()), "the control");
    let (jz, jnz) = (honest.rows(BfJz), honest.rows(BfJnz));
    let cell = |r: usize| honest.at(r, cpu::V);
    assert_eq!(
        jz.iter().map(|&r| cell(r)).collect::<Vec<_>>(),
        [0, 2].map(Val::from_u8)
    );
    assert_eq!(
        jnz.iter().map(|&r| cell(r)).collect::<Vec<_>>(),
        [1, 0].map(Val::from_u8)
    );
    // (row, slot, forged value, what breaks)
    let cases = [
        (jz[1], 1, Val::ZERO, "BFJZ: v2 = v0·v1"),
        (jnz[0], 1, Val::ZERO, "BFJNZ: v2 = v0·v1"),
        (jz[0], 3, Val::from_u8(7), "BFJZ: v3 = pc + 1 - t"),
        (jnz[1], 3, Val::from_u8(7), "BFJNZ: v3 = t - pc - 1"),
    ];
    for (row, j, val, what) in cases {
        let mut f = Forge::new(src, Dialect::Field, b"");
        assert_ne!(f.at(row, cpu::V + j), val);
        f.slot(row, j, val);
        assert_eq!(f.verify(), CPU, "{what}");
    }
}

/// A jump that acts as if its cell were 0 although it is 1 (`v2 = 0`, `v1 = 0`, so only
/// `v0·(1 − v2) = 0` objects): the cell is the byte `,` reads from the input `[1]`, forged
/// over the run on the empty input (where the cell is 0 and the jump the same). `,[-]`:
/// `[` skips the loop; `+[,]`: `]` leaves it.
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn forged_brainfuck_jump_on_a_nonzero_cell_is_rejected() {
    use resvm_isa::Opcode::{BfIn, BfJnz, BfJz};
    for (src, op) in [(&b",[-]"[..], BfJz), (&b"+[,]"[..], BfJnz)] {
        let honest = Forge::new(src, Dialect::Field, b"");
        assert_eq!(honest.verify(), Ok(()), "the control");
        let mut f = Forge::new(src, Dialect::Field, b"");
        let (read, jump) = (f.rows(BfIn)[0], f.rows(op)[0]);
        assert_eq!(
            (f.at(jump, cpu::V), f.at(jump, cpu::V + 2)),
            (Val::ZERO, Val::ZERO)
        );
        f.read_one(read);
        f.slot(jump, 0, Val::ONE);
        assert_eq!(f.verify(), CPU, "{op:?}: v0 = v0·v2 (v0 = q)");
    }
}
