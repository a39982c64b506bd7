//! The resvm source language (`*.rvm` files).
//!
//! [`parse`] turns source text into an [`ast::Program`]; [`check`] resolves names, infers and
//! checks types and produces the typed [`hir::Module`] every later stage consumes. Errors are
//! [`Diagnostic`]s carrying a byte span; [`Diagnostic::render`] prints them as
//! `file:line:col` with the source line and a caret under the culprit.
//!
//! See `docs/language.md` for the grammar and semantics.

pub mod ast;
mod check;
mod diagnostic;
pub mod hir;
mod lexer;
mod parser;

pub use check::check;
pub use diagnostic::{Diagnostic, Span};
pub use parser::parse;

/// Parses and checks a source file in one step.
pub fn compile(source: &str) -> Result<hir::Module, Diagnostic> {
    let ast = parse(source)?;
    check(&ast)
}
