/* settings.h - resolve the configuration file and command-line overrides
 * into proxy_settings. */
#ifndef SEKISHO_PROXY_SETTINGS_H
#define SEKISHO_PROXY_SETTINGS_H

#include <stdbool.h>

#include "proxy.h"

typedef struct proxy_overrides_store proxy_overrides;

/* Load `config_path` (NULL: defaults) and apply `ov`. The result owns a
 * malloc'd exceptions array and the compiled access rules (settings_free
 * them, or hand them to shared state). Returns 0, or -1 with a message
 * (config errors carry FILE:LINE:COL); nothing is owned then. */
int settings_load(const char *config_path, const proxy_overrides *ov, proxy_settings *out, char *errbuf,
		  size_t errlen);
/* Free what settings_load allocated; the pointers are left NULL. */
void settings_free(proxy_settings *s);

#endif
