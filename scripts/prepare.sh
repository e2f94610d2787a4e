#!/bin/bash
# Prepare the kernel source tree build/src/linux from linux-source-6.1 plus the
# repo's ckpt files and patches. Incremental: files whose content does not
# change keep their mtime, so make only rebuilds what really changed.
#
#   kernel/*                 -> $TREE/kernel/ckpt/
#   Kconfig.ckpt             -> $TREE/kernel/ckpt/Kconfig
#   uapi/linux/ckpt.h        -> $TREE/include/uapi/linux/ckpt.h
#   selftests/ckpt/*         -> $TREE/tools/testing/selftests/ckpt/
#   scripts/patches/*.patch  -> applied (-p1, name order) to pristine copies
#
# The pristine upstream tree is kept in build/src/pristine (never modified).
# Environment: CKPT_SRC_REPO overrides the directory the ckpt files come from
# (used to test with dummy files).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SRC_REPO=${CKPT_SRC_REPO:-$REPO}
PRISTINE=$BUILD/src/pristine
TARBALL=${CKPT_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
STAGE=$BUILD/src/stage
MANIFEST=$BUILD/src/overlay.list   # files of $TREE that differ from pristine

mkdir -p "$BUILD/src"
exec 9>"$BUILD/src/.lock"
flock 9

# 1. Unpack once.
if [ ! -e "$PRISTINE/.ckpt-unpacked" ]; then
	[ -f "$TARBALL" ] || die "$TARBALL missing: run scripts/setup.sh"
	log "unpacking $TARBALL (once)"
	rm -rf "$PRISTINE" "$BUILD/src/unpack"
	mkdir -p "$BUILD/src/unpack"
	tar -xJf "$TARBALL" -C "$BUILD/src/unpack"
	top=$(ls "$BUILD/src/unpack")
	[ "$(echo "$top" | wc -l)" = 1 ] || die "unexpected tarball layout"
	mv "$BUILD/src/unpack/$top" "$PRISTINE"
	rmdir "$BUILD/src/unpack"
	chmod -R a-w "$PRISTINE" 2>/dev/null || true
	touch "$PRISTINE/.ckpt-unpacked" 2>/dev/null || { chmod u+w "$PRISTINE"; touch "$PRISTINE/.ckpt-unpacked"; }
	rm -rf "$TREE" "$MANIFEST"
fi
if [ ! -e "$TREE/.ckpt-copied" ]; then
	log "copying pristine tree to $TREE"
	rm -rf "$TREE" "$MANIFEST"
	cp -a "$PRISTINE" "$TREE.tmp"
	chmod -R u+w "$TREE.tmp"
	rm -f "$TREE.tmp/.ckpt-unpacked"
	mv "$TREE.tmp" "$TREE"
	touch "$TREE/.ckpt-copied"
fi

# 2. Build the overlay in a staging area.
rm -rf "$STAGE"
mkdir -p "$STAGE"
if [ -d "$SRC_REPO/kernel" ]; then
	mkdir -p "$STAGE/kernel/ckpt"
	cp -a "$SRC_REPO/kernel/." "$STAGE/kernel/ckpt/"
fi
if [ -f "$SRC_REPO/Kconfig.ckpt" ]; then
	mkdir -p "$STAGE/kernel/ckpt"
	cp "$SRC_REPO/Kconfig.ckpt" "$STAGE/kernel/ckpt/Kconfig"
fi
if [ -f "$SRC_REPO/uapi/linux/ckpt.h" ]; then
	mkdir -p "$STAGE/include/uapi/linux"
	cp "$SRC_REPO/uapi/linux/ckpt.h" "$STAGE/include/uapi/linux/ckpt.h"
fi
if [ -d "$SRC_REPO/selftests/ckpt" ]; then
	mkdir -p "$STAGE/tools/testing/selftests/ckpt"
	cp -a "$SRC_REPO/selftests/ckpt/." "$STAGE/tools/testing/selftests/ckpt/"
fi

# Files a patch touches, as "-p1" paths (from ---/+++ headers, /dev/null dropped).
patch_files() {
	sed -n -E 's#^(---|\+\+\+) [^/ ]+/([^\t ]+).*#\2#p' "$1" | sort -u
}

deleted=()
shopt -s nullglob
for p in "$SRC_REPO"/scripts/patches/*.patch; do
	for f in $(patch_files "$p"); do
		if [ ! -e "$STAGE/$f" ] && [ -f "$PRISTINE/$f" ]; then
			mkdir -p "$STAGE/$(dirname "$f")"
			cp "$PRISTINE/$f" "$STAGE/$f"
			chmod u+w "$STAGE/$f"
		fi
	done
	if ! out=$(patch -p1 -d "$STAGE" --batch --forward --fuzz=0 --no-backup-if-mismatch -r - -i "$p" 2>&1); then
		printf '%s\n' "$out" >&2
		die "patch $(basename "$p") does not apply cleanly (fuzz 0) to linux-source + earlier patches; the build tree was left unchanged"
	fi
	for f in $(patch_files "$p"); do
		[ -e "$STAGE/$f" ] || deleted+=("$f")
	done
done
shopt -u nullglob

# 3. Copy into the tree only what differs (rsync -c: compare content; no -t:
#    changed files get a fresh mtime, unchanged files keep theirs).
rsync -rcpl "$STAGE/" "$TREE/"

new_list=$( { (cd "$STAGE" && find . -type f -o -type l | sed 's#^\./##'); printf '%s\n' "${deleted[@]+"${deleted[@]}"}"; } | sed '/^$/d' | sort -u)
for f in "${deleted[@]+"${deleted[@]}"}"; do
	[ -e "$TREE/$f" ] && { log "removing $f (deleted by a patch)"; rm -f "$TREE/$f"; }
done

# 4. Files that were overlaid before but are not any more: back to pristine.
if [ -f "$MANIFEST" ]; then
	comm -23 "$MANIFEST" <(printf '%s\n' "$new_list") | while IFS= read -r f; do
		[ -n "$f" ] || continue
		if [ -f "$PRISTINE/$f" ]; then
			if ! cmp -s "$PRISTINE/$f" "$TREE/$f"; then
				log "restoring pristine $f"
				cp "$PRISTINE/$f" "$TREE/$f"
				chmod u+w "$TREE/$f"
			fi
		elif [ -e "$TREE/$f" ]; then
			log "removing $f (no longer in the repo)"
			rm -f "$TREE/$f"
			rmdir -p --ignore-fail-on-non-empty "$(dirname "$TREE/$f")"
		fi
	done
fi
printf '%s\n' "$new_list" | sed '/^$/d' > "$MANIFEST"
log "tree ready: $TREE ($(sed '/^$/d' "$MANIFEST" | wc -l) overlaid files)"
