// SPDX-License-Identifier: MIT
/* json.c - a JSON document from text, with errors that say where. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "core/json.h"

/*
 * A recogniser of strict JSON (RFC 8259), used to find the root members
 * that are not to be built and to check their values. Each step returns the
 * end of what it read, or NULL where the text is not strict JSON (or nests
 * deeper than allowed). json-c accepts all that this accepts, and more
 * (comments, NaN, single quotes, trailing commas, control characters in
 * strings, 32 levels); on NULL the caller lets json-c judge the whole text.
 */
static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* @p at the opening quote. */
static const char *skip_string(const char *p, const char *end)
{
	int i;

	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c != '\\')
			continue;
		if (++p == end)
			return NULL;
		if (*p == 'u') {
			for (i = 0; i < 4; i++)
				if (++p == end || !is_hex(*p))
					return NULL;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return NULL;
}

static const char *skip_digits(const char *p, const char *end)
{
	const char *s = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > s ? p : NULL;
}

static const char *skip_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		p = skip_digits(p, end);
	else
		return NULL;
	if (p < end && *p == '.') {
		p = skip_digits(p + 1, end);
		if (!p)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		p = skip_digits(p, end);
	}
	return p;
}

static const char *skip_word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - p) >= n && !memcmp(p, w, n) ? p + n : NULL;
}

/* One value at @p (no whitespace before it), in at most @depth containers. */
static const char *skip_value(const char *p, const char *end, int depth)
{
	char close;

	if (p == end)
		return NULL;
	switch (*p) {
	case '"':
		return skip_string(p, end);
	case 't':
		return skip_word(p, end, "true");
	case 'f':
		return skip_word(p, end, "false");
	case 'n':
		return skip_word(p, end, "null");
	case '{':
	case '[':
		break;
	default:
		return skip_number(p, end);
	}
	if (depth <= 0)
		return NULL;
	close = *p == '{' ? '}' : ']';
	p = ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (p == end || *p != '"')
				return NULL;
			p = skip_string(p, end);
			if (!p)
				return NULL;
			p = ws(p, end);
			if (p == end || *p != ':')
				return NULL;
			p = ws(p + 1, end);
		}
		p = skip_value(p, end, depth - 1);
		if (!p)
			return NULL;
		p = ws(p, end);
		if (p == end)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = ws(p + 1, end);
	}
}

/* A stretch of the text that json-c does not see, 0 in its place. */
struct gap {
	size_t start, end;
};

#define MAX_GAPS	8

/*
 * The values of the root object's members @key, when the whole text is
 * strict JSON: their number, or -1 (parse it all). A key is compared as
 * written: one spelled with escapes is built like any other member.
 */
static int find_gaps(const char *text, size_t len, const char *key,
		     struct gap *gap)
{
	const char *p = text, *end = text + len, *k, *ke, *v;
	size_t klen = strlen(key);
	int n = 0;

	p = ws(p, end);
	if (p == end || *p != '{')
		return -1;
	p = ws(p + 1, end);
	if (p < end && *p == '}')
		return ws(p + 1, end) == end ? 0 : -1;
	for (;;) {
		if (p == end || *p != '"')
			return -1;
		k = p;
		ke = skip_string(p, end);
		if (!ke)
			return -1;
		p = ws(ke, end);
		if (p == end || *p != ':')
			return -1;
		p = ws(p + 1, end);
		v = p;
		p = skip_value(p, end, FP_JSON_SKIP_DEPTH - 1);
		if (!p)
			return -1;
		if ((size_t)(ke - k) == klen + 2 && !memcmp(k + 1, key, klen)) {
			if (n == MAX_GAPS)
				return -1;
			gap[n++] = (struct gap){ (size_t)(v - text), (size_t)(p - text) };
		}
		p = ws(p, end);
		if (p == end)
			return -1;
		if (*p == '}')
			return ws(p + 1, end) == end ? n : -1;
		if (*p != ',')
			return -1;
		p = ws(p + 1, end);
	}
}

/* The text but its gaps, to json-c, in pieces; errors at their place in it. */
static int parse(const char *text, size_t len, const char *name,
		 const struct gap *gap, int ngap, struct json_object **out,
		 struct fp_err *err)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t pos = 0, stop, end, i;
	int g = 0, line = 1, col = 1;

	if (len > INT32_MAX)		/* json-c takes an int length */
		return fp_fail(err, EFBIG, "%s: %zu bytes, more than a JSON document may have here",
			       name, len);
	tok = json_tokener_new();
	if (!tok)
		return fp_fail(err, ENOMEM, "%s: out of memory", name);
	for (;;) {
		stop = g < ngap ? gap[g].start : len;
		o = json_tokener_parse_ex(tok, text + pos, (int)(stop - pos));
		jerr = json_tokener_get_error(tok);
		end = pos + json_tokener_get_parse_end(tok);
		if (g == ngap || o || jerr != json_tokener_continue)
			break;
		/* The gap's value, checked already: a number in its place. */
		o = json_tokener_parse_ex(tok, "0", 1);
		jerr = json_tokener_get_error(tok);
		if (o || jerr != json_tokener_continue) {
			end = stop;
			break;
		}
		pos = gap[g++].end;
	}
	/* A document that is a bare literal ends only at a terminator. */
	if (!o && jerr == json_tokener_continue && end == len) {
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (!o && jerr == json_tokener_continue)
		end = len;
	if (o) {
		/*
		 * Only whitespace may follow the document, and NULs: a length
		 * that counts a C string's terminator (sizeof a literal).
		 */
		for (i = end; i < len && (!text[i] || strchr(" \t\r\n", text[i])); i++)
			;
		if (i < len) {
			json_object_put(o);
			o = NULL;
			end = i;
			jerr = json_tokener_error_parse_unexpected;
		}
	}
	if (!o && jerr == json_tokener_success) {
		json_tokener_free(tok);		/* the document "null" */
		return fp_fail(err, EINVAL, "%s: expected a JSON object", name);
	}
	if (!o) {
		for (i = 0; i < end && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		fp_fail(err, EINVAL, "%s:%d:%d: %s", name, line, col,
			jerr == json_tokener_continue || jerr == json_tokener_error_parse_eof ?
			"unexpected end of file" :
			jerr == json_tokener_error_parse_unexpected ?
			"unexpected text after the document" :
			json_tokener_error_desc(jerr));
	}
	json_tokener_free(tok);
	*out = o;
	return o ? 0 : EINVAL;
}

int fp_json_text(const char *text, size_t len, const char *name,
		 struct json_object **out, struct fp_err *err)
{
	return parse(text, len, name, NULL, 0, out, err);
}

int fp_json_text_skip(const char *text, size_t len, const char *name,
		      const char *key, struct json_object **out,
		      struct fp_err *err)
{
	struct gap gap[MAX_GAPS];
	int n = key ? find_gaps(text, len, key, gap) : -1;

	return parse(text, len, name, gap, n < 0 ? 0 : n, out, err);
}
