//! Self tail loops: a function whose body is `branch(lt(a, b), f(args..), y)` (either arm
//! order) where `f` is the function itself and `y` has no call in tail position compiles to
//! one closure that loops, instead of a round trip through the driver loop, the branch closure
//! and the tail-call closure per iteration. The shapes of the comparison and of the arguments
//! are matched inside the loop: they never change, so those branches are always predicted.
//!
//! Semantics are those of the general path: operands of `lt` left to right, then every
//! changed argument (all read the old frame), then the writes, then one step of fuel per
//! iteration (a pending trap has set the fuel to zero, so it ends the loop there too).

use super::{has_tail_call, Compiler, Ctx, Operand, Val};
use p3_field::PrimeCharacteristicRing;
use resvm_field::{canonical, F};
use resvm_lang::hir::{Expr, ExprKind};

/// An argument of the self tail call, by shape.
enum TArg {
    Slot(usize),
    Const(F),
    /// `fr[i] + c`
    AddK(usize, F),
    /// `fr[i] * k`
    MulK(usize, F),
    /// `fr[i] * k + c`
    MulKAddK(usize, F, F),
    /// `fr[i] * k + fr[j]`
    MulKAddSlot(usize, F, usize),
    Expr(Val),
}

impl TArg {
    #[inline(always)]
    fn get(&self, cx: &mut Ctx<'_>, fr: &mut [F]) -> F {
        match self {
            TArg::Slot(i) => fr[*i],
            TArg::Const(c) => *c,
            TArg::AddK(i, c) => fr[*i] + *c,
            TArg::MulK(i, k) => fr[*i] * *k,
            TArg::MulKAddK(i, k, c) => fr[*i] * *k + *c,
            TArg::MulKAddSlot(i, k, j) => fr[*i] * *k + fr[*j],
            TArg::Expr(e) => e(cx, fr),
        }
    }
}

/// The `lt` of the loop condition, by operand shape.
enum Cmp {
    SlotSlot(usize, usize),
    SlotK(usize, F),
    KSlot(F, usize),
    Other(Val, Val),
}

impl Cmp {
    /// Whether `a < b` (canonically): `lt(a, b) = 0`, which selects the first arm.
    #[inline(always)]
    fn less(&self, cx: &mut Ctx<'_>, fr: &mut [F]) -> bool {
        let (a, b) = match self {
            Cmp::SlotSlot(i, j) => (fr[*i], fr[*j]),
            Cmp::SlotK(i, c) => (fr[*i], *c),
            Cmp::KSlot(c, j) => (*c, fr[*j]),
            Cmp::Other(a, b) => {
                let a = a(cx, fr);
                (a, b(cx, fr))
            }
        };
        canonical(a) < canonical(b)
    }
}

impl Compiler<'_> {
    /// The body of function `id` as a self tail loop, if it has that shape.
    pub(super) fn self_loop(&self, id: u32, e: &Expr) -> Option<Val> {
        let ExprKind::Branch(c, x, y) = &e.kind else {
            return None;
        };
        let ExprKind::Lt(a, b) = &c.kind else {
            return None;
        };
        if self.const_cond(c).is_some() {
            return None;
        }
        fn self_call(e: &Expr, id: u32, frame: usize) -> Option<&[Expr]> {
            match &e.kind {
                ExprKind::Call(f, args) if *f == id && args.len() <= frame => Some(args),
                _ => None,
            }
        }
        let (args, other, self_first) =
            match (self_call(x, id, self.frame), self_call(y, id, self.frame)) {
                (Some(args), _) if !has_tail_call(y) => (args, y, true),
                (_, Some(args)) if !has_tail_call(x) => (args, x, false),
                _ => return None,
            };
        let args: Vec<(usize, TArg)> = args
            .iter()
            .enumerate()
            .filter(|(i, a)| !matches!(a.kind, ExprKind::Slot(s) if s as usize == *i))
            .map(|(i, a)| (i, self.targ(a)))
            .collect();
        let cmp = match (self.operand(a), self.operand(b)) {
            (Operand::Slot(i), Operand::Slot(j)) => Cmp::SlotSlot(i, j),
            (Operand::Slot(i), Operand::Const(c)) => Cmp::SlotK(i, c),
            (Operand::Const(c), Operand::Slot(j)) => Cmp::KSlot(c, j),
            (a, b) => Cmp::Other(Self::boxed(a), Self::boxed(b)),
        };
        let other = self.val(other);
        Some(match args.len() {
            0 => looped::<0>(cmp, self_first, args, other),
            1 => looped::<1>(cmp, self_first, args, other),
            2 => looped::<2>(cmp, self_first, args, other),
            3 => looped::<3>(cmp, self_first, args, other),
            4 => looped::<4>(cmp, self_first, args, other),
            _ => return None,
        })
    }

    /// An argument of the self tail call, by shape. Affine forms are recognised through the
    /// polynomial flattening (exact field arithmetic, no traps: regrouping is invisible).
    fn targ(&self, e: &Expr) -> TArg {
        let mut terms = Vec::new();
        if self.sum_of_monomials(e, false, &mut terms) {
            let c: F = terms.iter().filter(|t| t.1.is_empty()).map(|t| t.0).sum();
            terms.retain(|t| !t.1.is_empty());
            let zero = canonical(c) == 0;
            let one = |k: F| canonical(k) == 1;
            match &terms[..] {
                [] => return TArg::Const(c),
                [(k, v)] if v.len() == 1 => {
                    return match (one(*k), zero) {
                        (true, true) => TArg::Slot(v[0]),
                        (true, false) => TArg::AddK(v[0], c),
                        (false, true) => TArg::MulK(v[0], *k),
                        (false, false) => TArg::MulKAddK(v[0], *k, c),
                    };
                }
                [(k, v), (l, w)]
                    if zero && v.len() == 1 && w.len() == 1 && (one(*k) || one(*l)) =>
                {
                    return if one(*l) {
                        TArg::MulKAddSlot(v[0], *k, w[0])
                    } else {
                        TArg::MulKAddSlot(w[0], *l, v[0])
                    };
                }
                _ => {}
            }
        }
        match self.operand(e) {
            Operand::Slot(i) => TArg::Slot(i),
            Operand::Const(c) => TArg::Const(c),
            Operand::Expr(v) => TArg::Expr(v),
        }
    }
}

/// The loop closure: `N` changed parameters.
fn looped<const N: usize>(cmp: Cmp, self_first: bool, args: Vec<(usize, TArg)>, other: Val) -> Val {
    let args: [(usize, TArg); N] = match args.try_into() {
        Ok(a) => a,
        Err(_) => unreachable!("argument count checked by the caller"),
    };
    Box::new(move |cx, fr| loop {
        if cmp.less(cx, fr) != self_first {
            return other(cx, fr);
        }
        let mut v = [F::ZERO; N];
        for (v, (_, a)) in v.iter_mut().zip(args.iter()) {
            *v = a.get(cx, fr);
        }
        for (v, (p, _)) in v.iter().zip(args.iter()) {
            fr[*p] = *v;
        }
        if cx.fuel == 0 {
            return cx.out_of_fuel();
        }
        cx.fuel -= 1;
    })
}
