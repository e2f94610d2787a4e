#!/bin/sh
# The README's transcript: a process with an open file, checkpointed and
# rolled back, then rolled back with the file's content.  Run in the guest: scripts/run-user.sh x86_64 userspace --
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
say "ckpt dump \$! --file-data -o /tmp/d.img   # /tmp/log's content too"
ckpt dump $P --file-data -o /tmp/d.img
say "ckpt show /tmp/d.img | grep ' 3 content'"
ckpt show /tmp/d.img | grep ' 3 content'
sleep 3
say "cat /tmp/log | xargs"
xargs < /tmp/log
say "ckpt rollback \$! /tmp/d.img; cat /tmp/log | xargs   # the log goes back too"
ckpt rollback $P /tmp/d.img
xargs < /tmp/log
sleep 2
say "cat /tmp/log | xargs             # and grows from there"
xargs < /tmp/log
kill $P
