#!/bin/bash
# "make demo": boot x86_64 and run the ckpt demo non-interactively.
# Run-list: userspace/demo.run if present; else, if userspace built ckpt-demo,
# the steps of "make -C userspace demo"; else /usr/share/ckpt/demo.sh (from
# userspace/demo.sh) with busybox sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$REPO/scripts/build.sh" x86_64
"$REPO/scripts/build-user.sh" x86_64
OUT=$BUILD/x86_64
RUNLIST=$OUT/demo.list
if [ -f "$REPO/userspace/demo.run" ]; then
	cp "$REPO/userspace/demo.run" "$RUNLIST"      # a ready-made run-list
elif [ -x "$OUT/user/ckpt-demo" ]; then
	# Same steps as "make -C userspace demo".
	printf '%s\n' "/bin/ckpt-demo /tmp/demo.img" "/bin/ckpt show /tmp/demo.img" \
		"/bin/ckpt restore /tmp/demo.img" > "$RUNLIST"
elif [ -f "$REPO/userspace/demo.sh" ]; then
	echo "/bin/sh /usr/share/ckpt/demo.sh" > "$RUNLIST"
else
	die "no demo yet (expected userspace to build ckpt-demo, or userspace/demo.sh)"
fi
"$REPO/scripts/mkinitramfs.sh" x86_64 "$OUT/demo.cpio" --run "$RUNLIST"
mkdir -p "$LOGS"
exec "$REPO/scripts/qemu-run.sh" x86_64 --initrd "$OUT/demo.cpio" --log "$LOGS/x86_64-demo.log"
