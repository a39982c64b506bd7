#!/usr/bin/env python3
"""Differential oracle for resvm-poly: factors polynomials with python-flint 0.7.1.

Input (stdin), one case per line:   <comma-separated variable names> TAB <polynomial>
where <polynomial> is in FLINT's printed syntax over p = 2^64 - 2^32 + 1.
Output (stdout), one line per case, TAB-separated:
    <str(poly)>  <unit>  <factor_1>  <exp_1>  <factor_2>  <exp_2> ...
Factors are made monic (they already are in FLINT) and printed with str().
Exit status 2 with a message on stderr if python-flint is missing or the wrong version.
"""
import os
import sys

P = 2**64 - 2**32 + 1

try:
    import flint
except ImportError:
    sys.stderr.write("python-flint is not installed: pip install python-flint==0.7.1\n")
    sys.exit(2)

if flint.__version__ != "0.7.1" and not os.environ.get("RESVM_FLINT_ANY_VERSION"):
    sys.stderr.write(
        "python-flint %s found, 0.7.1 required (0.9.0's factor() is broken on large "
        "coefficients): pip install python-flint==0.7.1\n" % flint.__version__)
    sys.exit(2)


def main():
    out = []
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        names, text = line.split("\t")
        ctx = flint.fmpz_mod_mpoly_ctx.get(tuple(names.split(",")), modulus=P, ordering="deglex")
        f = flint.fmpz_mod_mpoly(text, ctx)
        unit, facs = f.factor()
        fields = [str(f), str(int(unit))]
        for g, e in facs:
            lc = g.leading_coefficient()
            if int(lc) != 1:
                g = g * pow(int(lc), -1, P)
            fields.append(str(g))
            fields.append(str(int(e)))
        out.append("\t".join(fields))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


main()
