/* addr.h - IP addresses and CIDR ranges as plain values (no sockets).
 *
 * IPv4 addresses are stored as IPv4-mapped IPv6 (::ffff:a.b.c.d) so one
 * comparison covers both families.
 */
#ifndef SEKISHO_ADDR_H
#define SEKISHO_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "sekisho/slice.h"

typedef struct sk_addr {
	uint8_t b[16];
	bool v4; /* was written as IPv4 */
} sk_addr;

typedef struct sk_cidr {
	sk_addr addr;
	unsigned bits; /* prefix length over the 128-bit form */
} sk_cidr;

/* Parse dotted-quad IPv4 (exactly four decimal parts 0-255, no leading
 * zeros beyond "0") or RFC 4291 IPv6 text (with "::" and an optional
 * trailing dotted quad). Returns false on anything else. */
bool addr_parse(sk_slice s, sk_addr *out);
/* Parse "addr" or "addr/len" (len 0-32 for IPv4, 0-128 for IPv6). */
bool cidr_parse(sk_slice s, sk_cidr *out);
bool cidr_contains(const sk_cidr *c, const sk_addr *a);
bool addr_eq(const sk_addr *a, const sk_addr *b);
/* Write the address as text (IPv4 dotted or IPv6 compressed); returns len. */
size_t addr_format(const sk_addr *a, char *buf, size_t cap);

#endif
