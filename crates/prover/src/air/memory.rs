//! The memory table: every access of the CPU and the chiplets, sorted by `(space, addr, ts)`,
//! two or three accesses per row.
//!
//! Every access is a message `(space, ts, addr, value, is_write)` on the memory bus; this
//! table receives the same multiset (a permutation argument), so it holds exactly the
//! accesses made. Row `i` holds accesses `2i` (slot 0) and `2i + 1` (slot 1) of the sorted
//! sequence; every access is compared with its predecessor (slot k with slot k − 1 of its row,
//! slot 0 with the last slot of the previous row). Sortedness is proven with range-checked
//! differences, one of three cases per access: inside a block of one cell (`same`)
//! `ts − ts_prev − 1`, at a new address of the same space `addr − addr_prev − 1`, at a new
//! space (`ns`) `space − space_prev − 1` (the address is then free), each in `[0, 2^32)` as four
//! range-checked bytes. Every genuine `ts` is `< 2^28` and a table has `< 2^28` accesses, so
//! the sums never wrap mod p: each `(space, addr)` is one contiguous block in time order. Then
//! a read must return the previous value of its block, and the first access of a block, if a
//! read, returns 0 (memory starts zeroed).
//!
//! **Address spaces.** Space 0 is the stack/frame memory of `docs/isa.md`; spaces 1–3 are the
//! Brainfuck cells and input/output positions (`resvm_isa::spec::SPACE_BF_CELLS` …). Another
//! memory is another space number in the messages its chiplet sends: no new table. Every space
//! after the first must start at address 0 (one constraint): then each space's addresses are
//! integers in `[0, 2^60)`, never a field element "below 0".
//!
//! **Layout: two or three accesses per row, chosen per proof.** Several accesses per row
//! instead of one cut the rows: the columns per access are the same, but the quotient and the
//! hiding codewords are paid per row. Which of 2 or 3 is cheaper depends on where the access
//! count falls against the powers of two, so the prover takes the one with fewer padded cells
//! ([`MemoryAir::for_accesses`]) and the verifier reads it off the width of the memory table's opened row
//! (both layouts are the same constraints, each sound on its own). Measured: the fused
//! Fibonacci loop (2.3 accesses per cycle) proves ~25 % faster with 3, while resource-logic
//! proofs, whose access counts fall the other way, were ~13 % slower with a fixed 3; 4 per row
//! measured no faster at 2^16 cycles and made proofs ~9 % larger. 4 as a third choice (taken
//! only where it has fewer padded cells) proved fib 4600 ~10 % faster with its memory table at
//! 2^14 rows, but made that proof 13 % and a 2-in/2-out resource proof 7 % larger: not kept
//! (`docs/benchmarks.md`, "Branch on a zero slot").

use super::{bus, Val};
use crate::{col, columns};
use core::borrow::{Borrow, BorrowMut};
use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

/// The layouts a proof may use: accesses per row, narrowest first.
pub const SLOT_CHOICES: [usize; 2] = [2, 3];
/// Bytes of the difference to the predecessor.
pub const D_LIMBS: usize = 4;

/// The columns of one access.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct MemSlot<T> {
    /// Address.
    pub addr: T,
    /// Time stamp `4·clk + sub-slot`.
    pub ts: T,
    /// Value read or written.
    pub val: T,
    /// 1 for a write, 0 for a read.
    pub w: T,
    /// 1 on accesses (they come first, in sorted order), 0 on padding.
    pub real: T,
    /// 1 when this access has the same space and address as its predecessor.
    pub same: T,
    /// Little-endian bytes of the difference to the predecessor.
    pub d: [T; D_LIMBS],
    /// `same · (1 − w)`: a read that continues its cell's block (keeps degree 2).
    pub sr: T,
    /// `(1 − w) · val`: the value if the access is a read, else 0 (keeps degree 2).
    pub rv: T,
}
columns!(MemSlot);

/// The two columns of an access in the layouts with address spaces, after its [`MemSlot`].
#[repr(C)]
#[derive(Clone, Debug)]
pub struct SpaceCols<T> {
    /// Address space.
    pub space: T,
    /// 1 when this access starts a new address space (then `same = 0`).
    pub ns: T,
}
columns!(SpaceCols);

/// Columns per access in the layouts of one address space; slot `k`'s column `X` is
/// `k * STRIDE + X` there ([`MemoryAir::stride`] in general).
pub const STRIDE: usize = MemSlot::<u8>::WIDTH;
/// Address (within a slot).
pub const ADDR: usize = col!(MemSlot, addr);
/// Time stamp.
pub const TS: usize = col!(MemSlot, ts);
/// Value.
pub const VAL: usize = col!(MemSlot, val);
/// Write flag.
pub const W: usize = col!(MemSlot, w);
/// Real-access flag.
pub const REAL: usize = col!(MemSlot, real);
/// Same-cell flag.
pub const SAME: usize = col!(MemSlot, same);
/// First difference byte.
pub const D: usize = col!(MemSlot, d);
/// `same · (1 − w)`.
pub const SR: usize = col!(MemSlot, sr);
/// `(1 − w) · val`.
pub const RV: usize = col!(MemSlot, rv);
/// Address space (within a slot of a layout with spaces).
pub const SPACE: usize = STRIDE + col!(SpaceCols, space);
/// New-space flag (within a slot of a layout with spaces).
pub const NS: usize = STRIDE + col!(SpaceCols, ns);

/// The memory AIR of one layout: `slots` accesses per row (one of [`SLOT_CHOICES`]), with or
/// without the address-space columns.
///
/// **One address space needs no space columns.** A resvm image's accesses are all in space 0
/// (the CPU's and the hash chiplet's messages carry the constant 0), so its table leaves out
/// `space` and `ns`: the constraints are those of the layout with spaces at `space = ns = 0`,
/// and the bus message carries the constant 0. A table without spaces cannot receive a
/// Brainfuck cell or I/O access (spaces 1–3), so a Brainfuck run proven with it leaves the
/// memory bus unbalanced; every layout is sound on its own, and the prover takes the
/// narrowest one its accesses fit ([`MemoryAir::for_accesses`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryAir {
    slots: usize,
    spaces: bool,
}

impl MemoryAir {
    /// The layout with `slots` accesses per row, with the space columns if `spaces`; `None`
    /// unless `slots` is one of [`SLOT_CHOICES`].
    pub fn new(slots: usize, spaces: bool) -> Option<MemoryAir> {
        SLOT_CHOICES
            .contains(&slots)
            .then_some(MemoryAir { slots, spaces })
    }
    /// Every layout.
    pub fn all() -> impl Iterator<Item = MemoryAir> {
        [false, true]
            .into_iter()
            .flat_map(|spaces| SLOT_CHOICES.map(|slots| MemoryAir { slots, spaces }))
    }
    /// The widest layout (the verifier's worst-case shape).
    pub fn widest() -> MemoryAir {
        MemoryAir {
            slots: SLOT_CHOICES[SLOT_CHOICES.len() - 1],
            spaces: true,
        }
    }
    /// The layout of a table of `accesses` accesses: with the space columns only if one of
    /// them is outside space 0, and the accesses per row with the fewer padded cells
    /// (quotient and hiding codewords included); ties go to the narrower layout.
    pub fn for_accesses(accesses: &[Access]) -> MemoryAir {
        let spaces = accesses.iter().any(|a| a.space as u64 != bus::SPACE_STACK);
        Self::for_count(accesses.len(), spaces)
    }
    /// [`MemoryAir::for_accesses`] for `accesses` accesses, with or without spaces.
    pub fn for_count(accesses: usize, spaces: bool) -> MemoryAir {
        let cells = |m: &MemoryAir| {
            super::padded_height(accesses.div_ceil(m.slots))
                * (m.slots * m.stride() + super::blind::COLS)
        };
        Self::all()
            .filter(|m| m.spaces == spaces)
            .min_by_key(cells)
            .unwrap_or(MemoryAir {
                slots: SLOT_CHOICES[0],
                spaces,
            })
    }
    /// Accesses per row.
    pub fn slots(&self) -> usize {
        self.slots
    }
    /// Whether the table has the address-space columns.
    pub fn spaces(&self) -> bool {
        self.spaces
    }
    /// Columns per access: slot `k`'s column `X` is `k * stride() + X`.
    pub fn stride(&self) -> usize {
        STRIDE
            + if self.spaces {
                SpaceCols::<u8>::WIDTH
            } else {
                0
            }
    }
    /// The layout whose table is `width` columns wide (without the blinding columns).
    pub fn from_width(width: usize) -> Option<MemoryAir> {
        Self::all().find(|m| m.slots * m.stride() == width)
    }
}

impl BaseAir<Val> for MemoryAir {
    fn width(&self) -> usize {
        self.slots * self.stride()
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        // Slot 0 of the next row is compared with the last slot of this one.
        (0..self.stride()).collect()
    }
}

impl<AB> Air<AB> for MemoryAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let stride = self.stride();
        let x = |v: AB::Var| -> AB::Expr { v.into() };
        let slot = |k: usize| access::<_, AB::Expr>(local, k, stride, self.spaces);
        let last = self.slots - 1;
        let nx0 = access::<_, AB::Expr>(next, 0, stride, self.spaces);
        let one = AB::Expr::ONE;

        for (s, _, ns) in (0..self.slots).map(slot) {
            builder.assert_bool(x(s.w));
            builder.assert_bool(x(s.real));
            builder.assert_bool(x(s.same));
            builder.assert_eq(x(s.sr), x(s.same) * (one.clone() - x(s.w)));
            builder.assert_eq(x(s.rv), (one.clone() - x(s.w)) * x(s.val));
            // Padding never continues a block.
            builder.assert_zero((one.clone() - x(s.real)) * x(s.same));
            if self.spaces {
                builder.assert_bool(ns.clone());
                builder.assert_zero(x(s.same) * ns.clone());
                // Every space after the first starts at address 0: addresses then climb by
                // less than 2^32 per block, so none of them is a "negative" field element
                // (this is what refuses a Brainfuck data pointer left of cell 0).
                builder.assert_zero(ns * x(s.addr));
            }
        }
        {
            // The very first access has no predecessor; fresh memory reads as zero.
            let mut b = builder.when_first_row();
            b.assert_zero(x(slot(0).0.same));
            b.assert_zero(x(slot(0).0.rv));
        }

        // `cur` follows `prev` in the sorted sequence (all expressions of degree ≤ 2): real
        // accesses form a prefix; a continued block keeps its space and address, a new
        // address keeps its space; the difference (time, address or space, by case) is the
        // four bytes (padding takes part: its addresses keep counting up by one); a continued
        // read returns the previous value and a block's first read returns 0.
        type Acc<'a, V, E> = (&'a MemSlot<V>, E, E);
        let step = |(p, p_space, _): Acc<'_, AB::Var, AB::Expr>,
                    (c, c_space, ns): Acc<'_, AB::Var, AB::Expr>|
         -> Vec<AB::Expr> {
            let same = x(c.same);
            let na = one.clone() - same.clone() - ns.clone();
            let mut diff = same.clone() * (x(c.ts) - x(p.ts) - one.clone())
                + na * (x(c.addr) - x(p.addr) - one.clone());
            let mut e = vec![
                x(c.real) * (one.clone() - x(p.real)),
                same * (x(c.addr) - x(p.addr)),
            ];
            if self.spaces {
                diff += ns.clone() * (c_space.clone() - p_space.clone() - one.clone());
                e.push((one.clone() - ns) * (c_space - p_space));
            }
            let bytes = (0..D_LIMBS).fold(AB::Expr::ZERO, |acc, i| {
                acc + x(c.d[i]) * AB::Expr::from_u64(1 << (8 * i))
            });
            e.extend([
                diff - bytes,
                x(c.sr) * (x(c.val) - x(p.val)),
                x(c.rv) - x(c.sr) * x(c.val),
            ]);
            e
        };
        // Slot k after slot k − 1 of the same row.
        for k in 1..self.slots {
            for e in step(slot(k - 1), slot(k)) {
                builder.assert_zero(e);
            }
        }
        // Slot 0 of the next row after the last slot of this one.
        {
            let mut t = builder.when_transition();
            for e in step(slot(last), nx0) {
                t.assert_zero(e);
            }
        }

        for (s, space, _) in (0..self.slots).map(slot) {
            for i in 0..D_LIMBS {
                builder.push_interaction(bus::RANGE, [x(s.d[i])], 1);
            }
            builder.push_interaction(
                bus::MEMORY,
                [space, x(s.ts), x(s.addr), x(s.val), x(s.w)],
                Count::bounded(-x(s.real), 1),
            );
        }
    }
}

/// Access `k` of a row: its columns, and its space and new-space flag (the constant 0 without
/// the space columns).
fn access<V: Copy + Into<E>, E: PrimeCharacteristicRing>(
    row: &[V],
    k: usize,
    stride: usize,
    spaces: bool,
) -> (&MemSlot<V>, E, E) {
    let at = &row[k * stride..(k + 1) * stride];
    let s: &MemSlot<V> = at.borrow();
    if spaces {
        let sp: &SpaceCols<V> = at[STRIDE..].borrow();
        (s, sp.space.into(), sp.ns.into())
    } else {
        (s, E::ZERO, E::ZERO)
    }
}

/// One memory access as sent on the memory bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// Address space ([`bus::SPACE_STACK`] for the stack/frame memory).
    pub space: u32,
    /// Time stamp.
    pub ts: u64,
    /// Address.
    pub addr: u32,
    /// Value.
    pub val: Val,
    /// A write.
    pub write: bool,
}

/// Why the memory table cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap(pub u64);

/// Builds the table of layout `air` from the accesses (sorted here) with `height` rows (a
/// power of two at least `accesses.len() / air.slots()`), counting its byte lookups into
/// `range`. Without the space columns every access must be in space 0 ([`Gap`] otherwise).
pub fn build(
    accesses: &mut [Access],
    air: MemoryAir,
    height: usize,
    range: &mut [u64],
) -> Result<RowMajorMatrix<Val>, Gap> {
    accesses.sort_unstable_by_key(|a| (a.space, a.addr, a.ts));
    if !air.spaces {
        if let Some(a) = accesses.iter().find(|a| a.space as u64 != bus::SPACE_STACK) {
            return Err(Gap(a.space as u64));
        }
    }
    let (slots, stride) = (air.slots, air.stride());
    let width = slots * stride;
    let mut t = Val::zero_vec(height * width);
    let (last_space, last_addr) = accesses.last().map_or((0, 0), |a| (a.space, a.addr as u64));
    let u = |v: u64| Val::from_u64(v);
    for (r, row) in t.chunks_exact_mut(width).enumerate() {
        for (k, cells) in row.chunks_exact_mut(stride).enumerate() {
            let (cells, space_cells) = cells.split_at_mut(STRIDE);
            let s: &mut MemSlot<Val> = cells.borrow_mut();
            let mut sp = (air.spaces).then(|| -> &mut SpaceCols<Val> { space_cells.borrow_mut() });
            let e = r * slots + k;
            let Some(&acc) = accesses.get(e) else {
                // Padding: same space, the address goes up by one, the difference is 0.
                if let Some(sp) = sp.as_mut() {
                    sp.space = u(last_space as u64);
                }
                s.addr = u(last_addr + 1 + (e - accesses.len()) as u64);
                range[0] += D_LIMBS as u64;
                continue;
            };
            if let Some(sp) = sp.as_mut() {
                sp.space = u(acc.space as u64);
            }
            s.addr = u(acc.addr as u64);
            s.ts = u(acc.ts);
            s.val = acc.val;
            s.w = Val::from_bool(acc.write);
            s.real = Val::ONE;
            let diff = match e.checked_sub(1).map(|p| accesses[p]) {
                None => 0,
                Some(p) if p.space != acc.space => {
                    if let Some(sp) = sp.as_mut() {
                        sp.ns = Val::ONE;
                    }
                    (acc.space - p.space - 1) as u64
                }
                Some(p) if p.addr == acc.addr => {
                    s.same = Val::ONE;
                    acc.ts.wrapping_sub(p.ts).wrapping_sub(1)
                }
                Some(p) => (acc.addr - p.addr - 1) as u64,
            };
            if diff >> 32 != 0 {
                return Err(Gap(diff));
            }
            for j in 0..D_LIMBS {
                let byte = (diff >> (8 * j)) & 0xff;
                s.d[j] = u(byte);
                range[byte as usize] += 1;
            }
            if !acc.write {
                s.rv = acc.val;
                s.sr = s.same;
            }
        }
    }
    Ok(RowMajorMatrix::new(t, width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_with_fewer_padded_cells_is_chosen() {
        let slots_for = |n| MemoryAir::for_count(n, false).slots();
        // Below 512 accesses both layouts fit the minimum 256 rows: the narrower wins.
        assert_eq!(slots_for(0), 2);
        assert_eq!(slots_for(512), 2);
        // 513..768 accesses: 512 rows of 2 against 256 rows of 3.
        assert_eq!(slots_for(513), 3);
        assert_eq!(slots_for(768), 3);
        // 769..1024: 512 rows either way.
        assert_eq!(slots_for(769), 2);
        assert_eq!(slots_for(1024), 2);
        // The fused Fibonacci loop at n = 4600: 73,600 accesses fit 2^15 rows of 3.
        assert_eq!(slots_for(73_600), 3);
        for spaces in [false, true] {
            for n in [0, 100, 513, 5000, 73_600, 1 << 20] {
                let m = MemoryAir::for_count(n, spaces);
                assert_eq!(m.spaces(), spaces);
                assert_eq!(MemoryAir::new(m.slots(), spaces), Some(m));
                assert_eq!(MemoryAir::from_width(m.slots() * m.stride()), Some(m));
            }
        }
        // The four layouts have four widths: 24, 36 (one space), 28, 42.
        let widths: Vec<usize> = MemoryAir::all().map(|m| m.slots() * m.stride()).collect();
        assert_eq!(widths, [24, 36, 28, 42]);
        assert!(MemoryAir::new(4, false).is_none());
        assert!(MemoryAir::from_width(2 * STRIDE + 1).is_none());
        // Only accesses outside space 0 need the space columns.
        let a = |space| Access {
            space,
            ts: 0,
            addr: 0,
            val: Val::ZERO,
            write: true,
        };
        assert!(!MemoryAir::for_accesses(&[a(0), a(0)]).spaces());
        assert!(MemoryAir::for_accesses(&[a(0), a(1)]).spaces());
        let mut range = vec![0; 256];
        let no_spaces = MemoryAir::new(2, false).unwrap();
        assert_eq!(
            build(&mut [a(0), a(2)], no_spaces, 256, &mut range),
            Err(Gap(2))
        );
    }
}
