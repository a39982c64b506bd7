use p3_field::PrimeCharacteristicRing;
use resvm_poly::{Poly, F};

#[test]
fn smoke() {
    let n = 3;
    let x = Poly::var(n, 0);
    let y = Poly::var(n, 1);
    let z = Poly::var(n, 2);
    let one = Poly::constant(n, F::ONE);
    let names = ["a", "b", "c"];
    let a = &x - &y;
    let b = &(&x * &y) + &z + one.clone();
    let p = (&a * &a * &b).scale(F::from_u64(3));
    let fz = p.factor();
    println!("{}", fz.to_string_with(&names));
    assert_eq!(fz.expand(), p);
    let q = &(&(&x * &x) - &(&y * &y)) + &z;
    println!("{}", q.factor().to_string_with(&names));
    let r = (&(&x * &x) + &(&y * &z) + one.clone()) * (&(&y * &y) + &(&x * &z) + &x) * (&x + &z);
    let fr = r.factor();
    println!("{}", fr.to_string_with(&names));
    assert_eq!(fr.factors.len(), 3);
}
