/* gate.h - the proxy's TOTP gate on admin paths and its password policy:
 * the glue between connections, the pure helpers (sekisho/gate.h,
 * sekisho/password.h, sekisho/totp.h), the secrets file (sys/totp_file.h)
 * and the state backend (rate limits shared through Redis).
 *
 * The gate: a request under totp_gate.paths needs a valid session cookie;
 * without one it gets the login page. The form posts to GATE_LOGIN_PATH,
 * where the code is checked under the secrets file's lock (so the CLI and
 * other proxies agree on used codes), wrong codes are counted per user and
 * per address, and a correct one sets the signed cookie and redirects back.
 * An admitted request goes upstream without our cookie.
 *
 * The password policy: a request to one of password_policy.endpoints whose
 * configured field holds a password that is too short or listed is
 * answered with password_policy.status and never reaches the application.
 *
 * Both are loaded with the settings (start and SIGHUP) into proxy_shared.
 */
#ifndef SEKISHO_PROXY_GATE_H
#define SEKISHO_PROXY_GATE_H

#include <stdbool.h>

#include "proxy.h"

#define GATE_LOGIN_PATH "/.sekisho/totp"

/* gate.c: check the secrets file and load or make the cookie keys into
 * sh->gate (left NULL while the gate is off). 0, or -1 with a message. */
int gate_load(proxy_shared *sh, char *errbuf, size_t errlen);
void gate_unload(proxy_shared *sh);
/* After dropping privileges: can this process still lock, read and replace
 * the secrets file? 0, or -1 with a message that says what to change. */
int gate_check_access(const proxy_settings *s, char *errbuf, size_t errlen);
/* The gate's hook, after the view is built: true when the request was
 * answered here (login page, login form, refusal); false when it goes on
 * (not gated, or admitted: then our cookie is gone from its headers). */
bool gate_handle(conn *c, const http_view *v);

/* password.c: load password_policy.list into sh->pwlist. 0, or -1. */
int password_load(proxy_shared *sh, char *errbuf, size_t errlen);
void password_unload(proxy_shared *sh);
/* The policy's hook: true when the request was refused (answered). */
bool password_refuse(conn *c, const http_view *v);

#endif
