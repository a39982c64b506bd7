//! Circuit transformation (the spec's "factor the polynomial, order the factors canonically,
//! transform to a circuit DAG"), in three printable stages:
//!
//! 1. [`canon`]: every maximal branch-free, call-free region of a function body becomes one
//!    polynomial in canonical form. Non-polynomial subexpressions (calls, `eval`, `branch`,
//!    `lt`, `reflect`, functions used as values) become *atoms*: fresh variables, numbered
//!    after the parameters in evaluation order, each computed once before the polynomial
//!    that uses it. `let` is substituted (it is only sharing).
//! 2. [`factor`]: each polynomial's irreducible factorization (when within limits).
//! 3. [`dag`]: the circuit DAG, built from the expanded (Horner) or the factored form,
//!    whichever needs fewer operations, with shared subterms appearing once.

pub mod canon;
pub mod dag;
pub mod factor;

pub use canon::{canonicalize, CanonFn, CanonModule};
pub use dag::{build_dag, Circuit};
pub use factor::Factorer;
