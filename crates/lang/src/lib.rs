//! The resvm source language (`*.rvm` files).
//!
//! [`parse`] turns source text into an [`ast::Program`]; [`check`] resolves names, infers and
//! checks types and produces the typed [`hir::Module`] every later stage consumes. Errors are
//! [`Diagnostic`]s carrying a byte span; [`Diagnostic::render`] prints them as
//! `file:line:col` with the source line and a caret under the culprit; [`compile_all`]
//! reports every error it can find as [`Diagnostics`].
//!
//! See `docs/language.md` for the grammar and semantics.

pub mod ast;
mod check;
mod diagnostic;
pub mod hir;
mod lexer;
mod parser;

pub use check::{check, check_all};
pub use diagnostic::{Diagnostic, Diagnostics, Span, MAX_SNIPPET};
pub use parser::{parse, parse_all, BALANCE_THRESHOLD, MAX_EXPR_DEPTH, MAX_NESTING};

/// Parses and checks a source file in one step, returning the first error.
pub fn compile(source: &str) -> Result<hir::Module, Diagnostic> {
    compile_all(source).map_err(|ds| ds.0.into_iter().next().expect("errors are never empty"))
}

/// Parses and checks a source file, returning every error found: all syntax errors (the
/// parser resumes at the next `fn` after one), or, when the syntax is fine, every error of
/// the checker (see [`check_all`]).
pub fn compile_all(source: &str) -> Result<hir::Module, Diagnostics> {
    let ast = parse_all(source).map_err(Diagnostics)?;
    check_all(&ast).map_err(Diagnostics)
}
