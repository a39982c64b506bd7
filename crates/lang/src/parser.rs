//! Recursive-descent parser for the grammar in `docs/language.md`.

use crate::ast::*;
use crate::diagnostic::{Diagnostic, Span};
use crate::lexer::{lex, Tok};
use resvm_field::P;

/// Deepest expression tree accepted (a long `a + b + ...` chain is a deep tree). Later passes
/// recurse over the tree on a stack grown on demand; the bound keeps the (recursive) drop of
/// the tree and the memory use of every stage small.
pub const MAX_EXPR_DEPTH: usize = 8192;

/// Deepest syntactic nesting (parentheses, `let`, calls, runs of unary `-`) accepted: the
/// descent itself recurses several frames per level.
pub const MAX_NESTING: usize = 200;

/// Parses a source file.
pub fn parse(src: &str) -> Result<Program, Diagnostic> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        nest: 0,
    };
    let mut items = Vec::new();
    while p.peek() != &Tok::Eof {
        items.push(p.item()?);
    }
    Ok(Program { items })
}

struct Parser {
    toks: Vec<(Tok, Span)>,
    pos: usize,
    /// Current recursion depth of the descent itself (bounded like the tree).
    nest: usize,
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
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
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
        let end = self.expect(Tok::Semi, "to end the function")?;
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
            let t = self.ident("for the parameter type (`p` or `prog`)")?;
            let ann = match t.name.as_str() {
                "p" => TypeAnn::P,
                "prog" => TypeAnn::Prog,
                other => {
                    return Err(Diagnostic::new(
                        t.span,
                        format!("unknown type `{other}`: expected `p` or `prog`"),
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

    fn expr(&mut self) -> Result<Parsed, Diagnostic> {
        self.expr_guarded(|p| p.expr_inner())
    }

    fn expr_inner(&mut self) -> Result<Parsed, Diagnostic> {
        if *self.peek() == Tok::Let {
            let start = self.bump().1;
            let name = self.ident("after `let`")?;
            self.expect(Tok::Eq, "after the `let` name")?;
            let (value, d1) = self.expr()?;
            self.expect(Tok::In, "after the `let` value")?;
            let (body, d2) = self.expr()?;
            let span = start.to(body.span);
            return Self::node(
                ExprKind::Let(name, Box::new(value), Box::new(body)),
                span,
                1 + d1.max(d2),
            );
        }
        self.additive()
    }

    fn expr_guarded(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<Parsed, Diagnostic>,
    ) -> Result<Parsed, Diagnostic> {
        self.nest += 1;
        let r = if self.nest > MAX_NESTING {
            Err(Diagnostic::new(
                self.span(),
                format!("expressions nested deeper than {MAX_NESTING} levels"),
            ))
        } else {
            f(self)
        };
        self.nest -= 1;
        r
    }

    fn additive(&mut self) -> Result<Parsed, Diagnostic> {
        let (mut lhs, mut depth) = self.mult()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok((lhs, depth)),
            };
            self.bump();
            let (rhs, d) = self.mult()?;
            let span = lhs.span.to(rhs.span);
            (lhs, depth) = Self::node(
                ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
                1 + depth.max(d),
            )?;
        }
    }

    fn mult(&mut self) -> Result<Parsed, Diagnostic> {
        let (mut lhs, mut depth) = self.unary()?;
        while *self.peek() == Tok::Star {
            self.bump();
            let (rhs, d) = self.unary()?;
            let span = lhs.span.to(rhs.span);
            (lhs, depth) = Self::node(
                ExprKind::Binary(BinOp::Mul, Box::new(lhs), Box::new(rhs)),
                span,
                1 + depth.max(d),
            )?;
        }
        Ok((lhs, depth))
    }

    fn unary(&mut self) -> Result<Parsed, Diagnostic> {
        if *self.peek() == Tok::Minus {
            let start = self.bump().1;
            // A run of `-` recurses here without passing through `expr`: bound it too.
            let (e, d) = self.expr_guarded(|p| p.unary())?;
            let span = start.to(e.span);
            return Self::node(ExprKind::Neg(Box::new(e)), span, d + 1);
        }
        self.power()
    }

    fn power(&mut self) -> Result<Parsed, Diagnostic> {
        let (base, d) = self.primary()?;
        if *self.peek() == Tok::Caret {
            self.bump();
            let (k, kspan) = self.number("as the exponent")?;
            let span = base.span.to(kspan);
            return Self::node(ExprKind::Pow(Box::new(base), k), span, d + 1);
        }
        Ok((base, d))
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
                Self::node(e.kind, e.span, d + 1)
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
        assert!(parse(&src).is_err());
        let chain = format!("fn main(x) = x{};", " + x".repeat(10_000));
        assert!(parse(&chain).is_err());
        let negs = format!("fn main(x) = {}x;", "-".repeat(100_000));
        assert!(parse(&negs).is_err());
    }
}
