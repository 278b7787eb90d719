/* SPDX-License-Identifier: MIT */
/*
 * core/json.h - reading a JSON document (json-c) with errors that say
 * where: "NAME:LINE:COL: what". For the readers of the core (the plan file)
 * and of the planner (topology, schedule).
 */
#ifndef FP_CORE_JSON_H
#define FP_CORE_JSON_H

#include <stddef.h>

#include "core/err.h"

struct json_object;

/*
 * fp_json_text - parse @len bytes of @text (not necessarily NUL-terminated)
 * as one JSON document, nothing but whitespace after it; the document
 * "null" is refused. 0 and a new reference in *@out, or EINVAL/ENOMEM with
 * @err saying where.
 */
int fp_json_text(const char *text, size_t len, const char *name,
		 struct json_object **out, struct fp_err *err);

/*
 * fp_json_text_skip - as fp_json_text, but the values of the root object's
 * members named @key (the plan's "phases", which the reader ignores) are not
 * built: they are checked as strict JSON (RFC 8259) and the object holds 0 in
 * their place. A document that is not strict JSON throughout, or nests deeper
 * than FP_JSON_SKIP_DEPTH, is parsed whole as fp_json_text does, so what is
 * accepted and every error message stay those of fp_json_text.
 */
#define FP_JSON_SKIP_DEPTH	16
int fp_json_text_skip(const char *text, size_t len, const char *name,
		      const char *key, struct json_object **out,
		      struct fp_err *err);

#endif
