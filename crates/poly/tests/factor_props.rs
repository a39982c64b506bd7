#![allow(clippy::manual_is_multiple_of)] // `is_multiple_of` needs Rust 1.87 (rust-version is 1.85)
//! Property tests: random products of *provably* irreducible factors are factored back
//! into exactly the same multiset; every factorization multiplies back.
//!
//! Irreducible by construction: `a * x_i + b` where `a` is a linear polynomial in the
//! other variables (irreducible) and `a` does not divide `b` (any factorization would need
//! a factor free of x_i dividing both `a` and `b`); and linear polynomials.

use p3_field::PrimeCharacteristicRing;
use proptest::prelude::*;
use resvm_poly::{factor_order, FactorError, Limits, Poly, F};

fn coeff() -> impl Strategy<Value = F> {
    any::<u64>().prop_map(F::from_u64)
}

/// A random linear polynomial in `vars` (nonconstant).
fn linear(n: usize, vars: &[usize], cs: &[F], c0: F) -> Poly {
    let mut terms = vec![(vec![0; n], c0)];
    for (k, &v) in vars.iter().enumerate() {
        let mut e = vec![0; n];
        e[v] = 1;
        terms.push((e, if cs[k] == F::ZERO { F::ONE } else { cs[k] }));
    }
    Poly::from_terms(n, terms)
}

/// An irreducible polynomial from a seed: `a * x_i + b` with `a` linear in the others.
fn irreducible(n: usize, seed: &[u64]) -> Poly {
    let cs: Vec<F> = seed.iter().map(|&s| F::from_u64(s)).collect();
    let i = (seed[0] % n as u64) as usize;
    let others: Vec<usize> = (0..n).filter(|&v| v != i && seed[1 + v] % 3 > 0).collect();
    let xi = Poly::var(n, i);
    if others.is_empty() {
        return linear(n, &[i], &cs[2..], cs[1]);
    }
    let a = linear(n, &others, &cs[2..], cs[1]);
    // b: a random polynomial of degree <= 2 in the other variables plus x_i^2 terms.
    let mut terms = Vec::new();
    for (k, &s) in seed[6..].iter().enumerate() {
        let mut e = vec![0u32; n];
        e[others[k % others.len()]] = (s % 3) as u32;
        e[i] = ((s >> 8) % 2) as u32 * 2 * ((k % 2) as u32);
        terms.push((e, F::from_u64(s >> 3)));
    }
    let b = Poly::from_terms(n, terms);
    if b.div_exact(&a).is_some() {
        return &(&a * &xi) + &Poly::constant(n, F::ONE);
    }
    &(&a * &xi) + &b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn recovers_known_irreducible_multiset(
        n in 1usize..=4,
        seeds in prop::collection::vec((prop::collection::vec(any::<u64>(), 10), 1u32..=2), 1..=3),
        unit in coeff(),
    ) {
        let unit = if unit == F::ZERO { F::ONE } else { unit };
        let mut p = Poly::constant(n, unit);
        let mut expected: Vec<(Poly, u32)> = Vec::new();
        for (s, e) in &seeds {
            let f = irreducible(n, s).make_monic().1;
            for _ in 0..*e {
                p = &p * &f;
            }
            match expected.iter_mut().find(|(g, _)| *g == f) {
                Some(slot) => slot.1 += e,
                None => expected.push((f, *e)),
            }
        }
        prop_assume!(p.num_terms() <= 1000); // stay inside the default limits, keep it quick
        let fz = p.factor_with(&Limits::default()).expect("within limits");
        prop_assert_eq!(fz.expand(), p.clone());
        prop_assert_eq!(fz.unit, unit);
        expected.sort_by(factor_order);
        prop_assert_eq!(fz.factors.clone(), expected);
    }

    #[test]
    fn any_product_multiplies_back(
        n in 1usize..=3,
        terms in prop::collection::vec((prop::collection::vec(0u32..3, 3), coeff()), 1..8),
        terms2 in prop::collection::vec((prop::collection::vec(0u32..3, 3), coeff()), 1..8),
    ) {
        let mk = |t: &Vec<(Vec<u32>, F)>| Poly::from_terms(n, t.iter().map(|(e, c)| (e[..n].to_vec(), *c)).collect());
        let a = mk(&terms);
        let b = mk(&terms2);
        let p = &(&a * &b) * &a;
        let fz = p.factor();
        prop_assert_eq!(fz.expand_in(n), p.clone());
        for (f, _) in &fz.factors {
            prop_assert_eq!(f.leading_coeff(), F::ONE);
            prop_assert!(f.as_constant().is_none());
            // Re-factoring an irreducible factor gives itself.
            let again = f.factor();
            prop_assert_eq!(again.factors.len(), 1);
            prop_assert_eq!(&again.factors[0], &(f.clone(), 1));
        }
    }
}

#[test]
fn limits_are_enforced() {
    let x = Poly::var(2, 0);
    let y = Poly::var(2, 1);
    let p = (&x + &y).checked_pow(70, 1000).expect("small");
    let err = p.factor_with(&Limits::default()).unwrap_err();
    assert!(matches!(
        err,
        FactorError::TooLarge {
            what: "total degree",
            ..
        }
    ));
    let small = Limits {
        max_terms: 3,
        ..Limits::default()
    };
    let q = (&x + &y).checked_pow(3, 100).expect("small");
    assert!(matches!(
        q.factor_with(&small),
        Err(FactorError::TooLarge { .. })
    ));
    // factor() keeps the unfactored polynomial when refused.
    let fz = p.factor();
    assert_eq!(fz.factors, vec![(p.clone(), 1)]);
    let nine = Poly::var(9, 8);
    let wide = (0..9).fold(Poly::zero(9), |acc, i| &acc + &Poly::var(9, i)) * nine;
    assert!(matches!(
        wide.factor_with(&Limits::default()),
        Err(FactorError::TooLarge {
            what: "number of variables",
            ..
        })
    ));
}

#[test]
fn special_cases() {
    let names = ["a", "b", "c"];
    assert_eq!(Poly::zero(3).factor().to_string_with(&names), "0");
    assert_eq!(
        Poly::constant(3, F::from_u64(5))
            .factor()
            .to_string_with(&names),
        "5"
    );
    let a = Poly::var(3, 0);
    let b = Poly::var(3, 1);
    let c = Poly::var(3, 2);
    let m = &(&(&a * &a) * &a) * &(&b * &c);
    assert_eq!(m.factor().to_string_with(&names), "(c) * (b) * (a)^3");
    // The example.
    let p = (&(&(&a - &b) * &(&a - &b)) * &(&(&(&a * &b) + &c) + &Poly::constant(3, F::ONE)))
        .scale(F::from_u64(3));
    assert_eq!(
        p.factor().to_string_with(&names),
        "3 * (a + 18446744069414584320*b)^2 * (a*b + c + 1)"
    );
    // Irreducible, but its image at the origin (z = 0) splits: the lift from the origin
    // must fail and a random point must be used.
    let one = Poly::constant(3, F::ONE);
    let h = &(&(&a + &b) * &(&(&a - &b) + &one)) + &c;
    let fz = h.factor();
    assert_eq!(fz.factors, vec![(h.clone(), 1)]);
    let h2 = &h * &(&(&a * &c) + &b);
    let fz = h2.factor();
    assert_eq!(fz.factors.len(), 2);
    assert_eq!(fz.expand(), h2);
    // Factors that each miss one variable: the (x, y) image of the first factor is
    // univariate and may split, in which case only sheared (random-line) images succeed.
    let k = |v: u64| Poly::constant(3, F::from_u64(v));
    let f1 = &(&(&a.checked_pow(4, 9).expect("small") + &(&c * &(&a * &a))) + &a) + &k(3);
    let f2 = &(&a + &b) + &k(5);
    let f3 = &(&(&a * &b.checked_pow(3, 9).expect("small")) * &c.checked_pow(3, 9).expect("small"))
        + &k(7);
    let p = &(&f1 * &f2) * &(&f3 * &f3);
    let fz = p.factor_with(&Default::default()).expect("factors");
    assert_eq!(fz.expand(), p);
    assert_eq!(fz.factors.len(), 3, "{}", fz.to_string_with(&names));
    // x^p-free high-degree univariate: x^64 - 1 splits into linear factors (64 | p - 1).
    let x = Poly::var(1, 0);
    let q = &x.checked_pow(64, 10).expect("monomial") - &Poly::constant(1, F::ONE);
    let fz = q.factor();
    assert_eq!(fz.factors.len(), 64);
    assert!(fz
        .factors
        .iter()
        .all(|(f, e)| f.total_degree() == Some(1) && *e == 1));
}
