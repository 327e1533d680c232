#!/usr/bin/env bash
# Makes this machine able to run the testbed: a working Docker Engine (started by hand, since
# these machines have no init system to do it), the host tools the other scripts call, and an
# inotify limit high enough for dozens of systemd containers. Idempotent: a second run with
# everything in place takes well under a second.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKERD_LOG=/var/log/play-dockerd.log
DOCKERD_START_TIMEOUT="${DOCKERD_START_TIMEOUT:-120}"

[[ $EUID -eq 0 ]] || die "ensure-docker.sh must run as root (it installs packages and starts dockerd)" "run it with sudo"

apt_updated=0
# apt_install PKG...: installs packages, running `apt-get update` at most once per run. Services
# that a package would start are held back (policy-rc.d), because this script starts dockerd
# itself with the options and log file it wants.
apt_install() {
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if ((apt_updated == 0)); then
    log "apt-get update"
    apt-get update -qq || die "apt-get update failed" "check that Debian's mirror in /etc/apt/sources.list.d/ is reachable"
    apt_updated=1
  fi
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
  fi
  log "apt-get install $*"
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || rc=$?
  ((made_policy)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get install $* failed (exit $rc)" "run 'apt-get install $*' by hand to see why"
}

# Host tools: command -> Debian package. Only the missing ones are installed.
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need dockerd docker.io
need debootstrap debootstrap
need openssl openssl
need htpasswd apache2-utils
need iptables iptables
need ssh openssh-client
need ssh-keygen openssh-client
# The app images need a static busybox (ldd fails on a static binary).
if [[ ! -x /bin/busybox ]] || ldd /bin/busybox >/dev/null 2>&1; then missing+=(busybox-static); fi
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  apt_install "${missing[@]}"
fi

# Past ~15 systemd containers new ones exit 255 at boot with the default of 128.
if (($(cat /proc/sys/fs/inotify/max_user_instances) < 8192)); then
  sysctl -q -w fs.inotify.max_user_instances=8192 || die "could not raise fs.inotify.max_user_instances" "set it by hand: sysctl -w fs.inotify.max_user_instances=8192"
fi
# Many VMs each run journald/sshd/dockerd: give them room for watches too.
if (($(cat /proc/sys/fs/inotify/max_user_watches) < 524288)); then
  sysctl -q -w fs.inotify.max_user_watches=524288 || true
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi

dockerd_running() { [[ -f /var/run/docker.pid ]] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; }

# start_dockerd DRIVER: starts dockerd detached from this shell and waits until it answers.
start_dockerd() {
  local driver="$1"
  log "starting dockerd (storage driver $driver), log: $DOCKERD_LOG"
  printf '\n===== %s: starting dockerd --storage-driver=%s\n' "$(date -Is)" "$driver" >>"$DOCKERD_LOG"
  # setsid + nohup: dockerd must outlive this script and the shell that ran it.
  setsid nohup dockerd --storage-driver="$driver" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local pid=$! deadline=$((SECONDS + DOCKERD_START_TIMEOUT))
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "dockerd exited during start-up; last lines of $DOCKERD_LOG:"
      tail -n 15 "$DOCKERD_LOG" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "dockerd did not answer 'docker info' within ${DOCKERD_START_TIMEOUT}s; last lines of $DOCKERD_LOG:"
      tail -n 15 "$DOCKERD_LOG" >&2
      kill "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
  log "dockerd is up (pid $pid, storage driver $driver)"
}

# A dockerd that is still starting (or still shutting down) gets the same bounded time; once it
# has exited, start a new one.
if dockerd_running; then
  pid="$(cat /var/run/docker.pid)"
  log "dockerd (pid $pid) is running but not answering yet; waiting"
  answering_or_gone() { docker info >/dev/null 2>&1 || ! kill -0 "$pid" 2>/dev/null; }
  wait_until "$DOCKERD_START_TIMEOUT" "dockerd pid $pid to answer 'docker info' or exit" answering_or_gone ||
    die "dockerd pid $pid runs but 'docker info' fails" "see $DOCKERD_LOG, or stop that dockerd and rerun this script"
  docker info >/dev/null 2>&1 && exit 0
  log "dockerd pid $pid has exited; starting a new one"
fi

# A storage driver chosen before (e.g. vfs after an overlay2 failure) must be kept: the images
# live under that driver's folder.
preferred=overlay2
[[ -d /var/lib/docker/vfs/dir && ! -d /var/lib/docker/overlay2/l ]] && preferred=vfs
if ! start_dockerd "$preferred"; then
  [[ $preferred == overlay2 ]] || die "dockerd failed to start" "read $DOCKERD_LOG"
  log "overlay2 failed; falling back to vfs (slower, uses more disk)"
  start_dockerd vfs || die "dockerd failed to start with overlay2 and with vfs" "read $DOCKERD_LOG"
fi
