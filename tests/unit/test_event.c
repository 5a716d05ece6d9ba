/* test_event.c - the event record and its JSON line (lib/event). */
#include <stdint.h>

#include "harness.h"
#include "sekisho/event.h"

/* Encode into a fresh buffer; the caller frees it. */
static sk_buf enc(const sk_event *ev, size_t max)
{
	sk_buf b;
	buf_init(&b, max);
	CHECK(event_encode(ev, &b));
	return b;
}

/* The line is one JSON object, ends with its only newline, has no raw
 * control byte, no raw '<' '>' '&', and passes the strict checker. */
static void check_line(const sk_buf *b)
{
	CHECK(b->len > 2 && b->p[b->len - 1] == '\n' && b->p[0] == '{');
	for (size_t i = 0; i + 1 < b->len; i++) {
		unsigned char c = (unsigned char)b->p[i];
		if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			harness_fail("raw byte in line", b->p, b->len);
			break;
		}
	}
	CHECK(event_json_valid(sk_slice_make(b->p, b->len - 1)));
}

static void test_severity(void)
{
	CHECK(strcmp(event_severity_name(SK_SEV_INFO), "info") == 0);
	CHECK(strcmp(event_severity_name(SK_SEV_CRITICAL), "critical") == 0);
	CHECK(strcmp(event_severity_name((sk_severity)99), "info") == 0);
	sk_severity s = SK_SEV_INFO;
	CHECK(event_severity_parse(SK_LIT("HIGH"), &s) && s == SK_SEV_HIGH);
	CHECK(event_severity_parse(SK_LIT("medium"), &s) && s == SK_SEV_MEDIUM);
	CHECK(!event_severity_parse(SK_LIT("hi"), &s) && s == SK_SEV_MEDIUM);
	CHECK(!event_severity_parse(SK_LIT(""), &s));
}

static void check_time(long long sec, long nsec, const char *want)
{
	char out[25];
	event_format_time((struct timespec){ (time_t)sec, nsec }, out);
	if (strcmp(out, want) != 0)
		harness_fail(want, out, strlen(out));
}

static void test_time(void)
{
	check_time(1795451791, 123456789, "2026-11-23T16:36:31.123Z");
	check_time(0, 0, "1970-01-01T00:00:00.000Z");
	check_time(-1, 999000000, "1969-12-31T23:59:59.999Z");
	check_time(951782400, 0, "2000-02-29T00:00:00.000Z");
	check_time(1709164800 + 86399, 1000000, "2024-02-29T23:59:59.001Z");
	check_time(-62167219200LL, 0, "0000-01-01T00:00:00.000Z");
	check_time(253402300799LL, 5, "9999-12-31T23:59:59.000Z");
	/* Out of range: clamped, still 24 bytes of the right shape. */
	check_time(-99999999999999LL, 0, "0000-01-01T00:00:00.000Z");
	check_time(INT64_MAX, 0, "9999-12-31T23:59:59.999Z");
	check_time(0, -5, "1970-01-01T00:00:00.000Z");
	check_time(0, 2000000000L, "1970-01-01T00:00:00.999Z");
}

static void test_full_event(void)
{
	sk_event_field f[] = {
		SK_EVF_S("rule", SK_LIT("sqli")),
		SK_EVF_I("score", -9),
		SK_EVF_B("blocked", 1),
		SK_EVF_J("matches", SK_LIT("[{\"t\":\"arg:id\"}]")),
	};
	sk_event ev = {
		.time = { 1795451791, 123000000 },
		.part = "proxy",
		.kind = "block",
		.severity = SK_SEV_HIGH,
		.src = SK_LIT("203.0.113.5"),
		.request_id = SK_LIT("r-1"),
		.host = SK_LIT("shop.example"),
		.method = SK_LIT("POST"),
		.uri = SK_LIT("/login?id=1"),
		.fields = f,
		.nfields = 4,
		.details_json = SK_LIT(" {\"paranoia\": 2} "),
	};
	sk_buf b = enc(&ev, SIZE_MAX);
	CHECK_MEM(b.p, b.len,
		  "{\"time\":\"2026-11-23T16:36:31.123Z\",\"part\":\"proxy\",\"kind\":\"block\",\"severity\":\"high\","
		  "\"src\":\"203.0.113.5\",\"request_id\":\"r-1\",\"host\":\"shop.example\",\"method\":\"POST\","
		  "\"uri\":\"/login?id=1\",\"details\":{\"rule\":\"sqli\",\"score\":-9,\"blocked\":true,"
		  "\"matches\":[{\"t\":\"arg:id\"}],\"paranoia\": 2}}\n");
	check_line(&b);
	buf_free(&b);
}

static void test_minimal_event(void)
{
	sk_event ev = { .severity = (sk_severity)7 };
	sk_buf b = enc(&ev, SIZE_MAX);
	CHECK_MEM(b.p, b.len,
		  "{\"time\":\"1970-01-01T00:00:00.000Z\",\"part\":\"unknown\",\"kind\":\"unknown\","
		  "\"severity\":\"info\"}\n");
	check_line(&b);
	/* Appends: a second event goes after the first. */
	ev.part = "fim";
	ev.kind = "changed";
	CHECK(event_encode(&ev, &b));
	const char *second = strstr(b.p, "}\n{");
	static const char want2[] = "{\"time\":\"1970-01-01T00:00:00.000Z\",\"part\":\"fim\",\"kind\":\"changed\"";
	CHECK(second && strncmp(second + 2, want2, sizeof(want2) - 1) == 0);
	buf_free(&b);
}

static void test_escaping(void)
{
	/* Control bytes, quotes, backslash, HTML specials, invalid UTF-8,
	 * U+2028, valid Japanese. */
	static const char uri[] = "/a\"b\\c\n\r\t\x01\x7f<script>&\xff\xc0\xaf\xe2\x80\xa8\xe6\x97\xa5";
	sk_event ev = { .part = "proxy", .kind = "detect", .uri = { uri, sizeof(uri) - 1 } };
	sk_buf b = enc(&ev, SIZE_MAX);
	check_line(&b);
	const char *u = strstr(b.p, "\"uri\":");
	CHECK(u != NULL);
	if (u) {
		static const char want[] = "\"uri\":\"/a\\\"b\\\\c\\n\\r\\t\\u0001\\u007f\\u003cscript\\u003e\\u0026"
					   "\\u00ff\\u00c0\\u00af\\u2028\xe6\x97\xa5\"}\n";
		CHECK_MEM(u, strlen(u), want);
	}
	buf_free(&b);
}

static void test_details_checked(void)
{
	/* Pretty-printed details: newlines become spaces, '<' in a string is
	 * escaped, the members are merged after the fields. */
	sk_event_field f[] = { SK_EVF_S("k", SK_LIT("v")) };
	sk_event ev = { .kind = "x", .fields = f, .nfields = 1,
			.details_json = SK_LIT("{\n\t\"html\": \"<b>&\",\n\t\"n\": [1,\r\n2]\n}\n") };
	sk_buf b = enc(&ev, SIZE_MAX);
	check_line(&b);
	CHECK(strstr(b.p, "\"details\":{\"k\":\"v\",\"html\": \"\\u003cb\\u003e\\u0026\",  \"n\": [1,  2]}}\n") !=
	      NULL);
	buf_free(&b);

	/* Broken details are left out and flagged, not passed through. */
	ev.fields = NULL;
	ev.nfields = 0;
	ev.details_json = SK_LIT("{\"a\":1,\"b\":\"\n\"}");
	b = enc(&ev, SIZE_MAX);
	check_line(&b);
	CHECK(strstr(b.p, "\"details\":{\"details_invalid\":true}}\n") != NULL);
	buf_free(&b);

	/* Not an object. */
	ev.details_json = SK_LIT("[1]");
	b = enc(&ev, SIZE_MAX);
	CHECK(strstr(b.p, "\"details\":{\"details_invalid\":true}") != NULL);
	buf_free(&b);

	/* A bad JSON field becomes null; the others stay. */
	sk_event_field g[] = { SK_EVF_J("j", SK_LIT("{oops}")), SK_EVF_I("n", 3), { NULL, SK_EVF_INT, SK_SLICE_NULL, 1 } };
	ev.details_json = SK_LIT("{}");
	ev.fields = g;
	ev.nfields = 3;
	b = enc(&ev, SIZE_MAX);
	check_line(&b);
	CHECK(strstr(b.p, "\"details\":{\"j\":null,\"n\":3,\"details_invalid\":true}}\n") != NULL);
	buf_free(&b);
}

static void test_truncation(void)
{
	/* A URI past SK_EVENT_FIELD_MAX is cut at a UTF-8 boundary. */
	size_t n = SK_EVENT_FIELD_MAX + 100;
	char *uri = malloc(n);
	memset(uri, 'a', n);
	/* A 3-byte character straddling the cut. */
	memcpy(uri + SK_EVENT_FIELD_MAX - 1, "\xe6\x97\xa5", 3);
	sk_event ev = { .kind = "x", .uri = { uri, n } };
	sk_buf b = enc(&ev, SIZE_MAX);
	check_line(&b);
	CHECK(strstr(b.p, "\"truncated\":true") != NULL);
	const char *u = strstr(b.p, "\"uri\":\"");
	CHECK(u && strchr(u + 7, '"') - (u + 7) == SK_EVENT_FIELD_MAX - 1);
	buf_free(&b);
	free(uri);
}

static void test_too_large(void)
{
	/* Details past the line cap are replaced; the event survives. */
	size_t n = SK_EVENT_LINE_MAX;
	char *big = malloc(n);
	memset(big, 'x', n);
	sk_event_field f[] = { SK_EVF_S("body", sk_slice_make(big, n)) };
	sk_event ev = { .kind = "x", .fields = f, .nfields = 1 };
	sk_buf b = enc(&ev, SIZE_MAX);
	check_line(&b);
	CHECK(b.len <= SK_EVENT_LINE_MAX);
	CHECK(strstr(b.p, "\"details_dropped\":\"too large\"}\n") != NULL);
	CHECK(strstr(b.p, "\"details\"") == NULL);
	CHECK(!b.overflow);
	buf_free(&b);

	/* A buffer cap also counts, from the current length. */
	buf_init(&b, 300);
	buf_puts(&b, "prefix\n");
	ev.nfields = 1;
	f[0].str.len = 1000;
	CHECK(event_encode(&ev, &b));
	CHECK(b.len <= 300 && strncmp(b.p, "prefix\n{", 8) == 0);
	CHECK(strstr(b.p, "details_dropped") != NULL);
	check_line(&(sk_buf){ b.p + 7, b.len - 7, 0, 0, false });
	size_t before = b.len;
	/* No room even for the fixed fields: false, buffer unchanged. */
	ev.uri = SK_LIT("/0123456789012345678901234567890123456789012345678901234567890123456789");
	CHECK(!event_encode(&ev, &b));
	CHECK_INT(b.len, before);
	CHECK(b.p[before] == '\0');
	buf_free(&b);
	free(big);
}

static void each_valid(const harness_line *l, void *ctx)
{
	bool ok = event_json_valid(sk_slice_make(l->buf, l->len));
	if (!ok)
		harness_fail("valid JSON refused", l->buf, l->len);
	harness_count(ok);
}

static void each_invalid(const harness_line *l, void *ctx)
{
	bool ok = !event_json_valid(sk_slice_make(l->buf, l->len));
	if (!ok)
		harness_fail("invalid JSON accepted", l->buf, l->len);
	harness_count(ok);
}

static void test_json_valid_edges(void)
{
	CHECK(!event_json_valid(SK_SLICE_NULL));
	CHECK(!event_json_valid(SK_LIT("")));
	CHECK(!event_json_valid(SK_LIT("   ")));
	CHECK(event_json_valid(SK_LIT("\"\"")));
	/* Truncated anywhere: never reads past the end (ASan checks). */
	static const char doc[] = "{\"a\":[1.5e-3,\"\\u00e9\xe6\x97\xa5\",true,null,{}]}";
	for (size_t i = 0; i + 1 < sizeof(doc) - 1; i++) {
		char *p = malloc(i ? i : 1);
		memcpy(p, doc, i);
		CHECK(!event_json_valid(sk_slice_make(p, i)));
		free(p);
	}
	CHECK(event_json_valid(SK_LIT(doc)));
}

int main(void)
{
	RUN(test_severity);
	RUN(test_time);
	RUN(test_full_event);
	RUN(test_minimal_event);
	RUN(test_escaping);
	RUN(test_details_checked);
	RUN(test_truncation);
	RUN(test_too_large);
	RUN(test_json_valid_edges);
	harness_each_line("event/json_valid.txt", each_valid, NULL);
	harness_each_line("event/json_invalid.txt", each_invalid, NULL);
	return harness_done("event");
}
