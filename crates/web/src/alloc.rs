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
//! allocator, so a class holds at most as many blocks as were once live at the same time.
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
/// Bits of a head word holding the block address: all 32 of a wasm32 address; on 64-bit
/// hosts (where the tests run) the 48 bits user-space addresses use. The rest is the tag.
const ADDR_BITS: u32 = if usize::BITS == 32 { 32 } else { 48 };
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
    ((word & ADDR_MASK) as usize, word >> ADDR_BITS)
}

/// The tag wraps: its high bits fall off the word.
fn pack(addr: usize, tag: u64) -> u64 {
    addr as u64 | (tag << ADDR_BITS)
}

/// Whether a block's address fits a head word (always on wasm32).
fn fits(ptr: *mut u8) -> bool {
    ptr as u64 & !ADDR_MASK == 0
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
            // compare-and-swap: then the tag has moved on and the swap fails.
            // (An atomic read: the block's new owner may be writing it.)
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
}

// SAFETY: small blocks are whole class-sized blocks of the inner allocator, handed out to one
// owner at a time (a block is on a list only while freed); everything else is the inner
// allocator's.
unsafe impl<A: GlobalAlloc> GlobalAlloc for SmallBlockCache<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(class) => {
                let p = unsafe { self.pop(class) };
                if p.is_null() {
                    unsafe { self.inner.alloc(class_layout(class)) }
                } else {
                    p
                }
            }
            None => unsafe { self.inner.alloc(layout) },
        }
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
        let addr = 0x7fff_dead_beef_usize & ADDR_MASK as usize;
        let tag = (1u64 << (64 - ADDR_BITS)) - 1;
        assert_eq!(unpack(pack(addr, tag)), (addr, tag));
        // The tag wraps without touching the address.
        assert_eq!(unpack(pack(addr, tag.wrapping_add(1))), (addr, 0));
    }

    #[test]
    fn freed_blocks_are_reused_and_large_ones_pass_through() {
        let cache = SmallBlockCache::new(System);
        let small = Layout::from_size_align(24, 8).unwrap();
        let p = unsafe { cache.alloc(small) };
        assert!(!p.is_null() && fits(p));
        unsafe { cache.dealloc(p, small) };
        // Same class (32 bytes), so the same block.
        let same_class = Layout::from_size_align(30, 8).unwrap();
        assert_eq!(
            unsafe { cache.alloc(same_class) },
            p,
            "the freed block comes back"
        );
        let grown = unsafe { cache.realloc(p, same_class, 32) };
        assert_eq!(grown, p, "growing within the class keeps the block");
        let moved = unsafe { cache.realloc(grown, small, 100) };
        assert!(!moved.is_null());
        unsafe { cache.dealloc(moved, Layout::from_size_align(100, 8).unwrap()) };
        let big = Layout::from_size_align(1 << 20, 8).unwrap();
        let q = unsafe { cache.alloc(big) };
        assert!(!q.is_null());
        unsafe { cache.dealloc(q, big) };
    }

    #[test]
    fn threads_never_share_a_live_block() {
        static CACHE: SmallBlockCache<System> = SmallBlockCache::new(System);
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                std::thread::spawn(move || {
                    let mut live: Vec<(usize, Layout)> = Vec::new();
                    for i in 0..50_000usize {
                        let size = 1 + (i * 7 + t as usize * 13) % 300;
                        let layout = Layout::from_size_align(size, 8).unwrap();
                        let p = unsafe { CACHE.alloc(layout) };
                        assert!(!p.is_null());
                        unsafe { std::ptr::write_bytes(p, t, size) };
                        live.push((p as usize, layout));
                        if i % 3 != 0 {
                            let (q, l) = live.swap_remove(i % live.len());
                            // Nobody else wrote into a block this thread owns.
                            let bytes =
                                unsafe { std::slice::from_raw_parts(q as *const u8, l.size()) };
                            assert!(bytes.iter().all(|&b| b == t), "a block was shared");
                            unsafe { CACHE.dealloc(q as *mut u8, l) };
                        }
                    }
                    for (q, l) in live {
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
