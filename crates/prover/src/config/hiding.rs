//! The hiding PCS of every resvm proof: FRI over salted Merkle trees with Plonky3's
//! randomization of traces and quotient chunks, the randomization polynomials in the main-trace
//! tree as the only masks of the FRI batch, and no random codeword columns.
//!
//! **What hides what.** A proof opens every committed polynomial at the out-of-domain points
//! and at 40 query positions, and FRI shows values and a final polynomial of the batched
//! combination of all of them.
//! - **Traces** (main and LogUp): each of `h` rows becomes `2h` rows on the doubled domain,
//!   the odd ones uniformly random (as Plonky3's `HidingFriPcs` does), so each column is a
//!   polynomial with `h` uniform degrees of freedom. Openings at the query positions and the
//!   out-of-domain points reveal `num_queries + 2·points` values of it, which is at most `h/2`
//!   ([`HidingProverError::HidingBudgetExceeded`] below that; every table is ≥ 256 rows).
//! - **Quotient chunks**: chunk `i` of `d` becomes `q_i + v_i·t_i`, `v_i` the vanishing
//!   polynomial of its domain and `t_i` uniform, the last `t` chosen so that the masks cancel
//!   in the verifier's recombination `Σ_i zps_i(ζ)·q_i(ζ)` (eprint 2024/1037, §4.2): each chunk
//!   alone is a uniform polynomial, their recombination is the quotient.
//! - **FRI**: the batched combination `Σ α^k (p_k(X) − p_k(z))/(X − z)` and everything folded
//!   from it would be linear combinations of the hidden polynomials at points beyond the
//!   openings. Every table's randomization polynomial `R` (below) is a uniform 2-column matrix
//!   on its doubled domain, opened at `ζ` only and read by no constraint: it enters that
//!   combination, at the folding round of its table's height, with two independent
//!   extension-field coefficients (`α^k`, `α^(k+1)`), so the tallest table's `R` makes the
//!   combination, every folded layer and the final polynomial uniform (its `2·2h` uniform
//!   degrees of freedom against a few thousand revealed values), and each shorter `R` does the
//!   same from its own round on. Plonky3's `HidingFriPcs` also appends two random codewords to
//!   every committed matrix; they mask what the `R`s already mask, and cost two columns in
//!   every row of every matrix that every query opens (13 KB of a 165 KB fib 4600 proof).
//! - **Merkle trees**: one salt per leaf of the tallest height (`config::salted_mmcs`), under
//!   every digest a proof reveals.
//!
//! **The randomization polynomials.** With zero knowledge, `p3-batch-stark` asks the PCS for
//! one random polynomial per table (`R`, opened at `ζ`; it masks the DEEP quotient).
//! `HidingFriPcs` committed them as a Merkle tree of their own, which every query opened.
//! [`HidingPcs`] draws them in the first [`commit`](Pcs::commit) of a proof (the main traces;
//! `p3-batch-stark` 0.8 commits them before anything else): one uniform `h × 2` matrix per
//! table, `2h × 2` after hiding; their rows join the main rows of the same height in the same
//! leaves. The randomization "commitment" is the main one: the proof still
//! carries it (25 bytes), and the verifier refuses a proof in which it differs
//! ([`RandomizationNotInMain`](HidingError::RandomizationNotInMain)), then checks the two
//! rounds as one opening of one tree. `R` is committed earlier in the transcript than
//! `HidingFriPcs` would (with the traces, before any challenge), and every challenge that
//! depended on its commitment still does (the transcript absorbs it again where it did).
//!
//! **Side by side.** The quotient chunks of one height, and the randomization polynomials of
//! consecutive tables of one height, are committed as one matrix each (`side_by_side`):
//! FRI's opening pays a pass over every committed matrix's rows, nearly as costly for 2
//! columns as for 8. Each part is opened at `ζ` alone, so FRI batches it with the same powers
//! of its challenge either way; the verifier joins the claims by the same rule.
//!
//! Soundness is FRI's over the committed matrices; the hiding adds rows and matrices no
//! constraint reads.

use super::{Challenge, ChallengeMmcs, Challenger, Dft, ValMmcs};
use crate::air::Val;
use p3_commit::{
    CommitmentOpening, MatrixOpening, OpenedValues, OpeningRequest, Pcs, PeriodicLdeTable,
    PolynomialSpace, UnivariateStarkPcs,
};
use p3_dft::TwoAdicSubgroupDft;
use p3_field::coset::TwoAdicMultiplicativeCoset;
use p3_field::{batch_multiplicative_inverse, BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_fri::{FriProverError, TwoAdicFriPcs};
use p3_matrix::bitrev::BitReversibleMatrix;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_maybe_rayon::prelude::*;
use rand::distr::{Distribution, StandardUniform};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// FRI over the salted trees, without hiding of its own.
pub type Fri = TwoAdicFriPcs<Val, Dft, ValMmcs, ChallengeMmcs>;
type Domain = TwoAdicMultiplicativeCoset<Val>;
type Commitment = <Fri as Pcs<Challenge, Challenger>>::Commitment;
type InnerData = <Fri as Pcs<Challenge, Challenger>>::ProverData;
type InnerProof = <Fri as Pcs<Challenge, Challenger>>::Proof;
type InnerError = <Fri as Pcs<Challenge, Challenger>>::Error;

/// Columns of one table's randomization polynomial: one extension element.
const R_WIDTH: usize = 2;
/// Degree of the challenge field over Goldilocks.
const EXT: usize = 2;
// The randomization polynomial is one extension element: as many independent codewords as
// the extension has coordinates, so the batching coefficients cannot cancel it.
const _: () = assert!(EXT == <Challenge as BasedVectorSpace<Val>>::DIMENSION && R_WIDTH == EXT);

/// A proving failure of [`HidingPcs`].
#[derive(Debug, thiserror::Error)]
pub enum HidingProverError {
    /// FRI cannot fold a committed input.
    #[error(transparent)]
    Fri(#[from] FriProverError),
    /// A matrix is too short for its random rows to hide what the proof opens of it.
    #[error(
        "insufficient hiding budget: {mask_height} random rows for {num_queries} queries and {points} opening points"
    )]
    HidingBudgetExceeded {
        /// Random rows of the matrix (half its hidden height).
        mask_height: usize,
        /// FRI queries.
        num_queries: usize,
        /// Points the matrix is opened at.
        points: usize,
    },
}

/// A verification failure of [`HidingPcs`].
#[derive(Debug, thiserror::Error)]
pub enum HidingError {
    /// The proof's randomization commitment is not its main-trace commitment.
    #[error("the randomization polynomials are not committed with the main traces")]
    RandomizationNotInMain,
    /// Fewer rounds than a randomization round and a main round, a preprocessed round (no
    /// resvm table has one), no table, or another number of randomization polynomials than of
    /// tables.
    #[error("the opening rounds are not a randomization round, a main round, then the rest")]
    Rounds,
    /// Matrices committed side by side (`side_by_side`) are claimed at different points or
    /// with different widths.
    #[error("matrices {matrix}.. of round {round} are committed side by side but claimed apart")]
    SideBySide {
        /// Opening round, numbered as the caller's (the randomization round first).
        round: usize,
        /// The first matrix of the round in the committed matrix.
        matrix: usize,
    },
    /// A matrix's domain is too small to hide what the proof opens of it.
    #[error("matrix {matrix} of round {round} is too short to hide its openings")]
    HidingBudgetExceeded {
        /// Opening round.
        round: usize,
        /// Matrix within the round.
        matrix: usize,
    },
    /// FRI's verification failed.
    #[error("{0:?}")]
    Fri(InnerError),
}

/// Prover data: one commitment's tree, and which rounds it stands for.
pub struct Data {
    tree: Arc<InnerData>,
    role: Role,
    /// LDE heights of the caller's matrices, in order.
    heights: Arc<Vec<usize>>,
    /// The tree's matrix `j` is `parts[j]` consecutive caller matrices of one height and one
    /// width side by side (`side_by_side`).
    parts: Arc<Vec<usize>>,
    /// Set by the one opening its random rows and masks may serve: a second opening would
    /// reveal more of them than the budget allows.
    opened: AtomicBool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A commitment of its own (quotient chunks, LogUp traces).
    Own,
    /// The main traces: the first `tables` matrices of the tree, the randomization
    /// polynomials after them.
    Main { tables: usize },
    /// The randomization polynomials: matrices `tables..2·tables` of the main tree.
    Randomization { tables: usize },
}

/// The main commitment of the proof in progress, until the randomization round asks for it.
struct Pending {
    commitment: Commitment,
    tree: Arc<InnerData>,
    heights: Arc<Vec<usize>>,
    parts: Arc<Vec<usize>>,
    tables: usize,
}

/// Where a PCS is in its one proof.
enum Phase {
    /// Nothing committed: the next commitment is the main traces'.
    Fresh,
    /// The main traces are committed, with the randomization polynomials.
    MainCommitted(Pending),
    /// The randomization round has the main commitment; later commitments stand alone.
    RandomizationHandedOut,
}

/// Hiding FRI with the randomization polynomials in the main-trace tree as the masks of the
/// FRI batch (module docs).
pub struct HidingPcs {
    inner: Fri,
    dft: Dft,
    log_blowup: usize,
    num_queries: usize,
    rng: Mutex<StdRng>,
    /// A PCS serves one proof.
    phase: Mutex<Phase>,
}

impl HidingPcs {
    /// Wraps `inner` (built with `log_blowup` and `num_queries`); `rng` draws every random row,
    /// quotient mask and randomization polynomial.
    pub fn new(inner: Fri, log_blowup: usize, num_queries: usize, rng: StdRng) -> Self {
        Self {
            inner,
            dft: Dft::default(),
            log_blowup,
            num_queries,
            rng: Mutex::new(rng),
            phase: Mutex::new(Phase::Fresh),
        }
    }

    /// Random rows a matrix needs to hide `points` opening points and the queries.
    fn budget(&self, points: usize) -> usize {
        2 * (self.num_queries + EXT * points.max(1))
    }

    /// `h` rows on a `2h` domain: row `r` at `2r`, a uniform row at `2r + 1`. The random rows
    /// are drawn in parallel blocks, each from its own generator seeded by this PCS's.
    fn randomize(
        &self,
        domain: Domain,
        trace: RowMajorMatrix<Val>,
    ) -> (Domain, RowMajorMatrix<Val>) {
        assert_eq!(
            domain.size(),
            2 * trace.height(),
            "a hidden trace lives on its doubled domain"
        );
        /// Trace rows per block of random rows.
        const BLOCK: usize = 1 << 12;
        let width = trace.width();
        let mut values = Val::zero_vec(2 * trace.values.len());
        if width == 0 {
            return (domain, RowMajorMatrix::new(values, width));
        }
        let blocks = trace.height().div_ceil(BLOCK);
        let rngs: Vec<StdRng> = {
            let mut rng = lock(&self.rng);
            (0..blocks).map(|_| StdRng::from_rng(&mut *rng)).collect()
        };
        values
            .par_chunks_mut(2 * width * BLOCK)
            .zip(trace.values.par_chunks(width * BLOCK))
            .zip(rngs)
            .for_each(|((out, rows), mut rng)| {
                for (out, row) in out
                    .chunks_exact_mut(2 * width)
                    .zip(rows.chunks_exact(width))
                {
                    let (copy, random) = out.split_at_mut(width);
                    copy.copy_from_slice(row);
                    for x in random {
                        *x = StandardUniform.sample(&mut rng);
                    }
                }
            });
        (domain, RowMajorMatrix::new(values, width))
    }

    /// A uniform matrix on a table's hidden domain `domain` (all `2h` rows uniform, as
    /// `randomize` of a uniform `h`-row matrix would give, without the copy).
    fn random_matrix(&self, domain: Domain, width: usize) -> (Domain, RowMajorMatrix<Val>) {
        let m = RowMajorMatrix::rand(&mut *lock(&self.rng), domain.size(), width);
        (domain, m)
    }

    /// The coefficients of `q + v·t`, `2n` rows: `q` given by its `chunk` values on `domain`
    /// (`n` points), `v` the domain's vanishing polynomial `(X/s)^n − 1`, `t` the polynomial
    /// with coefficients `mask` (row-major like `chunk`).
    fn masked_coefficients(
        &self,
        domain: Domain,
        chunk: RowMajorMatrix<Val>,
        mask: &[Val],
    ) -> RowMajorMatrix<Val> {
        let n = chunk.height();
        let width = chunk.width();
        assert_eq!(domain.size(), n);
        let mut coeffs = self.dft.coset_idft_batch(chunk, domain.shift());
        coeffs.values.resize(2 * n * width, Val::ZERO);
        // v·t = s^{-n}·X^n·t − t.
        let s_inv_n = domain.shift().inverse().exp_u64(n as u64);
        let (low, high) = coeffs.values.split_at_mut(n * width);
        for ((c_low, c_high), &t) in low.iter_mut().zip(high.iter_mut()).zip(mask) {
            *c_low -= t;
            *c_high += s_inv_n * t;
        }
        coeffs
    }

    /// The evaluations on `gK`, `|K| = blowup·height`, bit-reversed as FRI commits them, of
    /// polynomials given by their coefficients, all of one height and one width, as one
    /// matrix with them side by side (`side_by_side`): one DFT for all of them.
    fn lde_side_by_side(&self, coeffs: &[RowMajorMatrix<Val>]) -> RowMajorMatrix<Val> {
        let height = coeffs[0].height();
        let part = coeffs[0].width();
        assert!(
            coeffs
                .iter()
                .all(|c| c.height() == height && c.width() == part),
            "matrices side by side are alike"
        );
        let width = part * coeffs.len();
        let mut values = Val::zero_vec(height * width);
        for (row, out) in values.chunks_exact_mut(width).enumerate() {
            for (c, out) in coeffs.iter().zip(out.chunks_exact_mut(part)) {
                out.copy_from_slice(&c.values[row * part..(row + 1) * part]);
            }
        }
        // Through the values on the subgroup of `height` points: the DFT's fused LDE skips
        // the zero coefficients that a DFT of the padded coefficients would transform.
        let on_subgroup = self
            .dft
            .dft_batch(RowMajorMatrix::new(values, width))
            .to_row_major_matrix();
        self.dft
            .coset_lde_batch(on_subgroup, self.log_blowup, Val::GENERATOR)
            .bit_reverse_rows()
            .to_row_major_matrix()
    }

    fn check_budget(&self, lde_height: usize, points: usize) -> Result<(), HidingProverError> {
        let mask_height = (lde_height >> self.log_blowup) / 2;
        if mask_height < self.budget(points) {
            return Err(HidingProverError::HidingBudgetExceeded {
                mask_height,
                num_queries: self.num_queries,
                points,
            });
        }
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A commitment that stands for itself alone.
fn own(
    commitment: Commitment,
    tree: InnerData,
    heights: Vec<usize>,
    parts: Vec<usize>,
) -> (Commitment, Data) {
    (
        commitment,
        Data {
            tree: Arc::new(tree),
            role: Role::Own,
            heights: Arc::new(heights),
            parts: Arc::new(parts),
            opened: AtomicBool::new(false),
        },
    )
}

/// The round (after the randomization round is folded into the main one) whose matrices are
/// committed side by side: `p3-batch-stark` 0.8 opens the main traces, then the quotient
/// chunks, then the LogUp traces.
const QUOTIENT_ROUND: usize = 1;

/// Which consecutive matrices one committed matrix holds side by side: the lengths of the
/// maximal runs of equal `keys` (the matrices' heights, or their domains' sizes on the
/// verifier's side).
///
/// Why: FRI's opening reduces every committed matrix in a pass over all its rows, and that
/// pass costs nearly as much for a 2-column matrix as for an 8-column one (the rows are
/// packed by 8), so 8 quotient chunks of one height reduce ~4x faster as one 16-column
/// matrix. Matrices opened at one point each (quotient chunks, randomization polynomials)
/// are reduced with the same powers of the batching challenge side by side as apart, and
/// the Merkle leaf of a height hashes the rows of all matrices of that height in order
/// either way: only the shape of the opened rows changes.
fn side_by_side<T: PartialEq>(keys: &[T]) -> Vec<usize> {
    let mut parts: Vec<usize> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        match parts.last_mut() {
            Some(run) if i > 0 && keys[i - 1] == *key => *run += 1,
            _ => parts.push(1),
        }
    }
    parts
}

/// The caller's points per matrix as the tree's: one list per committed matrix (the parts
/// of one are opened at the same points, as `p3-batch-stark` opens quotient chunks and
/// randomization polynomials at `ζ` alone).
fn tree_points(parts: &[usize], points: Vec<Vec<Challenge>>) -> Vec<Vec<Challenge>> {
    assert_eq!(
        parts.iter().sum::<usize>(),
        points.len(),
        "one point list per committed matrix"
    );
    let mut points = points.into_iter();
    parts
        .iter()
        .map(|&k| {
            let first = points.next().expect("counted above");
            for other in points.by_ref().take(k - 1) {
                assert_eq!(other, first, "matrices side by side are opened together");
            }
            first
        })
        .collect()
}

/// The tree's opened values (per committed matrix, per point, per column) as the caller's:
/// each committed matrix split into its `parts` of equal width.
fn caller_values(parts: &[usize], values: Vec<Vec<Vec<Challenge>>>) -> Vec<Vec<Vec<Challenge>>> {
    let mut out = Vec::with_capacity(parts.iter().sum());
    for (matrix, &k) in values.into_iter().zip(parts) {
        let width = matrix.first().map_or(0, |v| v.len() / k);
        for part in 0..k {
            out.push(
                matrix
                    .iter()
                    .map(|v| v[part * width..(part + 1) * width].to_vec())
                    .collect(),
            );
        }
    }
    out
}

/// The verifier's side of `side_by_side`: the claims of `matrices[from..]` joined into one
/// claim per run of equal domain sizes, each part claimed at the same points with the same
/// width. An error names caller round `round`, whose first matrix is `matrices[from]`.
fn join_claims(
    matrices: Vec<MatrixOpening<Challenge, Domain>>,
    from: usize,
    round: usize,
) -> Result<Vec<MatrixOpening<Challenge, Domain>>, HidingError> {
    let sizes: Vec<usize> = matrices
        .get(from..)
        .ok_or(HidingError::Rounds)?
        .iter()
        .map(|m| m.domain.size())
        .collect();
    let parts = side_by_side(&sizes);
    let mut matrices = matrices.into_iter();
    let mut out: Vec<_> = matrices.by_ref().take(from).collect();
    let mut index = from;
    for k in parts {
        // `side_by_side` counted them: never `None`, but a verifier does not panic.
        let Some(mut joined) = matrices.next() else {
            return Err(HidingError::Rounds);
        };
        let widths: Vec<usize> = joined.points.iter().map(|p| p.values.len()).collect();
        for other in matrices.by_ref().take(k - 1) {
            let alike = other.points.len() == widths.len()
                && other
                    .points
                    .iter()
                    .zip(&joined.points)
                    .zip(&widths)
                    .all(|((o, j), &w)| o.point == j.point && o.values.len() == w);
            if !alike {
                return Err(HidingError::SideBySide {
                    round,
                    matrix: index - from,
                });
            }
            for (j, o) in joined.points.iter_mut().zip(other.points) {
                j.values.extend(o.values);
            }
        }
        index += k;
        out.push(joined);
    }
    Ok(out)
}

impl Pcs<Challenge, Challenger> for HidingPcs {
    type Domain = Domain;
    type Commitment = Commitment;
    type ProverData = Data;
    type Proof = InnerProof;
    type Error = HidingError;
    type ProverError = HidingProverError;

    fn natural_domain_for_degree(&self, degree: usize) -> Domain {
        Pcs::<Challenge, Challenger>::natural_domain_for_degree(&self.inner, degree)
    }

    /// Hides every matrix (module docs). The first call (a proof's main traces) appends one
    /// random `h × 2` matrix per table.
    fn commit(
        &self,
        evaluations: impl IntoIterator<Item = (Domain, RowMajorMatrix<Val>)>,
    ) -> Result<(Commitment, Data), HidingProverError> {
        let evaluations: Vec<_> = evaluations.into_iter().collect();
        let mut phase = lock(&self.phase);
        let main = matches!(*phase, Phase::Fresh);
        let domains: Vec<Domain> = evaluations.iter().map(|(d, _)| *d).collect();
        let mut hidden: Vec<_> = evaluations
            .into_iter()
            .map(|(domain, trace)| self.randomize(domain, trace))
            .collect();
        let heights: Vec<usize> = domains
            .iter()
            .map(|d| d.size() << self.log_blowup)
            .collect();
        let tables = hidden.len();
        if !main {
            let (commitment, tree) = Pcs::<Challenge, Challenger>::commit(&self.inner, hidden)?;
            return Ok(own(commitment, tree, heights, vec![1; tables]));
        }
        // One randomization polynomial per table, those of consecutive tables of one height
        // side by side (one uniform matrix is k uniform matrices side by side).
        let r_parts = side_by_side(&heights);
        let mut first = 0;
        for &k in &r_parts {
            hidden.push(self.random_matrix(domains[first], R_WIDTH * k));
            first += k;
        }
        let heights = Arc::new([heights.as_slice(), heights.as_slice()].concat());
        let parts = Arc::new([vec![1; tables], r_parts].concat());
        let (commitment, tree) = Pcs::<Challenge, Challenger>::commit(&self.inner, hidden)?;
        let tree = Arc::new(tree);
        *phase = Phase::MainCommitted(Pending {
            commitment: commitment.clone(),
            tree: tree.clone(),
            heights: heights.clone(),
            parts: parts.clone(),
            tables,
        });
        Ok((
            commitment,
            Data {
                tree,
                role: Role::Main { tables },
                heights,
                parts,
                opened: AtomicBool::new(false),
            },
        ))
    }

    fn open(
        &self,
        rounds: Vec<OpeningRequest<'_, Data, Challenge>>,
        challenger: &mut Challenger,
    ) -> Result<(OpenedValues<Challenge>, Self::Proof), HidingProverError> {
        self.open_with_preprocessing(rounds, challenger, None)
    }

    fn verify(
        &self,
        rounds: Vec<CommitmentOpening<Challenge, Commitment, Domain>>,
        proof: &Self::Proof,
        challenger: &mut Challenger,
    ) -> Result<(), HidingError> {
        self.verify_with_preprocessing(rounds, proof, challenger, None)
    }
}

impl UnivariateStarkPcs<Challenge, Challenger> for HidingPcs {
    type EvaluationsOnDomain<'a> =
        <Fri as UnivariateStarkPcs<Challenge, Challenger>>::EvaluationsOnDomain<'a>;

    const ZK: bool = true;

    fn log_max_trace_height(&self) -> usize {
        UnivariateStarkPcs::<Challenge, Challenger>::log_max_trace_height(&self.inner)
    }

    fn log_min_trace_height(&self) -> usize {
        UnivariateStarkPcs::<Challenge, Challenger>::log_min_trace_height(&self.inner)
    }

    /// No resvm table has preprocessed columns.
    fn commit_preprocessing(
        &self,
        _evaluations: impl IntoIterator<Item = (Domain, RowMajorMatrix<Val>)>,
    ) -> Result<(Commitment, Data), HidingProverError> {
        unreachable!("the resvm AIRs have no preprocessed trace to commit")
    }

    /// Chunk `i` becomes `q_i + v_i·t_i` (module docs), of doubled degree, **given by its
    /// coefficients**: `p3-batch-stark` 0.8 hands what this returns to [`commit_ldes`]
    /// untouched (and reads nothing of it), which extends the chunks of all tables of one
    /// height in one DFT and commits them side by side.
    ///
    /// [`commit_ldes`]: UnivariateStarkPcs::commit_ldes
    fn get_quotient_ldes(
        &self,
        evaluations: impl IntoIterator<Item = (Domain, RowMajorMatrix<Val>)>,
        num_chunks: usize,
    ) -> Result<Vec<RowMajorMatrix<Val>>, HidingProverError> {
        let (domains, chunks): (Vec<Domain>, Vec<RowMajorMatrix<Val>>) =
            evaluations.into_iter().unzip();
        assert!(
            num_chunks > 1 && chunks.len() == num_chunks,
            "a hiding quotient has two chunks or more"
        );
        for chunk in &chunks {
            self.check_budget(chunk.height() << (self.log_blowup + 1), 1)?;
        }
        // c_i = 1 / Π_{j≠i} v_j(s_i): the recombination weights Σ_i zps_i v_i t_i equal
        // V(ζ)·Σ_i c_i t_i(ζ), which vanishes when t_last = −Σ_{i<last} (c_i / c_last) t_i.
        let weights = batch_multiplicative_inverse(
            &domains
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    domains
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, other)| other.vanishing_poly_at_point(d.first_point()))
                        .product::<Val>()
                })
                .collect::<Vec<_>>(),
        );
        let last = num_chunks - 1;
        let last_inv = weights[last].inverse();
        let mut masks: Vec<Vec<Val>> = {
            let mut rng = lock(&self.rng);
            chunks[..last]
                .iter()
                .map(|c| {
                    (0..c.values.len())
                        .map(|_| StandardUniform.sample(&mut *rng))
                        .collect()
                })
                .collect()
        };
        let mut last_mask = vec![Val::ZERO; chunks[last].values.len()];
        for (i, mask) in masks.iter().enumerate() {
            assert_eq!(
                mask.len(),
                last_mask.len(),
                "chunks of one quotient are alike"
            );
            let k = weights[i] * last_inv;
            for (l, &t) in last_mask.iter_mut().zip(mask) {
                *l -= k * t;
            }
        }
        masks.push(last_mask);
        Ok(domains
            .into_iter()
            .zip(chunks)
            .zip(masks)
            .map(|((domain, chunk), mask)| self.masked_coefficients(domain, chunk, &mask))
            .collect())
    }

    /// Commits the quotient chunks of [`get_quotient_ldes`](Self::get_quotient_ldes), given by
    /// their coefficients: extended onto `gK` and committed, those of one height side by side
    /// (`side_by_side`).
    fn commit_ldes(
        &self,
        coeffs: Vec<RowMajorMatrix<Val>>,
    ) -> Result<(Commitment, Data), HidingProverError> {
        let heights: Vec<usize> = coeffs
            .iter()
            .map(|m| m.height() << self.log_blowup)
            .collect();
        let parts = side_by_side(&heights);
        let mut ldes = Vec::with_capacity(parts.len());
        let mut first = 0;
        for &k in &parts {
            ldes.push(self.lde_side_by_side(&coeffs[first..first + k]));
            first += k;
        }
        let (commitment, tree) =
            UnivariateStarkPcs::<Challenge, Challenger>::commit_ldes(&self.inner, ldes)?;
        Ok(own(commitment, tree, heights, parts))
    }

    fn get_evaluations_on_domain<'a>(
        &self,
        prover_data: &'a Data,
        idx: usize,
        domain: Domain,
    ) -> Self::EvaluationsOnDomain<'a> {
        assert!(
            prover_data
                .parts
                .get(..=idx)
                .is_some_and(|parts| parts.iter().all(|&k| k == 1)),
            "the caller's matrix {idx} is the tree's: no matrices side by side up to it"
        );
        UnivariateStarkPcs::<Challenge, Challenger>::get_evaluations_on_domain(
            &self.inner,
            &prover_data.tree,
            idx,
            domain,
        )
    }

    /// Opens the randomization round (round 0) as part of the main round (round 1): one tree,
    /// one opening; the values are split back into the two rounds the caller asked for.
    fn open_with_preprocessing(
        &self,
        mut rounds: Vec<OpeningRequest<'_, Data, Challenge>>,
        challenger: &mut Challenger,
        preprocessed_commitment: Option<usize>,
    ) -> Result<(OpenedValues<Challenge>, Self::Proof), HidingProverError> {
        const ORDER: &str = "p3-batch-stark opens the randomization round first, then the main one";
        assert!(
            rounds.len() >= 2 && preprocessed_commitment.is_none(),
            "{ORDER}"
        );
        let randomization = rounds.remove(0);
        let main = &mut rounds[0];
        let Role::Main { tables } = main.prover_data.role else {
            panic!("{ORDER}");
        };
        assert!(
            randomization.prover_data.role == Role::Randomization { tables }
                && Arc::ptr_eq(&randomization.prover_data.tree, &main.prover_data.tree)
                && randomization.points.len() == tables,
            "{ORDER}, one randomization polynomial per table"
        );
        main.points.extend(randomization.points);
        for round in &rounds {
            assert!(
                !round.prover_data.opened.swap(true, Ordering::Relaxed),
                "a hiding commitment is opened once; commit afresh for another proof"
            );
            assert_eq!(round.prover_data.heights.len(), round.points.len());
            for (height, points) in round.prover_data.heights.iter().zip(&round.points) {
                self.check_budget(*height, points.len())?;
            }
        }
        assert!(
            rounds.iter().enumerate().all(|(i, r)| i == 0
                || i == QUOTIENT_ROUND
                || r.prover_data.parts.iter().all(|&k| k == 1)),
            "only the main and the quotient round hold matrices side by side"
        );
        let parts: Vec<Arc<Vec<usize>>> =
            rounds.iter().map(|r| r.prover_data.parts.clone()).collect();
        let inner_rounds = rounds
            .into_iter()
            .map(|r| OpeningRequest {
                prover_data: &*r.prover_data.tree,
                points: tree_points(&r.prover_data.parts, r.points),
            })
            .collect();
        let (values, proof) =
            Pcs::<Challenge, Challenger>::open(&self.inner, inner_rounds, challenger)?;
        let mut values: OpenedValues<Challenge> = values
            .into_iter()
            .zip(&parts)
            .map(|(v, p)| caller_values(p, v))
            .collect();
        let randomization = values[0].split_off(tables);
        values.insert(0, randomization);
        Ok((values, proof))
    }

    /// Checks that the randomization commitment is the main one, then verifies the two rounds
    /// as one opening.
    fn verify_with_preprocessing(
        &self,
        mut rounds: Vec<CommitmentOpening<Challenge, Commitment, Domain>>,
        proof: &Self::Proof,
        challenger: &mut Challenger,
        preprocessed_commitment: Option<usize>,
    ) -> Result<(), HidingError> {
        if rounds.len() < 2 || preprocessed_commitment.is_some() {
            return Err(HidingError::Rounds);
        }
        let randomization = rounds.remove(0);
        if randomization.commitment != rounds[0].commitment {
            return Err(HidingError::RandomizationNotInMain);
        }
        let tables = randomization.matrices.len();
        if tables == 0 || rounds[0].matrices.len() != tables {
            return Err(HidingError::Rounds);
        }
        rounds[0].matrices.extend(randomization.matrices);
        for (round, opening) in rounds.iter().enumerate() {
            for (matrix, m) in opening.matrices.iter().enumerate() {
                if m.domain.size() / 2 < self.budget(m.points.len()) {
                    // Numbered as the caller's rounds, the randomization round first.
                    return Err(HidingError::HidingBudgetExceeded {
                        round: round + 1,
                        matrix,
                    });
                }
            }
        }
        // The prover's `side_by_side`: the randomization polynomials in the main round, the
        // quotient chunks in theirs. Caller rounds are numbered with the randomization first.
        rounds[0].matrices = join_claims(std::mem::take(&mut rounds[0].matrices), tables, 0)?;
        if let Some(quotient) = rounds.get_mut(QUOTIENT_ROUND) {
            quotient.matrices = join_claims(
                std::mem::take(&mut quotient.matrices),
                0,
                QUOTIENT_ROUND + 1,
            )?;
        }
        Pcs::<Challenge, Challenger>::verify(&self.inner, rounds, proof, challenger)
            .map_err(HidingError::Fri)
    }

    /// The main commitment, standing for the randomization polynomials committed with it.
    fn get_opt_randomization_poly_commitment(
        &self,
        ext_trace_domains: impl IntoIterator<Item = Domain>,
    ) -> Result<Option<(Commitment, Data)>, HidingProverError> {
        let Phase::MainCommitted(pending) =
            std::mem::replace(&mut *lock(&self.phase), Phase::RandomizationHandedOut)
        else {
            panic!("p3-batch-stark commits the main traces before the randomization round");
        };
        let domain_sizes: Vec<usize> = ext_trace_domains.into_iter().map(|d| d.size()).collect();
        let drawn: Vec<usize> = pending.heights[..pending.tables]
            .iter()
            .map(|h| h >> self.log_blowup)
            .collect();
        assert_eq!(
            domain_sizes, drawn,
            "the randomization polynomials were drawn for the main traces' domains"
        );
        Ok(Some((
            pending.commitment,
            Data {
                tree: pending.tree,
                role: Role::Randomization {
                    tables: domain_sizes.len(),
                },
                heights: pending.heights,
                parts: pending.parts,
                opened: AtomicBool::new(false),
            },
        )))
    }

    fn build_periodic_lde_table(
        &self,
        periodic_cols: &[Vec<Val>],
        trace_domain: Domain,
        quotient_domain: Domain,
    ) -> PeriodicLdeTable<Val> {
        UnivariateStarkPcs::<Challenge, Challenger>::build_periodic_lde_table(
            &self.inner,
            periodic_cols,
            trace_domain,
            quotient_domain,
        )
    }
}

/// A clone serves another proof: fresh randomness, nothing committed.
impl Clone for HidingPcs {
    fn clone(&self) -> Self {
        let mut rng = lock(&self.rng);
        Self::new(
            self.inner.clone(),
            self.log_blowup,
            self.num_queries,
            StdRng::from_rng(&mut *rng),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{make_config, SecurityLevel, VmConfig};
    use p3_challenger::{CanObserve, CanSample};
    use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
    use p3_uni_stark::{recompose_quotient_from_chunks, StarkGenericConfig};

    type Rounds = Vec<CommitmentOpening<Challenge, Commitment, Domain>>;
    type Proof = <HidingPcs as Pcs<Challenge, Challenger>>::Proof;

    /// Tables of `heights` rows through the PCS as `p3-batch-stark` drives it: commit the main
    /// traces, ask for the randomization commitment, open both at one point, verify. Returns
    /// the rounds, the proof, another tree's commitment, the verifier's transcript and the
    /// main commitment's LDE heights.
    fn open_tables(heights: &[usize]) -> (Rounds, Proof, Commitment, Challenger, Vec<usize>) {
        let config = make_config(SecurityLevel::Test, [7; 32]);
        let pcs = config.pcs();
        let domains: Vec<Domain> = heights
            .iter()
            .map(|&h| Pcs::<Challenge, Challenger>::natural_domain_for_degree(pcs, 2 * h))
            .collect();
        let traces = heights
            .iter()
            .enumerate()
            .map(|(i, &h)| RowMajorMatrix::rand(&mut StdRng::seed_from_u64(1 + i as u64), h, 3));
        let (main, main_data) =
            Pcs::<Challenge, Challenger>::commit(pcs, domains.iter().copied().zip(traces)).unwrap();
        let (other, _) = Pcs::<Challenge, Challenger>::commit(
            pcs,
            [(
                domains[0],
                RowMajorMatrix::rand(&mut StdRng::seed_from_u64(99), heights[0], 1),
            )],
        )
        .unwrap();
        let (random, random_data) = pcs
            .get_opt_randomization_poly_commitment(domains.iter().copied())
            .unwrap()
            .unwrap();
        assert_eq!(random, main, "the randomization commitment is the main one");
        let mut challenger = config.initialise_challenger();
        challenger.observe(main.clone());
        let zeta: Challenge = challenger.sample();
        let verifier_challenger = challenger.clone();
        let one_point = || vec![vec![zeta]; heights.len()];
        let (values, proof) = pcs
            .open(
                vec![
                    OpeningRequest {
                        prover_data: &random_data,
                        points: one_point(),
                    },
                    OpeningRequest {
                        prover_data: &main_data,
                        points: one_point(),
                    },
                ],
                &mut challenger,
            )
            .unwrap();
        assert_eq!(values.len(), 2);
        assert!(values[0].iter().all(|m| m[0].len() == R_WIDTH), "R at ζ");
        assert!(
            values[1].iter().all(|m| m[0].len() == 3),
            "the trace rows at ζ"
        );
        let at_zeta = |values: &[Vec<Vec<Challenge>>]| -> Vec<_> {
            domains
                .iter()
                .zip(values)
                .map(|(&d, v)| (d, vec![(zeta, v[0].clone())]))
                .collect()
        };
        let rounds: Rounds = vec![
            (random, at_zeta(&values[0])).into(),
            (main, at_zeta(&values[1])).into(),
        ];
        pcs.verify(rounds.clone(), &proof, &mut verifier_challenger.clone())
            .expect("an honest opening verifies");
        let lde_heights = main_data.heights.to_vec();
        (rounds, proof, other, verifier_challenger, lde_heights)
    }

    /// A proof whose randomization polynomials sit under another commitment than the main
    /// traces is refused before FRI runs; one opened value off fails FRI.
    #[test]
    fn randomization_must_be_the_main_commitment() {
        let (rounds, proof, other, challenger, _) = open_tables(&[256]);
        let config = make_config(SecurityLevel::Test, [0; 32]);
        let verify = |rounds| config.pcs().verify(rounds, &proof, &mut challenger.clone());
        assert!(verify(rounds.clone()).is_ok());
        let mut moved = rounds.clone();
        moved[0].commitment = other.clone();
        assert!(matches!(
            verify(moved),
            Err(HidingError::RandomizationNotInMain)
        ));
        let mut edited = rounds.clone();
        edited[0].matrices[0].points[0].values[0] += Challenge::ONE;
        assert!(matches!(verify(edited), Err(HidingError::Fri(_))));
        assert!(matches!(
            verify(rounds[1..].to_vec()),
            Err(HidingError::Rounds)
        ));
    }

    /// Tables of several heights: the main tree holds the traces, then one randomization
    /// polynomial per table on that table's domain, and nothing else (no random codeword
    /// columns: every opened row has the table's own width, `open_tables`). The verifier
    /// refuses a changed value of the tallest table's `R` in FRI, and a randomization round
    /// with a polynomial fewer than tables.
    #[test]
    fn one_randomization_polynomial_per_table_and_nothing_else() {
        let (rounds, proof, _, challenger, heights) = open_tables(&[256, 1024, 512, 1024]);
        assert_eq!(heights.len(), 4 + 4, "traces, randomization polynomials");
        assert_eq!(heights[..4], heights[4..], "each R on its table's domain");
        let config = make_config(SecurityLevel::Test, [0; 32]);
        let verify = |rounds: Rounds| config.pcs().verify(rounds, &proof, &mut challenger.clone());
        assert!(verify(rounds.clone()).is_ok());
        let mut changed = rounds.clone();
        changed[0].matrices[1].points[0].values[1] += Challenge::ONE;
        assert!(matches!(verify(changed), Err(HidingError::Fri(_))));
        let mut fewer = rounds.clone();
        fewer[0].matrices.pop();
        assert!(matches!(verify(fewer), Err(HidingError::Rounds)));
    }

    /// Consecutive tables of one height have their randomization polynomials side by side in
    /// one committed matrix (`side_by_side`); the verifier joins their claims the same way, so
    /// the honest opening verifies, and it refuses claims that split the joined row otherwise
    /// (`SideBySide`) or swap two parts (FRI).
    #[test]
    fn randomization_polynomials_of_one_height_are_side_by_side() {
        assert_eq!(side_by_side(&[4, 4, 2, 4, 4, 4]), vec![2, 1, 3]);
        assert!(side_by_side::<usize>(&[]).is_empty());
        let (rounds, proof, _, challenger, _) = open_tables(&[512, 512, 256]);
        let config = make_config(SecurityLevel::Test, [0; 32]);
        let verify = |rounds: Rounds| config.pcs().verify(rounds, &proof, &mut challenger.clone());
        assert!(verify(rounds.clone()).is_ok());
        // A value of the second R claimed as the first's: the same joined row, other widths.
        let mut moved = rounds.clone();
        let v = moved[0].matrices[1].points[0].values.remove(0);
        moved[0].matrices[0].points[0].values.push(v);
        assert!(matches!(
            verify(moved),
            Err(HidingError::SideBySide {
                round: 0,
                matrix: 0
            })
        ));
        let mut swapped = rounds.clone();
        swapped[0].matrices.swap(0, 1);
        assert!(matches!(verify(swapped), Err(HidingError::Fri(_))));
    }

    /// The randomization round and the main round of one table, both at `zeta`.
    fn at_one_point<'a>(
        random: &'a Data,
        main: &'a Data,
        zeta: Challenge,
    ) -> Vec<OpeningRequest<'a, Data, Challenge>> {
        [random, main]
            .into_iter()
            .map(|prover_data| OpeningRequest {
                prover_data,
                points: vec![vec![zeta]],
            })
            .collect()
    }

    /// Opening the same commitments twice would reveal twice the random rows' budget.
    #[test]
    #[should_panic(expected = "opened once")]
    fn a_commitment_is_opened_once() {
        let config = make_config(SecurityLevel::Test, [4; 32]);
        let pcs = config.pcs();
        let domain = Pcs::<Challenge, Challenger>::natural_domain_for_degree(pcs, 512);
        let trace = RowMajorMatrix::rand(&mut StdRng::seed_from_u64(1), 256, 3);
        let (_, main_data) = Pcs::<Challenge, Challenger>::commit(pcs, [(domain, trace)]).unwrap();
        let (_, random_data) = pcs
            .get_opt_randomization_poly_commitment([domain])
            .unwrap()
            .unwrap();
        let mut challenger = config.initialise_challenger();
        let zeta: Challenge = challenger.sample();
        for _ in 0..2 {
            let rounds = at_one_point(&random_data, &main_data, zeta);
            pcs.open(rounds, &mut challenger).unwrap();
        }
    }

    /// A table too short for its random rows to hide the queries and the opening point is
    /// refused when opened (40 queries need 84 random rows for one point: 64 are too few).
    #[test]
    fn a_table_below_the_hiding_budget_is_refused() {
        let config = make_config(SecurityLevel::Standard, [9; 32]);
        let pcs = config.pcs();
        let domain = Pcs::<Challenge, Challenger>::natural_domain_for_degree(pcs, 128);
        let trace = RowMajorMatrix::rand(&mut StdRng::seed_from_u64(1), 64, 3);
        let (main, main_data) =
            Pcs::<Challenge, Challenger>::commit(pcs, [(domain, trace)]).unwrap();
        let (_, random_data) = pcs
            .get_opt_randomization_poly_commitment([domain])
            .unwrap()
            .unwrap();
        let mut challenger = config.initialise_challenger();
        challenger.observe(main);
        let zeta: Challenge = challenger.sample();
        let r = pcs.open(
            at_one_point(&random_data, &main_data, zeta),
            &mut challenger,
        );
        assert!(matches!(
            r,
            Err(HidingProverError::HidingBudgetExceeded {
                mask_height: 64,
                num_queries: 40,
                ..
            })
        ));
    }

    /// The value at `x` of the polynomial whose evaluations on `g·K` (`g` the generator, `K`
    /// of the matrix's height) a bit-reversed LDE holds.
    fn lde_value_at(pcs: &HidingPcs, lde: &RowMajorMatrix<Val>, x: Challenge) -> Vec<Challenge> {
        let natural = lde.clone().bit_reverse_rows().to_row_major_matrix();
        let coeffs = pcs.dft.coset_idft_batch(natural, Val::GENERATOR);
        horner(&coeffs, x)
    }

    fn horner(coeffs: &RowMajorMatrix<Val>, x: Challenge) -> Vec<Challenge> {
        (0..coeffs.width())
            .map(|c| {
                (0..coeffs.height()).rev().fold(Challenge::ZERO, |acc, r| {
                    acc * x + coeffs.values[r * coeffs.width() + c]
                })
            })
            .collect()
    }

    /// Every masked chunk differs from its chunk at a random point, the chunks extended side
    /// by side are each its own polynomial, and the recombination the verifier computes
    /// (`p3-uni-stark`'s) gives the unmasked quotient there.
    #[test]
    fn quotient_masks_hide_each_chunk_and_cancel_in_the_recombination() {
        let config = make_config(SecurityLevel::Test, [3; 32]);
        let pcs = config.pcs();
        let trace = Pcs::<Challenge, Challenger>::natural_domain_for_degree(pcs, 512);
        for chunks in [2usize, 4] {
            let quotient_domain = trace.create_disjoint_domain(512 * chunks);
            let evals = RowMajorMatrix::rand(&mut StdRng::seed_from_u64(5), 512 * chunks, EXT);
            let domains = quotient_domain.split_domains(chunks);
            let pieces = quotient_domain.split_evals(chunks, evals);
            let coefficients = pcs
                .get_quotient_ldes(domains.iter().copied().zip(pieces.clone()), chunks)
                .unwrap();
            // As `commit_ldes` extends and commits them: side by side, one matrix.
            let lde = pcs.lde_side_by_side(&coefficients);
            assert_eq!(lde.height(), (2 * 512) << pcs.log_blowup);
            assert_eq!(lde.width(), EXT * chunks);
            let at_zeta = |z| lde_value_at(pcs, &lde, z);
            let zeta = Challenge::from_basis_coefficients_slice(&[
                Val::from_u64(123_456_789),
                Val::from_u64(987_654_321),
            ])
            .unwrap();
            let mut masked = Vec::new();
            let mut plain = Vec::new();
            let side_by_side = at_zeta(zeta);
            for (i, ((domain, piece), c)) in
                domains.iter().zip(pieces).zip(&coefficients).enumerate()
            {
                assert_eq!(c.height(), 2 * piece.height(), "of doubled degree");
                let m = side_by_side[EXT * i..EXT * (i + 1)].to_vec();
                assert_eq!(m, horner(c, zeta), "its part of the LDE is its polynomial");
                let coeffs = pcs.dft.coset_idft_batch(piece, domain.shift());
                let q = horner(&coeffs, zeta);
                assert_ne!(m, q, "the mask changes every chunk");
                masked.push(m);
                plain.push(q);
            }
            assert_eq!(
                recompose_quotient_from_chunks::<VmConfig>(&domains, &masked, zeta),
                recompose_quotient_from_chunks::<VmConfig>(&domains, &plain, zeta)
            );
        }
    }
}
