# The table of scripts/bench.sh, from ckpt-bench's lines:
#   size MIB NAME median M min A max B UNIT
# One column per size (MIB "t": the target with threads and files); times
# in ms, median (min-max); the phases inside the kernel, when the trace
# events gave them; then the ratios of the medians that say how ckpt
# stands.
{
	key = $2 SUBSEP $3
	med[key] = $5; lo[key] = $7; hi[key] = $9; unit[$3] = $10
	if (!($2 in seen)) { seen[$2] = 1; sizes[++ns] = $2 }
	have[$3] = 1
}
function title(s) {
	return s ~ /t$/ ? (s + 0) " MiB, 4 thr., 100 files" : s " MiB"
}
function cell(s, n) {
	if (!((s SUBSEP n) in med))
		return "-"
	return sprintf("%.4g (%.4g-%.4g)", med[s SUBSEP n], lo[s SUBSEP n], hi[s SUBSEP n])
}
function ratio(s, a, b) {
	if (!((s SUBSEP a) in med) || !((s SUBSEP b) in med) || med[s SUBSEP b] == 0)
		return "-"
	return sprintf("%.2f", med[s SUBSEP a] / med[s SUBSEP b])
}
function row(name, n,    i, line) {
	if (!(n in have))
		return
	line = sprintf("| %-34s |", name)
	for (i = 1; i <= ns; i++)
		line = line sprintf(" %-24s |", cell(sizes[i], n))
	print line
}
function rrow(name, a, b,    i, line) {
	line = sprintf("| %-34s |", name)
	for (i = 1; i <= ns; i++)
		line = line sprintf(" %-24s |", ratio(sizes[i], a, b))
	print line
}
END {
	line = sprintf("| %-34s |", "")
	sep = "|------------------------------------|"
	for (i = 1; i <= ns; i++) {
		line = line sprintf(" %-24s |", title(sizes[i]))
		sep = sep "--------------------------|"
	}
	print line
	print sep
	row("memcpy of the same bytes (ms)", "memcpy")
	row("write() of them to tmpfs (ms)", "write_tmpfs")
	row("read() into new memory (ms)", "read_tmpfs")
	row("ckpt dump to tmpfs (ms)", "dump_tmpfs")
	row("ckpt dump to a pipe (ms)", "dump_pipe")
	row("target held still by the dump (ms)", "freeze")
	row("ckpt dump --cow to tmpfs (ms)", "dump_cow")
	row("target held still by it (ms)", "freeze_cow")
	row("ckpt image (MiB)", "image_mib")
	row("ckpt restore, new process (ms)", "restore")
	row("ckpt rollback in place (ms)", "rollback")
	row("ckpt dump to memfd + rollback (ms)", "dump_rollback")
	row("ckpt snapshot, in the kernel (ms)", "snapshot")
	row("target held still by it (ms)", "freeze_snapshot")
	row("rollback to it, bare (ms)", "snapshot_rollback")
	row("rollback to it, re-dirtied (ms)", "snapshot_rollback_cow")
	row("base dump (--cow, kept) (ms)", "base")
	row("diff dump, 1% changed (ms)", "diff")
	row("diff image (MiB)", "diff_mib")
	row("rollback to the diff (ms)", "diff_rollback")
	row("fork rollback, bare (ms)", "fork_rollback")
	row("fork rollback, re-dirtied (ms)", "fork_rollback_cow")
	if (criu != "none") {
		row("criu dump (ms)", "criu_dump")
		row("criu restore -d (ms)", "criu_restore")
		row("criu image (MiB)", "criu_image_mib")
	}
	row("dump: stopping the target (ms)", "dump_stop")
	row("dump: address space (ms)", "dump_mm")
	row("dump: writing the image (ms)", "dump_io")
	row("dump: hashing the pages (ms)", "dump_hash")
	row("dump: the rest (ms)", "dump_other")
	row("restore: address space (ms)", "restore_mm")
	row("restore: reading the image (ms)", "restore_io")
	row("restore: hashing the pages (ms)", "restore_hash")
	row("restore: commit (ms)", "restore_commit")
	row("restore: the rest (ms)", "restore_other")
	row("snap. rollback: address space (ms)", "snap_mm")
	row("snap. rollback: reading (ms)", "snap_io")
	row("snap. rollback: commit (ms)", "snap_commit")
	row("snap. rollback: the rest (ms)", "snap_other")
	print ""
	line = sprintf("| %-34s |", "ratios of the medians")
	for (i = 1; i <= ns; i++)
		line = line sprintf(" %-24s |", title(sizes[i]))
	print line
	print sep
	rrow("ckpt dump / memcpy", "dump_tmpfs", "memcpy")
	rrow("ckpt restore / memcpy", "restore", "memcpy")
	rrow("ckpt dump / write()", "dump_tmpfs", "write_tmpfs")
	rrow("ckpt restore / read()", "restore", "read_tmpfs")
	rrow("freeze / dump", "freeze", "dump_tmpfs")
	rrow("freeze with --cow / dump", "freeze_cow", "dump_tmpfs")
	rrow("ckpt rollback / fork, bare", "dump_rollback", "fork_rollback")
	rrow("ckpt rollback / fork, re-dirtied", "dump_rollback", "fork_rollback_cow")
	rrow("diff dump (1% changed) / dump", "diff", "dump_tmpfs")
	rrow("snapshot rollback / fork, bare", "snapshot_rollback", "fork_rollback")
	rrow("  the same, re-dirtied", "snapshot_rollback_cow", "fork_rollback_cow")
	if (criu != "none") {
		rrow("criu dump / ckpt dump", "criu_dump", "dump_tmpfs")
		rrow("criu restore / ckpt restore", "criu_restore", "restore")
	}
	line = sprintf("| %-34s |", "image / memory touched")
	for (i = 1; i <= ns; i++) {
		v = "-"
		if ((sizes[i] SUBSEP "image_mib") in med)
			v = sprintf("%.3f", med[sizes[i] SUBSEP "image_mib"] / (sizes[i] + 0))
		line = line sprintf(" %-24s |", v)
	}
	print line
}
