#!/usr/bin/env bash
# Builds the static agent (uploaded to hosts) and the controller.
# Usage: tests/build.sh [--release | --agent-only]
#   the controller in debug unless --release; the agent is always a release build: it is what
#   hosts run, and its size is a promise. --agent-only leaves the controller to `cargo test
#   --workspace` (tests/run-all.sh): `-p play` alone unifies dependency features differently
#   from the whole workspace, so building it here too would compile half the tree twice.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
profile_flag=""
agent_only=0
case "${1:-}" in
  --release) profile_flag="--release" ;;
  --agent-only) agent_only=1 ;;
  "") ;;
  *) echo "tests/build.sh: unknown option '$1' (use --release or --agent-only)" >&2; exit 2 ;;
esac

# crt-static only for the agent's target triple, so build scripts and the controller stay dynamic.
CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release -p play-agent --target x86_64-unknown-linux-gnu
((agent_only)) || cargo build $profile_flag -p play
agent="$target_dir/x86_64-unknown-linux-gnu/release/play-agent"
file "$agent" 2>/dev/null | grep -Eq 'static(-pie)? linked' || { echo "build.sh: $agent is not statically linked" >&2; exit 1; }
echo "agent: $agent ($(stat -c %s "$agent") bytes)"
