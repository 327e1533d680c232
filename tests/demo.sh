#!/usr/bin/env bash
# The demo: bring up the local testbed (a bastion and 3 VMs as containers on a private network,
# a TLS registry with auth) and release the service onto it with playbooks/docker.yml through
# the bastion. DEMO_TAG picks the image tag (v1, v2; v3 never gets healthy).
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
# shellcheck source=/dev/null
. "$tb/env.sh"

# The release's variables, as an operator would keep them in group_vars or a vault file:
# the registry, its credentials and CA, and the service's secret environment.
vars="$tb/release-vars.yml"
umask 077
{
  echo "image_repo: $TESTBED_APP_REPO"
  echo "registry_username: $TESTBED_REGISTRY_USER"
  echo "registry_password: \"$(cat "$TESTBED_REGISTRY_PASSWORD_FILE")\""
  echo "registry_ca_file: $TESTBED_REGISTRY_CA"
  echo "app_env:"
  echo "  APP_GREETING: hello"
  echo "  APP_TOKEN: demo-secret-token"
} >"$vars"

tag="${DEMO_TAG:-v1}"
echo "== $play -i $tb/hosts.ini playbooks/docker.yml -e @$vars -e image_tag=$tag"
"$play" -i "$tb/hosts.ini" playbooks/docker.yml -e "@$vars" -e "image_tag=$tag" "$@"
echo
for vm in $TESTBED_VM_NAMES; do
  printf '%s serves: %s\n' "$vm" "$(tests/testbed/vm.sh "$vm" curl -s http://127.0.0.1:8080/ | tr '\n' ' ')"
done
cat <<EOF

Next:
  DEMO_TAG=v2 tests/demo.sh                 # release v2
  $play releases -i $tb/hosts.ini           # what runs where, and what ran before
  $play rollback -i $tb/hosts.ini playbooks/docker.yml -e @$vars   # back to the previous release, by digest
The testbed stays up (ssh -F $tb/ssh_config vm1). Remove it with tests/testbed/down.sh
EOF
