/* geoip.h - country of an address from a MaxMind-format database (.mmdb:
 * GeoLite2-Country, GeoIP2-Country/City, DB-IP lite), read with
 * libmaxminddb. The file is mapped read-only once; lookups are thread-safe
 * and do not allocate. */
#ifndef SEKISHO_SYS_GEOIP_H
#define SEKISHO_SYS_GEOIP_H

#include <stddef.h>

#include "sekisho/access.h"
#include "sekisho/addr.h"

typedef struct geoip geoip;

/* Open and check `path`: the metadata, every node of the search tree, and
 * the data records the tree points to (decoded once each, up to a cap). A
 * missing, unreadable or corrupt file is refused: NULL with a message in
 * errbuf ("'PATH': ..."). Open it before dropping privileges, or make it
 * readable by the unprivileged user (a reload opens it again). */
geoip *geoip_open(const char *path, char *errbuf, size_t errlen);
void geoip_close(geoip *g);

/* country.iso_code of the address, else registered_country.iso_code;
 * SK_COUNTRY_UNKNOWN when the database has neither (private ranges), or an
 * IPv6 address is asked of an IPv4-only database. g may be NULL (unknown). */
sk_country geoip_country(const geoip *g, const sk_addr *a);

/* "GeoLite2-Country, 1234 nodes, built 2024-05-01" for logs. */
void geoip_describe(const geoip *g, char *buf, size_t cap);

#endif
