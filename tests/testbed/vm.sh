#!/usr/bin/env bash
# Runs a command inside one testbed machine through docker exec (a side channel: no ssh, no
# bastion), for tests that read files on a VM or break it on purpose.
#   vm.sh vm1 cat /var/lib/play/releases/app.jsonl
#   vm.sh vm2 --stop | --start | --pause | --unpause | --kill | --ip
#   vm.sh bastion journalctl -u ssh --no-pager
# NAME is vm<N>, bastion, registry, or a full container name. Env: TESTBED_NAME (playtb).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
testbed_names

(($# >= 1)) || die "usage: vm.sh NAME CMD... | vm.sh NAME --stop|--start|--pause|--unpause|--kill|--ip"
name="$1"
shift
case "$name" in
  vm[0-9]* | bastion | registry) container="$TESTBED_NAME-$name" ;;
  *) container="$name" ;;
esac
docker inspect "$container" >/dev/null 2>&1 ||
  die "no container '$container' (testbed '$TESTBED_NAME')" "is the testbed up? tests/testbed/up.sh; docker ps --filter label=$TESTBED_LABEL"

case "${1:-}" in
  --stop) exec docker stop -t 10 "$container" >/dev/null ;;
  --start) exec docker start "$container" >/dev/null ;;
  --pause) exec docker pause "$container" >/dev/null ;;
  --unpause) exec docker unpause "$container" >/dev/null ;;
  --kill) exec docker kill "$container" >/dev/null ;;
  --ip) exec docker inspect -f "{{(index .NetworkSettings.Networks \"$TESTBED_NET_PRIVATE\").IPAddress}}" "$container" ;;
  "") die "no command given for $container" "e.g. vm.sh $name systemctl is-system-running" ;;
esac
# -i only when stdin is not a terminal-less void, so `vm.sh vm1 cat > file` and pipes both work.
if [[ -t 0 ]]; then exec docker exec -it "$container" "$@"; fi
exec docker exec -i "$container" "$@"
