//! Input values for `main` on the command line: the library's syntax and JSON object
//! ([`resvm::inputs`]) with their errors as usage failures, shared by `run`, `prove` and
//! `verify`.

use crate::error::Failure;
use resvm_field::F;

pub use resvm::inputs::{describe, named_values, params_of, Param};

/// The usage error for a wrong number of inputs, worded the same in `run` and `prove`.
pub fn count_error(params: &[Param], got: usize) -> Failure {
    Failure::usage(resvm::inputs::count_message(params, got))
}

/// Parses one value ([`resvm::inputs::parse_value`]); `what` names it in the error.
pub fn parse_value(text: &str, what: &str) -> Result<F, Failure> {
    resvm::inputs::parse_value(text, what).map_err(Failure::usage)
}

/// Parses command-line inputs (`input 0`, `input 1`, ... in errors).
pub fn parse_args(args: &[String]) -> Result<Vec<F>, Failure> {
    args.iter()
        .enumerate()
        .map(|(i, a)| parse_value(a, &format!("input {i}")))
        .collect()
}

/// Parses an `--inputs` JSON object ([`resvm::inputs::parse_json`]); `source` names it in
/// errors.
pub fn parse_json(text: &str, source: &str, wanted: &[&Param]) -> Result<Vec<F>, Failure> {
    resvm::inputs::parse_json(text, source, wanted).map_err(Failure::usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_usage_failures() {
        let e = parse_value("+5", "input 0").unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Usage);
        assert!(e.message.contains("leading `+`"));
        let e = parse_json("{", "in.json", &[]).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Usage);
        assert_eq!(
            count_error(&[], 3).message,
            "main takes 0 inputs (no parameters), got 3"
        );
    }
}
