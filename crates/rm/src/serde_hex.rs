//! Serde helpers for the JSON wire formats: digests as lower-case hex
//! ([`Digest::to_hex`]), field elements and quantities as decimal strings, signed delta
//! quantities as signed decimal strings, binary blobs as hex. Every parser refuses
//! non-canonical input with an error (never a panic).

use resvm_field::Digest;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

/// Parses a digest written by [`Digest::to_hex`], with a readable error.
pub fn parse_digest(s: &str) -> Result<Digest, String> {
    let hex_only = s.bytes().all(|b| b.is_ascii_hexdigit());
    hex_only
        .then(|| Digest::from_hex(s))
        .flatten()
        .ok_or_else(|| {
            format!(
                "`{}` is not a digest (64 hex digits, 4 canonical field elements)",
                short(s)
            )
        })
}

/// At most 80 characters of untrusted text, for error messages.
pub fn short(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(80).collect::<String>())
    }
}

/// One digest as hex.
pub mod digest {
    use super::*;
    /// Serializes as hex.
    pub fn serialize<S: Serializer>(d: &Digest, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_hex())
    }
    /// Parses hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        parse_digest(&s).map_err(D::Error::custom)
    }
}

/// A list of digests as hex strings.
pub mod digests {
    use super::*;
    use serde::ser::SerializeSeq;
    /// Serializes as a list of hex strings.
    pub fn serialize<S: Serializer>(v: &[Digest], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for d in v {
            seq.serialize_element(&d.to_hex())?;
        }
        seq.end()
    }
    /// Parses a list of hex strings.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Digest>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| parse_digest(s).map_err(D::Error::custom))
            .collect()
    }
}

/// A list of optional digests (`null` for none).
pub mod opt_digests {
    use super::*;
    use serde::ser::SerializeSeq;
    /// Serializes as a list of hex strings or nulls.
    pub fn serialize<S: Serializer>(v: &[Option<Digest>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for d in v {
            seq.serialize_element(&d.map(|d| d.to_hex()))?;
        }
        seq.end()
    }
    /// Parses a list of hex strings or nulls.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Option<Digest>>, D::Error> {
        let v = Vec::<Option<String>>::deserialize(d)?;
        v.iter()
            .map(|s| match s {
                None => Ok(None),
                Some(s) => parse_digest(s).map(Some).map_err(D::Error::custom),
            })
            .collect()
    }
}

/// A `u64` as a decimal string.
pub mod u64_str {
    use super::*;
    /// Serializes as a decimal string.
    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
    /// Parses a decimal string (digits only).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        parse_u64(&s).map_err(D::Error::custom)
    }
}

/// Parses a decimal `u64` (digits only, no sign, no spaces).
pub fn parse_u64(s: &str) -> Result<u64, String> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{}` is not a decimal number", short(s)));
    }
    s.parse()
        .map_err(|_| format!("`{}` does not fit in 64 bits", short(s)))
}

/// Field elements as decimal strings in [0, p).
pub mod felts {
    use super::*;
    use serde::ser::SerializeSeq;
    /// Serializes as a list of decimal strings.
    pub fn serialize<S: Serializer>(v: &[u64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&x.to_string())?;
        }
        seq.end()
    }
    /// Parses a list of decimal strings, each below p.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| {
                let x = parse_u64(s).map_err(D::Error::custom)?;
                if x >= resvm_field::P {
                    return Err(D::Error::custom(format!(
                        "`{s}` is not a field element (not below p)"
                    )));
                }
                Ok(x)
            })
            .collect()
    }
}

/// A signed quantity as a signed decimal string (`"-5"`, `"3"`).
pub mod i128_str {
    use super::*;
    /// Serializes as a signed decimal string.
    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
    /// Parses a signed decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let s = String::deserialize(d)?;
        let digits = s.strip_prefix('-').unwrap_or(&s);
        if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(D::Error::custom(format!(
                "`{}` is not a signed decimal number",
                short(&s)
            )));
        }
        s.parse().map_err(D::Error::custom)
    }
}

/// Bytes as lower-case hex.
pub mod bytes {
    use super::*;
    /// Serializes as hex.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(v))
    }
    /// Parses hex (even length, 0-9a-f, either case).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        from_hex(&s).map_err(D::Error::custom)
    }
}

/// Lower-case hex of bytes.
pub fn to_hex(v: &[u8]) -> String {
    let mut s = String::with_capacity(2 * v.len());
    for b in v {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Parses hex bytes.
pub fn from_hex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("hex text has an odd length or a character that is not a hex digit".into());
    }
    (0..s.len() / 2)
        .map(|i| {
            u8::from_str_radix(&s[2 * i..2 * i + 2], 16)
                .map_err(|_| format!("`{}` is not hex", short(&s[2 * i..2 * i + 2])))
        })
        .collect()
}
