//! The closure compiler (`--engine closure`, the default engine).
//!
//! Each HIR expression is compiled once, up front, into a boxed Rust closure; running a
//! program is calling closures, with no tree walk, no name lookup and no value tags (every
//! value is an [`F`]: a PROG value is its repr). What makes it fast:
//!
//! * **Operand shapes.** Arithmetic, `lt` and `branch(lt(..), ..)` are specialised on whether
//!   each operand is a slot, a constant or a nested expression, so `n - 1` is one closure
//!   reading a slot, not three. Constant subexpressions are folded.
//! * **No `Result` per node.** A trap is stored in the run context and the step budget
//!   ("fuel") is set to zero; every call checks the fuel anyway, so a trap unwinds at the next
//!   call at no extra cost, and straight-line code after it (finite, no effects) just computes
//!   junk that is discarded.
//! * **Frames.** Every frame has the module's largest size, fixed at compile time, so a
//!   non-tail call evaluates its arguments straight into a fresh frame that is an array on the
//!   native stack (no allocation), and a tail call overwrites the caller's frame in place.
//! * **Tail calls.** Function bodies are compiled in *tail mode*: a call or eval in tail
//!   position (body, `let` body, `branch` arm) returns `Next::Call` to the function's driver
//!   loop instead of recursing, so tail recursion (direct, in branch arms, through eval) runs
//!   in constant space.
//! * **Self tail loops.** A body `branch(lt(a, b), f(..), y)` (either arm order) that
//!   tail-calls its own function `f` compiles to one closure that loops
//!   (`closure/self_loop.rs`): no driver round trip and no nested closures per iteration, the
//!   arguments matched by affine shape inside the loop.
//! * **Direct calls** are bound at compile time to the callee's index in the function table.
//!
//! Deep non-tail recursion ends in [`Trap::DepthExceeded`] at [`Limits::max_depth`]; the
//! native stack grows in segments at call boundaries so it never overflows first.

pub(crate) mod rt;

use crate::trap::{merkle_level, Counted, Limits, Trap};
use p3_field::PrimeCharacteristicRing;
use resvm_field::{canonical, pow, F};
use resvm_lang::ast::BinOp;
use resvm_lang::hir::{Expr, ExprKind, FnId, Module};
use rt::{ReflectMap, StackGuard};

/// A compiled expression in value mode.
type Val = Box<dyn Fn(&mut Ctx<'_>, &mut [F]) -> F + Send + Sync>;
/// A compiled computation run for its effect on the frame (a Merkle level's stores).
type Effect = Box<dyn Fn(&mut Ctx<'_>, &mut [F]) + Send + Sync>;
/// A compiled expression in tail mode.
type Tail = Box<dyn Fn(&mut Ctx<'_>, &mut [F]) -> Next + Send + Sync>;

/// What a function body in tail mode asks its driver loop to do.
enum Next {
    /// Return this value.
    Ret(F),
    /// Tail-call this function: its arguments are already in the frame.
    Call(u32),
}

/// A compiled function body.
enum Body {
    /// No call in tail position: the body is a plain value closure (one hop less per call).
    Val(Val),
    /// Tail calls: the driver loop runs it until it returns a value.
    Tail(Tail),
}

/// One compiled function.
struct Code {
    body: Body,
    arity: u32,
    name: String,
}

/// A module compiled to closures, ready to run any number of times.
pub struct ClosureProgram {
    fns: Vec<Code>,
    main: u32,
    main_arity: usize,
    /// Slots of every frame: the largest function frame or argument list of the module.
    frame: usize,
    red_zone: usize,
    reflect: ReflectMap,
    /// Why the module cannot run at all (only for hand-built, malformed HIR).
    invalid: Option<&'static str>,
}

impl std::fmt::Debug for ClosureProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClosureProgram")
            .field(
                "functions",
                &self.fns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            )
            .field("main", &self.main)
            .field("frame", &self.frame)
            .finish_non_exhaustive()
    }
}

/// Per-run state threaded through every closure.
struct Ctx<'p> {
    /// Function entries left; 0 also when a trap is pending, so one check at each call serves
    /// both the step limit and trap unwinding.
    fuel: u64,
    depth: u32,
    max_depth: u32,
    max_steps: u64,
    trap: Option<Trap>,
    fns: &'p [Code],
    reflect: &'p ReflectMap,
    guard: StackGuard,
}

impl Ctx<'_> {
    /// Records a trap (the first one wins) and stops all further calls.
    #[cold]
    #[inline(never)]
    fn raise(&mut self, t: Trap) -> F {
        if self.trap.is_none() {
            self.trap = Some(t);
        }
        self.fuel = 0;
        F::ZERO
    }

    /// Fuel ran out: either a trap is pending or the step budget is spent.
    #[cold]
    #[inline(never)]
    fn out_of_fuel(&mut self) -> F {
        if self.trap.is_none() {
            self.trap = Some(Trap::StepsExceeded {
                limit: self.max_steps,
            });
        }
        F::ZERO
    }

    /// Resolves the PROG value `g` of an eval with `got` arguments; `None` after a trap.
    #[inline]
    fn callee(&mut self, g: F, got: usize) -> Option<u32> {
        let Some(f) = self.reflect.get(g) else {
            let _ = self.raise(Trap::EvalUnknown { value: g });
            return None;
        };
        let code = &self.fns[f as usize];
        if code.arity as usize != got {
            let t = Trap::EvalArity {
                name: code.name.clone(),
                expected: code.arity,
                got: got as u32,
            };
            let _ = self.raise(t);
            return None;
        }
        Some(f)
    }
}

/// A non-tail call of `f` whose arguments are in `frame`; `at` is an address on the native
/// stack here (the frame's own, when it lives there: no extra stack probe needed).
#[inline(always)]
fn enter(cx: &mut Ctx<'_>, f: u32, frame: &mut [F], at: usize) -> F {
    if cx.fuel == 0 {
        return cx.out_of_fuel();
    }
    if cx.depth >= cx.max_depth {
        return cx.raise(Trap::DepthExceeded {
            limit: cx.max_depth,
        });
    }
    cx.fuel -= 1;
    cx.depth += 1;
    let v = if cx.guard.ok_at(at) {
        drive(cx, f, frame)
    } else {
        enter_grown(cx, f, frame)
    };
    cx.depth -= 1;
    v
}

/// [`enter`] on a fresh native stack segment.
#[cold]
#[inline(never)]
fn enter_grown(cx: &mut Ctx<'_>, f: u32, frame: &mut [F]) -> F {
    let outer = cx.guard;
    let v = outer.grow(|g| {
        cx.guard = g;
        drive(cx, f, frame)
    });
    cx.guard = outer;
    v
}

/// Runs function `f` in `frame`, looping on its tail calls.
#[inline]
fn drive(cx: &mut Ctx<'_>, mut f: u32, frame: &mut [F]) -> F {
    let fns = cx.fns;
    loop {
        let next = match &fns[f as usize].body {
            Body::Val(v) => return v(cx, frame),
            Body::Tail(t) => t(cx, frame),
        };
        match next {
            Next::Ret(v) => return v,
            Next::Call(g) => {
                if cx.fuel == 0 {
                    return cx.out_of_fuel();
                }
                cx.fuel -= 1;
                f = g;
            }
        }
    }
}

/// Compiles `module`; `reprs[f]` is the repr of function `f` (what `f` evaluates to as a PROG
/// value, and what `reflect`/`eval` resolve).
///
/// Never fails: the HIR is already type-checked. A hand-built module with dangling slots or
/// function indices compiles to code that reports [`Trap::Malformed`] when it gets there.
pub fn compile(module: &Module, reprs: &[F]) -> ClosureProgram {
    let frame = module
        .functions
        .iter()
        .map(|f| {
            (f.slots as usize)
                .max(f.params.len())
                .max(max_args(&f.body))
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let c = Compiler {
        module,
        reprs,
        frame,
    };
    let fns = module
        .functions
        .iter()
        .enumerate()
        .map(|(id, f)| Code {
            body: c.body(id as u32, &f.body),
            arity: f.params.len() as u32,
            name: f.name.clone(),
        })
        .collect();
    let main = module.functions.get(module.main as usize);
    ClosureProgram {
        fns,
        main: module.main,
        main_arity: main.map_or(0, |m| m.params.len()),
        frame,
        red_zone: StackGuard::red_zone_for(module),
        reflect: ReflectMap::new(&reprs[..reprs.len().min(module.functions.len())]),
        invalid: main.is_none().then_some("main is not a function"),
    }
}

impl ClosureProgram {
    /// Runs the program on `inputs` (one per parameter of `main`).
    ///
    /// Steps (for [`Limits::max_steps`]) count function entries, tail calls included, as in
    /// [`crate::tree`].
    pub fn run(&self, inputs: &[F], limits: &Limits) -> Result<F, Trap> {
        self.run_counted(inputs, limits).map(|c| c.output)
    }

    /// [`ClosureProgram::run`], also returning the number of steps (function entries) taken.
    pub fn run_counted(&self, inputs: &[F], limits: &Limits) -> Result<Counted, Trap> {
        if let Some(why) = self.invalid {
            return Err(Trap::Malformed { pc: 0, why });
        }
        if inputs.len() != self.main_arity {
            return Err(Trap::InputCount {
                expected: self.main_arity,
                got: inputs.len(),
            });
        }
        if limits.max_depth == 0 {
            return Err(Trap::DepthExceeded { limit: 0 });
        }
        let max_steps = limits.max_steps.unwrap_or(u64::MAX);
        if max_steps == 0 {
            return Err(Trap::StepsExceeded { limit: 0 });
        }
        StackGuard::with(self.red_zone, |guard| {
            let mut cx = Ctx {
                fuel: max_steps - 1,
                depth: 1,
                max_depth: limits.max_depth,
                max_steps,
                trap: None,
                fns: &self.fns,
                reflect: &self.reflect,
                guard,
            };
            let mut frame = vec![F::ZERO; self.frame];
            frame[..inputs.len()].copy_from_slice(inputs);
            let output = drive(&mut cx, self.main, &mut frame);
            match cx.trap {
                Some(t) => Err(t),
                // Fuel started at `max_steps - 1` after main's entry and lost one per entry.
                None => Ok(Counted {
                    output,
                    steps: max_steps - cx.fuel,
                }),
            }
        })
    }
}

/// Most arguments of any call or eval in `e` (frames must hold them, even a wrong-arity eval's).
fn max_args(e: &Expr) -> usize {
    let mut most = 0;
    let mut todo = vec![e];
    while let Some(e) = todo.pop() {
        match &e.kind {
            ExprKind::Const(_) | ExprKind::Slot(_) | ExprKind::Func(_) => {}
            ExprKind::Neg(x) | ExprKind::Pow(x, _) | ExprKind::Repr(x) | ExprKind::Reflect(x) => {
                todo.push(x)
            }
            ExprKind::Bin(_, a, b) | ExprKind::Lt(a, b) | ExprKind::Let(_, a, b) => {
                todo.extend([&**a, &**b])
            }
            ExprKind::Branch(c, x, y) => todo.extend([&**c, &**x, &**y]),
            ExprKind::Call(_, args) => {
                most = most.max(args.len());
                todo.extend(args.iter());
            }
            ExprKind::Eval(g, args) => {
                most = most.max(args.len());
                todo.push(g);
                todo.extend(args.iter());
            }
            ExprKind::Hash(_, ops, b) => {
                todo.extend(ops.iter());
                todo.push(b);
            }
        }
    }
    most
}

/// Most factors in a monomial the polynomial flattening takes.
const MAX_MONOMIAL: usize = 8;

/// A compiled operand, before it is boxed: what the shape specialisations match on.
enum Operand {
    Slot(usize),
    Const(F),
    Expr(Val),
}

/// Reading an operand of a known shape; monomorphised per shape so slot and constant
/// operands are inlined into their parent closure.
trait Get: Send + Sync + 'static {
    fn get(&self, cx: &mut Ctx<'_>, fr: &mut [F]) -> F;
}

struct SlotOp(usize);
struct ConstOp(F);
struct ExprOp(Val);

impl Get for SlotOp {
    #[inline(always)]
    fn get(&self, _: &mut Ctx<'_>, fr: &mut [F]) -> F {
        fr[self.0]
    }
}
impl Get for ConstOp {
    #[inline(always)]
    fn get(&self, _: &mut Ctx<'_>, _: &mut [F]) -> F {
        self.0
    }
}
impl Get for ExprOp {
    #[inline(always)]
    fn get(&self, cx: &mut Ctx<'_>, fr: &mut [F]) -> F {
        (self.0)(cx, fr)
    }
}

/// `slot op constant`, inline (e.g. the `n - 1` of a recursive call).
struct SlotKOp<O>(usize, F, std::marker::PhantomData<O>);

impl<O: Op> Get for SlotKOp<O> {
    #[inline(always)]
    fn get(&self, _: &mut Ctx<'_>, fr: &mut [F]) -> F {
        O::apply(fr[self.0], self.1)
    }
}

/// An argument of a one-argument call, by shape.
enum Arg {
    Op(Operand),
    SlotK(BinOp, usize, F),
}

/// Expands `$body` once per shape of one [`Arg`], with `$x` bound to a `Get`.
macro_rules! shape_arg {
    ($a:expr, |$x:ident| $body:expr) => {
        match $a {
            Arg::Op(Operand::Slot(i)) => {
                let $x = SlotOp(i);
                $body
            }
            Arg::Op(Operand::Const(c)) => {
                let $x = ConstOp(c);
                $body
            }
            Arg::Op(Operand::Expr(e)) => {
                let $x = ExprOp(e);
                $body
            }
            Arg::SlotK(BinOp::Add, i, c) => {
                let $x = SlotKOp::<AddOp>(i, c, std::marker::PhantomData);
                $body
            }
            Arg::SlotK(BinOp::Sub, i, c) => {
                let $x = SlotKOp::<SubOp>(i, c, std::marker::PhantomData);
                $body
            }
            Arg::SlotK(BinOp::Mul, i, c) => {
                let $x = SlotKOp::<MulOp>(i, c, std::marker::PhantomData);
                $body
            }
        }
    };
}

/// Expands `$body` once per shape of one operand, with `$x` bound to a `Get`.
macro_rules! shape1 {
    ($a:expr, |$x:ident| $body:expr) => {
        match $a {
            Operand::Slot(i) => {
                let $x = SlotOp(i);
                $body
            }
            Operand::Const(c) => {
                let $x = ConstOp(c);
                $body
            }
            Operand::Expr(e) => {
                let $x = ExprOp(e);
                $body
            }
        }
    };
}

/// Expands `$body` once per shape pair of two operands, with `$x`, `$y` bound to `Get`s.
macro_rules! shapes2 {
    ($a:expr, $b:expr, |$x:ident, $y:ident| $body:expr) => {
        match ($a, $b) {
            (Operand::Slot(i), Operand::Slot(j)) => {
                let ($x, $y) = (SlotOp(i), SlotOp(j));
                $body
            }
            (Operand::Slot(i), Operand::Const(c)) => {
                let ($x, $y) = (SlotOp(i), ConstOp(c));
                $body
            }
            (Operand::Slot(i), Operand::Expr(e)) => {
                let ($x, $y) = (SlotOp(i), ExprOp(e));
                $body
            }
            (Operand::Const(c), Operand::Slot(j)) => {
                let ($x, $y) = (ConstOp(c), SlotOp(j));
                $body
            }
            (Operand::Const(c), Operand::Const(d)) => {
                let ($x, $y) = (ConstOp(c), ConstOp(d));
                $body
            }
            (Operand::Const(c), Operand::Expr(e)) => {
                let ($x, $y) = (ConstOp(c), ExprOp(e));
                $body
            }
            (Operand::Expr(e), Operand::Slot(j)) => {
                let ($x, $y) = (ExprOp(e), SlotOp(j));
                $body
            }
            (Operand::Expr(e), Operand::Const(c)) => {
                let ($x, $y) = (ExprOp(e), ConstOp(c));
                $body
            }
            (Operand::Expr(e), Operand::Expr(f)) => {
                let ($x, $y) = (ExprOp(e), ExprOp(f));
                $body
            }
        }
    };
}

/// A binary field operation.
trait Op: Send + Sync + 'static {
    fn apply(a: F, b: F) -> F;
}
struct AddOp;
struct SubOp;
struct MulOp;
struct LtOp;
impl Op for AddOp {
    #[inline(always)]
    fn apply(a: F, b: F) -> F {
        a + b
    }
}
impl Op for SubOp {
    #[inline(always)]
    fn apply(a: F, b: F) -> F {
        a - b
    }
}
impl Op for MulOp {
    #[inline(always)]
    fn apply(a: F, b: F) -> F {
        a * b
    }
}
impl Op for LtOp {
    #[inline(always)]
    fn apply(a: F, b: F) -> F {
        resvm_field::lt(a, b)
    }
}

fn bin<O: Op>(a: Operand, b: Operand) -> Operand {
    if let (Operand::Const(x), Operand::Const(y)) = (&a, &b) {
        return Operand::Const(O::apply(*x, *y));
    }
    Operand::Expr(shapes2!(
        a,
        b,
        |x, y| Box::new(move |cx: &mut Ctx<'_>, fr: &mut [F]| {
            let l = x.get(cx, fr);
            let r = y.get(cx, fr);
            O::apply(l, r)
        }) as Val
    ))
}

/// Evaluates the arguments of a call into a new frame on the native stack, then calls.
fn call_site<const N: usize>(f: u32, args: Box<[Val]>) -> Val {
    Box::new(move |cx, fr| {
        let mut nf = [F::ZERO; N];
        for (slot, a) in nf.iter_mut().zip(args.iter()) {
            *slot = a(cx, fr);
        }
        let at = nf.as_ptr() as usize;
        enter(cx, f, &mut nf, at)
    })
}

/// A one-argument call, its argument inlined by shape.
fn call_site1<const N: usize, A: Get>(f: u32, a: A) -> Val {
    Box::new(move |cx, fr| {
        let mut nf = [F::ZERO; N];
        nf[0] = a.get(cx, fr);
        let at = nf.as_ptr() as usize;
        enter(cx, f, &mut nf, at)
    })
}

/// [`call_site`] for modules whose frames are too big for the native stack.
fn call_site_heap(n: usize, f: u32, args: Box<[Val]>) -> Val {
    Box::new(move |cx, fr| {
        let mut nf = vec![F::ZERO; n];
        for (slot, a) in nf.iter_mut().zip(args.iter()) {
            *slot = a(cx, fr);
        }
        enter(cx, f, &mut nf, rt::stack_address())
    })
}

fn eval_site<const N: usize>(g: Val, args: Box<[Val]>) -> Val {
    Box::new(move |cx, fr| {
        let gv = g(cx, fr);
        let mut nf = [F::ZERO; N];
        for (slot, a) in nf.iter_mut().zip(args.iter()) {
            *slot = a(cx, fr);
        }
        let at = nf.as_ptr() as usize;
        match cx.callee(gv, args.len()) {
            Some(f) => enter(cx, f, &mut nf, at),
            None => F::ZERO,
        }
    })
}

fn eval_site_heap(n: usize, g: Val, args: Box<[Val]>) -> Val {
    Box::new(move |cx, fr| {
        let gv = g(cx, fr);
        let mut nf = vec![F::ZERO; n];
        for (slot, a) in nf.iter_mut().zip(args.iter()) {
            *slot = a(cx, fr);
        }
        match cx.callee(gv, args.len()) {
            Some(f) => enter(cx, f, &mut nf, rt::stack_address()),
            None => F::ZERO,
        }
    })
}

/// Picks the frame-size specialisation of a call or eval site.
macro_rules! by_frame {
    ($n:expr, $fixed:ident, $heap:ident, $($arg:expr),*) => {
        match $n {
            0..=4 => $fixed::<4>($($arg),*),
            5..=8 => $fixed::<8>($($arg),*),
            9..=16 => $fixed::<16>($($arg),*),
            17..=32 => $fixed::<32>($($arg),*),
            33..=64 => $fixed::<64>($($arg),*),
            n => $heap(n, $($arg),*),
        }
    };
}

/// Tail call: evaluates the arguments that change (all first, since they read the current
/// frame), writes them over the parameters and hands `target` to the driver loop. `target`
/// is `None` for an eval, whose callee is resolved from `g` after the arguments.
fn tail_site(target: Option<u32>, g: Option<Val>, args: Vec<(usize, Val)>, got: usize) -> Tail {
    // Resolves the callee once the arguments are computed.
    #[inline(always)]
    fn resolve(cx: &mut Ctx<'_>, target: Option<u32>, gv: F, got: usize) -> Option<u32> {
        match target {
            Some(f) => Some(f),
            None => cx.callee(gv, got),
        }
    }
    macro_rules! fixed {
        ($($v:ident $p:ident $a:ident),*) => {{
            #[allow(unused_mut, unused_variables)]
            let mut it = args.into_iter();
            $(let Some(($p, $a)) = it.next() else { return Compiler::ret(malformed("argument count")) };)*
            Box::new(move |cx: &mut Ctx<'_>, fr: &mut [F]| {
                let gv = match &g { Some(g) => g(cx, fr), None => F::ZERO };
                $(let $v = $a(cx, fr);)*
                match resolve(cx, target, gv, got) {
                    Some(f) => {
                        $(fr[$p] = $v;)*
                        Next::Call(f)
                    }
                    None => Next::Ret(F::ZERO),
                }
            }) as Tail
        }};
    }
    match args.len() {
        0 => fixed!(),
        1 => fixed!(v0 p0 a0),
        2 => fixed!(v0 p0 a0, v1 p1 a1),
        3 => fixed!(v0 p0 a0, v1 p1 a1, v2 p2 a2),
        4 => fixed!(v0 p0 a0, v1 p1 a1, v2 p2 a2, v3 p3 a3),
        _ => Box::new(move |cx, fr| {
            let gv = match &g {
                Some(g) => g(cx, fr),
                None => F::ZERO,
            };
            let vals: Vec<F> = args.iter().map(|(_, a)| a(cx, fr)).collect();
            match resolve(cx, target, gv, got) {
                Some(f) => {
                    for ((p, _), v) in args.iter().zip(vals) {
                        fr[*p] = v;
                    }
                    Next::Call(f)
                }
                None => Next::Ret(F::ZERO),
            }
        }),
    }
}

/// A `branch` condition, compiled for the branch closure to test.
enum Cond {
    /// `lt(a, b)`: the arm is chosen on the comparison itself (always 0 or 1).
    Lt(Operand, Operand),
    /// Any other condition: 0, 1, or a trap.
    Other(Val),
}

/// Builds a branch closure (value or tail mode) from a condition and two compiled arms.
macro_rules! branch_closure {
    ($cond:expr, $x:ident, $y:ident, $Ret:ty, $zero:expr) => {
        match $cond {
            Cond::Lt(a, b) => shapes2!(a, b, |l, r| Box::new(
                move |cx: &mut Ctx<'_>, fr: &mut [F]| {
                    let a = l.get(cx, fr);
                    let b = r.get(cx, fr);
                    // lt(a, b) = 0 selects the first arm.
                    if canonical(a) < canonical(b) {
                        $x(cx, fr)
                    } else {
                        $y(cx, fr)
                    }
                }
            ) as $Ret),
            Cond::Other(c) => Box::new(move |cx: &mut Ctx<'_>, fr: &mut [F]| {
                let v = c(cx, fr);
                match canonical(v) {
                    0 => $x(cx, fr),
                    1 => $y(cx, fr),
                    _ => {
                        let _ = cx.raise(Trap::BranchCondition { value: v });
                        $zero
                    }
                }
            }) as $Ret,
        }
    };
}

struct Compiler<'m> {
    module: &'m Module,
    reprs: &'m [F],
    frame: usize,
}

/// A closure that reports a malformed (hand-built) module when reached.
fn malformed(why: &'static str) -> Val {
    Box::new(move |cx, _| cx.raise(Trap::Malformed { pc: 0, why }))
}

impl Compiler<'_> {
    /// Boxes an operand.
    fn boxed(op: Operand) -> Val {
        match op {
            Operand::Slot(i) => Box::new(move |_, fr| fr[i]),
            Operand::Const(c) => Box::new(move |_, _| c),
            Operand::Expr(e) => e,
        }
    }

    fn val(&self, e: &Expr) -> Val {
        Self::boxed(self.operand(e))
    }

    fn slot(&self, s: u32) -> Option<usize> {
        ((s as usize) < self.frame).then_some(s as usize)
    }

    fn func(&self, f: FnId) -> Option<u32> {
        ((f as usize) < self.module.functions.len()).then_some(f)
    }

    fn cond(&self, c: &Expr) -> Cond {
        match &c.kind {
            ExprKind::Lt(a, b) => Cond::Lt(self.operand(a), self.operand(b)),
            _ => Cond::Other(self.val(c)),
        }
    }

    /// A compile-time constant condition picks its arm now (0 or 1; others must still trap).
    fn const_cond(&self, c: &Expr) -> Option<bool> {
        match self.operand(c) {
            Operand::Const(v) if canonical(v) == 0 => Some(false),
            Operand::Const(v) if canonical(v) == 1 => Some(true),
            _ => None,
        }
    }

    fn operand(&self, e: &Expr) -> Operand {
        // Compilation recurses as deep as the expression tree (`let` chains): grow the stack.
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.operand_inner(e))
    }

    fn operand_inner(&self, e: &Expr) -> Operand {
        match &e.kind {
            ExprKind::Const(c) => Operand::Const(*c),
            ExprKind::Slot(s) => match self.slot(*s) {
                Some(i) => Operand::Slot(i),
                None => Operand::Expr(malformed("slot out of range")),
            },
            ExprKind::Func(f) => match self.reprs.get(*f as usize) {
                Some(r) => Operand::Const(*r),
                None => Operand::Expr(malformed("function without repr")),
            },
            ExprKind::Neg(x) => match self.operand(x) {
                Operand::Const(c) => Operand::Const(-c),
                Operand::Slot(i) => Operand::Expr(Box::new(move |_, fr| -fr[i])),
                Operand::Expr(x) => Operand::Expr(Box::new(move |cx, fr| -x(cx, fr))),
            },
            ExprKind::Bin(op, a, b) => {
                if let Some(p) = self.polynomial(e) {
                    return p;
                }
                let (a, b) = (self.operand(a), self.operand(b));
                match op {
                    BinOp::Add => bin::<AddOp>(a, b),
                    BinOp::Sub => bin::<SubOp>(a, b),
                    BinOp::Mul => bin::<MulOp>(a, b),
                }
            }
            ExprKind::Lt(a, b) => bin::<LtOp>(self.operand(a), self.operand(b)),
            ExprKind::Pow(x, k) => {
                let k = *k;
                match (self.operand(x), k) {
                    (Operand::Const(c), _) => Operand::Const(pow(c, k)),
                    (x, 2) => {
                        let x = Self::boxed(x);
                        Operand::Expr(Box::new(move |cx, fr| {
                            let v = x(cx, fr);
                            v * v
                        }))
                    }
                    (x, _) => {
                        let x = Self::boxed(x);
                        Operand::Expr(Box::new(move |cx, fr| pow(x(cx, fr), k)))
                    }
                }
            }
            ExprKind::Branch(c, x, y) => {
                match self.const_cond(c) {
                    Some(false) => return self.operand(x),
                    Some(true) => return self.operand(y),
                    None => {}
                }
                if let Cond::Lt(a, b) = self.cond(c) {
                    let (x, y) = (self.operand(x), self.val(y));
                    return Operand::Expr(shapes2!(a, b, |l, r| shape1!(x, |xa| Box::new(
                        move |cx: &mut Ctx<'_>, fr: &mut [F]| {
                            let a = l.get(cx, fr);
                            let b = r.get(cx, fr);
                            // lt(a, b) = 0 selects the first arm.
                            if canonical(a) < canonical(b) {
                                xa.get(cx, fr)
                            } else {
                                y(cx, fr)
                            }
                        }
                    )
                        as Val)));
                }
                let (x, y) = (self.val(x), self.val(y));
                Operand::Expr(branch_closure!(self.cond(c), x, y, Val, F::ZERO))
            }
            ExprKind::Call(f, args) => {
                let Some(f) = self.func(*f) else {
                    return Operand::Expr(malformed("unknown function"));
                };
                if let ([a], true) = (&args[..], self.frame <= 64) {
                    let arg = match &a.kind {
                        ExprKind::Bin(op, x, k) => match (&x.kind, &k.kind) {
                            (ExprKind::Slot(i), ExprKind::Const(c)) if self.slot(*i).is_some() => {
                                Arg::SlotK(*op, *i as usize, *c)
                            }
                            _ => Arg::Op(self.operand(a)),
                        },
                        _ => Arg::Op(self.operand(a)),
                    };
                    let n = self.frame;
                    return Operand::Expr(shape_arg!(arg, |x| match n {
                        0..=4 => call_site1::<4, _>(f, x),
                        5..=8 => call_site1::<8, _>(f, x),
                        9..=16 => call_site1::<16, _>(f, x),
                        17..=32 => call_site1::<32, _>(f, x),
                        _ => call_site1::<64, _>(f, x),
                    }));
                }
                let args: Box<[Val]> = args.iter().map(|a| self.val(a)).collect();
                Operand::Expr(by_frame!(self.frame, call_site, call_site_heap, f, args))
            }
            ExprKind::Eval(g, args) => {
                let g = self.val(g);
                let args: Box<[Val]> = args.iter().map(|a| self.val(a)).collect();
                Operand::Expr(by_frame!(self.frame, eval_site, eval_site_heap, g, args))
            }
            // A PROG value is its repr already.
            ExprKind::Repr(g) => self.operand(g),
            ExprKind::Reflect(x) => {
                let x = self.val(x);
                Operand::Expr(Box::new(move |cx, fr| {
                    let v = x(cx, fr);
                    if cx.reflect.get(v).is_none() {
                        return cx.raise(Trap::ReflectUnknown { value: v });
                    }
                    v
                }))
            }
            ExprKind::Let(s, v, b) => {
                let Some(s) = self.slot(*s) else {
                    return Operand::Expr(malformed("slot out of range"));
                };
                let (v, b) = (self.val(v), self.val(b));
                Operand::Expr(Box::new(move |cx, fr| {
                    fr[s] = v(cx, fr);
                    b(cx, fr)
                }))
            }
            ExprKind::Hash(base, ops, b) => {
                let Some(level) = self.hash_level(*base, ops) else {
                    return Operand::Expr(malformed("slot out of range"));
                };
                let b = self.val(b);
                Operand::Expr(Box::new(move |cx, fr| {
                    level(cx, fr);
                    b(cx, fr)
                }))
            }
        }
    }

    /// A Merkle level: evaluates `[d, s, e]` in order and stores the digest in slots
    /// `base..base+4` (a trap stores nothing and is raised). `None` if the slots are out of
    /// the frame.
    fn hash_level(&self, base: u32, ops: &[Expr; 9]) -> Option<Effect> {
        let base = self.slot(base)?;
        self.slot(base as u32 + 3)?;
        let ops: Vec<Val> = ops.iter().map(|o| self.val(o)).collect();
        Some(Box::new(move |cx, fr| {
            let mut v = [F::ZERO; 9];
            for (x, o) in v.iter_mut().zip(&ops) {
                *x = o(cx, fr);
            }
            if cx.trap.is_some() {
                // An operand trapped: its value is meaningless and the run is over.
                return;
            }
            match merkle_level([v[0], v[1], v[2], v[3]], [v[4], v[5], v[6], v[7]], v[8]) {
                Ok(h) => fr[base..base + 4].copy_from_slice(&h),
                Err(t) => {
                    let _ = cx.raise(t);
                }
            }
        }))
    }

    /// A monomial `c * fr[s0] * fr[s1] * ...` if `e` is one (slots, constants, `-`, `*`, small
    /// powers: pure and trap-free).
    fn monomial(&self, e: &Expr) -> Option<(F, Vec<usize>)> {
        match &e.kind {
            ExprKind::Const(c) => Some((*c, Vec::new())),
            ExprKind::Func(f) => self.reprs.get(*f as usize).map(|r| (*r, Vec::new())),
            ExprKind::Slot(s) => self.slot(*s).map(|i| (F::ONE, vec![i])),
            ExprKind::Neg(x) => self.monomial(x).map(|(c, v)| (-c, v)),
            ExprKind::Bin(BinOp::Mul, a, b) => {
                let (c, mut v) = self.monomial(a)?;
                let (d, w) = self.monomial(b)?;
                v.extend(w);
                (v.len() <= MAX_MONOMIAL).then_some((c * d, v))
            }
            ExprKind::Pow(x, k) if *k <= MAX_MONOMIAL as u64 => {
                let (c, v) = self.monomial(x)?;
                let v: Vec<usize> = (0..*k).flat_map(|_| v.iter().copied()).collect();
                (v.len() <= MAX_MONOMIAL).then_some((pow(c, *k), v))
            }
            _ => None,
        }
    }

    /// Flattens a sum of monomials (`+`, `-`) into `out`; false if `e` is not one.
    fn sum_of_monomials(&self, e: &Expr, negate: bool, out: &mut Vec<(F, Vec<usize>)>) -> bool {
        match &e.kind {
            ExprKind::Bin(BinOp::Add, a, b) => {
                self.sum_of_monomials(a, negate, out) && self.sum_of_monomials(b, negate, out)
            }
            ExprKind::Bin(BinOp::Sub, a, b) => {
                self.sum_of_monomials(a, negate, out) && self.sum_of_monomials(b, !negate, out)
            }
            _ => match self.monomial(e) {
                Some((c, v)) => {
                    out.push((if negate { -c } else { c }, v));
                    true
                }
                None => false,
            },
        }
    }

    /// A pure polynomial over slots (sums of products of slots and constants) as one closure
    /// that loops over its terms, instead of one closure per operation. Exact field
    /// arithmetic and no traps make the regrouping invisible. `None` when `e` is not one or is
    /// too small to gain from it.
    fn polynomial(&self, e: &Expr) -> Option<Operand> {
        let mut terms = Vec::new();
        if !self.sum_of_monomials(e, false, &mut terms) {
            return None;
        }
        let constant: F = terms.iter().filter(|t| t.1.is_empty()).map(|t| t.0).sum();
        terms.retain(|t| !t.1.is_empty());
        let muls: usize = terms.iter().map(|t| t.1.len()).sum();
        if terms.is_empty() {
            return Some(Operand::Const(constant));
        }
        if terms.len() + muls < 6 {
            // A few operations: the shape-specialised closures are as good.
            return None;
        }
        let mut slots = Vec::with_capacity(muls);
        let mut table = Vec::with_capacity(terms.len());
        for (c, v) in terms {
            let start = slots.len();
            slots.extend(v);
            table.push((c, start, slots.len()));
        }
        Some(Operand::Expr(Box::new(move |_, fr| {
            let mut acc = constant;
            for &(c, a, b) in &table {
                let mut p = c;
                for &i in &slots[a..b] {
                    p *= fr[i];
                }
                acc += p;
            }
            acc
        })))
    }

    /// Arguments of a tail call that change the frame: `(parameter, value)`, dropping those
    /// that pass a parameter on unchanged (reading a slot has no effect, so skipping is safe).
    fn tail_args(&self, args: &[Expr]) -> Vec<(usize, Val)> {
        args.iter()
            .enumerate()
            .filter(|(i, a)| !matches!(a.kind, ExprKind::Slot(s) if s as usize == *i))
            .map(|(i, a)| (i, self.val(a)))
            .collect()
    }

    /// Compiles a function body: in tail mode only when it has a call in tail position.
    fn body(&self, id: u32, e: &Expr) -> Body {
        if let Some(v) = self.self_loop(id, e) {
            return Body::Val(v);
        }
        if has_tail_call(e) {
            Body::Tail(self.tail(e))
        } else {
            Body::Val(self.val(e))
        }
    }

    /// Compiles `e` in tail position.
    fn tail(&self, e: &Expr) -> Tail {
        match &e.kind {
            ExprKind::Hash(base, ops, b) => {
                let Some(level) = self.hash_level(*base, ops) else {
                    return Self::ret(malformed("slot out of range"));
                };
                let b = self.tail(b);
                Box::new(move |cx, fr| {
                    level(cx, fr);
                    b(cx, fr)
                })
            }
            ExprKind::Let(s, v, b) => {
                let Some(s) = self.slot(*s) else {
                    return Self::ret(malformed("slot out of range"));
                };
                let (v, b) = (self.val(v), self.tail(b));
                Box::new(move |cx, fr| {
                    fr[s] = v(cx, fr);
                    b(cx, fr)
                })
            }
            ExprKind::Branch(c, x, y) => {
                match self.const_cond(c) {
                    Some(false) => return self.tail(x),
                    Some(true) => return self.tail(y),
                    None => {}
                }
                let (x, y) = (self.tail(x), self.tail(y));
                branch_closure!(self.cond(c), x, y, Tail, Next::Ret(F::ZERO))
            }
            ExprKind::Call(f, args) => match self.func(*f) {
                Some(f) if args.len() <= self.frame => {
                    tail_site(Some(f), None, self.tail_args(args), args.len())
                }
                _ => Self::ret(malformed("unknown function")),
            },
            ExprKind::Eval(g, args) => {
                let g = self.val(g);
                // All arguments are written: the callee is only known at run time.
                let args = args
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (i, self.val(a)))
                    .collect::<Vec<_>>();
                let got = args.len();
                tail_site(None, Some(g), args, got)
            }
            _ => Self::ret(self.val(e)),
        }
    }

    fn ret(v: Val) -> Tail {
        Box::new(move |cx, fr| Next::Ret(v(cx, fr)))
    }
}

#[cfg(test)]
mod tests;

mod self_loop;

/// Whether `e`, in tail position, has a call or eval in tail position.
fn has_tail_call(mut e: &Expr) -> bool {
    loop {
        match &e.kind {
            ExprKind::Call(..) | ExprKind::Eval(..) => return true,
            ExprKind::Let(_, _, b) | ExprKind::Hash(_, _, b) => e = b,
            ExprKind::Branch(_, x, y) => {
                if has_tail_call(x) {
                    return true;
                }
                e = y;
            }
            _ => return false,
        }
    }
}
