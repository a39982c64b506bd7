//! Hiding FRI with the randomization polynomials in the main-trace commitment.
//!
//! With zero knowledge, `p3-batch-stark` asks the PCS for one random polynomial per table
//! (`R`, opened at `ζ`; it masks the DEEP quotient), and Plonky3's `HidingFriPcs` commits them
//! as a Merkle tree of their own. Every query then opens that fifth tree: at 2^15 CPU rows, its
//! Merkle paths and salts were 13.6 KB of a 177 KB proof, for 12 columns of random values.
//!
//! [`RandomizationInMainPcs`] commits the `R`s inside the main trace's tree instead: the first
//! [`commit`](Pcs::commit) of a proof (the main traces; `p3-batch-stark` 0.8 commits them before
//! anything else) appends one uniformly random `h × 2` matrix per table, which hiding turns
//! into a uniformly random `2h × 4` matrix on the table's extended domain, exactly the shape
//! and distribution `HidingFriPcs` gives `R`. Their rows join the main rows of the same height
//! in the same leaves, under the same salt. The randomization "commitment" is the main one:
//! the proof still carries it (25 bytes), and the verifier refuses a proof in which it differs
//! ([`RandomizationNotInMain`](RandomizationInMainError::RandomizationNotInMain)), then checks
//! the two rounds as one opening of one tree.
//!
//! Soundness does not move: `R` is committed earlier in the transcript than before (with the
//! traces, before any challenge instead of after the quotient), and every challenge that
//! depended on its commitment still does (the transcript absorbs it again where it did).

use super::{Challenge, Challenger, HidingPcs};
use crate::air::Val;
use p3_commit::{
    CommitmentOpening, OpenedValues, OpeningRequest, Pcs, PeriodicLdeTable, UnivariateStarkPcs,
};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::{Arc, Mutex};

type Domain = <HidingPcs as Pcs<Challenge, Challenger>>::Domain;
type Commitment = <HidingPcs as Pcs<Challenge, Challenger>>::Commitment;
type InnerData = <HidingPcs as Pcs<Challenge, Challenger>>::ProverData;
type InnerProverError = <HidingPcs as Pcs<Challenge, Challenger>>::ProverError;
type InnerError = <HidingPcs as Pcs<Challenge, Challenger>>::Error;

/// Columns of one table's randomization polynomial before hiding: one extension element.
const R_WIDTH: usize = 2;

/// A verification failure of [`RandomizationInMainPcs`].
#[derive(Debug, thiserror::Error)]
pub enum RandomizationInMainError {
    /// The proof's randomization commitment is not its main-trace commitment.
    #[error("the randomization polynomials are not committed with the main traces")]
    RandomizationNotInMain,
    /// Fewer rounds than a randomization round and a main round, or a preprocessed round
    /// placed before them.
    #[error("the opening rounds are not a randomization round, a main round, then the rest")]
    Rounds,
    /// Hiding FRI's own verification failed.
    #[error("{0:?}")]
    Fri(InnerError),
}

/// Prover data: one hiding commitment, and which rounds it stands for.
pub struct Data {
    tree: Arc<InnerData>,
    role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A commitment of its own (quotient chunks, LogUp traces, preprocessed columns).
    Own,
    /// The main traces: the first `tables` matrices of the tree, the randomization
    /// polynomials after them.
    Main { tables: usize },
    /// The randomization polynomials: the last `tables` matrices of the main tree.
    Randomization { tables: usize },
}

/// The main commitment of the proof in progress, until the randomization round asks for it.
struct Pending {
    commitment: Commitment,
    tree: Arc<InnerData>,
    domain_sizes: Vec<usize>,
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

/// Hiding FRI whose randomization polynomials share the main-trace tree (module docs).
pub struct RandomizationInMainPcs {
    inner: HidingPcs,
    rng: Mutex<StdRng>,
    /// A PCS serves one proof.
    phase: Mutex<Phase>,
}

impl RandomizationInMainPcs {
    /// Wraps `inner`; `rng` draws the randomization polynomials.
    pub fn new(inner: HidingPcs, rng: StdRng) -> Self {
        Self {
            inner,
            rng: Mutex::new(rng),
            phase: Mutex::new(Phase::Fresh),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A commitment that stands for itself alone.
fn own(commitment: Commitment, tree: InnerData) -> (Commitment, Data) {
    (
        commitment,
        Data {
            tree: Arc::new(tree),
            role: Role::Own,
        },
    )
}

impl Pcs<Challenge, Challenger> for RandomizationInMainPcs {
    type Domain = Domain;
    type Commitment = Commitment;
    type ProverData = Data;
    type Proof = <HidingPcs as Pcs<Challenge, Challenger>>::Proof;
    type Error = RandomizationInMainError;
    type ProverError = InnerProverError;

    fn natural_domain_for_degree(&self, degree: usize) -> Domain {
        Pcs::<Challenge, Challenger>::natural_domain_for_degree(&self.inner, degree)
    }

    /// The first call (a proof's main traces) appends one random `h × 2` matrix per table.
    fn commit(
        &self,
        evaluations: impl IntoIterator<Item = (Domain, RowMajorMatrix<Val>)>,
    ) -> Result<(Commitment, Data), InnerProverError> {
        let mut evaluations: Vec<_> = evaluations.into_iter().collect();
        let mut phase = lock(&self.phase);
        if !matches!(*phase, Phase::Fresh) {
            let (commitment, tree) =
                Pcs::<Challenge, Challenger>::commit(&self.inner, evaluations)?;
            return Ok(own(commitment, tree));
        }
        let tables = evaluations.len();
        let domain_sizes: Vec<usize> = evaluations.iter().map(|(d, _)| d.size()).collect();
        {
            let mut rng = lock(&self.rng);
            let randomization: Vec<_> = evaluations
                .iter()
                .map(|(domain, trace)| {
                    (
                        *domain,
                        RowMajorMatrix::rand(&mut *rng, trace.height(), R_WIDTH),
                    )
                })
                .collect();
            evaluations.extend(randomization);
        }
        let (commitment, tree) = Pcs::<Challenge, Challenger>::commit(&self.inner, evaluations)?;
        let tree = Arc::new(tree);
        *phase = Phase::MainCommitted(Pending {
            commitment: commitment.clone(),
            tree: tree.clone(),
            domain_sizes,
        });
        Ok((
            commitment,
            Data {
                tree,
                role: Role::Main { tables },
            },
        ))
    }

    fn open(
        &self,
        rounds: Vec<OpeningRequest<'_, Data, Challenge>>,
        challenger: &mut Challenger,
    ) -> Result<(OpenedValues<Challenge>, Self::Proof), InnerProverError> {
        self.open_with_preprocessing(rounds, challenger, None)
    }

    fn verify(
        &self,
        rounds: Vec<CommitmentOpening<Challenge, Commitment, Domain>>,
        proof: &Self::Proof,
        challenger: &mut Challenger,
    ) -> Result<(), RandomizationInMainError> {
        self.verify_with_preprocessing(rounds, proof, challenger, None)
    }
}

impl UnivariateStarkPcs<Challenge, Challenger> for RandomizationInMainPcs {
    type EvaluationsOnDomain<'a> =
        <HidingPcs as UnivariateStarkPcs<Challenge, Challenger>>::EvaluationsOnDomain<'a>;

    const ZK: bool = true;

    fn log_max_trace_height(&self) -> usize {
        UnivariateStarkPcs::<Challenge, Challenger>::log_max_trace_height(&self.inner)
    }

    fn log_min_trace_height(&self) -> usize {
        UnivariateStarkPcs::<Challenge, Challenger>::log_min_trace_height(&self.inner)
    }

    fn commit_preprocessing(
        &self,
        evaluations: impl IntoIterator<Item = (Domain, RowMajorMatrix<Val>)>,
    ) -> Result<(Commitment, Data), InnerProverError> {
        let (commitment, tree) = UnivariateStarkPcs::<Challenge, Challenger>::commit_preprocessing(
            &self.inner,
            evaluations,
        )?;
        Ok(own(commitment, tree))
    }

    fn get_quotient_ldes(
        &self,
        evaluations: impl IntoIterator<Item = (Domain, RowMajorMatrix<Val>)>,
        num_chunks: usize,
    ) -> Result<Vec<RowMajorMatrix<Val>>, InnerProverError> {
        UnivariateStarkPcs::<Challenge, Challenger>::get_quotient_ldes(
            &self.inner,
            evaluations,
            num_chunks,
        )
    }

    fn commit_ldes(
        &self,
        ldes: Vec<RowMajorMatrix<Val>>,
    ) -> Result<(Commitment, Data), InnerProverError> {
        let (commitment, tree) =
            UnivariateStarkPcs::<Challenge, Challenger>::commit_ldes(&self.inner, ldes)?;
        Ok(own(commitment, tree))
    }

    fn get_evaluations_on_domain<'a>(
        &self,
        prover_data: &'a Data,
        idx: usize,
        domain: Domain,
    ) -> Self::EvaluationsOnDomain<'a> {
        UnivariateStarkPcs::<Challenge, Challenger>::get_evaluations_on_domain(
            &self.inner,
            &prover_data.tree,
            idx,
            domain,
        )
    }

    fn get_evaluations_on_domain_no_random<'a>(
        &self,
        prover_data: &'a Data,
        idx: usize,
        domain: Domain,
    ) -> Self::EvaluationsOnDomain<'a> {
        UnivariateStarkPcs::<Challenge, Challenger>::get_evaluations_on_domain_no_random(
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
    ) -> Result<(OpenedValues<Challenge>, Self::Proof), InnerProverError> {
        const ORDER: &str = "p3-batch-stark opens the randomization round first, then the main one";
        assert!(rounds.len() >= 2, "{ORDER}");
        let randomization = rounds.remove(0);
        let main = &mut rounds[0];
        let Role::Main { tables } = main.prover_data.role else {
            panic!("{ORDER}");
        };
        assert!(
            randomization.prover_data.role == Role::Randomization { tables }
                && Arc::ptr_eq(&randomization.prover_data.tree, &main.prover_data.tree),
            "{ORDER}, one randomization polynomial per table"
        );
        main.points.extend(randomization.points);
        let preprocessed = preprocessed_commitment.map(|i| {
            i.checked_sub(1)
                .expect("the preprocessed round follows the main round")
        });
        let inner_rounds = rounds
            .into_iter()
            .map(|r| OpeningRequest {
                prover_data: &*r.prover_data.tree,
                points: r.points,
            })
            .collect();
        let (mut values, proof) =
            UnivariateStarkPcs::<Challenge, Challenger>::open_with_preprocessing(
                &self.inner,
                inner_rounds,
                challenger,
                preprocessed,
            )?;
        let randomization = values[0].split_off(tables);
        values.insert(0, randomization);
        Ok((values, proof))
    }

    /// Checks that the randomization commitment is the main one, then verifies the two rounds
    /// as one.
    fn verify_with_preprocessing(
        &self,
        mut rounds: Vec<CommitmentOpening<Challenge, Commitment, Domain>>,
        proof: &Self::Proof,
        challenger: &mut Challenger,
        preprocessed_commitment: Option<usize>,
    ) -> Result<(), RandomizationInMainError> {
        if rounds.len() < 2 || preprocessed_commitment.is_some_and(|i| i < 2) {
            return Err(RandomizationInMainError::Rounds);
        }
        let randomization = rounds.remove(0);
        if randomization.commitment != rounds[0].commitment {
            return Err(RandomizationInMainError::RandomizationNotInMain);
        }
        rounds[0].matrices.extend(randomization.matrices);
        UnivariateStarkPcs::<Challenge, Challenger>::verify_with_preprocessing(
            &self.inner,
            rounds,
            proof,
            challenger,
            preprocessed_commitment.map(|i| i - 1),
        )
        .map_err(RandomizationInMainError::Fri)
    }

    /// The main commitment, standing for the randomization polynomials committed with it.
    fn get_opt_randomization_poly_commitment(
        &self,
        ext_trace_domains: impl IntoIterator<Item = Domain>,
    ) -> Result<Option<(Commitment, Data)>, InnerProverError> {
        let Phase::MainCommitted(pending) =
            std::mem::replace(&mut *lock(&self.phase), Phase::RandomizationHandedOut)
        else {
            panic!("p3-batch-stark commits the main traces before the randomization round");
        };
        let domain_sizes: Vec<usize> = ext_trace_domains.into_iter().map(|d| d.size()).collect();
        assert_eq!(
            domain_sizes, pending.domain_sizes,
            "the randomization polynomials were drawn for the main traces' domains"
        );
        Ok(Some((
            pending.commitment,
            Data {
                tree: pending.tree,
                role: Role::Randomization {
                    tables: domain_sizes.len(),
                },
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
impl Clone for RandomizationInMainPcs {
    fn clone(&self) -> Self {
        let mut rng = lock(&self.rng);
        Self::new(self.inner.clone(), StdRng::from_rng(&mut *rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{make_config, SecurityLevel};
    use p3_challenger::{CanObserve, CanSample};
    use p3_field::PrimeCharacteristicRing;
    use p3_uni_stark::StarkGenericConfig;

    type Rounds = Vec<CommitmentOpening<Challenge, Commitment, Domain>>;
    type Proof = <RandomizationInMainPcs as Pcs<Challenge, Challenger>>::Proof;

    /// One table of `h` rows through the PCS as `p3-batch-stark` drives it: commit the main
    /// trace, ask for the randomization commitment, open both at one point, verify. Returns
    /// the rounds, the proof, another tree's commitment and the verifier's transcript.
    fn open_one_table() -> (Rounds, Proof, Commitment, Challenger) {
        let config = make_config(SecurityLevel::Test, [7; 32]);
        let pcs = config.pcs();
        let h = 256;
        let domain = Pcs::<Challenge, Challenger>::natural_domain_for_degree(pcs, 2 * h);
        let trace = RowMajorMatrix::rand(&mut StdRng::seed_from_u64(1), h, 3);
        let (main, main_data) =
            Pcs::<Challenge, Challenger>::commit(pcs, [(domain, trace)]).unwrap();
        let (other, _) = Pcs::<Challenge, Challenger>::commit(
            pcs,
            [(
                domain,
                RowMajorMatrix::rand(&mut StdRng::seed_from_u64(2), h, 1),
            )],
        )
        .unwrap();
        let (random, random_data) = pcs
            .get_opt_randomization_poly_commitment([domain])
            .unwrap()
            .unwrap();
        assert_eq!(random, main, "the randomization commitment is the main one");
        let mut challenger = config.initialise_challenger();
        challenger.observe(main.clone());
        let zeta: Challenge = challenger.sample();
        let verifier_challenger = challenger.clone();
        let (values, proof) = pcs
            .open(
                vec![
                    OpeningRequest {
                        prover_data: &random_data,
                        points: vec![vec![zeta]],
                    },
                    OpeningRequest {
                        prover_data: &main_data,
                        points: vec![vec![zeta]],
                    },
                ],
                &mut challenger,
            )
            .unwrap();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0][0][0].len(), R_WIDTH, "R at ζ");
        assert_eq!(values[1][0][0].len(), 3, "the trace row at ζ");
        let rounds: Rounds = vec![
            (
                random,
                vec![(domain, vec![(zeta, values[0][0][0].clone())])],
            )
                .into(),
            (main, vec![(domain, vec![(zeta, values[1][0][0].clone())])]).into(),
        ];
        pcs.verify(rounds.clone(), &proof, &mut verifier_challenger.clone())
            .expect("an honest opening verifies");
        (rounds, proof, other, verifier_challenger)
    }

    /// A proof whose randomization polynomials sit under another commitment than the main
    /// traces is refused before FRI runs; one opened value off fails FRI.
    #[test]
    fn randomization_must_be_the_main_commitment() {
        let (rounds, proof, other, challenger) = open_one_table();
        let config = make_config(SecurityLevel::Test, [0; 32]);
        let verify = |rounds| config.pcs().verify(rounds, &proof, &mut challenger.clone());
        assert!(verify(rounds.clone()).is_ok());
        let mut moved = rounds.clone();
        moved[0].commitment = other.clone();
        assert!(matches!(
            verify(moved),
            Err(RandomizationInMainError::RandomizationNotInMain)
        ));
        let mut edited = rounds.clone();
        edited[0].matrices[0].points[0].values[0] += Challenge::ONE;
        assert!(matches!(
            verify(edited),
            Err(RandomizationInMainError::Fri(_))
        ));
        assert!(matches!(
            verify(rounds[1..].to_vec()),
            Err(RandomizationInMainError::Rounds)
        ));
    }
}
