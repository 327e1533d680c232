#!/usr/bin/env bash
# The demo: bring up the local testbed (a bastion and 3 VMs as containers, a TLS registry)
# and run a playbook onto it through the bastion.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
command -v file >/dev/null || { apt-get update -qq && apt-get install -y -qq file >/dev/null; }
tests/testbed/ensure-docker.sh
tests/testbed/build-images.sh
tests/build.sh --release
tests/testbed/up.sh
export PLAY_AGENT="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release/play-agent"
play="$CARGO_TARGET_DIR/release/play"
tb=".testbed/${TESTBED_NAME:-playtb}"
echo "== play -i $tb/hosts.ini ${DEMO_PLAYBOOK:-playbooks/site.yml}"
"$play" -i "$tb/hosts.ini" "${DEMO_PLAYBOOK:-playbooks/site.yml}" "$@"
echo
echo "The testbed stays up: ssh -F $tb/ssh_config vm1, or rerun the line above. Remove it with tests/testbed/down.sh"
