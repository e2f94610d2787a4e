#!/bin/bash
# Boot the built kernel of ARCH in QEMU (TCG) with an initramfs:
#   scripts/qemu-run.sh ARCH --initrd FILE [--timeout SECS] [--log FILE]
#                       [--append "kernel args"] [--interactive]
# Time limit: --timeout, else $CKPT_BOOT_TIMEOUT, else 600 s (debug variants:
# 2400 s).
# Console output goes to stdout and (without \r) to the log file.
# Exit status: 0 if /init printed "### DONE" and every "### EXIT" status was 0;
# otherwise the first non-zero "### EXIT" status; 124 on timeout; 125 if the
# guest stopped without "### DONE" (panic, crash, ...).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { die "usage: $0 ARCH --initrd FILE [--timeout SECS] [--log FILE] [--append ARGS] [--interactive]"; }
[ $# -ge 1 ] || usage
NAME=$1
shift
INITRD= TIMEOUT=${CKPT_BOOT_TIMEOUT:-} LOGF= INTERACTIVE= APPEND=
while [ $# -gt 0 ]; do
	case "$1" in
	--initrd) [ $# -ge 2 ] || usage; INITRD=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; TIMEOUT=$2; shift 2 ;;
	--log) [ $# -ge 2 ] || usage; LOGF=$2; shift 2 ;;
	--append) [ $# -ge 2 ] || usage; APPEND=$2; shift 2 ;;
	--interactive) INTERACTIVE=1; shift ;;
	*) usage ;;
	esac
done
[ -n "$INITRD" ] || usage
[ -f "$INITRD" ] || die "initrd $INITRD not found"
arch_info "$NAME"
[ -n "$KIMAGE" ] || die "$NAME is a compile-only arch"
KERNEL=$OUT/$KIMAGE
[ -f "$KERNEL" ] || die "$KERNEL not found: run scripts/build.sh $NAME"

# A debug kernel (KASAN, lockdep, kmemleak) runs several times slower under
# TCG and needs memory for KASAN's shadow and kmemleak's metadata. Every
# KASAN report is printed, not only the first.
# 1 GiB: the kernel allows as many threads as RAM / (8 * THREAD_SIZE), and
# live_test runs a process of 4096 (m68k: 1024 in its 256 MiB).
MEM=1024
if [ "$VARIANT" = debug ]; then
	TIMEOUT=${TIMEOUT:-2400} MEM=2048 APPEND="kasan_multi_shot $APPEND"
fi
# The bench holds a target, its image, a restored copy and memcpy's two
# buffers of its largest size at once (m68k: 64 MiB of its own).
M68K_MEM=256
if [ "$VARIANT" = bench ]; then
	TIMEOUT=${TIMEOUT:-3600} MEM=3072 M68K_MEM=1024
fi
TIMEOUT=${TIMEOUT:-600}
# Test runs print everything (the runner scans the console); a shell for
# trying ckpt by hand gets only emergencies on its console (ckpt's messages
# are in dmesg).
LOGLEVEL=7
[ "$INTERACTIVE" != 1 ] || LOGLEVEL=3
ARGS="loglevel=$LOGLEVEL panic=-1 $APPEND"
case "$BASE" in
x86_64) QEMU=(qemu-system-x86_64 -M q35 -cpu max -m "$MEM" -append "console=ttyS0 $ARGS") ;;
arm64)  QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a57 -m "$MEM" -append "console=ttyAMA0 $ARGS") ;;
m68k)   QEMU=(qemu-system-m68k -M virt -cpu m68040 -m "$M68K_MEM" -append "console=ttyGF0 $ARGS") ;;
esac
QEMU+=(-smp 1 -kernel "$KERNEL" -initrd "$INITRD" -no-reboot)

if [ -n "$INTERACTIVE" ]; then
	# Serial console and QEMU monitor on this terminal (Ctrl-A X quits).
	exec "${QEMU[@]}" -nographic
fi

LOGF=${LOGF:-$OUT/qemu.log}
mkdir -p "$(dirname "$LOGF")"
start=$(date +%s)
rc=0
timeout -k 10 "$TIMEOUT" "${QEMU[@]}" -display none -monitor none -serial stdio </dev/null 2>&1 |
	tr -d '\r' | tee "$LOGF" || rc=$?
secs=$(( $(date +%s) - start ))

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	log "$NAME: TIMEOUT after ${TIMEOUT} s (log: $LOGF)"
	exit 124
fi
if ! grep -q '### DONE' "$LOGF"; then
	log "$NAME: guest stopped without '### DONE' after $secs s (log: $LOGF)"
	exit 125
fi
status=$(sed -n 's/.*### EXIT \([0-9]*\) .*/\1/p' "$LOGF" | grep -v '^0$' | head -n1 || true)
log "$NAME: boot finished in $secs s, first non-zero exit: ${status:-none}"
exit "${status:-0}"
