//! Source spans and error reports.

use std::fmt;

/// A half-open byte range `[start, end)` in the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A compile error with the span of its culprit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

impl Diagnostic {
    /// A diagnostic at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span,
        }
    }

    /// 1-based line and column (in characters) of the span's start in `source`. A UTF-8
    /// byte order mark at the start of the file is not counted.
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        let start = self.span.start.min(source.len());
        let before = &source[..floor_char_boundary(source, start)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let mut text = &before[line_start..];
        if line_start == 0 {
            text = text.strip_prefix(crate::lexer::BOM).unwrap_or(text);
        }
        let col = text.chars().count() + 1;
        (line, col)
    }

    /// Renders the error as
    /// ```text
    /// error: <message>
    ///  --> file:line:col
    ///   |
    /// 3 | fn main(x) = y;
    ///   |              ^
    /// ```
    /// Lines longer than [`MAX_SNIPPET`] characters are clipped to a window around the
    /// caret, with `...` marking the cut ends.
    pub fn render(&self, file: &str, source: &str) -> String {
        let (line, col) = self.line_col(source);
        let mut text = source.lines().nth(line - 1).unwrap_or("");
        if line == 1 {
            text = text.strip_prefix(crate::lexer::BOM).unwrap_or(text);
        }
        let width = line.to_string().len();
        let pad = " ".repeat(width);
        let start_char = col - 1;
        let span_chars = {
            let s = floor_char_boundary(source, self.span.start.min(source.len()));
            let e = floor_char_boundary(source, self.span.end.min(source.len())).max(s);
            source[s..e]
                .split('\n')
                .next()
                .unwrap_or("")
                .chars()
                .count()
                .max(1)
        };
        let chars: Vec<char> = text.chars().collect();
        // The window of the line shown: all of it, or MAX_SNIPPET characters around the caret.
        let (lo, hi) = if chars.len() <= MAX_SNIPPET {
            (0, chars.len())
        } else {
            let lo = start_char.saturating_sub(MAX_SNIPPET / 3).min(chars.len());
            (lo, (lo + MAX_SNIPPET).min(chars.len()))
        };
        // The caret may sit one past the line's end (a missing token); carets past the
        // window's end are cut.
        let start_char = start_char.min(chars.len());
        let carets = span_chars.min(hi.saturating_sub(start_char)).max(1);
        let (open, close) = (
            if lo > 0 { "..." } else { "" },
            if hi < chars.len() { "..." } else { "" },
        );
        let shown: String = chars[lo..hi].iter().collect();
        let prefix: String = open
            .chars()
            .map(|_| ' ')
            .chain(
                chars[lo..start_char]
                    .iter()
                    .map(|&c| if c == '\t' { '\t' } else { ' ' }),
            )
            .collect();
        format!(
            "error: {msg}\n{pad}--> {file}:{line}:{col}\n{pad} |\n{line} | {open}{shown}{close}\n{pad} | {prefix}{carets}\n",
            msg = self.message,
            carets = "^".repeat(carets),
        )
    }
}

/// Longest source line shown whole in [`Diagnostic::render`]; longer ones are clipped
/// around the caret.
pub const MAX_SNIPPET: usize = 120;

/// Several diagnostics of one file, in source order (never empty when returned as an error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// The first diagnostic (in source order).
    pub fn first(&self) -> Option<&Diagnostic> {
        self.0.first()
    }

    /// Renders every diagnostic with [`Diagnostic::render`], separated by blank lines.
    pub fn render(&self, file: &str, source: &str) -> String {
        self.0
            .iter()
            .map(|d| d.render(file, source))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("no errors"),
            [d] => write!(f, "{d}"),
            [d, rest @ ..] => write!(f, "{d} (and {} more error(s))", rest.len()),
        }
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at bytes {}..{})",
            self.message, self.span.start, self.span.end
        )
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_col_and_caret() {
        let src = "fn main(x) =\n  x + yy;\n";
        let d = Diagnostic::new(Span::new(19, 21), "unknown name `yy`");
        assert_eq!(d.line_col(src), (2, 7));
        let r = d.render("t.rvm", src);
        assert!(r.contains("--> t.rvm:2:7"), "{r}");
        assert!(r.contains("2 |   x + yy;\n  |       ^^\n"), "{r}");
    }

    #[test]
    fn clips_long_lines_around_the_caret() {
        let src = format!("fn main(x) = {} + yy;", "x + ".repeat(500));
        let at = src.find("yy").unwrap();
        let d = Diagnostic::new(Span::new(at, at + 2), "unknown name `yy`");
        let r = d.render("t.rvm", &src);
        let lines: Vec<&str> = r.lines().collect();
        assert!(lines[3].len() < MAX_SNIPPET + 20, "{r}");
        assert!(
            lines[3].starts_with("1 | ...") && lines[3].ends_with("+ yy;"),
            "{r}"
        );
        // The caret sits under `yy` in the clipped line.
        let caret = lines[4].find('^').unwrap();
        assert_eq!(&lines[3][caret..caret + 2], "yy", "{r}");
        assert!(lines[4].ends_with("^^"), "{r}");
        // A caret near the start clips the end only.
        let d = Diagnostic::new(Span::new(3, 7), "x");
        let r = d.render("t.rvm", &src);
        let l = r.lines().nth(3).unwrap();
        assert!(l.starts_with("1 | fn main") && l.ends_with("..."), "{r}");
    }

    #[test]
    fn bom_is_not_a_column() {
        let src = "\u{FEFF}fn main() = y;";
        let at = src.find('y').unwrap();
        let d = Diagnostic::new(Span::new(at, at + 1), "unknown name `y`");
        assert_eq!(d.line_col(src), (1, 13));
        let r = d.render("t.rvm", src);
        assert!(r.contains("1 | fn main() = y;\n  |             ^\n"), "{r}");
    }
}
