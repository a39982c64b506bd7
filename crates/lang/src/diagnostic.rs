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

    /// 1-based line and column (in characters) of the span's start in `source`.
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        let start = self.span.start.min(source.len());
        let before = &source[..floor_char_boundary(source, start)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
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
    pub fn render(&self, file: &str, source: &str) -> String {
        let (line, col) = self.line_col(source);
        let text = source.lines().nth(line - 1).unwrap_or("");
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
        let prefix: String = text
            .chars()
            .take(start_char)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!(
            "error: {msg}\n{pad}--> {file}:{line}:{col}\n{pad} |\n{line} | {text}\n{pad} | {prefix}{carets}\n",
            msg = self.message,
            carets = "^".repeat(span_chars),
        )
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
}
