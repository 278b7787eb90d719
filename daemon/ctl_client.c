// SPDX-License-Identifier: MIT
/*
 * ctl_client.c - the client side of the control socket (ctl.h):
 * `flowplanctl daemon show|status|replan`. The JSON answer is printed as
 * it is with -j, or read out for people.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "conf.h"
#include "ctl.h"

int fpd_ctl_request(const char *path, const char *cmd, json_object **resp,
		    struct fp_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_object *req, *ok = NULL, *why = NULL;
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	const char *s;
	int fd, ret;
	ssize_t r;

	*resp = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return fp_fail(err, ENAMETOOLONG, "%s: longer than a socket path may be", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fp_fail(err, errno, "socket: %s", strerror(errno));
	/* a daemon that does not answer must not hang the CLI */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = 10 },
		   sizeof(struct timeval));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = errno;
		close(fd);
		if (ret == ENOENT || ret == ECONNREFUSED)
			return fp_fail(err, ret, "flowpland is not running (no answer on %s)", path);
		return fp_fail(err, ret, "%s: %s", path, strerror(ret));
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	ret = 0;
	if (write(fd, s, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		ret = fp_fail(err, errno ? errno : EIO, "%s: write: %s", path, strerror(errno));
	json_object_put(req);
	len = 0;
	while (!ret) {
		if (len == cap) {
			if (cap >= FPD_CTL_RESP_MAX) {
				ret = fp_fail(err, EPROTO, "%s: answer longer than %u bytes", path,
					   FPD_CTL_RESP_MAX);
				break;
			}
			cap = cap ? 2 * cap : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = fp_fail(err, ENOMEM, "out of memory");
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ret = fp_fail(err, ETIMEDOUT, "%s: the daemon did not answer within 10 s", path);
			break;
		}
		if (r < 0) {
			ret = fp_fail(err, errno, "%s: read: %s", path, strerror(errno));
			break;
		}
		if (r == 0) {
			ret = fp_fail(err, EPROTO, "%s: the daemon closed without answering", path);
			break;
		}
		len += (size_t)r;
		if (memchr(buf + len - (size_t)r, '\n', (size_t)r))
			break;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*resp = json_tokener_parse(buf);	/* stops at the newline */
	free(buf);
	if (!*resp || !json_object_is_type(*resp, json_type_object) ||
	    !json_object_object_get_ex(*resp, "ok", &ok)) {
		json_object_put(*resp);
		*resp = NULL;
		return fp_fail(err, EPROTO, "%s: the daemon's answer is not understood", path);
	}
	if (!json_object_get_boolean(ok)) {
		json_object_object_get_ex(*resp, "error", &why);
		fp_fail(err, EINVAL, "flowpland: %s", why ? json_object_get_string(why) : "failed");
		ret = why && strstr(json_object_get_string(why), "permission") ? EPERM : EINVAL;
		json_object_put(*resp);
		*resp = NULL;
		return ret;
	}
	return 0;
}

/* ------------------------------------------------------- human output */

static json_object *get(json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - path) : (int)strlen(path), path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path = dot ? dot + 1 : NULL;
	}
	return o;
}

static int64_t gi(json_object *o, const char *path)
{
	return json_object_get_int64(get(o, path));
}

static double gd(json_object *o, const char *path)
{
	return json_object_get_double(get(o, path));
}

static const char *gs(json_object *o, const char *path)
{
	json_object *v = get(o, path);

	return v ? json_object_get_string(v) : "";
}

static void bytes(char *buf, size_t n, uint64_t b)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double x = (double)b;
	int i = 0;

	while (x >= 1024 && i < 4) {
		x /= 1024;
		i++;
	}
	snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", x, u[i]);
}

static void print_status(json_object *r)
{
	int64_t up = gi(r, "uptime_s");
	json_object *gen = get(r, "plan.generation");

	printf("flowpland: running (pid %" PRId64 ", up %" PRId64 "h%02" PRId64 "m%02" PRId64
	       "s), mode %s\n", gi(r, "pid"), up / 3600, up / 60 % 60, up % 60, gs(r, "mode"));
	if (json_object_get_boolean(get(r, "module.loaded")))
		printf("module: loaded, generation %" PRId64 ", %" PRId64 " entries\n",
		       gi(r, "module.generation"), gi(r, "module.entries"));
	else
		printf("module: not loaded\n");
	(void)gen;
	if (get(r, "plan.entries"))
		printf("plan: from %s, %" PRId64 " entries, max load %.4g s (bound %.4g s, %.2fx), %s\n",
		       gs(r, "plan.source"), gi(r, "plan.entries"), gd(r, "plan.max_load"),
		       gd(r, "plan.lower_bound"), gd(r, "plan.ratio"),
		       json_object_get_boolean(get(r, "plan.installed")) ? "installed" :
		       "not installed");
	if (get(r, "plan.why"))
		printf("plan: %s\n", gs(r, "plan.why"));
	printf("re-plans: %" PRId64 ", last event to install %.3f ms\n", gi(r, "replans"),
	       gd(r, "last_latency_ms"));
	printf("jobs: %" PRId64 " seen, %" PRId64 " with a cycle; report rings: %" PRId64,
	       gi(r, "jobs.seen"), gi(r, "jobs.cycles"), gi(r, "rings"));
	if (gi(r, "rings_denied"))
		printf(" (%" PRId64 " more it may not read)", gi(r, "rings_denied"));
	printf("; suspected faults: %" PRId64 "\n", gi(r, "faults_now"));
	printf("port map: %" PRId64 " ports", gi(r, "portmap.ports"));
	if (!json_object_get_boolean(get(r, "probe.on")))
		printf("; probing off\n");
	else if (!get(r, "probe.last"))
		printf("; %s\n", json_object_get_boolean(get(r, "probe.running")) ?
		       "first probe under way" : "not probed yet");
	else if (!json_object_get_boolean(get(r, "probe.last.ok")))
		printf("; last probe failed: %s\n", gs(r, "probe.last.why"));
	else
		printf("; last probe %" PRId64 " of %" PRId64 " pairs resolved in %.1f s, %" PRId64
		       " ports moved%s\n", gi(r, "probe.last.resolved"), gi(r, "probe.last.pairs"),
		       gd(r, "probe.last.seconds"), gi(r, "probe.last.moved"),
		       json_object_get_boolean(get(r, "probe.running")) ? "; probing again" : "");
}

static void print_show(json_object *r)
{
	json_object *a;
	size_t i, k, m;
	char b[32];

	print_status(r);
	a = get(r, "cycles");
	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *c = json_object_array_get_idx(a, i), *ph = get(c, "phases");

		bytes(b, sizeof(b), (uint64_t)gi(c, "bytes"));
		printf("job %s: %" PRId64 " phases every %.1f ms, %s per iteration\n",
		       gs(c, "job"), gi(c, "period"), gd(c, "period_ms"), b);
		for (k = 0; ph && k < json_object_array_length(ph); k++) {
			json_object *p = json_object_array_get_idx(ph, k), *fl = get(p, "flows");

			printf("  phase %zu", k);
			if (gi(p, "steps") > 1)
				printf(" (x%" PRId64 ")", gi(p, "steps"));
			printf(":");
			for (m = 0; fl && m < json_object_array_length(fl); m++) {
				json_object *f = json_object_array_get_idx(fl, m);

				bytes(b, sizeof(b), (uint64_t)gi(f, "bytes"));
				printf(" %s->%s %s%s", gs(f, "src"), gs(f, "dst"), b,
				       m + 1 < json_object_array_length(fl) ? "," : "");
			}
			printf("\n");
		}
	}
	a = get(r, "faults");
	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *f = json_object_array_get_idx(a, i), *l = get(f, "links");

		printf("suspected fault:");
		for (k = 0; l && k < json_object_array_length(l); k++)
			printf("%s %s", k ? " or" : "", json_object_get_string(
				json_object_array_get_idx(l, k)));
		printf(" (%" PRId64 " stalled subflows)\n", gi(f, "subflows"));
	}
	a = get(r, "events");
	if (a && json_object_array_length(a))
		printf("recent events:\n");
	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		time_t t = (time_t)(gi(e, "time_ms") / 1000);
		struct tm tm;
		char ts[32];

		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		printf("  %s.%03d %s: %s\n", ts, (int)(gi(e, "time_ms") % 1000), gs(e, "kind"),
		       gs(e, "text"));
	}
}

static int match(const char *arg, const char *word)
{
	return *arg && !strncmp(arg, word, strlen(arg));
}

static const char *const cli_cmds[] = { "status", "show", "replan", "probe" };

static void cli_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage:\n");
	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		fprintf(f, "  flowplanctl daemon %s\n", cli_cmds[i]);
	fprintf(f, "  (-j: the daemon's JSON; socket PATH before the command: another daemon)\n");
}

int fpd_ctl_cli(int argc, char **argv, const char *sock, bool json, bool pretty)
{
	const char *cmd = "status";
	struct fp_err err = { "" };
	json_object *r;
	size_t i;

	if (argc > 1) {
		fprintf(stderr, "flowplanctl daemon: one command at most (show, status, replan, probe)\n");
		return 1;
	}
	if (argc == 1) {
		if (!strcmp(argv[0], "help")) {
			cli_usage(stdout);
			return 0;
		}
		for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
			if (match(argv[0], cli_cmds[i]))
				break;
		/* "s" is status, the default */
		if (i == sizeof(cli_cmds) / sizeof(cli_cmds[0])) {
			fprintf(stderr, "flowplanctl daemon: unknown command '%s' (show, status, replan, probe)\n",
				argv[0]);
			return 1;
		}
		cmd = cli_cmds[i];
	}
	if (fpd_ctl_request(sock ? sock : FPD_SOCKET_PATH, cmd, &r, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (json) {
		json_object_object_del(r, "ok");
		printf("%s\n", json_object_to_json_string_ext(r, pretty ?
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN));
	} else if (!strcmp(cmd, "show")) {
		print_show(r);
	} else if (!strcmp(cmd, "status")) {
		print_status(r);
	} else if (!strcmp(cmd, "probe")) {
		printf("probing: %" PRId64 " probes so far, the result in status when it ends\n",
		       gi(r, "probe.runs"));
	} else {
		printf("re-planned: generation %" PRId64 "\n", gi(r, "plan.generation"));
	}
	json_object_put(r);
	return 0;
}
