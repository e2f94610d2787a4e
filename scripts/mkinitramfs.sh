#!/bin/bash
# Build a test initramfs (newc cpio, uncompressed):
#   scripts/mkinitramfs.sh ARCH OUT.cpio [--add DIR] [--root DIR] [--run FILE]
# Contents:
#   /init                 scripts/init.c, static for ARCH
#   /bin/*                what userspace/Makefile built (build/ARCH/user: ckpt, ...)
#   /bin/busybox + applet links (x86_64; arm64 if build/busybox-arm64 exists)
#   /usr/include/ckpt/    userspace/*.h and linux/ckpt.h
#   /usr/share/ckpt/      userspace/*.sh (demo scripts)
#   /tests/ckpt/          build/ARCH/selftests (binaries, data/)
#   /user/                contents of --add DIR
#   /                     contents of --root DIR (programs with their
#                         shared libraries, at their own paths)
#   /etc/ckpt-run         --run FILE (without it, /init starts a shell)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { die "usage: $0 ARCH OUT.cpio [--add DIR] [--root DIR] [--run FILE]"; }
[ $# -ge 2 ] || usage
NAME=$1 CPIO=$2
shift 2
ADD= RUN= TOP=
while [ $# -gt 0 ]; do
	case "$1" in
	--add) [ $# -ge 2 ] || usage; ADD=$2; shift 2 ;;
	--root) [ $# -ge 2 ] || usage; TOP=$2; shift 2 ;;
	--run) [ $# -ge 2 ] || usage; RUN=$2; shift 2 ;;
	*) usage ;;
	esac
done
arch_info "$NAME"
CC_USER=$(user_cc "$BASE")

# /init, rebuilt when init.c changes.
INIT=$OUT/ckpt-init
mkdir -p "$OUT"
if [ ! -x "$INIT" ] || [ "$REPO/scripts/init.c" -nt "$INIT" ]; then
	"$CC_USER" -static -O2 -Wall -o "$INIT" "$REPO/scripts/init.c"
fi

ROOT=$OUT/initramfs-root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,etc,dev,proc,sys,tmp,root,tests/ckpt,usr/include/ckpt,usr/share/ckpt,user}
cp "$INIT" "$ROOT/init"

# Userspace programs.
if [ -d "$OUT/user" ]; then
	for f in "$OUT"/user/*; do
		[ -f "$f" ] && [ -x "$f" ] && cp "$f" "$ROOT/bin/"
	done
fi
cp "$REPO"/userspace/*.h "$ROOT/usr/include/ckpt/" 2>/dev/null || true
cp "$REPO"/userspace/*.sh "$ROOT/usr/share/ckpt/" 2>/dev/null || true
[ -f "$OUT/headers/include/linux/ckpt.h" ] && cp "$OUT/headers/include/linux/ckpt.h" "$ROOT/usr/include/ckpt/"

# Selftests.
[ -d "$OUT/selftests" ] && cp -a "$OUT/selftests/." "$ROOT/tests/ckpt/"

# Busybox (optional).
BB=
case "$BASE" in
x86_64) BB=/bin/busybox ;;
arm64)  BB=$BUILD/busybox-arm64/bin/busybox ;;
esac
if [ -n "$BB" ] && [ -x "$BB" ]; then
	cp "$BB" "$ROOT/bin/busybox"
	# Applet names from the host's busybox (same Debian version).
	for a in $(/bin/busybox --list 2>/dev/null); do
		[ -e "$ROOT/bin/$a" ] || ln -s busybox "$ROOT/bin/$a"
	done
fi

[ -n "$ADD" ] && { [ -d "$ADD" ] || die "--add $ADD: not a directory"; cp -a "$ADD/." "$ROOT/user/"; }
[ -n "$TOP" ] && { [ -d "$TOP" ] || die "--root $TOP: not a directory"; cp -a "$TOP/." "$ROOT/"; }
[ -n "$RUN" ] && cp "$RUN" "$ROOT/etc/ckpt-run"

mkdir -p "$(dirname "$CPIO")"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$CPIO.tmp"
mv "$CPIO.tmp" "$CPIO"
log "$NAME: initramfs $CPIO ($(du -h "$CPIO" | cut -f1))"
