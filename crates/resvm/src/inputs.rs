//! Input values for `main`: the syntax of one field element, the JSON object from parameter
//! name to value (`resvm run --inputs`, the playground's inputs), and the wording of their
//! errors, shared by the CLI and the browser build. Errors are one readable sentence.
//!
//! A value is `N` (decimal), `0xH` (hexadecimal, any case) or either with a leading `-`
//! (`-N` is p − N, so `-1` is p − 1); the magnitude must be below p. A leading `+`, spaces,
//! underscores and empty strings are rejected. The same syntax is accepted on the command line
//! and inside the JSON strings.
//!
//! A parameter `x: d` (a digest) is four inputs, elements 0..3 in order: four values on the
//! command line, and in `--inputs` JSON either a 64-hex-digit digest string (the
//! [`resvm_field::Digest::to_hex`] form) or an array of four value strings (`"x": ["1", "2",
//! "3", "4"]`).

use resvm_field::{from_canonical, F, P};
use serde::de::{Deserializer, MapAccess, Visitor};

/// One input of `main` (a parameter, or one element of a digest parameter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Source name of the parameter (shared by a digest's four elements).
    pub name: String,
    /// Marked `secret`.
    pub secret: bool,
    /// `Some(i)` for element `i` of a digest parameter `name: d`.
    pub element: Option<u8>,
}

/// `main`'s inputs in order (a digest parameter gives four).
pub fn params_of(module: &resvm_lang::hir::Module) -> Vec<Param> {
    module
        .functions
        .get(module.main as usize)
        .map(|f| {
            f.params
                .iter()
                .map(|p| Param {
                    name: match p.digest_element {
                        // The HIR names the elements `x.0` .. `x.3`.
                        Some(_) => p
                            .name
                            .rsplit_once('.')
                            .map_or(&p.name[..], |(n, _)| n)
                            .to_string(),
                        None => p.name.clone(),
                    },
                    secret: p.secret,
                    element: p.digest_element,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The source parameters of `params`: `(first input, number of inputs)` per parameter.
fn groups<P: std::borrow::Borrow<Param>>(params: &[P]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, p) in params.iter().enumerate() {
        match (p.borrow().element, out.last_mut()) {
            (Some(e), Some(last)) if e > 0 => last.1 += 1,
            _ => out.push((i, 1)),
        }
    }
    out
}

/// `x, secret y, r: d` (or `no parameters`).
pub fn describe(params: &[Param]) -> String {
    if params.is_empty() {
        return "no parameters".into();
    }
    groups(params)
        .iter()
        .map(|&(i, _)| {
            let p = &params[i];
            let ty = if p.element.is_some() { ": d" } else { "" };
            if p.secret {
                format!("secret {}{ty}", p.name)
            } else {
                format!("{}{ty}", p.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(name, value)` per source parameter of `params` (a subset of main's inputs, in order,
/// with their `values`): decimal for a field element, the hex form for a digest.
pub fn named_values(params: &[&Param], values: &[F]) -> Vec<(String, String)> {
    groups(params)
        .into_iter()
        .map(|(i, n)| {
            let p = params[i];
            let vs = values.get(i..i + n).unwrap_or(&[]);
            let shown = match (p.element, vs) {
                (Some(_), &[a, b, c, d]) => {
                    resvm_field::Digest::from_elements([a, b, c, d]).to_hex()
                }
                _ => vs
                    .iter()
                    .map(|v| resvm_field::canonical(*v).to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            (p.name.clone(), shown)
        })
        .collect()
}

/// The error for a wrong number of inputs, worded the same everywhere.
pub fn count_message(params: &[Param], got: usize) -> String {
    let n = params.len();
    let digests = if params.iter().any(|p| p.element.is_some()) {
        "; a `d` parameter takes 4"
    } else {
        ""
    };
    format!(
        "main takes {n} input{} ({}{digests}), got {got}",
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

/// Parses an `--inputs` JSON object (`{"x": "5", "y": "7"}`) into one value per input in
/// `wanted`, in order. Every parameter must be named exactly once, and nothing else; values are
/// strings in the syntax of [`parse_value`] (JSON numbers are refused: above 2^53 they are
/// rounded by most JSON tools); a digest parameter's value is a 64-hex-digit digest string or
/// an array of four such strings. `source` names the input in errors.
pub fn parse_json(text: &str, source: &str, wanted: &[&Param]) -> Result<Vec<F>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let pairs: Pairs = serde_json::from_str(text)
        .map_err(|e| format!("{source}: not a JSON object of parameter values: {e}"))?;
    let groups = groups(wanted);
    let mut values: Vec<Option<F>> = vec![None; wanted.len()];
    for (key, value) in pairs.0 {
        let Some(&(i, n)) = groups.iter().find(|(i, _)| wanted[*i].name == key) else {
            let names: Vec<&str> = groups
                .iter()
                .map(|(i, _)| wanted[*i].name.as_str())
                .collect();
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
        let scalar = |v: &serde_json::Value, what: &str| {
            match v {
            serde_json::Value::String(s) => parse_value(s, what),
            other => Err(format!(
                "{what} must be a string such as \"5\" (got {}); field elements are strings in JSON",
                short(other)
            )),
        }
        };
        if wanted[i].element.is_none() {
            values[i] = Some(scalar(&value, &what)?);
            continue;
        }
        let elements: Vec<F> = match &value {
            serde_json::Value::String(s) => match resvm_field::Digest::from_hex(s) {
                Some(d) => d.elements().to_vec(),
                None => {
                    return Err(format!(
                        "{what} is a digest: expected 64 hex digits (four little-endian 64-bit elements below p) or an array of 4 values, got \"{}\"",
                        short(&value).trim_matches('"')
                    ))
                }
            },
            serde_json::Value::Array(xs) if xs.len() == n => xs
                .iter()
                .enumerate()
                .map(|(j, x)| scalar(x, &format!("{what}[{j}]")))
                .collect::<Result<_, _>>()?,
            other => {
                return Err(format!(
                    "{what} is a digest: expected a 64-hex-digit string or an array of {n} values (got {})",
                    short(other)
                ))
            }
        };
        for (j, x) in elements.into_iter().enumerate() {
            values[i + j] = Some(x);
        }
    }
    let missing: Vec<&str> = groups
        .iter()
        .filter(|(i, _)| values[*i].is_none())
        .map(|(i, _)| wanted[*i].name.as_str())
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
            element: None,
        };
        let y = Param {
            name: "y".into(),
            secret: true,
            element: None,
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
                element: None,
            },
            Param {
                name: "w".into(),
                secret: true,
                element: None,
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
