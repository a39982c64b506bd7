//! The threaded bundle's global allocator: lock-free free lists for small blocks in front of
//! the standard library's allocator.
//!
//! Why: with wasm atomics the standard library's allocator (dlmalloc) sits behind one global
//! spin lock, and Plonky3's quotient evaluation allocates small vectors for every packed row
//! it evaluates (about 1.7 million allocations in a 2^14-cycle proof natively, more in
//! WebAssembly, whose packed field is 2 lanes wide instead of 8). Pool threads then spin on
//! that lock instead of proving.
//!
//! How: blocks of up to [`MAX_SMALL`] bytes are rounded up to a power of two (a size class)
//! and, once freed, kept on that class's free list for the next allocation of the class,
//! whichever thread makes it. A list is a Treiber stack whose head is one 64-bit word (the
//! block address and a tag bumped on every change, so a head that was popped and pushed back
//! between a thread's read and its compare-and-swap does not match: no ABA). A freed block
//! holds the address of the next one in its first word. Blocks never go back to the inner
//! allocator, so a class holds at most as many blocks as were once live at the same time, and
//! the memory kept is the sum of the classes' peaks (small next to the prover's tables: a run
//! at the page's cycle cap still proves in the page).
//! Larger or more aligned blocks go straight to the inner allocator.
//!
//! It keeps no per-thread state: wasm-bindgen's thread start-up allocates a new thread's stack
//! and thread-local storage through this allocator before that storage exists.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Largest block served from a free list.
pub const MAX_SMALL: usize = 4096;
/// Smallest class: room for the next-block address and the alignment of most allocations.
const MIN_CLASS: usize = 16;
/// Classes 16, 32, …, 4096.
const CLASSES: usize = (MAX_SMALL / MIN_CLASS).trailing_zeros() as usize + 1;
/// Every block of a class is allocated from the inner allocator with this alignment.
const BLOCK_ALIGN: usize = 16;
/// Blocks are 16-aligned, so a head word stores `address >> 4`.
const ALIGN_BITS: u32 = BLOCK_ALIGN.trailing_zeros();
/// Bits of a head word holding that: 28 for a wasm32 address; on 64-bit hosts (where the
/// tests run) 44, for the 48 bits user-space addresses use. The rest is the tag: 36 bits on
/// wasm32, 20 natively.
const ADDR_BITS: u32 = if usize::BITS == 32 { 32 } else { 48 } - ALIGN_BITS;
const ADDR_MASK: u64 = (1 << ADDR_BITS) - 1;

/// Small blocks on free lists over `inner`, for 32-bit address spaces (wasm32).
pub struct SmallBlockCache<A> {
    inner: A,
    heads: [AtomicU64; CLASSES],
}

impl<A> SmallBlockCache<A> {
    /// An empty cache over `inner`.
    pub const fn new(inner: A) -> Self {
        Self {
            inner,
            heads: [const { AtomicU64::new(0) }; CLASSES],
        }
    }
}

/// The class of a layout, or `None` when it is served by the inner allocator.
fn class_of(layout: Layout) -> Option<usize> {
    if layout.size() > MAX_SMALL || layout.align() > BLOCK_ALIGN {
        return None;
    }
    let size = layout.size().max(MIN_CLASS).next_power_of_two();
    Some((size / MIN_CLASS).trailing_zeros() as usize)
}

fn class_layout(class: usize) -> Layout {
    // MIN_CLASS << class ≤ MAX_SMALL and BLOCK_ALIGN is a power of two: a valid layout.
    Layout::from_size_align(MIN_CLASS << class, BLOCK_ALIGN).expect("a valid class layout")
}

/// A head word: the block address (0: the list is empty) and a tag.
fn unpack(word: u64) -> (usize, u64) {
    (
        ((word & ADDR_MASK) as usize) << ALIGN_BITS,
        word >> ADDR_BITS,
    )
}

/// `addr` must be 16-aligned and [`fits`]; the tag wraps: its high bits fall off the word.
fn pack(addr: usize, tag: u64) -> u64 {
    (addr >> ALIGN_BITS) as u64 | (tag << ADDR_BITS)
}

/// Whether a block's address fits a head word (always on wasm32).
fn fits(ptr: *mut u8) -> bool {
    (ptr as u64 >> ALIGN_BITS) & !ADDR_MASK == 0
}

impl<A: GlobalAlloc> SmallBlockCache<A> {
    /// Pops a block of `class`, or null when its list is empty.
    ///
    /// # Safety
    /// Every address on a list is a freed block of that class, which stays readable (blocks
    /// are never returned to the inner allocator).
    unsafe fn pop(&self, class: usize) -> *mut u8 {
        let head = &self.heads[class];
        let mut word = head.load(Ordering::Acquire);
        loop {
            let (addr, tag) = unpack(word);
            if addr == 0 {
                return std::ptr::null_mut();
            }
            // Another thread may pop this block and write to it between this read and the
            // compare-and-swap: then the tag has moved on, the swap fails and the value read
            // is discarded. The read is atomic because the block's new owner may be writing
            // it; that is still a race with the owner's plain writes in the Rust memory model,
            // as in every Treiber stack that reuses its nodes.
            let next = unsafe { (*(addr as *const AtomicUsize)).load(Ordering::Relaxed) };
            match head.compare_exchange_weak(
                word,
                pack(next, tag.wrapping_add(1)),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return addr as *mut u8,
                Err(now) => word = now,
            }
        }
    }

    /// Pushes the freed block `ptr` of `class`.
    unsafe fn push(&self, class: usize, ptr: *mut u8) {
        let head = &self.heads[class];
        let mut word = head.load(Ordering::Acquire);
        loop {
            let (addr, tag) = unpack(word);
            unsafe { (*(ptr as *const AtomicUsize)).store(addr, Ordering::Relaxed) };
            match head.compare_exchange_weak(
                word,
                pack(ptr as usize, tag.wrapping_add(1)),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(now) => word = now,
            }
        }
    }

    /// A block for `layout`, cleared when `zeroed`: a recycled block of its class, else one
    /// from the inner allocator. Large blocks come from the inner allocator, which knows which
    /// memory is fresh and so already zero (dlmalloc's `calloc` skips clearing it): the
    /// prover's large zeroed tables are not cleared twice.
    unsafe fn allocate(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let layout = match class_of(layout) {
            Some(class) => {
                let p = unsafe { self.pop(class) };
                if !p.is_null() {
                    if zeroed {
                        unsafe { std::ptr::write_bytes(p, 0, layout.size()) };
                    }
                    return p;
                }
                class_layout(class)
            }
            None => layout,
        };
        if zeroed {
            unsafe { self.inner.alloc_zeroed(layout) }
        } else {
            unsafe { self.inner.alloc(layout) }
        }
    }
}

// SAFETY: small blocks are whole class-sized blocks of the inner allocator, handed out to one
// owner at a time (a block is on a list only while freed); everything else is the inner
// allocator's.
unsafe impl<A: GlobalAlloc> GlobalAlloc for SmallBlockCache<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { self.allocate(layout, false) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { self.allocate(layout, true) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(layout) {
            Some(class) if fits(ptr) => unsafe { self.push(class, ptr) },
            Some(class) => unsafe { self.inner.dealloc(ptr, class_layout(class)) },
            None => unsafe { self.inner.dealloc(ptr, layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY of the layout: `GlobalAlloc::realloc`'s contract makes it valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new_layout)) {
            (None, None) => unsafe { self.inner.realloc(ptr, layout, new_size) },
            (Some(a), Some(b)) if a == b => ptr,
            _ => {
                let new = unsafe { self.alloc(new_layout) };
                if !new.is_null() {
                    let n = layout.size().min(new_size);
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, new, n);
                        self.dealloc(ptr, layout);
                    }
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    #[test]
    fn classes_round_up_to_powers_of_two() {
        let l = |s, a| Layout::from_size_align(s, a).unwrap();
        assert_eq!(class_of(l(1, 1)), Some(0));
        assert_eq!(class_of(l(16, 8)), Some(0));
        assert_eq!(class_of(l(17, 8)), Some(1));
        assert_eq!(class_of(l(4096, 16)), Some(CLASSES - 1));
        assert_eq!(class_of(l(4097, 8)), None);
        assert_eq!(class_of(l(64, 32)), None);
        assert_eq!(class_layout(CLASSES - 1).size(), MAX_SMALL);
    }

    #[test]
    fn head_words_keep_address_and_tag_apart() {
        let addr = (usize::MAX >> (usize::BITS - ADDR_BITS - ALIGN_BITS)) & !(BLOCK_ALIGN - 1);
        let tag = (1u64 << (64 - ADDR_BITS)) - 1;
        assert_eq!(unpack(pack(addr, tag)), (addr, tag));
        // The tag wraps without touching the address.
        assert_eq!(unpack(pack(addr, tag.wrapping_add(1))), (addr, 0));
        assert_eq!(unpack(pack(BLOCK_ALIGN, 7)), (BLOCK_ALIGN, 7));
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn freed_blocks_are_reused_within_their_class() {
        let cache = SmallBlockCache::new(System);
        let p = unsafe { cache.alloc(layout(24, 8)) };
        assert!(!p.is_null() && fits(p));
        assert_eq!(p as usize % BLOCK_ALIGN, 0, "blocks are 16-aligned");
        unsafe { cache.dealloc(p, layout(24, 8)) };
        // 30 bytes is the same class (32): the same block.
        let q = unsafe { cache.alloc(layout(30, 16)) };
        assert_eq!(q, p, "the freed block comes back");
        // Growing within the class keeps the block.
        assert_eq!(unsafe { cache.realloc(q, layout(30, 16), 32) }, p);
        unsafe { cache.dealloc(p, layout(32, 16)) };
        // The class edges: 4096 bytes is kept on a free list once freed, 4097 bytes and
        // 32-byte alignment go back to the inner allocator.
        for (size, align) in [(4096, 16), (4097, 8), (64, 32)] {
            let fresh = SmallBlockCache::new(System);
            let l = layout(size, align);
            let a = unsafe { fresh.alloc(l) };
            assert!(!a.is_null() && a as usize % align == 0);
            unsafe { fresh.dealloc(a, l) };
            let kept = fresh.heads.iter().any(|h| h.load(Ordering::Relaxed) != 0);
            assert_eq!(
                kept,
                size <= MAX_SMALL && align <= BLOCK_ALIGN,
                "{size}/{align}"
            );
        }
    }

    #[test]
    fn realloc_moves_the_contents_across_classes() {
        let cache = SmallBlockCache::new(System);
        let mut l = layout(20, 8);
        let mut p = unsafe { cache.alloc(l) };
        unsafe { std::ptr::copy_nonoverlapping(b"0123456789abcdefghij".as_ptr(), p, 20) };
        // Small to a larger class, to a large block, and back down.
        for size in [100, 10_000, 40] {
            let q = unsafe { cache.realloc(p, l, size) };
            assert!(!q.is_null());
            assert_ne!(q, p, "{} to {size} bytes must move", l.size());
            let kept = unsafe { std::slice::from_raw_parts(q, 20) };
            assert_eq!(kept, b"0123456789abcdefghij");
            (p, l) = (q, layout(size, 8));
        }
        unsafe { cache.dealloc(p, l) };
    }

    #[test]
    fn zeroed_blocks_are_zero_even_when_recycled() {
        let cache = SmallBlockCache::new(System);
        for l in [layout(48, 8), layout(4096, 16), layout(100_000, 8)] {
            let p = unsafe { cache.alloc(l) };
            unsafe { std::ptr::write_bytes(p, 0xa5, l.size()) };
            unsafe { cache.dealloc(p, l) };
            let z = unsafe { cache.alloc_zeroed(l) };
            let bytes = unsafe { std::slice::from_raw_parts(z, l.size()) };
            assert!(bytes.iter().all(|&b| b == 0), "{l:?}");
            unsafe { cache.dealloc(z, l) };
        }
    }

    #[test]
    fn threads_never_share_a_live_block() {
        static CACHE: SmallBlockCache<System> = SmallBlockCache::new(System);
        let threads: Vec<_> = (0..4u32)
            .map(|t| {
                std::thread::spawn(move || {
                    // Every block holds a word unique to its allocation, checked before it
                    // is freed: a block handed out twice (to two threads or to one) shows.
                    let mut live: Vec<(usize, Layout, u64)> = Vec::new();
                    let check = |p: usize, l: Layout, v: u64| {
                        let words =
                            unsafe { std::slice::from_raw_parts(p as *const u64, l.size() / 8) };
                        assert!(words.iter().all(|&w| w == v), "a block was shared");
                    };
                    for i in 0..50_000u64 {
                        let v = (u64::from(t) << 32) | i;
                        let size = 8 * (1 + (i as usize * 7 + t as usize * 13) % 60);
                        let l = layout(size, 8);
                        let mut p = unsafe { CACHE.alloc(l) } as usize;
                        assert!(p != 0);
                        let mut l = l;
                        if i % 5 == 0 {
                            // Grow or shrink across classes.
                            let new = 8 * (1 + (i as usize * 11) % 120);
                            p = unsafe { CACHE.realloc(p as *mut u8, l, new) } as usize;
                            assert!(p != 0);
                            l = layout(new, 8);
                        }
                        let words =
                            unsafe { std::slice::from_raw_parts_mut(p as *mut u64, l.size() / 8) };
                        words.fill(v);
                        live.push((p, l, v));
                        if i % 3 != 0 {
                            let (q, ql, qv) = live.swap_remove(i as usize % live.len());
                            check(q, ql, qv);
                            unsafe { CACHE.dealloc(q as *mut u8, ql) };
                        }
                    }
                    for (q, l, v) in live {
                        check(q, l, v);
                        unsafe { CACHE.dealloc(q as *mut u8, l) };
                    }
                })
            })
            .collect();
        for h in threads {
            h.join().unwrap();
        }
    }
}
