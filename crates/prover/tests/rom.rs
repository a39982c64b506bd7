//! The verifier-computed ROM (`docs/air.md`, "ROM") under attack: relabelled rows, every
//! copied column and selector, another height, the transcript binding of the image, and the
//! table list of a `HASH`-free image. Forged proofs reach the verifier only in release builds:
//! `cargo test --release -p resvm-prover --test rom`.
mod support;

use core::mem::offset_of;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use resvm_field::F;
use resvm_isa::{Instr, Program};
use resvm_prover::air::rom::{self, RomCols};
use resvm_prover::air::{TableKind, Val};
use resvm_prover::config::SecurityLevel;
use resvm_prover::*;
use support::*;

fn verdict(p: &Program, st: &Statement, traces: &[RowMajorMatrix<Val>]) -> Result<(), VerifyError> {
    let proof = prove_forged(p, st, traces, SecurityLevel::Test)?;
    verify_claimed(p, &proof, ALLOW)
}

/// main(x, y) = x * y (f0 @5); g(x, y) = x + y (f1 @9, never called). With `swap`, the MUL
/// and the ADD trade places (main computes x + y).
fn two_fns(swap: bool) -> Program {
    let (m, a) = if swap {
        (Instr::Add, Instr::Mul)
    } else {
        (Instr::Mul, Instr::Add)
    };
    main2(
        false,
        &[
            Instr::Load(0),
            Instr::Load(1),
            m,
            Instr::Ret,
            Instr::Load(0),
            Instr::Load(1),
            a,
            Instr::Ret,
        ],
        &[func(9, 2, 2)],
    )
}

/// The CPU fetches pc 7 = ADD (from the image's pc 11) by relabelling two ROM rows' `idx`:
/// only `idx == IDX` stops it.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "forged proofs reach the verifier only in release: cargo test --release -p resvm-prover --test rom"
)]
fn relabelled_rom_rows_fetch_another_instruction() {
    let p = two_fns(false);
    let q = two_fns(true);
    let (x, y) = (F::from_u64(5), F::from_u64(7));
    let (st_p, t_p) = honest_run(&p, &[x, y]);
    assert_eq!(st_p.output, F::from_u64(35));
    assert_eq!(verdict(&p, &st_p, &t_p), Ok(()));
    let (mut st, mut t) = honest_run(&q, &[x, y]);
    assert_eq!(st.output, F::from_u64(12));
    st.program = p.digest();
    // The CPU's function tuples carry Q's reprs (they depend on the digest): use P's.
    let cpu_t = TableKind::Cpu.index();
    for row in 0..t[cpu_t].height() {
        let r = get(&t[cpu_t], row, resvm_prover::air::cpu::R);
        for f in 0..q.functions().len() as u32 {
            if r == q.repr(f).unwrap() && r != F::ZERO {
                set(
                    &mut t[cpu_t],
                    row,
                    resvm_prover::air::cpu::R,
                    p.repr(f).unwrap(),
                );
            }
        }
    }
    let rom_t = TableKind::Rom.index();
    let col = |c: usize| -> Vec<u64> {
        use p3_field::PrimeField64;
        (0..t[rom_t].height())
            .map(|i| get(&t[rom_t], i, c).as_canonical_u64())
            .collect()
    };
    let (mut fetch, uses, reads, bytes) = (
        col(rom::FETCH),
        col(rom::USES),
        col(rom::READS),
        col(rom::BYTE_MULT),
    );
    fetch.swap(7, 11);
    // Parameter i is public input i here: reads per parameter index are reads per row.
    let uses = rom::Uses {
        fetch: &fetch,
        functions: &uses,
        inputs: &reads,
        bytes: &bytes,
    };
    let mut r = rom::build(&p, &indexed(&p, &st), &uses);
    let idx = offset_of!(RomCols<u8>, idx);
    set(&mut r, 7, idx, F::from_u64(11));
    set(&mut r, 11, idx, F::from_u64(7));
    t[rom_t] = r;
    assert_eq!(
        verdict(&p, &st, &t),
        Err(VerifyError::Constraints { table: "rom" })
    );
}

/// Every copied column and both selectors, one cell at a time (`soundness.rs`'s
/// `rom_cells_are_constrained` covers opcode, a, repr, ent, both counts on real rows and a
/// padding fetch): each of these constraints is load-bearing (a helper's mutation run showed
/// that without any of them no other test fails, and without `idx` the forgery above passes).
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "forged proofs reach the verifier only in release: cargo test --release -p resvm-prover --test rom"
)]
fn every_rom_copy_and_selector_is_constrained() {
    let p = two_fns(false);
    let (st, honest) = honest_run(&p, &[F::from_u64(5), F::from_u64(7)]);
    assert_eq!(verdict(&p, &st, &honest), Ok(()));
    let rom_t = TableKind::Rom.index();
    let err = VerifyError::Constraints { table: "rom" };
    let pad_fn = p.functions().len(); // a real instruction row, a padding function half
    let pad = p.code().len();
    for (row, col) in [
        (5, offset_of!(RomCols<u8>, idx)),
        (pad, offset_of!(RomCols<u8>, idx)),
        (3, offset_of!(RomCols<u8>, b)),
        (1, offset_of!(RomCols<u8>, ar)),
        (1, offset_of!(RomCols<u8>, frm)),
        (0, offset_of!(RomCols<u8>, ar)),
        (pad_fn, rom::USES),
        (pad, rom::USES),
    ] {
        let mut t = honest.clone();
        let v = get(&t[rom_t], row, col);
        set(&mut t[rom_t], row, col, v + F::ONE);
        assert_eq!(
            verdict(&p, &st, &t),
            Err(err.clone()),
            "ROM row {row} column {col}"
        );
    }
}

/// A ROM twice the expected height (the image repeated: the periodic columns still divide the
/// height) is refused by the verifier's shape check.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "forged proofs reach the verifier only in release: cargo test --release -p resvm-prover --test rom"
)]
fn rom_of_another_height_is_refused() {
    let p = two_fns(false);
    let (st, mut t) = honest_run(&p, &[F::from_u64(5), F::from_u64(7)]);
    let rom_t = TableKind::Rom.index();
    let mut v = t[rom_t].values.clone();
    let mut second = v.clone();
    for row in second.chunks_exact_mut(rom::WIDTH) {
        row[rom::FETCH] = Val::ZERO;
        row[rom::USES] = Val::ZERO;
    }
    v.extend(second);
    t[rom_t] = RowMajorMatrix::new(v, rom::WIDTH);
    let res = verdict(&p, &st, &t);
    assert!(matches!(res, Err(VerifyError::Shape(_))), "{res:?}");
}

/// The read-only table's public values are the program digest and the public inputs (the
/// transcript binding of the image and the inputs).
#[test]
fn rom_public_values_are_the_digest() {
    let p = two_fns(false);
    let (st, t) = honest_run(&p, &[F::from_u64(5), F::from_u64(7)]);
    let mem =
        resvm_prover::air::memory::MemoryAir::from_width(t[TableKind::Memory.index()].width())
            .unwrap();
    let (_, pvs) = airs(&p, &st, mem);
    let mut want = p.digest().elements().to_vec();
    want.extend([F::ZERO, F::from_u64(5), F::ONE, F::from_u64(7)]);
    assert_eq!(pvs[TableKind::Rom.index()], want);
}

/// A `HASH`-free image's proof has no hash table, and no compare table either unless the
/// image asks the compare chiplet (`EQZS` does not); an image with `HASH` keeps the compare
/// table, so that every table's position is its index.
#[test]
fn hash_free_image_has_no_hash_table() {
    use resvm_prover::air::{tables_for, TableKind::*};
    assert_eq!(tables_for(&two_fns(false)), &[Cpu, Memory, Rom]);
    let zero_test = main2(false, &[Instr::EqZS(0), Instr::Ret], &[]);
    assert_eq!(tables_for(&zero_test), &[Cpu, Memory, Rom]);
    for cmp in [
        vec![Instr::Load(0), Instr::Load(1), Instr::Compare, Instr::Ret],
        vec![Instr::LtSS(0, 1), Instr::Ret],
    ] {
        let p = main2(false, &cmp, &[]);
        assert_eq!(tables_for(&p), &[Cpu, Memory, Rom, Compare]);
    }
    // `HASH 0` reads frame slots 0..5 (never run here: only the image's table list matters).
    let mut code = vec![
        Instr::Frame,
        Instr::Input(0),
        Instr::Input(1),
        Instr::Call(0),
        Instr::Halt,
    ];
    code.extend([Instr::Load(0); 4]);
    code.extend([
        Instr::Hash(0),
        Instr::Pop,
        Instr::Pop,
        Instr::Pop,
        Instr::Ret,
    ]);
    let hash_only = Program::new(code, vec![func(5, 2, 5)], 0).expect("valid image");
    assert_eq!(tables_for(&hash_only), &[Cpu, Memory, Rom, Compare, Hash]);
}

/// A read-only table taller than the 256 bytes (a program of 300 instructions): a byte count
/// on a row past 255, where `idx` is no byte, is refused by its selector, so a range lookup of
/// 256..height can never be answered.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "forged proofs reach the verifier only in release: cargo test --release -p resvm-prover --test rom"
)]
fn byte_counts_past_the_bytes_are_refused() {
    let mut rest = vec![Instr::Load(0), Instr::Load(1), Instr::Mul];
    for _ in 0..146 {
        rest.extend([Instr::Push(F::ONE), Instr::Pop]);
    }
    rest.push(Instr::Ret);
    let p = main2(false, &rest, &[]);
    assert!(p.code().len() > 300);
    let (st, honest) = honest_run(&p, &[F::from_u64(5), F::from_u64(7)]);
    assert_eq!(verdict(&p, &st, &honest), Ok(()));
    let rom_t = TableKind::Rom.index();
    assert_eq!(honest[rom_t].height(), 512);
    let mut t = honest.clone();
    set(&mut t[rom_t], 300, rom::BYTE_MULT, F::ONE);
    assert_eq!(
        verdict(&p, &st, &t),
        Err(VerifyError::Constraints { table: "rom" })
    );
}

/// `lt_secret` padded past 256 instructions: a 512-row read-only table, whose rows 256.. are
/// no bytes.
fn big_lt() -> Program {
    let mut rest = vec![Instr::Load(1), Instr::Load(0), Instr::Compare];
    for _ in 0..146 {
        rest.extend([Instr::Push(F::ONE), Instr::Pop]);
    }
    rest.push(Instr::Ret);
    main2(true, &rest, &[])
}

/// A compare limb of 256 (the operand 256 as limbs (0x100, 0x00) instead of (0x00, 0x01), the
/// byte counts shifted to match) is answered by no byte row: row 256 is the first that is
/// not a byte. (A helper's mutation run: with `is_byte` one row too long this was accepted.)
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "forged proofs reach the verifier only in release: cargo test --release -p resvm-prover --test rom"
)]
fn limb_256_is_no_byte() {
    let p = big_lt();
    let (st, honest) = honest_run(&p, &[F::from_u64(1000), F::from_u64(256)]);
    assert_eq!(verdict(&p, &st, &honest), Ok(()));
    let (rom_t, cmp) = (TableKind::Rom.index(), TableKind::Compare.index());
    let a0 = resvm_prover::air::compare::LIMBS;
    assert_eq!(
        [get(&honest[cmp], 0, a0), get(&honest[cmp], 0, a0 + 1)],
        [F::ZERO, F::ONE]
    );
    let mut t = honest.clone();
    set(&mut t[cmp], 0, a0, F::from_u64(256));
    set(&mut t[cmp], 0, a0 + 1, F::ZERO);
    let m1 = get(&t[rom_t], 1, rom::BYTE_MULT);
    set(&mut t[rom_t], 1, rom::BYTE_MULT, m1 - F::ONE);
    set(&mut t[rom_t], 256, rom::BYTE_MULT, F::ONE);
    assert_eq!(
        verdict(&p, &st, &t),
        Err(VerifyError::Constraints { table: "rom" })
    );
    for row in [256, 511] {
        let mut t = honest.clone();
        set(&mut t[rom_t], row, rom::BYTE_MULT, F::ONE);
        assert_eq!(
            verdict(&p, &st, &t),
            Err(VerifyError::Constraints { table: "rom" }),
            "row {row}"
        );
    }
}

/// `main(secret s, x) = s * x`: the only public input is parameter 1, on row 0 of the table,
/// so the `INPUT` tuple must carry the parameter index, not the row.
fn secret_first() -> Program {
    let code = vec![
        Instr::Frame,
        Instr::Secret(0),
        Instr::Input(1),
        Instr::Call(0),
        Instr::Halt,
        Instr::Load(0),
        Instr::Load(1),
        Instr::Mul,
        Instr::Ret,
    ];
    Program::new(code, vec![func(5, 2, 2)], 0).expect("valid image")
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "forged proofs reach the verifier only in release: cargo test --release -p resvm-prover --test rom"
)]
fn secret_before_public_parameter() {
    let p = secret_first();
    assert_eq!(public_params(&p), vec![1]);
    let (s, x) = (F::from_u64(7), F::from_u64(5));
    let (proof, _) = prove_with(&p, &[x], &[s], &test_opts(), &mut |_| {}).unwrap();
    assert_eq!(
        verify_with(&p, &[x], F::from_u64(35), &proof, ALLOW),
        Ok(())
    );
    let (st, honest) = honest_run(&p, &[s, x]);
    assert_eq!(verdict(&p, &st, &honest), Ok(()));
    let rom_t = TableKind::Rom.index();
    let mut st2 = st.clone();
    st2.public_inputs = vec![F::from_u64(6)];
    assert_eq!(
        verdict(&p, &st2, &honest),
        Err(VerifyError::Constraints { table: "rom" })
    );
    let mut t = honest.clone();
    set(&mut t[rom_t], 0, rom::IN_IDX, F::ZERO);
    assert_eq!(
        verdict(&p, &st, &t),
        Err(VerifyError::Constraints { table: "rom" })
    );
}
