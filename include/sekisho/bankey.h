/* bankey.h - what an operator types to ban something, made into a ban key.
 *
 * The proxy checks every client against two ban keys (src/proxy/guard.h):
 * "ip:ADDR" and "net:PREFIX/24" (IPv4) or "net:PREFIX/64" (IPv6); login
 * protection also locks accounts with "acct:NAME". An operator (the admin
 * API, `sekisho ban`) may type an address, a CIDR or one of those keys;
 * bankey_parse accepts exactly the inputs that can match something and
 * writes the key in the one spelling the proxy itself produces (so
 * "ip:::ffff:10.0.0.1", "10.0.0.1/32" and "10.0.0.1" are one ban):
 *
 *   10.0.0.1  ip:10.0.0.1  10.0.0.1/32        -> ip:10.0.0.1
 *   2001:db8::1  2001:db8::1/128              -> ip:2001:db8::1
 *   10.0.0.0/24  net:10.0.0.0/24              -> net:10.0.0.0/24
 *   2001:db8:1:2::/64  net:2001:db8:1:2::/64  -> net:2001:db8:1:2::/64
 *   acct:alice                                -> acct:alice
 *
 * Refused: any other prefix length (the proxy never looks them up), host
 * bits set in a prefix ("10.0.0.1/24": ambiguous, say 10.0.0.0/24), an
 * empty or over-long account, control bytes, anything else.
 *
 * ban_request_parse reads the body of POST /bans (JSON or form) into a key,
 * a TTL and a reason with the same strictness. Pure: no I/O, no clock.
 */
#ifndef SEKISHO_BANKEY_H
#define SEKISHO_BANKEY_H

#include <stdbool.h>
#include <stdint.h>

#include "sekisho/addr.h"
#include "sekisho/arena.h"
#include "sekisho/slice.h"
#include "sekisho/state.h"

/* Longest key with its NUL: "net:" + a /64 in text, or "acct:" + a name. */
#define BANKEY_MAX 80
/* Longest ban an operator may set: 30 days (state TTLs are 32-bit ms). */
#define BANKEY_TTL_MAX_S (30u * 24 * 3600)
/* TTL when a request names none. */
#define BANKEY_TTL_DEFAULT_S 3600u

enum bankey_kind { BANKEY_IP = 1, BANKEY_NET, BANKEY_ACCT };

typedef struct bankey {
	int kind;              /* enum bankey_kind */
	sk_cidr net;           /* IP: the address, bits 128; NET: the prefix, bits 120 (v4 /24) or 64 */
	bool v4;               /* IP and NET: an IPv4 address or prefix (mapped form in net.addr) */
	char text[BANKEY_MAX]; /* the canonical key, NUL-terminated */
	size_t len;            /* strlen(text) */
} bankey;

/* Parse `in` (an address, a /24 or /64 CIDR, or an "ip:", "net:" or "acct:"
 * key) into *out. Returns true, or false with a static reason in *why. */
bool bankey_parse(sk_slice in, bankey *out, const char **why);

/* A TTL: "3600" (seconds), "90s", "15m", "1h", "7d"; 1 s to
 * BANKEY_TTL_MAX_S. Returns true with *seconds, or false with *why. */
bool bankey_ttl_parse(sk_slice in, uint32_t *seconds, const char **why);

/* A ban reason: 1 to STATE_REASON_MAX bytes of valid UTF-8 without control
 * characters. */
bool bankey_reason_ok(sk_slice in, const char **why);

typedef struct ban_request {
	bankey key;
	uint32_t ttl_s;                    /* BANKEY_TTL_DEFAULT_S when the body names none */
	char reason[STATE_REASON_MAX + 1]; /* "" when the body names none */
} ban_request;

/* The body of POST /bans: a JSON object {"key": TEXT, "ttl": SECONDS or
 * TEXT, "reason": TEXT} (content type application/json) or the same
 * fields as application/x-www-form-urlencoded. "key" is required, "ttl"
 * and "reason" optional; any other field, a repeated field, a nested
 * value or a value with control bytes is refused. `is_delete` is for
 * POST /bans/delete: the body then takes "key" only. `a` holds the parsers' copies (64 KiB is
 * plenty for a body of a few KiB). Returns true, or false with *why. */
bool ban_request_parse(sk_slice content_type, sk_slice body, bool is_delete, arena *a, ban_request *out,
		       const char **why);

#endif
