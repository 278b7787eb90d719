// SPDX-License-Identifier: MIT
/* print.c - one printing path for human and JSON output. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "flowplanctl.h"

#define MAX_DEPTH 32

static struct json_object *stack[MAX_DEPTH];
static int depth;

static void add(const char *key, struct json_object *v)
{
	struct json_object *top = stack[depth - 1];

	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, v);
	else
		json_object_object_add(top, key ? key : "value", v);
}

static void push(const char *key, struct json_object *o)
{
	if (depth == MAX_DEPTH) {
		fprintf(stderr, "flowplanctl: JSON nesting too deep\n");
		exit(1);	/* a bug of flowplanctl's own, never input */
	}
	if (depth)
		add(key, o);
	stack[depth++] = o;
}

void pr_start(void)
{
	depth = 0;
	if (opts.json)
		push(NULL, json_object_new_object());
}

void pr_end(void)
{
	int flags = opts.pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
				: JSON_C_TO_STRING_PLAIN;

	if (!opts.json || !depth)
		return;
	/* A command whose output is a document (export) added nothing. */
	if (json_object_object_length(stack[0]))
		puts(json_object_to_json_string_ext(stack[0],
						    flags | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(stack[0]);
	depth = 0;
}

void pr_flush(void)
{
	pr_end();
	fflush(stdout);
	pr_start();
}

void pr_obj_open(const char *key)
{
	if (opts.json)
		push(key, json_object_new_object());
}

void pr_obj_close(void)
{
	if (opts.json && depth > 1)
		depth--;
}

void pr_arr_open(const char *key, const char *human)
{
	if (opts.json)
		push(key, json_object_new_array());
	else if (human)
		fputs(human, stdout);
}

void pr_arr_close(const char *human)
{
	if (opts.json) {
		if (depth > 1)
			depth--;
	} else if (human) {
		fputs(human, stdout);
	}
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void pr_str(const char *key, const char *fmt, const char *val)
{
	if (opts.json)
		add(key, val ? json_object_new_string(val) : NULL);
	else if (fmt)
		printf(fmt, val ? val : "-");
}

void pr_u64(const char *key, const char *fmt, uint64_t val)
{
	if (opts.json)
		add(key, json_object_new_uint64(val));
	else if (fmt)
		printf(fmt, (unsigned long long)val);
}

void pr_s64(const char *key, const char *fmt, int64_t val)
{
	if (opts.json)
		add(key, json_object_new_int64(val));
	else if (fmt)
		printf(fmt, (long long)val);
}

void pr_dbl(const char *key, const char *fmt, double val)
{
	if (opts.json)
		add(key, json_object_new_double(val));
	else if (fmt)
		printf(fmt, val);
}

void pr_bool(const char *key, const char *fmt, bool val)
{
	if (opts.json)
		add(key, json_object_new_boolean(val));
	else if (fmt)
		printf(fmt, val ? "yes" : "no");
}

void pr_null(const char *key, const char *fmt)
{
	if (opts.json)
		add(key, NULL);
	else if (fmt)
		printf(fmt, "-");
}

void pr_text(const char *fmt, ...)
{
	va_list ap;

	if (opts.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
#pragma GCC diagnostic pop
