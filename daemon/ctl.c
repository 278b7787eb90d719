// SPDX-License-Identifier: MIT
/*
 * ctl.c - the control socket's server side and request parser (ctl.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/err.h"
#include "ctl.h"

struct conn {
	struct fpd_io io;
	struct fpd_ctl *ctl;
	struct conn *next;
	struct ucred cred;
	char in[FPD_CTL_REQ_MAX + 1];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	bool closing;		/* close once the output is written */
};

struct fpd_ctl {
	struct fpd_loop *loop;
	struct fpd_io io;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	fpd_ctl_fn fn;
	void *arg;
	struct conn *conns;
	size_t nconns;
};

static const char *const cmds[] = {
	[FPD_CTL_STATUS] = "status", [FPD_CTL_SHOW] = "show", [FPD_CTL_REPLAN] = "replan",
	[FPD_CTL_PROBE] = "probe",
};

const char *fpd_ctl_cmd_name(enum fpd_ctl_cmd c)
{
	return (size_t)c < sizeof(cmds) / sizeof(cmds[0]) ? cmds[c] : "?";
}

int fpd_ctl_parse(const char *line, size_t len, struct fpd_ctl_req *req,
		  struct fp_err *err)
{
	struct json_tokener *tok;
	json_object *o = NULL, *cmd = NULL;
	int ret = EINVAL;
	size_t i;

	if (len > FPD_CTL_REQ_MAX)
		return fp_fail(err, EINVAL, "request longer than %d bytes", FPD_CTL_REQ_MAX);
	if (memchr(line, 0, len))
		return fp_fail(err, EINVAL, "NUL byte in the request");
	tok = json_tokener_new_ex(16);
	if (!tok)
		return fp_fail(err, ENOMEM, "out of memory");
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		fp_fail(err, EINVAL, "request is not JSON: %s",
		     je == json_tokener_continue ? "unexpected end" :
		     json_tokener_error_desc(je));
		goto out;
	}
	for (i = (size_t)json_tokener_get_parse_end(tok); i < len; i++) {
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
			fp_fail(err, EINVAL, "request has text after its JSON object");
			goto out;
		}
	}
	if (!json_object_is_type(o, json_type_object)) {
		fp_fail(err, EINVAL, "request must be a JSON object");
		goto out;
	}
	{
		json_object_object_foreach(o, k, v) {
			(void)v;
			if (strcmp(k, "cmd")) {
				fp_fail(err, EINVAL, "request: unknown key '%.64s'", k);
				goto out;
			}
		}
	}
	if (!json_object_object_get_ex(o, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		fp_fail(err, EINVAL, "request: \"cmd\" must be a string");
		goto out;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(json_object_get_string(cmd), cmds[i])) {
			req->cmd = (enum fpd_ctl_cmd)i;
			ret = 0;
			goto out;
		}
	}
	fp_fail(err, EINVAL, "request: unknown command '%.64s' (status, show, replan, probe)",
	     json_object_get_string(cmd));
out:
	json_object_put(o);
	json_tokener_free(tok);
	return ret;
}

/* ------------------------------------------------------------ server */

static void conn_free(struct conn *c)
{
	struct fpd_ctl *ctl = c->ctl;
	struct conn **pp;

	for (pp = &ctl->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ctl->nconns--;
	fpd_io_del(&c->io);
	close(c->io.fd);
	free(c->out);
	free(c);
}

static int queue(struct conn *c, json_object *resp)
{
	const char *s = json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN);
	size_t n = strlen(s);
	char *o;

	o = realloc(c->out, c->outlen + n + 1);
	if (!o)
		return ENOMEM;
	memcpy(o + c->outlen, s, n);
	o[c->outlen + n] = '\n';
	c->out = o;
	c->outlen += n + 1;
	return 0;
}

static void answer(struct conn *c, const char *line, size_t len)
{
	struct fp_err err = { "" };
	struct fpd_ctl_req req;
	json_object *resp = NULL;

	if (len && line[len - 1] == '\r')
		len--;
	if (fpd_ctl_parse(line, len, &req, &err)) {
		c->closing = true;
	} else {
		resp = c->ctl->fn(c->ctl->arg, &req, &c->cred, &err);
		if (!resp && !err.msg[0])
			snprintf(err.msg, sizeof(err.msg), "%s failed", fpd_ctl_cmd_name(req.cmd));
	}
	if (resp) {
		json_object_object_add(resp, "ok", json_object_new_boolean(1));
	} else {
		resp = json_object_new_object();
		json_object_object_add(resp, "ok", json_object_new_boolean(0));
		json_object_object_add(resp, "error", json_object_new_string(err.msg));
	}
	if (queue(c, resp))
		c->closing = true;
	json_object_put(resp);
}

static void conn_io(struct fpd_io *io, uint32_t events)
{
	struct conn *c = io->arg;
	ssize_t r;

	if (events & EPOLLIN && !c->closing) {
		for (;;) {
			char *nl;

			r = read(io->fd, c->in + c->inlen, FPD_CTL_REQ_MAX + 1 - c->inlen);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN)
				break;
			if (r <= 0) {
				/* the peer is done: answer what it sent, then close */
				if (c->inlen)
					answer(c, c->in, c->inlen);
				c->closing = true;
				break;
			}
			c->inlen += (size_t)r;
			while ((nl = memchr(c->in, '\n', c->inlen)) && !c->closing) {
				size_t len = (size_t)(nl - c->in);

				answer(c, c->in, len);
				memmove(c->in, nl + 1, c->inlen - len - 1);
				c->inlen -= len + 1;
			}
			if (c->closing)
				break;
			if (c->inlen > FPD_CTL_REQ_MAX) {
				answer(c, c->in, c->inlen);	/* the parser says why */
				c->closing = true;
				break;
			}
		}
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		c->closing = true;
		c->outlen = c->outoff = 0;
	}
	while (c->outoff < c->outlen) {
		r = send(io->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			conn_free(c);
			return;
		}
		c->outoff += (size_t)r;
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		if (c->closing) {
			conn_free(c);
			return;
		}
	}
	fpd_io_mod(io, (c->closing ? 0 : EPOLLIN) |
		   (c->outlen ? EPOLLOUT : 0));
}

static void ctl_accept(struct fpd_io *io, uint32_t events)
{
	struct fpd_ctl *ctl = io->arg;
	socklen_t cl;
	struct conn *c;
	int fd;

	(void)events;
	for (;;) {
		fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (ctl->nconns >= FPD_CTL_CONNS_MAX) {
			static const char busy[] =
				"{\"ok\":false,\"error\":\"too many control connections\"}\n";

			/* if this fails there is nothing more to tell it */
			(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->ctl = ctl;
		cl = sizeof(c->cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &cl)) {
			c->cred.uid = (uid_t)-1;
			c->cred.pid = 0;
		}
		if (fpd_io_add(ctl->loop, &c->io, fd, EPOLLIN, conn_io, c)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = ctl->conns;
		ctl->conns = c;
		ctl->nconns++;
	}
}

/* Is a daemon answering on @path? */
static bool alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool yes;

	if (fd < 0)
		return false;
	yes = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return yes;
}

static int mkparent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return errno;
	return 0;
}

struct fpd_ctl *fpd_ctl_open(struct fpd_loop *l, const char *path,
			     fpd_ctl_fn fn, void *arg, struct fp_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fpd_ctl *c;
	struct stat st;
	int fd = -1, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = fp_fail(err, ENAMETOOLONG, "%s: longer than a socket path may be", path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c) {
		errno = fp_fail(err, ENOMEM, "out of memory");
		return NULL;
	}
	strcpy(c->path, path);
	c->loop = l;
	c->fn = fn;
	c->arg = arg;
	ret = mkparent(path);
	if (ret) {
		fp_fail(err, ret, "%s: cannot create its directory: %s", path, strerror(ret));
		goto fail;
	}
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			ret = fp_fail(err, EEXIST, "%s: exists and is not a socket", path);
			goto fail;
		}
		if (alive(&sa)) {
			ret = fp_fail(err, EADDRINUSE, "%s: another flowpland answers there", path);
			goto fail;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0666) || listen(fd, 16)) {
		ret = errno;
		fp_fail(err, ret, "%s: %s", path, strerror(ret));
		goto fail;
	}
	ret = fpd_io_add(l, &c->io, fd, EPOLLIN, ctl_accept, c);
	if (ret) {
		fp_fail(err, ret, "%s: %s", path, strerror(ret));
		goto fail;
	}
	return c;
fail:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(c);
	errno = ret;
	return NULL;
}

size_t fpd_ctl_conns(const struct fpd_ctl *c)
{
	return c->nconns;
}

void fpd_ctl_close(struct fpd_ctl *c)
{
	if (!c)
		return;
	while (c->conns)
		conn_free(c->conns);
	fpd_io_del(&c->io);
	close(c->io.fd);
	unlink(c->path);
	free(c);
}
