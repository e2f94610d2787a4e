#!/bin/bash
# Build the ckpt kernel for one arch: scripts/build.sh ARCH
#   ARCH: x86_64 arm64 m68k (bootable, tinyconfig + scripts/configs/*)
#         x86_64-debug      (the same + scripts/configs/debug.config)
#         ARCH-bench        (the same + scripts/configs/bench.config and
#                           ARCH-bench.config: "make bench")
#         sun3 sun3x        (compile test: <arch>_defconfig + scripts/configs/<arch>.config)
# Output (kept, incremental): build/ARCH/ (O= dir), build/ARCH/headers/ (uapi).
# Fails if the compiler warns about any ckpt file (kernel/ckpt/* or a file
# touched by scripts/patches); set CKPT_ALLOW_WARNINGS=1 to only report them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: $0 ARCH   (one of: $ALL_ARCHES)"
NAME=$1
arch_info "$NAME"
start=$(date +%s)

"$REPO/scripts/prepare.sh"
mkdir -p "$OUT"

kmake() {
	make -C "$TREE" O="$OUT" ARCH="$KARCH" CROSS_COMPILE="$CROSS" \
		CC="ccache ${CROSS}gcc" HOSTCC="ccache gcc" -j"$(nproc)" "$@"
}

# --- configuration -----------------------------------------------------------
CFG=$REPO/scripts/configs
if [ -n "$DEFCONFIG" ]; then
	base=$DEFCONFIG
	frags=("$CFG/$NAME.config")
else
	base=tinyconfig
	frags=("$CFG/common.config" "$CFG/$BASE.config")
	[ -z "$VARIANT" ] || frags+=("$CFG/$VARIANT.config")
	# and what the variant needs on this arch only
	[ -z "$VARIANT" ] || [ ! -f "$CFG/$BASE-$VARIANT.config" ] ||
		frags+=("$CFG/$BASE-$VARIANT.config")
fi
# Regenerate .config only when its inputs change (fragments or any Kconfig
# file of the ckpt overlay). Same inputs => same .config => no rebuild.
stamp=$( { echo "$base"; cat "${frags[@]}"; ckpt_own_files | { grep -E '(^|/)Kconfig[^/]*$' || true; } | while read -r f; do
	echo "$f"; cat "$TREE/$f" 2>/dev/null || true; done; } | sha256sum | cut -d' ' -f1)
if [ ! -f "$OUT/.config" ] || [ "$(cat "$OUT/.ckpt-config-stamp" 2>/dev/null)" != "$stamp" ]; then
	log "$NAME: generating .config ($base + ${frags[*]##*/})"
	kmake -s "$base" >/dev/null
	(cd "$OUT" && ARCH="$KARCH" CROSS_COMPILE="$CROSS" "$TREE/scripts/kconfig/merge_config.sh" \
		-m -O "$OUT" "$OUT/.config" "${frags[@]}" >/dev/null)
	kmake -s olddefconfig >/dev/null
	echo "$stamp" > "$OUT/.ckpt-config-stamp"
fi
# Verify: every "=y" of the fragments is set, every "is not set" is not =y;
# a later fragment's word on a symbol is the one (bench.config unsets some).
bad=()
later() {	# later FRAG SYM: does a fragment after FRAG name SYM?
	local seen=
	for g in "${frags[@]}"; do
		if [ -n "$seen" ] && grep -qE "^($2=|# $2 is not set)" "$g"; then
			return 0
		fi
		[ "$g" != "$1" ] || seen=1
	done
	return 1
}
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=y)
			sym=${line%%=*}
			later "$f" "$sym" && continue
			if ! grep -qx "$sym=y" "$OUT/.config"; then
				if [ "$sym" = CONFIG_CKPT ] && [ ! -f "$TREE/kernel/ckpt/Kconfig" ]; then
					log "$NAME: note: CONFIG_CKPT absent (no kernel/ckpt/Kconfig yet)"
				else
					bad+=("$sym (wanted =y, from ${f##*/})")
				fi
			fi ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			later "$f" "$sym" && continue
			grep -qx "$sym=y" "$OUT/.config" && bad+=("$sym (wanted unset, from ${f##*/})") ;;
		esac
	done < "$f"
done
if [ ${#bad[@]} -gt 0 ]; then
	rm -f "$OUT/.ckpt-config-stamp"
	printf '  %s\n' "${bad[@]}" >&2
	die "$NAME: the options above are not as requested in .config (missing dependency or typo?)"
fi

# --- build -------------------------------------------------------------------
LOG=$OUT/build.log
ERR=$OUT/build-stderr.log
log "$NAME: make $MAKE_TARGET (log: ${LOG#"$REPO"/})"
rc=0
kmake "$MAKE_TARGET" 2>"$ERR" | tee "$LOG" || rc=$?
cat "$ERR" >&2
[ "$rc" = 0 ] || die "$NAME: kernel build failed (see above and ${ERR#"$REPO"/})"

if [ -n "$KIMAGE" ]; then
	log "$NAME: make headers_install"
	kmake -s headers_install INSTALL_HDR_PATH="$OUT/headers" >>"$LOG" 2>&1 ||
		die "$NAME: headers_install failed (see ${LOG#"$REPO"/})"
fi

# --- no new warnings in ckpt files -------------------------------------------
grep 'warning:' "$ERR" > "$OUT/warnings.log" || true
own=()
while IFS= read -r f; do
	[ -n "$f" ] || continue
	own+=("$f")
done < <(ckpt_own_files)
ours=()
for f in "${own[@]+"${own[@]}"}"; do
	if grep -q -e "^$TREE/$f:" -e "^$f:" -e "/$f:[0-9]" "$OUT/warnings.log"; then
		ours+=("$f")
	fi
done
end=$(date +%s)
log "$NAME: build took $((end - start)) s ($(wc -l < "$OUT/warnings.log") warnings in total, ${#ours[@]} ckpt files with warnings)"
if [ ${#ours[@]} -gt 0 ]; then
	for f in "${ours[@]}"; do
		grep -e "^$TREE/$f:" -e "^$f:" -e "/$f:[0-9]" "$OUT/warnings.log" >&2 || true
		# Make the next build recompile (and re-warn about) these files.
		touch "$TREE/$f"
	done
	[ "${CKPT_ALLOW_WARNINGS:-}" = 1 ] || die "$NAME: compiler warnings in ckpt files (listed above)"
fi
exit 0
