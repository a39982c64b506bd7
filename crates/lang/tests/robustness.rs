//! Untrusted source text never panics the front end: every input is either accepted or
//! rejected with a diagnostic whose span lies inside the text.

use proptest::prelude::*;

fn check_total(src: &str) {
    match resvm_lang::compile(src) {
        Ok(_) => {}
        Err(d) => {
            assert!(
                d.span.start <= d.span.end && d.span.end <= src.len(),
                "{d:?} for {src:?}"
            );
            let rendered = d.render("fuzz.rvm", src);
            assert!(rendered.contains("fuzz.rvm:"), "{rendered}");
        }
    }
}

const TOKENS: &[&str] = &[
    "fn",
    "main",
    "f",
    "x",
    "y",
    "let",
    "in",
    "secret",
    ":",
    "p",
    "prog",
    "(",
    ")",
    ",",
    "=",
    ";",
    "+",
    "-",
    "*",
    "^",
    "0",
    "1",
    "18446744069414584320",
    "18446744069414584321",
    "lt",
    "branch",
    "repr",
    "reflect",
    "eval",
    "//",
    "\n",
    " ",
    "é",
    "$",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(src in ".{0,200}") {
        check_total(&src);
    }

    #[test]
    fn token_soup_never_panics(toks in proptest::collection::vec(0..TOKENS.len(), 0..80)) {
        let src: String = toks.iter().map(|&i| TOKENS[i]).collect::<Vec<_>>().join(" ");
        check_total(&src);
    }
}
