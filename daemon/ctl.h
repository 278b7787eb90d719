/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - the control socket of flowpland (`flowplanctl daemon`).
 *
 * Protocol: a SOCK_STREAM unix socket (default /run/flowplan/daemon.sock,
 * mode 0666). A client writes requests, each one JSON object on one line
 * of at most FPD_CTL_REQ_MAX bytes:
 *
 *     {"cmd": "status"}     generation, planned load against the bound, counts
 *     {"cmd": "show"}       status, plus the cycles, recent events and faults
 *     {"cmd": "replan"}     plan and install now (root or the daemon's user)
 *     {"cmd": "probe"}      learn this host's port map now (same users); the
 *                           answer comes at once, the result in later status
 *
 * and reads one JSON object on one line per request, in order:
 * {"ok": true, ...} or {"ok": false, "error": "why"}. A request that does
 * not parse (not JSON, not an object, an unknown key or command, too long)
 * gets its error and the connection is closed. The JSON fields are the
 * stable interface; daemon/ctl_client.c prints them for people.
 */
#ifndef FPD_CTL_H
#define FPD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "core/err.h"
#include "loop.h"

#define FPD_CTL_REQ_MAX		4096
#define FPD_CTL_RESP_MAX	(64u << 20)
#define FPD_CTL_CONNS_MAX	32

enum fpd_ctl_cmd { FPD_CTL_STATUS, FPD_CTL_SHOW, FPD_CTL_REPLAN, FPD_CTL_PROBE };

struct fpd_ctl_req {
	enum fpd_ctl_cmd cmd;
};

/* 0 or EINVAL with the reason in @err. @len excludes the newline. */
int fpd_ctl_parse(const char *line, size_t len, struct fpd_ctl_req *req,
		  struct fp_err *err);
const char *fpd_ctl_cmd_name(enum fpd_ctl_cmd c);

/*
 * The daemon's answer to @req from a peer with @cred: a JSON object to
 * which the server adds "ok": true, or NULL and the reason in @err.
 */
typedef struct json_object *(*fpd_ctl_fn)(void *arg, const struct fpd_ctl_req *req,
				   const struct ucred *cred, struct fp_err *err);

struct fpd_ctl;

/*
 * fpd_ctl_open - listen on @path (its directory is created 0755 when
 * missing; a stale socket nobody answers on is replaced; EADDRINUSE when a
 * live daemon answers there). NULL and errno, the reason in @err.
 */
struct fpd_ctl *fpd_ctl_open(struct fpd_loop *l, const char *path,
			     fpd_ctl_fn fn, void *arg, struct fp_err *err);
/* Close every connection, the socket, and remove its path. */
void fpd_ctl_close(struct fpd_ctl *c);
size_t fpd_ctl_conns(const struct fpd_ctl *c);

/* ---------------------------------------------------------------- client */

/*
 * fpd_ctl_request - connect to @path, send {"cmd": @cmd}, return the
 * answer. 0 and *@resp (put it), or an errno value with the reason in
 * @err (ENOENT/ECONNREFUSED: no daemon; EPROTO: a bad answer; an answer
 * with "ok": false is returned as EPERM or EINVAL with its error text).
 */
int fpd_ctl_request(const char *path, const char *cmd, json_object **resp,
		    struct fp_err *err);

/*
 * fpd_ctl_cli - `flowplanctl [-j] [-p] daemon [show|status|replan|probe]`:
 * @argv[0] is the command (default status, prefixes accepted); @sock the
 * socket (NULL: the default). Prints to stdout, errors to stderr. Returns
 * the exit status (0 or 1).
 */
int fpd_ctl_cli(int argc, char **argv, const char *sock, bool json, bool pretty);

#endif
