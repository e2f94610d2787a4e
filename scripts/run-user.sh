#!/bin/bash
# Run your own (static) programs on the ckpt kernel:
#   scripts/run-user.sh ARCH DIR -- CMD [ARGS...]
# Builds what is needed, puts DIR under /user in the guest (first on PATH,
# /bin/ckpt is there too), boots, runs CMD ARGS (split on blanks, no quoting)
# from /user, prints its output and exits with its exit status.
# Full console log: build/logs/ARCH-run-user.log. CKPT_VERBOSE=1 prints it all.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { die "usage: $0 ARCH DIR -- CMD [ARGS...]"; }
[ $# -ge 4 ] && [ "$3" = -- ] || usage
NAME=$1 DIR=$2
shift 3
arch_info "$NAME"
[ -n "$KIMAGE" ] || die "$NAME is a compile-only arch"
[ -d "$DIR" ] || die "$DIR is not a directory"

mkdir -p "$LOGS"
"$REPO/scripts/build.sh" "$NAME" > "$LOGS/$NAME-build.log" 2>&1 ||
	{ tail -n 40 "$LOGS/$NAME-build.log"; die "kernel build failed (log: $LOGS/$NAME-build.log)"; }
"$REPO/scripts/build-user.sh" "$NAME" > "$LOGS/$NAME-user.log" 2>&1 ||
	{ tail -n 40 "$LOGS/$NAME-user.log"; die "selftests/userspace build failed (log: $LOGS/$NAME-user.log)"; }

RUNLIST=$OUT/run-user.list
echo "$*" > "$RUNLIST"
"$REPO/scripts/mkinitramfs.sh" "$NAME" "$OUT/run-user.cpio" --add "$DIR" --run "$RUNLIST" 2>/dev/null
QLOG=$LOGS/$NAME-run-user.log
rc=0
if [ "${CKPT_VERBOSE:-}" = 1 ]; then
	"$REPO/scripts/qemu-run.sh" "$NAME" --initrd "$OUT/run-user.cpio" --log "$QLOG" || rc=$?
else
	"$REPO/scripts/qemu-run.sh" "$NAME" --initrd "$OUT/run-user.cpio" --log "$QLOG" >/dev/null 2>&1 || rc=$?
	# The program's output: between "### RUN" and "### EXIT".
	sed -n '/### RUN /,/### EXIT /{/### RUN /d;/### EXIT /d;p}' "$QLOG" | sed '${/^$/d}'
fi
case "$rc" in
124) die "timeout (log: $QLOG)" ;;
125) tail -n 30 "$QLOG"; die "guest died before finishing (log: $QLOG)" ;;
esac
exit "$rc"
