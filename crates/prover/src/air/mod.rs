//! The resvm AIR: one STARK table ("chiplet") per concern, tied together by LogUp buses.
//!
//! | table | rows | role |
//! |---|---|---|
//! | [`cpu`] | one per executed instruction (padded with `HALT`) | the ISA's transition function |
//! | [`memory`] | two or three memory accesses per row, sorted by `(space, addr, ts)` | memory consistency |
//! | [`rom`] | one instruction, function, public input and byte per row | what the verifier knows: program, public inputs, the bytes of the range checks |
//! | [`compare`] | one per executed `COMPARE` | `lt` on canonical representatives |
//! | [`hash`] | one Poseidon2 permutation per two rows | `HASH` (images that use it) |
//! | [`bfio`] input | one per Brainfuck input byte, and the end | binds `BFIN` to the public input bytes |
//! | [`bfio`] output | one per Brainfuck output byte | binds `BFOUT` to the public output bytes |
//!
//! The hash table is in proofs about images with a `HASH` instruction (and Brainfuck images),
//! the two Brainfuck tables in proofs about Brainfuck images only ([`tables_for`]).
//!
//! **The chiplet seam.** Every table is a module with a `#[repr(C)]` column struct (a row
//! slice borrows as `&XxxCols<T>`, as Plonky3's own AIRs do; see `columns!`), its AIR and
//! its trace builder. The list in `tables!` below is the one place that fixes the tables and
//! their order ([`TABLES`], [`TableKind`], [`VmAir`]); [`tables_for`] takes the prefix a
//! resvm image's proof has. Adding a chiplet is a new module and one entry there: before the
//! two Brainfuck tables if resvm proofs use it (a `const` assertion keeps those last), so
//! only their indices move.
//! See `docs/air.md` for columns, constraints and degrees.

pub mod bfio;
pub mod compare;
pub mod cpu;
pub mod hash;
pub mod memory;
pub mod rom;

use p3_air::{Air, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use resvm_isa::spec::Chiplet;
use std::borrow::Cow;

/// The base field of every trace (Goldilocks).
pub type Val = p3_goldilocks::Goldilocks;

/// Bus names. One payload width per bus.
pub mod bus {
    /// CPU and hash chiplet ↔ memory: `(space, ts, addr, value, is_write)`, a permutation
    /// (multiset equality). Space 0 is the stack/frame memory of `docs/isa.md`.
    pub const MEMORY: &str = "memory";
    /// Address space of the stack/frame memory on [`MEMORY`].
    pub const SPACE_STACK: u64 = resvm_isa::spec::SPACE_STACK;
    /// CPU → ROM: `(pc, opcode, a, b)` instruction fetch (lookup).
    pub const PROGRAM: &str = "program";
    /// CPU → ROM / compare chiplet / public-input table / hash chiplet, one bus with a tag in
    /// front so the CPU spends one LogUp column on all of them:
    /// `(TAG_FUNCTION, f, repr, entry, arity, frame)` (function-table lookup),
    /// `(TAG_COMPARE, a, b, lt(a, b), 0, 0)` (compare chiplet, permutation),
    /// `(TAG_INPUT, i, x_i, 0, 0, 0)` (public-input lookup) and
    /// `(TAG_HASH, clk, sp, fp, k, 0)` (a `HASH k`, permutation).
    pub const CALL: &str = "call";
    /// Tag of function-table tuples on [`CALL`].
    pub const TAG_FUNCTION: u64 = 1;
    /// Tag of comparison tuples on [`CALL`].
    pub const TAG_COMPARE: u64 = 2;
    /// Tag of public-input tuples on [`CALL`].
    pub const TAG_INPUT: u64 = 3;
    /// Tag of `HASH` requests on [`CALL`].
    pub const TAG_HASH: u64 = 4;
    /// Tag of Brainfuck input reads on [`CALL`]: `(TAG_BF_INPUT, position, byte, eof, 0, 0)`
    /// (lookup in the input table).
    pub const TAG_BF_INPUT: u64 = 5;
    /// Tag of Brainfuck output writes on [`CALL`]: `(TAG_BF_OUTPUT, position, cell, 0, 0, 0)`
    /// (lookup in the output table).
    pub const TAG_BF_OUTPUT: u64 = 6;
    /// memory/compare/… → the byte rows of the read-only table: `(v)` with `0 <= v < 2^8`.
    pub const RANGE: &str = "range8";
    /// Zero-knowledge blinding of the LogUp terminals: every table sends one uniformly random
    /// message `(r0, r1)`, and [`super::BLIND_SINK`] receives them all (see [`super::blind`]).
    pub const BLIND: &str = "blind";
}

/// Blinding of the LogUp terminals, which Plonky3 puts in the proof unmasked.
///
/// It is part of the chiplet seam: [`VmAir`] appends the columns and the message to every
/// table, so a new chiplet is blinded without code of its own.
///
/// A table's terminal is `Σ m/(α − fingerprint)` over its bus messages, and α, β can be
/// recomputed from the transcript: so anyone could guess a secret, rebuild the trace and
/// compare terminals. Every table therefore carries [`blind::COLS`] extra columns
/// `(r0, r1, m)`: every table but the sink sends `(r0, r1)` with multiplicity `m` (honestly:
/// uniformly random `r0, r1` on row 0 with `m = 1`, zero elsewhere), and the sink receives the
/// same messages with multiplicity `−m`. The blinding term `1/(α_blind − (r0·β + r1))` is
/// uniform over the extension field (β ∉ F, so `r0·β + r1` covers it: one random element
/// would not), so each table's terminal is uniform, and the sink's is fixed by their sum,
/// which is zero for any honest run. The `blind` bus is separated from the others by its own
/// challenge prefix, so these free messages can only cancel each other: soundness of the
/// other buses is unaffected whatever the prover puts here.
pub mod blind {
    /// Columns appended to every table: `r0, r1, m`.
    pub const COLS: usize = 3;
    /// Offset of `r0` among them.
    pub const R0: usize = 0;
    /// Offset of `r1`.
    pub const R1: usize = 1;
    /// Offset of the multiplicity.
    pub const M: usize = 2;
}

/// The table that receives every other table's blinding message (the read-only table: at
/// least 256 rows, room for every sender).
pub const BLIND_SINK: TableKind = TableKind::Rom;

/// Log2 of the smallest table height: hiding FRI needs at least 256 rows per table.
pub const MIN_LOG_HEIGHT: usize = 8;

/// Rows of a table holding `n` rows of content: the next power of two, at least
/// `2^MIN_LOG_HEIGHT`.
pub fn padded_height(n: usize) -> usize {
    n.next_power_of_two().max(1 << MIN_LOG_HEIGHT)
}

/// Implements `Borrow<$cols<T>>` / `BorrowMut` for `[T]` (a row of exactly the struct's width
/// borrows as the typed columns; a longer row, such as a table's own columns followed by the
/// [`blind`] columns, borrows its prefix) and `$cols::<u8>::WIDTH`. Slicing panics on a row shorter than the struct. The struct must be `#[repr(C)]`
/// with only `T` fields (scalars and arrays), so that it has the layout of `[T; WIDTH]`.
#[macro_export]
#[doc(hidden)]
macro_rules! columns {
    ($cols:ident) => {
        impl<T> core::borrow::Borrow<$cols<T>> for [T] {
            fn borrow(&self) -> &$cols<T> {
                let row = &self[..<$cols<u8>>::WIDTH];
                // SAFETY: `$cols<T>` is `#[repr(C)]` with only `T` fields, so it has the size
                // and alignment of `[T; WIDTH]`; the slice has exactly WIDTH elements.
                let (prefix, cols, suffix) = unsafe { row.align_to::<$cols<T>>() };
                assert!(
                    prefix.is_empty() && suffix.is_empty() && cols.len() == 1,
                    "layout"
                );
                &cols[0]
            }
        }
        impl<T> core::borrow::BorrowMut<$cols<T>> for [T] {
            fn borrow_mut(&mut self) -> &mut $cols<T> {
                let row = &mut self[..<$cols<u8>>::WIDTH];
                // SAFETY: as for `Borrow`.
                let (prefix, cols, suffix) = unsafe { row.align_to_mut::<$cols<T>>() };
                assert!(
                    prefix.is_empty() && suffix.is_empty() && cols.len() == 1,
                    "layout"
                );
                &mut cols[0]
            }
        }
        impl $cols<u8> {
            /// Number of columns.
            pub const WIDTH: usize = core::mem::size_of::<$cols<u8>>();
        }
    };
}

/// Column index of a field of a column struct (`col!(CpuCols, pc)`).
#[macro_export]
#[doc(hidden)]
macro_rules! col {
    ($cols:ident, $($field:tt).+) => {
        core::mem::offset_of!($cols<u8>, $($field).+)
    };
}

/// The one list of tables: their order in a proof, their names, their AIR types.
macro_rules! tables {
    ($($(#[$doc:meta])* $kind:ident($air:ty) = $name:literal,)+) => {
        /// Which table an instance is, in the fixed order of a proof.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum TableKind {
            $($(#[$doc])* $kind,)+
        }

        /// The tables of a proof, in order.
        pub const TABLES: &[TableKind] = &[$(TableKind::$kind,)+];

        impl TableKind {
            /// The table's name in summaries (`resvm prove --json`).
            pub fn name(self) -> &'static str {
                match self {
                    $(TableKind::$kind => $name,)+
                }
            }
            /// Position of the table in a proof.
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        /// All tables as one type (the batch prover's requirement).
        #[derive(Clone, Debug)]
        pub enum VmAir {
            $($(#[$doc])* $kind($air),)+
        }

        impl VmAir {
            /// Which table this is.
            pub fn kind(&self) -> TableKind {
                match self {
                    $(VmAir::$kind(_) => TableKind::$kind,)+
                }
            }
        }

        macro_rules! forward {
            ($self:ident, $a:ident => $e:expr) => {
                match $self {
                    $(VmAir::$kind($a) => $e,)+
                }
            };
        }
    };
}

tables! {
    /// The CPU ([`cpu::CpuAir`]).
    Cpu(cpu::CpuAir) = "cpu",
    /// Memory consistency ([`memory::MemoryAir`]).
    Memory(memory::MemoryAir) = "memory",
    /// The read-only table ([`rom::RomAir`]): program, public inputs and bytes, computed by
    /// the verifier.
    Rom(rom::RomAir) = "rom",
    /// Canonical comparison ([`compare::CompareAir`]).
    Compare(compare::CompareAir) = "compare",
    /// Poseidon2 permutations ([`hash::HashAir`]).
    Hash(Box<hash::HashAir>) = "hash",
    /// Brainfuck input bytes ([`bfio::BfInputAir`]).
    BfInput(bfio::BfInputAir) = "bf_input",
    /// Brainfuck output bytes ([`bfio::BfOutputAir`]).
    BfOutput(bfio::BfOutputAir) = "bf_output",
}

/// The tables of a proof about `program`, in proof order (a prefix of [`TABLES`]).
///
/// A resvm image's proof omits the Brainfuck I/O tables, the hash table when the image has no
/// `HASH` instruction, and the compare table too when it has neither `HASH` nor an instruction
/// that asks the compare chiplet (`COMPARE`, `LTSS`, `LTSI`, `RLTSI`). Validation keeps
/// `BFIN`/`BFOUT` out of resvm images, and an instruction that is not in the image cannot be
/// fetched from the ROM. Were such a request ever made, no table would receive it, so the
/// `call` bus could not balance. Prover and verifier derive the same list from the image, whose
/// digest the transcript binds. The omitted tables are always a suffix of [`TABLES`], so a
/// table's position in a proof is its [`TableKind::index`]. That is why an image with `HASH`
/// keeps the compare table even when it compares nothing.
pub fn tables_for(program: &resvm_isa::Program) -> &'static [TableKind] {
    match program.kind() {
        resvm_isa::ImageKind::Resvm if uses_hash(program) => &TABLES[..TableKind::BfInput.index()],
        resvm_isa::ImageKind::Resvm if uses_compare(program) => &TABLES[..TableKind::Hash.index()],
        resvm_isa::ImageKind::Resvm => &TABLES[..TableKind::Compare.index()],
        resvm_isa::ImageKind::Brainfuck => TABLES,
    }
}

/// Whether `program` has a `HASH` instruction (so its proofs need the hash chiplet).
pub fn uses_hash(program: &resvm_isa::Program) -> bool {
    asks_chiplet(program, |c| matches!(c, Chiplet::Hash))
}

/// Whether `program` has an instruction that sends the compare chiplet a request.
pub fn uses_compare(program: &resvm_isa::Program) -> bool {
    asks_chiplet(program, |c| matches!(c, Chiplet::Compare { .. }))
}

/// Whether an instruction of `program` names a chiplet `is` accepts in its opcode table entry.
fn asks_chiplet(program: &resvm_isa::Program, is: impl Fn(&Chiplet) -> bool) -> bool {
    program
        .code()
        .iter()
        .any(|i| i.opcode().spec().chiplet.as_ref().is_some_and(&is))
}

// The omitted tables must be the last ones, so the others keep their indices.
const _: () = assert!(
    TableKind::Compare.index() + 4 == TABLES.len()
        && TableKind::Hash.index() + 3 == TABLES.len()
        && TableKind::BfInput.index() + 2 == TABLES.len()
        && TableKind::BfOutput.index() + 1 == TABLES.len()
);

impl VmAir {
    /// The AIRs of every table in [`TABLES`] order, with empty Brainfuck streams: the widest
    /// proof shape, for the security model's worst case.
    pub fn all(memory: memory::MemoryAir) -> Vec<VmAir> {
        let rom = rom::RomAir::blank(MIN_LOG_HEIGHT);
        let cpu = cpu::CpuAir::new(cpu::OpSet::all());
        Self::for_tables(TABLES, cpu, &rom, memory, &[], &[])
    }

    /// The AIRs of the given `tables` (from [`tables_for`]) for the image's CPU
    /// ([`cpu::CpuAir::for_program`]) and read-only table (program and public inputs), the
    /// given memory layout and the public Brainfuck input and output bytes.
    pub fn for_tables(
        tables: &[TableKind],
        cpu: cpu::CpuAir,
        rom: &rom::RomAir,
        memory: memory::MemoryAir,
        bf_input: &[u8],
        bf_output: &[u8],
    ) -> Vec<VmAir> {
        tables
            .iter()
            .map(|t| match t {
                TableKind::Cpu => VmAir::Cpu(cpu),
                TableKind::Memory => VmAir::Memory(memory),
                TableKind::Rom => VmAir::Rom(rom.clone()),
                TableKind::Compare => VmAir::Compare(compare::CompareAir),
                TableKind::Hash => VmAir::Hash(Box::default()),
                TableKind::BfInput => VmAir::BfInput(bfio::BfInputAir::new(bf_input)),
                TableKind::BfOutput => VmAir::BfOutput(bfio::BfOutputAir::new(bf_output)),
            })
            .collect()
    }
}

impl VmAir {
    /// Width of the table's own columns; the [`blind`] columns follow them.
    pub fn inner_width(&self) -> usize {
        forward!(self, a => BaseAir::<Val>::width(a.as_ref_air()))
    }
}

impl BaseAir<Val> for VmAir {
    fn width(&self) -> usize {
        self.inner_width() + blind::COLS
    }
    fn num_public_values(&self) -> usize {
        forward!(self, a => BaseAir::<Val>::num_public_values(a.as_ref_air()))
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        None
    }
    fn preprocessed_width(&self) -> usize {
        0
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        forward!(self, a => BaseAir::<Val>::main_next_row_columns(a.as_ref_air()))
    }
    fn num_periodic_columns(&self) -> usize {
        forward!(self, a => BaseAir::<Val>::num_periodic_columns(a.as_ref_air()))
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<Val>]> {
        forward!(self, a => BaseAir::<Val>::periodic_columns(a.as_ref_air()))
    }
}

impl<AB> Air<AB> for VmAir
where
    AB: PermutationAirBuilder<F = Val> + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        forward!(self, a => a.as_ref_air().eval(builder));
        let w = self.inner_width();
        let main = builder.main();
        let local = main.current_slice();
        let col = |i: usize| -> AB::Expr { local[w + i].into() };
        let (r0, r1, m) = (col(blind::R0), col(blind::R1), col(blind::M));
        if self.kind() == BLIND_SINK {
            builder.push_interaction(bus::BLIND, [r0, r1], Count::provided(-m));
        } else {
            builder.assert_bool(m.clone());
            builder.push_interaction(bus::BLIND, [r0, r1], Count::bounded(m, 1));
        }
    }
}

/// Lets `forward!` treat boxed and unboxed variants alike.
trait AsRefAir {
    type Target: ?Sized;
    fn as_ref_air(&self) -> &Self::Target;
}
impl<T> AsRefAir for Box<T> {
    type Target = T;
    fn as_ref_air(&self) -> &T {
        self
    }
}
macro_rules! as_ref_self {
    ($($t:ty),*) => {$(
        impl AsRefAir for $t {
            type Target = $t;
            fn as_ref_air(&self) -> &$t { self }
        }
    )*};
}
as_ref_self!(
    cpu::CpuAir,
    memory::MemoryAir,
    rom::RomAir,
    compare::CompareAir,
    bfio::BfInputAir,
    bfio::BfOutputAir
);

/// The tables with their [`blind`] columns appended: every table but [`BLIND_SINK`] gets one
/// fresh uniformly random message on row 0, and the sink receives them all on its first rows.
/// `traces` are the tables of [`tables_for`] (a prefix of [`TABLES`], the sink included), each
/// of its table's inner width; each is freed once its widened copy is made, so the two
/// layouts of all tables are never held at once.
pub fn append_blinding(
    traces: Vec<RowMajorMatrix<Val>>,
    rng: &mut impl rand::Rng,
) -> Vec<RowMajorMatrix<Val>> {
    use p3_field::PrimeCharacteristicRing;
    use p3_matrix::Matrix;
    let mut uniform = || loop {
        // Rejection sampling: uniform over the field, not just over u64 mod p.
        let x = rng.next_u64();
        if x < resvm_field::P {
            return Val::from_u64(x);
        }
    };
    let tables = &TABLES[..traces.len().min(TABLES.len())];
    let messages: Vec<[Val; 2]> = tables
        .iter()
        .filter(|t| **t != BLIND_SINK)
        .map(|_| [uniform(), uniform()])
        .collect();
    let mut sent = messages.iter();
    tables
        .iter()
        .zip(traces)
        .map(|(kind, t)| {
            // `t` is dropped at the end of this closure.
            let (w, h) = (t.width(), t.height());
            let nw = w + blind::COLS;
            let mut values = Val::zero_vec(h * nw);
            for (dst, src) in values.chunks_exact_mut(nw).zip(t.values.chunks_exact(w)) {
                dst[..w].copy_from_slice(src);
            }
            let mut put = |row: usize, msg: &[Val; 2]| {
                let at = row * nw + w;
                values[at + blind::R0] = msg[0];
                values[at + blind::R1] = msg[1];
                values[at + blind::M] = Val::ONE;
            };
            if *kind == BLIND_SINK {
                for (row, msg) in messages.iter().enumerate() {
                    put(row, msg);
                }
            } else if let Some(msg) = sent.next() {
                put(0, msg);
            }
            RowMajorMatrix::new(values, nw)
        })
        .collect()
}
