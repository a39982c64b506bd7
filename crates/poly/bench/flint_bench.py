#!/usr/bin/env python3
"""Times python-flint 0.7.1 on resvm-poly's factorization benchmark set.

Usage: flint_bench.py [RUNS] < cases.txt
Input, one case per line:  name TAB comma-separated variable names TAB polynomial
(FLINT syntax, p = 2^64 - 2^32 + 1; produced by resvm_poly::bench::cases_text).
Output, one line per case: name TAB best seconds TAB unit TAB factor TAB exp ...
(factors monic, printed by FLINT with ordering deglex). Parsing is not timed.
"""
import sys
import time

P = 2**64 - 2**32 + 1

try:
    import flint
except ImportError:
    sys.stderr.write("python-flint is not installed: pip install python-flint==0.7.1\n")
    sys.exit(2)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        name, names, text = line.split("\t")
        ctx = flint.fmpz_mod_mpoly_ctx.get(tuple(names.split(",")), modulus=P, ordering="deglex")
        f = flint.fmpz_mod_mpoly(text, ctx)
        best = float("inf")
        res = None
        for _ in range(max(runs, 1)):
            t = time.perf_counter()
            res = f.factor()
            best = min(best, time.perf_counter() - t)
        unit, facs = res
        fields = [name, "%.9f" % best, str(int(unit))]
        for g, e in facs:
            lc = int(g.leading_coefficient())
            if lc != 1:
                g = g * pow(lc, -1, P)
            fields += [str(g), str(int(e))]
        print("\t".join(fields), flush=True)


main()
