/* target.c - names of target locations, as they appear in JSON and rules. */
#include "sekisho/target.h"

static const char *const loc_names[LOC__COUNT] = {
	[LOC_METHOD] = "method",
	[LOC_PATH] = "path",
	[LOC_PATH_SEGMENT] = "path_segment",
	[LOC_QUERY_STRING] = "query_string",
	[LOC_QUERY_ARG] = "query_arg",
	[LOC_QUERY_ARG_NAME] = "query_arg_name",
	[LOC_HEADER] = "header",
	[LOC_COOKIE] = "cookie",
	[LOC_COOKIE_NAME] = "cookie_name",
	[LOC_FORM] = "form",
	[LOC_FORM_NAME] = "form_name",
	[LOC_MULTIPART_FIELD] = "multipart_field",
	[LOC_MULTIPART_FILENAME] = "multipart_filename",
	[LOC_MULTIPART_FILE] = "multipart_file",
	[LOC_MULTIPART_HEADER] = "multipart_header",
	[LOC_JSON] = "json",
	[LOC_JSON_KEY] = "json_key",
	[LOC_XML] = "xml",
	[LOC_XML_ATTR] = "xml_attr",
	[LOC_XML_DECL] = "xml_decl",
	[LOC_BODY_RAW] = "body_raw",
};

const char *target_loc_name(target_loc loc)
{
	if ((unsigned)loc >= LOC__COUNT || !loc_names[loc])
		return "unknown";
	return loc_names[loc];
}

static const char *const flag_names[] = {
	"invalid_escape", "double_encoded", "unicode_escape", "invalid_utf8", "overlong_utf8",
	"nul", "ctl", "truncated", "path_traversal", "backslash", "malformed", "binary", "high_bytes",
};

size_t target_flag_names(uint32_t flags, const char **names, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]) && n < max; i++)
		if (flags & (1u << i))
			names[n++] = flag_names[i];
	return n;
}
