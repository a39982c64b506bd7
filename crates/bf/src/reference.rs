//! A plain Brainfuck interpreter over the source text: no compilation beyond a bracket table,
//! one character per step. The baseline of the differential tests and of `resvm bench bf`.

use crate::Dialect;
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use resvm_field::F;

/// Why a reference run stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefError {
    /// Unbalanced brackets.
    Unbalanced,
    /// `<` from cell 0.
    PointerBelowZero,
    /// More than the allowed number of instructions.
    StepsExceeded,
}

/// Runs `src` on `input`, executing at most `max_steps` instructions (comments do not count).
/// Returns the output and the instructions executed.
pub fn run(
    src: &[u8],
    dialect: Dialect,
    input: &[u8],
    max_steps: u64,
) -> Result<(Vec<u8>, u64), RefError> {
    let prog: Vec<u8> = src
        .iter()
        .copied()
        .filter(|c| b"+-<>[],.".contains(c))
        .collect();
    let mut jump = vec![0usize; prog.len()];
    let mut open = Vec::new();
    for (i, &c) in prog.iter().enumerate() {
        match c {
            b'[' => open.push(i),
            b']' => {
                let j = open.pop().ok_or(RefError::Unbalanced)?;
                jump[i] = j;
                jump[j] = i;
            }
            _ => {}
        }
    }
    if !open.is_empty() {
        return Err(RefError::Unbalanced);
    }
    let mut cells: Vec<u64> = vec![0];
    let (mut ip, mut dp, mut inp, mut steps) = (0usize, 0usize, 0usize, 0u64);
    let mut out = Vec::new();
    let p = resvm_field::P;
    while ip < prog.len() {
        steps += 1;
        if steps > max_steps {
            return Err(RefError::StepsExceeded);
        }
        let c = &mut cells[dp];
        match prog[ip] {
            b'+' => {
                *c = match dialect {
                    Dialect::Field => (F::from_u64(*c) + F::ONE).as_canonical_u64(),
                    Dialect::U8 => (*c + 1) % 256,
                }
            }
            b'-' => {
                *c = match (dialect, *c) {
                    (Dialect::Field, 0) => p - 1,
                    (Dialect::U8, 0) => 255,
                    (_, v) => v - 1,
                }
            }
            b'>' => {
                dp += 1;
                if dp == cells.len() {
                    cells.push(0);
                }
            }
            b'<' => {
                dp = dp.checked_sub(1).ok_or(RefError::PointerBelowZero)?;
            }
            b',' => {
                *c = input.get(inp).map_or(0, |&b| {
                    inp += 1;
                    b as u64
                })
            }
            b'.' => out.push(*c as u8),
            b'[' if *c == 0 => ip = jump[ip],
            b']' if *c != 0 => ip = jump[ip],
            _ => {}
        }
        ip += 1;
    }
    Ok((out, steps))
}
