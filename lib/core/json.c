// SPDX-License-Identifier: MIT
/* json.c - a JSON document from text, with errors that say where. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "core/json.h"

int fp_json_text(const char *text, size_t len, const char *name,
		 struct json_object **out, struct fp_err *err)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t end, i;
	int line = 1, col = 1;

	tok = json_tokener_new();
	if (!tok)
		return fp_fail(err, ENOMEM, "%s: out of memory", name);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* A document that is a bare literal ends only at a terminator. */
	if (!o && jerr == json_tokener_continue && end == len) {
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (!o && jerr == json_tokener_continue)
		end = len;
	if (o) {
		/* Only whitespace may follow the document. */
		for (i = end; i < len; i++)
			if (!strchr(" \t\r\n", text[i]))
				break;
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
