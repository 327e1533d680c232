#!/usr/bin/env bash
# Brings up a local stand-in for a cloud fleet and writes everything a test needs to reach it:
#   <name>-public   bridge network: the "internet side"; the bastion's sshd is published on 127.0.0.1
#   <name>-private  bridge network with NAT out (like Cloud NAT) that the host itself cannot reach
#                   (iptables OUTPUT reject), so the bastion is the only way in
#   <name>-bastion  systemd + sshd on both networks
#   <name>-vm1..N   systemd + sshd on the private network only (hostnames vm1..vmN)
#   <name>-registry TLS + basic-auth registry, registry.<name>.test:5000 for the VMs,
#                   127.0.0.1:<port> for the host, holding app:v1, app:v2, app:v3
# Env: TESTBED_NAME (playtb), TESTBED_VMS (3), TESTBED_DIR (<repo>/.testbed/<name>),
#      TESTBED_DOCKER_PREINSTALLED (0; 1 = VMs come with docker.io), TESTBED_REGISTRY (1),
#      TESTBED_BASTION_VIA (port: 127.0.0.1:<published port>, through Docker's userland proxy;
#      ip: the bastion's address on <name>-public, port 22, a direct TCP connection as to a real
#      bastion; the benchmark uses it, because the proxy delays small packets).
# Idempotent: containers that already run the right image with the right key are kept.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
testbed_names

VMS="${TESTBED_VMS:-3}"
DOCKER_PREINSTALLED="${TESTBED_DOCKER_PREINSTALLED:-0}"
WITH_REGISTRY="${TESTBED_REGISTRY:-1}"
if ! [[ $VMS =~ ^[0-9]+$ ]] || ((VMS < 1 || VMS > 100)); then die "TESTBED_VMS='$VMS' must be a number from 1 to 100"; fi
[[ $DOCKER_PREINSTALLED == [01] ]] || die "TESTBED_DOCKER_PREINSTALLED='$DOCKER_PREINSTALLED' must be 0 or 1"
BASTION_VIA="${TESTBED_BASTION_VIA:-port}"
[[ $BASTION_VIA == port || $BASTION_VIA == ip ]] || die "TESTBED_BASTION_VIA='$BASTION_VIA' must be port or ip"
[[ $WITH_REGISTRY == [01] ]] || die "TESTBED_REGISTRY='$WITH_REGISTRY' must be 0 or 1"
started_at=$SECONDS

"$TESTBED_SCRIPTS_DIR/ensure-docker.sh"
TESTBED_DOCKER_PREINSTALLED="$DOCKER_PREINSTALLED" "$TESTBED_SCRIPTS_DIR/build-images.sh"
testbed_image_tags
VM_IMAGE="$TESTBED_IMAGE_VM"
((DOCKER_PREINSTALLED)) && VM_IMAGE="$TESTBED_IMAGE_VM_DOCKER"

STATE="$TESTBED_DIR"
mkdir -p "$STATE/registry"
chmod 0700 "$STATE"
KEY="$STATE/id_ed25519"
CA="$STATE/registry/ca.crt"

# ---- long-lived secrets of this testbed: made once, kept across down/up -------------------
if [[ ! -s $KEY ]]; then
  log "creating the operator key $KEY"
  ssh-keygen -q -t ed25519 -N '' -C "play-testbed-$TESTBED_NAME" -f "$KEY"
fi
if ((WITH_REGISTRY)); then
  if [[ ! -s $CA ]]; then
    log "creating the registry CA"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=play-testbed $TESTBED_NAME CA" \
      -keyout "$STATE/registry/ca.key" -out "$CA" 2>/dev/null
    chmod 0600 "$STATE/registry/ca.key"
  fi
  if [[ ! -s $STATE/registry/password ]]; then
    (umask 077 && openssl rand -hex 20 >"$STATE/registry/password")
  fi
  # bcrypt (-B) is the only hash the registry accepts; the password goes in on stdin, not argv.
  if [[ ! -s $STATE/registry/htpasswd || $STATE/registry/password -nt $STATE/registry/htpasswd ]]; then
    htpasswd -B -i -c "$STATE/registry/htpasswd" play <"$STATE/registry/password" 2>/dev/null
  fi
fi

# Containers carry this in a label: a new operator key or CA (both are mounted in) recreates them.
id_inputs=("$KEY.pub")
[[ -f $CA ]] && id_inputs+=("$CA")
KEY_ID="$(cat "${id_inputs[@]}" | sha256sum | cut -c1-12)"

# ---- networks --------------------------------------------------------------------------------
network_exists() { docker network inspect "$1" >/dev/null 2>&1; }
if ! network_exists "$TESTBED_NET_PUBLIC"; then
  # Dual stack on purpose: Docker 20.10 routes a container's published ports (and default route)
  # through its "gateway" network, preferring dual-stack networks and otherwise the first by
  # name, which would be <name>-private, where the host is blocked.
  ula="fd$(printf '%s' "$TESTBED_NAME" | sha256sum | cut -c1-2):$(printf '%s' "$TESTBED_NAME" | sha256sum | cut -c3-6):$(printf '%s' "$TESTBED_NAME" | sha256sum | cut -c7-10)::/64"
  log "creating network $TESTBED_NET_PUBLIC"
  docker network create --label "$TESTBED_LABEL" --ipv6 --subnet "$ula" "$TESTBED_NET_PUBLIC" >/dev/null ||
    die "could not create network $TESTBED_NET_PUBLIC" "is IPv6 disabled on this host? (sysctl net.ipv6.conf.all.disable_ipv6)"
fi
if ! network_exists "$TESTBED_NET_PRIVATE"; then
  log "creating network $TESTBED_NET_PRIVATE"
  docker network create --label "$TESTBED_LABEL" "$TESTBED_NET_PRIVATE" >/dev/null
fi
ipv4_subnet() { docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' "$1" | tr ' ' '\n' | grep -m1 '\.'; }
PRIVATE_SUBNET="$(ipv4_subnet "$TESTBED_NET_PRIVATE")"

# The host must not reach the private subnet: drop our rules for any older subnet, add ours.
# Packets to the host's own addresses are exempt: the RST/ICMP answer that REJECT sends back to
# the host is itself addressed into the subnet, and dropping it would turn a quick "connection
# refused" into a hang until timeout.
while read -r rule; do
  [[ -n $rule ]] || continue
  [[ $rule == *" -d $PRIVATE_SUBNET "* ]] && continue
  eval "iptables ${rule/-A OUTPUT/-D OUTPUT}"
done < <(iptables_rules_tagged "$TESTBED_IPTABLES_TAG")
reject_base=(OUTPUT -d "$PRIVATE_SUBNET" -m addrtype ! --dst-type LOCAL -m comment --comment "$TESTBED_IPTABLES_TAG")
if ! iptables -C "${reject_base[@]}" -j REJECT 2>/dev/null; then
  iptables -I "${reject_base[@]}" -j REJECT
fi
if ! iptables -C "${reject_base[@]}" -p tcp -j REJECT --reject-with tcp-reset 2>/dev/null; then
  log "iptables: host -> $PRIVATE_SUBNET rejected (rules tagged '$TESTBED_IPTABLES_TAG')"
  iptables -I "${reject_base[@]}" -p tcp -j REJECT --reject-with tcp-reset
fi

# ---- containers --------------------------------------------------------------------------------
VM_RUN_OPTS=(
  --cap-add ALL --cap-drop SYS_RESOURCE
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw
  --tmpfs /run --tmpfs /run/lock --tmpfs /var/lib/docker:exec
  --stop-signal SIGRTMIN+3
  -v "$KEY.pub:/etc/ssh/authorized_keys.d/play:ro"
)
((WITH_REGISTRY)) && VM_RUN_OPTS+=(-v "$CA:/usr/local/share/ca-certificates/play-testbed-registry.crt:ro")

# container_current NAME IMAGE: true if NAME runs IMAGE with this testbed's current operator key.
container_current() {
  local want="$2|$KEY_ID|running" have
  have="$(docker inspect -f '{{.Config.Image}}|{{index .Config.Labels "play-testbed.key"}}|{{.State.Status}}' "$1" 2>/dev/null || true)"
  [[ $have == "$want" ]]
}

# start_vm_like CONTAINER HOSTNAME NETWORK ALIAS IMAGE [docker run options...]
start_vm_like() {
  local name="$1" host="$2" net="$3" alias="$4" image="$5"
  shift 5
  container_current "$name" "$image" && return 0
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --hostname "$host" --network "$net" --network-alias "$alias" \
    --label "$TESTBED_LABEL" --label "play-testbed.key=$KEY_ID" "${VM_RUN_OPTS[@]}" "$@" "$image" >/dev/null
}

# The bastion's sshd is published on a port fixed when the container is made (not an ephemeral
# one, which Docker picks anew at every start), so a restarted bastion keeps its address: the
# fault tests restart it mid-run and expect play to find it again where the inventory says.
bastion_fixed_port() {
  local port
  port="$(docker inspect -f '{{with index .HostConfig.PortBindings "22/tcp"}}{{(index . 0).HostPort}}{{end}}' "$TESTBED_BASTION" 2>/dev/null || true)"
  [[ $port =~ ^[0-9]+$ ]]
}
free_local_port() { # a port nothing listens on, from a range seeded by the testbed's name
  local port=$((20000 + $(printf '%s' "$TESTBED_NAME" | cksum | cut -d' ' -f1) % 10000))
  while ss -Htln "sport = :$port" | grep -q . || docker ps -a --format '{{.Ports}}' | grep -q ":$port->"; do
    port=$((port + 1))
  done
  printf '%s\n' "$port"
}
log "starting bastion and $VMS VM(s)"
if ! container_current "$TESTBED_BASTION" "$TESTBED_IMAGE_VM" || ! bastion_fixed_port; then
  docker rm -f "$TESTBED_BASTION" >/dev/null 2>&1 || true
  start_vm_like "$TESTBED_BASTION" bastion "$TESTBED_NET_PUBLIC" bastion "$TESTBED_IMAGE_VM" -p "127.0.0.1:$(free_local_port):22"
  docker network connect --alias bastion "$TESTBED_NET_PRIVATE" "$TESTBED_BASTION"
fi

vm_container() { printf '%s-vm%s' "$TESTBED_NAME" "$1"; }
# Start VMs a few at a time: docker run itself is quick, the boots then overlap.
pids=()
for ((i = 1; i <= VMS; i++)); do
  start_vm_like "$(vm_container "$i")" "vm$i" "$TESTBED_NET_PRIVATE" "vm$i" "$VM_IMAGE" &
  pids+=($!)
  if ((${#pids[@]} >= 6)); then
    for pid in "${pids[@]}"; do wait "$pid" || die "starting a VM container failed" "see the docker error above"; done
    pids=()
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || die "starting a VM container failed" "see the docker error above"; done
# VMs beyond TESTBED_VMS from an earlier, larger run.
while read -r extra; do
  [[ -n $extra ]] || continue
  n="${extra##*-vm}"
  if [[ $n =~ ^[0-9]+$ ]] && ((n > VMS)); then
    log "removing $extra (TESTBED_VMS is now $VMS)"
    docker rm -f "$extra" >/dev/null
  fi
done < <(docker ps -a --filter "label=$TESTBED_LABEL" --format '{{.Names}}' | grep -E -- "^$TESTBED_NAME-vm[0-9]+$" || true)

# ---- registry ------------------------------------------------------------------------------------
REGISTRY_PORT=""
REGISTRY_IP=""
if ((WITH_REGISTRY)); then
  reg="$TESTBED_REGISTRY_CONTAINER"
  if ! container_current "$reg" "$TESTBED_IMAGE_REGISTRY"; then
    log "starting the registry"
    docker rm -f "$reg" >/dev/null 2>&1 || true
    rm -f "$STATE/registry/pushed"
    docker run -d --name "$reg" --hostname registry --network "$TESTBED_NET_PUBLIC" -p 127.0.0.1::5000 \
      --label "$TESTBED_LABEL" --label "play-testbed.key=$KEY_ID" "$TESTBED_IMAGE_REGISTRY" >/dev/null
    docker network connect --alias "$TESTBED_REGISTRY_HOST" "$TESTBED_NET_PRIVATE" "$reg"
    REGISTRY_IP="$(docker inspect -f "{{(index .NetworkSettings.Networks \"$TESTBED_NET_PRIVATE\").IPAddress}}" "$reg")"
    # The certificate names the registry as the VMs see it (DNS alias and private IP) and as the
    # host sees it (127.0.0.1), so TLS verifies from both sides.
    tls="$(mktemp -d)"
    openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$TESTBED_REGISTRY_HOST" \
      -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:%s,IP:%s,IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' \
      "$TESTBED_REGISTRY_HOST" "$REGISTRY_IP" >"$tls/ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$CA" -CAkey "$STATE/registry/ca.key" -CAcreateserial \
      -CAserial "$STATE/registry/ca.srl" -days 825 -extfile "$tls/ext" -out "$tls/server.crt" 2>/dev/null
    cat "$tls/server.crt" "$CA" >"$tls/chain.crt" && mv "$tls/chain.crt" "$tls/server.crt"
    rm -f "$tls/server.csr" "$tls/ext"
    docker exec "$reg" mkdir -p /etc/docker/registry/tls
    docker cp "$tls/." "$reg:/etc/docker/registry/tls/"
    docker cp "$STATE/registry/htpasswd" "$reg:/etc/docker/registry/htpasswd"
    docker exec "$reg" touch /etc/docker/registry/tls/ready
    rm -rf "$tls"
  fi
  REGISTRY_IP="$(docker inspect -f "{{(index .NetworkSettings.Networks \"$TESTBED_NET_PRIVATE\").IPAddress}}" "$reg")"
  REGISTRY_PORT="$(docker port "$reg" 5000/tcp | grep -m1 -o '[0-9]*$')"
  REGISTRY_HOSTSIDE="127.0.0.1:$REGISTRY_PORT"
  # An unauthenticated request answering 401 over verified TLS means: up, TLS right, auth on.
  registry_answers() {
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert "$CA" "https://$REGISTRY_HOSTSIDE/v2/")" == 401 ]]
  }
  wait_until 60 "the registry at https://$REGISTRY_HOSTSIDE/v2/ to answer 401 with TLS" registry_answers ||
    die "the registry does not answer on $REGISTRY_HOSTSIDE" "docker logs $reg"
  # The host's dockerd trusts the CA for this host:port; the login lives in the state dir, not ~/.docker.
  mkdir -p "/etc/docker/certs.d/$REGISTRY_HOSTSIDE"
  cp "$CA" "/etc/docker/certs.d/$REGISTRY_HOSTSIDE/ca.crt"
  if [[ "$(cat "$STATE/registry/pushed" 2>/dev/null || true)" != "$(docker inspect -f '{{.Id}}' "$reg")|$TESTBED_APP_HASH" ]]; then
    export DOCKER_CONFIG="$STATE/docker-config"
    docker login "$REGISTRY_HOSTSIDE" -u play --password-stdin <"$STATE/registry/password" >/dev/null 2>&1 ||
      die "docker login to $REGISTRY_HOSTSIDE failed" "check $STATE/registry/htpasswd against registry/password; docker logs $reg"
    for v in v1 v2 v3; do
      docker tag "play-testbed/app:$v" "$REGISTRY_HOSTSIDE/app:$v"
      docker push -q "$REGISTRY_HOSTSIDE/app:$v" >/dev/null || die "pushing app:$v to $REGISTRY_HOSTSIDE failed" "docker logs $reg"
      docker rmi "$REGISTRY_HOSTSIDE/app:$v" >/dev/null
    done
    unset DOCKER_CONFIG
    printf '%s|%s\n' "$(docker inspect -f '{{.Id}}' "$reg")" "$TESTBED_APP_HASH" >"$STATE/registry/pushed"
    log "pushed app:v1 app:v2 app:v3 to $REGISTRY_HOSTSIDE (VMs: $TESTBED_REGISTRY_HOST:$TESTBED_REGISTRY_INNER_PORT)"
  fi
fi

# ---- wait for every machine's sshd and read its host keys ---------------------------------------
# A machine is ready when its first-boot host keys exist and sshd runs. Keys are read with docker
# exec (a trusted side channel, as a cloud console or instance metadata would be), never scanned.
declare -A HOSTKEYS=()
machines=("$TESTBED_BASTION")
for ((i = 1; i <= VMS; i++)); do machines+=("$(vm_container "$i")"); done
timeout_s=$((90 + 5 * VMS))
deadline=$((SECONDS + timeout_s))
pending=("${machines[@]}")
while ((${#pending[@]})); do
  still=()
  for m in "${pending[@]}"; do
    status="$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$m" 2>/dev/null || echo "missing -")"
    if [[ $status != running* ]]; then
      docker logs --tail 20 "$m" >&2 2>&1 || true
      die "container $m is '$status' instead of booting" "past ~15 systemd containers this means fs.inotify.max_user_instances is too low (ensure-docker.sh raises it); otherwise see the log above"
    fi
    if keys="$(docker exec "$m" sh -c 'systemctl is-active -q ssh.service && cat /etc/ssh/ssh_host_ed25519_key.pub /etc/ssh/ssh_host_ecdsa_key.pub /etc/ssh/ssh_host_rsa_key.pub' 2>/dev/null)"; then
      HOSTKEYS[$m]="$keys"
    else
      still+=("$m")
    fi
  done
  pending=("${still[@]+"${still[@]}"}")
  if ((${#pending[@]})); then
    if ((SECONDS >= deadline)); then
      die "after ${timeout_s}s these machines have no sshd running yet: ${pending[*]}" \
        "look inside one: tests/testbed/vm.sh ${pending[0]#"$TESTBED_NAME-"} systemctl --failed; journalctl -u ssh"
    fi
    sleep 1
  fi
done

if [[ $BASTION_VIA == ip ]]; then
  BASTION_HOST="$(docker inspect -f "{{(index .NetworkSettings.Networks \"$TESTBED_NET_PUBLIC\").IPAddress}}" "$TESTBED_BASTION")"
  BASTION_PORT=22
else
  BASTION_HOST=127.0.0.1
  BASTION_PORT="$(docker port "$TESTBED_BASTION" 22/tcp | grep -m1 -o '[0-9]*$')"
fi
# known_hosts names a host on port 22 plainly, any other port as [host]:port.
BASTION_KNOWN_AS="[$BASTION_HOST]:$BASTION_PORT"
[[ $BASTION_PORT == 22 ]] && BASTION_KNOWN_AS="$BASTION_HOST"
# The address must land on the bastion's public side: read sshd's banner through it.
banner="$(timeout 5 bash -c "exec 3<>/dev/tcp/$BASTION_HOST/$BASTION_PORT && head -c 4 <&3" 2>/dev/null || true)"
[[ $banner == SSH- ]] || die "$BASTION_HOST:$BASTION_PORT does not reach the bastion's sshd" \
  "the port may be routed through $TESTBED_NET_PRIVATE, which the host is blocked from; docker inspect $TESTBED_BASTION"

private_ip() { docker inspect -f "{{(index .NetworkSettings.Networks \"$TESTBED_NET_PRIVATE\").IPAddress}}" "$1"; }
VM_NAMES=()
VM_IPS=()
VM_CONTAINERS=()
for ((i = 1; i <= VMS; i++)); do
  VM_NAMES+=("vm$i")
  VM_CONTAINERS+=("$(vm_container "$i")")
  VM_IPS+=("$(private_ip "$(vm_container "$i")")")
done

# Registry name resolution from a VM (Docker's embedded DNS serves network aliases); a VM's
# dockerd resolves through the same /etc/resolv.conf, so this covers `docker pull` too.
if ((WITH_REGISTRY)); then
  resolved="$(docker exec "${VM_CONTAINERS[0]}" getent hosts "$TESTBED_REGISTRY_HOST" | awk '{print $1}' || true)"
  [[ $resolved == "$REGISTRY_IP" ]] ||
    die "vm1 resolves $TESTBED_REGISTRY_HOST to '$resolved', expected $REGISTRY_IP" "docker network inspect $TESTBED_NET_PRIVATE"
fi

# ---- proof that the private network is closed to the host and open to the bastion ---------------
probe_ip="${VM_IPS[0]}"
if probe="$(timeout 3 bash -c "exec 3<>/dev/tcp/$probe_ip/22" 2>&1)"; then
  die "the host can open $probe_ip:22 directly: the private network is not closed" "iptables -S OUTPUT | grep '$TESTBED_IPTABLES_TAG'"
fi
probe="${probe##*: }"
docker exec "$TESTBED_BASTION" timeout 3 bash -c "exec 3<>/dev/tcp/$probe_ip/22" ||
  die "the bastion cannot reach vm1 at $probe_ip:22" "docker network inspect $TESTBED_NET_PRIVATE"
log "proof: host -> vm1 $probe_ip:22 fails (${probe:-timeout}); bastion -> vm1 $probe_ip:22 open; host -> bastion $BASTION_HOST:$BASTION_PORT open"

# ---- state files ----------------------------------------------------------------------------------
# Each file is written beside its final name and renamed, so a test never reads half a file.
write_state() { # write_state FILE (content on stdin)
  cat >"$STATE/$1.tmp" && mv "$STATE/$1.tmp" "$STATE/$1"
}

{
  while read -r type key _; do printf '%s %s %s\n' "$BASTION_KNOWN_AS" "$type" "$key"; done <<<"${HOSTKEYS[$TESTBED_BASTION]}"
  for ((i = 0; i < VMS; i++)); do
    while read -r type key _; do printf '%s %s %s\n' "${VM_IPS[$i]}" "$type" "$key"; done <<<"${HOSTKEYS[${VM_CONTAINERS[$i]}]}"
  done
} | write_state known_hosts

{
  printf '# Written by tests/testbed/up.sh for testbed %s. Use: ssh -F %s vm1\n' "$TESTBED_NAME" "$STATE/ssh_config"
  printf 'Host bastion\n  HostName %s\n  Port %s\n' "$BASTION_HOST" "$BASTION_PORT"
  for ((i = 0; i < VMS; i++)); do
    printf 'Host %s\n  HostName %s\n  ProxyJump bastion\n' "${VM_NAMES[$i]}" "${VM_IPS[$i]}"
  done
  printf 'Host %s\n  ProxyJump bastion\n' "${VM_IPS[*]}"
  printf 'Host *\n  User play\n  IdentityFile %s\n  IdentitiesOnly yes\n' "$KEY"
  printf '  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n' "$STATE/known_hosts"
  printf '  BatchMode yes\n  ConnectTimeout 10\n  LogLevel ERROR\n'
} | write_state ssh_config

# ansible-playbook: ProxyJump given with -o would not carry these options to the jump host, so the
# bastion hop is a ProxyCommand that names its own key and known_hosts.
proxy="ssh -W %h:%p -q -p $BASTION_PORT -i $KEY -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=$STATE/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes play@$BASTION_HOST"
{
  printf '# Written by tests/testbed/up.sh for testbed %s.\n[vms]\n' "$TESTBED_NAME"
  for ((i = 0; i < VMS; i++)); do printf '%s ansible_host=%s\n' "${VM_NAMES[$i]}" "${VM_IPS[$i]}"; done
  printf '\n[all:vars]\nansible_user=play\nansible_ssh_private_key_file=%s\n' "$KEY"
  printf 'play_bastion=play@%s:%s\nplay_known_hosts=%s\n' "$BASTION_HOST" "$BASTION_PORT" "$STATE/known_hosts"
  # Fifty handshakes through one bastion on two cores outlast ansible's default 10 s.
  printf 'ansible_ssh_timeout=60\n'
  printf "ansible_ssh_common_args='-o ProxyCommand=\"%s\" -o UserKnownHostsFile=%s -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -i %s'\n" \
    "$proxy" "$STATE/known_hosts" "$KEY"
} | write_state hosts.ini

{
  printf '# Facts about testbed %s, written by tests/testbed/up.sh. Source it: . %s\n' "$TESTBED_NAME" "$STATE/env.sh"
  # Single quotes, with any ' inside closed and escaped, so the file reads plainly and sources safely.
  q() { printf "export %s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; }
  q TESTBED_NAME "$TESTBED_NAME"
  q TESTBED_DIR "$STATE"
  q TESTBED_VMS "$VMS"
  q TESTBED_VM_NAMES "${VM_NAMES[*]}"
  q TESTBED_VM_IPS "${VM_IPS[*]}"
  q TESTBED_VM_CONTAINERS "${VM_CONTAINERS[*]}"
  q TESTBED_VM_IMAGE "$VM_IMAGE"
  q TESTBED_DOCKER_PREINSTALLED "$DOCKER_PREINSTALLED"
  q TESTBED_BASTION_CONTAINER "$TESTBED_BASTION"
  q TESTBED_BASTION_HOST "$BASTION_HOST"
  q TESTBED_BASTION_PORT "$BASTION_PORT"
  q TESTBED_BASTION "play@$BASTION_HOST:$BASTION_PORT"
  q TESTBED_BASTION_PRIVATE_IP "$(private_ip "$TESTBED_BASTION")"
  q TESTBED_SSH_USER play
  q TESTBED_SSH_KEY "$KEY"
  q TESTBED_KNOWN_HOSTS "$STATE/known_hosts"
  q TESTBED_SSH_CONFIG "$STATE/ssh_config"
  q TESTBED_INVENTORY "$STATE/hosts.ini"
  q TESTBED_NET_PUBLIC "$TESTBED_NET_PUBLIC"
  q TESTBED_NET_PRIVATE "$TESTBED_NET_PRIVATE"
  q TESTBED_PRIVATE_SUBNET "$PRIVATE_SUBNET"
  q TESTBED_REGISTRY "$WITH_REGISTRY"
  if ((WITH_REGISTRY)); then
    q TESTBED_REGISTRY_CONTAINER "$TESTBED_REGISTRY_CONTAINER"
    q TESTBED_REGISTRY_HOSTSIDE "$REGISTRY_HOSTSIDE"
    q TESTBED_REGISTRY_VMSIDE "$TESTBED_REGISTRY_HOST:$TESTBED_REGISTRY_INNER_PORT"
    q TESTBED_REGISTRY_IP "$REGISTRY_IP"
    q TESTBED_REGISTRY_USER play
    q TESTBED_REGISTRY_PASSWORD_FILE "$STATE/registry/password"
    q TESTBED_REGISTRY_CA "$CA"
    q TESTBED_APP_REPO "$TESTBED_REGISTRY_HOST:$TESTBED_REGISTRY_INNER_PORT/app"
  fi
} | write_state env.sh

shown="${VM_IPS[*]:0:5}"
((VMS > 5)) && shown+=" ..."
log "testbed '$TESTBED_NAME' is up in $((SECONDS - started_at))s: bastion $BASTION_HOST:$BASTION_PORT, $VMS VM(s) $shown"
log "state: $STATE (source env.sh; ssh -F $STATE/ssh_config vm1)"
