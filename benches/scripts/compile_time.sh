#!/usr/bin/env bash
# Debug build time of a generated crate holding one flow of N nodes and 2N edges (each node its
# own #[node] type), for N = 50, 100, 200 by default: the compile-time cost of the macros.
#
#   benches/scripts/compile_time.sh            # N = 50 100 200
#   benches/scripts/compile_time.sh 25 400     # other sizes
set -euo pipefail
cd "$(dirname "$0")/../.." # the workspace root
root=$(pwd)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50 100 200)

work=${CARGO_TARGET_DIR:-$root/target}/compile-time
mkdir -p "$work"
export CARGO_TARGET_DIR="$work/target"

generate() { # N DIR
    local n=$1 dir=$2
    mkdir -p "$dir/src"
    cat > "$dir/Cargo.toml" <<TOML
[package]
name = "flow-of-$n"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
pocketflow = { path = "$root/pocketflow" }

[workspace]
TOML
    {
        echo "use pocketflow::prelude::*;"
        echo "#[derive(Default)] pub struct Shared { pub steps: u64 }"
        for ((i = 0; i < n; i++)); do
            cat <<NODE
pub struct Step$i;
#[node]
impl Step$i {
    fn prep(&self, shared: &Shared) -> u64 { shared.steps }
    fn exec(&self, steps: &u64) -> u64 { steps + $i }
    fn post(&self, shared: &mut Shared, _steps: u64, next: u64) -> &'static str {
        shared.steps += 1;
        if next % 2 == 0 { "next" } else { "skip" }
    }
}
NODE
        done
        echo "fn main() {"
        for ((i = 0; i < n; i++)); do echo "    let n$i = Step$i;"; done
        echo "    let flow = flow! {"
        for ((i = 0; i < n; i++)); do
            echo "        n$i - \"next\" >> n$(((i + 1) % n));"
            echo "        n$i - \"skip\" >> n$(((i + 2) % n));"
        done
        echo "    }.with_max_steps(1000);"
        echo "    let mut shared = Shared::default();"
        echo "    let _ = flow.run_blocking(&mut shared);"
        echo "    println!(\"{} steps\", shared.steps);"
        echo "}"
    } > "$dir/src/main.rs"
}

# Build the dependencies once, so that each measurement is the generated crate alone.
generate 1 "$work/flow-of-1"
cargo build --quiet --manifest-path "$work/flow-of-1/Cargo.toml"

printf '%6s %8s %10s\n' nodes edges seconds
for n in "${sizes[@]}"; do
    generate "$n" "$work/flow-of-$n"
    cargo build --quiet --manifest-path "$work/flow-of-$n/Cargo.toml" # dependencies of this crate
    touch "$work/flow-of-$n/src/main.rs"
    start=$(date +%s.%N)
    cargo build --quiet --manifest-path "$work/flow-of-$n/Cargo.toml"
    end=$(date +%s.%N)
    printf "%6d %8d %10.2f\n" "$n" "$((2 * n))" "$(awk -v s="$start" -v e="$end" "BEGIN { print e - s }")"
done
