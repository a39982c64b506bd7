//! Recursive-descent parser for the grammar in `docs/language.md`.
//!
//! The parser recovers at item boundaries: an error inside an item is recorded and parsing
//! resumes at the next `fn`, so one run reports the errors of every item.
//!
//! Long sequences never make the descent (or later passes) deep: `let` chains and runs of
//! unary `-` are parsed in a loop, and operator chains of more than [`BALANCE_THRESHOLD`]
//! operands are built as balanced trees (depth `log2 n`), which changes nothing observable:
//! operands are still evaluated left to right and field `+`/`*` are associative.

use crate::ast::*;
use crate::diagnostic::{Diagnostic, Span};
use crate::lexer::{lex, Tok};
use resvm_field::P;

/// Deepest expression tree accepted. `let` chains are as deep as they are long; every later
/// pass recurses over the tree on a stack grown on demand (and the tree is dropped
/// iteratively), so the bound only caps the memory of that recursion.
pub const MAX_EXPR_DEPTH: usize = 1 << 16;

/// Deepest syntactic nesting of parentheses, call arguments and `let` values (the descent
/// recurses once per level, on a stack grown on demand). `let` bodies, runs of unary `-`
/// and operator chains do not count.
pub const MAX_NESTING: usize = 4096;

/// Operator chains (`a + b - c ...`, `a * b * c ...`) with more operands than this are built
/// as balanced trees instead of left-leaning ones.
pub const BALANCE_THRESHOLD: usize = 64;

/// Parses a source file, returning its first error.
pub fn parse(src: &str) -> Result<Program, Diagnostic> {
    parse_all(src).map_err(|mut ds| ds.swap_remove(0))
}

/// Parses a source file, returning every error found (in source order; at least one on
/// failure). After an error the parser skips to the next `fn` and goes on.
pub fn parse_all(src: &str) -> Result<Program, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let toks = lex(src, &mut errors);
    let mut p = Parser {
        toks,
        pos: 0,
        nest: 0,
        prev_end: 0,
    };
    let mut items = Vec::new();
    while p.peek() != &Tok::Eof {
        match p.item() {
            Ok(item) => items.push(item),
            Err(d) => {
                errors.push(d);
                p.recover();
            }
        }
    }
    if errors.is_empty() {
        Ok(Program { items })
    } else {
        errors.sort_by_key(|d| (d.span.start, d.span.end));
        Err(errors)
    }
}

struct Parser {
    toks: Vec<(Tok, Span)>,
    pos: usize,
    /// Current recursion depth of the descent itself (bounded by [`MAX_NESTING`]).
    nest: usize,
    /// End of the last token consumed.
    prev_end: usize,
}

/// Expression plus the depth of its tree.
type Parsed = (Expr, usize);

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn span(&self) -> Span {
        self.toks[self.pos].1
    }

    fn bump(&mut self) -> (Tok, Span) {
        let t = self.toks[self.pos].clone();
        self.prev_end = t.1.end;
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    /// Skips to the next `fn` (the start of the next item) or the end of the file, consuming
    /// at least one token unless already at a `fn`.
    fn recover(&mut self) {
        if *self.peek() != Tok::Fn && *self.peek() != Tok::Eof {
            self.bump();
        }
        while !matches!(self.peek(), Tok::Fn | Tok::Eof) {
            self.bump();
        }
    }

    fn expect(&mut self, want: Tok, context: &str) -> Result<Span, Diagnostic> {
        if *self.peek() == want {
            Ok(self.bump().1)
        } else {
            Err(Diagnostic::new(
                self.span(),
                format!(
                    "expected {} {context}, found {}",
                    want.describe(),
                    self.peek().describe()
                ),
            ))
        }
    }

    fn ident(&mut self, context: &str) -> Result<Ident, Diagnostic> {
        match self.peek().clone() {
            Tok::Ident(name) => {
                let span = self.bump().1;
                Ok(Ident { name, span })
            }
            other => Err(Diagnostic::new(
                self.span(),
                format!(
                    "expected an identifier {context}, found {}",
                    other.describe()
                ),
            )),
        }
    }

    fn item(&mut self) -> Result<FnDef, Diagnostic> {
        let start = self.expect(Tok::Fn, "to start an item")?;
        let name = self.ident("after `fn`")?;
        self.expect(Tok::LParen, "after the function name")?;
        let mut params = Vec::new();
        if *self.peek() != Tok::RParen {
            loop {
                params.push(self.param()?);
                if *self.peek() == Tok::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        self.expect(Tok::RParen, "to close the parameter list")?;
        self.expect(Tok::Eq, "before the function body")?;
        let (body, _) = self.expr()?;
        if *self.peek() != Tok::Semi {
            // Point just after the body, where the `;` belongs, not at whatever follows
            // (often the next item, lines below).
            let at = self.prev_end;
            let msg = match self.peek() {
                Tok::Fn | Tok::Eof => format!(
                    "expected `;` to end the function `{}`, found {}",
                    name.name,
                    self.peek().describe()
                ),
                other => format!(
                    "expected `;` to end the function, found {}",
                    other.describe()
                ),
            };
            return Err(match self.peek() {
                Tok::Fn | Tok::Eof => Diagnostic::new(Span::new(at, at), msg),
                _ => Diagnostic::new(self.span(), msg),
            });
        }
        let end = self.bump().1;
        Ok(FnDef {
            name,
            params,
            body,
            span: start.to(end),
        })
    }

    fn param(&mut self) -> Result<Param, Diagnostic> {
        let secret = if *self.peek() == Tok::Secret {
            Some(self.bump().1)
        } else {
            None
        };
        let name = self.ident("for a parameter")?;
        let ty = if *self.peek() == Tok::Colon {
            self.bump();
            let t = self.ident("for the parameter type (`p`, `prog` or `d`)")?;
            let ann = match t.name.as_str() {
                "p" => TypeAnn::P,
                "prog" => TypeAnn::Prog,
                "d" => TypeAnn::D,
                other => {
                    return Err(Diagnostic::new(
                        t.span,
                        format!("unknown type `{other}`: expected `p`, `prog` or `d`"),
                    ))
                }
            };
            Some((ann, t.span))
        } else {
            None
        };
        Ok(Param { secret, name, ty })
    }

    fn node(kind: ExprKind, span: Span, depth: usize) -> Result<Parsed, Diagnostic> {
        if depth > MAX_EXPR_DEPTH {
            return Err(Diagnostic::new(
                span,
                format!("expression nested deeper than {MAX_EXPR_DEPTH} levels"),
            ));
        }
        Ok((Expr { kind, span }, depth))
    }

    /// A full expression (a nesting level: parentheses, arguments, `let` values).
    fn expr(&mut self) -> Result<Parsed, Diagnostic> {
        self.nest += 1;
        let r = if self.nest > MAX_NESTING {
            Err(Diagnostic::new(
                self.span(),
                format!("expressions nested deeper than {MAX_NESTING} levels"),
            ))
        } else {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.expr_inner())
        };
        self.nest -= 1;
        r
    }

    /// `let` chains are parsed in a loop: the headers are collected, then the body, then the
    /// nested `Let` nodes are built from the inside out.
    fn expr_inner(&mut self) -> Result<Parsed, Diagnostic> {
        let mut heads = Vec::new();
        while *self.peek() == Tok::Let {
            let start = self.bump().1;
            let name = self.ident("after `let`")?;
            self.expect(Tok::Eq, "after the `let` name")?;
            let value = self.expr()?;
            self.expect(Tok::In, "after the `let` value")?;
            heads.push((start, name, value));
        }
        let (mut body, mut depth) = self.additive()?;
        while let Some((start, name, (value, dv))) = heads.pop() {
            let span = start.to(body.span);
            (body, depth) = Self::node(
                ExprKind::Let(name, Box::new(value), Box::new(body)),
                span,
                1 + dv.max(depth),
            )?;
        }
        Ok((body, depth))
    }

    fn additive(&mut self) -> Result<Parsed, Diagnostic> {
        let first = self.mult()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => break,
            };
            self.bump();
            rest.push((op, self.mult()?));
        }
        Self::chain(first, rest)
    }

    fn mult(&mut self) -> Result<Parsed, Diagnostic> {
        let first = self.unary()?;
        let mut rest = Vec::new();
        while *self.peek() == Tok::Star {
            self.bump();
            rest.push((BinOp::Mul, self.unary()?));
        }
        Self::chain(first, rest)
    }

    /// Builds `first op1 x1 op2 x2 ...` (left-associative semantics): a left-leaning tree for
    /// short chains, a balanced one for long chains.
    fn chain(first: Parsed, rest: Vec<(BinOp, Parsed)>) -> Result<Parsed, Diagnostic> {
        if rest.len() < BALANCE_THRESHOLD {
            let (mut lhs, mut depth) = first;
            for (op, (rhs, d)) in rest {
                let span = lhs.span.to(rhs.span);
                (lhs, depth) = Self::node(
                    ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                    1 + depth.max(d),
                )?;
            }
            return Ok((lhs, depth));
        }
        // Operand i has sign `ops[i]` (Add for the first); a range is built relative to the
        // sign of its first operand: sum_{i in lo..hi} (s_i / s_lo) x_i.
        let mut ops = Vec::with_capacity(rest.len() + 1);
        let mut items = Vec::with_capacity(rest.len() + 1);
        ops.push(BinOp::Add);
        items.push(Some(first));
        for (op, x) in rest {
            ops.push(op);
            items.push(Some(x));
        }
        Self::balanced(&ops, &mut items, 0, ops.len())
    }

    fn balanced(
        ops: &[BinOp],
        items: &mut [Option<Parsed>],
        lo: usize,
        hi: usize,
    ) -> Result<Parsed, Diagnostic> {
        if hi - lo == 1 {
            return Ok(items[lo].take().expect("each operand is used once"));
        }
        let mid = lo + (hi - lo) / 2;
        let (a, da) = Self::balanced(ops, items, lo, mid)?;
        let (b, db) = Self::balanced(ops, items, mid, hi)?;
        // The right half is added when its first operand has the same sign as the range's
        // first operand (`ops[0]` counts as `+`), subtracted otherwise.
        let op = match ops[mid] {
            BinOp::Mul => BinOp::Mul,
            s if s == ops[lo] => BinOp::Add,
            _ => BinOp::Sub,
        };
        let span = a.span.to(b.span);
        Self::node(
            ExprKind::Binary(op, Box::new(a), Box::new(b)),
            span,
            1 + da.max(db),
        )
    }

    /// Runs of unary `-` are parsed in a loop.
    fn unary(&mut self) -> Result<Parsed, Diagnostic> {
        let mut minuses = Vec::new();
        while *self.peek() == Tok::Minus {
            minuses.push(self.bump().1);
        }
        let (mut e, mut d) = self.power()?;
        while let Some(start) = minuses.pop() {
            let span = start.to(e.span);
            (e, d) = Self::node(ExprKind::Neg(Box::new(e)), span, d + 1)?;
        }
        Ok((e, d))
    }

    fn power(&mut self) -> Result<Parsed, Diagnostic> {
        let (base, d) = self.projection()?;
        if *self.peek() == Tok::Caret {
            self.bump();
            let (k, kspan) = self.number("as the exponent")?;
            let span = base.span.to(kspan);
            return Self::node(ExprKind::Pow(Box::new(base), k), span, d + 1);
        }
        Ok((base, d))
    }

    /// `primary ('.' INDEX)*`: digest element projections bind tightest.
    fn projection(&mut self) -> Result<Parsed, Diagnostic> {
        let (mut e, mut d) = self.primary()?;
        while *self.peek() == Tok::Dot {
            self.bump();
            let (i, ispan) = self.number("as the digest element index")?;
            if i > 3 {
                return Err(Diagnostic::new(
                    ispan,
                    format!("digest element index {i} is out of range: a digest has elements 0, 1, 2, 3"),
                ));
            }
            let span = e.span.to(ispan);
            (e, d) = Self::node(ExprKind::Proj(Box::new(e), i as u8), span, d + 1)?;
        }
        Ok((e, d))
    }

    fn number(&mut self, context: &str) -> Result<(u64, Span), Diagnostic> {
        match self.peek().clone() {
            Tok::Number(text) => {
                let span = self.bump().1;
                let v = parse_literal(&text).ok_or_else(|| {
                    Diagnostic::new(
                        span,
                        format!("literal {text} is not below p = {P} (the Goldilocks modulus)"),
                    )
                })?;
                Ok((v, span))
            }
            other => Err(Diagnostic::new(
                self.span(),
                format!("expected a number {context}, found {}", other.describe()),
            )),
        }
    }

    fn primary(&mut self) -> Result<Parsed, Diagnostic> {
        match self.peek().clone() {
            Tok::Number(_) => {
                let (v, span) = self.number("")?;
                Self::node(ExprKind::Number(v), span, 1)
            }
            Tok::Ident(_) => {
                let id = self.ident("")?;
                if *self.peek() != Tok::LParen {
                    let span = id.span;
                    return Self::node(ExprKind::Var(id.name), span, 1);
                }
                self.bump();
                let mut args = Vec::new();
                let mut depth = 0;
                if *self.peek() != Tok::RParen {
                    loop {
                        let (a, d) = self.expr()?;
                        depth = depth.max(d);
                        args.push(a);
                        if *self.peek() == Tok::Comma {
                            self.bump();
                        } else {
                            break;
                        }
                    }
                }
                let end = self.expect(Tok::RParen, "to close the argument list")?;
                let span = id.span.to(end);
                Self::node(ExprKind::Call(id, args), span, depth + 1)
            }
            Tok::LParen => {
                let start = self.bump().1;
                let (mut e, d) = self.expr()?;
                let end = self.expect(Tok::RParen, "to close the parenthesis")?;
                e.span = start.to(end);
                Ok((e, d))
            }
            other => Err(Diagnostic::new(
                self.span(),
                format!("expected an expression, found {}", other.describe()),
            )),
        }
    }
}

/// A decimal literal below p, if it is one.
fn parse_literal(text: &str) -> Option<u64> {
    let v: u128 = text.parse().ok()?;
    (v < P as u128).then_some(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_precedence_and_let() {
        let p =
            parse("fn main(x, secret y: p, g: prog) = let t = x * y ^ 2 in -t + 3 - g(x); // c\n")
                .expect("parses");
        assert_eq!(p.items.len(), 1);
        let f = &p.items[0];
        assert_eq!(f.params.len(), 3);
        assert!(f.params[1].secret.is_some());
        assert_eq!(f.params[2].ty.map(|t| t.0), Some(TypeAnn::Prog));
        let ExprKind::Let(_, v, body) = &f.body.kind else {
            panic!("let")
        };
        let ExprKind::Binary(BinOp::Mul, _, rhs) = &v.kind else {
            panic!("mul")
        };
        assert!(matches!(rhs.kind, ExprKind::Pow(_, 2)));
        assert!(matches!(body.kind, ExprKind::Binary(BinOp::Sub, _, _)));
    }

    #[test]
    fn rejects_literal_at_p_with_span() {
        let src = "fn main() = 18446744069414584321;";
        let e = parse(src).expect_err("too big");
        assert_eq!(&src[e.span.start..e.span.end], "18446744069414584321");
        assert!(parse("fn main() = 18446744069414584320;").is_ok());
    }

    #[test]
    fn reports_missing_semicolon_and_garbage() {
        assert!(parse("fn main() = 1").is_err());
        assert!(parse("fn main() = 1 $ 2;").is_err());
        assert!(parse("fn main(x: int) = 1;").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("fn main() = {}1{};", "(".repeat(5000), ")".repeat(5000));
        let e = parse(&src).expect_err("too deep");
        assert!(e.message.contains("nested deeper than"), "{e}");
        let negs = format!("fn main(x) = {}x;", "-".repeat(100_000));
        let e = parse(&negs).expect_err("too deep");
        assert_eq!(
            e.message,
            format!("expression nested deeper than {MAX_EXPR_DEPTH} levels")
        );
        assert_eq!(e.span.end, negs.len() - 1, "the span covers the culprit");
        let lets: String = (0..MAX_EXPR_DEPTH + 1)
            .map(|i| format!("let a{i} = x in "))
            .collect();
        assert!(parse(&format!("fn main(x) = {lets}x;")).is_err());
    }

    /// Depth of a tree (iteratively).
    fn depth(e: &Expr) -> usize {
        let mut best = 0;
        let mut todo = vec![(e, 1)];
        while let Some((e, d)) = todo.pop() {
            best = best.max(d);
            match &e.kind {
                ExprKind::Number(_) | ExprKind::Var(_) => {}
                ExprKind::Neg(a) | ExprKind::Pow(a, _) | ExprKind::Proj(a, _) => {
                    todo.push((a, d + 1))
                }
                ExprKind::Binary(_, a, b) | ExprKind::Let(_, a, b) => {
                    todo.push((a, d + 1));
                    todo.push((b, d + 1));
                }
                ExprKind::Call(_, args) => todo.extend(args.iter().map(|a| (a, d + 1))),
            }
        }
        best
    }

    #[test]
    fn long_chains_and_let_sequences_parse_shallow_or_iteratively() {
        // 100 000 operands: a balanced tree, about log2(n) deep.
        let chain = format!("fn main(x) = x{};", " + x - 2 * x * x".repeat(50_000));
        let p = parse(&chain).expect("parses");
        assert!(
            depth(&p.items[0].body) <= 2 * 20,
            "depth {}",
            depth(&p.items[0].body)
        );
        // 20 000 nested lets (as unrolled code writes them) and 20 000 unary minuses.
        let lets: String = (0..20_000)
            .map(|i| format!("let a{} = a{i} + 1 in ", i + 1))
            .collect();
        let p = parse(&format!("fn main(a0) = {lets}a20000;")).expect("parses");
        assert_eq!(depth(&p.items[0].body), 20_002);
        assert!(parse(&format!("fn main(x) = {}x;", "-".repeat(20_000))).is_ok());
    }

    /// Evaluates a chain of `+`, `-`, `*` over small integers (wrapping i128 is exact here).
    fn eval(e: &Expr) -> i128 {
        match &e.kind {
            ExprKind::Number(v) => *v as i128,
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (eval(a), eval(b));
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                }
            }
            _ => unreachable!("only arithmetic in this test"),
        }
    }

    #[test]
    fn balanced_chains_keep_values_and_operand_order() {
        let mut r = resvm_field::SplitMix64::new(7);
        for _ in 0..50 {
            let n = 1 + r.below(300) as usize;
            let mut src = String::from("fn main() = ");
            let mut want: i128 = 0;
            let mut term: i128 = 0;
            let mut sign = 1;
            for i in 0..n {
                let v = r.below(5) as i128;
                let op = r.below(3);
                if i > 0 {
                    src.push_str([" + ", " - ", " * "][op as usize]);
                }
                if i == 0 || op != 2 {
                    want += sign * term;
                    sign = if i > 0 && op == 1 { -1 } else { 1 };
                    term = v;
                } else {
                    term *= v;
                }
                src.push_str(&v.to_string());
            }
            want += sign * term;
            src.push(';');
            let p = parse(&src).expect("parses");
            assert_eq!(eval(&p.items[0].body), want, "{src}");
            // Operands keep their source order (left to right).
            let mut leaves = Vec::new();
            let mut todo = vec![&p.items[0].body];
            while let Some(e) = todo.pop() {
                match &e.kind {
                    ExprKind::Binary(_, a, b) => {
                        todo.push(b);
                        todo.push(a);
                    }
                    _ => leaves.push(e.span.start),
                }
            }
            assert!(leaves.windows(2).all(|w| w[0] < w[1]), "{src}");
        }
    }

    #[test]
    fn recovers_and_reports_every_item() {
        let src = "fn f(x) = x +;\nfn g(x) = $ x;\nfn h(x) = x\nfn main(x) = x;";
        let ds = parse_all(src).expect_err("three errors");
        assert_eq!(ds.len(), 3, "{ds:?}");
        assert!(
            ds[0].message.starts_with("expected an expression"),
            "{ds:?}"
        );
        assert!(ds[1].message.starts_with("unexpected character"), "{ds:?}");
        // The missing `;` is reported right after `fn h(x) = x`, not at the next `fn`.
        assert!(
            ds[2]
                .message
                .starts_with("expected `;` to end the function `h`"),
            "{ds:?}"
        );
        let at = src.find("x\nfn main").unwrap() + 1;
        assert_eq!(ds[2].span, Span::new(at, at));
        let d = &ds[2];
        assert_eq!(d.line_col(src), (3, 12));
    }

    #[test]
    fn accepts_a_byte_order_mark() {
        assert!(parse("\u{FEFF}fn main(x) = x;").is_ok());
        assert!(
            parse("fn main(x) = \u{FEFF}x;").is_err(),
            "only at the start of the file"
        );
    }
}
