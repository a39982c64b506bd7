#!/usr/bin/env bash
# The main job end to end on the embedded examples: build, compile every stage, run every
# example on every engine, and (when the prover is built) prove and verify one run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p resvm-cli
R=target/release/resvm

echo "== compile stages (examples/factored.rvm)"
for stage in canon factor dag asm; do
    echo "-- --emit $stage"
    $R compile --emit "$stage" examples/factored.rvm
done

echo "== run every example on every engine"
run() { # file args...
    local f=$1; shift
    for e in closure stack tree; do
        printf '%-24s %-8s %s -> ' "$f" "$e" "$*"
        $R run --engine "$e" "$f" "$@"
    done
}
run examples/min.rvm 7 5
run examples/poly.rvm 3 4
run examples/factored.rvm 5 2 1
run examples/let.rvm 9
run examples/fib.rvm 90
run examples/fib_rec.rvm 20
run examples/reflect.rvm 1 3
run examples/apply.rvm 5
run examples/secret.rvm 10 2
run examples/power.rvm 2 3
run examples/eval_loop.rvm 1000
echo "== a million-step tail-recursive loop (constant space)"
$R run --stats examples/fib.rvm 1000000
echo "== a runtime error is reported, not a crash"
$R run examples/errors.rvm 2 || echo "(exit code $?)"

echo "== check and digest without running"
$R check examples/reflect.rvm
$R digest examples/reflect.rvm
echo "== inputs from JSON on stdin (secrets stay out of argv)"
echo '{"x": "10", "w": "2"}' | $R run --inputs - examples/secret.rvm

echo "== prove and verify (examples/secret.rvm, w secret)"
echo '{"x": "10", "w": "2"}' | $R prove --inputs - examples/secret.rvm -o /tmp/resvm-demo.proof
$R verify examples/secret.rvm /tmp/resvm-demo.proof
echo "-- against the statement we expect: x = 10, output 0"
echo '{"x": "10"}' > /tmp/resvm-demo-public.json
$R verify examples/secret.rvm /tmp/resvm-demo.proof --inputs /tmp/resvm-demo-public.json --output 0
echo "-- a different expected output is refused (exit code 3)"
$R verify examples/secret.rvm /tmp/resvm-demo.proof --output 1 || echo "(exit code $?)"
