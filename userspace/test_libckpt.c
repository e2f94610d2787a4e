// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of libckpt's CRC, image reader and reseal on synthetic images
 * of both byte orders and all three machines (no kernel support needed).
 * Also cross-checks the selftests' ckpt_util.h helpers when given
 * -DWITH_CKPT_UTIL.  Run by "make check".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "libckpt.h"
#ifdef WITH_CKPT_UTIL
#define CK_HAVE_CKPT_WRAPPERS
#include "../selftests/ckpt/ckpt_util.h"
#endif

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
		failures++;						\
	}								\
} while (0)

struct w {
	unsigned char *buf;
	size_t len, cap;
	int e;
};

static void w_bytes(struct w *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2;
		w->buf = realloc(w->buf, w->cap);
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void w8(struct w *w, unsigned v) { unsigned char b = (unsigned char)v; w_bytes(w, &b, 1); }
static void w16(struct w *w, unsigned v) { unsigned char b[2]; ckpt_put16(b, w->e, (uint16_t)v); w_bytes(w, b, 2); }
static void w32(struct w *w, uint32_t v) { unsigned char b[4]; ckpt_put32(b, w->e, v); w_bytes(w, b, 4); }
static void w64(struct w *w, uint64_t v) { unsigned char b[8]; ckpt_put64(b, w->e, v); w_bytes(w, b, 8); }

static size_t rec_start;

static void rec_begin(struct w *w, uint32_t type)
{
	rec_start = w->len;
	w32(w, type);
	w32(w, 0);	/* len, patched */
	w32(w, 0);	/* crc, by reseal */
	w32(w, 0);
}

static void rec_end(struct w *w)
{
	uint32_t len = (uint32_t)(w->len - rec_start - 16);

	ckpt_put32(w->buf + rec_start + 4, w->e, len);
	while (w->len % 8)
		w8(w, 0);
}

/* Values of the PROC, SIGHAND and SIGINFO records of the synthetic image. */
#define T_PID		4242u
#define T_CWD		"/home/user/work"	/* 16 bytes with its NUL */
#define T_ROOT		"/"
#define T_CWD_DEV	0x803u
#define T_ROOT_DEV	0x801u
#define T_CWD_INO	0x123456789aULL
#define T_ROOT_INO	2ULL
static const uint32_t t_groups[] = { 4, 27, 0xfffffffeu };

static uint64_t t_rlim_cur(int i) { return (uint64_t)i * 1000 + 1; }
static uint64_t t_itimer_value(int i) { return 0x123456789ull * (uint64_t)(i + 1); }
static uint64_t t_itimer_interval(int i) { return 0x1000000001ull + (uint64_t)i; }
static uint64_t t_rlim_max(int i) { return i & 1 ? ~0ull : (uint64_t)i * 1000 + 2; }

static uint64_t t_handler(int sig)
{
	return sig % 3 == 0 ? 0 : sig % 3 == 1 ? 1 : 0x400000u + (uint64_t)sig * 16;
}

static uint64_t t_mask(int sig)
{
	return (1ull << (sig - 1)) ^ 0xf0;
}

/*
 * Deviations from the well-formed image, to build malformed ones: added
 * to the PROC fields / replacing lengths and values.
 */
struct variant {
	int ngroups_delta;
	int cwd_len_delta;		/* length field only; content stays */
	int root_len_delta;
	int cwd_no_nul;			/* last byte of cwd not NUL */
	int root_inner_nul;		/* "/\0x\0" as root */
	int nr_threads;			/* 0: the number of THREADs */
	uint32_t first_tid;		/* 0: T_PID */
	int sighand_len_delta;
	uint64_t sig2_handler;		/* 0: t_handler(2) */
	int siginfo_len_delta;
	uint32_t siginfo_signo;		/* 0: 10 */
	int siginfo_signo_zero;		/* signal 0 instead */
	unsigned int sock_state;	/* 0: TCP_ESTABLISHED */
	uint32_t sock_flags;		/* 0: LIVE, REMAKE and NODELAY */
	uint32_t tcp_id;		/* 0: T_SOCK, the socket's */
	uint32_t tcp_flags;		/* 0: SACK, TIMESTAMP and WSCALE */
	uint32_t tcp_pad;
	uint32_t data_id;		/* 0: T_SOCK */
	uint32_t data_len;		/* 0: T_DATA_LEN */
	int udp6;			/* the UDP socket is an IPv6 one */
	uint32_t udp_flags;		/* 0: LIVE and REMAKE */
	int msg_nth;			/* the SOCK_MSG the msg_ ones change */
	uint32_t msg_id;		/* 0: T_SOCK */
	uint32_t msg_addr_len;		/* 0: of the socket's family */
	uint32_t msg_family;		/* 0: the socket's */
	uint64_t msg_pad;		/* pad[0..2], 16 bits each */
	int msg_len_delta;		/* its len field only; the bytes stay */
	uint32_t msg_data_len;		/* 0: t_msg_len() */
	int wait_place_delta;		/* of each waiting connection */
	uint32_t pages_hash_type;	/* 0: CKPT_PAGES_XXH64 */
	int pages_corrupt;		/* a page byte changed after the reseal */
	uint32_t hdr_flags;		/* the header's dump flags */
	uint64_t base_bits;		/* 0: 0x5 */
};

static const struct variant well_formed;

/*
 * The TCP connection of the synthetic image: socket file T_SOCK at fd 4,
 * 127.0.0.1:40000 -> 127.0.0.1:5000, its queues cut into SOCK_DATA
 * records of T_DATA_LEN bytes.
 */
#define T_SOCK		9u
#define T_RCV_LEN	12u
#define T_SND_LEN	30u
#define T_DATA_LEN	21u
#define T_COOKIE	0x1122334455667788ull

/* A sockaddr_in as the dumping kernel has it: family in its byte order. */
static void w_sockaddr_in(struct w *w, unsigned int port)
{
	static const unsigned char zero[8];

	w16(w, AF_INET);
	w8(w, port >> 8); w8(w, port & 0xff);
	w8(w, 127); w8(w, 0); w8(w, 0); w8(w, 1);
	w_bytes(w, zero, sizeof(zero));
}

/* A TCP socket's SOCKET record on 127.0.0.1:lport, its peer's pport. */
static void w_tcp_socket(struct w *w, uint32_t flags, unsigned int state,
			 uint32_t backlog, unsigned int lport,
			 unsigned int pport)
{
	rec_begin(w, CKPT_REC_SOCKET);
	w32(w, T_SOCK); w16(w, AF_INET); w16(w, SOCK_STREAM);
	w32(w, flags);
	w32(w, 0); w32(w, 16384); w32(w, 131072); w32(w, 1);
	w16(w, IPPROTO_TCP); w8(w, state);
	w8(w, 0);
	w64(w, 0); w64(w, 0); w64(w, T_COOKIE);
	w16(w, sizeof(struct sockaddr_in));
	w16(w, pport ? sizeof(struct sockaddr_in) : 0);
	w32(w, backlog);
	w32(w, 0); w32(w, 0); w32(w, 0); w32(w, 0);	/* linger, keepalive */
	w_sockaddr_in(w, lport);
	if (pport)
		w_sockaddr_in(w, pport);
	rec_end(w);
}

static void w_socket(struct w *w, const struct variant *v)
{
	w_tcp_socket(w, v->sock_flags ? v->sock_flags : CKPT_SOCK_LIVE |
		     CKPT_SOCK_REMAKE | CKPT_SOCK_NODELAY,
		     v->sock_state ? v->sock_state : 1, 0, 40000, 5000);
}

/* A TCP listener on port 5000, made again, and its nth waiting connection. */
static void w_listener(struct w *w)
{
	w_tcp_socket(w, CKPT_SOCK_LIVE | CKPT_SOCK_REMAKE, 10, 8, 5000, 0);
}

static void w_waiting(struct w *w, int nth, const struct variant *v)
{
	w_tcp_socket(w, CKPT_SOCK_LIVE | CKPT_SOCK_REMAKE, 1,
		     nth + 1 + v->wait_place_delta, 5000, 40000 + nth);
}

static void w_tcp(struct w *w, const struct variant *v)
{
	rec_begin(w, CKPT_REC_TCP);
	w32(w, v->tcp_id ? v->tcp_id : T_SOCK);
	w32(w, v->tcp_flags ? v->tcp_flags : CKPT_TCP_SACK |
	    CKPT_TCP_TIMESTAMP | CKPT_TCP_WSCALE);
	w32(w, 0x10000000); w32(w, 0xfedcba98);
	w32(w, T_SND_LEN); w32(w, T_RCV_LEN);
	w32(w, 0x12345678); w16(w, 1460); w8(w, 7); w8(w, 9);
	w32(w, 0xfedcba00); w32(w, 0x20000); w32(w, 0x30000);
	w32(w, 0x40000); w32(w, 0xfedcba90);
	w32(w, v->tcp_pad);
	rec_end(w);
}

static void w_sock_data(struct w *w, const struct variant *v)
{
	uint32_t i, len = v->data_len ? v->data_len : T_DATA_LEN;

	rec_begin(w, CKPT_REC_SOCK_DATA);
	w32(w, v->data_id ? v->data_id : T_SOCK);
	w32(w, len);
	for (i = 0; i < len; i++)
		w8(w, 'a' + i % 26);
	rec_end(w);
}

/*
 * The UDP socket of the synthetic image: socket file T_SOCK at fd 4,
 * bound to 127.0.0.1:T_UDP_PORT (or [::]:T_UDP_PORT), with datagrams of
 * t_msg_len() bytes queued, from 127.0.0.1:6000 + n (on the IPv6 one
 * from [::1]:6000 + n, the second from a v4-mapped 127.0.0.1).
 */
#define T_UDP_PORT	5353u
#define T_UDP_COOKIE	0x99aabbccddeeff00ull

static uint32_t t_msg_len(int n) { return n == 0 ? 0 : n == 1 ? 17 : 25; }
static unsigned char t_msg_byte(int n, uint32_t i)
{
	return (unsigned char)('A' + (n * 7 + i) % 26);
}

/*
 * An address of len bytes as the dumping kernel has it: a sockaddr_in of
 * 127.0.0.1 (16 bytes), a sockaddr_in6 of ::1 or ::ffff:127.0.0.1 (28),
 * else zeros after the family and port.
 */
static void w_sender(struct w *w, unsigned int family, uint32_t len,
		     unsigned int port, int mapped)
{
	static const unsigned char loop4[4] = { 127, 0, 0, 1 };
	unsigned char a6[16] = { 0 };
	size_t start = w->len;

	w16(w, family);
	w8(w, port >> 8); w8(w, port & 0xff);
	if (len == sizeof(struct sockaddr_in)) {
		w_bytes(w, loop4, sizeof(loop4));
	} else if (len == sizeof(struct sockaddr_in6)) {
		if (mapped) {
			a6[10] = 0xff;
			a6[11] = 0xff;
			memcpy(a6 + 12, loop4, sizeof(loop4));
		} else {
			a6[15] = 1;
		}
		w32(w, 0);
		w_bytes(w, a6, sizeof(a6));
	}
	while (w->len < start + len)
		w8(w, 0);
	w->len = start + len;
}

static void w_udp_socket(struct w *w, const struct variant *v)
{
	unsigned int family = v->udp6 ? AF_INET6 : AF_INET;
	uint32_t alen = v->udp6 ? sizeof(struct sockaddr_in6) :
			sizeof(struct sockaddr_in);

	rec_begin(w, CKPT_REC_SOCKET);
	w32(w, T_SOCK); w16(w, family); w16(w, SOCK_DGRAM);
	w32(w, v->udp_flags ? v->udp_flags : CKPT_SOCK_LIVE | CKPT_SOCK_REMAKE);
	w32(w, 0); w32(w, 212992); w32(w, 212992); w32(w, 1);
	w16(w, IPPROTO_UDP); w8(w, 7); w8(w, 0);	/* TCP_CLOSE: unconnected */
	w64(w, 0); w64(w, 0); w64(w, T_UDP_COOKIE);
	w16(w, alen); w16(w, 0);
	w32(w, 0);
	w32(w, 0); w32(w, 0); w32(w, 0); w32(w, 0);	/* linger, keepalive */
	if (v->udp6) {	/* [::] */
		w16(w, AF_INET6);
		w8(w, T_UDP_PORT >> 8); w8(w, T_UDP_PORT & 0xff);
		w32(w, 0); w64(w, 0); w64(w, 0); w32(w, 0);
	} else {
		w_sender(w, AF_INET, alen, T_UDP_PORT, 0);
	}
	rec_end(w);
}

/* The nth (from 0) SOCK_MSG of the UDP socket. */
static void w_sock_msg(struct w *w, int nth, const struct variant *v)
{
	int dev = nth == v->msg_nth;
	unsigned int family = v->udp6 ? AF_INET6 : AF_INET;
	uint32_t alen = v->udp6 ? sizeof(struct sockaddr_in6) :
			sizeof(struct sockaddr_in);
	uint32_t i, len = t_msg_len(nth);
	uint64_t pad = dev ? v->msg_pad : 0;

	if (dev && v->msg_addr_len)
		alen = v->msg_addr_len;
	if (dev && v->msg_family)
		family = v->msg_family;
	if (dev && v->msg_data_len)
		len = v->msg_data_len;
	rec_begin(w, CKPT_REC_SOCK_MSG);
	w32(w, dev && v->msg_id ? v->msg_id : T_SOCK);
	w32(w, len + (uint32_t)(dev ? v->msg_len_delta : 0));
	w16(w, alen);
	for (i = 0; i < 3; i++)
		w16(w, (unsigned int)(pad >> (16 * i)) & 0xffff);
	w_sender(w, family, alen, 6000 + (unsigned int)nth,
		 v->udp6 && nth == 1);
	for (i = 0; i < len; i++)
		w8(w, t_msg_byte(nth, i));
	rec_end(w);
}

static void w_proc(struct w *w, const char *seq, const struct variant *v)
{
	uint32_t ng = 3 + (uint32_t)v->ngroups_delta;
	uint32_t cwd_len = (uint32_t)sizeof(T_CWD), root_len = 2;
	uint32_t threads = 0;
	int i;

	for (i = 0; seq[i]; i++)
		threads += seq[i] == 'T';
	if (v->nr_threads)
		threads = (uint32_t)v->nr_threads;
	if (v->root_inner_nul)
		root_len = 4;
	rec_begin(w, CKPT_REC_PROC);
	w32(w, T_PID); w32(w, threads); w32(w, 022); w32(w, 0x0040000);
	for (i = 0; i < 4; i++)
		w32(w, 1000 + (uint32_t)i);
	for (i = 0; i < 4; i++)
		w32(w, 2000 + (uint32_t)i);
	w32(w, ng);
	w32(w, cwd_len + (uint32_t)v->cwd_len_delta);
	w32(w, root_len + (uint32_t)v->root_len_delta);
	w32(w, CKPT_PROC_STOPPED);
	w32(w, T_CWD_DEV); w32(w, T_ROOT_DEV);
	w64(w, T_CWD_INO); w64(w, T_ROOT_INO);
	for (i = 0; i < CKPT_NLIMITS; i++) {
		w64(w, t_rlim_cur(i));
		w64(w, t_rlim_max(i));
	}
	for (i = 0; i < CKPT_ITIMERS; i++) {
		w64(w, t_itimer_value(i));
		w64(w, t_itimer_interval(i));
	}
	for (i = 0; i < 3; i++)
		w32(w, t_groups[i]);
	w_bytes(w, T_CWD, cwd_len - 1);
	w8(w, v->cwd_no_nul ? 'x' : 0);
	if (v->root_inner_nul)
		w_bytes(w, "/\0x", 4);
	else
		w_bytes(w, T_ROOT, 2);
	rec_end(w);
}

static void w_sighand(struct w *w, const struct variant *v)
{
	int sig;

	rec_begin(w, CKPT_REC_SIGHAND);
	for (sig = 1; sig <= CKPT_NSIG; sig++) {
		w64(w, sig == 2 && v->sig2_handler ? v->sig2_handler :
		    t_handler(sig));
		w64(w, 0x04000000u | (uint64_t)sig);
		w64(w, 0x401000u + (uint64_t)sig);
		w64(w, t_mask(sig));
	}
	if (v->sighand_len_delta > 0)
		w32(w, 0);
	else if (v->sighand_len_delta < 0)
		w->len -= 8;
	rec_end(w);
}

/* nth (0, 1) pending signal: SIGUSR1 by tkill() to the process, RT 34 queued */
static void w_siginfo(struct w *w, int nth, const struct variant *v)
{
	uint32_t signo = nth ? 34 : v->siginfo_signo ? v->siginfo_signo : 10;

	if (!nth && v->siginfo_signo_zero)
		signo = 0;
	int i;

	rec_begin(w, CKPT_REC_SIGINFO);
	w32(w, nth ? T_PID : 0);
	w32(w, signo);
	w32(w, signo);				/* si_signo */
	w32(w, nth ? 5 : 0);			/* si_errno */
	w32(w, nth ? (uint32_t)-1 : (uint32_t)-6);	/* SI_QUEUE, SI_TKILL */
	for (i = 12; i < 128; i++)
		w8(w, (unsigned)i);
	if (v->siginfo_len_delta > 0)
		w32(w, 0);
	else if (v->siginfo_len_delta < 0)
		w->len -= 1;
	rec_end(w);
}

/*
 * Build an image of the records named by seq, in that order:
 * P PROC, F FILE, M MM, V anonymous VMA, G its PAGES, W file VMA,
 * H SIGHAND, I SIGINFO, D FD (fd 3, the FILE), T THREAD, R REGS, E END;
 * K FILE of a socket, S its SOCKET (established TCP, REMAKE), C its TCP,
 * Q a SOCK_DATA of it, O FD (fd 4, the socket); U a SOCKET of that file
 * (UDP, REMAKE), X the next SOCK_MSG of it; L a SOCKET of it (a TCP
 * listener, REMAKE), A the next connection waiting in its backlog.
 * offs[i] gets the offset of record i.  Returns the number of records.
 */
static int build_seq(struct w *w, int endian, unsigned machine, unsigned ps,
		     const char *seq, const struct variant *v, size_t *offs)
{
	int i, k, nsiginfo = 0, nthread = 0, nmsg = 0, nwait = 0;
	size_t page_data = 0;

	memset(w, 0, sizeof(*w));
	w->e = endian;
	w_bytes(w, CKPT_MAGIC, 8);
	w8(w, (unsigned)endian);
	w8(w, machine == EM_68K ? 4 : 8);
	w16(w, machine);
	w32(w, CKPT_IMAGE_VERSION);
	w32(w, ps);
	w32(w, v->hdr_flags);
	w32(w, 96);
	w32(w, 0);
	{
		char rel[64] = "6.1.0-ckpt-test";

		w_bytes(w, rel, 64);
	}
	for (k = 0; seq[k]; k++) {
		if (offs)
			offs[k] = w->len;
		switch (seq[k]) {
		case 'P':
			w_proc(w, seq, v);
			break;
		case 'F':
			rec_begin(w, CKPT_REC_FILE);
			w32(w, 7); w32(w, CKPT_FILE_REG); w32(w, 0); w32(w, 0100755);
			w64(w, 0); w64(w, 0x801); w64(w, 123456); w64(w, 99999);
			w64(w, 1700000000); w32(w, 5); w32(w, 14);
			w32(w, 0); w32(w, 0);
			w_bytes(w, "/usr/bin/prog", 14);
			rec_end(w);
			break;
		case 'M':
			rec_begin(w, CKPT_REC_MM);
			for (i = 0; i < 12; i++)
				w64(w, 0x400000 + (uint64_t)i * 0x1000);
			w32(w, 7);
			w32(w, 4);
			w64(w, 33); w64(w, 0x7fff0000); w64(w, 0); w64(w, 0);
			rec_end(w);
			break;
		case 'V':
			rec_begin(w, CKPT_REC_VMA);
			w64(w, 0x10000); w64(w, 0x10000 + 4ull * ps); w64(w, 0);
			w32(w, 3); w32(w, 0); w32(w, CKPT_VMA_ANON); w32(w, 0);
			rec_end(w);
			break;
		case 'G':
			rec_begin(w, CKPT_REC_PAGES);
			w64(w, 0x10000 + ps); w32(w, 2);
			w32(w, v->pages_hash_type);
			w64(w, 0);	/* hash: ckpt_image_reseal() */
			page_data = w->len;
			for (i = 0; i < 2 * (int)ps; i++)
				w8(w, (unsigned)(i * 7));
			rec_end(w);
			break;
		case 'B':	/* pages 0 and 2 of a base record of 4 */
			rec_begin(w, CKPT_REC_BASE_PAGES);
			w64(w, 0x10000); w64(w, 4096);
			w32(w, 4); w32(w, 9); w32(w, CKPT_PAGES_XXH64); w32(w, 0);
			w64(w, 0x1234);
			w64(w, v->base_bits ? v->base_bits : 0x5);
			rec_end(w);
			break;
		case 'W':
			rec_begin(w, CKPT_REC_VMA);
			w64(w, 0x400000); w64(w, 0x400000 + ps); w64(w, 3);
			w32(w, 5); w32(w, CKPT_VMA_SHARED); w32(w, CKPT_VMA_FILE);
			w32(w, 7);
			rec_end(w);
			break;
		case 'H':
			w_sighand(w, v);
			break;
		case 'I':
			w_siginfo(w, nsiginfo++ & 1, v);
			break;
		case 'D':
			rec_begin(w, CKPT_REC_FD);
			w32(w, 3); w32(w, CKPT_FD_CLOEXEC); w32(w, 7); w32(w, 0);
			rec_end(w);
			break;
		case 'K':
			rec_begin(w, CKPT_REC_FILE);
			w32(w, T_SOCK); w32(w, CKPT_FILE_SOCKET); w32(w, 2);
			w32(w, 0140777);
			w64(w, 0); w64(w, 8); w64(w, 4711); w64(w, 0);
			w64(w, 0); w32(w, 0); w32(w, 14);
			w32(w, 0); w32(w, 0);
			w_bytes(w, "socket:[4711]", 14);
			rec_end(w);
			break;
		case 'S':
			w_socket(w, v);
			break;
		case 'C':
			w_tcp(w, v);
			break;
		case 'Q':
			w_sock_data(w, v);
			break;
		case 'U':
			w_udp_socket(w, v);
			break;
		case 'X':
			w_sock_msg(w, nmsg++, v);
			break;
		case 'L':
			w_listener(w);
			break;
		case 'A':
			w_waiting(w, nwait++, v);
			break;
		case 'O':
			rec_begin(w, CKPT_REC_FD);
			w32(w, 4); w32(w, 0); w32(w, T_SOCK); w32(w, 0);
			rec_end(w);
			break;
		case 'T':
			rec_begin(w, CKPT_REC_THREAD);
			w32(w, nthread++ ? T_PID + 1 :
			    v->first_tid ? v->first_tid : T_PID);
			w32(w, 0); w64(w, 0x8000000000000001ull);
			w64(w, 0x7000); w64(w, 0x2000); w64(w, 0x12345);
			w64(w, 0x6789a);
			w64(w, 0x7f00); w32(w, 0x53053053); w32(w, 32);
			w_bytes(w, "prog\0\0\0\0\0\0\0\0\0\0\0\0", 16);
			rec_end(w);
			break;
		case 'R':
			rec_begin(w, CKPT_REC_REGS);
			if (machine == EM_X86_64) {
				for (i = 0; i < 27; i++)
					w64(w, 0x1000 + (uint64_t)i);
				w32(w, 576); w32(w, 0);
				for (i = 0; i < 576; i++)
					w8(w, (unsigned)i);
			} else if (machine == EM_AARCH64) {
				for (i = 0; i < 35; i++)
					w64(w, 0x2000 + (uint64_t)i);
				for (i = 0; i < 64; i++)
					w64(w, 0x3000 + (uint64_t)i);
				w32(w, 0x11); w32(w, 0x03c00000);
			} else {
				for (i = 0; i < 46; i++)
					w32(w, 0x4000 + (uint32_t)i);
			}
			rec_end(w);
			break;
		case 'E':
			rec_begin(w, CKPT_REC_END);
			rec_end(w);
			break;
		}
	}
	CHECK(ckpt_image_reseal(w->buf, w->len) == k);
	if (v->pages_corrupt && page_data)
		w->buf[page_data + ps + 1] ^= 0x20;
	return k;
}

#define GOOD_SEQ	"PFMVGWHIIDTRE"
#define GOOD_NREC	13

static void build(struct w *w, int endian, unsigned machine, unsigned ps)
{
	build_seq(w, endian, machine, ps, GOOD_SEQ, &well_formed, NULL);
}

/* What read_all() saw of the new records, to check they were all seen. */
struct seen {
	int proc, sighand, siginfo;
};

static void check_proc(const struct ckpt_reader *r,
		       const struct ckpt_record *rec)
{
	const struct ckpt_proc *p = &rec->u.proc;
	int i;

	CHECK(rec->offset == 96);
	CHECK(p->pid == T_PID);
	CHECK(p->nr_threads == 1);
	CHECK(p->umask == 022);
	CHECK(p->personality == 0x0040000);
	CHECK(p->uid == 1000 && p->euid == 1001);
	CHECK(p->suid == 1002 && p->fsuid == 1003);
	CHECK(p->gid == 2000 && p->egid == 2001);
	CHECK(p->sgid == 2002 && p->fsgid == 2003);
	CHECK(p->ngroups == 3);
	CHECK(p->cwd_len == sizeof(T_CWD));
	CHECK(p->cwd_dev == T_CWD_DEV && p->root_dev == T_ROOT_DEV);
	CHECK(p->cwd_ino == T_CWD_INO && p->root_ino == T_ROOT_INO);
	CHECK(p->root_len == 2);
	CHECK(p->flags == CKPT_PROC_STOPPED);
	for (i = 0; i < CKPT_NLIMITS; i++) {
		CHECK(p->rlim[i].cur == t_rlim_cur(i));
		CHECK(p->rlim[i].max == t_rlim_max(i));
	}
	for (i = 0; i < CKPT_ITIMERS; i++) {
		CHECK(p->itimer[i].value == t_itimer_value(i));
		CHECK(p->itimer[i].interval == t_itimer_interval(i));
	}
	for (i = 0; i < 3; i++)
		CHECK(ckpt_record_group(r, rec, (uint32_t)i) == t_groups[i]);
	CHECK(ckpt_record_group(r, rec, 3) == 0);	/* out of range */
	CHECK(rec->cwd && strcmp(rec->cwd, T_CWD) == 0);
	CHECK(rec->root && strcmp(rec->root, T_ROOT) == 0);
}

static void check_sighand(const struct ckpt_record *rec)
{
	int sig;

	for (sig = 1; sig <= CKPT_NSIG; sig++) {
		const struct ckpt_sigaction *a = &rec->u.sighand[sig - 1];

		CHECK(a->handler == t_handler(sig));
		CHECK(a->flags == (0x04000000u | (uint64_t)sig));
		CHECK(a->restorer == 0x401000u + (uint64_t)sig);
		CHECK(a->mask == t_mask(sig));
	}
}

static void check_siginfo(const struct ckpt_record *rec, int nth)
{
	const struct ckpt_siginfo *si = &rec->u.siginfo;

	if (nth == 0) {
		CHECK(si->tid == 0);
		CHECK(si->signo == 10);
		CHECK(rec->si_signo == 10);
		CHECK(rec->si_errno == 0);
		CHECK(rec->si_code == -6);
	} else {
		CHECK(si->tid == T_PID);
		CHECK(si->signo == 34);
		CHECK(rec->si_signo == 34);
		CHECK(rec->si_errno == 5);
		CHECK(rec->si_code == -1);
	}
	CHECK(si->info[12] == 12 && si->info[127] == 127);
}

static int read_all(struct ckpt_reader *r, int *nrec, uint64_t *regs_first)
{
	struct ckpt_record rec;
	struct seen seen = { 0, 0, 0 };
	int ret;

	*nrec = 0;
	while ((ret = ckpt_reader_next(r, &rec)) > 0) {
		(*nrec)++;
		switch (rec.type) {
		case CKPT_REC_PROC:
			check_proc(r, &rec);
			seen.proc++;
			break;
		case CKPT_REC_SIGHAND:
			check_sighand(&rec);
			seen.sighand++;
			break;
		case CKPT_REC_SIGINFO:
			check_siginfo(&rec, seen.siginfo++);
			break;
		case CKPT_REC_FILE:
			CHECK(rec.u.file.id == 7);
			CHECK(rec.u.file.ino == 123456);
			CHECK(rec.u.file.mtime_nsec == 5);
			CHECK(strcmp(rec.path, "/usr/bin/prog") == 0);
			break;
		case CKPT_REC_FD:
			CHECK(rec.u.fd.fd == 3 && rec.u.fd.file == 7);
			CHECK(rec.u.fd.flags == CKPT_FD_CLOEXEC);
			break;
		case CKPT_REC_MM:
			CHECK(rec.u.mm.start_code == 0x400000);
			CHECK(rec.u.mm.mmap_base == 0x40b000);
			CHECK(rec.u.mm.exe_file == 7);
			CHECK(ckpt_record_auxv(r, &rec, 0) == 33);
			CHECK(ckpt_record_auxv(r, &rec, 1) == 0x7fff0000);
			break;
		case CKPT_REC_VMA:
			CHECK(rec.u.vma.start == 0x10000 || rec.u.vma.start == 0x400000);
			break;
		case CKPT_REC_PAGES:
			CHECK(rec.u.pages.nr_pages == 2);
			CHECK(rec.u.pages.addr == 0x10000 + r->hdr.page_size);
			if (rec.page_data)
				CHECK(rec.page_data[1] == 7);
			break;
		case CKPT_REC_THREAD:
			CHECK(rec.u.thread.tid == 4242);
			CHECK(rec.u.thread.sigmask == 0x8000000000000001ull);
			CHECK(rec.u.thread.sas_size == 0x2000);
			CHECK(rec.u.thread.clear_child_tid == 0x6789a);
			CHECK(rec.u.thread.rseq == 0x7f00);
			CHECK(rec.u.thread.rseq_sig == 0x53053053);
			CHECK(rec.u.thread.rseq_len == 32);
			CHECK(rec.u.thread.comm[0] == 'p');
			break;
		case CKPT_REC_REGS:
			if (r->hdr.machine == EM_X86_64) {
				*regs_first = rec.u.x86_64.r15;
				CHECK(rec.u.x86_64.ip == 0x1000 + 16);
				CHECK(rec.xstate_size == 576 && rec.xstate[5] == 5);
			} else if (r->hdr.machine == EM_AARCH64) {
				*regs_first = rec.u.arm64.regs[0];
				CHECK(rec.u.arm64.pc == 0x2000 + 32);
				CHECK(rec.u.arm64.vregs[63] == 0x3000 + 63);
				CHECK(rec.u.arm64.fpcr == 0x03c00000);
			} else {
				*regs_first = rec.u.m68k.d[0];
				CHECK(rec.u.m68k.pc == 0x4000 + 16);
				CHECK(rec.u.m68k.fp[23] == 0x4000 + 45);
			}
			break;
		}
	}
	if (ret == 0) {
		CHECK(seen.proc == 1);
		CHECK(seen.sighand == 1);
		CHECK(seen.siginfo == 2);
	}
	return ret;
}
static int mem_read(const unsigned char *buf, size_t len, int *nrec)
{
	struct ckpt_reader r;
	uint64_t first = 0;
	int ret;

	ckpt_reader_init_mem(&r, buf, len);
	ret = read_all(&r, nrec, &first);
	ckpt_reader_fini(&r);
	return ret;
}

static int fd_read(const unsigned char *buf, size_t len, int use_fp)
{
	char path[] = "/tmp/test_libckpt-XXXXXX";
	int fd = mkstemp(path), ret, n;
	struct ckpt_reader r;
	uint64_t first = 0;
	FILE *fp = NULL;

	unlink(path);
	if (write(fd, buf, len) != (ssize_t)len)
		return -EIO;
	lseek(fd, 0, SEEK_SET);
	if (use_fp) {
		fp = fdopen(fd, "rb");
		ckpt_reader_init_fp(&r, fp);
	} else {
		ckpt_reader_init_fd(&r, fd);
	}
	ret = read_all(&r, &n, &first);
	ckpt_reader_fini(&r);
	if (fp)
		fclose(fp);
	else
		close(fd);
	return ret;
}

/*
 * The offsets to damage: all of them for 4 KiB pages; with larger pages,
 * whose images are mostly page contents, every 7th byte but near the ends
 * (the quadratic cost of re-reading would otherwise take minutes).
 */
static size_t next_off(size_t off, size_t len, unsigned ps)
{
	if (ps == 4096 || off < 1024 || off + 1024 >= len)
		return off + 1;
	return off + 7;
}

static void test_image(int endian, unsigned machine, unsigned ps)
{
	struct w w;
	int n, ret;
	size_t off;
	unsigned char *copy;

	build(&w, endian, machine, ps);
	if (getenv("TEST_LIBCKPT_SAVE")) {	/* for trying "ckpt show" */
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s-%s-%u.img",
			 getenv("TEST_LIBCKPT_SAVE"), ckpt_machine_name(machine),
			 endian == CKPT_ENDIAN_BIG ? "be" : "le", ps);
		f = fopen(path, "wb");
		if (f) {
			fwrite(w.buf, 1, w.len, f);
			fclose(f);
		}
	}
	CHECK(mem_read(w.buf, w.len, &n) == 0);
	CHECK(n == GOOD_NREC);
	CHECK(fd_read(w.buf, w.len, 0) == 0);
	CHECK(fd_read(w.buf, w.len, 1) == 0);
#ifdef WITH_CKPT_UTIL
	{
		struct ck_img im = { w.buf, w.len, w.len };

		CHECK(ck_img_verify(&im) == 0);
	}
#endif

	/* every truncation: EBADMSG (ENOEXEC allowed inside the magic) */
	for (off = 0; off < w.len; off = next_off(off, w.len, ps)) {
		ret = mem_read(w.buf, off, &n);
		CHECK(ret == -EBADMSG || (off && off < 8 && ret == -ENOEXEC));
		if (off % 61 == 0 || off < 200)
			CHECK(fd_read(w.buf, off, off & 1) == ret);
	}
	/* every flipped byte: EBADMSG, ENOEXEC in the magic */
	copy = malloc(w.len);
	for (off = 0; off < w.len; off = next_off(off, w.len, ps)) {
		memcpy(copy, w.buf, w.len);
		copy[off] ^= (unsigned char)(1u << (off % 8));
		ret = mem_read(copy, w.len, &n);
		CHECK(ret == (off < 8 ? -ENOEXEC : -EBADMSG));
#ifdef WITH_CKPT_UTIL
		{
			struct ck_img im = { copy, w.len, w.len };

			CHECK(ck_img_verify(&im) == (off < 8 ? -ENOEXEC : -EBADMSG));
		}
#endif
	}
	/* trailing data */
	memcpy(copy, w.buf, w.len);
	w8(&w, 0);
	CHECK(mem_read(w.buf, w.len, &n) == -EBADMSG);
	w.len--;
	/* reseal makes patched headers valid but foreign: ENOEXEC */
	for (n = -1; n <= 1; n += 2) {	/* the version before and after */
		uint32_t version = (uint32_t)(CKPT_IMAGE_VERSION + n);
		int k;

		memcpy(copy, w.buf, w.len);
		ckpt_put32(copy + 12, endian, version);
		CHECK(mem_read(copy, w.len, &k) == -EBADMSG);
		ckpt_image_reseal(copy, w.len);
		CHECK(mem_read(copy, w.len, &k) == -ENOEXEC);
#ifdef WITH_CKPT_UTIL
		memcpy(copy, w.buf, w.len);
		ckpt_put32(copy + 12, endian, version);
		ck_reseal(copy, w.len);
		CHECK(mem_read(copy, w.len, &k) == -ENOEXEC);
#endif
	}
	/* an unknown record type with valid CRC: EINVAL */
	memcpy(copy, w.buf, w.len);
	ckpt_put32(copy + 96, endian, 99);
	ckpt_image_reseal(copy, w.len);
	CHECK(mem_read(copy, w.len, &n) == -EINVAL);
	/* reseal of an intact image changes nothing */
	memcpy(copy, w.buf, w.len);
	ckpt_image_reseal(copy, w.len);
	CHECK(memcmp(copy, w.buf, w.len) == 0);
	free(copy);
	free(w.buf);
}

/*
 * Read a whole image from memory (mode 0), an fd (1) or a FILE* (2);
 * return the result and the offset and message of the error.
 */
static int read_err(const struct w *w, int mode, uint64_t *err_off,
		    char *msg, size_t msg_len)
{
	char path[] = "/tmp/test_libckpt-XXXXXX";
	struct ckpt_reader r;
	struct ckpt_record rec;
	FILE *fp = NULL;
	int fd = -1, ret;

	if (mode == 0) {
		ckpt_reader_init_mem(&r, w->buf, w->len);
	} else {
		fd = mkstemp(path);
		if (fd < 0)
			return -EIO;
		unlink(path);
		if (write(fd, w->buf, w->len) != (ssize_t)w->len)
			return -EIO;
		lseek(fd, 0, SEEK_SET);
		if (mode == 2) {
			fp = fdopen(fd, "rb");
			ckpt_reader_init_fp(&r, fp);
		} else {
			ckpt_reader_init_fd(&r, fd);
		}
	}
	while ((ret = ckpt_reader_next(&r, &rec)) > 0)
		;
	*err_off = r.err_off;
	snprintf(msg, msg_len, "%s", r.msg);
	ckpt_reader_fini(&r);
	if (fp)
		fclose(fp);
	else if (fd >= 0)
		close(fd);
	return ret;
}

/* With TEST_LIBCKPT_SAVE set, keep @w there, for trying "ckpt show". */
static void save_image(const struct w *w, int endian, unsigned machine,
		       unsigned ps, const char *what)
{
	const char *dir = getenv("TEST_LIBCKPT_SAVE");
	char path[256];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s-%s-%u-%s.img", dir,
		 ckpt_machine_name(machine),
		 endian == CKPT_ENDIAN_BIG ? "be" : "le", ps, what);
	f = fopen(path, "wb");
	if (f) {
		fwrite(w->buf, 1, w->len, f);
		fclose(f);
	}
}

/* Does @w read without an error in every mode from @first on? */
static int reads_ok(const struct w *w, int first)
{
	uint64_t off;
	char msg[256];
	int mode;

	for (mode = first; mode < 3; mode++)
		if (read_err(w, mode, &off, msg, sizeof(msg)))
			return 0;
	return 1;
}

/*
 * A malformed image: seq and v as build_seq(); the reader must fail with
 * want at record bad (index into seq), its message containing word, from
 * memory, fd and FILE* alike.
 */
static void expect_bad(int endian, unsigned machine, unsigned ps,
		       const char *seq, const struct variant *v, int want,
		       int bad, const char *word, int line)
{
	size_t offs[32];
	uint64_t off;
	char msg[200];
	struct w w;
	int mode, ret;

	build_seq(&w, endian, machine, ps, seq, v, offs);
	for (mode = 0; mode < 3; mode++) {
		ret = read_err(&w, mode, &off, msg, sizeof(msg));
		if (ret != want || off != offs[bad] || !strstr(msg, word)) {
			fprintf(stderr,
				"%s:%d: FAILED: %s %s/%u mode %d: got %d at %#llx \"%s\", want %d at %#zx \"%s\"\n",
				__FILE__, line, seq, ckpt_machine_name(machine),
				ps, mode, ret, (unsigned long long)off, msg,
				want, offs[bad], word);
			failures++;
		}
	}
	free(w.buf);
}

#define BAD(seq, v, bad, word) \
	expect_bad(endian, machine, ps, seq, v, -EINVAL, bad, word, __LINE__)

static void test_malformed(int endian, unsigned machine, unsigned ps)
{
	struct variant v;
	struct w w;
	uint64_t off;
	char msg[200];

	/* the well-formed image passes this harness */
	build_seq(&w, endian, machine, ps, GOOD_SEQ, &well_formed, NULL);
	CHECK(reads_ok(&w, 0));
	free(w.buf);

	/* page bytes under XXH32, as a 32-bit kernel writes them */
	v = well_formed; v.pages_hash_type = CKPT_PAGES_XXH32;
	build_seq(&w, endian, machine, ps, GOOD_SEQ, &v, NULL);
	CHECK(reads_ok(&w, 0));
	free(w.buf);
	v = well_formed; v.pages_hash_type = 2;
	BAD(GOOD_SEQ, &v, 4, "unknown hash type 2");

	/* BASE_PAGES: in a diff, after their VMA, before its PAGES */
	v = well_formed; v.hdr_flags = CKPT_DUMP_DIFF;
	build_seq(&w, endian, machine, ps, "PFMVBGWHIIDTRE", &v, NULL);
	CHECK(reads_ok(&w, 0));
	free(w.buf);
	v = well_formed;
	BAD("PFMVBGWHIIDTRE", &v, 4, "only in a diff");
	v.hdr_flags = CKPT_DUMP_DIFF;
	BAD("PFMVGBWHIIDTRE", &v, 5, "before its PAGES");
	v.base_bits = 0x10;	/* bit 4 of a record of 4 pages */
	BAD("PFMVBGWHIIDTRE", &v, 4, "bad count, bits");
	v = well_formed; v.pages_corrupt = 1;
	expect_bad(endian, machine, ps, GOOD_SEQ, &v, -EBADMSG, 4,
		   "do not match their hash", __LINE__);
	v.pages_hash_type = CKPT_PAGES_XXH32;
	expect_bad(endian, machine, ps, GOOD_SEQ, &v, -EBADMSG, 4,
		   "do not match their hash", __LINE__);

	/* PROC: counts and lengths that do not add up to the record */
	v = well_formed; v.ngroups_delta = 1;
	BAD(GOOD_SEQ, &v, 0, "do not match");
	v = well_formed; v.ngroups_delta = -1;
	BAD(GOOD_SEQ, &v, 0, "do not match");
	v = well_formed; v.ngroups_delta = (int)0x40000000;  /* * 4 wraps */
	BAD(GOOD_SEQ, &v, 0, "do not match");
	v = well_formed; v.cwd_len_delta = 1;
	BAD(GOOD_SEQ, &v, 0, "do not match");
	v = well_formed; v.root_len_delta = -1;
	BAD(GOOD_SEQ, &v, 0, "do not match");
	/* lengths add up but split the strings wrongly */
	v = well_formed; v.cwd_len_delta = -1; v.root_len_delta = 1;
	BAD(GOOD_SEQ, &v, 0, "cwd is not");
	v = well_formed; v.cwd_len_delta = 1; v.root_len_delta = -1;
	BAD(GOOD_SEQ, &v, 0, "cwd is not");
	v = well_formed; v.cwd_no_nul = 1;
	BAD(GOOD_SEQ, &v, 0, "cwd is not");
	v = well_formed; v.root_inner_nul = 1;
	BAD(GOOD_SEQ, &v, 0, "root is not");
	v = well_formed; v.nr_threads = 2;
	BAD(GOOD_SEQ, &v, 12, "says 2");
	v = well_formed; v.nr_threads = 1;
	BAD("PFMVGWHIITRTRE", &v, 13, "says 1");
	v = well_formed; v.first_tid = T_PID + 7;
	BAD(GOOD_SEQ, &v, 10, "first THREAD");

	/* SIGHAND and SIGINFO of the wrong size or content */
	v = well_formed; v.sighand_len_delta = -1;
	BAD(GOOD_SEQ, &v, 6, "SIGHAND record of");
	v = well_formed; v.sighand_len_delta = 1;
	BAD(GOOD_SEQ, &v, 6, "SIGHAND record of");
	v = well_formed; v.siginfo_len_delta = -1;
	BAD(GOOD_SEQ, &v, 7, "SIGINFO record of");
	v = well_formed; v.siginfo_len_delta = 1;
	BAD(GOOD_SEQ, &v, 7, "SIGINFO record of");
	v = well_formed; v.siginfo_signo = CKPT_NSIG + 1;
	BAD(GOOD_SEQ, &v, 7, "out of range");
	v = well_formed; v.siginfo_signo_zero = 1;
	BAD(GOOD_SEQ, &v, 7, "out of range");
	v = well_formed; v.siginfo_signo = 0xffffffffu;
	BAD(GOOD_SEQ, &v, 7, "out of range");
	v = well_formed; v.sig2_handler = 0x100000000ull;
	if (machine == EM_68K) {
		BAD(GOOD_SEQ, &v, 6, "32-bit");
	} else {
		build_seq(&w, endian, machine, ps, GOOD_SEQ, &v, NULL);
		CHECK(read_err(&w, 0, &off, msg, sizeof(msg)) == 0);
		free(w.buf);
	}

	/* the record order */
	BAD("FPMVGWHIITRE", &well_formed, 0, "must be PROC");
	BAD("PPFMVGWHIITRE", &well_formed, 1, "only one PROC");
	BAD("PFMMVGWHIITRE", &well_formed, 3, "only one MM");
	BAD("PFVGWHIITRE", &well_formed, 10, "no MM");
	/* a copy-on-write dump's address space, after the threads */
	build_seq(&w, endian, machine, ps, "PHIIDTRFMVGWE", &well_formed, NULL);
	CHECK(read_err(&w, 0, &off, msg, sizeof(msg)) == 0);
	free(w.buf);
	BAD("PHIIDTRFMVGWTRE", &well_formed, 12, "threads come after");
	BAD("PHIIDTRE", &well_formed, 7, "no MM");
	BAD("PFMVGWHIIDTRMVGWE", &well_formed, 12, "after the threads");
	BAD("PFMGVWHIITRE", &well_formed, 3, "follow their VMA");
	BAD("PFMVGWIITRE", &well_formed, 6, "after SIGHAND");
	BAD("PFMVGWHHIITRE", &well_formed, 7, "one SIGHAND");
	BAD("PFMVGWHIITRFE", &well_formed, 11, "before SIGHAND");
	BAD("PFMVGWDHIITRE", &well_formed, 6, "the file table comes after");
	BAD("PFMVGWHIIDDTRE", &well_formed, 10, "fd 3 after fd 3");
	BAD("PFMVGWHIITRDE", &well_formed, 11, "the file table comes after");
	BAD("PFMVGWHITRIE", &well_formed, 10, "pending signals");
	BAD("PFMVGWHIIRTE", &well_formed, 9, "REGS must follow");
	BAD("PFMVGWHIITE", &well_formed, 10, "followed by its REGS");
	BAD("PFMVGWHIITTRE", &well_formed, 10, "followed by its REGS");
	BAD("PFMVGWHIIE", &well_formed, 0, "PROC record: no threads");
	v = well_formed; v.nr_threads = 1;
	BAD("PFMVGWHIIE", &v, 9, "no threads");
	v = well_formed; v.nr_threads = -1;	/* 0xffffffff: fine until END */
	BAD(GOOD_SEQ, &v, 12, "says 4294967295");
}

#define TCP_SEQ		"PFMVGWHIIKSCQQDOTRE"
#define TCP_NREC	19

/* What the reader makes of the records of a TCP connection. */
static void check_tcp_records(const struct w *w)
{
	struct ckpt_reader r;
	struct ckpt_record rec;
	uint64_t data = 0;
	int ret, n = 0, tcp = 0;

	ckpt_reader_init_mem(&r, w->buf, w->len);
	while ((ret = ckpt_reader_next(&r, &rec)) > 0) {
		const struct ckpt_socket *k = &rec.u.socket;
		const struct ckpt_tcp *c = &rec.u.tcp;

		n++;
		switch (rec.type) {
		case CKPT_REC_SOCKET:
			CHECK(k->id == T_SOCK && k->family == AF_INET);
			CHECK(k->type == SOCK_STREAM && k->protocol == IPPROTO_TCP);
			CHECK(k->state == 1 && k->cookie == T_COOKIE);
			CHECK(k->rcvbuf == 131072 && k->rcvlowat == 1);
			CHECK(k->addr_len == 16 && k->peer_len == 16);
			CHECK(ckpt_get16(rec.sock_addr, w->e) == AF_INET);
			CHECK(rec.sock_addr[16 + 2] == 5000 >> 8);
			CHECK(ckpt_socket_has_tcp(k));
			break;
		case CKPT_REC_TCP:
			tcp++;
			CHECK(c->id == T_SOCK);
			CHECK(c->flags == (CKPT_TCP_SACK | CKPT_TCP_TIMESTAMP |
					   CKPT_TCP_WSCALE));
			CHECK(c->snd_seq == 0x10000000 && c->rcv_seq == 0xfedcba98);
			CHECK(c->snd_len == T_SND_LEN && c->rcv_len == T_RCV_LEN);
			CHECK(c->timestamp == 0x12345678 && c->mss == 1460);
			CHECK(c->snd_wscale == 7 && c->rcv_wscale == 9);
			CHECK(c->snd_wl1 == 0xfedcba00 && c->snd_wnd == 0x20000);
			CHECK(c->max_window == 0x30000 && c->rcv_wnd == 0x40000);
			CHECK(c->rcv_wup == 0xfedcba90 && c->pad == 0);
			break;
		case CKPT_REC_SOCK_DATA:
			CHECK(rec.u.sock_data.id == T_SOCK);
			CHECK(rec.u.sock_data.len == T_DATA_LEN);
			CHECK(rec.payload[sizeof(struct ckpt_sock_data)] == 'a');
			data += rec.u.sock_data.len;
			break;
		}
	}
	CHECK(ret == 0);
	CHECK(n == TCP_NREC && tcp == 1);
	CHECK(data == T_RCV_LEN + T_SND_LEN);
	ckpt_reader_fini(&r);
}

/*
 * An established TCP connection: SOCKET, TCP and SOCK_DATA records, and
 * the orders and contents the reader refuses.
 */
static void test_tcp(int endian, unsigned machine, unsigned ps)
{
	struct variant v;
	struct w w;

	build_seq(&w, endian, machine, ps, TCP_SEQ, &well_formed, NULL);
	save_image(&w, endian, machine, ps, "tcp");
	check_tcp_records(&w);
	CHECK(reads_ok(&w, 1));
	free(w.buf);

	/* an established one kept only by identity has no TCP record */
	v = well_formed; v.sock_flags = CKPT_SOCK_LIVE;
	build_seq(&w, endian, machine, ps, "PFMVGWHIIKSDOTRE", &v, NULL);
	CHECK(reads_ok(&w, 0));
	free(w.buf);

	/* the TCP record right after the SOCKET of its connection */
	BAD("PFMVGWHIIKCSQQDOTRE", &well_formed, 10, "TCP follows the SOCKET");
	BAD("PFMVGWHIIKSQQDOTRE", &well_formed, 11, "followed by its TCP record");
	BAD("PFMVGWHIIKSDOTRE", &well_formed, 11, "followed by its TCP record");
	BAD("PFMVGWHIIKSCCQQDOTRE", &well_formed, 12, "still has 42 bytes");
	v = well_formed; v.sock_state = 10;	/* TCP_LISTEN */
	BAD(TCP_SEQ, &v, 11, "TCP follows the SOCKET");
	v = well_formed; v.sock_flags = CKPT_SOCK_LIVE;
	BAD(TCP_SEQ, &v, 11, "TCP follows the SOCKET");
	v = well_formed; v.tcp_id = T_SOCK - 1;
	BAD(TCP_SEQ, &v, 11, "TCP record of socket 8");
	/* its content */
	v = well_formed; v.tcp_flags = CKPT_TCP_FLAGS + 1;
	BAD(TCP_SEQ, &v, 11, "unknown flags");
	v = well_formed; v.tcp_pad = 1;
	BAD(TCP_SEQ, &v, 11, "non-zero pad");
	/* its SOCK_DATA: of that socket, rcv_len + snd_len bytes */
	BAD("PFMVGWHIIKSCQQQDOTRE", &well_formed, 14, "has 0 more");
	v = well_formed; v.data_len = T_DATA_LEN + 1;
	BAD(TCP_SEQ, &v, 13, "has 20 more");
	BAD("PFMVGWHIIKSCQDOTRE", &well_formed, 13, "still has 21 bytes");
	v = well_formed; v.data_id = 7;
	BAD(TCP_SEQ, &v, 12, "SOCK_DATA record of socket 7");
}

#define BACKLOG_SEQ	"PFMVGWHIIKLACQQACQQDOTRE"
#define BACKLOG_NREC	24

/*
 * A TCP listener made again with two connections waiting in its backlog:
 * each a SOCKET with the listener's id and its place, then its TCP and
 * SOCK_DATA records; the orders the reader refuses.
 */
static void test_backlog(int endian, unsigned machine, unsigned ps)
{
	struct ckpt_reader r;
	struct ckpt_record rec;
	unsigned int place = 0, n = 0, tcp = 0, data = 0;
	struct variant v;
	struct w w;
	int ret;

	build_seq(&w, endian, machine, ps, BACKLOG_SEQ, &well_formed, NULL);
	save_image(&w, endian, machine, ps, "backlog");
	ckpt_reader_init_mem(&r, w.buf, w.len);
	while ((ret = ckpt_reader_next(&r, &rec)) == 1) {
		const struct ckpt_socket *k = &rec.u.socket;

		n++;
		if (rec.type == CKPT_REC_SOCKET && k->state == 10) {
			CHECK(!ckpt_socket_waiting(k) && !ckpt_socket_has_tcp(k));
			CHECK(k->backlog == 8 && k->peer_len == 0);
		} else if (rec.type == CKPT_REC_SOCKET) {
			CHECK(ckpt_socket_waiting(k) == ++place);
			CHECK(k->id == T_SOCK && ckpt_socket_has_tcp(k));
		} else if (rec.type == CKPT_REC_TCP) {
			tcp++;
		} else if (rec.type == CKPT_REC_SOCK_DATA) {
			data += rec.u.sock_data.len;
		}
	}
	CHECK(ret == 0 && n == BACKLOG_NREC);
	CHECK(place == 2 && tcp == 2 && data == 2 * (T_RCV_LEN + T_SND_LEN));
	ckpt_reader_fini(&r);
	CHECK(reads_ok(&w, 1));
	free(w.buf);

	/* right after the listener, or the connection before, in order */
	BAD("PFMVGWHIIKACQQDOTRE", &well_formed, 10, "follows its listener's SOCKET");
	BAD("PFMVGWHIIKSCQQACQQDOTRE", &well_formed, 14, "follows its listener's SOCKET");
	BAD("PFMVGWHIIKLACQQDACQQOTRE", &well_formed, 16, "follows its listener's SOCKET");
	BAD("PFMVGWHIIKLACQAOTRE", &well_formed, 14, "still has 21 bytes");
	v = well_formed; v.wait_place_delta = 1;
	BAD(BACKLOG_SEQ, &v, 11, "place 2 in the backlog of socket 9, after 0");
}

#define UDP_SEQ		"PFMVGWHIIKUXXXOTRE"
#define UDP_NREC	18

/* What the reader makes of the records of a UDP socket with datagrams. */
static void check_udp_records(const struct w *w, int mode, int udp6)
{
	char path[] = "/tmp/test_libckpt-XXXXXX";
	unsigned int family = udp6 ? AF_INET6 : AF_INET;
	uint32_t alen = udp6 ? sizeof(struct sockaddr_in6) :
			sizeof(struct sockaddr_in);
	struct ckpt_reader r;
	struct ckpt_record rec;
	uint64_t bytes = 0;
	int ret, n = 0, nmsg = 0, fd = -1;
	FILE *fp = NULL;

	if (mode == 0) {
		ckpt_reader_init_mem(&r, w->buf, w->len);
	} else {
		fd = mkstemp(path);
		CHECK(fd >= 0);
		unlink(path);
		CHECK(write(fd, w->buf, w->len) == (ssize_t)w->len);
		lseek(fd, 0, SEEK_SET);
		if (mode == 2) {
			fp = fdopen(fd, "rb");
			ckpt_reader_init_fp(&r, fp);
		} else {
			ckpt_reader_init_fd(&r, fd);
		}
	}
	while ((ret = ckpt_reader_next(&r, &rec)) > 0) {
		const struct ckpt_socket *k = &rec.u.socket;
		const struct ckpt_sock_msg *m = &rec.u.sock_msg;
		uint32_t i, bad = 0;

		n++;
		switch (rec.type) {
		case CKPT_REC_SOCKET:
			CHECK(k->id == T_SOCK && k->family == family);
			CHECK(k->type == SOCK_DGRAM && k->protocol == IPPROTO_UDP);
			CHECK(k->cookie == T_UDP_COOKIE && k->addr_len == alen);
			CHECK(k->peer_len == 0);
			CHECK(ckpt_socket_has_msgs(k) && !ckpt_socket_has_tcp(k));
			CHECK(ckpt_record_msg_family(&r, &rec) == 0);
			break;
		case CKPT_REC_SOCK_MSG:
			CHECK(m->id == T_SOCK && m->addr_len == alen);
			CHECK(m->len == t_msg_len(nmsg));
			CHECK(!m->pad[0] && !m->pad[1] && !m->pad[2]);
			CHECK(ckpt_record_msg_family(&r, &rec) == family);
			CHECK(rec.sock_addr == rec.payload + sizeof(*m));
			CHECK(rec.sock_addr[2] == (6000 + nmsg) >> 8);
			CHECK(rec.sock_addr[3] == ((6000 + nmsg) & 0xff));
			if (udp6)
				CHECK(rec.sock_addr[8 + 10] == (nmsg == 1 ? 0xff : 0));
			else
				CHECK(rec.sock_addr[4] == 127 && rec.sock_addr[7] == 1);
			CHECK(rec.msg_data == rec.sock_addr + alen);
			for (i = 0; i < m->len; i++)
				bad += rec.msg_data[i] != t_msg_byte(nmsg, i);
			CHECK(bad == 0);
			bytes += m->len;
			nmsg++;
			break;
		}
	}
	CHECK(ret == 0);
	CHECK(n == UDP_NREC && nmsg == 3);
	CHECK(bytes == 42);
	ckpt_reader_fini(&r);
	if (fp)
		fclose(fp);
	else if (fd >= 0)
		close(fd);
}

/*
 * A UDP socket made again with three datagrams queued, IPv4 or IPv6:
 * SOCKET and SOCK_MSG records, and the orders and contents the reader
 * refuses.
 */
static void test_udp(int endian, unsigned machine, unsigned ps, int udp6)
{
	const char *fam = udp6 ? "AF_INET6" : "AF_INET";
	struct variant v, good = well_formed;
	struct w w;
	char word[100];
	int mode;

	good.udp6 = udp6;
	build_seq(&w, endian, machine, ps, UDP_SEQ, &good, NULL);
	save_image(&w, endian, machine, ps, udp6 ? "udp6" : "udp");
	for (mode = 0; mode < 3; mode++)
		check_udp_records(&w, mode, udp6);
	free(w.buf);

	/* none queued; kept by identity only, with none in the image */
	build_seq(&w, endian, machine, ps, "PFMVGWHIIKUOTRE", &good, NULL);
	CHECK(reads_ok(&w, 0));
	free(w.buf);
	v = good; v.udp_flags = CKPT_SOCK_LIVE;
	build_seq(&w, endian, machine, ps, "PFMVGWHIIKUOTRE", &v, NULL);
	CHECK(reads_ok(&w, 0));
	free(w.buf);
	/* the largest datagram there is */
	v = good; v.msg_nth = 1; v.msg_data_len = 65535;
	build_seq(&w, endian, machine, ps, UDP_SEQ, &v, NULL);
	CHECK(reads_ok(&w, 0));
	free(w.buf);

	/* right after the SOCKET of a UDP socket with REMAKE, or its others */
	v = good; v.udp_flags = CKPT_SOCK_LIVE;
	BAD(UDP_SEQ, &v, 11, "SOCK_MSG follows the SOCKET");
	BAD("PFMVGWHIIKUXXDXOTRE", &good, 14, "SOCK_MSG follows the SOCKET");
	BAD("PFMVGWHIIKUXOXTRE", &good, 13, "SOCK_MSG follows the SOCKET");
	BAD("PFMVGWHIIKUXQOTRE", &good, 12, "SOCK_DATA follows");
	BAD("PFMVGWHIIKXOTRE", &good, 10, "SOCK_MSG record after FILE");
	v = good; v.sock_flags = CKPT_SOCK_LIVE;	/* a TCP socket's */
	BAD("PFMVGWHIIKSXOTRE", &v, 11, "SOCK_MSG follows the SOCKET");
	BAD("PFMVGWHIIKSCQQXOTRE", &good, 14, "SOCK_MSG follows the SOCKET");
	/* of that socket */
	v = good; v.msg_id = T_SOCK - 1;
	BAD(UDP_SEQ, &v, 11, "SOCK_MSG record of socket 8 after the SOCKET record of 9");
	v = good; v.msg_id = T_SOCK + 1; v.msg_nth = 2;
	BAD(UDP_SEQ, &v, 13, "SOCK_MSG record of socket 10");
	/* its sender: an address of the socket's family */
	v = good; v.msg_addr_len = udp6 ? sizeof(struct sockaddr_in) :
				   sizeof(struct sockaddr_in6);
	snprintf(word, sizeof(word), "address of %u bytes for an %s socket, not %u",
		 v.msg_addr_len, fam, udp6 ? 28 : 16);
	BAD(UDP_SEQ, &v, 11, word);
	v = good; v.msg_addr_len = 2; v.msg_nth = 1;
	BAD(UDP_SEQ, &v, 12, "address of 2 bytes");
	v = good; v.msg_family = udp6 ? AF_INET : AF_INET6;
	snprintf(word, sizeof(word), "a sender of family %u for an %s socket",
		 v.msg_family, fam);
	BAD(UDP_SEQ, &v, 11, word);
	v = good; v.msg_family = AF_UNIX; v.msg_nth = 2;
	BAD(UDP_SEQ, &v, 13, "a sender of family 1");
	/* its content */
	v = good; v.msg_pad = 1;
	BAD(UDP_SEQ, &v, 11, "SOCK_MSG record: non-zero pad");
	v = good; v.msg_pad = 1ull << 32; v.msg_nth = 2;
	BAD(UDP_SEQ, &v, 13, "SOCK_MSG record: non-zero pad");
	v = good; v.msg_len_delta = 1;
	BAD(UDP_SEQ, &v, 11, "do not match record length");
	v = good; v.msg_len_delta = -1; v.msg_nth = 1;
	BAD(UDP_SEQ, &v, 12, "do not match record length");
	v = good; v.msg_len_delta = -(int)t_msg_len(1) - 8; v.msg_nth = 1;
	BAD(UDP_SEQ, &v, 12, "do not match record length");	/* wraps */
	v = good; v.msg_addr_len = 0xffff; v.msg_len_delta = -0xffff;
	v.msg_nth = 1;
	BAD(UDP_SEQ, &v, 12, "do not match record length");
	v = good; v.msg_data_len = 65536;
	BAD(UDP_SEQ, &v, 11, "a datagram of 65536 bytes (at most 65535)");
}

static void test_compatible(void)
{
	struct ckpt_image_hdr h;
	char msg[200];

	memset(&h, 0, sizeof(h));
	h.machine = EM_AARCH64;
	h.endian = CKPT_ENDIAN_LITTLE;
	h.word_size = 8;
	h.page_size = 65536;
	CHECK(ckpt_image_compatible(&h, EM_AARCH64, CKPT_ENDIAN_LITTLE, 8,
				    65536, msg, sizeof(msg)) == 0);
	CHECK(msg[0] == 0);
	CHECK(ckpt_image_compatible(&h, EM_AARCH64, CKPT_ENDIAN_LITTLE, 8,
				    4096, msg, sizeof(msg)) == -ENOEXEC);
	CHECK(strstr(msg, "65536-byte") && strstr(msg, "4096-byte"));
	CHECK(ckpt_image_compatible(&h, EM_X86_64, CKPT_ENDIAN_LITTLE, 8,
				    65536, msg, sizeof(msg)) == -ENOEXEC);
	CHECK(strstr(msg, "made on aarch64") &&
	      strstr(msg, "this machine is x86_64"));
	CHECK(ckpt_image_compatible(&h, EM_AARCH64, CKPT_ENDIAN_BIG, 8,
				    65536, msg, sizeof(msg)) == -ENOEXEC);
	CHECK(strstr(msg, "big-endian") != NULL);
	h.machine = EM_68K;
	h.endian = CKPT_ENDIAN_BIG;
	h.word_size = 4;
	h.page_size = 4096;
	CHECK(ckpt_image_compatible(&h, EM_68K, CKPT_ENDIAN_BIG, 4, 4096,
				    msg, sizeof(msg)) == 0);
	CHECK(ckpt_image_compatible(&h, EM_68K, CKPT_ENDIAN_BIG, 8, 4096,
				    msg, sizeof(msg)) == -ENOEXEC);
	CHECK(strstr(msg, "32-bit") && strstr(msg, "64-bit"));
#if defined(__x86_64__) && !defined(__ILP32__)
	CHECK(ckpt_host_machine() == EM_X86_64);
#elif defined(__aarch64__)
	CHECK(ckpt_host_machine() == EM_AARCH64);
#elif defined(__m68k__)
	CHECK(ckpt_host_machine() == EM_68K);
#endif
	CHECK(strcmp(ckpt_signal_name(2), "SIGINT") == 0);
	CHECK(strcmp(ckpt_signal_name(31), "SIGSYS") == 0);
	CHECK(ckpt_signal_name(0) == NULL && ckpt_signal_name(32) == NULL);
	CHECK(strcmp(ckpt_rlimit_name(7), "NOFILE") == 0);
	CHECK(ckpt_rlimit_name(CKPT_NLIMITS) == NULL);
	CHECK(strcmp(ckpt_rec_type_name(CKPT_REC_SIGINFO), "SIGINFO") == 0);
	CHECK(strcmp(ckpt_rec_type_name(CKPT_REC_TCP), "TCP") == 0);
	CHECK(strcmp(ckpt_rec_type_name(CKPT_REC_SOCK_MSG), "SOCK_MSG") == 0);
}

/* Values of the reference xxHash (python3-xxhash 3.2.0), seed 0. */
static void test_hashes(void)
{
	static const struct {
		size_t len;
		uint32_t h32;
		uint64_t h64;
	} want[] = {
		{ 0, 0x02cc5d05, 0xef46db3751d8e999ull },
		{ 1, 0x550d7456, 0xd24ec4f1a98c6e5bull },
		{ 3, 0x32d153ff, 0x44bc2cf5ad770999ull },
		{ 4096, 0x693c0bc2, 0x0f6e64be186af6a4ull },
		{ 12293, 0xc5aab615, 0x2484e410ea5352caull },
	};
	static unsigned char b[12293];
	size_t i, k, cut;

	for (i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)(i * 7 + 3);
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		const unsigned char *d = b;
		struct ckpt_xxh32 x32;
		struct ckpt_xxh64 x64;

		if (want[k].len == 1)
			d = (const unsigned char *)"a";
		else if (want[k].len == 3)
			d = (const unsigned char *)"abc";
		else if (want[k].len == 4096)
			for (i = 0; i < 4096; i++)
				b[i] = (unsigned char)i;
		CHECK(ckpt_xxh32(d, want[k].len) == want[k].h32);
		CHECK(ckpt_xxh64(d, want[k].len) == want[k].h64);
#ifdef WITH_CKPT_UTIL
		CHECK(ck_xxh32(d, want[k].len) == want[k].h32);
		CHECK(ck_xxh64(d, want[k].len) == want[k].h64);
#endif
		/* streamed in two uneven parts */
		cut = want[k].len / 3 + 1 < want[k].len ? want[k].len / 3 + 1 : 0;
		ckpt_xxh32_init(&x32);
		ckpt_xxh32_update(&x32, d, cut);
		ckpt_xxh32_update(&x32, d + cut, want[k].len - cut);
		CHECK(ckpt_xxh32_final(&x32) == want[k].h32);
		ckpt_xxh64_init(&x64);
		ckpt_xxh64_update(&x64, d, cut);
		ckpt_xxh64_update(&x64, d + cut, want[k].len - cut);
		CHECK(ckpt_xxh64_final(&x64) == want[k].h64);
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(i * 7 + 3);
	}
}

int main(void)
{
	/* zlib check value */
	CHECK(ckpt_crc32(0, "123456789", 9) == 0xCBF43926u);
	CHECK(ckpt_crc32(ckpt_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u);
#ifdef WITH_CKPT_UTIL
	CHECK(ck_crc32(0, "123456789", 9) == 0xCBF43926u);
#endif
	test_hashes();
	test_image(CKPT_ENDIAN_LITTLE, EM_X86_64, 4096);
	test_image(CKPT_ENDIAN_LITTLE, EM_AARCH64, 65536);
	test_image(CKPT_ENDIAN_BIG, EM_68K, 4096);
	test_image(CKPT_ENDIAN_BIG, EM_68K, 8192);
	test_image(CKPT_ENDIAN_BIG, EM_AARCH64, 4096);
	test_malformed(CKPT_ENDIAN_LITTLE, EM_X86_64, 4096);
	test_malformed(CKPT_ENDIAN_BIG, EM_68K, 4096);
	test_malformed(CKPT_ENDIAN_LITTLE, EM_AARCH64, 65536);
	test_malformed(CKPT_ENDIAN_BIG, EM_AARCH64, 4096);
	test_tcp(CKPT_ENDIAN_LITTLE, EM_X86_64, 4096);
	test_tcp(CKPT_ENDIAN_BIG, EM_68K, 4096);
	test_tcp(CKPT_ENDIAN_BIG, EM_AARCH64, 65536);
	test_backlog(CKPT_ENDIAN_LITTLE, EM_X86_64, 4096);
	test_backlog(CKPT_ENDIAN_BIG, EM_68K, 4096);
	test_udp(CKPT_ENDIAN_LITTLE, EM_X86_64, 4096, 0);
	test_udp(CKPT_ENDIAN_LITTLE, EM_X86_64, 4096, 1);
	test_udp(CKPT_ENDIAN_BIG, EM_68K, 4096, 0);
	test_udp(CKPT_ENDIAN_BIG, EM_AARCH64, 65536, 1);
	test_compatible();
	if (failures) {
		fprintf(stderr, "test_libckpt: %d failures\n", failures);
		return 1;
	}
	printf("test_libckpt: all passed\n");
	return 0;
}
