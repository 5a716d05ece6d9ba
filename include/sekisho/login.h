/* login.h - login protection policy: which requests are login attempts,
 * what the upstream's answer says about them, and what to do about the
 * next one. Pure: the caller runs the state operations this file plans
 * (one batch per attempt, include/sekisho/state.h) and applies the
 * decision (delay, refuse, ban).
 *
 * Counting without waiting for the outcome. Every attempt is counted when
 * it arrives ("attempts"), and every answer that was not a failure is
 * counted when the response comes back ("not failed"); failures are
 * attempts minus not-failed. So the check before forwarding needs one round
 * trip, sees fresh counts, and can stop the attempt that crosses a
 * threshold before it reaches the application; the response costs a round
 * trip only when the login succeeded (or the outcome is unknown), which is
 * rare during an attack.
 *
 * Counted in policy.window: failures per source address, per account
 * (normalised user name), per address+account, per /24 (IPv4) or /64
 * (IPv6); distinct accounts per source and distinct sources per account.
 * Globally, attempts and failures over the last minute and hour give the
 * failure ratio and its baseline. A success also marks the address as a
 * known source of that account for policy.known_window.
 *
 * Policies, in the order they are applied:
 *   ban              a source with ban_after failures, or one that tried
 *                    accounts_per_source accounts mostly failing
 *                    (credential stuffing from one address), is banned for
 *                    ban_ttl (also while it hammers a locked account);
 *   locked account   an account locked by earlier failures refuses sources
 *                    that never logged into it (known sources still may);
 *   lock             an account with lock_after failures, or tried from
 *                    sources_per_account addresses mostly failing, is
 *                    locked against new sources for lock_ttl;
 *   delay            past delay_after failures per source (pair_delay_after
 *                    per source+account, net_delay_after per network) the
 *                    attempt waits delay_base, doubling per further failure
 *                    up to delay_max;
 *   wave             while the global failure ratio of the last minute is
 *                    far above its baseline (many sources, each trying a
 *                    few accounts: a stuffing wave), every attempt from a
 *                    source not known for the account waits wave_delay.
 */
#ifndef SEKISHO_LOGIN_H
#define SEKISHO_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sekisho/addr.h"
#include "sekisho/http.h"
#include "sekisho/slice.h"
#include "sekisho/state.h"
#include "sekisho/view.h"

#define LOGIN_USER_MAX 256     /* normalised user names are cut here */
#define LOGIN_MARKER_MAX 256   /* fail_body / fail_location text */

typedef struct login_endpoint {
	char path[256];            /* exact normalised path */
	char method[16];           /* "POST" by default */
	char username[128];        /* form or multipart field name, or JSON path (user.email) */
	int fail_status;           /* a response with this status is a failure; 0 = not used */
	char fail_location[LOGIN_MARKER_MAX]; /* a redirect whose Location contains this is a failure */
	char fail_body[LOGIN_MARKER_MAX];     /* a response body containing this is a failure */
	char success_cookie[64];   /* a response that does not set this cookie is a failure
				    * (deleting it, with an empty value or Max-Age=0, is not setting it) */
} login_endpoint;

typedef struct login_policy {
	uint32_t window_ms;
	uint32_t delay_after, pair_delay_after, net_delay_after;
	uint32_t delay_base_ms, delay_max_ms;
	uint32_t ban_after, ban_ttl_ms;
	uint32_t lock_after, lock_ttl_ms;
	uint32_t accounts_per_source, sources_per_account;
	uint32_t wave_min_failures;  /* failures in the last minute before a wave can be declared */
	uint32_t wave_percent;       /* failure ratio (%) a wave needs at least */
	uint32_t wave_factor;        /* ... and at least this many times the baseline ratio */
	uint32_t wave_delay_ms;
	uint32_t known_window_ms;    /* how long a success makes a source known for an account */
} login_policy;

/* The defaults documented in the config reference. */
void login_policy_default(login_policy *p);

/* The endpoint `method path` is, or NULL. */
const login_endpoint *login_match(const login_endpoint *eps, size_t n, sk_slice method, sk_slice path);

/* The submitted user name: the first form field, multipart field or JSON
 * leaf named ep->username. False when the request has none. */
bool login_username(const http_view *v, const login_endpoint *ep, sk_slice *out);

/* Normalise a user name so "Alice@Example.com ", "alice@example.com" and
 * its full-width form count as one account: trim ASCII and ideographic
 * spaces, fold full-width ASCII (U+FF01..U+FF5E) to ASCII, lower-case
 * ASCII, cut at LOGIN_USER_MAX bytes. Returns the length written. */
size_t login_normalise_user(sk_slice in, char out[LOGIN_USER_MAX]);

/* ---- the check before forwarding ---- */

enum {
	LOGIN_OP_LOCK = 0,   /* BAN_GET acct:USER */
	LOGIN_OP_ATT_IP,     /* COUNT_ADD attempts per source */
	LOGIN_OP_NF_IP,      /* COUNT_GET not-failed per source */
	LOGIN_OP_ATT_USER,
	LOGIN_OP_NF_USER,
	LOGIN_OP_ATT_PAIR,
	LOGIN_OP_NF_PAIR,
	LOGIN_OP_KNOWN,      /* COUNT_GET successes of this pair in known_window */
	LOGIN_OP_ATT_NET,
	LOGIN_OP_NF_NET,
	LOGIN_OP_ATT_MIN,    /* global, last minute */
	LOGIN_OP_NF_MIN,
	LOGIN_OP_ATT_HOUR,   /* global, last hour */
	LOGIN_OP_NF_HOUR,
	LOGIN_OP_USERS_OF_IP,  /* DISTINCT_ADD */
	LOGIN_OP_IPS_OF_USER,  /* DISTINCT_ADD */
	LOGIN_OPS_CHECK
};

/* Keys of one attempt, and room for the ops of its check or record batch. */
typedef struct login_attempt {
	char user[LOGIN_USER_MAX];
	size_t user_len;
	char addr[48];   /* source address as text */
	char net[56];    /* "203.0.113.0/24" */
	/* Keys (text, but the user part may hold any byte: use the slices).
	 * [0] attempts, [1] not failed, per source / account / pair / network;
	 * known: successes of the pair; lock: the account's lock (a ban key). */
	char kb_ip[2][80], kb_net[2][80];
	char kb_user[2][LOGIN_USER_MAX + 16], kb_pair[2][LOGIN_USER_MAX + 64];
	char kb_known[LOGIN_USER_MAX + 64], kb_lock[LOGIN_USER_MAX + 8];
	sk_slice k_ip[2], k_net[2], k_user[2], k_pair[2], k_known, k_lock;
	state_op ops[LOGIN_OPS_CHECK];
	size_t nops;
} login_attempt;

/* Fill la for `src` trying `user` (raw, normalised here) and plan the
 * check batch in la->ops. */
void login_plan_check(login_attempt *la, const login_policy *p, const sk_addr *src, sk_slice user);

typedef enum login_action {
	LOGIN_PASS = 0,
	LOGIN_DELAY,   /* forward after delay_ms */
	LOGIN_LOCKED,  /* refuse: the account is locked against this (new) source */
	LOGIN_BANNED,  /* refuse: the source was banned by this attempt */
} login_action;

typedef struct login_ban {
	char key[LOGIN_USER_MAX + 8];  /* "ip:ADDR" or "acct:USER" (NUL-terminated; may hold NUL) */
	size_t key_len;
	uint32_t ttl_ms;
	char reason[STATE_REASON_MAX + 1];
} login_ban;

typedef struct login_decision {
	login_action action;
	uint32_t delay_ms;
	bool wave;                 /* the global failure ratio says stuffing wave */
	login_ban bans[2];         /* bans and locks to set now */
	size_t nbans;
	const char *why;           /* static text: the rule that decided */
	/* the numbers behind it, for the event (failures before this attempt) */
	uint64_t fail_ip, fail_user, fail_pair, fail_net;
	uint64_t accounts_of_ip, sources_of_user, known;
	uint64_t attempts_minute, failures_minute;
	unsigned percent_minute, baseline_percent;
} login_decision;

/* Decide from the results of the check batch (after state_batch on
 * la->ops). Ops that failed (STATE_EUNAVAILABLE) count as zero. */
void login_decide(const login_attempt *la, const login_policy *p, login_decision *d);

/* Plan the record batch after a response that was not a failure: the
 * not-failed counters, and on success the known-source mark. */
void login_plan_record(login_attempt *la, const login_policy *p, bool success);

/* ---- the outcome ---- */

typedef enum login_outcome {
	LOGIN_OUTCOME_UNKNOWN = 0,  /* 5xx, no response: neither success nor failure */
	LOGIN_OUTCOME_SUCCESS,
	LOGIN_OUTCOME_FAILURE,
} login_outcome;

/* Judge the response head. A 4xx that none of the endpoint's signs calls
 * a failure is one all the same: it logs nobody in. *need_body is set when only the body can tell
 * (fail_body configured and nothing in the head said failure); then feed
 * the body to a login_marker and call login_outcome_body at its end. */
login_outcome login_outcome_head(const login_endpoint *ep, int status, const http_header *hdrs, size_t n,
				 bool *need_body);

/* Streaming search for ep->fail_body across body chunks. */
typedef struct login_marker {
	const char *needle;
	size_t nlen;
	char tail[LOGIN_MARKER_MAX]; /* last nlen-1 bytes seen */
	size_t tail_len;
	uint64_t scanned;
	bool found;
} login_marker;

/* Bodies are searched up to this many bytes (a login page is small). */
#define LOGIN_BODY_SCAN_MAX (256u * 1024)

void login_marker_init(login_marker *m, const char *needle);
void login_marker_feed(login_marker *m, const char *p, size_t n);
static inline login_outcome login_outcome_body(const login_marker *m)
{
	return m->found ? LOGIN_OUTCOME_FAILURE : LOGIN_OUTCOME_SUCCESS;
}

#endif
