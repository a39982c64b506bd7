//! Basic type, ordering, arithmetic and printing tests.

use p3_field::PrimeCharacteristicRing;
use resvm_poly::{Poly, F};

fn f(v: u64) -> F {
    F::from_u64(v)
}

fn xyz() -> (Poly, Poly, Poly) {
    (Poly::var(3, 0), Poly::var(3, 1), Poly::var(3, 2))
}

#[test]
fn printing_matches_flint_examples() {
    let names = ["x", "y", "z"];
    let (x, y, z) = xyz();
    let c = |v: u64| Poly::constant(3, f(v));
    let p = &(&(&x * &x) * &y) - &y + c(5);
    assert_eq!(
        p.to_string_with(&names),
        "x^2*y + 18446744069414584320*y + 5"
    );
    assert_eq!(Poly::zero(3).to_string_with(&names), "0");
    assert_eq!((-c(1)).to_string_with(&names), "18446744069414584320");
    let q = &(&x * &z) + &(&y * &y) + &(&y * &z) + &(&z * &z) + x.clone();
    assert_eq!(q.to_string_with(&names), "x*z + y^2 + y*z + z^2 + x");
    let r = (&x * &y * &z * &z).scale(f(3));
    assert_eq!(r.to_string_with(&names), "3*x*y*z^2");
}

#[test]
fn arithmetic_basics() {
    let (x, y, _) = xyz();
    let a = &x + &y;
    let b = &x - &y;
    let prod = &a * &b;
    assert_eq!(prod, &(&x * &x) - &(&y * &y));
    assert_eq!(prod.div_exact(&a), Some(b.clone()));
    assert_eq!((&prod + &Poly::constant(3, F::ONE)).div_exact(&a), None);
    assert_eq!(a.checked_pow(3, 100), Some(&(&a * &a) * &a));
    assert_eq!(a.checked_pow(3, 3), None);
    // A dense base far below the term limit whose square would pair more terms than one
    // multiplication may (a random program once made the factorizer ask for 195 GB): refused
    // before the work, sparse or dense.
    let dense = Poly::from_terms(1, (0..5000u32).map(|e| (vec![e], F::ONE)).collect());
    const { assert!(5000 * 5000 > resvm_poly::MAX_PRODUCT_PAIRS) };
    assert_eq!(dense.checked_pow(2, 200_000), None);
    let small = Poly::from_terms(1, (0..2000u32).map(|e| (vec![e], F::ONE)).collect());
    assert_eq!(small.checked_pow(2, 200_000), Some(&small * &small));
    let sparse = resvm_poly::SparsePoly::from_dense(&dense, &[0]);
    assert_eq!(sparse.checked_pow(2, 200_000), None);
    assert_eq!(prod.total_degree(), Some(2));
    assert_eq!(Poly::zero(2).total_degree(), None);
    assert_eq!(prod.eval(&[f(3), f(2), f(0)]), f(5));
    let big = Poly::from_terms(1, vec![(vec![u32::MAX], F::ONE)]);
    assert_eq!(big.checked_mul(&Poly::var(1, 0)), None);
    // Exponent ranges too wide to pack into 64 bits use the fallback division.
    let w = Poly::from_terms(
        3,
        vec![
            (vec![1 << 30, 1 << 30, 1 << 30], f(2)),
            (vec![0, 0, 0], f(1)),
        ],
    );
    let w2 = &w * &(&x + &y);
    assert_eq!(w2.div_exact(&w), Some(&x + &y));
    assert_eq!(w2.div_exact(&(&(&x + &y) + &Poly::var(3, 2))), None);
    let (lc, m) = prod.scale(f(7)).make_monic();
    assert_eq!((lc, m), (f(7), prod.clone()));
    let t = Poly::from_terms(
        2,
        vec![(vec![1, 0], f(2)), (vec![0, 0], f(1)), (vec![1, 0], -f(2))],
    );
    assert_eq!(t, Poly::constant(2, F::ONE));
    assert_eq!(t.as_constant(), Some(F::ONE));
}
