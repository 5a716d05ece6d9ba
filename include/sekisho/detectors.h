/* detectors.h - every built-in detector, and the table the engine runs.
 *
 * Each detector lives in lib/detect/<name>.c and follows the contract in
 * detector.h. To add one: write the file, declare its function here, add a
 * row to the table in lib/detect/registry.c.
 */
#ifndef SEKISHO_DETECTORS_H
#define SEKISHO_DETECTORS_H

#include "sekisho/detector.h"

int sqli_detect(const det_input *in, det_hit *hit);      /* lib/detect/sqli.c */
int xss_detect(const det_input *in, det_hit *hit);       /* lib/detect/xss.c */
int cmdi_detect(const det_input *in, det_hit *hit);      /* lib/detect/cmdi.c */
/* For the unit tests: is cmdi's first-letter index of its command table
 * (and its longest-name bound) in step with the table? */
bool cmdi_index_consistent(void);
int traversal_detect(const det_input *in, det_hit *hit); /* lib/detect/traversal.c: ../, sensitive paths, php:// */
int rfi_detect(const det_input *in, det_hit *hit);       /* lib/detect/rfi.c: remote includes */
int ognl_detect(const det_input *in, det_hit *hit);      /* lib/detect/ognl.c: Struts2 OGNL */
int ssti_detect(const det_input *in, det_hit *hit);      /* lib/detect/ssti.c: template and EL injection */
int jndi_detect(const det_input *in, det_hit *hit);      /* lib/detect/jndi.c: Log4Shell */
int ssrf_detect(const det_input *in, det_hit *hit);      /* lib/detect/ssrf.c */
int xxe_detect(const det_input *in, det_hit *hit);       /* lib/detect/xxe.c */
int nosqli_detect(const det_input *in, det_hit *hit);    /* lib/detect/nosqli.c */
int ldapi_detect(const det_input *in, det_hit *hit);     /* lib/detect/ldapi.c */
int crlf_detect(const det_input *in, det_hit *hit);      /* lib/detect/crlf.c: CRLF / header injection */
int scanner_detect(const det_input *in, det_hit *hit);   /* lib/detect/scanner.c: scanner UAs, probe paths */
int deser_detect(const det_input *in, det_hit *hit);     /* lib/detect/deser.c: PHP/Java deserialization */

typedef struct detector_def {
	const char *name; /* stable id, used in verdicts, exceptions and metrics */
	detector_fn fn;
	const char *doc;  /* one line for --help and docs */
} detector_def;

/* The built-in detectors, terminated by a row with name == NULL. */
extern const detector_def detector_table[];
/* Find a detector by name; NULL if none. */
const detector_def *detector_find(const char *name);

#endif
