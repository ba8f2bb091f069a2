#!/usr/bin/env bash
# Runs each benchmark workload on Python PocketFlow and on pocketflow for Rust, alternating,
# RUNS times each (default 5), and prints the median seconds of each and their ratio.
#
#   benches/scripts/compare.sh                 # all five workloads at their default sizes
#   RUNS=9 benches/scripts/compare.sh fanout   # one workload, more runs
#   RUNS=1 benches/scripts/compare.sh batch    # a quick check: one run of one workload
#   POCKETFLOW_RUNTIME=multi-thread benches/scripts/compare.sh   # Rust on a multi-thread runtime
set -euo pipefail
cd "$(dirname "$0")/../.." # the workspace root

runs=${RUNS:-5}
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(chain batch fanout batch_flow parallel_flow)

python=${PYTHON:-python3}
# -I: the Rust crate's folder `pocketflow/` must not pass for the Python package.
if ! "$python" -I -c 'from pocketflow import Flow' 2>/dev/null; then
    echo "installing Python PocketFlow (pip install pocketflow)" >&2
    "$python" -m pip install --quiet pocketflow
fi

cargo build --quiet --release -p pocketflow-examples --example workloads
rust=${CARGO_TARGET_DIR:-target}/release/examples/workloads

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-14s %10s %12s %12s %10s\n' workload n python_s rust_s speedup
for workload in "${workloads[@]}"; do
    py_times=() rs_times=() n=""
    for _ in $(seq "$runs"); do
        read -r _ n seconds _ < <("$python" -W ignore benches/scripts/pocketflow_workloads.py "$workload")
        py_times+=("$seconds")
        read -r _ n seconds _ < <("$rust" "$workload")
        rs_times+=("$seconds")
    done
    py=$(printf '%s\n' "${py_times[@]}" | median)
    rs=$(printf '%s\n' "${rs_times[@]}" | median)
    printf '%-14s %10s %12.4f %12.4f %9.0fx\n' "$workload" "$n" "$py" "$rs" "$(awk -v p="$py" -v r="$rs" 'BEGIN { print p / r }')"
done
