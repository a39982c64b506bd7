#!/usr/bin/env python3
"""Oracle for the canonical-form printing contract: evaluates polynomial expressions with
python-flint 0.7.1 (fmpz_mod_mpoly, ordering deglex) and prints str() of each.

stdin, one case per line:  <comma-separated generator names> TAB <python expression>
stdout, one line per case: str(polynomial)
"""
import sys

P = 2**64 - 2**32 + 1
try:
    import flint
except ImportError:
    sys.stderr.write("python-flint is not installed: pip install python-flint==0.7.1\n")
    sys.exit(2)

out = []
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line:
        continue
    names, expr = line.split("\t")
    names = tuple(names.split(","))
    ctx = flint.fmpz_mod_mpoly_ctx.get(names, modulus=P, ordering="deglex")
    env = dict(zip(names, ctx.gens()))
    env["ONE"] = ctx.from_dict({}) + 1
    out.append(str(eval(expr, {"__builtins__": {}}, env)))
sys.stdout.write("\n".join(out) + ("\n" if out else ""))
