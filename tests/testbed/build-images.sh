#!/usr/bin/env bash
# Builds the testbed's images locally (no registry is reachable here), each only when its tag
# is missing. Tags are hashes of the build inputs, so editing a file under images/ rebuilds.
#   play-testbed/base:<h>       debootstrap minbase bookworm (tarball cached in /var/cache/play-testbed)
#   play-testbed/vm:<h>         the "VM": systemd, sshd (host keys made at first boot), user play, python3
#   play-testbed/vm-docker:<h>  the VM plus docker.io (only with TESTBED_DOCKER_PREINSTALLED=1 or --vm-docker)
#   play-testbed/registry:<h>   Debian's docker-registry on the base
#   play-testbed/app:v1,v2,v3   2 MB busybox HTTP app; v3's /health always answers 500
# Usage: build-images.sh [--vm-docker] [--print-tags]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

want_vm_docker="${TESTBED_DOCKER_PREINSTALLED:-0}"
print_tags=0
for arg in "$@"; do
  case "$arg" in
    --vm-docker) want_vm_docker=1 ;;
    --print-tags) print_tags=1 ;;
    *) die "unknown argument '$arg'" "usage: build-images.sh [--vm-docker] [--print-tags]" ;;
  esac
done

testbed_image_tags
if ((print_tags)); then
  printf 'TESTBED_IMAGE_BASE=%s\nTESTBED_IMAGE_VM=%s\nTESTBED_IMAGE_VM_DOCKER=%s\nTESTBED_IMAGE_REGISTRY=%s\n' \
    "$TESTBED_IMAGE_BASE" "$TESTBED_IMAGE_VM" "$TESTBED_IMAGE_VM_DOCKER" "$TESTBED_IMAGE_REGISTRY"
  exit 0
fi

docker info >/dev/null 2>&1 || die "docker is not answering" "run tests/testbed/ensure-docker.sh first"
mkdir -p "$TESTBED_CACHE_DIR"
# Two testbeds starting at once must not build the same image twice.
exec 9>"$TESTBED_CACHE_DIR/build.lock"
flock -w 1800 9 || die "another build-images.sh held $TESTBED_CACHE_DIR/build.lock for 30 minutes" "look for a stuck build: ps aux | grep -E 'debootstrap|docker build'"

IMAGES="$TESTBED_SCRIPTS_DIR/images"
BUILD_LOG="$TESTBED_CACHE_DIR/build.log"

# docker_build TAG DIR BASE: the classic builder, so no BuildKit/buildx is needed; output goes to
# the build log and its tail is shown on failure.
docker_build() {
  local tag="$1" dir="$2" base="$3"
  log "building $tag (log: $BUILD_LOG)"
  printf '\n===== %s: docker build %s\n' "$(date -Is)" "$tag" >>"$BUILD_LOG"
  if ! DOCKER_BUILDKIT=0 docker build --quiet=false --network default --build-arg "BASE=$base" \
    --label "play-testbed.inputs=${tag##*:}" -t "$tag" "$dir" >>"$BUILD_LOG" 2>&1; then
    tail -n 25 "$BUILD_LOG" >&2
    die "docker build of $tag failed" "read $BUILD_LOG; a failing apt-get means the containers cannot reach Debian's mirror"
  fi
}

build_base() {
  local tag="$TESTBED_IMAGE_BASE" tarball="$TESTBED_CACHE_DIR/base-${TESTBED_IMAGE_BASE##*:}.tar"
  image_exists "$tag" && return 0
  if [[ ! -s $tarball ]]; then
    local mirror root="$TESTBED_CACHE_DIR/rootfs-${tag##*:}"
    mirror="$(debian_mirror)"
    rm -rf "$root"
    mkdir -p "$TESTBED_CACHE_DIR/debs"
    log "debootstrap $TESTBED_SUITE from $mirror (first build only, about a minute)"
    printf '\n===== %s: debootstrap %s\n' "$(date -Is)" "$tag" >>"$BUILD_LOG"
    # debootstrap mounts /proc etc. in the target; unmount them whatever happens.
    trap 'umount -R "'"$root"'/proc" "'"$root"'/sys" 2>/dev/null || true' EXIT
    if ! timeout 1200 debootstrap --variant=minbase --include="$TESTBED_BASE_PACKAGES" \
      --cache-dir="$TESTBED_CACHE_DIR/debs" "$TESTBED_SUITE" "$root" "$mirror" >>"$BUILD_LOG" 2>&1; then
      tail -n 25 "$BUILD_LOG" >&2
      die "debootstrap failed" "read $BUILD_LOG (and $root/debootstrap/debootstrap.log if it exists)"
    fi
    # The package lists debootstrap used are stale by the time a VM runs apt-get: drop them,
    # as a cloud image does; `apt-get update` on the VM fetches fresh ones.
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
    trap - EXIT
    log "cached the base tarball at $tarball ($(du -h "$tarball" | cut -f1))"
  fi
  log "importing $tag"
  docker import --change 'CMD ["/bin/bash"]' "$tarball" "$tag" >/dev/null ||
    die "docker import of $tarball failed" "delete $tarball to rebuild it"
}

build_app() {
  local version healthy tag root
  while read -r version healthy; do
    [[ -z $version || $version == \#* ]] && continue
    tag="play-testbed/app:$version"
    if [[ "$(docker image inspect -f '{{index .Config.Labels "play-testbed.inputs"}}' "$tag" 2>/dev/null || true)" == "$TESTBED_APP_HASH" ]]; then
      continue
    fi
    log "building $tag (healthy: $healthy)"
    root="$(mktemp -d)"
    mkdir -p "$root/bin" "$root/app" "$root/tmp"
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    local applet
    for applet in $(/bin/busybox --list); do
      [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
    done
    sed -e "s/@VERSION@/$version/" -e "s/@HEALTHY@/$healthy/" "$IMAGES/app/handle" >"$root/app/handle"
    chmod 0755 "$root/app/handle"
    tar -C "$root" --numeric-owner -cf - . |
      docker import \
        --change 'CMD ["/bin/busybox", "nc", "-ll", "-p", "8080", "-e", "/app/handle"]' \
        --change 'EXPOSE 8080' \
        --change "LABEL play-testbed.inputs=$TESTBED_APP_HASH" \
        --change "LABEL org.opencontainers.image.version=$version" \
        - "$tag" >/dev/null
    rm -rf "$root"
  done <"$IMAGES/app/versions"
}

build_base
image_exists "$TESTBED_IMAGE_VM" || docker_build "$TESTBED_IMAGE_VM" "$IMAGES/vm" "$TESTBED_IMAGE_BASE"
image_exists "$TESTBED_IMAGE_REGISTRY" || docker_build "$TESTBED_IMAGE_REGISTRY" "$IMAGES/registry" "$TESTBED_IMAGE_BASE"
if [[ $want_vm_docker == 1 ]]; then
  image_exists "$TESTBED_IMAGE_VM_DOCKER" || docker_build "$TESTBED_IMAGE_VM_DOCKER" "$IMAGES/vm-docker" "$TESTBED_IMAGE_VM"
fi
build_app
log "images ready: $TESTBED_IMAGE_VM $TESTBED_IMAGE_REGISTRY play-testbed/app:{v1,v2,v3}$([[ $want_vm_docker == 1 ]] && echo " $TESTBED_IMAGE_VM_DOCKER")"
