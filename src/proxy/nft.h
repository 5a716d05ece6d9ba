/* nft.h - bans pushed to nftables sets so the kernel drops banned sources
 * (bans.nftables; docs/bans.md).
 *
 * The proxy drops root after binding, and nft needs CAP_NET_ADMIN, so the
 * work is privilege-separated (STYLE.md practice 8): before the drop (and
 * before any thread exists) nft_start forks a small helper that keeps root.
 * It reads fixed-size messages (op, family, prefix length, address, TTL)
 * from a pipe, validates each again, builds the nft command from those
 * bytes alone and runs /usr/sbin/nft with an argv (never a shell), at most
 * NFT_RUNS_PER_S times a second, batching what queued meanwhile. It writes
 * back one fixed-size reply per failure, which worker 0 turns into an
 * "nft_failed" event; nothing it does can crash the proxy. It exits when
 * the pipe closes (the proxy stopped or died).
 *
 * Table `bans.nft_table` in family inet: sets banned4 and banned6 (single
 * addresses, flags timeout), banned4_net and banned6_net (/24 and /64
 * prefixes, flags interval,timeout: apart from the address sets so that an
 * address and its network never conflict as overlapping intervals), and a
 * chain on the input hook dropping packets from any of them. Created at
 * start when missing; an existing table is used as it is.
 */
#ifndef SEKISHO_PROXY_NFT_H
#define SEKISHO_PROXY_NFT_H

#include <stdint.h>

#include "proxy.h"

#define NFT_RUNS_PER_S 10 /* nft invocations a second at most */
#define NFT_BATCH 64      /* ban changes per invocation at most */

/* Fork the helper for table `table` (already checked: [A-Za-z0-9_]{1,32}).
 * Call as root, before any thread starts and before dropping privileges.
 * 0, or -1 with a message (no nft binary, fork failed). */
int nft_start(proxy *px, const char *table, char *errbuf, size_t errlen);
/* In worker 0: watch the helper's replies (events). No-op without helper. */
void nft_attach(worker *w);
/* Push the bans already in the state backend (Redis shared with other
 * proxies) once at start. */
void nft_sync(proxy *px);
/* Queue a ban or its lifting for the kernel. `key` is a ban key
 * (guard.h); acct: keys and anything else not an address or network are
 * ignored. Never blocks: when the pipe is full the change is dropped and
 * counted. Thread-safe (one atomic pipe write). */
void nft_ban(proxy *px, const char *key, uint32_t ttl_ms);
void nft_unban(proxy *px, const char *key);
/* Close the pipe and reap the helper (bounded wait). */
void nft_stop(proxy *px);

#endif
