//! Run-time support shared by the tree evaluator and the closure engine: the reflect map and
//! the native-stack guard that turns deep recursion into a trap instead of a crash.

use resvm_field::{canonical, F};
use resvm_lang::hir::{Expr, ExprKind, Module};
use std::collections::HashMap;

/// `reflect`: repr (canonical value) -> function index. The first function wins on a
/// duplicate repr, like a linear search of the repr table would.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReflectMap {
    map: HashMap<u64, u32>,
}

impl ReflectMap {
    pub(crate) fn new(reprs: &[F]) -> Self {
        let mut map = HashMap::with_capacity(reprs.len());
        for (i, r) in reprs.iter().enumerate() {
            map.entry(canonical(*r)).or_insert(i as u32);
        }
        ReflectMap { map }
    }

    /// The function whose repr is `x`, if any.
    #[inline]
    pub(crate) fn get(&self, x: F) -> Option<u32> {
        self.map.get(&canonical(x)).copied()
    }
}

/// Size of each extra native stack segment allocated when the current one runs low.
const SEGMENT: usize = 32 << 20;
/// Native stack reserved per level of expression nesting between two call boundaries. Generous
/// on purpose: unoptimised builds use far more stack per frame than release builds.
const PER_LEVEL: usize = 4 << 10;
/// Fixed part of the red zone: the call machinery itself, `stacker`, the allocator.
const BASE: usize = 256 << 10;

/// Checks, at call boundaries, that enough native stack is left for the deepest expression
/// of the program plus one call; when not, the call runs on a fresh segment (`stacker`).
///
/// The check is a single comparison of the address of a local against `floor`, cheaper than
/// `stacker::maybe_grow` (a thread-local read and an out-of-line call) on every call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StackGuard {
    floor: usize,
    red_zone: usize,
}

/// An approximation of the stack pointer: the address of a local.
#[inline(always)]
pub(crate) fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

impl StackGuard {
    /// Red zone for a module: enough for its most deeply nested expression.
    pub(crate) fn red_zone_for(module: &Module) -> usize {
        let deepest = module
            .functions
            .iter()
            .map(|f| expr_depth(&f.body))
            .max()
            .unwrap_or(0);
        BASE + deepest.saturating_mul(PER_LEVEL)
    }

    /// Runs `f` with a guard for this thread's stack, first moving to a fresh segment when the
    /// current stack is small or of unknown size.
    pub(crate) fn with<R>(red_zone: usize, f: impl FnOnce(StackGuard) -> R) -> R {
        match stacker::remaining_stack() {
            Some(left) if left > 2 * red_zone => f(StackGuard::here(red_zone)),
            _ => stacker::grow(SEGMENT.max(4 * red_zone), || f(StackGuard::here(red_zone))),
        }
    }

    /// A guard for the stack segment we are running on now.
    fn here(red_zone: usize) -> StackGuard {
        let floor = match stacker::remaining_stack() {
            Some(left) => stack_address()
                .saturating_sub(left)
                .saturating_add(red_zone),
            // Unknown stack bounds (an unsupported platform): never grow.
            None => 0,
        };
        StackGuard { floor, red_zone }
    }

    /// Whether a call may run on the current segment.
    #[inline(always)]
    pub(crate) fn ok(&self) -> bool {
        stack_address() > self.floor
    }

    /// [`StackGuard::ok`] given an address on the stack here (saves taking one).
    #[inline(always)]
    pub(crate) fn ok_at(&self, at: usize) -> bool {
        at > self.floor
    }

    /// Runs `f` on a fresh segment; `f` gets the guard for that segment, and the caller keeps
    /// its own guard (restore it after the call).
    #[cold]
    #[inline(never)]
    pub(crate) fn grow<R>(&self, f: impl FnOnce(StackGuard) -> R) -> R {
        let red_zone = self.red_zone;
        stacker::grow(SEGMENT.max(4 * red_zone), || f(StackGuard::here(red_zone)))
    }
}

/// Nesting depth of an expression tree (iterative: the tree may be deep).
pub(crate) fn expr_depth(e: &Expr) -> usize {
    let mut deepest = 0;
    let mut todo: Vec<(&Expr, usize)> = vec![(e, 1)];
    while let Some((e, d)) = todo.pop() {
        deepest = deepest.max(d);
        let d = d + 1;
        match &e.kind {
            ExprKind::Const(_) | ExprKind::Slot(_) | ExprKind::Func(_) => {}
            ExprKind::Neg(x) | ExprKind::Pow(x, _) | ExprKind::Repr(x) | ExprKind::Reflect(x) => {
                todo.push((x, d))
            }
            ExprKind::Bin(_, a, b) | ExprKind::Lt(a, b) | ExprKind::Let(_, a, b) => {
                todo.push((a, d));
                todo.push((b, d));
            }
            ExprKind::Branch(c, x, y) => {
                todo.push((c, d));
                todo.push((x, d));
                todo.push((y, d));
            }
            ExprKind::Call(_, args) => todo.extend(args.iter().map(|a| (a, d))),
            ExprKind::Eval(g, args) => {
                todo.push((g, d));
                todo.extend(args.iter().map(|a| (a, d)));
            }
            ExprKind::Hash(_, ops, body) => {
                todo.extend(ops.iter().map(|a| (a, d)));
                todo.push((body, d));
            }
        }
    }
    deepest
}
