#!/usr/bin/env bash
# The benchmark command (separate from the test command): play vs ansible-playbook vs Mitogen
# on the same local testbed, in one run. See bench/README.md.
#
#   bench/run.sh [--vms 3,20,50] [--rounds 3] [--quick] [--tools play,ansible,mitogen] [--keep]
# (--rounds takes one number, or one per N: --vms 3,20,50 --rounds 3,3,1)
# --quick = --vms 3 --rounds 1, and results go only to the run's folder (bench/out/<stamp>/),
# not to bench/RESULTS.md. Builds play (release), prepares the ansible venv, then hands over to
# bench/benchlib/bench.py. Env: CARGO_TARGET_DIR (default /work/target-bench or <repo>/target),
# BENCH_TESTBED_NAME (playbench), PLAY_BENCH_VENV (/var/cache/play-bench-venv),
# BENCH_PLAY_COMMIT (what RESULTS.md names as play's commit; default: git rev-parse HEAD).
set -euo pipefail
cd "$(dirname "$0")/.."

vms="3,20,50"
rounds=3
quick=0
tools="play,ansible,mitogen"
keep=()
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --vms) vms="${2:?--vms needs a list, e.g. 3,20}"; shift 2 ;;
    --rounds) rounds="${2:?--rounds needs a number}"; shift 2 ;;
    --tools) tools="${2:?--tools needs a list}"; shift 2 ;;
    --quick) quick=1; shift ;;
    --keep) keep=(--keep); shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if ((quick)); then vms=3; rounds=1; fi
[[ $vms =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "bench/run.sh: --vms '$vms' is not a list of numbers like 3,20,50" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "bench/run.sh: --rounds '$rounds' is not a number (or one per N, like 3,3,1)" >&2; exit 2; }

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# ---- host tools -----------------------------------------------------------------------------
need=()
[ -x /usr/bin/time ] || need+=(time)
command -v file >/dev/null || need+=(file)
command -v ssh >/dev/null || need+=(openssh-client)
/usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if ((${#need[@]})); then
  say "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# ---- ansible + mitogen venv (reused when present) -----------------------------------------
venv="${PLAY_BENCH_VENV:-/var/cache/play-bench-venv}"
export PLAY_BENCH_VENV="$venv"
want_ansible=12.3.0 want_mitogen=0.3.54
installed="$("$venv/bin/pip" list --format freeze 2>/dev/null || true)"
have() { grep -qix "$1==$2" <<<"$installed"; }
if ! have ansible "$want_ansible" || ! have mitogen "$want_mitogen"; then
  say "preparing $venv (ansible==$want_ansible mitogen==$want_mitogen)"
  [ -x "$venv/bin/pip" ] || /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q "ansible==$want_ansible" "mitogen==$want_mitogen"
fi

# ---- play -----------------------------------------------------------------------------------
if [ -z "${CARGO_TARGET_DIR:-}" ]; then
  if [ -d /work/target-bench ]; then CARGO_TARGET_DIR=/work/target-bench; else CARGO_TARGET_DIR="$PWD/target"; fi
fi
export CARGO_TARGET_DIR
say "building play (tests/build.sh --release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
tests/build.sh --release
play="$CARGO_TARGET_DIR/release/play"
agent="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release/play-agent"

# ---- the runs ---------------------------------------------------------------------------------
tests/testbed/ensure-docker.sh
out="bench/out/$(date +%Y%m%d-%H%M%S)"
results_dir=bench
((quick)) && results_dir="$out"
mkdir -p "$out"
say "N=$vms, $rounds round(s), tools $tools; raw data in $out, results in $results_dir/RESULTS.md"
PYTHONPATH=bench exec /usr/bin/python3 -m benchlib.bench --vms "$vms" --rounds "$rounds" --tools "$tools" \
  --name "${BENCH_TESTBED_NAME:-playbench}" --out "$out" --results-dir "$results_dir" \
  --play "$play" --agent "$agent" "${keep[@]+"${keep[@]}"}"
