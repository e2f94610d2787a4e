#!/bin/sh
# The ckpt demo (make demo): an administrator checkpoints a running process,
# lets it run on, rolls it back, then migrates it through a pipe.
set -e
say() { echo; echo "### $*"; }

say "a process counts, under nobody's control but its own"
ckpt-demo --count &
P=$!
sleep 1

say "the admin checkpoints it: ckpt dump $P -o /tmp/p.img"
ckpt dump $P -o /tmp/p.img
ckpt show /tmp/p.img | head -n 12
sleep 2

say "it ran on; now roll it back: ckpt rollback $P /tmp/p.img"
ckpt rollback $P /tmp/p.img
sleep 1

say "same pid, counting again from where it was checkpointed; now move it:"
say "ckpt dump $P --kill | ckpt restore -d -"
ckpt dump $P --kill | ckpt restore -d -
sleep 1
kill $P 2>/dev/null || true
sleep 0.2
say "done"
