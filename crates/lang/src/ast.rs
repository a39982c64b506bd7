//! The syntax tree produced by [`crate::parse`].

use crate::diagnostic::Span;

/// A whole source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The `fn` items, in source order.
    pub items: Vec<FnDef>,
}

/// `fn name(params) = body;`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnDef {
    /// The function's name.
    pub name: Ident,
    /// Its parameters.
    pub params: Vec<Param>,
    /// Its body.
    pub body: Expr,
    /// The whole item.
    pub span: Span,
}

/// A name with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A declared parameter type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeAnn {
    /// `: p`, a field element (the default).
    P,
    /// `: prog`, a program.
    Prog,
    /// `: d`, a digest (four field elements).
    D,
}

/// `[secret] name [: type]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Whether the parameter is marked `secret` (a witness input; only on main).
    pub secret: Option<Span>,
    /// Its name.
    pub name: Ident,
    /// Its annotation, if any.
    pub ty: Option<(TypeAnn, Span)>,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// Binary field operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
}

/// Expression forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A decimal literal, already checked to be `< p`.
    Number(u64),
    /// A name: a parameter, a `let` binding or a function used as a value.
    Var(String),
    /// `name(args)`: a call of a function, a builtin or a `prog` value.
    Call(Ident, Vec<Expr>),
    /// `-e`
    Neg(Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `e ^ k`
    Pow(Box<Expr>, u64),
    /// `let name = value in body`
    Let(Ident, Box<Expr>, Box<Expr>),
    /// `e.i`: element `i` (0..=3) of the digest `e`.
    Proj(Box<Expr>, u8),
}

impl ExprKind {
    /// Moves every direct subexpression's contents out into `out` (leaving cheap leaves).
    fn take_children(&mut self, out: &mut Vec<ExprKind>) {
        let mut take = |e: &mut Expr| {
            if !matches!(e.kind, ExprKind::Number(_) | ExprKind::Var(_)) {
                out.push(std::mem::replace(&mut e.kind, ExprKind::Number(0)));
            }
        };
        match self {
            ExprKind::Number(_) | ExprKind::Var(_) => {}
            ExprKind::Neg(a) | ExprKind::Pow(a, _) | ExprKind::Proj(a, _) => take(a),
            ExprKind::Binary(_, a, b) | ExprKind::Let(_, a, b) => {
                take(a);
                take(b);
            }
            ExprKind::Call(_, args) => args.iter_mut().for_each(take),
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
