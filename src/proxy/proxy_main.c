/* proxy_main.c - `sekisho proxy`: settings, listeners, workers, signals.
 *
 * The main thread owns configuration and signals (SIGHUP reloads, SIGTERM
 * drains, SIGUSR1 reopens logs); worker threads own connections.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "../sys/file.h"
#include "../sys/geoip.h"
#include "events.h"
#include "gate.h"
#include "guard.h"
#include "nft.h"
#include "proxy.h"
#include "settings.h"
#include "tls.h"

#define TICK_MS 250
#define DRAIN_MS 10000

/* ---- shared state, reference counted ---- */

static void shared_free(proxy_shared *sh)
{
	gate_unload(sh);
	password_unload(sh);
	engine_free(sh->eng);
	ruleset_free(sh->rules);
	geoip_close(sh->geoip);
	settings_free(&sh->set);
	free(sh);
}

proxy_shared *shared_acquire(proxy *px)
{
	pthread_mutex_lock(&px->reload_lock);
	proxy_shared *sh = atomic_load(&px->shared);
	atomic_fetch_add(&sh->refs, 1);
	pthread_mutex_unlock(&px->reload_lock);
	return sh;
}

void shared_release(proxy_shared *sh)
{
	if (atomic_fetch_sub(&sh->refs, 1) == 1)
		shared_free(sh);
}

/* Build engine and rules from settings. NULL with a message on error. */
static proxy_shared *shared_build(const proxy_settings *set, char *errbuf, size_t errlen)
{
	proxy_shared *sh = calloc(1, sizeof(*sh));
	if (!sh) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	sh->set = *set;
	atomic_init(&sh->refs, 1);
	if (set->rules_path[0]) {
		char *text;
		size_t len;
		if (file_read_all(set->rules_path, 64u * 1024 * 1024, &text, &len, errbuf, errlen) != 0) {
			free(sh);
			return NULL;
		}
		sh->rules = ruleset_compile(text, len, set->rules_path, errbuf, errlen);
		free(text);
		if (!sh->rules) {
			free(sh);
			return NULL;
		}
	}
	engine_config ec;
	engine_config_default(&ec);
	ec.paranoia = set->paranoia;
	ec.threshold = set->threshold;
	ec.exceptions = set->exceptions;
	ec.nexceptions = set->nexceptions;
	ec.rules = sh->rules;
	/* The clean-value cache is keyed with a fresh secret on every build
	 * (start and reload); without one it stays off. */
	ec.cache = getrandom(ec.cache_key, sizeof(ec.cache_key), 0) == (ssize_t)sizeof(ec.cache_key);
	sh->eng = engine_new(&ec);
	if (!sh->eng) {
		ruleset_free(sh->rules);
		free(sh);
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	/* The geoip database, the TOTP gate's keys and the password list come
	 * with the settings: read here, at start before privileges are dropped
	 * and on reload as the unprivileged user. A bad file refuses the build,
	 * so a reload keeps the running ones. The settings' own allocations stay
	 * the caller's on failure: hand them back before shared_free. */
	int rc = 0;
	if (set->geoip_db[0]) {
		char msg[400];
		sh->geoip = geoip_open(set->geoip_db, msg, sizeof(msg));
		if (!sh->geoip) {
			snprintf(errbuf, errlen, "access.geoip_db: %s", msg);
			rc = -1;
		}
	}
	if (rc == 0 && (gate_load(sh, errbuf, errlen) != 0 || password_load(sh, errbuf, errlen) != 0))
		rc = -1;
	if (rc != 0) {
		sh->set.exceptions = NULL;
		sh->set.access = NULL;
		shared_free(sh);
		return NULL;
	}
	return sh;
}

/* ---- workers ---- */

static void on_listen(ev_loop *loop, int fd, unsigned events, void *ud)
{
	(void)loop;
	(void)events;
	conn_accept(ud, fd, false);
}

static void on_listen_tls(ev_loop *loop, int fd, unsigned events, void *ud)
{
	(void)loop;
	(void)events;
	conn_accept(ud, fd, true);
}

static void on_tick(ev_loop *loop, void *ud)
{
	(void)loop;
	worker *w = ud;
	if (w->px->draining && (w->nlisten || w->ntls_listen)) {
		for (size_t i = 0; i < w->nlisten; i++) {
			ev_del(w->loop, w->listen_fd[i]);
			close(w->listen_fd[i]);
		}
		for (size_t i = 0; i < w->ntls_listen; i++) {
			ev_del(w->loop, w->tls_listen_fd[i]);
			close(w->tls_listen_fd[i]);
		}
		w->nlisten = 0;
		w->ntls_listen = 0;
	}
	conn_sweep(w);
	audit_tick(w);
	admin_tick(w);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	for (size_t i = 0; i < w->nlisten; i++)
		ev_add(w->loop, w->listen_fd[i], EV_READ, on_listen, w);
	for (size_t i = 0; i < w->ntls_listen; i++)
		ev_add(w->loop, w->tls_listen_fd[i], EV_READ, on_listen_tls, w);
	admin_attach(w);
	nft_attach(w);
	ev_set_tick(w->loop, TICK_MS, on_tick, w);
	ev_run(w->loop, &w->px->stop);
	while (w->conns)
		conn_close(w->conns);
	upstream_drop_all(w);
	return NULL;
}

/* ---- privileges ---- */

static int drop_privileges(const char *user, char *errbuf, size_t errlen)
{
	if (geteuid() != 0)
		return 0;
	const char *name = user && user[0] ? user : "nobody";
	struct passwd *pw = getpwnam(name);
	if (!pw) {
		snprintf(errbuf, errlen, "user '%s' does not exist", name);
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(errbuf, errlen, "cannot drop privileges to '%s': %s", name, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(errbuf, errlen, "privileges could be regained after dropping them");
		return -1;
	}
	return 0;
}

/* ---- command ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sekisho proxy [-c FILE] [--listen HOST:PORT] [--upstream http://HOST:PORT]\n"
		"                     [--workers N] [--paranoia N] [--monitor] [--rules FILE] [--events SPEC]\n\n"
		"Run the reverse-proxy WAF in front of an upstream web application.\n\n"
		"  -c, --config FILE   configuration file (sekisho.yaml); flags override it\n"
		"  --listen ADDR       address to listen on (default 0.0.0.0:8080); repeatable\n"
		"  --upstream URL      the application, http://host:port\n"
		"  --workers N         worker threads (default: one per core)\n"
		"  --paranoia N        1 (default) to 3\n"
		"  --monitor           log attacks but do not block them\n"
		"  --rules FILE        user rules and virtual patches\n"
		"  --events SPEC       where events go: stderr (default), stdout, syslog, a file, http://...\n\n"
		"Signals: SIGHUP reloads the configuration (an invalid one is refused and the old one\n"
		"keeps serving), SIGTERM/SIGINT drain and stop, SIGUSR1 reopens log files.\n");
}

int cmd_proxy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },  { "listen", required_argument, NULL, 'l' },
		{ "upstream", required_argument, NULL, 'u' }, { "workers", required_argument, NULL, 'w' },
		{ "paranoia", required_argument, NULL, 'p' }, { "monitor", no_argument, NULL, 'm' },
		{ "rules", required_argument, NULL, 'r' },    { "events", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	proxy_overrides ov;
	memset(&ov, 0, sizeof(ov));
	const char *config_path = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'l':
			if (ov.nlisten < PROXY_MAX_LISTEN)
				ov.listen[ov.nlisten++] = optarg;
			break;
		case 'u': ov.upstream = optarg; break;
		case 'w': ov.workers = optarg; break;
		case 'p': ov.paranoia = optarg; break;
		case 'm': ov.monitor = true; break;
		case 'r': ov.rules = optarg; break;
		case 'e': ov.events = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* Block the control signals before anything else: a SIGHUP that arrives
	 * while listeners are being opened must not kill the process. Workers
	 * inherit the mask; the main thread takes them with sigtimedwait. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	static proxy px; /* one per process; workers point into it */
	memset(&px, 0, sizeof(px));
	px.admin_fd = -1;
	pthread_mutex_init(&px.reload_lock, NULL);
	if (config_path)
		snprintf(px.config_path, sizeof(px.config_path), "%s", config_path);
	px.ov = ov;

	proxy_settings set;
	char err[512];
	if (settings_load(px.config_path[0] ? px.config_path : NULL, &ov, &set, err, sizeof(err)) != 0) {
		fprintf(stderr, "sekisho proxy: %s\n", err);
		return 2;
	}
	proxy_shared *sh = shared_build(&set, err, sizeof(err));
	if (!sh) {
		settings_free(&set);
		fprintf(stderr, "sekisho proxy: %s\n", err);
		return 2;
	}
	atomic_init(&px.shared, sh);
	/* The nftables helper forks here: still root, and no thread exists yet
	 * (the event sinks start theirs below). Without it bans still hold in
	 * the proxy, so a failure is a warning, not a reason to stop. */
	if (set.nftables) {
		if (geteuid() != 0)
			fprintf(stderr, "sekisho proxy: warning: bans.nftables needs root at start; kernel bans are off\n");
		else if (nft_start(&px, set.nft_table, err, sizeof(err)) != 0)
			fprintf(stderr, "sekisho proxy: warning: %s; kernel bans are off\n", err);
	}

	if (set.ntls_listen) {
		/* Keys are read now, as root; a reload keeps these certificates
		 * (changing them needs a restart). */
		px.tls = tls_server_new(set.tls_certs, set.ntls_certs, err, sizeof(err));
		if (!px.tls) {
			fprintf(stderr, "sekisho proxy: %s\n", err);
			shared_release(sh);
			return 2;
		}
	}
	px.events = events_open(set.events, err, sizeof(err));
	if (!px.events) {
		fprintf(stderr, "sekisho proxy: events: %s\n", err);
		shared_release(sh);
		return 2;
	}

	px.ban_cache_ms = set.ban_cache_ms;
	/* Descriptors: raise the soft limit to the hard one. */
	struct rlimit rl;
	int max_fds = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)max_fds)
			max_fds = (int)rl.rlim_cur;
	}

	int nworkers = set.workers > 0 ? set.workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nworkers < 1)
		nworkers = 1;
	if (nworkers > 64)
		nworkers = 64;
	px.workers = calloc((size_t)nworkers, sizeof(*px.workers));
	if (!px.workers) {
		fprintf(stderr, "sekisho proxy: out of memory\n");
		return 2;
	}
	px.nworkers = nworkers;
	int rc = 2;
	for (int i = 0; i < nworkers; i++) {
		worker *w = &px.workers[i];
		w->id = i;
		w->px = &px;
		w->loop = ev_new(max_fds);
		w->sh = shared_acquire(&px);
		w->scratch = engine_scratch_new(w->sh->eng);
		unsigned char rnd[4] = { 0 };
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd[0] = (unsigned char)i;
		snprintf(w->id_prefix, sizeof(w->id_prefix), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
			 (unsigned char)(rnd[3] + i));
		if (!w->loop || !w->scratch || guard_worker_init(w) != 0) {
			fprintf(stderr, "sekisho proxy: out of memory\n");
			goto out;
		}
		for (size_t l = 0; l < set.nlisten; l++) {
			int fd = net_listen(&set.listen[l], true, 1024, err, sizeof(err));
			if (fd < 0) {
				fprintf(stderr, "sekisho proxy: cannot listen on %s\n", err);
				goto out;
			}
			w->listen_fd[w->nlisten++] = fd;
		}
		for (size_t l = 0; l < set.ntls_listen; l++) {
			int fd = net_listen(&set.tls_listen[l], true, 1024, err, sizeof(err));
			if (fd < 0) {
				fprintf(stderr, "sekisho proxy: cannot listen on %s\n", err);
				goto out;
			}
			w->tls_listen_fd[w->ntls_listen++] = fd;
		}
	}
	/* After the workers exist: a Redis outage is reported through them. */
	if (guard_open(&px, &set, err, sizeof(err)) != 0) {
		fprintf(stderr, "sekisho proxy: %s\n", err);
		goto out;
	}
	nft_sync(&px);
	if (admin_listen(&px, err, sizeof(err)) != 0) {
		fprintf(stderr, "sekisho proxy: cannot listen on the admin address %s\n", err);
		goto out;
	}
	if (drop_privileges(set.user, err, sizeof(err)) != 0) {
		fprintf(stderr, "sekisho proxy: %s\n", err);
		goto out;
	}
	if (gate_check_access(&set, err, sizeof(err)) != 0) {
		fprintf(stderr, "sekisho proxy: %s\n", err);
		goto out;
	}

	for (int i = 0; i < nworkers; i++)
		pthread_create(&px.workers[i].thread, NULL, worker_main, &px.workers[i]);

	char listening[512] = "";
	for (size_t l = 0; l < set.nlisten; l++)
		snprintf(listening + strlen(listening), sizeof(listening) - strlen(listening), "%s%s", l ? ", " : "",
			 set.listen[l].text);
	for (size_t l = 0; l < set.ntls_listen; l++)
		snprintf(listening + strlen(listening), sizeof(listening) - strlen(listening), "%s%s (TLS)",
			 (l || set.nlisten) ? ", " : "", set.tls_listen[l].text);
	fprintf(stderr, "sekisho proxy: listening on %s, upstream %s, %d workers, mode %s, paranoia %d%s%s\n",
		listening, set.upstream.text, nworkers,
		set.mode == MODE_BLOCK ? "block" : set.mode == MODE_MONITOR ? "monitor" : "off", set.paranoia,
		set.admin_enabled ? ", admin on " : "", set.admin_enabled ? set.admin.text : "");
	if (sh->geoip) {
		char what[256];
		geoip_describe(sh->geoip, what, sizeof(what));
		fprintf(stderr, "sekisho proxy: access.geoip_db %s: %s\n", set.geoip_db, what);
	}
	audit_event(&px.workers[0], "start", "info", "{}");

	for (;;) {
		int sig;
		struct timespec ts = { 0, TICK_MS * 1000000L };
		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGHUP) {
			proxy_settings ns;
			proxy_shared *nsh = NULL;
			if (settings_load(px.config_path[0] ? px.config_path : NULL, &px.ov, &ns, err, sizeof(err)) ==
			    0)
				nsh = shared_build(&ns, err, sizeof(err));
			else
				ns.exceptions = NULL;
			if (!nsh) {
				settings_free(&ns);
				sk_buf details;
				buf_init(&details, 4096);
				buf_puts(&details, "{\"error\":");
				buf_json_str(&details, sk_slice_make(err, strlen(err)));
				buf_puts(&details, ",\"action\":\"the running configuration is kept\"}");
				fprintf(stderr, "sekisho proxy: reload refused, keeping the running configuration: %s%s\n",
					err, strstr(err, "Permission denied") ? " (the file must be readable by the user "
										"the proxy runs as after dropping privileges)" : "");
				audit_event(&px.workers[0], "reload_failed", "high", details.overflow ? "{}" : details.p);
				buf_free(&details);
			} else {
				pthread_mutex_lock(&px.reload_lock);
				proxy_shared *old = atomic_exchange(&px.shared, nsh);
				pthread_mutex_unlock(&px.reload_lock);
				shared_release(old);
				fprintf(stderr, "sekisho proxy: configuration reloaded\n");
				audit_event(&px.workers[0], "reload", "info", "{}");
			}
		} else if (sig == SIGUSR1) {
			events_reopen(px.events);
		} else if (sig == SIGINT || sig == SIGTERM) {
			fprintf(stderr, "sekisho proxy: draining connections\n");
			px.draining = 1;
			for (int waited = 0; waited < DRAIN_MS && atomic_load(&px.stats.open_conns) > 0;
			     waited += 50)
				usleep(50 * 1000);
			break;
		}
	}
	px.stop = 1;
	for (int i = 0; i < nworkers; i++)
		pthread_join(px.workers[i].thread, NULL);
	audit_event(&px.workers[0], "stop", "info", "{}");
	rc = 0;
out:
	px.stop = 1;
	for (int i = 0; i < nworkers; i++) {
		worker *w = &px.workers[i];
		for (size_t l = 0; l < w->nlisten; l++)
			close(w->listen_fd[l]);
		for (size_t l = 0; l < w->ntls_listen; l++)
			close(w->tls_listen_fd[l]);
		engine_scratch_free(w->scratch);
		guard_worker_free(w);
		if (w->sh)
			shared_release(w->sh);
		ev_free(w->loop);
	}
	free(px.workers);
	admin_close(&px);
	nft_stop(&px);
	guard_close(&px);
	tls_server_free(px.tls);
	shared_release(atomic_load(&px.shared));
	events_close(px.events);
	return rc;
}
