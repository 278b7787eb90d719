/* SPDX-License-Identifier: MIT */
/*
 * test_core_tmpdir.h - a scratch directory per cmocka group, for the tests
 * of the core and of libflowplan: test_dir is made by the group setup and
 * removed with what it holds by the group teardown; test_file() writes a
 * file into it.
 */
#ifndef TEST_CORE_TMPDIR_H
#define TEST_CORE_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

static char test_dir[64];

static int tmpdir_setup(void **state)
{
	(void)state;
	snprintf(test_dir, sizeof(test_dir), "/tmp/fp-test-XXXXXX");
	return mkdtemp(test_dir) ? 0 : -1;
}

static int tmpdir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
	return system(cmd);
}

/* @text into TEST_DIR/@name; the path (static), or NULL. */
static inline const char *test_file(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_dir, name);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

#endif
