//! The compiler uses factoring only where it pays: on the factoring benchmark polynomials
//! (written as programs), the chosen circuit never has more arithmetic than the expanded
//! form, products with repeated factors get strictly cheaper, and the compiled code computes
//! the same values as the polynomial.

use resvm::{Engine, Limits, F};
use resvm_field::canonical;

#[test]
fn factoring_never_costs_more_and_preserves_values() {
    let mut strictly_cheaper = 0;
    for case in resvm_poly::bench::cases() {
        let params = case.names.join(", ");
        let src = format!(
            "fn main({params}) = {};",
            case.poly.to_string_with(&case.names)
        );
        let c = resvm::compile(&src).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let s = c.circuit.stats;
        let (em, ea) = s.expanded;
        let (cm, ca) = s.chosen;
        assert!(
            cm + ca <= em + ea,
            "{}: chosen {cm}+{ca} > expanded {em}+{ea}",
            case.name
        );
        if cm + ca < em + ea {
            strictly_cheaper += 1;
        }
        for seed in 0..3u64 {
            let point: Vec<F> = (0..case.names.len())
                .map(|i| {
                    resvm_field::from_u64(
                        seed.wrapping_mul(0x9E37_79B9)
                            .wrapping_add(i as u64 * 7919 + 3),
                    )
                })
                .collect();
            let want = case.poly.eval(&point);
            for e in [Engine::Stack, Engine::Closure] {
                let got = resvm::run(&c, e, &point, &Limits::default()).expect("runs");
                assert_eq!(
                    canonical(got),
                    canonical(want),
                    "{} on {}",
                    case.name,
                    e.name()
                );
            }
        }
    }
    assert!(
        strictly_cheaper > 0,
        "no benchmark polynomial profited from factoring"
    );
}
