//! The fusion pass: common stack sequences become one fused instruction.
//!
//! | sequence | fused |
//! |---|---|
//! | `LOAD a; LOAD b; ADD`/`SUB`/`MUL`/`COMPARE` | `ADDSS`/`SUBSS`/`MULSS`/`LTSS a b` |
//! | `LOAD a; PUSH c; ADD`/`SUB`/`MUL`/`COMPARE` | `ADDSI`/`SUBSI`/`MULSI`/`LTSI a c` |
//! | `PUSH c; LOAD a; ADD`/`SUB`/`MUL`/`COMPARE` | `ADDSI`/`RSUBSI`/`MULSI`/`RLTSI a c` |
//! | `PUSH 0; LOAD a; COMPARE` (`lt(0, x)`, which is `[x = 0]`) | `EQZS a` |
//! | `PUSH 0; LOAD k; COMPARE; BRANCH next t` (branch on `[x = 0]`, falling through when not) | `BRZS t k` |
//! | `LOAD a; LOAD b` | `LOAD2 a b` |
//! | `STORE a; STORE b` | `STORE2 a b` |
//! | `STORE k; TAILCALL f` | `STAILCALL f k` |
//! | `LOAD b; STORE a` | `MOVS a b` |
//! | `LOAD a; PUSH c; ADD`/`SUB; STORE a`, `PUSH c; LOAD a; ADD; STORE a` | `INCS a c`/`INCS a −c` |
//!
//! A fused instruction computes the same output, registers and memory below `sp` as its
//! sequence; only the dead cells above `sp` the sequence wrote as temporaries are left alone
//! (compiled code never reads a cell above `sp` before writing it). A window is fused only if
//! no jump lands inside it (its first instruction may be a target), so every path through the
//! code runs either the whole sequence or none of it. Among all ways to cover the code with
//! windows the pass picks one with the fewest instructions, and among those the fewest memory
//! accesses (dynamic programming over the positions: a greedy left-to-right choice would turn
//! `LOAD 2; LOAD 1; LOAD 2; ADD` into `LOAD2 2 1; LOAD 2; ADD` instead of `LOAD 2; ADDSS 1 2`,
//! and `LOAD 3; LOAD 2; STORE 3` into `LOAD2 3 2; STORE 3` instead of `LOAD 3; MOVS 3 2`).

use crate::{Function, ImageKind, Instr, Program, ProgramError};
use p3_field::PrimeCharacteristicRing;
use resvm_field::F;
use std::collections::HashSet;

/// The result of [`fuse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fused {
    /// The fused code (jump targets remapped).
    pub code: Vec<Instr>,
    /// For each fused instruction, the index in the input of the first instruction it
    /// replaces (to carry per-instruction data such as source spans along).
    pub origin: Vec<usize>,
    /// For each input position `0..=len`, the index of the fused instruction that starts
    /// there or contains it (`len` maps to the fused length).
    pub new_index: Vec<usize>,
}

/// The fused instruction replacing `w`, whose first instruction is at address `at`, if `w` is
/// one of the sequences of the module table.
pub fn fuse_window(w: &[Instr], at: u32) -> Option<Instr> {
    use Instr::*;
    Some(match *w {
        // The zero test's first arm must be the next instruction, which BRZS falls through to.
        // A slot stepped by a constant in place (a counter's tail-call argument).
        [Load(a), Push(c), Add, Store(d)] | [Push(c), Load(a), Add, Store(d)] if a == d => {
            IncS(a, c)
        }
        [Load(a), Push(c), Sub, Store(d)] if a == d => IncS(a, -c),
        [Push(c), Load(k), Compare, Branch(t0, t1)]
            if c == F::ZERO && Some(t0) == at.checked_add(4) =>
        {
            BrZS(t1, k)
        }
        [Load(a), Load(b), op] => match op {
            Add => AddSS(a, b),
            Sub => SubSS(a, b),
            Mul => MulSS(a, b),
            Compare => LtSS(a, b),
            _ => return None,
        },
        [Load(a), Push(c), op] => match op {
            Add => AddSI(a, c),
            Sub => SubSI(a, c),
            Mul => MulSI(a, c),
            Compare => LtSI(a, c),
            _ => return None,
        },
        [Push(c), Load(a), op] => match op {
            Add => AddSI(a, c),
            Sub => RSubSI(a, c),
            Mul => MulSI(a, c),
            // lt(0, x) is 1 exactly when x = 0 (0 is the least representative): a zero test,
            // which the CPU checks with an inverse instead of the compare chiplet.
            Compare if c == F::ZERO => EqZS(a),
            Compare => RLtSI(a, c),
            _ => return None,
        },
        [Load(a), Load(b)] => Load2(a, b),
        [Store(a), Store(b)] => Store2(a, b),
        [Store(k), TailCall(f)] => STailCall(f, k),
        [Load(b), Store(a)] => MovS(a, b),
        _ => return None,
    })
}

/// Fuses `code`, whose first instruction is at address `base`. Windows never contain a jump
/// or branch target of `code` (after their first instruction) nor an address of `entries`
/// (function entries, for a whole image). `JUMP`/`BRANCH` targets inside
/// `base..=base + code.len()` are remapped; others are left as they are.
pub fn fuse(code: &[Instr], base: u32, entries: &[u32]) -> Fused {
    let n = code.len();
    let mut targets: HashSet<u32> = entries.iter().copied().collect();
    targets.extend(code.iter().flat_map(Instr::jump_targets));
    let inside_free = |i: usize, len: usize| {
        (i + 1..i + len).all(|j| !targets.contains(&(base.wrapping_add(j as u32))))
    };
    let accesses = |i: &Instr| i.opcode().spec().accesses().count();
    // best[i]: the fewest instructions for code[i..], then the fewest memory accesses, with
    // the window length chosen at i.
    let mut best = vec![((0usize, 0usize), 1usize); n + 1];
    for i in (0..n).rev() {
        let ((c, m), _) = best[i + 1];
        best[i] = ((c + 1, m + accesses(&code[i])), 1);
        let at = base.wrapping_add(i as u32);
        for len in [2, 3, 4] {
            if i + len > n || !inside_free(i, len) {
                continue;
            }
            if let Some(w) = fuse_window(&code[i..i + len], at) {
                let ((c, m), _) = best[i + len];
                let cost = (c + 1, m + accesses(&w));
                // Ties go to the longer window.
                if cost <= best[i].0 {
                    best[i] = (cost, len);
                }
            }
        }
    }
    let mut out = Vec::with_capacity(best[0].0 .0);
    let mut origin = Vec::with_capacity(best[0].0 .0);
    let mut new_index = Vec::with_capacity(n + 1);
    let mut i = 0;
    while i < n {
        let len = best[i].1;
        for _ in 0..len {
            new_index.push(out.len());
        }
        origin.push(i);
        out.push(if len == 1 {
            code[i]
        } else {
            fuse_window(&code[i..i + len], base.wrapping_add(i as u32)).unwrap_or(code[i])
        });
        i += len;
    }
    new_index.push(out.len());
    let remap = |t: u32| match t.checked_sub(base) {
        Some(d) if (d as usize) <= n => base + new_index[d as usize] as u32,
        _ => t,
    };
    for i in &mut out {
        *i = i.map_jump_targets(remap);
    }
    Fused {
        code: out,
        origin,
        new_index,
    }
}

/// Fuses a whole resvm image (function entries kept as instruction boundaries and
/// remapped); a Brainfuck image is returned unchanged (fused instructions are resvm-only).
pub fn fuse_program(p: &Program) -> Result<Program, ProgramError> {
    if p.kind() == ImageKind::Brainfuck {
        return Ok(p.clone());
    }
    let entries: Vec<u32> = p.functions().iter().map(|f| f.entry).collect();
    let fused = fuse(p.code(), 0, &entries);
    let functions: Vec<Function> = p
        .functions()
        .iter()
        .map(|f| Function {
            entry: fused.new_index[f.entry as usize] as u32,
            ..f.clone()
        })
        .collect();
    Program::new(fused.code, functions, p.main())
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::PrimeCharacteristicRing;
    use resvm_field::F;
    use Instr::*;

    fn c(v: u64) -> F {
        F::from_u64(v)
    }

    fn fused(code: &[Instr]) -> Vec<Instr> {
        fuse(code, 0, &[]).code
    }

    #[test]
    fn every_pattern_fuses() {
        let ops = [Add, Sub, Mul, Compare];
        let ss = [AddSS(1, 2), SubSS(1, 2), MulSS(1, 2), LtSS(1, 2)];
        let si = [
            AddSI(1, c(7)),
            SubSI(1, c(7)),
            MulSI(1, c(7)),
            LtSI(1, c(7)),
        ];
        let is = [
            AddSI(1, c(7)),
            RSubSI(1, c(7)),
            MulSI(1, c(7)),
            RLtSI(1, c(7)),
        ];
        for (k, op) in ops.into_iter().enumerate() {
            assert_eq!(fused(&[Load(1), Load(2), op]), vec![ss[k]], "{op}");
            assert_eq!(fused(&[Load(1), Push(c(7)), op]), vec![si[k]], "{op}");
            assert_eq!(fused(&[Push(c(7)), Load(1), op]), vec![is[k]], "{op}");
        }
        // lt(0, x) is the zero test; lt(x, 0) and lt(c, x) for c ≠ 0 are not.
        assert_eq!(fused(&[Push(c(0)), Load(1), Compare]), vec![EqZS(1)]);
        assert_eq!(fused(&[Load(1), Push(c(0)), Compare]), vec![LtSI(1, c(0))]);
        assert_eq!(fused(&[Push(c(1)), Load(1), Compare]), vec![RLtSI(1, c(1))]);
        assert_eq!(fused(&[Load(2), Load(1)]), vec![Load2(2, 1)]);
        assert_eq!(fused(&[Store(2), Store(1)]), vec![Store2(2, 1)]);
        assert_eq!(fused(&[Store(0), TailCall(3)]), vec![STailCall(3, 0)]);
        // Slot moves: a copy, and a step in place by c or −c.
        assert_eq!(fused(&[Load(2), Store(1)]), vec![MovS(1, 2)]);
        assert_eq!(
            fused(&[Load(0), Push(c(7)), Add, Store(0)]),
            vec![IncS(0, c(7))]
        );
        assert_eq!(
            fused(&[Push(c(7)), Load(0), Add, Store(0)]),
            vec![IncS(0, c(7))]
        );
        assert_eq!(
            fused(&[Load(0), Push(c(7)), Sub, Store(0)]),
            vec![IncS(0, -c(7))]
        );
        // Into another slot, `c − x` and products are not steps.
        assert_eq!(
            fused(&[Load(0), Push(c(7)), Sub, Store(1)]),
            vec![SubSI(0, c(7)), Store(1)]
        );
        assert_eq!(
            fused(&[Push(c(7)), Load(0), Sub, Store(0)]),
            vec![RSubSI(0, c(7)), Store(0)]
        );
        assert_eq!(
            fused(&[Load(0), Push(c(7)), Mul, Store(0)]),
            vec![MulSI(0, c(7)), Store(0)]
        );
        // A branch on the zero test whose first arm (x ≠ 0) is the next instruction.
        let zero_branch = |t0| [Push(c(0)), Load(1), Compare, Branch(t0, 9)];
        assert_eq!(fused(&zero_branch(4)), vec![BrZS(9, 1)]);
        // Any other first arm, and any other test, is not that pattern.
        assert_eq!(fused(&zero_branch(7)), vec![EqZS(1), Branch(7, 9)]);
        assert_eq!(
            fused(&[Push(c(1)), Load(1), Compare, Branch(4, 9)]),
            vec![RLtSI(1, c(1)), Branch(2, 9)]
        );
        // The same window at another address: the fall-through is that address + 4.
        assert_eq!(fuse(&zero_branch(24), 20, &[]).code, vec![BrZS(9, 1)]);
        assert_eq!(
            fuse(&zero_branch(4), 20, &[]).code,
            vec![EqZS(1), Branch(4, 9)]
        );
        // Not a pattern: left alone.
        assert_eq!(
            fused(&[Push(c(1)), Push(c(2)), Add]),
            vec![Push(c(1)), Push(c(2)), Add]
        );
        assert_eq!(fused(&[Load(1), Load(2), Neg]), vec![Load2(1, 2), Neg]);
    }

    /// The fewest instructions, not the first match; then the fewest memory accesses.
    #[test]
    fn picks_the_fewest_instructions() {
        assert_eq!(
            fused(&[Load(2), Load(1), Load(2), Add]),
            vec![Load(2), AddSS(1, 2)]
        );
        assert_eq!(
            fused(&[Store(2), Store(1), Store(0), TailCall(1)]),
            vec![Store2(2, 1), STailCall(1, 0)]
        );
        // Two instructions either way; the slot move makes 4 memory accesses, not 6.
        assert_eq!(
            fused(&[Load(3), Load(2), Store(3)]),
            vec![Load(3), MovS(3, 2)]
        );
    }

    /// `go(n - 1, b, a + b)` as the code generator emits it, unfused: `a + b` pushed, the
    /// moves `n − 1 → 0` and `b → 1`, `a + b` popped into slot 2.
    fn fib_step() -> [Instr; 11] {
        [
            Load(1),
            Load(2),
            Add,
            Load(0),
            Push(c(1)),
            Sub,
            Store(0),
            Load(2),
            Store(1),
            Store(2),
            TailCall(1),
        ]
    }

    /// Fib's loop body as the compiler emits it (`BRANCH next exit`), fused: 17 instructions
    /// become 7, of which 5 run per iteration.
    #[test]
    fn fib_iteration() {
        let body = [
            &[Push(c(0)), Load(0), Compare, Branch(4, 15)][..],
            &fib_step(),
            &[Load(1), Ret],
        ]
        .concat();
        let f = fuse(&body, 0, &[]);
        assert_eq!(
            f.code,
            vec![
                BrZS(5, 0),
                AddSS(1, 2),
                IncS(0, -c(1)),
                MovS(1, 2),
                STailCall(1, 2),
                Load(1),
                Ret,
            ]
        );
        assert_eq!(f.origin, vec![0, 4, 7, 11, 13, 15, 16]);
    }

    /// With the arms the other way round (`BRANCH loop next`) the branch is not fused: only
    /// the zero test is.
    #[test]
    fn zero_test_before_a_branch_whose_second_arm_follows() {
        let body = [Push(c(0)), Load(0), Compare, Branch(6, 4), Load(1), Ret]
            .into_iter()
            .chain(fib_step())
            .collect::<Vec<_>>();
        // Addresses relative to base 0, as if the function started at pc 0.
        let f = fuse(&body, 0, &[]);
        assert_eq!(
            f.code,
            vec![
                EqZS(0),
                Branch(4, 2),
                Load(1),
                Ret,
                AddSS(1, 2),
                IncS(0, -c(1)),
                MovS(1, 2),
                STailCall(1, 2),
            ]
        );
        assert_eq!(f.origin, vec![0, 3, 4, 5, 6, 9, 13, 15]);
    }

    /// A jump target inside a window blocks the fusion; at its start it does not.
    #[test]
    fn jump_targets_block_fusion() {
        // Base 10: the branch lands on pc 12 (the LOAD 2 of `LOAD 1; LOAD 2; ADD`).
        let code = [Branch(11, 12), Load(1), Load(2), Add, Ret];
        assert_eq!(fuse(&code, 10, &[]).code, code.to_vec());
        // The same window starting at a target fuses, and the targets are remapped.
        let code = [Branch(11, 14), Load(1), Load(2), Add, Ret];
        let f = fuse(&code, 10, &[]);
        assert_eq!(f.code, vec![Branch(11, 12), AddSS(1, 2), Ret]);
        assert_eq!(f.new_index, vec![0, 1, 1, 1, 2, 3]);
        // A function entry inside a window blocks it too.
        let f = fuse(&[Store(0), TailCall(0)], 0, &[1]);
        assert_eq!(f.code, vec![Store(0), TailCall(0)]);
    }
}
