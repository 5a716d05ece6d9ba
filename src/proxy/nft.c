/* nft.c - the nftables helper (nft.h says what and why). */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "sekisho/bankey.h"

enum { NFT_OP_ADD = 1, NFT_OP_DEL = 2 };

/* Proxy -> helper: one ban change, fixed size, written in one write() (far
 * below PIPE_BUF, so writes from several workers never interleave). */
typedef struct nft_msg {
	uint8_t op;   /* NFT_OP_* */
	uint8_t v4;   /* 1: addr is ::ffff:a.b.c.d */
	uint8_t plen; /* 32 or 24 (v4), 128 or 64 (v6) */
	uint8_t pad;
	uint8_t addr[16];
	uint32_t ttl_s; /* ADD: 1..BANKEY_TTL_MAX_S; DEL: 0 */
} nft_msg;

/* Helper -> proxy: the outcome of the start (table) or of a failed batch. */
typedef struct nft_reply {
	int32_t status;  /* 0 ok; else nft's exit status, or -1: it could not run */
	uint32_t nops;   /* ban changes in the failed batch */
	uint8_t startup; /* 1: the table check at start */
	char msg[243];   /* nft's first error line, NUL-terminated */
} nft_reply;

_Static_assert(sizeof(nft_msg) == 24, "nft_msg layout");
_Static_assert(sizeof(nft_reply) <= 256, "nft_reply fits one atomic pipe write");

struct nft_helper {
	pid_t pid;
	int to_fd;   /* messages to the helper (non-blocking) */
	int from_fd; /* replies from it */
	char table[40];
	atomic_ullong dropped; /* changes not queued: the pipe was full or gone */
};

static const char *const nft_paths[] = { "/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/bin/nft", NULL };

/* ---------------------------------------------------------------- helper */

/* Keep only CAP_NET_ADMIN: out of the bounding set (so nft, run as root,
 * gets nothing else) and out of our own sets. Best effort: on failure nft
 * still runs with what root has. */
static void helper_drop_caps(void)
{
	for (int cap = 0; cap <= 63; cap++)
		if (cap != CAP_NET_ADMIN && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL)
			break;
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective = CAP_TO_MASK(CAP_NET_ADMIN);
	data[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted = CAP_TO_MASK(CAP_NET_ADMIN);
	(void)syscall(SYS_capset, &hdr, data);
}

static void reply(int fd, int status, unsigned nops, bool startup, const char *msg)
{
	nft_reply r;
	memset(&r, 0, sizeof(r));
	r.status = status;
	r.nops = nops;
	r.startup = startup;
	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	(void)!write(fd, &r, sizeof(r));
}

/* Run nft with `args` (argv after "nft"), `input` on its stdin (or
 * /dev/null). Returns its exit status, or -1 if it could not run; the
 * first line of its stderr goes to err. */
static int run_nft(const char *nft, const char *const *args, const char *input, char *err, size_t errcap)
{
	char *argv[8];
	int argc = 0;
	argv[argc++] = (char *)"nft";
	for (size_t i = 0; args[i] && argc < 7; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	char *envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C", NULL };
	int ep[2], ip[2] = { -1, -1 };
	err[0] = '\0';
	if (pipe2(ep, O_CLOEXEC) != 0 || (input && pipe2(ip, O_CLOEXEC) != 0)) {
		snprintf(err, errcap, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (input)
		posix_spawn_file_actions_adddup2(&fa, ip[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	/* nft gets default signal handling and an empty mask, not ours. */
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int rc = posix_spawn(&pid, nft, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(ep[1]);
	if (input)
		close(ip[0]);
	if (rc != 0) {
		snprintf(err, errcap, "cannot run %s: %s", nft, strerror(rc));
		close(ep[0]);
		if (input)
			close(ip[1]);
		return -1;
	}
	if (input) {
		/* A table definition: far below the pipe's buffer, no deadlock. */
		(void)!write(ip[1], input, strlen(input));
		close(ip[1]);
	}
	size_t got = 0;
	char buf[512];
	ssize_t n;
	while ((n = read(ep[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (ssize_t i = 0; i < n && got + 1 < errcap; i++) {
			if (buf[i] == '\n' && got)
				got = errcap; /* first line only */
			else if (buf[i] != '\n')
				err[got++] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? buf[i] : '?';
		}
		if (got < errcap)
			err[got] = '\0';
	}
	close(ep[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Check a message again (the helper trusts nothing) and append its nft
 * commands. False for a message that is not a well-formed ban change. */
static bool msg_commands(const nft_msg *m, const char *table, char *out, size_t cap, size_t *len)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (m->op != NFT_OP_ADD && m->op != NFT_OP_DEL)
		return false;
	if (m->op == NFT_OP_ADD ? (m->ttl_s == 0 || m->ttl_s > BANKEY_TTL_MAX_S) : m->ttl_s != 0)
		return false;
	bool is_mapped = memcmp(m->addr, mapped, 12) == 0;
	char a[INET6_ADDRSTRLEN];
	const char *set;
	if (m->v4 == 1) {
		if (!is_mapped || (m->plen != 32 && m->plen != 24) || (m->plen == 24 && m->addr[15] != 0))
			return false;
		inet_ntop(AF_INET, m->addr + 12, a, sizeof(a));
		set = m->plen == 32 ? "banned4" : "banned4_net";
	} else if (m->v4 == 0) {
		if (is_mapped || (m->plen != 128 && m->plen != 64))
			return false;
		for (int i = 8; m->plen == 64 && i < 16; i++)
			if (m->addr[i])
				return false;
		inet_ntop(AF_INET6, m->addr, a, sizeof(a));
		set = m->plen == 128 ? "banned6" : "banned6_net";
	} else {
		return false;
	}
	char el[64];
	if (m->plen == 32 || m->plen == 128)
		snprintf(el, sizeof(el), "%s", a);
	else
		snprintf(el, sizeof(el), "%s/%u", a, (unsigned)m->plen);
	/* add; delete; (add with timeout): never fails on a present or absent
	 * element, and a new ban replaces the old timeout. */
	int n = snprintf(out + *len, cap - *len,
			 "add element inet %s %s { %s }; delete element inet %s %s { %s }; ", table, set, el, table,
			 set, el);
	if (n < 0 || (size_t)n >= cap - *len)
		return false;
	*len += (size_t)n;
	if (m->op == NFT_OP_ADD) {
		n = snprintf(out + *len, cap - *len, "add element inet %s %s { %s timeout %us }; ", table, set, el,
			     (unsigned)m->ttl_s);
		if (n < 0 || (size_t)n >= cap - *len)
			return false;
		*len += (size_t)n;
	}
	return true;
}

static void ensure_table(int out, const char *nft, const char *table)
{
	char err[240], def[1024];
	const char *list[] = { "list", "table", "inet", table, NULL };
	if (run_nft(nft, list, NULL, err, sizeof(err)) == 0) {
		reply(out, 0, 0, true, "existing table");
		return;
	}
	snprintf(def, sizeof(def),
		 "table inet %s {\n"
		 "  set banned4 { type ipv4_addr; flags timeout; }\n"
		 "  set banned6 { type ipv6_addr; flags timeout; }\n"
		 "  set banned4_net { type ipv4_addr; flags interval, timeout; }\n"
		 "  set banned6_net { type ipv6_addr; flags interval, timeout; }\n"
		 "  chain input {\n"
		 "    type filter hook input priority -10; policy accept;\n"
		 "    ip saddr @banned4 drop\n"
		 "    ip saddr @banned4_net drop\n"
		 "    ip6 saddr @banned6 drop\n"
		 "    ip6 saddr @banned6_net drop\n"
		 "  }\n"
		 "}\n",
		 table);
	const char *load[] = { "-f", "-", NULL };
	int rc = run_nft(nft, load, def, err, sizeof(err));
	reply(out, rc, 0, true, rc == 0 ? "created" : err);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static _Noreturn void helper_main(int in, int out, const char *nft, const char *table)
{
	helper_drop_caps();
	ensure_table(out, nft, table);
	static nft_msg msgs[NFT_BATCH];
	static char cmd[NFT_BATCH * 400 + 64];
	uint64_t last_run = 0;
	size_t have = 0; /* bytes in msgs */
	bool eof = false;
	for (;;) {
		/* Block for the first message, then take whatever else queued. */
		struct pollfd p = { in, POLLIN, 0 };
		int timeout = have ? 0 : -1;
		int pr = poll(&p, 1, timeout);
		if (pr < 0 && errno != EINTR)
			_exit(0);
		if (pr > 0 && !eof && have < sizeof(msgs)) {
			ssize_t n = read(in, (char *)msgs + have, sizeof(msgs) - have);
			if (n == 0)
				eof = true; /* the proxy is gone: finish what is queued */
			if (n > 0)
				have += (size_t)n;
		}
		size_t nmsg = have / sizeof(nft_msg);
		if (nmsg == 0) {
			if (eof)
				_exit(0);
			continue;
		}
		/* Rate bound: wait out the rest of the interval; more changes
		 * may queue meanwhile and join the next batch. */
		uint64_t gap = 1000u / NFT_RUNS_PER_S, now = mono_ms();
		if (last_run && now - last_run < gap) {
			struct timespec ts = { 0, (long)(gap - (now - last_run)) * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		size_t len = 0;
		unsigned ok = 0, bad = 0;
		for (size_t i = 0; i < nmsg; i++) {
			if (msg_commands(&msgs[i], table, cmd, sizeof(cmd), &len))
				ok++;
			else
				bad++;
		}
		size_t rest = have - nmsg * sizeof(nft_msg);
		memmove(msgs, (char *)msgs + nmsg * sizeof(nft_msg), rest);
		have = rest;
		if (bad)
			reply(out, -1, bad, false, "malformed ban change refused by the helper");
		if (!ok)
			continue;
		last_run = mono_ms();
		char err[240];
		const char *args[] = { cmd, NULL };
		int rc = run_nft(nft, args, NULL, err, sizeof(err));
		if (rc != 0)
			reply(out, rc, ok, false, err[0] ? err : "nft failed");
	}
}

/* ---------------------------------------------------------------- proxy side */

int nft_start(proxy *px, const char *table, char *errbuf, size_t errlen)
{
	const char *nft = NULL;
	for (size_t i = 0; nft_paths[i] && !nft; i++)
		if (access(nft_paths[i], X_OK) == 0)
			nft = nft_paths[i];
	if (!nft) {
		snprintf(errbuf, errlen, "bans.nftables: the nft command is not installed (apt-get install nftables)");
		return -1;
	}
	struct nft_helper *h = calloc(1, sizeof(*h));
	int down[2], up[2];
	if (!h || pipe2(down, O_CLOEXEC) != 0) {
		free(h);
		snprintf(errbuf, errlen, "bans.nftables: %s", strerror(errno));
		return -1;
	}
	if (pipe2(up, O_CLOEXEC) != 0) {
		close(down[0]);
		close(down[1]);
		free(h);
		snprintf(errbuf, errlen, "bans.nftables: %s", strerror(errno));
		return -1;
	}
	/* Room for a burst (a start-up sync from Redis): 1 MiB is ~43000 changes. */
	(void)fcntl(down[1], F_SETPIPE_SZ, 1 << 20);
	snprintf(h->table, sizeof(h->table), "%s", table);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(errbuf, errlen, "bans.nftables: fork: %s", strerror(errno));
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		free(h);
		return -1;
	}
	if (pid == 0) {
		/* Keep stderr (nothing is written to it) and the two pipe ends. */
		if (dup2(down[0], 3) < 0 || dup2(up[1], 4) < 0)
			_exit(1);
		close_range(5, ~0U, 0);
		fcntl(3, F_SETFD, FD_CLOEXEC);
		fcntl(4, F_SETFD, FD_CLOEXEC);
		helper_main(3, 4, nft, h->table);
	}
	close(down[0]);
	close(up[1]);
	h->pid = pid;
	h->to_fd = down[1];
	h->from_fd = up[0];
	fcntl(h->to_fd, F_SETFL, O_NONBLOCK);
	fcntl(h->from_fd, F_SETFL, O_NONBLOCK);
	px->nft = h;
	return 0;
}

static void on_reply(ev_loop *loop, int fd, unsigned events, void *ud)
{
	worker *w = ud;
	struct nft_helper *h = w->px->nft;
	for (;;) {
		nft_reply r;
		ssize_t n = read(fd, &r, sizeof(r));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n != (ssize_t)sizeof(r)) {
			/* EOF: the helper is gone; bans still hold in the proxy. */
			ev_del(loop, fd);
			close(fd);
			h->from_fd = -1;
			audit_event(w, "nft_failed", "high",
				    "{\"error\":\"the nftables helper exited\",\"action\":\"bans are enforced by the proxy only\"}");
			return;
		}
		r.msg[sizeof(r.msg) - 1] = '\0';
		sk_buf d;
		buf_init(&d, 1024);
		buf_printf(&d, "{\"table\":\"inet %s\",", h->table);
		if (r.status == 0) {
			buf_puts(&d, "\"state\":");
			buf_json_str(&d, sk_slice_make(r.msg, strlen(r.msg)));
			buf_puts(&d, "}");
			fprintf(stderr, "sekisho proxy: nftables: table inet %s ready (%s)\n", h->table, r.msg);
			audit_event(w, "nft_ready", "info", d.overflow ? "{}" : d.p);
		} else {
			buf_printf(&d, "\"status\":%d,\"changes\":%u,\"error\":", (int)r.status, (unsigned)r.nops);
			buf_json_str(&d, sk_slice_make(r.msg, strlen(r.msg)));
			buf_puts(&d, "}");
			if (r.startup)
				fprintf(stderr, "sekisho proxy: nftables: cannot set up table inet %s: %s\n", h->table,
					r.msg);
			audit_event(w, "nft_failed", "high", d.overflow ? "{}" : d.p);
		}
		buf_free(&d);
	}
	(void)events;
}

void nft_attach(worker *w)
{
	if (w->id == 0 && w->px->nft && w->px->nft->from_fd >= 0)
		ev_add(w->loop, w->px->nft->from_fd, EV_READ, on_reply, w);
}

static void send_change(proxy *px, int op, const char *key, uint32_t ttl_ms)
{
	struct nft_helper *h = px->nft;
	if (!h || h->to_fd < 0)
		return;
	bankey k;
	const char *why;
	if (!bankey_parse(sk_slice_make(key, strlen(key)), &k, &why) || k.kind == BANKEY_ACCT)
		return;
	nft_msg m;
	memset(&m, 0, sizeof(m));
	m.op = (uint8_t)op;
	m.v4 = k.v4;
	m.plen = (uint8_t)(k.v4 ? k.net.bits - 96 : k.net.bits);
	memcpy(m.addr, k.net.addr.b, 16);
	if (op == NFT_OP_ADD) {
		uint32_t s = (ttl_ms + 999u) / 1000u;
		m.ttl_s = s == 0 ? 1 : s > BANKEY_TTL_MAX_S ? BANKEY_TTL_MAX_S : s;
	}
	if (write(h->to_fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		atomic_fetch_add(&h->dropped, 1);
}

void nft_ban(proxy *px, const char *key, uint32_t ttl_ms)
{
	send_change(px, NFT_OP_ADD, key, ttl_ms);
}

void nft_unban(proxy *px, const char *key)
{
	send_change(px, NFT_OP_DEL, key, 0);
}

static void sync_one(void *ctx, sk_slice key, uint32_t ttl_left_ms, sk_slice reason)
{
	(void)reason;
	char k[BANKEY_MAX];
	if (key.len >= sizeof(k))
		return;
	memcpy(k, key.p, key.len);
	k[key.len] = '\0';
	nft_ban(ctx, k, ttl_left_ms);
}

void nft_sync(proxy *px)
{
	if (px->nft && px->state)
		state_ban_list(px->state, guard_now_ms(), sync_one, px, 100000);
}

void nft_stop(proxy *px)
{
	struct nft_helper *h = px->nft;
	if (!h)
		return;
	if (h->to_fd >= 0)
		close(h->to_fd);
	if (h->from_fd >= 0)
		close(h->from_fd);
	/* It exits on EOF once its current nft run ends; do not wait forever. */
	int st;
	for (int i = 0; i < 300 && waitpid(h->pid, &st, WNOHANG) == 0; i++)
		usleep(10 * 1000);
	if (waitpid(h->pid, &st, WNOHANG) == 0) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, &st, 0);
	}
	free(h);
	px->nft = NULL;
}
