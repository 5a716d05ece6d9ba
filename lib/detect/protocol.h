/* protocol.h - internal: findings about the request as a message (not about
 * any one value): parser anomalies, body parser errors, decoding facts. */
#ifndef SEKISHO_DETECT_PROTOCOL_H
#define SEKISHO_DETECT_PROTOCOL_H

#include "sekisho/engine.h"

void protocol_findings(const http_request *req, const http_view *v, int paranoia, arena *a, verdict *out);

#endif
