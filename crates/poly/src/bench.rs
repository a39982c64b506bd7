//! Benchmark set for factorization (filled in below).
