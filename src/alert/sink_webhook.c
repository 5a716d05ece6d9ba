/* sink_webhook.c - each event POSTed as JSON to an operator-configured
 * http:// URL with libcurl, on the sink's writer thread.
 *
 * One event per request (receivers such as chat webhooks and SIEM HTTP
 * inputs take one object), over a kept-alive connection. Transient
 * failures (network, 408, 429, 5xx) are retried with exponential backoff;
 * the backoff is kept across events until a success, so a dead receiver
 * costs one attempt per backoff period, not a storm. */
#include "sink_backend.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct webhook_be {
	CURL *h;
	struct curl_slist *headers;
	char *url;
	char *label;        /* the URL without user:password, for messages */
	unsigned backoff_ms; /* 0 after a success */
	const sink_opts *o;
} webhook_be;

enum post_result { POST_OK, POST_RETRY, POST_FAIL };

/* The response body is not used; reading it keeps the connection reusable. */
static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static enum post_result post(webhook_be *w, sink *s, const sink_line *l)
{
	char why[CURL_ERROR_SIZE + 64];
	char cerr[CURL_ERROR_SIZE] = "";
	unsigned t = sink_time_left_ms(s, w->o->timeout_ms);
	curl_easy_setopt(w->h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(w->h, CURLOPT_TIMEOUT_MS, (long)t);
	curl_easy_setopt(w->h, CURLOPT_CONNECTTIMEOUT_MS, (long)t);
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDS, l->p);
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)l->len);
	CURLcode rc = curl_easy_perform(w->h);
	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
		sink_report_error(s, w->label, why);
		return POST_RETRY;
	}
	long code = 0;
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300)
		return POST_OK;
	snprintf(why, sizeof(why), "HTTP status %ld", code);
	sink_report_error(s, w->label, why);
	return code == 408 || code == 429 || code >= 500 ? POST_RETRY : POST_FAIL;
}

static unsigned next_backoff(const webhook_be *w)
{
	if (!w->backoff_ms)
		return w->o->retry_first_ms;
	return w->backoff_ms >= w->o->retry_max_ms / 2 ? w->o->retry_max_ms : w->backoff_ms * 2;
}

static size_t webhook_write(void *v, sink *s, const sink_line *lines, size_t n)
{
	webhook_be *w = v;
	size_t delivered = 0;
	for (size_t i = 0; i < n; i++) {
		for (unsigned attempt = 1;; attempt++) {
			/* A receiver that failed before is given time before the
			 * next try, whichever event that is. */
			if (w->backoff_ms && !sink_pause(s, w->backoff_ms))
				return delivered; /* closing, out of time */
			enum post_result r = post(w, s, &lines[i]);
			if (r == POST_OK) {
				w->backoff_ms = 0;
				sink_report_ok(s);
				delivered++;
				break;
			}
			w->backoff_ms = next_backoff(w);
			if (r == POST_FAIL || attempt >= w->o->retry_attempts)
				break;
		}
	}
	return delivered;
}

static void webhook_close(void *v)
{
	webhook_be *w = v;
	if (w->h)
		curl_easy_cleanup(w->h);
	curl_slist_free_all(w->headers);
	free(w->url);
	curl_free(w->label);
	free(w);
}

static const sink_backend_ops webhook_ops = { "webhook", webhook_write, NULL, webhook_close };

static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Check the URL and make the label. Returns false with a reason in err. */
static bool check_url(webhook_be *w, const char *spec, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *host = NULL;
	bool ok = false;
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (curl_url_set(u, CURLUPART_URL, spec, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
		snprintf(err, errlen, "bad webhook URL \"%.200s\"", spec);
		goto out;
	}
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &w->label, 0) != CURLUE_OK) {
		snprintf(err, errlen, "bad webhook URL \"%.200s\"", spec);
		goto out;
	}
	ok = true;
out:
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

void *sink_webhook_open(const char *spec, const sink_opts *o, const sink_backend_ops **ops, char *err,
			size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, global_init);
	if (global_rc != CURLE_OK) {
		snprintf(err, errlen, "libcurl initialisation failed");
		return NULL;
	}
	webhook_be *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->o = o;
	if (!check_url(w, spec, err, errlen))
		goto fail;
	w->url = strdup(spec);
	w->h = curl_easy_init();
	if (!w->url || !w->h)
		goto oom;
	struct curl_slist *h1 = curl_slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip before larger bodies. */
	struct curl_slist *h2 = h1 ? curl_slist_append(h1, "Expect:") : NULL;
	if (!h2) {
		curl_slist_free_all(h1);
		goto oom;
	}
	w->headers = h2;
	CURL *h = w->h;
	curl_easy_setopt(h, CURLOPT_URL, w->url);
	/* Only the target the operator named: http only, no redirects, and no
	 * proxy picked up from http_proxy in the environment. */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, w->headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sekisho");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	*ops = &webhook_ops;
	return w;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	webhook_close(w);
	return NULL;
}
