/* SPDX-License-Identifier: MIT */
/*
 * core/file.h - reading an input file whole, within a size limit.
 *
 * Only regular files: a FIFO, a device (/dev/zero) or a directory is refused
 * with EINVAL before anything is read, and opening never blocks. A file
 * larger than @max bytes, or one that grows past it while being read, is
 * refused with EFBIG; nothing is silently cut.
 */
#ifndef FP_CORE_FILE_H
#define FP_CORE_FILE_H

#include <stddef.h>

#include "core/err.h"

/*
 * fp_file_read - the contents of @path, NUL-terminated, in a malloc'd
 * buffer. 0, or an errno value with @err saying "PATH: why".
 */
int fp_file_read(const char *path, size_t max, char **buf, size_t *len,
		 struct fp_err *err);

#endif
