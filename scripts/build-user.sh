#!/bin/bash
# Cross-build the ckpt selftests and userspace tools, statically, against the
# patched uapi headers (build/ARCH/headers/include, from scripts/build.sh).
#   scripts/build-user.sh ARCH        (ARCH: x86_64 arm64 m68k x86_64-debug)
# Output:
#   build/ARCH/selftests/   test binaries (+ data/, TEST_FILES), and
#   build/ARCH/selftests/run.list   the names of the programs to run, one a line
#   build/ARCH/user/        whatever userspace/Makefile builds (ckpt, ...)
#
# Selftests: if selftests/ckpt/Makefile exists it is used lib.mk-style from
# the kernel tree copy ($TREE/tools/testing/selftests/ckpt):
#   make CROSS_COMPILE=.. CC=.. OUTPUT=.. KHDR_INCLUDES=.. USERLDFLAGS=-static
#        install INSTALL_PATH=build/ARCH/selftests ; make emit_tests
# Otherwise every *.c with TEST(/TEST_F(/TEST_HARNESS_MAIN/main( becomes one
# binary; the other *.c files of the folder are linked into each of them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: $0 ARCH   (one of: $RUNTIME_ARCHES $DEBUG_ARCHES)"
NAME=$1
arch_info "$NAME"
[ -n "$KIMAGE" ] || die "$NAME is a compile-only arch"
CC_USER=$(user_cc "$BASE")
HDR=$OUT/headers/include
[ -d "$HDR/linux" ] || die "$HDR missing: run scripts/build.sh $NAME first"

# Keep the tree copy of the selftests in sync with the repo.
"$REPO/scripts/prepare.sh"

# --- selftests ---------------------------------------------------------------
ST_SRC=$TREE/tools/testing/selftests/ckpt
ST_OUT=$OUT/selftests
rm -rf "$ST_OUT"
mkdir -p "$ST_OUT"
: > "$ST_OUT/run.list"
if [ ! -d "$ST_SRC" ]; then
	log "$NAME: no selftests/ckpt yet, nothing to build"
elif [ -f "$ST_SRC/Makefile" ]; then
	log "$NAME: selftests via selftests/ckpt/Makefile"
	stmake() {
		make -C "$ST_SRC" ARCH="$KARCH" CROSS_COMPILE="$CROSS" CC="$CC_USER" \
			OUTPUT="$OUT/selftests-build" KHDR_INCLUDES="-isystem $HDR" \
			USERLDFLAGS=-static "$@"
	}
	mkdir -p "$OUT/selftests-build"
	# -B: lib.mk does not track headers, and a changed linux/ckpt.h must
	# not leave stale binaries; the tests are small.
	stmake -B -j"$(nproc)" install INSTALL_PATH="$ST_OUT"
	stmake -s --no-print-directory emit_tests COLLECTION=ckpt | sed -n 's/^ckpt://p' > "$ST_OUT/run.list"
else
	log "$NAME: selftests compiled directly (no selftests/ckpt/Makefile)"
	tests=() helpers=()
	for c in "$ST_SRC"/*.c; do
		[ -e "$c" ] || continue
		if grep -qE '^[[:space:]]*(TEST|TEST_F|TEST_HARNESS_MAIN)\b|\bmain[[:space:]]*\(' "$c"; then
			tests+=("$c")
		else
			helpers+=("$c")
		fi
	done
	for c in "${tests[@]+"${tests[@]}"}"; do
		bin=$(basename "$c" .c)
		log "$NAME: CC selftests/ckpt/$bin"
		"$CC_USER" -static -O2 -g -Wall -D_GNU_SOURCE -isystem "$HDR" \
			-I "$ST_SRC" -I "$TREE/tools/testing/selftests" \
			-o "$ST_OUT/$bin" "$c" "${helpers[@]+"${helpers[@]}"}" -lpthread
		echo "$bin" >> "$ST_OUT/run.list"
	done
fi
if [ -d "$ST_SRC/data" ] && [ ! -d "$ST_OUT/data" ]; then
	cp -a "$ST_SRC/data" "$ST_OUT/data"
fi
log "$NAME: selftests to run: $(tr '\n' ' ' < "$ST_OUT/run.list")"

# --- userspace ---------------------------------------------------------------
if [ -f "$REPO/userspace/Makefile" ]; then
	log "$NAME: userspace via userspace/Makefile"
	mkdir -p "$OUT/user"
	make -B -C "$REPO/userspace" -j"$(nproc)" CC="$CC_USER" CROSS_COMPILE="$CROSS" \
		OUT="$OUT/user" KHDR="$HDR" STATIC=1
else
	log "$NAME: no userspace/Makefile yet, skipping userspace"
fi
