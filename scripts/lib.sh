# Common helpers, sourced by the other scripts (not executed directly).
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${CKPT_BUILD_DIR:-$REPO/build}
TREE=$BUILD/src/linux
LOGS=$BUILD/logs
RUNTIME_ARCHES="x86_64 arm64 m68k"
COMPILE_ARCHES="sun3 sun3x"
# Debug variants: a runtime arch's kernel + scripts/configs/debug.config
# (KASAN, lockdep, kmemleak...), in its own build dir ("make check DEBUG=1").
DEBUG_ARCHES="x86_64-debug"
ALL_ARCHES="$RUNTIME_ARCHES $COMPILE_ARCHES $DEBUG_ARCHES"
# Bench variants: a runtime arch's kernel + scripts/configs/bench.config
# (no debug options; what CRIU needs), for "make bench" only.
BENCH_ARCHES="x86_64-bench arm64-bench m68k-bench"

# Kernel make also uses ARCH; never inherit one from the caller's environment.
unset ARCH CROSS_COMPILE

log() { printf '[ckpt] %s\n' "$*" >&2; }
die() { printf '[ckpt] ERROR: %s\n' "$*" >&2; exit 1; }

# arch_info NAME: sets KARCH (kernel ARCH=), CROSS (prefix), KIMAGE (path
# inside the build dir of the bootable image, empty for compile-only arches),
# MAKE_TARGET, DEFCONFIG (empty => tinyconfig + fragments), OUT (build dir),
# BASE (the arch a variant is of: x86_64 for x86_64-debug, else NAME) and
# VARIANT (empty, "debug" or "bench": one more fragment, scripts/configs/
# VARIANT.config).
arch_info() {
	BASE=$1 VARIANT=
	case "$1" in
	x86_64-debug) arch_info x86_64; BASE=x86_64 VARIANT=debug ;;
	*-bench) arch_info "${1%-bench}"; BASE=${1%-bench} VARIANT=bench ;;
	x86_64) KARCH=x86_64; CROSS=;                 MAKE_TARGET=bzImage; KIMAGE=arch/x86/boot/bzImage;   DEFCONFIG= ;;
	arm64)  KARCH=arm64;  CROSS=aarch64-linux-gnu-; MAKE_TARGET=Image;   KIMAGE=arch/arm64/boot/Image; DEFCONFIG= ;;
	m68k)   KARCH=m68k;   CROSS=m68k-linux-gnu-;  MAKE_TARGET=vmlinux; KIMAGE=vmlinux;                 DEFCONFIG= ;;
	sun3)   KARCH=m68k;   CROSS=m68k-linux-gnu-;  MAKE_TARGET=vmlinux; KIMAGE=;                        DEFCONFIG=sun3_defconfig ;;
	sun3x)  KARCH=m68k;   CROSS=m68k-linux-gnu-;  MAKE_TARGET=vmlinux; KIMAGE=;                        DEFCONFIG=sun3x_defconfig ;;
	*) die "unknown ARCH '$1' (expected one of: $ALL_ARCHES)" ;;
	esac
	OUT=$BUILD/$1
}

# Cross C compiler for userspace programs of a runtime arch.
user_cc() {
	case "$1" in
	x86_64) echo gcc ;;
	arm64)  echo aarch64-linux-gnu-gcc ;;
	m68k)   echo m68k-linux-gnu-gcc ;;
	*) die "no userspace compiler for '$1'" ;;
	esac
}

# Reproducible build identity so ccache hits across rebuilds.
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-2024-01-01}
export KBUILD_BUILD_USER=${KBUILD_BUILD_USER:-ckpt}
export KBUILD_BUILD_HOST=${KBUILD_BUILD_HOST:-ckpt}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Make ccache hits independent of where the repo is checked out.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$REPO}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}

# Paths (relative to the kernel tree) of the ckpt overlay, as written by
# prepare.sh, excluding the selftests. Used by the "no new warnings" rule.
ckpt_own_files() {
	[ -f "$BUILD/src/overlay.list" ] || return 0
	grep -v '^tools/' "$BUILD/src/overlay.list" || true
}
