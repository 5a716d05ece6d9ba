/* test_geoip.c - the MaxMind DB reader (src/sys/geoip.c) on databases that
 * tools/mkmmdb.py writes here, in a fresh temporary directory: lookups
 * through libmaxminddb (IPv4, IPv6, the registered_country fallback, more
 * specific networks, unknown addresses), damaged files refused at open,
 * and a database file rewritten in place under an open reader.
 */
#include <maxminddb.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/sys/geoip.h"
#include "harness.h"

static char dir[64];
static char db_path[128];

static const char geo_txt[] =
	"# networks for test_geoip.c\n"
	"127.0.1.0/24 JP\n"
	"127.0.1.128/25 FR\n"
	"127.0.0.0/8 DE\n"
	"127.0.4.0/24 - CN\n"
	"127.0.5.0/24 US CN\n"
	"198.51.100.0/24 xx\n"
	"2001:db8::/32 NL\n"
	"2001:db8:1::/48 SE\n";

static bool write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

static bool make_db(const char *txt, const char *out)
{
	char in[160], cmd[512];
	snprintf(in, sizeof(in), "%s/in.txt", dir);
	if (!write_file(in, txt, strlen(txt)))
		return false;
	snprintf(cmd, sizeof(cmd), "python3 tools/mkmmdb.py --epoch 1700000000 %s %s", in, out);
	return system(cmd) == 0;
}

static sk_country cc(const geoip *g, const char *ip)
{
	sk_addr a;
	if (!addr_parse(sk_slice_make(ip, strlen(ip)), &a)) {
		harness_fail("bad address in the test", ip, strlen(ip));
		return 0;
	}
	return geoip_country(g, &a);
}

static void test_lookups(void)
{
	char err[512];
	geoip *g = geoip_open(db_path, err, sizeof(err));
	CHECK(g != NULL);
	if (!g) {
		harness_fail("open", err, strlen(err));
		return;
	}
	CHECK_INT(cc(g, "127.0.1.5"), SK_COUNTRY('J', 'P'));
	CHECK_INT(cc(g, "127.0.1.200"), SK_COUNTRY('F', 'R')); /* more specific, listed before the wider one */
	CHECK_INT(cc(g, "127.0.2.1"), SK_COUNTRY('D', 'E'));
	CHECK_INT(cc(g, "127.255.255.255"), SK_COUNTRY('D', 'E'));
	CHECK_INT(cc(g, "127.0.4.1"), SK_COUNTRY('C', 'N'));   /* registered_country only */
	CHECK_INT(cc(g, "127.0.5.1"), SK_COUNTRY('U', 'S'));   /* country before registered_country */
	CHECK_INT(cc(g, "::ffff:127.0.1.5"), SK_COUNTRY('J', 'P'));
	CHECK_INT(cc(g, "2001:db8::1"), SK_COUNTRY('N', 'L'));
	CHECK_INT(cc(g, "2001:db8:1:ffff::1"), SK_COUNTRY('S', 'E'));
	CHECK_INT(cc(g, "10.0.0.1"), SK_COUNTRY_UNKNOWN);
	CHECK_INT(cc(g, "128.0.0.0"), SK_COUNTRY_UNKNOWN);
	CHECK_INT(cc(g, "::1"), SK_COUNTRY_UNKNOWN);
	CHECK_INT(cc(g, "198.51.100.1"), SK_COUNTRY_UNKNOWN);  /* "xx" is not a country code */
	char d[256];
	geoip_describe(g, d, sizeof(d));
	CHECK(strstr(d, "Sekisho-Test-Country, ") == d);
	CHECK(strstr(d, "built 2023-11-14") != NULL);
	geoip_close(g);
	CHECK_INT(geoip_country(NULL, NULL), SK_COUNTRY_UNKNOWN);
	geoip_close(NULL);
}

/* The database is read into private memory: rewriting the file in place
 * (truncated, then shorter content) changes nothing for an open reader
 * and cannot fault it. */
static void test_rewritten_in_place(void)
{
	char err[512], path[160];
	snprintf(path, sizeof(path), "%s/inplace.mmdb", dir);
	CHECK(make_db(geo_txt, path));
	geoip *g = geoip_open(path, err, sizeof(err));
	CHECK(g != NULL);
	if (!g)
		return;
	CHECK(truncate(path, 0) == 0);
	CHECK(write_file(path, "x", 1));
	CHECK_INT(cc(g, "127.0.1.5"), SK_COUNTRY('J', 'P'));
	CHECK_INT(cc(g, "2001:db8::1"), SK_COUNTRY('N', 'L'));
	geoip_close(g);
}

static void expect_refused(const char *name, const void *p, size_t n, const char *want)
{
	char path[160], err[512] = "";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK(write_file(path, p, n));
	geoip *g = geoip_open(path, err, sizeof(err));
	CHECK(g == NULL);
	geoip_close(g);
	if (!strstr(err, want) || !strstr(err, path))
		harness_fail(want, err, strlen(err));
}

static void test_damaged(void)
{
	FILE *f = fopen(db_path, "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	static unsigned char good[65536], bad[65536];
	size_t n = fread(good, 1, sizeof(good), f);
	fclose(f);
	CHECK(n > 100 && n < sizeof(good));
	MMDB_s db;
	CHECK_INT(MMDB_open(db_path, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
	size_t tree = (size_t)db.metadata.node_count * 6, data = tree + 16;
	MMDB_close(&db);

	expect_refused("empty.mmdb", "", 0, "MaxMind DB");
	expect_refused("text.mmdb", "not a database\n", 15, "invalid metadata");
	expect_refused("truncated.mmdb", good, 40, "invalid metadata");
	/* a record pointing past the data section */
	memcpy(bad, good, n);
	bad[0] = 0xff, bad[1] = 0xff, bad[2] = 0xf0;
	expect_refused("tree.mmdb", bad, n, "search tree is corrupt (search tree node 0)");
	/* the first data record: a map claiming 16 million pairs */
	memcpy(bad, good, n);
	memset(bad + data, 0xff, 4);
	expect_refused("data.mmdb", bad, n, "not a valid MaxMind DB: The MaxMind DB file's data section contains bad data");
	/* the data section cut off (the metadata moved to its place) */
	size_t marker = 0;
	for (size_t i = 0; i + 14 <= n; i++)
		if (memcmp(good + i, "\xab\xcd\xefMaxMind.com", 14) == 0)
			marker = i;
	CHECK(marker > data);
	memcpy(bad, good, data);
	memcpy(bad + data, good + marker, n - marker);
	expect_refused("nodata.mmdb", bad, data + (n - marker), "MaxMind DB");
	char err[512] = "", missing[160];
	snprintf(missing, sizeof(missing), "%s/none.mmdb", dir);
	CHECK(geoip_open(missing, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "No such file or directory") != NULL);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sekisho-geoip-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(db_path, sizeof(db_path), "%s/geo.mmdb", dir);
	harness_case = "make_db";
	if (!make_db(geo_txt, db_path)) {
		harness_fail("tools/mkmmdb.py failed", db_path, strlen(db_path));
		harness_failed++;
		return harness_done("geoip");
	}
	RUN(test_lookups);
	RUN(test_rewritten_in_place);
	RUN(test_damaged);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return harness_done("geoip");
}
