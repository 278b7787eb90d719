// SPDX-License-Identifier: MIT
/*
 * conf.c - the configuration file (conf.h): one table of keys, one parser.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "core/err.h"
#include "conf.h"

enum type { T_STR, T_BOOL, T_UINT, T_SIZE, T_DUR, T_DOUBLE, T_MODE, T_LOG, T_LISTEN, T_SOCK };

struct key {
	const char *sect, *name;
	enum type type;
	size_t off, size;
	double min, max;	/* numbers: the range allowed */
};

#define F(field) .off = offsetof(struct fpd_conf, field), .size = sizeof(((struct fpd_conf *)0)->field)

static const struct key keys[] = {
	{ "daemon", "mode", T_MODE, F(mode), 0, 0 },
	{ "daemon", "socket", T_SOCK, F(socket), 0, 0 },
	{ "daemon", "metrics", T_LISTEN, F(metrics), 0, 0 },
	{ "daemon", "log_level", T_LOG, F(log_level), 0, 0 },
	{ "fabric", "topology", T_STR, F(topology), 0, 0 },
	{ "fabric", "portmap", T_STR, F(portmap), 0, 0 },
	{ "fabric", "local_addrs", T_STR, F(local_addrs), 0, 0 },
	{ "plan", "schedule", T_STR, F(schedule), 0, 0 },
	{ "plan", "max_split", T_UINT, F(max_split), 1, 16 },
	{ "plan", "enforce", T_BOOL, F(enforce), 0, 0 },
	{ "plan", "holddown", T_DUR, F(holddown_ns), 0, 3600e9 },
	{ "observe", "report_dir", T_STR, F(report_dir), 0, 0 },
	{ "observe", "report_interval", T_DUR, F(report_interval_ns), 1e6, 60e9 },
	{ "observe", "phase_window", T_DUR, F(window_ns), 1e3, 10e9 },
	{ "observe", "settle", T_DUR, F(settle_ns), 0, 600e9 },
	{ "observe", "confirm", T_DUR, F(confirm_ns), 0, 3600e9 },
	{ "observe", "idle", T_DUR, F(idle_ns), 0, 86400e9 },
	{ "observe", "min_bytes", T_SIZE, F(min_bytes), 0, 1099511627776.0 },
	{ "observe", "max_period", T_UINT, F(max_period), 1, 4096 },
	{ "faults", "counters_interval", T_DUR, F(counters_interval_ns), 0, 3600e9 },
	{ "faults", "slow_ratio", T_DOUBLE, F(slow_ratio), 0.001, 0.999 },
	{ "faults", "intervals", T_UINT, F(fault_intervals), 1, 1000 },
	{ "faults", "min_bytes", T_SIZE, F(fault_min_bytes), 0, 1099511627776.0 },
	{ "cluster", "servers", T_STR, F(servers), 0, 0 },
	{ "cluster", "host", T_STR, F(host), 0, 0 },
	{ "cluster", "name", T_STR, F(name), 0, 0 },
	{ "cluster", "bucket", T_STR, F(bucket), 0, 0 },
	{ "cluster", "prefix", T_STR, F(prefix), 0, 0 },
	{ "cluster", "replicas", T_UINT, F(replicas), 1, 5 },
	{ "cluster", "user", T_STR, F(user), 0, 0 },
	{ "cluster", "password_file", T_STR, F(password_file), 0, 0 },
	{ "cluster", "nkey_seed", T_STR, F(nkey_seed), 0, 0 },
	{ "cluster", "tls_ca", T_STR, F(tls_ca), 0, 0 },
	{ "cluster", "tls_cert", T_STR, F(tls_cert), 0, 0 },
	{ "cluster", "tls_key", T_STR, F(tls_key), 0, 0 },
	{ "cluster", "lease", T_DUR, F(lease_ns), 300e6, 600e9 },
	{ "cluster", "resync", T_DUR, F(resync_ns), 0, 86400e9 },
	{ "cluster", "summary_interval", T_DUR, F(summary_ns), 0, 86400e9 },
	{ "cluster", "table", T_STR, F(table), 0, 0 },
	{ "probe", "routers", T_STR, F(routers), 0, 0 },
	{ "probe", "interval", T_DUR, F(probe_interval_ns), 0, 86400e9 },
	{ "probe", "ports", T_UINT, F(probe_ports), 1, 0x3fff },
	{ "probe", "per_path", T_UINT, F(probe_per_path), 1, 1000 },
	{ "probe", "rate", T_UINT, F(probe_rate), 1, 100000 },
	{ "probe", "deadline", T_DUR, F(probe_deadline_ns), 1e9, 86400e9 },
	{ "probe", "state", T_STR, F(probe_state), 0, 0 },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void fpd_conf_default(struct fpd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = FPD_MODE_LOCAL;
	strcpy(c->socket, FPD_SOCKET_PATH);
	strcpy(c->metrics, "127.0.0.1:9464");
	c->log_level = LOG_INFO;
	c->max_split = 8;
	c->enforce = false;
	c->holddown_ns = 1000000000ull;
	strcpy(c->report_dir, "/dev/shm");
	c->report_interval_ns = 250000000ull;
	c->window_ns = 1000000ull;
	c->settle_ns = 1000000000ull;
	c->confirm_ns = 1000000000ull;
	c->idle_ns = 0;
	c->min_bytes = 4096;
	c->max_period = 64;
	c->counters_interval_ns = 1000000000ull;
	c->slow_ratio = 0.1;
	c->fault_intervals = 3;
	c->fault_min_bytes = 1 << 20;
	strcpy(c->servers, "nats://127.0.0.1:4222");
	strcpy(c->bucket, "flowplan");
	strcpy(c->prefix, "fp");
	c->replicas = 3;
	c->lease_ns = 3000000000ull;
	c->resync_ns = 30000000000ull;
	c->summary_ns = 10000000000ull;
	c->probe_interval_ns = 600000000000ull;
	c->probe_ports = 32;
	c->probe_per_path = 2;
	c->probe_rate = 200;
	c->probe_deadline_ns = 60000000000ull;
	strcpy(c->probe_state, "/var/lib/flowpland/portmap");
}

const char *fpd_mode_name(enum fpd_mode_kind m)
{
	switch (m) {
	case FPD_MODE_LOCAL:
		return "local";
	case FPD_MODE_AGENT:
		return "agent";
	case FPD_MODE_PLANNER:
		return "planner";
	}
	return "?";
}

static const char *const levels[] = {
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/* "123", "1.5" with a suffix from @units (name, factor), whole result <= max */
struct unit {
	const char *name;
	double f;
};

static const struct unit dur_units[] = {
	{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 },
	{ "", 1e9 }, { NULL, 0 },
};
static const struct unit size_units[] = {
	{ "K", 1024.0 }, { "M", 1048576.0 }, { "G", 1073741824.0 },
	{ "T", 1099511627776.0 }, { "", 1 }, { NULL, 0 },
};

static int number(const char *v, const struct unit *u, double *out)
{
	char *end;
	double x;

	char num[64];
	size_t n = 0;

	/* digits [. digits] [e [sign] digits]: no hex, inf, nan or signs */
	while (isdigit((unsigned char)v[n]))
		n++;
	if (!n)
		return EINVAL;
	if (v[n] == '.')
		for (n++; isdigit((unsigned char)v[n]); n++)
			;
	if ((v[n] == 'e' || v[n] == 'E') &&
	    (isdigit((unsigned char)v[n + 1]) ||
	     ((v[n + 1] == '-' || v[n + 1] == '+') && isdigit((unsigned char)v[n + 2])))) {
		for (n += 2; isdigit((unsigned char)v[n]); n++)
			;
	}
	if (n >= sizeof(num))
		return EINVAL;
	memcpy(num, v, n);
	num[n] = 0;
	errno = 0;
	x = strtod(num, &end);
	if (errno || *end || x != x || x > 1e300)
		return EINVAL;
	end = (char *)v + n;
	if (!u) {
		if (*end)
			return EINVAL;
		*out = x;
		return 0;
	}
	for (; u->name; u++) {
		if (!strcmp(end, u->name)) {
			*out = x * u->f;
			return 0;
		}
	}
	return EINVAL;
}

static bool boolean(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcmp(v, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6), port 1..65535. */
static bool listen_ok(const char *v)
{
	char host[64], *colon, *end;
	unsigned char buf[16];
	unsigned long port;
	const char *h = v;
	size_t hl;

	colon = strrchr(v, ':');
	if (!colon)
		return false;
	hl = (size_t)(colon - v);
	if (hl >= sizeof(host))
		return false;
	if (v[0] == '[') {
		if (hl < 2 || v[hl - 1] != ']')
			return false;
		h = v + 1;
		hl -= 2;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	if (!colon[1] || !isdigit((unsigned char)colon[1]))
		return false;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return false;
	return inet_pton(v[0] == '[' ? AF_INET6 : AF_INET, host, buf) == 1;
}

static int set(struct fpd_conf *c, const struct key *k, const char *v,
	       const char *where, struct fp_err *err)
{
	char *p = (char *)c + k->off;
	double x;
	size_t i;

	switch (k->type) {
	case T_STR:
	case T_SOCK:
		if (strlen(v) >= k->size)
			return fp_fail(err, EINVAL, "%s: %s is %zu bytes long, at most %zu allowed",
				    where, k->name, strlen(v), k->size - 1);
		if (k->type == T_SOCK && v[0] != '/')
			return fp_fail(err, EINVAL, "%s: socket must be an absolute path", where);
		memset(p, 0, k->size);
		strcpy(p, v);
		return 0;
	case T_LISTEN:
		memset(p, 0, k->size);
		if (!strcmp(v, "off"))
			return 0;
		if (strlen(v) >= k->size || !listen_ok(v))
			return fp_fail(err, EINVAL,
				    "%s: metrics must be off, ADDR:PORT or [ADDR6]:PORT, not '%s'",
				    where, v);
		strcpy(p, v);
		return 0;
	case T_BOOL:
		if (!boolean(v, (bool *)p))
			return fp_fail(err, EINVAL, "%s: %s must be yes or no, not '%s'",
				    where, k->name, v);
		return 0;
	case T_MODE:
		for (i = FPD_MODE_LOCAL; i <= FPD_MODE_PLANNER; i++) {
			if (!strcmp(v, fpd_mode_name((enum fpd_mode_kind)i))) {
				*(enum fpd_mode_kind *)p = (enum fpd_mode_kind)i;
				return 0;
			}
		}
		return fp_fail(err, EINVAL, "%s: mode must be local, agent or planner, not '%s'",
			    where, v);
	case T_LOG:
		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
			if (levels[i] && !strcmp(v, levels[i])) {
				*(int *)p = (int)i;
				return 0;
			}
		}
		return fp_fail(err, EINVAL,
			    "%s: log_level must be err, warning, notice, info or debug, not '%s'",
			    where, v);
	case T_UINT:
	case T_SIZE:
	case T_DUR:
	case T_DOUBLE:
		if (number(v, k->type == T_DUR ? dur_units :
			      k->type == T_SIZE ? size_units : NULL, &x))
			return fp_fail(err, EINVAL, "%s: %s: '%s' is not a %s", where, k->name, v,
				    k->type == T_DUR ? "duration (e.g. 250ms, 2s)" :
				    k->type == T_SIZE ? "size (e.g. 64K, 1M)" : "number");
		if (x < k->min || x > k->max)
			return fp_fail(err, ERANGE, "%s: %s = %s is out of range (%g to %g%s)",
				    where, k->name, v,
				    k->type == T_DUR ? k->min / 1e9 : k->min,
				    k->type == T_DUR ? k->max / 1e9 : k->max,
				    k->type == T_DUR ? " s" : k->type == T_SIZE ? " bytes" : "");
		if (k->type == T_DOUBLE) {
			*(double *)p = x;
		} else if (k->type == T_UINT) {
			if (x != (double)(unsigned int)x)
				return fp_fail(err, EINVAL, "%s: %s must be a whole number, not '%s'",
					    where, k->name, v);
			*(unsigned int *)p = (unsigned int)x;
		} else {
			if (x != (double)(uint64_t)x)
				return fp_fail(err, EINVAL, "%s: %s must be a whole number of %s, not '%s'",
					    where, k->name,
					    k->type == T_SIZE ? "bytes" : "nanoseconds", v);
			*(uint64_t *)p = (uint64_t)x;
		}
		return 0;
	}
	return EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

int fpd_conf_parse(const char *text, size_t len, const char *name,
		   struct fpd_conf *out, struct fp_err *err)
{
	bool seen[NKEYS] = { false };
	char sect[32] = "", line[4096], where[300];
	struct fpd_conf c = *out;
	size_t pos = 0, lineno = 0;
	int ret;

	if (len > FPD_CONF_MAX)
		return fp_fail(err, EFBIG, "%s: %zu bytes, larger than the %d a configuration may have",
			    name, len, FPD_CONF_MAX);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos, i;
		char *s, *eq, *key, *val;

		lineno++;
		snprintf(where, sizeof(where), "%s:%zu", name, lineno);
		if (ll >= sizeof(line))
			return fp_fail(err, EINVAL, "%s: line longer than %zu bytes", where,
				    sizeof(line) - 1);
		memcpy(line, text + pos, ll);
		line[ll] = 0;
		pos += ll + 1;
		if (strlen(line) != ll)
			return fp_fail(err, EINVAL, "%s: NUL byte in the line", where);
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');

			if (!e || e[1] || e - s - 1 <= 0 || (size_t)(e - s - 1) >= sizeof(sect))
				return fp_fail(err, EINVAL, "%s: a section line is [NAME]", where);
			*e = 0;
			for (i = 0; i < NKEYS && strcmp(keys[i].sect, s + 1); i++)
				;
			if (i == NKEYS)
				return fp_fail(err, EINVAL,
					    "%s: unknown section [%s] (daemon, fabric, plan, observe, faults, probe, cluster)",
					    where, s + 1);
			strcpy(sect, s + 1);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq)
			return fp_fail(err, EINVAL, "%s: expected KEY = VALUE", where);
		*eq = 0;
		key = trim(s);
		val = trim(eq + 1);
		if (!*sect)
			return fp_fail(err, EINVAL, "%s: %s outside any [section]", where, key);
		if (!*key)
			return fp_fail(err, EINVAL, "%s: empty key", where);
		for (i = 0; i < NKEYS; i++)
			if (!strcmp(keys[i].sect, sect) && !strcmp(keys[i].name, key))
				break;
		if (i == NKEYS)
			return fp_fail(err, EINVAL, "%s: unknown key '%s' in [%s]", where, key, sect);
		if (seen[i])
			return fp_fail(err, EINVAL, "%s: %s is set twice in [%s]", where, key, sect);
		seen[i] = true;
		ret = set(&c, &keys[i], val, where, err);
		if (ret)
			return ret;
	}
	*out = c;
	return 0;
}

int fpd_conf_load(const char *path, struct fpd_conf *c, struct fp_err *err)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fp_fail(err, errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		ret = errno;
		close(fd);
		return fp_fail(err, ret, "%s: %s", path, strerror(ret));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fp_fail(err, EINVAL, "%s: not a regular file", path);
	}
	if (st.st_size > FPD_CONF_MAX) {
		close(fd);
		return fp_fail(err, EFBIG, "%s: %jd bytes, larger than the %d a configuration may have",
			    path, (intmax_t)st.st_size, FPD_CONF_MAX);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return fp_fail(err, ENOMEM, "%s: out of memory", path);
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	ret = fpd_conf_parse(buf, got, path, c, err);
	free(buf);
	return ret;
}

static void dur(FILE *f, const char *k, uint64_t ns)
{
	if (ns % 1000000000ull == 0)
		fprintf(f, "%s = %" PRIu64 "s\n", k, (uint64_t)(ns / 1000000000u));
	else if (ns % 1000000ull == 0)
		fprintf(f, "%s = %" PRIu64 "ms\n", k, (uint64_t)(ns / 1000000u));
	else if (ns % 1000ull == 0)
		fprintf(f, "%s = %" PRIu64 "us\n", k, (uint64_t)(ns / 1000u));
	else
		fprintf(f, "%s = %" PRIu64 "ns\n", k, ns);
}

void fpd_conf_write(const struct fpd_conf *c, FILE *f)
{
	const char *sect = "";
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *p = (const char *)c + k->off;

		if (strcmp(sect, k->sect)) {
			fprintf(f, "%s[%s]\n", i ? "\n" : "", k->sect);
			sect = k->sect;
		}
		switch (k->type) {
		case T_STR:
		case T_SOCK:
			fprintf(f, "%s = %s\n", k->name, p);
			break;
		case T_LISTEN:
			fprintf(f, "%s = %s\n", k->name, *p ? p : "off");
			break;
		case T_BOOL:
			fprintf(f, "%s = %s\n", k->name, *(const bool *)p ? "yes" : "no");
			break;
		case T_MODE:
			fprintf(f, "%s = %s\n", k->name, fpd_mode_name(*(const enum fpd_mode_kind *)p));
			break;
		case T_LOG:
			fprintf(f, "%s = %s\n", k->name, levels[*(const int *)p]);
			break;
		case T_UINT:
			fprintf(f, "%s = %u\n", k->name, *(const unsigned int *)p);
			break;
		case T_SIZE:
			fprintf(f, "%s = %" PRIu64 "\n", k->name, *(const uint64_t *)p);
			break;
		case T_DUR:
			dur(f, k->name, *(const uint64_t *)p);
			break;
		case T_DOUBLE:
			fprintf(f, "%s = %g\n", k->name, *(const double *)p);
			break;
		}
	}
}
