/* registry.c - the table of built-in detectors (one row per detector). */
#include "sekisho/detectors.h"

#include <string.h>

const detector_def detector_table[] = {
	{ "sqli", sqli_detect, "SQL injection: SQL lexer and token-sequence classifier" },
	{ "xss", xss_detect, "cross-site scripting: HTML tokenizer and context analysis" },
	{ "cmdi", cmdi_detect, "OS command injection: shell, cmd.exe and PowerShell lexing" },
	{ "traversal", traversal_detect, "path traversal and local file inclusion" },
	{ "rfi", rfi_detect, "remote file inclusion" },
	{ "ognl", ognl_detect, "Struts2 OGNL injection (CVE-2017-5638 and kin)" },
	{ "ssti", ssti_detect, "template and expression-language injection" },
	{ "jndi", jndi_detect, "JNDI lookups (Log4Shell) with nested-lookup obfuscation" },
	{ "ssrf", ssrf_detect, "server-side request forgery to internal and metadata addresses" },
	{ "xxe", xxe_detect, "XML external entities" },
	{ "nosqli", nosqli_detect, "NoSQL operator and server-side JavaScript injection" },
	{ "ldapi", ldapi_detect, "LDAP filter injection" },
	{ "crlf", crlf_detect, "CRLF and header injection" },
	{ "scanner", scanner_detect, "scanner user agents and probe paths" },
	{ "deser", deser_detect, "PHP and Java deserialization payloads" },
	{ NULL, NULL, NULL },
};

const detector_def *detector_find(const char *name)
{
	for (const detector_def *d = detector_table; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}
