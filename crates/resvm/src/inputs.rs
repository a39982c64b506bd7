//! Input values for `main`: the syntax of one field element, the JSON object from parameter
//! name to value (`resvm run --inputs`, the playground's inputs), and the wording of their
//! errors, shared by the CLI and the browser build. Errors are one readable sentence.
//!
//! A value is `N` (decimal), `0xH` (hexadecimal, any case) or either with a leading `-`
//! (`-N` is p − N, so `-1` is p − 1); the magnitude must be below p. A leading `+`, spaces,
//! underscores and empty strings are rejected. The same syntax is accepted on the command line
//! and inside the JSON strings.

use resvm_field::{from_canonical, F, P};
use serde::de::{Deserializer, MapAccess, Visitor};

/// One parameter of `main`, by its source name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Source name.
    pub name: String,
    /// Marked `secret`.
    pub secret: bool,
}

/// `main`'s parameters in order.
pub fn params_of(module: &resvm_lang::hir::Module) -> Vec<Param> {
    module
        .functions
        .get(module.main as usize)
        .map(|f| {
            f.params
                .iter()
                .map(|p| Param {
                    name: p.name.clone(),
                    secret: p.secret,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `x, secret y` (or `no parameters`).
pub fn describe(params: &[Param]) -> String {
    if params.is_empty() {
        return "no parameters".into();
    }
    params
        .iter()
        .map(|p| {
            if p.secret {
                format!("secret {}", p.name)
            } else {
                p.name.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for a wrong number of inputs, worded the same everywhere.
pub fn count_message(params: &[Param], got: usize) -> String {
    let n = params.len();
    format!(
        "main takes {n} input{} ({}), got {got}",
        if n == 1 { "" } else { "s" },
        describe(params)
    )
}

/// Parses one value (see the module docs); `what` names it in the error.
pub fn parse_value(text: &str, what: &str) -> Result<F, String> {
    let bad = |why: &str| format!("{what} (`{text}`) {why}");
    if text.starts_with('+') {
        return Err(bad(
            "has a leading `+`: write the number without a sign (or `-N` for p - N)",
        ));
    }
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (digits, radix) = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (body, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(bad(
            "is not a number: expected decimal digits, 0x and hex digits, or either after `-`",
        ));
    }
    let v = match u64::from_str_radix(digits, radix) {
        Ok(v) if v < P => v,
        _ => return Err(bad(&format!("is not below p = {P}"))),
    };
    let f = from_canonical(v).ok_or_else(|| bad(&format!("is not below p = {P}")))?;
    Ok(if negative { -f } else { f })
}

/// Parses command-line inputs (`input 0`, `input 1`, ... in errors).
pub fn parse_args(args: &[String]) -> Result<Vec<F>, String> {
    args.iter()
        .enumerate()
        .map(|(i, a)| parse_value(a, &format!("input {i}")))
        .collect()
}

/// A JSON object kept as written: `(key, value)` pairs in order, duplicates included.
struct Pairs(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object from parameter name to value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some(kv) = m.next_entry::<String, serde_json::Value>()? {
                    out.push(kv);
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Parses an `--inputs` JSON object (`{"x": "5", "y": "7"}`) into one value per parameter in
/// `wanted`, in order. Every parameter must be named exactly once, and nothing else; values are
/// strings in the syntax of [`parse_value`] (JSON numbers are refused: above 2^53 they are
/// rounded by most JSON tools). `source` names the input in errors.
pub fn parse_json(text: &str, source: &str, wanted: &[&Param]) -> Result<Vec<F>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let pairs: Pairs = serde_json::from_str(text)
        .map_err(|e| format!("{source}: not a JSON object of parameter values: {e}"))?;
    let mut values: Vec<Option<F>> = vec![None; wanted.len()];
    for (key, value) in pairs.0 {
        let Some(i) = wanted.iter().position(|p| p.name == key) else {
            let names: Vec<&str> = wanted.iter().map(|p| p.name.as_str()).collect();
            return Err(format!(
                "{source}: `{key}` is not {} (expected {})",
                if wanted.is_empty() {
                    "expected here".to_string()
                } else {
                    "one of the parameters".to_string()
                },
                if names.is_empty() {
                    "an empty object".to_string()
                } else {
                    names.join(", ")
                }
            ));
        };
        if values[i].is_some() {
            return Err(format!("{source}: `{key}` is given twice"));
        }
        let what = format!("{source}: `{key}`");
        let s = match &value {
            serde_json::Value::String(s) => s,
            other => {
                return Err(format!(
                    "{what} must be a string such as \"5\" (got {}); field elements are strings in JSON",
                    short(other)
                ))
            }
        };
        values[i] = Some(parse_value(s, &what)?);
    }
    let missing: Vec<&str> = wanted
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(p, _)| p.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!("{source}: missing {}", missing.join(", ")));
    }
    Ok(values.into_iter().flatten().collect())
}

/// A JSON value for an error message, clipped.
fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::PrimeCharacteristicRing;

    fn v(s: &str) -> Result<u64, String> {
        parse_value(s, "input").map(resvm_field::canonical)
    }

    #[test]
    fn value_syntax() {
        assert_eq!(v("5"), Ok(5));
        assert_eq!(v("0"), Ok(0));
        assert_eq!(v("-0"), Ok(0));
        assert_eq!(v("-1"), Ok(P - 1));
        assert_eq!(v("0x10"), Ok(16));
        assert_eq!(v("0XfF"), Ok(255));
        assert_eq!(v("-0x2"), Ok(P - 2));
        assert_eq!(v(&(P - 1).to_string()), Ok(P - 1));
        assert_eq!(v("007"), Ok(7));
        for bad in [
            "+5", "", "-", "0x", "1_000", " 5", "5 ", "1e3", "--1", "0x-1", "five",
        ] {
            assert!(v(bad).is_err(), "{bad:?} accepted");
        }
        assert!(v(&P.to_string()).unwrap_err().contains("not below p"));
        assert!(v(&format!("-{P}")).unwrap_err().contains("not below p"));
        assert!(v("0xffffffffffffffff").unwrap_err().contains("not below p"));
        assert!(v("99999999999999999999999")
            .unwrap_err()
            .contains("not below p"));
        assert!(v("+5").unwrap_err().contains("leading `+`"));
    }

    #[test]
    fn json_objects() {
        let x = Param {
            name: "x".into(),
            secret: false,
        };
        let y = Param {
            name: "y".into(),
            secret: true,
        };
        let both = [&x, &y];
        let ok = parse_json(r#"{"y": "7", "x": "-1"}"#, "in.json", &both).expect("parses");
        assert_eq!(ok, vec![-F::ONE, F::from_u64(7)]);
        assert_eq!(
            parse_json("\u{feff}{}", "in.json", &[]).expect("empty"),
            vec![]
        );
        let err = |t: &str| parse_json(t, "in.json", &both).unwrap_err();
        assert!(err(r#"{"x": "1"}"#).contains("missing y"));
        assert!(err(r#"{"x": 1, "y": "2"}"#).contains("must be a string"));
        assert!(
            err(r#"{"x": "1", "y": "2", "z": "3"}"#).contains("`z` is not one of the parameters")
        );
        assert!(err(r#"{"x": "1", "x": "2", "y": "3"}"#).contains("given twice"));
        assert!(err(r#"["1", "2"]"#).contains("not a JSON object"));
        assert!(err("{").contains("not a JSON object"));
        assert!(err(r#"{"x": "+1", "y": "2"}"#).contains("leading `+`"));
    }

    #[test]
    fn count_errors_name_the_parameters() {
        let ps = [
            Param {
                name: "x".into(),
                secret: false,
            },
            Param {
                name: "w".into(),
                secret: true,
            },
        ];
        assert_eq!(
            count_message(&ps, 1),
            "main takes 2 inputs (x, secret w), got 1"
        );
        assert_eq!(
            count_message(&[], 3),
            "main takes 0 inputs (no parameters), got 3"
        );
    }
}
