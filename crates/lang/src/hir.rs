//! The typed, name-resolved program every later stage consumes.
//!
//! Names are gone: parameters and `let` bindings are frame slots (parameters first), functions
//! are indices into [`Module::functions`]. Every expression carries its type.
//!
//! Digests (`d`, four field elements) exist only in the source: the checker lowers every
//! `d` value to its four elements. A `d` parameter is four consecutive parameters
//! (`x.0` .. `x.3`, see [`Param::digest_element`]), a `d` `let` is four slots, `hash` and
//! `merkle` are [`ExprKind::Hash`] binders, and functions returning a `d` are inlined at
//! their calls (they are not in [`Module::functions`]).

use crate::ast::BinOp;
use crate::diagnostic::Span;
use resvm_field::F;

/// Index of a function in [`Module::functions`].
pub type FnId = u32;
/// A frame slot: parameters occupy `0..arity`, each `let` gets its own slot after them.
pub type Slot = u32;

/// Value types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// A field element.
    P,
    /// A program (at run time: its repr).
    Prog,
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Ty::P => "p",
            Ty::Prog => "prog",
        })
    }
}

/// A checked source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    /// All functions, in source order.
    pub functions: Vec<Function>,
    /// Index of `main`.
    pub main: FnId,
}

impl Module {
    /// The entry point.
    pub fn main_function(&self) -> &Function {
        &self.functions[self.main as usize]
    }
}

/// A checked function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Source name.
    pub name: String,
    /// Parameters (slots `0..params.len()`).
    pub params: Vec<Param>,
    /// Result type (inferred).
    pub ret: Ty,
    /// Body.
    pub body: Expr,
    /// Number of slots: parameters plus one per `let`.
    pub slots: u32,
    /// Span of the whole definition.
    pub span: Span,
}

/// A checked parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Source name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// Marked `secret` (only possible on main).
    pub secret: bool,
    /// `Some(i)` when this is element `i` of a source parameter `x: d` (named `x.i`; the
    /// four elements are consecutive parameters, element 0 first).
    pub digest_element: Option<u8>,
}

/// Number of field elements of a digest value (`resvm_field::DIGEST_LEN`).
pub const DIGEST_ELEMENTS: usize = 4;

/// A typed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Its type.
    pub ty: Ty,
    /// Where it came from.
    pub span: Span,
}

/// Expression forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A constant.
    Const(F),
    /// A parameter or `let` value.
    Slot(Slot),
    /// A function used as a PROG value.
    Func(FnId),
    /// `-e`
    Neg(Box<Expr>),
    /// `a op b`
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `e ^ k`
    Pow(Box<Expr>, u64),
    /// `lt(a, b)`
    Lt(Box<Expr>, Box<Expr>),
    /// `branch(c, x, y)`: lazy in `x`, `y`.
    Branch(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A direct call.
    Call(FnId, Vec<Expr>),
    /// `eval(g, args)` (also a call through a `prog` value).
    Eval(Box<Expr>, Vec<Expr>),
    /// `repr(g)`
    Repr(Box<Expr>),
    /// `reflect(x)`
    Reflect(Box<Expr>),
    /// `let slot = value in body` (the value is computed once, before the body).
    Let(Slot, Box<Expr>, Box<Expr>),
    /// One Merkle level, exactly the `HASH` instruction: the operands `[d0..d3, s0..s3, e]`
    /// are evaluated in order, then slots `base..base+4` receive `merge(d, s)` if `e = 0`,
    /// `merge(s, d)` if `e = 1` (a runtime error otherwise), then `body` is the value.
    /// `hash(a, b)` is `d = b, s = a, e = 1`.
    Hash(Slot, Box<[Expr; 9]>, Box<Expr>),
}

impl Expr {
    /// Depth of the expression tree (a leaf is 1), computed iteratively.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut todo = vec![(self, 1usize)];
        while let Some((e, d)) = todo.pop() {
            deepest = deepest.max(d);
            let mut kids = Vec::new();
            e.kind.for_each_child(&mut |c| kids.push(c));
            todo.extend(kids.into_iter().map(|c| (c, d + 1)));
        }
        deepest
    }
}

impl ExprKind {
    /// Calls `f` on every direct subexpression, in evaluation order.
    pub fn for_each_child<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        match self {
            ExprKind::Const(_) | ExprKind::Slot(_) | ExprKind::Func(_) => {}
            ExprKind::Neg(a) | ExprKind::Pow(a, _) | ExprKind::Repr(a) | ExprKind::Reflect(a) => {
                f(a)
            }
            ExprKind::Bin(_, a, b) | ExprKind::Lt(a, b) | ExprKind::Let(_, a, b) => {
                f(a);
                f(b);
            }
            ExprKind::Branch(c, x, y) => {
                f(c);
                f(x);
                f(y);
            }
            ExprKind::Call(_, args) => args.iter().for_each(f),
            ExprKind::Eval(g, args) => {
                f(g);
                args.iter().for_each(f);
            }
            ExprKind::Hash(_, ops, body) => {
                ops.iter().for_each(&mut *f);
                f(body);
            }
        }
    }

    /// Moves every direct subexpression's contents out into `out` (leaving cheap leaves).
    fn take_children(&mut self, out: &mut Vec<ExprKind>) {
        let mut take = |e: &mut Expr| {
            if !matches!(
                e.kind,
                ExprKind::Const(_) | ExprKind::Slot(_) | ExprKind::Func(_)
            ) {
                out.push(std::mem::replace(&mut e.kind, ExprKind::Slot(0)));
            }
        };
        match self {
            ExprKind::Const(_) | ExprKind::Slot(_) | ExprKind::Func(_) => {}
            ExprKind::Neg(a) | ExprKind::Pow(a, _) | ExprKind::Repr(a) | ExprKind::Reflect(a) => {
                take(a)
            }
            ExprKind::Bin(_, a, b) | ExprKind::Lt(a, b) | ExprKind::Let(_, a, b) => {
                take(a);
                take(b);
            }
            ExprKind::Branch(c, x, y) => {
                take(c);
                take(x);
                take(y);
            }
            ExprKind::Call(_, args) => args.iter_mut().for_each(take),
            ExprKind::Eval(g, args) => {
                take(g);
                args.iter_mut().for_each(&mut take);
            }
            ExprKind::Hash(_, ops, body) => {
                ops.iter_mut().for_each(&mut take);
                take(body);
            }
        }
    }
}

/// Dropping is iterative: a `let` chain makes a tree as deep as it is long.
impl Drop for Expr {
    fn drop(&mut self) {
        let mut todo = Vec::new();
        self.kind.take_children(&mut todo);
        while let Some(mut k) = todo.pop() {
            k.take_children(&mut todo);
        }
    }
}
