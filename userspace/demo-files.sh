#!/bin/sh
# The README's transcript: a process with an open file, checkpointed and
# rolled back.  Run in the guest: scripts/run-user.sh x86_64 userspace --
# /user/demo-files.sh (each command is printed, then its output).
cd /tmp
say() { printf '/ # %s\n' "$*"; }
say "(exec 3>>/tmp/log; i=0; while :; do i=\$((i+1)); echo \$i >&3; sleep 1; done) &"
(exec 3>>/tmp/log; i=0; while :; do i=$((i+1)); echo $i >&3; sleep 1; done) &
P=$!
sleep 3
say "ckpt dump \$! -o /tmp/p.img      # fd 3 is /tmp/log, open for appending"
ckpt dump $P -o /tmp/p.img
say "ckpt show /tmp/p.img | grep -E ' (FILE|FD|CHILD) '"
ckpt show /tmp/p.img | grep -E ' (FILE|FD|CHILD) '
sleep 3
say "cat /tmp/log | xargs"
xargs < /tmp/log
say "ckpt rollback \$! /tmp/p.img     # /tmp/log has grown since"
ckpt rollback $P /tmp/p.img
say "ckpt rollback --allow-changed-files \$! /tmp/p.img"
ckpt rollback --allow-changed-files $P /tmp/p.img
sleep 3
say "cat /tmp/log | xargs             # counting again from the checkpoint"
xargs < /tmp/log
kill $P
