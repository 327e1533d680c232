#!/usr/bin/env bash
# Takes a testbed down: its containers, networks, iptables rule and the host's trust entry for its
# registry. Keeps images and caches (the next up.sh is fast) and the state dir's long-lived
# secrets (operator key, registry CA and password); removes the files that describe a running
# testbed (env.sh, hosts.ini, ssh_config, known_hosts), so a test cannot use a stale one.
# Env: TESTBED_NAME (playtb), TESTBED_DIR (<repo>/.testbed/<name>).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
testbed_names

if ! docker info >/dev/null 2>&1; then
  log "docker is not running: no containers or networks to remove"
else
  mapfile -t containers < <(docker ps -aq --filter "label=$TESTBED_LABEL")
  if ((${#containers[@]})); then
    log "removing ${#containers[@]} container(s) of testbed '$TESTBED_NAME'"
    # systemd containers stop slowly; -f kills them, nothing in them needs a clean shutdown.
    docker rm -f -v "${containers[@]}" >/dev/null
  fi
  mapfile -t networks < <(docker network ls -q --filter "label=$TESTBED_LABEL")
  if ((${#networks[@]})); then
    log "removing networks $TESTBED_NET_PUBLIC $TESTBED_NET_PRIVATE"
    docker network rm "${networks[@]}" >/dev/null
  fi
fi

while read -r rule; do
  [[ -n $rule ]] || continue
  log "iptables: removing '$rule'"
  eval "iptables ${rule/-A OUTPUT/-D OUTPUT}"
done < <(iptables_rules_tagged "$TESTBED_IPTABLES_TAG")

# The host's dockerd trusts our registry CA per host:port; drop every entry holding our CA.
if [[ -s $TESTBED_DIR/registry/ca.crt ]]; then
  for ca in /etc/docker/certs.d/*/ca.crt; do
    [[ -f $ca ]] && cmp -s "$ca" "$TESTBED_DIR/registry/ca.crt" && rm -rf "$(dirname "$ca")"
  done
fi
rm -rf "$TESTBED_DIR/env.sh" "$TESTBED_DIR/hosts.ini" "$TESTBED_DIR/ssh_config" "$TESTBED_DIR/known_hosts" \
  "$TESTBED_DIR/registry/pushed" "$TESTBED_DIR/docker-config"
log "testbed '$TESTBED_NAME' is down (images, caches and $TESTBED_DIR keys kept)"
