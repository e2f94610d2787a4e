// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: timerfds.
 *
 * A timerfd is a clock, a setting and the expirations not read yet: its
 * FILE record is followed by a TIMERFD record with them, as
 * timerfd_file_get() gives them (the time left, as timerfd_gettime()
 * gives it, and the interval), and the restore makes a new timerfd with
 * timerfd_file_create(), sets it with timerfd_file_settime() and gives it
 * its expirations with timerfd_file_set_ticks(): the checks of
 * timerfd_create(), timerfd_settime() and TFD_IOC_SET_TICKS (an alarm
 * clock needs CAP_WAKE_ALARM).  The time left is kept, for a timer set
 * with TFD_TIMER_ABSTIME too: it is set again at the restore's "now" on
 * its clock plus the time left, so that the time the process spent in the
 * image does not count, as for its other timers.  A timerfd is made anew
 * in a rollback too: like an eventfd, it has no name to be found by.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/time_namespace.h>
#include <linux/timekeeping.h>
#include <linux/timerfd.h>

#include "internal.h"

/* Is @file a timerfd? */
bool ckpt_is_timerfd(struct file *file)
{
	struct timerfd_state st;

	return !timerfd_file_get(file, &st);
}

/**
 * ckpt_dump_timerfd - write the TIMERFD record of a timerfd
 * @ctx: the context
 * @file: the timerfd
 * @id: the object id of its FILE record, just written
 *
 * Return: 0, or a write error.
 */
int ckpt_dump_timerfd(struct ckpt_ctx *ctx, struct file *file, u32 id)
{
	struct ckpt_timerfd rec = { .id = id };
	struct timerfd_state st;
	int err;

	err = timerfd_file_get(file, &st);
	if (err)
		return err;
	rec.clockid = st.clockid;
	rec.flags = (st.settime_flags & TFD_TIMER_ABSTIME ?
		     CKPT_TIMERFD_ABSTIME : 0) |
		    (st.settime_flags & TFD_TIMER_CANCEL_ON_SET ?
		     CKPT_TIMERFD_CANCEL_ON_SET : 0);
	rec.ticks = st.ticks;
	rec.value_sec = st.value.it_value.tv_sec;
	rec.value_nsec = st.value.it_value.tv_nsec;
	rec.interval_sec = st.value.it_interval.tv_sec;
	rec.interval_nsec = st.value.it_interval.tv_nsec;
	return ckpt_write_rec(ctx, CKPT_REC_TIMERFD, &rec, sizeof(rec));
}

/* What clock_gettime(@clockid) gives the caller now. */
static struct timespec64 ckpt_timerfd_now(int clockid)
{
	struct timespec64 ts;

	switch (clockid) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_ALARM:
		ktime_get_real_ts64(&ts);
		break;
	case CLOCK_MONOTONIC:
		ktime_get_ts64(&ts);
		timens_add_monotonic(&ts);
		break;
	default:
		ktime_get_boottime_ts64(&ts);
		timens_add_boottime(&ts);
		break;
	}
	return ts;
}

/*
 * The setting to give timerfd_file_settime(): an absolute timer is set
 * the time left from now.  -EINVAL for a time the image cannot mean.
 */
static int ckpt_timerfd_setting(const struct ckpt_timerfd *rec,
				struct itimerspec64 *new)
{
	if (rec->value_sec > KTIME_SEC_MAX || rec->interval_sec > KTIME_SEC_MAX ||
	    rec->value_nsec >= NSEC_PER_SEC || rec->interval_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	new->it_value.tv_sec = rec->value_sec;
	new->it_value.tv_nsec = rec->value_nsec;
	new->it_interval.tv_sec = rec->interval_sec;
	new->it_interval.tv_nsec = rec->interval_nsec;
	if (rec->flags & CKPT_TIMERFD_ABSTIME &&
	    (rec->value_sec || rec->value_nsec))
		new->it_value = timespec64_add_safe(ckpt_timerfd_now(rec->clockid),
						    new->it_value);
	return 0;
}

/**
 * ckpt_restore_timerfd - take in a CKPT_REC_TIMERFD record
 * @ctx: the context
 * @h: the record's header
 *
 * Makes the timerfd of the FILE record just before, set as recorded.
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed or
 * misplaced one (an unknown clock or flag, a bad time); -EPERM for an
 * alarm clock without CAP_WAKE_ALARM; -ECANCELED if the clock was set
 * meanwhile (TFD_TIMER_CANCEL_ON_SET); -EOPNOTSUPP without
 * CONFIG_TIMERFD; -ENOMEM, -ENFILE.
 */
int ckpt_restore_timerfd(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_obj *obj = ctx->nr_objs ? &ctx->objs[ctx->nr_objs - 1] : NULL;
	struct itimerspec64 new, old;
	struct ckpt_timerfd *rec;
	struct file *file;
	int err = -EINVAL;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec), sizeof(*rec));
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (rec->pad || rec->flags & ~CKPT_TIMERFD_FLAGS || !obj ||
	    obj->id != rec->id || obj->rec.type != CKPT_FILE_TIMERFD ||
	    obj->file)
		goto out;
	err = ckpt_timerfd_setting(rec, &new);
	if (err)
		goto out;
	file = timerfd_file_create(rec->clockid, obj->rec.flags & O_NONBLOCK);
	err = PTR_ERR_OR_ZERO(file);
	if (err)
		goto out;
	err = timerfd_file_settime(file,
				   (rec->flags & CKPT_TIMERFD_ABSTIME ?
				    TFD_TIMER_ABSTIME : 0) |
				   (rec->flags & CKPT_TIMERFD_CANCEL_ON_SET ?
				    TFD_TIMER_CANCEL_ON_SET : 0),
				   &new, &old);
	if (!err && rec->ticks)
		err = timerfd_file_set_ticks(file, rec->ticks);
	if (err)
		fput(file);
	else
		obj->file = file;
out:
	kvfree(rec);
	return err;
}
