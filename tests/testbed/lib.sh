# shellcheck shell=bash
# shellcheck disable=SC2034  # the names set here are used by the scripts that source this file
# Shared helpers for the testbed scripts: logging, failing with a hint, bounded waits, and
# the names every script agrees on (testbed name, state dir, image tags). Sourced, never run.

TESTBED_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TESTBED_REPO_ROOT="$(cd "$TESTBED_SCRIPTS_DIR/../.." && pwd)"
TESTBED_CACHE_DIR="${TESTBED_CACHE_DIR:-/var/cache/play-testbed}"

log() { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# die MESSAGE [HINT]: one line saying what failed, one saying what to do next.
die() {
  printf '[testbed] ERROR: %s\n' "$1" >&2
  [[ -n "${2:-}" ]] && printf '[testbed] hint: %s\n' "$2" >&2
  exit 1
}

# wait_until TIMEOUT_SECONDS WHAT CMD...: polls CMD every 0.5 s (silently) until it succeeds;
# fails with WHAT and the timeout so nobody waits forever on a testbed that will not come up.
wait_until() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 0.5
  done
}

# The testbed's identity: its name and where its state (keys, inventory, env.sh) lives.
testbed_names() {
  TESTBED_NAME="${TESTBED_NAME:-playtb}"
  [[ "$TESTBED_NAME" =~ ^[a-z][a-z0-9-]{0,30}$ ]] ||
    die "TESTBED_NAME='$TESTBED_NAME' is not a valid name" "use lowercase letters, digits and '-', starting with a letter"
  TESTBED_DIR="${TESTBED_DIR:-$TESTBED_REPO_ROOT/.testbed/$TESTBED_NAME}"
  TESTBED_NET_PUBLIC="$TESTBED_NAME-public"
  TESTBED_NET_PRIVATE="$TESTBED_NAME-private"
  TESTBED_BASTION="$TESTBED_NAME-bastion"
  TESTBED_REGISTRY_CONTAINER="$TESTBED_NAME-registry"
  TESTBED_REGISTRY_HOST="registry.$TESTBED_NAME.test"
  TESTBED_REGISTRY_INNER_PORT=5000
  # Every container and network carries this label, so down.sh finds exactly what up.sh made.
  TESTBED_LABEL="play-testbed=$TESTBED_NAME"
  TESTBED_IPTABLES_TAG="play-testbed:$TESTBED_NAME"
}

# Image tags are a short hash of the build inputs, so editing an input rebuilds. Computed from
# the files under images/ and the mirror, and printed by build-images.sh --print-tags.
debian_mirror() {
  local uri=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    uri="$(awk '/^URIs:/ && $2 ~ /debian\/?$/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources)"
  fi
  if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
    uri="$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)"
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# What goes into the Debian base: changing any of these rebuilds everything above it.
TESTBED_SUITE=bookworm
TESTBED_BASE_PACKAGES="openssh-server,sudo,systemd,systemd-sysv,dbus,iproute2,ca-certificates,curl,gnupg,procps,python3"

# hash_inputs STRING PATH...: 12 hex digits over a string and the names, modes and contents of
# the files under PATHs (sorted, so the result does not depend on directory order).
hash_inputs() {
  local seed="$1"
  shift
  {
    printf '%s\n' "$seed"
    find "$@" -type f -printf '%P %m\n' | sort
    find "$@" -type f -print0 | sort -z | xargs -0 sha256sum | awk '{print $1}'
  } | sha256sum | cut -c1-12
}

# Sets TESTBED_IMAGE_{BASE,VM,VM_DOCKER,REGISTRY} and TESTBED_APP_HASH from the build inputs.
testbed_image_tags() {
  local images="$TESTBED_SCRIPTS_DIR/images" builder="$TESTBED_SCRIPTS_DIR/build-images.sh"
  local base vm
  base="$(printf 'debootstrap minbase %s %s %s\n' "$TESTBED_SUITE" "$TESTBED_BASE_PACKAGES" "$(debian_mirror)" | sha256sum | cut -c1-12)"
  vm="$(hash_inputs "$base" "$images/vm" "$builder")"
  TESTBED_IMAGE_BASE="play-testbed/base:$base"
  TESTBED_IMAGE_VM="play-testbed/vm:$vm"
  TESTBED_IMAGE_VM_DOCKER="play-testbed/vm-docker:$(hash_inputs "$vm" "$images/vm-docker")"
  TESTBED_IMAGE_REGISTRY="play-testbed/registry:$(hash_inputs "$base" "$images/registry" "$builder")"
  TESTBED_APP_HASH="$(hash_inputs app "$images/app" "$builder")"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# iptables -S lines of the OUTPUT rules carrying TAG (iptables quotes the comment, or not).
iptables_rules_tagged() {
  iptables -S OUTPUT 2>/dev/null | grep -E -- "--comment \"?$1\"?( |$)" || true
}
