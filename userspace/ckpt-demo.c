// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-demo: counts 1..6, checkpoints itself at 3 into argv[1]
 * (default /tmp/demo.img).  Restore the image with "ckpt restore FILE":
 * the restored process says so and counts 3..6 again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libckpt.h"

/*
 * "ckpt-demo --count": the process of the 1988 question, under the
 * administrator's control: it counts, keeps its count in memory and prints
 * it, until it is killed.
 */
static int count_forever(void)
{
	struct timespec tick = { 0, 300 * 1000 * 1000 };
	static long memory[64];
	long n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (n = 1;; n++) {
		memory[n % 64] = n * n;
		printf("  [pid %d] counter = %ld, memory[%ld] = %ld\n",
		       (int)getpid(), n, n % 64, memory[n % 64]);
		nanosleep(&tick, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/demo.img";

	if (argc > 1 && !strcmp(argv[1], "--count"))
		return count_forever();
	volatile double fp = 1.0;
	long *heap;
	int n;

	heap = malloc(sizeof(*heap));
	if (!heap) {
		perror("malloc");
		return 1;
	}
	*heap = 1000;

	for (n = 1; n <= 6; n++) {
		*heap += (long)n * n;		/* 1001 1005 1014 1030 1055 1091 */
		fp = fp * 1.5 + n / 4.0;
		printf("counter = %d heap = %ld fp = %.4f\n", n, *heap, fp);

		if (n == 3) {
			long ret;
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			if (fd < 0) {
				fprintf(stderr, "ckpt-demo: cannot create %s: %s\n",
					path, strerror(errno));
				return 1;
			}
			fflush(NULL);
			ret = ckpt_dump(0, fd, 0, NULL, 0);
			if (ret < 0) {
				fprintf(stderr, "ckpt-demo: ckpt_dump: %s\n",
					strerror(errno));
				return 1;
			}
			if (ret == CKPT_RESTORED) {
				/* fd belongs to whoever restored us: leave it */
				printf("restored: back at counter = %d (pid %d)\n",
				       n, (int)getpid());
			} else {
				close(fd);
				printf("checkpoint written to %s (pid %d)\n",
				       path, (int)getpid());
			}
		}
	}
	fflush(NULL);
	return 0;
}
