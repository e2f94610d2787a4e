#!/bin/bash
# Install the Debian packages needed to build and test ckpt. Idempotent:
# does nothing when everything is already installed.
set -euo pipefail

PKGS="linux-source-6.1 gcc-m68k-linux-gnu libc6-dev-m68k-cross
gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-misc qemu-system-arm
qemu-system-x86 busybox-static ccache flex bison bc libelf-dev libssl-dev cpio
xz-utils kmod rsync python3 gcc make perl"

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
	done
}

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

# shellcheck disable=SC2086
todo=$(missing $PKGS)
if [ -n "$todo" ]; then
	echo "[ckpt] installing:" $todo
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $todo
else
	echo "[ckpt] all build packages present"
fi

# Optional: busybox for arm64 guests (gives them a shell). busybox-static:arm64
# cannot be installed next to the amd64 one, so its .deb is only unpacked into
# build/busybox-arm64/. Never fatal.
. "$(dirname "$0")/lib.sh"
if [ ! -x "$BUILD/busybox-arm64/bin/busybox" ] && [ "${CKPT_SKIP_ARM64_BUSYBOX:-}" != 1 ]; then
	(
		set -e
		dpkg --print-foreign-architectures | grep -qx arm64 || {
			$SUDO dpkg --add-architecture arm64
			timeout 300 $SUDO apt-get update -q >/dev/null
		}
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
		chmod 777 "$tmp"
		(cd "$tmp" && timeout 300 apt-get download -q busybox-static:arm64 >/dev/null 2>&1) ||
			{ timeout 300 $SUDO apt-get update -q >/dev/null; (cd "$tmp" && timeout 300 apt-get download -q busybox-static:arm64 >/dev/null); }
		rm -rf "$BUILD/busybox-arm64"
		mkdir -p "$BUILD"
		dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$BUILD/busybox-arm64"
		echo "[ckpt] busybox for arm64 guests: build/busybox-arm64/bin/busybox"
	) || echo "[ckpt] note: busybox-static:arm64 not available (optional: arm64 guests get no shell)"
fi
exit 0
