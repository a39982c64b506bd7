//! Hiding Merkle commitments with one salt per leaf of the tallest height instead of one per
//! matrix.
//!
//! A Merkle tree over several matrices hashes the rows of all matrices of the greatest height
//! into one leaf digest; the rows of a shorter matrix are hashed and injected at the level of
//! its height, `node = C(C(left, right), H(rows))`. Plonky3's `MerkleTreeHidingMmcs` widens
//! *every* matrix by its own salt columns, so a commitment to 12 quotient chunks of three
//! heights opens 12 salts per query. [`LeafSaltedMmcs`] salts only the first matrix of the
//! greatest height (in commitment order), which is enough to hide every digest a proof
//! reveals:
//! - a leaf digest absorbs [`SALT`](super::SALT) fresh uniform elements;
//! - every node above the leaves, injected or not, is a hash over its subtree's leaf digests,
//!   so it too depends on salts the verifier never sees, unless the node lies on an opened
//!   path; and on an opened path the injected rows are opened rows anyway.
//!
//! So a digest is never the bare hash of an unopened row, salted or not. The verifier derives
//! which matrix carries the salt from the dimensions alone, so a proof cannot move values
//! between a row and a salt.

use super::digest::DIGEST_BYTES;
use super::{Compress, FieldHash, MerkleHash, SALT};
use crate::air::Val;
use p3_commit::{BatchOpening, BatchOpeningRef, Mmcs};
use p3_matrix::stack::HorizontalPair;
use p3_matrix::{Dimensions, Matrix};
use p3_merkle_tree::{MerkleTree, MerkleTreeError, MerkleTreeMmcs};
use rand::distr::{Distribution, StandardUniform};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::borrow::Cow;
use std::ops::Deref;
use std::sync::Mutex;

/// The salt columns beside one committed matrix: [`SALT`] uniform elements per row for the
/// first matrix of the tree's greatest height, none for the others. Its height is stored
/// rather than derived from its values, so an empty one still has the height of the matrix it
/// pairs with:
/// Plonky3's one-lane hashing path (a `blake3` built without SIMD) reads rows modulo the
/// height, and a `RowMajorMatrix` of width 0 reports height 0.
#[derive(Clone, Debug)]
pub struct SaltColumns {
    values: Vec<Val>,
    width: usize,
    height: usize,
}

impl SaltColumns {
    fn random(rng: &mut StdRng, height: usize) -> Self {
        Self {
            values: (0..height * SALT)
                .map(|_| StandardUniform.sample(rng))
                .collect(),
            width: SALT,
            height,
        }
    }

    fn none(height: usize) -> Self {
        Self {
            values: Vec::new(),
            width: 0,
            height,
        }
    }
}

impl Matrix<Val> for SaltColumns {
    fn width(&self) -> usize {
        self.width
    }

    fn height(&self) -> usize {
        self.height
    }

    unsafe fn get_unchecked(&self, r: usize, c: usize) -> Val {
        self.values[r * self.width + c]
    }

    unsafe fn row_subseq_unchecked(
        &self,
        r: usize,
        start: usize,
        end: usize,
    ) -> impl IntoIterator<Item = Val, IntoIter = impl Iterator<Item = Val> + Send + Sync> {
        self.values[r * self.width + start..r * self.width + end]
            .iter()
            .copied()
    }

    unsafe fn row_subslice_unchecked(
        &self,
        r: usize,
        start: usize,
        end: usize,
    ) -> impl Deref<Target = [Val]> {
        &self.values[r * self.width + start..r * self.width + end]
    }
}

/// A committed matrix with its salt columns.
type Salted<M> = HorizontalPair<M, SaltColumns>;

/// The Merkle tree under the salts: binary, [`DIGEST_BYTES`]-byte digests.
type Inner = MerkleTreeMmcs<Val, u8, FieldHash, Compress, 2, DIGEST_BYTES>;

/// Which of the matrices of these heights carries the tree's salt: the first one of the
/// greatest height, in order (module docs: every digest the tree reveals lies above a salted
/// leaf).
fn salted(heights: impl IntoIterator<Item = usize>) -> Vec<bool> {
    let heights: Vec<usize> = heights.into_iter().collect();
    let first_tallest = heights
        .iter()
        .enumerate()
        .max_by_key(|&(i, &h)| (h, core::cmp::Reverse(i)))
        .map(|(i, _)| i);
    (0..heights.len())
        .map(|i| Some(i) == first_tallest)
        .collect()
}

/// Appends each salt to the opened row of its matrix, after checking every row's width
/// against its dimensions and the salts' count and lengths against the salted matrices.
/// Unsalted rows are borrowed, not copied. `flags` is [`salted`] of the dimensions' heights.
fn salt_rows<'a, Row: AsRef<[Val]>>(
    dimensions: &[Dimensions],
    flags: &[bool],
    rows: &'a [Row],
    salts: &[Vec<Val>],
) -> Result<Vec<Cow<'a, [Val]>>, MerkleTreeError> {
    if rows.len() != dimensions.len() {
        return Err(MerkleTreeError::WrongBatchSize {
            expected: dimensions.len(),
            got: rows.len(),
        });
    }
    let expected = flags.iter().filter(|&&s| s).count();
    if salts.len() != expected {
        return Err(MerkleTreeError::WrongBatchSize {
            expected,
            got: salts.len(),
        });
    }
    let mut salts = salts.iter();
    let mut out = Vec::with_capacity(rows.len());
    for (matrix, ((row, dims), is_salted)) in rows.iter().zip(dimensions).zip(flags).enumerate() {
        let is_salted = *is_salted;
        let row = row.as_ref();
        if row.len() != dims.width {
            return Err(MerkleTreeError::WrongWidth {
                matrix,
                expected: dims.width,
                got: row.len(),
            });
        }
        if is_salted {
            let salt = salts.next().expect("salts counted above");
            if salt.len() != SALT {
                return Err(MerkleTreeError::WrongWidth {
                    matrix,
                    expected: dims.width + SALT,
                    got: row.len() + salt.len(),
                });
            }
            out.push(Cow::Owned([row, salt].concat()));
        } else {
            out.push(Cow::Borrowed(row));
        }
    }
    Ok(out)
}

/// The inner tree's dimensions: salted matrices (`flags`) are `SALT` columns wider.
fn salted_dimensions(dimensions: &[Dimensions], flags: &[bool]) -> Vec<Dimensions> {
    dimensions
        .iter()
        .zip(flags)
        .map(|(d, &s)| Dimensions {
            width: d.width + if s { SALT } else { 0 },
            height: d.height,
        })
        .collect()
}

/// Splits opened full rows into the rows and the salts of the salted ones.
fn unsalt(rows: Vec<Vec<Val>>, salt_widths: &[usize]) -> (Vec<Vec<Val>>, Vec<Vec<Val>>) {
    let mut salts = Vec::new();
    let rows = rows
        .into_iter()
        .zip(salt_widths)
        .map(|(mut row, &w)| {
            if w > 0 {
                salts.push(row.split_off(row.len() - w));
            }
            row
        })
        .collect();
    (rows, salts)
}

/// Salt widths of the committed matrices, read off the prover data.
fn salt_widths<M: Matrix<Val>>(
    inner: &Inner,
    tree: &MerkleTree<Val, u8, Salted<M>, 2, DIGEST_BYTES>,
) -> Vec<usize> {
    inner
        .get_matrices(tree)
        .iter()
        .map(|m| m.right.width())
        .collect()
}

/// The hiding Merkle MMCS of every resvm proof: BLAKE3 trees whose leaves of the greatest
/// height carry one salt each (module docs).
pub struct LeafSaltedMmcs {
    inner: Inner,
    rng: Mutex<StdRng>,
}

impl LeafSaltedMmcs {
    /// A tree with a `2^cap_height`-digest cap whose salts `rng` draws.
    pub fn new(cap_height: usize, rng: StdRng) -> Self {
        Self {
            inner: Inner::new(
                FieldHash::new(MerkleHash::default()),
                Compress::new(MerkleHash::default()),
                cap_height,
            ),
            rng: Mutex::new(rng),
        }
    }
}

/// A clone draws a fresh salt stream from this one's: FRI's extension MMCS holds a clone, and
/// two commitments must never share salts.
impl Clone for LeafSaltedMmcs {
    fn clone(&self) -> Self {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        Self {
            inner: self.inner.clone(),
            rng: Mutex::new(StdRng::from_rng(&mut *rng)),
        }
    }
}

impl Mmcs<Val> for LeafSaltedMmcs {
    type ProverData<M> = MerkleTree<Val, u8, Salted<M>, 2, DIGEST_BYTES>;
    type Commitment = <Inner as Mmcs<Val>>::Commitment;
    /// The salts of the salted matrices, in matrix order; the sibling digests.
    type Proof = (Vec<Vec<Val>>, <Inner as Mmcs<Val>>::Proof);
    /// Per query, the salts of the salted matrices; the pruned multiproof.
    type MultiProof = (Vec<Vec<Vec<Val>>>, <Inner as Mmcs<Val>>::MultiProof);
    type Error = MerkleTreeError;

    fn commit<M: Matrix<Val>>(&self, inputs: Vec<M>) -> (Self::Commitment, Self::ProverData<M>) {
        let flags = salted(inputs.iter().map(|m| m.height()));
        let salted_inputs = {
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            inputs
                .into_iter()
                .zip(flags)
                .map(|(mat, s)| {
                    let height = mat.height();
                    let salt = if s {
                        SaltColumns::random(&mut rng, height)
                    } else {
                        SaltColumns::none(height)
                    };
                    HorizontalPair::new(mat, salt)
                })
                .collect()
        };
        self.inner.commit(salted_inputs)
    }

    fn open_batch<M: Matrix<Val>>(
        &self,
        index: usize,
        prover_data: &Self::ProverData<M>,
    ) -> BatchOpening<Val, Self> {
        let (rows, siblings) = self.inner.open_batch(index, prover_data).unpack();
        let (rows, salts) = unsalt(rows, &salt_widths(&self.inner, prover_data));
        BatchOpening::new(rows, (salts, siblings))
    }

    fn get_matrices<'a, M: Matrix<Val>>(&self, prover_data: &'a Self::ProverData<M>) -> Vec<&'a M> {
        self.inner
            .get_matrices(prover_data)
            .into_iter()
            .map(|m| &m.left)
            .collect()
    }

    fn verify_batch(
        &self,
        commit: &Self::Commitment,
        dimensions: &[Dimensions],
        index: usize,
        batch_opening: BatchOpeningRef<'_, Val, Self>,
    ) -> Result<(), Self::Error> {
        let (rows, (salts, siblings)) = batch_opening.unpack();
        let flags = salted(dimensions.iter().map(|d| d.height));
        let full: Vec<Vec<Val>> = salt_rows(dimensions, &flags, rows, salts)?
            .into_iter()
            .map(Cow::into_owned)
            .collect();
        self.inner.verify_batch(
            commit,
            &salted_dimensions(dimensions, &flags),
            index,
            BatchOpeningRef::new(&full, siblings),
        )
    }

    fn open_multi_batch<M: Matrix<Val>>(
        &self,
        indices: &[usize],
        prover_data: &Self::ProverData<M>,
    ) -> (Vec<Vec<Vec<Val>>>, Self::MultiProof) {
        let (rows, pruned) = self.inner.open_multi_batch(indices, prover_data);
        let widths = salt_widths(&self.inner, prover_data);
        let (rows, salts) = rows.into_iter().map(|query| unsalt(query, &widths)).unzip();
        (rows, (salts, pruned))
    }

    fn verify_multi_batch<Row: AsRef<[Val]> + PartialEq>(
        &self,
        commit: &Self::Commitment,
        dimensions: &[Dimensions],
        indices: &[usize],
        opened_values: &[Vec<Row>],
        proof: &Self::MultiProof,
    ) -> Result<(), Self::Error> {
        let (salts, pruned) = proof;
        if salts.len() != opened_values.len() {
            return Err(MerkleTreeError::WrongBatchSize {
                expected: opened_values.len(),
                got: salts.len(),
            });
        }
        let flags = salted(dimensions.iter().map(|d| d.height));
        let full = opened_values
            .iter()
            .zip(salts)
            .map(|(rows, salts)| salt_rows(dimensions, &flags, rows, salts))
            .collect::<Result<Vec<_>, _>>()?;
        self.inner.verify_multi_batch(
            commit,
            &salted_dimensions(dimensions, &flags),
            indices,
            &full,
            pruned,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::PrimeCharacteristicRing;
    use p3_matrix::dense::RowMajorMatrix;

    fn mmcs(seed: u64) -> LeafSaltedMmcs {
        LeafSaltedMmcs::new(0, StdRng::seed_from_u64(seed))
    }

    /// Five matrices of three heights, the tallest first and third (one salt, on the first).
    fn matrices() -> Vec<RowMajorMatrix<Val>> {
        [(16, 3), (8, 2), (16, 5), (4, 1), (8, 4)]
            .iter()
            .enumerate()
            .map(|(m, &(height, width))| {
                let values = (0..height * width)
                    .map(|i| Val::from_u64((m * 1000 + i) as u64))
                    .collect();
                RowMajorMatrix::new(values, width)
            })
            .collect()
    }

    fn dims(ms: &[RowMajorMatrix<Val>]) -> Vec<Dimensions> {
        ms.iter().map(|m| m.dimensions()).collect()
    }

    #[test]
    fn one_salt_per_height_opens_and_verifies() {
        let m = mmcs(1);
        let ms = matrices();
        let d = dims(&ms);
        let (commit, data) = m.commit(ms.clone());
        for index in [0, 5, 15] {
            let opening = m.open_batch(index, &data);
            let (rows, (salts, _)) = opening.clone().unpack();
            assert_eq!(salts.len(), 1, "three heights, one salt");
            assert!(salts.iter().all(|s| s.len() == SALT));
            for (row, mat) in rows.iter().zip(&ms) {
                let r = index >> (16 / mat.height()).trailing_zeros();
                assert_eq!(*row, mat.row_slice(r).unwrap().to_vec());
            }
            m.verify_batch(&commit, &d, index, (&opening).into())
                .expect("honest opening");
        }
        let indices = [1, 9, 14];
        let (rows, proof) = m.open_multi_batch(&indices, &data);
        assert!(proof.0.iter().all(|q| q.len() == 1));
        m.verify_multi_batch(&commit, &d, &indices, &rows, &proof)
            .expect("honest multi-opening");
    }

    #[test]
    fn tampered_openings_are_rejected() {
        let m = mmcs(2);
        let ms = matrices();
        let d = dims(&ms);
        let (commit, data) = m.commit(ms);
        let (rows, (salts, siblings)) = m.open_batch(7, &data).unpack();
        let check = |rows: &Vec<Vec<Val>>, salts: &Vec<Vec<Val>>| {
            m.verify_batch(
                &commit,
                &d,
                7,
                BatchOpeningRef::new(rows, &(salts.clone(), siblings.clone())),
            )
        };
        assert!(check(&rows, &salts).is_ok());

        let mut s = salts.clone();
        s[0][0] += Val::ONE;
        assert!(check(&rows, &s).is_err(), "a changed salt");

        let mut r = rows.clone();
        r[3][0] += Val::ONE;
        assert!(
            check(&r, &salts).is_err(),
            "a changed value of an unsalted matrix"
        );

        // A salt element moved into the row: widths are pinned by the dimensions.
        let (mut r, mut s) = (rows.clone(), salts.clone());
        let moved = s[0].pop().unwrap();
        r[0].push(moved);
        assert!(matches!(
            check(&r, &s),
            Err(MerkleTreeError::WrongWidth { matrix: 0, .. })
        ));

        // A row value moved into an unsalted matrix's place as a salt.
        let mut s = salts.clone();
        s.push(vec![Val::ZERO; SALT]);
        assert!(matches!(
            check(&rows, &s),
            Err(MerkleTreeError::WrongBatchSize {
                expected: 1,
                got: 2
            })
        ));
        let mut s = salts.clone();
        s.pop();
        assert!(matches!(
            check(&rows, &s),
            Err(MerkleTreeError::WrongBatchSize {
                expected: 1,
                got: 0
            })
        ));
        let mut s = salts.clone();
        s[0].push(Val::ZERO);
        assert!(matches!(
            check(&rows, &s),
            Err(MerkleTreeError::WrongWidth { .. })
        ));
    }

    /// The one salt reaches every digest an opening reveals, those of the levels where the
    /// shorter matrices are injected included: two commitments of the same matrices under
    /// different salts share no sibling digest.
    #[test]
    fn every_revealed_digest_depends_on_the_salt() {
        let ms = matrices();
        for index in [0, 6, 15] {
            let (_, data_a) = mmcs(5).commit(ms.clone());
            let (_, data_b) = mmcs(6).commit(ms.clone());
            let (_, (_, siblings_a)) = mmcs(5).open_batch(index, &data_a).unpack();
            let (_, (_, siblings_b)) = mmcs(6).open_batch(index, &data_b).unpack();
            assert_eq!(siblings_a.len(), 4, "a path through 16 leaves");
            for (level, (a, b)) in siblings_a.iter().zip(&siblings_b).enumerate() {
                assert_ne!(a, b, "index {index}, level {level}");
            }
        }
    }

    #[test]
    fn salts_are_fresh_per_commitment_and_per_clone() {
        let m = mmcs(3);
        let (a, _) = m.commit(matrices());
        let (b, _) = m.commit(matrices());
        let (c, _) = m.clone().commit(matrices());
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(b, c);
        // Same seed, same stream: the salts are all that differ above.
        assert_eq!(mmcs(3).commit(matrices()).0, a);
    }

    /// The one-lane hashing path (a `blake3` without SIMD) packs rows modulo the height: an
    /// unsalted pair must keep its matrix's height and rows.
    #[test]
    fn salt_columns_keep_the_height_of_their_matrix() {
        let ms = matrices();
        let mut rng = StdRng::seed_from_u64(4);
        for (mat, salted) in ms.iter().zip([true, false]) {
            let h = mat.height();
            let salt = if salted {
                SaltColumns::random(&mut rng, h)
            } else {
                SaltColumns::none(h)
            };
            let pair = HorizontalPair::new(mat.clone(), salt);
            assert_eq!(pair.height(), h);
            assert_eq!(pair.width(), mat.width() + if salted { SALT } else { 0 });
            for r in 0..h {
                let row = pair.row_slice(r).unwrap().to_vec();
                assert_eq!(&row[..mat.width()], &*mat.row_slice(r).unwrap());
                let packed: Vec<Val> = pair.vertically_packed_row::<Val>(r).collect();
                assert_eq!(packed, row);
            }
        }
    }

    #[test]
    fn the_first_matrix_of_the_greatest_height_is_salted() {
        assert_eq!(
            salted([16, 8, 16, 4, 8, 8, 2]),
            [true, false, false, false, false, false, false]
        );
        assert_eq!(salted([4, 8, 2, 8]), [false, true, false, false]);
        assert_eq!(salted([8]), [true]);
        assert!(salted([]).is_empty());
    }
}
