#!/bin/sh
# Installs every Debian 12 package that vfio-migd's build, tests and demo need.
# Idempotent: when everything is present it changes nothing and runs no apt-get at all.
# Usage: packaging/install-deps.sh [--vm]   (--vm adds what the real-kernel tier needs)
set -eu

PKGS="meson ninja-build gcc pkg-config clang libclang-rt-14-dev clang-format
protobuf-c-compiler libprotobuf-c-dev libevent-dev libssl-dev openssl check
libsystemd-dev libinih-dev libjson-c-dev socat time iproute2 procps util-linux
curl dpkg-dev debhelper fakeroot lintian man-db
systemd groff-base"

if [ "${1:-}" = "--vm" ]; then
	PKGS="$PKGS qemu-system-x86 busybox-static cpio kmod xz-utils make bc"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (or install them yourself) and try again" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing
