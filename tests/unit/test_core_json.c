// SPDX-License-Identifier: MIT
/*
 * test_core_json - fp_json_text_skip, the plan reader's parse that leaves
 * the root's "phases" unbuilt: strict values skipped wherever the member
 * stands (strings holding brackets, quotes and escapes; nesting; first,
 * last, alone, absent, twice), everything else exactly as fp_json_text
 * reads it (the same object, or the same error message): text json-c alone
 * accepts, too deep, malformed inside the skipped value or outside it; and
 * the plan-file reader on plans whose phases are good, odd or broken; what
 * may follow a document.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/hostplan.h"
#include "core/json.h"

/*
 * @text through fp_json_text_skip and through fp_json_text: the same return
 * and, on success, the same members but "phases", on failure the same
 * message. Returns the skipping parse's object (or NULL) for more checks.
 */
static struct json_object *both(const char *text)
{
	struct json_object *s = NULL, *w = NULL;
	struct fp_err es = { 0 }, ew = { 0 };
	int rs, rw;

	rs = fp_json_text_skip(text, strlen(text), "t", "phases", &s, &es);
	rw = fp_json_text(text, strlen(text), "t", &w, &ew);
	if (rs != rw)
		fail_msg("%s: skip %d (%s), whole %d (%s)", text, rs, es.msg, rw, ew.msg);
	if (rs) {
		if (strcmp(es.msg, ew.msg))
			fail_msg("%s: skip says \"%s\", whole \"%s\"", text, es.msg, ew.msg);
		return NULL;
	}
	if (json_object_is_type(s, json_type_object)) {
		json_object_object_del(w, "phases");
		json_object_object_foreach(w, k, v) {
			struct json_object *x;

			if (!json_object_object_get_ex(s, k, &x) || !json_object_equal(x, v))
				fail_msg("%s: member \"%s\" differs", text, k);
		}
	} else if (!json_object_equal(s, w)) {
		fail_msg("%s: documents differ", text);
	}
	json_object_put(w);
	return s;
}

/* phases present and not built: 0 in its place */
static bool skipped(struct json_object *o)
{
	struct json_object *x;

	return o && json_object_object_get_ex(o, "phases", &x) &&
	       json_object_is_type(x, json_type_int) && json_object_get_int(x) == 0;
}

/* The document with a value as "phases": before, between and after other members, alone. */
static const struct {
	const char *pre, *post;
} shapes[] = {
	{ "{\"phases\":", ",\"a\":\"x\",\"b\":[1,{\"c\":null}]}" },
	{ "{ \"a\" : \"x\" ,\n \"phases\" :\t", "\r\n, \"b\": [1, {\"c\": null}] }" },
	{ "{\"a\":\"x\",\"b\":[1,{\"c\":null}],\"phases\":", "}\n" },
	{ "{\"phases\":", "}" },
};

static char *doc(size_t shape, const char *v)
{
	size_t n = strlen(shapes[shape].pre) + strlen(v) + strlen(shapes[shape].post) + 1;
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, "%s%s%s", shapes[shape].pre, v, shapes[shape].post);
	return s;
}

/* Strict JSON values: skipped wherever "phases" stands. */
static void test_skip_strict(void **state)
{
	static const char *const values[] = {
		"0", "-0", "12", "-1.5e-3", "1E+5", "2e9", "0.25",
		"true", "false", "null", "\"\"", "[]", "{}", "[ ]", "{\n\t}",
		"\"}]{[,:\"", "\"say \\\"hi\\\" {\"", "\"\\\\\"", "\"\\\\\\\"]\"",
		"\"a\\\\\\\\\"", "\"\\u00e9\\uD83D\\ude00\\/\\b\\f\\n\\r\\t\"",
		"\"\\ud800 lone\"", "\"\xc3\xa9 raw UTF-8 \xf0\x9f\x98\x80\"",
		/* every hex digit's edge: 0 9 a f A F */
		"\"\\u09af\\u0AF0\\uFFFF\\uffff\"",
		"[[[[[[]]]]]]", "[[1,[2,[3]]],[[]],{}]",
		"[{\"name\": \"]\", \"flows\": [{\"path\": [\"leaf0\", \"spine1\"]}]}]",
		"{\"phases\": {\"phases\": [1]}}", "{\"\": \"\", \"a\\\"b\": 1}",
		"[\"[\", \"{\", \"\\\"\", \"}\", \"]\"]",
		/* 15 containers in the root's one: the deepest skipped */
		"[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]",
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		for (j = 0; j < sizeof(shapes) / sizeof(shapes[0]); j++) {
			char *t = doc(j, values[i]);
			struct json_object *o = both(t);

			if (!skipped(o))
				fail_msg("not skipped: %s", t);
			json_object_put(o);
			free(t);
		}
}

/* No "phases", or one that is not the root's: the document as it is. */
static void test_no_phases(void **state)
{
	static const char *const docs[] = {
		"{}", " {\n} ", "{\"a\":1}", "{\"a\":{\"phases\":[1,2]}}",
		"{\"a\":\"phases\",\"b\":[\"phases\",{\"phases\":1}]}",
		"{\"phase\":[1]}", "{\"phasesx\":[1]}", "{\"Phases\":[1]}",
		"{\"phas\\u0065s\":[1]}",	/* an escaped key is built */
	};
	struct json_object *o, *x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		o = both(docs[i]);
		assert_non_null(o);
		assert_false(json_object_object_get_ex(o, "phases", &x) &&
			     json_object_is_type(x, json_type_int));
		json_object_put(o);
	}
	o = both("{\"a\":{\"phases\":[1,2]}}");
	assert_true(json_object_object_get_ex(o, "a", &x));
	assert_true(json_object_object_get_ex(x, "phases", &x));
	assert_int_equal(json_object_array_length(x), 2);
	json_object_put(o);
}

/* "phases" twice: json-c keeps the last; both skipped. More than 8: built. */
static void test_twice(void **state)
{
	struct json_object *o, *x;

	(void)state;
	o = both("{\"phases\":[1],\"a\":2,\"phases\":{\"b\":\"}\"}}");
	assert_true(skipped(o));
	json_object_put(o);
	o = both("{\"phases\":1,\"phases\":2,\"phases\":3,\"phases\":4,\"phases\":5,"
		 "\"phases\":6,\"phases\":7,\"phases\":8,\"phases\":9}");
	assert_true(json_object_object_get_ex(o, "phases", &x));
	assert_int_equal(json_object_get_int(x), 9);
	json_object_put(o);
}

/*
 * What json-c accepts and strict JSON does not, or nested deeper than the
 * skipper goes: read whole, as before (the member built).
 */
static void test_lenient_whole(void **state)
{
	static const char *const values[] = {
		"[1,]", "{\"a\":1,}", "[01]", "1.", "1e", "[NaN]", "TRUE", "['a']",
		"[/* c */ 1]", "\"tab\there\"", "\"new\nline\"", "[-Infinity]",
		"\"unit\x1fseparator\"",	/* the highest control character */
		"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]",
		/* 16 containers in the root's one: the first too deep */
		"[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]",
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		for (j = 0; j < sizeof(shapes) / sizeof(shapes[0]); j++) {
			char *t = doc(j, values[i]);
			struct json_object *o = both(t);

			assert_non_null(o);
			assert_false(skipped(o));
			json_object_put(o);
			free(t);
		}
	/* Lenient text elsewhere: the phases are built too. */
	{
		struct json_object *o = both("{\"phases\":[1],\"a\":[2,],}");

		assert_non_null(o);
		assert_false(skipped(o));
		json_object_put(o);
	}
}

/* Broken JSON inside "phases" or outside it: json-c's error, where it is. */
static void test_malformed(void **state)
{
	static const char *const values[] = {
		"[1 2]", "{\"a\" 1}", "\"unterminated", "[", "{\"a\":}", "\"\\x\"",
		"\"\\u12g4\"", "\"\\u123g\"", "\"\\u12\"", "tru", "nul", "-", "[1]]", "[1,,2]", "{1:2}",
		"[\"a\" \"b\"]", "[.5]", "[+1]", "{\"a\":[}]", "[\"]\"", "\"\\\"",
		/* deeper than json-c goes */
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		"",
	};
	static const char *const outside[] = {
		"{\"phases\":[1],\"a\":[1 2]}", "{\"phases\":[1]\n,\n\"a\" 2}",
		"{\"phases\":[1]", "{\"phases\":[1]}x", "{\"phases\":[1]}}", "[{\"phases\":1}]x",
		"{\"phases\":[1],}", "", "null", "   ", "{\"phases\"}", "{\"phases\":}",
		/* not a comma after the phases: json-c's error, not one at the gap */
		"{\"phases\":[1];\"a\":2}", "{\"phases\":[1]x\"phases\":[2]}",
	};
	struct json_object *o;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		for (j = 0; j < sizeof(shapes) / sizeof(shapes[0]); j++) {
			char *t = doc(j, values[i]);

			o = both(t);
			if (o)
				fail_msg("accepted: %s", t);
			free(t);
		}
	for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		o = both(outside[i]);
		/* "{\"phases\":[1],}": json-c's trailing comma, read whole */
		if (o) {
			assert_false(skipped(o));
			json_object_put(o);
		}
	}
}

/*
 * Every proper prefix of a document, in a buffer of exactly its length (no
 * NUL after it, so that reading past the end is a sanitizer error): refused
 * by both parses, whatever token it ends in (number, string, escape,
 * literal).
 */
static void test_cut_short(void **state)
{
	static const char full[] = "{\"a\":[-12.5e+3,0,7],\"phases\":[-0.25E-2,\"x\\u0041\\n\","
				   "true,null,{\"f\":false}],\"b\":10}";
	struct json_object *o;
	size_t len;

	(void)state;
	for (len = 1; len < sizeof(full) - 1; len++) {
		struct fp_err err = { 0 };
		char *t = malloc(len);

		assert_non_null(t);
		memcpy(t, full, len);
		o = NULL;
		if (fp_json_text_skip(t, len, "t", "phases", &o, &err) != EINVAL)
			fail_msg("skip: accepted %.*s", (int)len, full);
		if (fp_json_text(t, len, "t", &o, &err) != EINVAL)
			fail_msg("whole: accepted %.*s", (int)len, full);
		free(t);
	}
	o = both(full);
	assert_true(skipped(o));
	json_object_put(o);
}

/* The error says where: line and column in the file as it is. */
static void test_error_place(void **state)
{
	const char *t = "{\"phases\": [\n  {\"a\": \"x\"},\n  {\"b\" 1}\n]}";
	struct json_object *o = NULL;
	struct fp_err err = { 0 };

	(void)state;
	assert_int_equal(fp_json_text_skip(t, strlen(t), "f.json", "phases", &o, &err), EINVAL);
	assert_null(o);
	assert_non_null(strstr(err.msg, "f.json:3:"));
	assert_null(both(t));
}

/* The plan reader: the same entries whatever the phases hold; broken ones refused. */
static const char plan_head[] =
	"{\"format\": \"flowplan-plan\", \"version\": 1, \"generation\": 3,\n";
static const char plan_entries[] =
	"\"entries\": [{\"src_addr\": \"198.18.0.1\", \"dst_addr\": \"198.18.0.5\", \"dqpn\": 0,"
	" \"enforce\": false, \"subflows\": [{\"flow_label\": 1, \"sport\": 49153, "
	"\"weight\": 32768}, {\"flow_label\": 2, \"sport\": 49154, \"weight\": 32768}]}]";

static int load(const char *phases, bool first, struct fp_hostplan *hp, struct fp_err *err)
{
	char *t = malloc(strlen(phases) + 1024);
	int ret;

	assert_non_null(t);
	if (!*phases)
		sprintf(t, "%s%s}", plan_head, plan_entries);
	else if (first)
		sprintf(t, "%s\"phases\": %s,\n%s}", plan_head, phases, plan_entries);
	else
		sprintf(t, "%s%s,\n\"phases\": %s}", plan_head, plan_entries, phases);
	ret = fp_hostplan_parse(t, strlen(t), "p.json", hp, err);
	free(t);
	return ret;
}

static void test_planfile(void **state)
{
	static const char *const good[] = {
		"", "[]", "[{\"name\": \"ring\", \"method\": \"exact\", \"max_link_load\": 0.0859,"
		" \"flows\": [{\"src\": \"h0.n0\", \"dst\": \"h1.n0\", \"bytes\": 1073741824,"
		" \"subflows\": [{\"bytes\": 536870912, \"flow_label\": 1, \"sport\": 49153,"
		" \"path\": [\"leaf0\", \"spine1\", \"leaf1\"]}]}],"
		" \"links\": [{\"from\": \"leaf0\", \"to\": \"spine1\", \"gbps\": 100,"
		" \"bytes\": 536870912, \"load\": 0.0429}]}]",
		"[{\"name\": \"}]\\\"entries\\\": [\", \"entries\": 5}]",
		"{\"entries\": \"not the plan's\"}", "[1,]",
	};
	static const char *const bad[] = {
		"[{\"name\": \"ring\" \"method\": 1}]", "[", "[\"unterminated]",
		"[{\"a\": [1, 2}]", "[\"\\q\"]",
	};
	struct fp_hostplan hp;
	struct fp_err err;
	size_t i;
	int f;

	(void)state;
	for (f = 0; f < 2; f++) {
		for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			if (load(good[i], f, &hp, &err))
				fail_msg("%s: %s", good[i], err.msg);
			assert_int_equal(hp.n, 1);
			assert_int_equal(hp.generation, 3);
			assert_int_equal(hp.e[0].nsub, 2);
			assert_int_equal(hp.e[0].sub[1].flow_label, 2);
			fp_hostplan_free(&hp);
		}
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(load(bad[i], f, &hp, &err), EINVAL);
			assert_int_equal(hp.n, 0);
			/* "p.json:LINE:COL: what" */
			if (strncmp(err.msg, "p.json:", 7) || !strchr(err.msg + 7, ':'))
				fail_msg("%s: %s", bad[i], err.msg);
		}
	}
}

/*
 * What may follow the document: whitespace, and NULs (a length that counts
 * a C string's terminator); the error says where the first other byte is.
 * A length json-c cannot take is refused.
 */
static void test_tail(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		const char *says;		/* NULL: accepted */
	} cases[] = {
		{ "{} \t\r\n", 6, NULL },
		{ "{}\0", 3, NULL },
		{ "{}\n\0\0", 5, NULL },
		{ "{}  x", 5, "t:1:5: unexpected text after the document" },
		{ "{}\0x", 4, "t:1:4: unexpected text after the document" },
		{ "{}\n\n\tx", 6, "t:3:2: unexpected text after the document" },
	};
	struct json_object *o;
	struct fp_err err;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = NULL;
		ret = fp_json_text(cases[i].text, cases[i].len, "t", &o, &err);
		if (!cases[i].says) {
			if (ret)
				fail_msg("case %zu: %s", i, err.msg);
			json_object_put(o);
			continue;
		}
		assert_int_equal(ret, EINVAL);
		assert_null(o);
		assert_string_equal(err.msg, cases[i].says);
	}
	/* never read: the length is refused before json-c sees the text */
	assert_int_equal(fp_json_text("{}", (size_t)INT32_MAX + 1, "t", &o, &err), EFBIG);
	assert_string_equal(err.msg, "t: 2147483648 bytes, more than a JSON document may have here");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skip_strict),
		cmocka_unit_test(test_no_phases),
		cmocka_unit_test(test_twice),
		cmocka_unit_test(test_lenient_whole),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_error_place),
		cmocka_unit_test(test_planfile),
		cmocka_unit_test(test_tail),
	};

	return cmocka_run_group_tests_name("core_json", tests, NULL, NULL);
}
