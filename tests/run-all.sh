#!/usr/bin/env bash
# The test command: sets up everything on a fresh machine (dockerd, testbed images, the
# testbed itself), then runs every test: unit, property, end-to-end, Terraform checks.
# KEEP_TESTBED=1 leaves the testbed up afterwards for debugging.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# Host tools the tests use: `file` (static agent check), sshd (the SSH layer's tests run real
# OpenSSH servers on 127.0.0.1), python3-venv.
need=()
command -v file >/dev/null || need+=(file)
[ -x /usr/sbin/sshd ] || need+=(openssh-server openssh-client)
# venvs for moto (the EC2 inventory tests), ansible-vault (interop) and checkov.
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
export PLAY_REQUIRE_SSHD=1

echo "== toolchain checks"
cargo fmt --all -- --check
echo "== docker engine and testbed images"
tests/testbed/ensure-docker.sh
tests/testbed/build-images.sh
echo "== build (the static agent; cargo test builds the controller)"
tests/build.sh --agent-only
export PLAY_AGENT="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release/play-agent"
echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== testbed up (fresh: VMs without Docker, as the release tests expect)"
tests/testbed/down.sh >/dev/null 2>&1 || true
tests/testbed/up.sh
if [ "${KEEP_TESTBED:-0}" != 1 ]; then
  trap 'tests/testbed/down.sh >/dev/null 2>&1 || true' EXIT
fi
export PLAY_TESTBED_DIR="$PWD/.testbed/${TESTBED_NAME:-playtb}"
echo "== cargo test (unit, property, end-to-end)"
cargo test --workspace --no-fail-fast 2>&1 | tee /tmp/play-cargo-test.log
echo "== terraform checks"
tests/terraform/check.sh
