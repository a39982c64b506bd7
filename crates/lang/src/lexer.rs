//! Tokens.

use crate::diagnostic::{Diagnostic, Span};

/// A token kind. Identifiers include the builtin names and the type names `p`/`prog`/`d`,
/// which are only special in their positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Fn,
    Let,
    In,
    Secret,
    Ident(String),
    /// A decimal literal, kept as text so that out-of-range values get a precise error.
    Number(String),
    LParen,
    RParen,
    Comma,
    Eq,
    Semi,
    Colon,
    Plus,
    Minus,
    Star,
    Caret,
    Dot,
    Eof,
}

impl Tok {
    /// How the token is named in "expected ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Fn => "`fn`".into(),
            Tok::Let => "`let`".into(),
            Tok::In => "`in`".into(),
            Tok::Secret => "`secret`".into(),
            Tok::Ident(s) => format!("identifier `{s}`"),
            Tok::Number(n) => format!("number `{n}`"),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Eq => "`=`".into(),
            Tok::Semi => "`;`".into(),
            Tok::Colon => "`:`".into(),
            Tok::Plus => "`+`".into(),
            Tok::Minus => "`-`".into(),
            Tok::Star => "`*`".into(),
            Tok::Caret => "`^`".into(),
            Tok::Dot => "`.`".into(),
            Tok::Eof => "end of file".into(),
        }
    }
}

/// The UTF-8 byte order mark, accepted (and ignored) at the start of a file.
pub const BOM: &str = "\u{FEFF}";

/// Splits `src` into tokens (ending with `Eof`). Unlexable text (a stray character, a
/// malformed number) is reported in `errors` and skipped, so the parser can still look for
/// further errors.
pub fn lex(src: &str, errors: &mut Vec<Diagnostic>) -> Vec<(Tok, Span)> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = if src.starts_with(BOM) { BOM.len() } else { 0 };
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        let single = match c {
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b',' => Some(Tok::Comma),
            b'=' => Some(Tok::Eq),
            b';' => Some(Tok::Semi),
            b':' => Some(Tok::Colon),
            b'+' => Some(Tok::Plus),
            b'-' => Some(Tok::Minus),
            b'*' => Some(Tok::Star),
            b'^' => Some(Tok::Caret),
            b'.' => Some(Tok::Dot),
            _ => None,
        };
        if let Some(t) = single {
            out.push((t, Span::new(i, i + 1)));
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                errors.push(Diagnostic::new(Span::new(start, i), "malformed number"));
                continue;
            }
            out.push((Tok::Number(src[start..i].to_string()), Span::new(start, i)));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &src[start..i];
            let t = match word {
                "fn" => Tok::Fn,
                "let" => Tok::Let,
                "in" => Tok::In,
                "secret" => Tok::Secret,
                _ => Tok::Ident(word.to_string()),
            };
            out.push((t, Span::new(start, i)));
            continue;
        }
        let ch = src[start..].chars().next().unwrap_or('?');
        i = start + ch.len_utf8();
        // One report per run of adjacent unexpected characters.
        match errors.last_mut() {
            Some(d) if d.message.starts_with("unexpected character") && d.span.end == start => {
                d.span.end = i;
            }
            _ => errors.push(Diagnostic::new(
                Span::new(start, i),
                format!("unexpected character `{ch}`"),
            )),
        }
    }
    out.push((Tok::Eof, Span::new(src.len(), src.len())));
    out
}
