/* tree.c - YAML text to a small bounded tree, through libyaml's event API.
 *
 * libyaml does the YAML grammar; this file decides what we accept of it.
 * Limits are checked as events arrive, so a hostile document stops being
 * read at the first event past a limit: no anchors or aliases (an alias
 * bomb expands exponentially), no tags, one document, nesting at most
 * CONFIG_MAX_DEPTH (an explicit stack, no recursion), at most
 * CONFIG_MAX_NODES nodes. Scalars are copied into the caller's arena.
 */
#include <stdio.h>
#include <yaml.h>

#include "conf_int.h"

void conf_errorf(conf_err *e, unsigned line, unsigned col, const char *fmt, ...)
{
	if (!e->buf || e->cap == 0)
		return;
	int n = snprintf(e->buf, e->cap, "%s:%u:%u: ", e->filename, line, col);
	if (n < 0 || (size_t)n >= e->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->buf + n, e->cap - (size_t)n, fmt, ap);
	va_end(ap);
}

/* libyaml's reader errors carry a byte offset, not a line. */
static void offset_to_pos(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static void yaml_error(const yaml_parser_t *p, const char *text, size_t len, conf_err *e)
{
	unsigned line, col;
	if (p->error == YAML_READER_ERROR) {
		offset_to_pos(text, len, p->problem_offset, &line, &col);
	} else {
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
	}
	const char *problem = p->problem ? p->problem : "malformed YAML";
	if (p->context)
		conf_errorf(e, line, col, "YAML: %s (%s)", problem, p->context);
	else
		conf_errorf(e, line, col, "YAML: %s", problem);
}

static cnode *node_new(arena *a, int kind, const yaml_mark_t *m)
{
	cnode *n = arena_calloc(a, 1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

static void node_add(cnode *parent, cnode *n)
{
	if (parent->last)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
	parent->nchild++;
}

/* What an event may not carry: an anchor (&a) or an explicit tag (!!str). */
static bool check_props(const yaml_event_t *ev, conf_err *e)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	if (ev->type == YAML_SCALAR_EVENT) {
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;
	if (anchor) {
		conf_errorf(e, line, col, "anchors (&name) are not allowed in the config");
		return false;
	}
	/* A plain scalar's implicit tag is NULL; only explicit tags show here. */
	if (tag) {
		conf_errorf(e, line, col, "tags (!name) are not allowed in the config");
		return false;
	}
	return true;
}

bool conf_tree(const char *text, size_t len, arena *a, cnode **root, conf_err *e)
{
	*root = NULL;
	if (len > CONFIG_MAX_BYTES) {
		conf_errorf(e, 1, 1, "the config is larger than %u bytes (1 MiB)", (unsigned)CONFIG_MAX_BYTES);
		return false;
	}
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		conf_errorf(e, 1, 1, "out of memory");
		return false;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);

	cnode *stack[CONFIG_MAX_DEPTH];
	size_t depth = 0, nodes = 0;
	int documents = 0;
	bool ok = false, done = false;
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_error(&p, text, len, e);
			break;
		}
		unsigned line = (unsigned)ev.start_mark.line + 1, col = (unsigned)ev.start_mark.column + 1;
		bool fail = false;
		cnode *n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = ok = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1) {
				conf_errorf(e, line, col, "only one YAML document is allowed in the config");
				fail = true;
			}
			break;
		case YAML_ALIAS_EVENT:
			conf_errorf(e, line, col, "aliases (*name) are not allowed in the config");
			fail = true;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (!check_props(&ev, e)) {
				fail = true;
				break;
			}
			if (++nodes > CONFIG_MAX_NODES) {
				conf_errorf(e, line, col, "more than %d YAML nodes", CONFIG_MAX_NODES);
				fail = true;
				break;
			}
			n = node_new(a, ev.type == YAML_SCALAR_EVENT	       ? CN_SCALAR
					: ev.type == YAML_SEQUENCE_START_EVENT ? CN_SEQ
									       : CN_MAP,
				     &ev.start_mark);
			if (!n) {
				conf_errorf(e, line, col, "out of memory");
				fail = true;
				break;
			}
			if (ev.type == YAML_SCALAR_EVENT) {
				sk_slice d = arena_dup(a, ev.data.scalar.value, ev.data.scalar.length);
				if (!d.p) {
					conf_errorf(e, line, col, "out of memory");
					fail = true;
					break;
				}
				n->s = d.p;
				n->len = d.len;
				n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			}
			if (depth)
				node_add(stack[depth - 1], n);
			else
				*root = n;
			if (ev.type != YAML_SCALAR_EVENT) {
				if (depth == CONFIG_MAX_DEPTH) {
					conf_errorf(e, line, col, "nesting deeper than %d levels", CONFIG_MAX_DEPTH);
					fail = true;
					break;
				}
				stack[depth++] = n;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			/* libyaml pairs start and end events, so depth > 0 here. */
			if (depth)
				depth--;
			break;
		default: /* stream start, document end */
			break;
		}
		yaml_event_delete(&ev);
		if (fail)
			break;
	}
	yaml_parser_delete(&p);
	if (ok && *root && cnode_is_null(*root))
		*root = NULL; /* "---" alone, or a file of comments */
	return ok;
}
