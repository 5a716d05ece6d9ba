/* proxy.h - internal structures of `sekisho proxy`.
 *
 * Threads: one worker per core, each with its own event loop, its own
 * SO_REUSEPORT listener, its own upstream pool and its own engine scratch.
 * What workers share is immutable (proxy_shared: settings, engine, rules)
 * and replaced as a whole on reload.
 *
 * A client connection moves through these states:
 *   HEAD      reading the request head (header timeout)
 *   BODY      reading the body into the inspection buffer (body timeout)
 *   STREAM_REQ  passing the rest of an over-limit body through, uninspected
 *   DELAY     a login attempt waiting out its progressive delay (login.c)
 *   UPSTREAM  connecting/sending to the upstream, reading its response head
 *   RELAY     streaming the response body to the client
 *   TUNNEL    WebSocket (or any 101) passthrough, both directions
 *   RESPOND   writing a response of our own (block page, error), then
 *             keep-alive or close
 *   IDLE      keep-alive, waiting for the next request (keepalive timeout)
 */
#ifndef SEKISHO_PROXY_H
#define SEKISHO_PROXY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../sys/ev.h"
#include "../sys/net.h"
#include "tls.h"
#include "sekisho/access.h"
#include "sekisho/addr.h"
#include "sekisho/arena.h"
#include "sekisho/buf.h"
#include "sekisho/engine.h"
#include "sekisho/http.h"
#include "sekisho/login.h"
#include "sekisho/rules.h"
#include "sekisho/view.h"

#define PROXY_MAX_LISTEN 8
#define PROXY_MAX_TRUSTED 64
#define PROXY_MAX_PATH_MODES 64
#define PROXY_MAX_LOGINS 16
#define PROXY_MAX_GATE_PATHS 64
#define PROXY_MAX_PW_ENDPOINTS 64

enum proxy_mode { MODE_BLOCK = 0, MODE_MONITOR, MODE_OFF };

typedef struct proxy_pw_endpoint {
	char path[256];
	char field[257];
} proxy_pw_endpoint;

typedef struct proxy_path_mode {
	char prefix[256];
	enum proxy_mode mode;
} proxy_path_mode;

/* Everything the proxy needs from the configuration, resolved. */
typedef struct proxy_settings {
	net_endpoint listen[PROXY_MAX_LISTEN];
	size_t nlisten;
	net_endpoint upstream;
	char upstream_host[256]; /* Host header value for the upstream if the client sent none */
	int workers;
	http_limits lim;
	bool body_over_limit_pass;
	size_t max_connections;
	unsigned header_timeout_ms, body_timeout_ms, connect_timeout_ms, response_timeout_ms, keepalive_timeout_ms;
	enum proxy_mode mode;
	int paranoia, threshold, block_status;
	char rules_path[512];
	engine_exception *exceptions;
	size_t nexceptions;
	proxy_path_mode path_modes[PROXY_MAX_PATH_MODES];
	size_t npath_modes;
	sk_cidr trusted[PROXY_MAX_TRUSTED];
	size_t ntrusted;
	bool hdr_nosniff;
	char hdr_frame_options[64];
	char hdr_referrer_policy[128];
	char hdr_hsts[128];
	bool access_log;
	char events[512];   /* event sink spec */
	char user[64];
	net_endpoint admin;
	bool admin_enabled;
	net_endpoint tls_listen[PROXY_MAX_LISTEN];
	size_t ntls_listen;
	tls_cert_paths tls_certs[16];
	size_t ntls_certs;
	bool redirect_http;
	login_endpoint logins[PROXY_MAX_LOGINS];
	size_t nlogins;
	login_policy login;
	int login_status;
	/* state backend: read at start only */
	bool redis_enabled;
	char redis_host[64];
	uint16_t redis_port;
	char redis_prefix[72];
	unsigned redis_timeout_ms;
	size_t state_max_keys;
	unsigned ban_cache_ms;
	/* ban API and kernel bans (admin.c, nft.c) */
	char admin_token[260];   /* "" = none: ban endpoints for loopback peers only */
	bool nftables;           /* read at start only */
	char nft_table[40];
	/* TOTP gate (gate.c); off while ngate_paths is 0 */
	char gate_paths[PROXY_MAX_GATE_PATHS][256];
	size_t ngate_paths;
	char gate_secrets[512];
	char gate_key_file[512];
	unsigned gate_ttl_ms;
	char gate_cookie[65];
	unsigned gate_max_attempts;
	unsigned gate_window_ms;
	/* password policy (password.c); off while npw_endpoints is 0 */
	proxy_pw_endpoint pw_endpoints[PROXY_MAX_PW_ENDPOINTS];
	size_t npw_endpoints;
	size_t pw_min_length;
	char pw_list[512];
	int pw_status;
	char pw_message[512];
	access_rules *access;    /* compiled access rules, owned; NULL when none are set */
	char geoip_db[512];      /* access.geoip_db; "" = none */
	int access_status;
	bool access_at_accept;
} proxy_settings;

/* Shared, immutable while in use; replaced on SIGHUP. */
typedef struct proxy_shared {
	proxy_settings set;
	ruleset *rules;
	engine *eng;
	struct gate_keys *gate;  /* gate.c: cookie and CSRF keys, NULL when the gate is off */
	struct pwlist *pwlist;   /* password.c: the listed passwords, NULL when none */
	struct geoip *geoip;  /* access.geoip_db, opened by shared_build; NULL = none */
	atomic_int refs;
} proxy_shared;

struct conn;
struct upconn;

/* Latency histogram bucket bounds, milliseconds (Prometheus "le"). */
#define LATENCY_BUCKETS 12
#define STATS_DETECTORS 32 /* detector_table rows; the last two: protocol, rule */

typedef struct proxy_stats {
	atomic_ullong requests, blocked, flagged, passed, upstream_errors, bad_requests, timeouts;
	atomic_llong open_conns;
	atomic_ullong blocks_by[STATS_DETECTORS];
	atomic_ullong latency[LATENCY_BUCKETS + 1]; /* last: +Inf */
	atomic_ullong latency_sum_us;
	atomic_ullong latency_count;
	/* bans and state (guard.c) */
	atomic_int state_degraded;      /* 1 while Redis is down and local state serves */
	atomic_ullong state_outages;
	atomic_ullong bans_set;
	atomic_ullong banned_refused;   /* requests refused because the source is banned */
	atomic_ullong login_attempts, login_failures, login_successes, login_delayed, login_locked, login_banned;
	atomic_int login_wave;          /* 1 while a stuffing wave is declared */
	/* TOTP gate and password policy (gate.c, password.c) */
	atomic_ullong totp_success, totp_failure, totp_lockout;
	atomic_ullong password_refused;
	atomic_ullong access_denied[2][ACCESS_NREASONS]; /* [0] requests, [1] connections at accept */
} proxy_stats;

typedef struct worker {
	int id;
	ev_loop *loop;
	pthread_t thread;
	int listen_fd[PROXY_MAX_LISTEN];
	size_t nlisten;
	int tls_listen_fd[PROXY_MAX_LISTEN];
	size_t ntls_listen;
	proxy_shared *sh;           /* current shared state (ref held) */
	engine_scratch *scratch;    /* matches sh->eng */
	struct conn *conns;         /* all client connections, for the timeout sweep */
	struct upconn *idle;        /* idle upstream connections (keep-alive pool) */
	size_t nidle;
	uint64_t next_id;
	char id_prefix[9];
	/* Audit event budget: an attack flood must not fill the disk. */
	uint64_t audit_second;      /* the second (monotonic ms / 1000) being counted */
	unsigned audit_in_second;   /* request events written in it */
	uint64_t audit_suppressed;  /* not written since the last summary */
	struct ban_cache *bans;     /* guard.c: recent ban answers from a shared store */
	struct proxy *px;
} worker;

typedef struct proxy {
	worker *workers;
	int nworkers;
	_Atomic(proxy_shared *) shared;
	pthread_mutex_t reload_lock;
	proxy_stats stats;
	volatile sig_atomic_t stop;
	volatile sig_atomic_t draining;
	char config_path[512];
	char errbuf[512];
	int admin_fd;
	struct tls_server *tls;   /* loaded once at start (keys are read as root) */
	struct events *events;
	struct state *state;      /* counters and bans (guard.c); created once at start */
	bool state_shared;        /* Redis: answers are cached per worker */
	unsigned ban_cache_ms;
	atomic_uint ban_gen;      /* bumped on every ban set or lifted here: caches refill */
	struct admin_conn *admin_conns; /* open admin connections (worker 0's thread only) */
	unsigned admin_nconns;
	struct nft_helper *nft;   /* nft.c: the privileged helper that feeds nftables, or NULL */
	struct proxy_overrides_store {
		const char *listen[PROXY_MAX_LISTEN];
		size_t nlisten;
		const char *upstream, *workers, *paranoia, *rules, *events;
		bool monitor;
	} ov; /* command-line overrides, re-applied on reload */
} proxy;

enum conn_state { CS_HEAD, CS_BODY, CS_STREAM_REQ, CS_DELAY, CS_UPSTREAM, CS_RELAY, CS_TUNNEL, CS_RESPOND, CS_IDLE };

/* How a message body is framed, for relaying it unchanged. */
typedef struct body_framing {
	enum { BF_NONE, BF_LENGTH, BF_CHUNKED, BF_CLOSE } mode;
	uint64_t remaining;
	chunked_state ch;
	bool done;
} body_framing;

typedef struct upconn {
	int fd;
	struct upconn *next;
	struct conn *owner;      /* NULL while idle in the pool */
	bool connected;
	bool reused;
	worker *w;
} upconn;

typedef struct conn {
	int fd;
	worker *w;
	struct ssl_st *ssl;      /* TLS session, or NULL for plain HTTP */
	unsigned tls_want;       /* TLS_WANT_* the session waits for */
	proxy_shared *sh;        /* settings this request runs under */
	enum conn_state state;
	struct conn *next, *prev;
	sk_addr peer;
	char peer_text[48];
	sk_addr client;          /* peer, or the address from a trusted X-Forwarded-For */
	char client_text[48];
	uint64_t deadline;
	uint64_t t_start;

	/* request */
	char *in;
	size_t in_len, in_cap;
	http_req_parser rp;
	http_request req;
	http_header *hdrs;
	size_t head_len;
	chunked_state req_ch;    /* request body decoding when chunked */
	size_t req_raw_end;      /* end of the request's raw bytes in `in` */
	sk_buf body;             /* decoded body when chunked */
	bool body_truncated;
	bool sent_continue;
	arena *a;
	char request_id[24];
	verdict v;
	bool flagged;
	char guard_note[640];    /* why login protection or a ban acted, for the audit event */
	/* login protection (login.c); the pointers are in the request arena */
	const login_endpoint *login_ep;  /* this request is a login attempt */
	login_attempt *login;
	login_marker *login_marker;      /* searching the response body for the failure text */
	bool login_recorded;
	sk_slice delayed_body;           /* the body to forward when the delay is over */

	/* upstream */
	upconn *up;
	sk_buf upreq;            /* request bytes to send to the upstream */
	size_t upreq_sent;
	body_framing req_stream; /* over-limit body passed through */
	size_t stream_base;      /* where streamed body bytes are received in `in` */
	bool retried;

	/* response */
	char *rbuf;
	size_t rlen, rcap;
	http_req_parser resp_p;
	http_response resp;
	http_header *rhdrs;
	body_framing resp_body;
	int status;
	uint64_t resp_bytes;

	/* output to the client */
	sk_buf out;
	size_t out_sent;
	bool close_after;        /* close the client connection when out is flushed */
	bool paused_upstream;
} conn;

static inline void conn_deadline(conn *c, unsigned ms)
{
	c->deadline = ev_now(c->w->loop) + ms;
}

/* proxy_main.c */
proxy_shared *shared_acquire(proxy *px);
void shared_release(proxy_shared *sh);

/* conn.c */
void conn_accept(worker *w, int lfd, bool tls);
void conn_sweep(worker *w);
void conn_close(conn *c);

/* upstream.c */
upconn *upstream_get(worker *w, conn *c);
void upstream_release(upconn *u, bool reusable);
void upstream_drop_all(worker *w);

/* respond.c */
void respond_simple(conn *c, int status, const char *reason, const char *body, bool close_after);
/* respond_simple with extra header lines (each ending in CRLF, ours only). */
void respond_page(conn *c, int status, const char *reason, const char *detail, const char *extra_headers,
		  bool close_after);
/* Our own response with a body of our making: `content_type` and
 * `extra_headers` (lines ending in CRLF) are ours, never client bytes. */
void respond_body(conn *c, int status, const char *content_type, const char *extra_headers, const char *body,
		  size_t blen, bool close_after);
void respond_block(conn *c);
void respond_redirect_https(conn *c);
void response_head_rewrite(conn *c, sk_buf *o);
void upstream_request_build(conn *c, sk_slice body, bool stream_rest);

/* admin.c: health and Prometheus metrics on the admin listener */
int admin_listen(proxy *px, char *errbuf, size_t errlen);
void admin_attach(worker *w);
void admin_close(proxy *px);
void stats_count_block(proxy_stats *st, const verdict *v);
void stats_latency(proxy_stats *st, uint64_t us);
/* From worker 0's tick: close admin connections past their deadline. */
void admin_tick(worker *w);

/* access.c: the access rules. access_admit judges c->client and the
 * request path once the head is parsed; false: refused, a response is on
 * its way. access_admit_peer judges a new connection by the global rule
 * when access.at_accept is on and no proxy is trusted; false: close it. */
bool access_admit(conn *c);
bool access_admit_peer(worker *w, const proxy_shared *sh, const struct sockaddr_storage *sa);
void access_metrics(proxy *px, sk_buf *o);

/* audit.c */
void audit_request(conn *c, const char *kind);
void audit_event(worker *w, const char *kind, const char *severity, const char *details_json);
/* An access_denied event (under the same per-second budget as request
 * events); c is NULL for a connection refused at accept. */
void audit_access(worker *w, conn *c, const char *addr_text, const access_result *res, const char *stage);
/* From the worker's tick: write the summary of suppressed events once their
 * second is over. */
void audit_tick(worker *w);

#endif
