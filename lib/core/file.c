// SPDX-License-Identifier: MIT
/* file.c - read a regular file whole, within a size limit. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"

int fp_file_read(const char *path, size_t max, char **buf, size_t *len,
		 struct fp_err *err)
{
	size_t cap, n = 0;
	struct stat st;
	char *b, *nb;
	ssize_t r;
	int fd, ret;

	/* O_NONBLOCK: opening a FIFO with no writer must not hang. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return fp_fail(err, errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		ret = fp_fail(err, errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = fp_fail(err, EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		ret = fp_fail(err, EFBIG, "%s: %lld bytes, larger than the limit of %zu",
			      path, (long long)st.st_size, max);
		goto out;
	}
	/* One byte more than the size, to see a file that grew. */
	cap = (size_t)st.st_size + 1;
	b = malloc(cap + 1);
	if (!b) {
		ret = fp_fail(err, ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(b);
				ret = fp_fail(err, EFBIG, "%s: larger than the limit of %zu bytes",
					      path, max);
				goto out;
			}
			cap = cap > max / 2 ? max + 1 : cap * 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				ret = fp_fail(err, ENOMEM, "%s: out of memory", path);
				goto out;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = errno;
			free(b);
			fp_fail(err, ret, "%s: read error: %s", path, strerror(ret));
			goto out;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		free(b);
		ret = fp_fail(err, EFBIG, "%s: larger than the limit of %zu bytes", path, max);
		goto out;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	ret = 0;
out:
	close(fd);
	return ret;
}
