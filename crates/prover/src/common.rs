//! The batch STARK's common data for the verifier: each table's LogUp layout.
//!
//! Plonky3 derives a table's layout (its lookups, folded into as few columns as its quotient
//! degree allows) by evaluating the AIR symbolically. That is about a sixth of a verification
//! (`docs/benchmarks.md`). The layout of a table whose AIR carries no statement data is the same in
//! every proof, so it is derived once per process and parameter set and reused: a ledger or a
//! service verifying many proofs pays it once. The read-only table (the image's ROM and the
//! public inputs) and the Brainfuck I/O tables carry the statement's values, so their layouts
//! are derived for every proof.

use crate::air::{Val, VmAir};
use crate::config::{SecurityLevel, VmConfig};
use p3_batch_stark::{CommonData, ProverData};
use p3_lookup::Lookups;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// What a cached layout depends on: the parameter set, the table (its index), and the memory
/// table's layout or the CPU's opcode set (0 for the other tables).
type Key = (SecurityLevel, usize, u64);

/// 3 parameter sets × (4 memory layouts + the hash and compare tables + the CPU's opcode
/// sets of the images verified): one per image and parameter set, a few hundred bytes each.
const MAX_CACHED: usize = 4096;
static LAYOUTS: OnceLock<Mutex<HashMap<Key, Lookups<Val>>>> = OnceLock::new();

/// The key of a table whose AIR is fixed by its kind (and for memory its layout), `None` for
/// one that carries statement data. Every variant is named, so a new table needs a decision.
fn key(level: SecurityLevel, air: &VmAir) -> Option<Key> {
    let fixed = |slots| Some((level, air.kind().index(), slots));
    match air {
        VmAir::Memory(m) => fixed(m.slots() as u64 | (m.spaces() as u64) << 8),
        VmAir::Cpu(c) => fixed(c.ops().bits()),
        VmAir::Compare(_) | VmAir::Hash(_) => fixed(0),
        // The read-only table's periodic columns have the image's height, its public values
        // the inputs' count.
        VmAir::Rom(_) | VmAir::BfInput(_) | VmAir::BfOutput(_) => None,
    }
}

/// The common data of a proof over `airs` with these (extended) degree bits, as
/// `ProverData::from_airs_and_degrees` derives it. No resvm table has preprocessed columns.
pub(crate) fn common_data(
    level: SecurityLevel,
    config: &VmConfig,
    airs: &[VmAir],
    degree_bits: &[usize],
) -> Result<CommonData<VmConfig>, String> {
    if airs.len() != degree_bits.len() {
        return Err(format!(
            "{} tables but {} degrees",
            airs.len(),
            degree_bits.len()
        ));
    }
    let cache = LAYOUTS.get_or_init(Default::default);
    let mut lookups = Vec::with_capacity(airs.len());
    for (air, &bits) in airs.iter().zip(degree_bits) {
        let key = key(level, air);
        // A poisoned lock only means another thread panicked between two map operations.
        let hit = key.and_then(|k| {
            let map = cache.lock().unwrap_or_else(|e| e.into_inner());
            map.get(&k).cloned()
        });
        let layout = match hit {
            Some(l) => l,
            None => {
                let l = derive(config, air, bits)?;
                if let Some(k) = key {
                    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
                    // Bounded: a service verifying proofs about many images keeps the first.
                    if map.len() < MAX_CACHED {
                        map.insert(k, l.clone());
                    }
                }
                l
            }
        };
        lookups.push(layout);
    }
    Ok(CommonData::new(None, lookups))
}

/// One table's layout by Plonky3's own derivation (it treats every table on its own).
fn derive(config: &VmConfig, air: &VmAir, bits: usize) -> Result<Lookups<Val>, String> {
    let data =
        ProverData::<VmConfig>::from_airs_and_degrees(config, std::slice::from_ref(air), &[bits])
            .map_err(|e| format!("{e:?}"))?;
    if data.common.preprocessed.is_some() {
        return Err("a table with preprocessed columns".into());
    }
    data.common
        .lookups
        .into_iter()
        .next()
        .ok_or_else(|| "no layout derived".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::air::{memory::MemoryAir, TABLES};
    use crate::config::make_config;

    fn json(l: &[Lookups<Val>]) -> String {
        serde_json::to_string(l).unwrap()
    }

    /// Cached or not, the layouts are the ones Plonky3 derives for the whole batch, for every
    /// table, memory layout, parameter set and height (the cache ignores heights: no cached
    /// table has periodic columns, the only way a height enters the derivation).
    #[test]
    fn cached_layouts_are_plonky3s() {
        for level in [SecurityLevel::Standard, SecurityLevel::Test] {
            let config = make_config(level, [0; 32]);
            for memory in MemoryAir::all() {
                let rom = crate::air::rom::RomAir::blank(crate::air::MIN_LOG_HEIGHT);
                let cpu = crate::air::cpu::CpuAir::new(crate::air::cpu::OpSet::all());
                let airs = VmAir::for_tables(TABLES, cpu, &rom, memory, b"in", b"out!");
                for height_bits in [9, 13] {
                    let bits: Vec<usize> = airs
                        .iter()
                        .map(|a| match a {
                            VmAir::Rom(_) => crate::air::MIN_LOG_HEIGHT + 1,
                            VmAir::BfInput(_) => {
                                crate::air::bfio::BfInputAir::log_height_for(2) + 1
                            }
                            VmAir::BfOutput(_) => {
                                crate::air::bfio::BfOutputAir::log_height_for(4) + 1
                            }
                            _ => height_bits,
                        })
                        .collect();
                    for a in &airs {
                        if key(level, a).is_some() {
                            assert!(p3_air::BaseAir::<Val>::periodic_columns(a).is_empty());
                        }
                    }
                    let want = ProverData::<VmConfig>::from_airs_and_degrees(&config, &airs, &bits)
                        .unwrap()
                        .common
                        .lookups;
                    // Twice: the second call is served from the cache.
                    for _ in 0..2 {
                        let got = common_data(level, &config, &airs, &bits).unwrap();
                        assert!(got.preprocessed.is_none());
                        assert_eq!(json(&got.lookups), json(&want));
                    }
                }
            }
        }
    }

    #[test]
    fn mismatched_lengths_are_an_error() {
        let config = make_config(SecurityLevel::Test, [0; 32]);
        let airs = VmAir::all(MemoryAir::widest());
        assert!(common_data(SecurityLevel::Test, &config, &airs, &[9]).is_err());
    }
}
