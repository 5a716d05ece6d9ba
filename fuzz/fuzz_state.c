/* fuzz_state.c - random operation sequences against the memory backend,
 * checked against a naive model.
 *
 * Input: 8 bytes of start time, then 8-byte ops
 *   [kind, key, n, dt lo, dt hi, window, ttl lo, ttl hi]
 * (DISTINCT_ADD: n picks the member; ttl hi 0xff makes it empty.)
 * Time only moves forward. Two backends get the same ops: `big` never has
 * to evict (64 keys x 5 windows, room for 1024), so its counts, distinct
 * counts and bans must equal the model exactly; `small` (16 slots) evicts
 * all the time, so it must hold at most 3 * 16 entries, never report more
 * than the model (a set that lost members has fewer bits set, and the
 * estimate only grows with bits), and never invent a ban or change one's
 * TTL or reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/state/distinct.h"
#include "sekisho/state.h"

#define MAX_OPS 512
#define NKEYS 64
#define NMEMBERS 48

static const uint32_t windows[] = { 1, 7, 1000, 60000, STATE_WINDOW_MAX_MS };
#define NWIN (sizeof(windows) / sizeof(windows[0]))

struct event {
	uint8_t key, win;
	uint32_t n;
	uint64_t t;
};

static struct event events[MAX_OPS];
static size_t nevents;
/* distinct adds: n holds the member id */
static struct event dadds[MAX_OPS];
static size_t ndadds;
static uint64_t ban_until[NKEYS];
static uint8_t ban_reason[NKEYS];

static sk_slice key_of(unsigned id, char buf[8])
{
	/* distinct for every id: the second byte is the id itself (NUL for
	 * 0); the first carries CR, LF, space, braces and the like */
	buf[0] = "\r\n :{}*\t\x7f\xff" "abcdef"[id % 16];
	buf[1] = (char)id;
	buf[2] = 'x';
	return sk_slice_make(buf, 2 + (id & 1));
}

static uint64_t model_count(unsigned key, unsigned win, uint64_t now)
{
	uint32_t w = windows[win];
	uint64_t b = now / w, cur = 0, prev = 0;
	for (size_t i = 0; i < nevents; i++) {
		if (events[i].key != key || events[i].win != win)
			continue;
		uint64_t eb = events[i].t / w;
		if (eb == b)
			cur += events[i].n;
		else if (eb + 1 == b)
			prev += events[i].n;
	}
	return window_estimate(cur, prev, now - b * w, w);
}

static sk_slice member_of(unsigned id, char buf[8])
{
	/* distinct for every id (the second byte is the id, NUL for 0),
	 * two or three bytes long */
	buf[0] = 'm';
	buf[1] = (char)id;
	buf[2] = (char)(id * 37);
	return sk_slice_make(buf, 2 + id % 2);
}

/* The bitmap of the members added in the current and previous bucket. */
static uint64_t model_distinct(unsigned key, unsigned win, uint64_t now, unsigned *members)
{
	uint32_t w = windows[win];
	uint64_t b = now / w;
	uint8_t bits[DISTINCT_BYTES];
	uint8_t seen[NMEMBERS];
	memset(bits, 0, sizeof(bits));
	memset(seen, 0, sizeof(seen));
	*members = 0;
	for (size_t i = 0; i < ndadds; i++) {
		if (dadds[i].key != key || dadds[i].win != win)
			continue;
		uint64_t eb = dadds[i].t / w;
		if (eb != b && eb + 1 != b)
			continue;
		char mb[8];
		distinct_set(bits, distinct_bit(member_of(dadds[i].n, mb)));
		*members += !seen[dadds[i].n];
		seen[dadds[i].n] = 1;
	}
	return distinct_estimate(bits, sizeof(bits), NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	uint64_t now = 0;
	memcpy(&now, data, 8);
	now >>= (data[0] & 1) ? 0 : 20; /* mostly ordinary times, sometimes near the top */
	data += 8;
	size -= 8;
	state *big = state_memory_new(1024, NULL);
	state *small = state_memory_new(16, NULL);
	if (!big || !small)
		abort();
	nevents = 0;
	ndadds = 0;
	memset(ban_until, 0, sizeof(ban_until));
	for (size_t off = 0; off + 8 <= size && off / 8 < MAX_OPS; off += 8) {
		const uint8_t *p = data + off;
		unsigned kind = p[0] % 6, key = p[1] % NKEYS, win = p[5] % NWIN;
		uint32_t n = p[2];
		uint64_t dt = (uint64_t)p[3] | (uint64_t)p[4] << 8;
		if (p[5] & 0x80)
			dt *= 1000;
		now = window_sat_add(now, dt);
		uint32_t ttl = (uint32_t)p[6] | (uint32_t)p[7] << 8;
		char kb[8];
		sk_slice k = key_of(key, kb);
		state_op op = { .key = k, .n = n, .window_ms = windows[win], .ttl_ms = ttl };
		char reason[2] = { (char)p[2], 'r' };
		char mb[8];
		unsigned member = p[2] % NMEMBERS;
		op.member = p[7] == 0xff ? sk_slice_make(mb, 0) : member_of(member, mb);
		switch (kind) {
		case 0: op.kind = STATE_OP_COUNT_ADD; break;
		case 1: op.kind = STATE_OP_COUNT_GET; break;
		case 2: op.kind = STATE_OP_BAN_GET; break;
		case 3: op.kind = STATE_OP_BAN_SET; op.reason_in = sk_slice_make(reason, 2); break;
		case 5: op.kind = STATE_OP_DISTINCT_ADD; break;
		default: break; /* ban_del below */
		}
		if (kind == 4) {
			int rb = state_ban_del(big, k);
			int rs = state_ban_del(small, k);
			bool live = ban_until[key] > now;
			/* an expired ban still in the table may be lifted: either answer */
			if (live && rb != STATE_OK)
				abort();
			if (!live && ban_until[key] == 0 && rb != STATE_ENOENT)
				abort();
			if (rs == STATE_OK && ban_until[key] == 0)
				abort();
			ban_until[key] = 0;
			continue;
		}
		state_op ob = op, os = op;
		if (state_batch(big, &ob, 1, now) != STATE_OK || state_batch(small, &os, 1, now) != STATE_OK)
			abort();
		if (op.kind == STATE_OP_BAN_SET && ttl == 0) {
			if (ob.rc != STATE_EINVAL || os.rc != STATE_EINVAL)
				abort();
			continue;
		}
		if (op.kind == STATE_OP_COUNT_ADD) {
			events[nevents++] = (struct event){ (uint8_t)key, (uint8_t)win, n, now };
		}
		if (op.kind == STATE_OP_DISTINCT_ADD) {
			if (op.member.len == 0) {
				if (ob.rc != STATE_EINVAL || os.rc != STATE_EINVAL || ob.count || os.count)
					abort();
				continue;
			}
			dadds[ndadds++] = (struct event){ (uint8_t)key, (uint8_t)win, member, now };
			unsigned members;
			uint64_t want = model_distinct(key, win, now, &members);
			/* linear counting never says 0 for a non-empty set, and
			 * with under 50 members it stays close to the truth */
			if (want < 1 || want > members + members / 8 + 1 || want + members / 8 + 1 < members)
				abort();
			if (ob.rc != STATE_OK || ob.count != want || os.rc != STATE_OK || os.count > want || os.count < 1)
				abort();
		}
		if (op.kind == STATE_OP_BAN_SET) {
			ban_until[key] = window_sat_add(now, ttl);
			ban_reason[key] = p[2];
		}
		if (op.kind == STATE_OP_COUNT_ADD || op.kind == STATE_OP_COUNT_GET) {
			uint64_t want = model_count(key, win, now);
			if (ob.rc != STATE_OK || ob.count != want || os.rc != STATE_OK || os.count > want)
				abort();
		}
		if (op.kind == STATE_OP_BAN_GET) {
			bool live = ban_until[key] > now;
			if (ob.rc != (live ? STATE_OK : STATE_ENOENT))
				abort();
			if (live && (ob.ttl_left_ms != ban_until[key] - now || ob.reason_len != 2 ||
				     (uint8_t)ob.reason[0] != ban_reason[key]))
				abort();
			if (os.rc == STATE_OK && (!live || os.ttl_left_ms != ob.ttl_left_ms ||
						  memcmp(os.reason, ob.reason, 3) != 0))
				abort();
		}
		state_stats st;
		state_get_stats(small, &st);
		if (st.keys > 48)
			abort();
	}
	state_free(big);
	state_free(small);
	return 0;
}
