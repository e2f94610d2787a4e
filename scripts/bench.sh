#!/bin/bash
# How fast ckpt is, in one boot of one kernel ("make bench"):
#   scripts/bench.sh [ARCH] [RUNS]     (ARCH: x86_64 arm64 m68k; RUNS: 5)
# Builds ARCH-bench (the kernel without its debug options, plus what CRIU
# needs: scripts/configs/bench.config) and bench/ckpt-bench.c, boots it
# and runs ckpt-bench: for processes of 1, 64 and 256 MiB (m68k: 1, 16 and
# 64), and for one of 1 MiB with 4 threads and 100 open files, ckpt's
# dump, freeze, restore and rollback against a memcpy of the same bytes, a
# fork()-based rollback and, on x86_64, CRIU from Debian's criu package
# (copied into the initramfs with its libraries); and, from ckpt's trace
# events, where the dump's and the restore's time went inside the kernel.
# Prints the table, and keeps it in bench/results-ARCH.txt with the commit
# it measured and the raw lines; gnuplot draws bench/ARCH.png from it.
# Timings under TCG are noisy: compare ratios within one run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ARCH_=${1:-x86_64}
RUNS=${2:-5}
case "$ARCH_" in
x86_64 | arm64) SIZES=1,64,256 ;;
m68k) SIZES=1,16,64 ;;
*) die "usage: $0 [x86_64|arm64|m68k] [RUNS]" ;;
esac
NAME=$ARCH_-bench
arch_info "$NAME"
mkdir -p "$LOGS"

# What the bench alone needs (make setup has the rest).
need=()
[ -x /usr/sbin/criu ] || need+=(criu)
command -v gnuplot > /dev/null || need+=(gnuplot-nox)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" > "$LOGS/bench-apt.log" 2>&1 ||
		{ apt-get update -q > /dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" > "$LOGS/bench-apt.log" 2>&1; } ||
		die "cannot install ${need[*]} (log: $LOGS/bench-apt.log)"
fi

"$REPO/scripts/build.sh" "$NAME" > "$LOGS/$NAME-build.log" 2>&1 ||
	{ tail -n 40 "$LOGS/$NAME-build.log"; die "kernel build failed (log: $LOGS/$NAME-build.log)"; }

# The bench program, static, against the bench kernel's headers.
ADD=$OUT/bench-add
rm -rf "$ADD"
mkdir -p "$ADD"
"$(user_cc "$BASE")" -static -O2 -Wall -isystem "$OUT/headers/include" \
	-I "$REPO/userspace" -o "$ADD/ckpt-bench" "$REPO/bench/ckpt-bench.c" \
	"$REPO/userspace/libckpt.c" -lpthread

# CRIU and the libraries it needs, at their own paths (x86_64 only: the
# host's package).
TOP=$OUT/bench-root
rm -rf "$TOP"
mkdir -p "$TOP"
CRIU_ARG=
if [ "$BASE" = x86_64 ] && [ -x /usr/sbin/criu ]; then
	for f in /usr/sbin/criu $(ldd /usr/sbin/criu | grep -o '/[^ ]*'); do
		mkdir -p "$TOP$(dirname "$f")"
		cp -L "$f" "$TOP$f"
	done
	CRIU_ARG="-c /usr/sbin/criu"
	CRIU_VERSION=$(dpkg-query -W -f '${Version}' criu 2>/dev/null || echo '?')
else
	log "$NAME: no CRIU column (x86_64 with Debian's criu package only)"
	CRIU_VERSION=none
fi

RUNLIST=$OUT/bench.list
echo "/user/ckpt-bench -r $RUNS -s $SIZES -t 1 $CRIU_ARG" > "$RUNLIST"
"$REPO/scripts/mkinitramfs.sh" "$NAME" "$OUT/bench.cpio" --add "$ADD" \
	--root "$TOP" --run "$RUNLIST" 2>/dev/null
QLOG=$LOGS/$NAME-boot.log
"$REPO/scripts/qemu-run.sh" "$NAME" --initrd "$OUT/bench.cpio" --log "$QLOG" \
	> /dev/null 2>&1 || { tail -n 40 "$QLOG"; die "the bench failed (log: $QLOG)"; }

RAW=$(grep -E '^size [0-9]+t? ' "$QLOG" || true)
[ -n "$RAW" ] || die "no results in $QLOG"
RESULT=$REPO/bench/results-$ARCH_.txt
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')
DIRTY=$(git -C "$REPO" status --porcelain -- kernel uapi scripts/patches userspace/libckpt.c bench/ckpt-bench.c 2>/dev/null | head -n1)
{
	echo "# ckpt bench, $ARCH_ under QEMU TCG, $(date -u +%Y-%m-%d), commit $COMMIT${DIRTY:+ (with changes)}"
	echo "# $RUNS runs, median (min-max); CRIU $CRIU_VERSION"
	echo "$RAW" | awk -v criu="$CRIU_VERSION" -f "$REPO/bench/table.awk"
	echo
	echo "# raw"
	echo "$RAW"
} > "$RESULT"
sed -n '/^# raw/q;p' "$RESULT"
log "$NAME: results in ${RESULT#"$REPO"/}"

if command -v gnuplot > /dev/null; then
	PLOT=$REPO/bench/$ARCH_.png
	DATA=$OUT/bench.dat
	echo "$RAW" | awk '
		$2 !~ /t$/ { v[$2 " " $3] = $5; s[$2] = 1 }
		END {
			n = split("memcpy dump_tmpfs restore fork_rollback_cow dump_rollback criu_dump criu_restore snapshot_rollback fork_rollback", k, " ")
			for (m in s) {
				line = m
				for (i = 1; i <= n; i++)
					line = line " " ((m " " k[i]) in v ? v[m " " k[i]] : "NaN")
				print line
			}
		}' | sort -n > "$DATA"
	gnuplot <<-EOF
		set terminal png noenhanced size 900,560
		set output "$PLOT"
		set title "ckpt on $ARCH_ (QEMU TCG, commit $COMMIT): time against memory touched"
		set xlabel "MiB touched"
		set ylabel "ms (median of $RUNS)"
		set logscale xy
		set key top left
		set grid
		plot "$DATA" using 1:2 with linespoints title "memcpy", \
		     "$DATA" using 1:3 with linespoints title "ckpt dump", \
		     "$DATA" using 1:4 with linespoints title "ckpt restore", \
		     "$DATA" using 1:6 with linespoints title "ckpt dump + rollback", \
		     "$DATA" using 1:5 with linespoints title "fork rollback, re-dirtied", \
		     "$DATA" using 1:7 with linespoints title "criu dump", \
		     "$DATA" using 1:8 with linespoints title "criu restore", \
		     "$DATA" using 1:9 with linespoints title "ckpt rollback to a snapshot, bare", \
		     "$DATA" using 1:10 with linespoints title "fork rollback, bare"
	EOF
	log "$NAME: plot in ${PLOT#"$REPO"/}"
fi
