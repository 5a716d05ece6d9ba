/* value.c - the scalar syntaxes of the config: numbers, durations, sizes,
 * listen addresses and the upstream URL. Pure text-to-value functions;
 * ranges are checked by the caller against the directive's min/max. */
#include "conf_int.h"

/* No value, before or after its unit, may exceed 2^50: far above any
 * sensible duration in ms or size in bytes, and far from overflow. */
#define VALUE_MAX (1ULL << 50)

bool conf_parse_u64(const char *s, size_t len, unsigned long long *out)
{
	return sk_slice_to_u64(sk_slice_make(s, len), VALUE_MAX, out);
}

/* Split "123unit" into the number and the unit. */
static bool split_unit(const char *s, size_t len, unsigned long long *num, sk_slice *unit)
{
	size_t i = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0 || !conf_parse_u64(s, i, num))
		return false;
	*unit = sk_slice_make(s + i, len - i);
	return true;
}

static bool mul(unsigned long long a, unsigned long long m, unsigned long long *out)
{
	if (a > VALUE_MAX / m)
		return false;
	*out = a * m;
	return true;
}

bool conf_parse_ms(const char *s, size_t len, unsigned long long *out)
{
	unsigned long long n;
	sk_slice u;
	if (!split_unit(s, len, &n, &u))
		return false;
	if (u.len == 0 || sk_slice_eq(u, SK_LIT("s")))
		return mul(n, 1000, out);
	if (sk_slice_eq(u, SK_LIT("ms")))
		return mul(n, 1, out);
	if (sk_slice_eq(u, SK_LIT("m")))
		return mul(n, 60 * 1000, out);
	if (sk_slice_eq(u, SK_LIT("h")))
		return mul(n, 3600 * 1000, out);
	if (sk_slice_eq(u, SK_LIT("d")))
		return mul(n, 24ULL * 3600 * 1000, out);
	return false;
}

bool conf_parse_size(const char *s, size_t len, unsigned long long *out)
{
	unsigned long long n;
	sk_slice u;
	if (!split_unit(s, len, &n, &u))
		return false;
	if (u.len == 0 || sk_slice_eq(u, SK_LIT("B")))
		return mul(n, 1, out);
	if (sk_slice_eq(u, SK_LIT("k")) || sk_slice_eq(u, SK_LIT("K")) || sk_slice_eq(u, SK_LIT("KiB")))
		return mul(n, 1ULL << 10, out);
	if (sk_slice_eq(u, SK_LIT("m")) || sk_slice_eq(u, SK_LIT("M")) || sk_slice_eq(u, SK_LIT("MiB")))
		return mul(n, 1ULL << 20, out);
	if (sk_slice_eq(u, SK_LIT("g")) || sk_slice_eq(u, SK_LIT("G")) || sk_slice_eq(u, SK_LIT("GiB")))
		return mul(n, 1ULL << 30, out);
	/* "KB"/"MB" are refused: half the world reads them as 1000s. */
	return false;
}

static bool parse_port(const char *s, size_t len, unsigned *port)
{
	unsigned long long v;
	if (len == 0 || len > 5 || !sk_slice_to_u64(sk_slice_make(s, len), 65535, &v) || v == 0)
		return false;
	*port = (unsigned)v;
	return true;
}

const char *conf_parse_listen(const char *s, size_t len, sk_addr *addr, unsigned *port)
{
	sk_slice host;
	size_t colon;
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close)
			return "an IPv6 address needs a closing ']'";
		host = sk_slice_make(s + 1, (size_t)(close - s) - 1);
		colon = (size_t)(close - s) + 1;
		if (colon >= len || s[colon] != ':')
			return "expected \"[IPv6]:PORT\"";
		if (!addr_parse(host, addr) || addr->v4)
			return "not an IPv6 address inside [ ]";
	} else {
		const char *c = memchr(s, ':', len);
		if (!c)
			return "expected \"IP:PORT\", e.g. \"0.0.0.0:8080\" or \"[::]:8080\"";
		colon = (size_t)(c - s);
		host = sk_slice_make(s, colon);
		if (memchr(s + colon + 1, ':', len - colon - 1))
			return "write IPv6 addresses in brackets: \"[::]:8080\"";
		if (!addr_parse(host, addr) || !addr->v4)
			return "the host must be an IP address (no names: listeners do not depend on DNS)";
	}
	if (!parse_port(s + colon + 1, len - colon - 1, port))
		return "the port must be a number from 1 to 65535";
	return NULL;
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

const char *conf_parse_upstream(const char *s, size_t len, sk_slice *host, unsigned *port, bool *is_addr,
				sk_addr *addr)
{
	sk_slice u = sk_slice_make(s, len);
	if (sk_slice_prefix_ci(u, SK_LIT("https://")))
		return "https upstreams are not supported yet; use http://HOST:PORT";
	if (!sk_slice_prefix_ci(u, SK_LIT("http://")))
		return "expected \"http://HOST:PORT\"";
	size_t i = 7, end = len;
	if (end > i && s[end - 1] == '/')
		end--; /* "http://app:8081/" is the same upstream */
	if (memchr(s + i, '/', end - i) || memchr(s + i, '?', end - i) || memchr(s + i, '#', end - i))
		return "an upstream URL has no path; expected \"http://HOST:PORT\"";
	if (memchr(s + i, '@', end - i))
		return "credentials in the upstream URL are not supported";
	size_t colon = end;
	*is_addr = false;
	if (i < end && s[i] == '[') {
		const char *close = memchr(s + i, ']', end - i);
		if (!close)
			return "an IPv6 address needs a closing ']'";
		*host = sk_slice_make(s + i + 1, (size_t)(close - s) - i - 1);
		if (!addr_parse(*host, addr) || addr->v4)
			return "not an IPv6 address inside [ ]";
		*is_addr = true;
		colon = (size_t)(close - s) + 1;
		if (colon < end && s[colon] != ':')
			return "expected ':' after ']'";
	} else {
		const char *c = memchr(s + i, ':', end - i);
		if (c)
			colon = (size_t)(c - s);
		*host = sk_slice_make(s + i, colon - i);
		if (host->len == 0 || host->len > 253)
			return "the upstream host must be 1 to 253 characters";
		for (size_t k = 0; k < host->len; k++)
			if (!host_char(host->p[k]))
				return "the upstream host must be a DNS name or an IP address";
		*is_addr = addr_parse(*host, addr);
	}
	*port = 80;
	if (colon < end && !parse_port(s + colon + 1, end - colon - 1, port))
		return "the port must be a number from 1 to 65535";
	return NULL;
}
