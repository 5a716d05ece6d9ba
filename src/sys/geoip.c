/* geoip.c - the MaxMind DB reader behind access.countries_* (geoip.h). */
#include "geoip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct geoip {
	MMDB_s db;
};

/* Distinct data records decoded at open. A country database has a few
 * thousand (one per country and registered-country pair); past the cap the
 * rest are left to lookups, which treat a bad record as unknown. */
#define GEOIP_CHECK_RECORDS 65536
/* Largest database file accepted: a City database is about 70 MB, a
 * Country one under 10 MB. */
#define GEOIP_MAX_BYTES (1024u * 1024 * 1024)

typedef struct seen_set {
	uint32_t *slot; /* offset + 1; 0 = empty */
	size_t cap, n;
} seen_set;

/* True the first time `off` is offered (and there is room to remember it). */
static bool seen_first(seen_set *s, uint32_t off)
{
	if (!s->slot || s->n * 2 >= s->cap)
		return false;
	size_t i = (off * 2654435761u) & (s->cap - 1);
	while (s->slot[i]) {
		if (s->slot[i] == off + 1)
			return false;
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = off + 1;
	s->n++;
	return true;
}

static int check_record(uint8_t type, MMDB_entry_s *entry, seen_set *seen)
{
	if (type == MMDB_RECORD_TYPE_INVALID)
		return MMDB_CORRUPT_SEARCH_TREE_ERROR;
	if (type != MMDB_RECORD_TYPE_DATA || !seen_first(seen, entry->offset))
		return MMDB_SUCCESS;
	MMDB_entry_data_list_s *list = NULL;
	int rc = MMDB_get_entry_data_list(entry, &list);
	MMDB_free_entry_data_list(list);
	return rc;
}

/* Every node, and each distinct data record once. */
static int check_db(MMDB_s *db, char *where, size_t wlen)
{
	seen_set seen = { calloc(2 * GEOIP_CHECK_RECORDS, sizeof(uint32_t)), 2 * GEOIP_CHECK_RECORDS, 0 };
	int rc = MMDB_SUCCESS;
	for (uint32_t i = 0; i < db->metadata.node_count && rc == MMDB_SUCCESS; i++) {
		MMDB_search_node_s node;
		rc = MMDB_read_node(db, i, &node);
		if (rc == MMDB_SUCCESS)
			rc = check_record(node.left_record_type, &node.left_record_entry, &seen);
		if (rc == MMDB_SUCCESS)
			rc = check_record(node.right_record_type, &node.right_record_entry, &seen);
		if (rc != MMDB_SUCCESS)
			snprintf(where, wlen, " (search tree node %u)", i);
	}
	free(seen.slot);
	return rc;
}

/* A private copy of the file in anonymous memory (a memfd), so the mapping
 * cannot change or shrink under the proxy when the file is rewritten in
 * place (a mapping past a truncated end faults with SIGBUS), and what was
 * checked at open is what is used. Returns the memfd, -1 with a message
 * (the file cannot be read), or -2 (no memfd here: map the file itself). */
static int private_copy(const char *path, char *errbuf, size_t errlen)
{
	int in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		snprintf(errbuf, errlen, "'%s': %s", path, strerror(errno));
		return -1;
	}
	int out = memfd_create("sekisho-geoip", MFD_CLOEXEC);
	if (out < 0) {
		close(in);
		return -2;
	}
	char buf[65536];
	size_t total = 0;
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(errbuf, errlen, "'%s': %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		total += (size_t)r;
		if (total > GEOIP_MAX_BYTES) {
			snprintf(errbuf, errlen, "'%s': larger than %u bytes", path, GEOIP_MAX_BYTES);
			goto fail;
		}
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, buf + off, (size_t)(r - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				snprintf(errbuf, errlen, "'%s': copying into memory: %s", path, strerror(errno));
				goto fail;
			}
			off += w;
		}
	}
	close(in);
	return out;
fail:
	close(in);
	close(out);
	return -1;
}

geoip *geoip_open(const char *path, char *errbuf, size_t errlen)
{
	geoip *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(errbuf, errlen, "'%s': out of memory", path);
		return NULL;
	}
	int mfd = private_copy(path, errbuf, errlen);
	if (mfd == -1) {
		free(g);
		return NULL;
	}
	int rc = MMDB_FILE_OPEN_ERROR;
	if (mfd >= 0) {
		/* libmaxminddb opens by name; the process may always open its
		 * own descriptors through /proc, also after dropping privileges. */
		char self[64];
		snprintf(self, sizeof(self), "/proc/self/fd/%d", mfd);
		rc = MMDB_open(self, MMDB_MODE_MMAP, &g->db);
		close(mfd);
	}
	if (rc == MMDB_FILE_OPEN_ERROR) /* no memfd or no /proc: map the file itself */
		rc = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
	if (rc != MMDB_SUCCESS) {
		/* For a file that cannot be opened, errno says more than "Error
		 * opening the specified MaxMind DB file". */
		snprintf(errbuf, errlen, "'%s': %s%s%s", path, MMDB_strerror(rc),
			 rc == MMDB_IO_ERROR || rc == MMDB_FILE_OPEN_ERROR ? ": " : "",
			 rc == MMDB_IO_ERROR || rc == MMDB_FILE_OPEN_ERROR ? strerror(errno) : "");
		free(g);
		return NULL;
	}
	char where[64] = "";
	rc = check_db(&g->db, where, sizeof(where));
	if (rc != MMDB_SUCCESS) {
		snprintf(errbuf, errlen, "'%s': not a valid MaxMind DB: %s%s", path, MMDB_strerror(rc), where);
		MMDB_close(&g->db);
		free(g);
		return NULL;
	}
	return g;
}

void geoip_close(geoip *g)
{
	if (!g)
		return;
	MMDB_close(&g->db);
	free(g);
}

static sk_country iso_code(MMDB_entry_s *e, const char *key)
{
	MMDB_entry_data_s d;
	if (MMDB_get_value(e, &d, key, "iso_code", NULL) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return SK_COUNTRY_UNKNOWN;
	sk_country c;
	if (!country_parse(sk_slice_make(d.utf8_string, d.data_size), &c))
		return SK_COUNTRY_UNKNOWN;
	return c;
}

sk_country geoip_country(const geoip *g, const sk_addr *a)
{
	if (!g)
		return SK_COUNTRY_UNKNOWN;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	/* IPv4 as IPv4: databases keep it at ::a.b.c.d (found from the IPv4
	 * start node), not necessarily under ::ffff:0:0/96. */
	if (a->v4 || memcmp(a->b, mapped, 12) == 0) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a->b + 12, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, a->b, 16);
	}
	int err = MMDB_SUCCESS;
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&g->db, (const struct sockaddr *)&ss, &err);
	if (err != MMDB_SUCCESS || !r.found_entry)
		return SK_COUNTRY_UNKNOWN;
	sk_country c = iso_code(&r.entry, "country");
	return c ? c : iso_code(&r.entry, "registered_country");
}

void geoip_describe(const geoip *g, char *buf, size_t cap)
{
	if (!g) {
		snprintf(buf, cap, "none");
		return;
	}
	time_t t = (time_t)g->db.metadata.build_epoch;
	struct tm tm;
	char day[16] = "?";
	if (gmtime_r(&t, &tm))
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	snprintf(buf, cap, "%s, %u nodes, built %s", g->db.metadata.database_type ? g->db.metadata.database_type : "?",
		 (unsigned)g->db.metadata.node_count, day);
}
