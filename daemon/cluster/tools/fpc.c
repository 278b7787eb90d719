// SPDX-License-Identifier: MIT
/*
 * fpc - the cluster's command line: credentials, fabric link events, and
 * a look into the bucket, speaking as whoever the credentials name.
 *
 *   fpc nkey SEEDFILE              a new NKey user: seed into SEEDFILE (0600),
 *                                  the public key (for the server) on stdout
 *   fpc nkey-public SEEDFILE       the public key of a seed
 *   fpc [CONN] link down|up A B    mark fabric link A-B down or up
 *   fpc [CONN] share HOST          HOST's share as the bucket holds it
 *   fpc [CONN] shares              every share: host, epoch, term, revision, bytes
 *   fpc [CONN] lease               the planner lease
 *   fpc [CONN] pub SUBJECT TEXT    publish (core NATS); refused: exit 1
 *   fpc [CONN] sub SUBJECT         subscribe for a moment; refused: exit 1
 *
 * CONN: -c FILE (a flowpland configuration: its [cluster] servers and
 * credentials, and the inbox its mode uses), -s URLS, -i INBOX_PREFIX,
 * -t MS (timeout). Exit 0, or 1 with the reason on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "conf.h"
#include "nkey.h"
#include "proto.h"

struct ctx {
	struct fpc_bus *bus;
	struct fpc_names nm;
	char error[300];
	bool refused;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: fpc nkey SEEDFILE | nkey-public SEEDFILE\n"
		   "       fpc [-c CONF] [-s URLS] [-i INBOX] [-t MS] COMMAND\n"
		   "COMMAND: link down|up A B, share HOST, shares, lease, pub SUBJECT TEXT,\n"
		   "         sub SUBJECT\n");
}

static void on_state(void *arg, enum fpc_bus_event ev, const char *text)
{
	struct ctx *c = arg;

	/* the first error says why (an authorization violation before the close) */
	if ((ev == FPC_BUS_ERROR || ev == FPC_BUS_CLOSED) && !c->refused) {
		snprintf(c->error, sizeof(c->error), "%s", text);
		c->refused = true;
	}
}

static void pause_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Round trip, then give the asynchronous errors a moment to arrive. */
static bool settle(struct ctx *c, int64_t timeout)
{
	int i;

	natsConnection_FlushTimeout(fpc_bus_nc(c->bus), timeout);
	for (i = 0; i < 5 && !c->refused; i++) {
		pause_ms(40);
		fpc_bus_dispatch(c->bus);
	}
	return !c->refused;
}

static int cmd_nkey(int argc, char **argv, bool make)
{
	struct fp_err err = { "" };
	char seed[FPC_NKEY_SEEDLEN + 1], pub[FPC_NKEY_PUBLEN + 1];
	FILE *f;
	int fd;

	if (argc != 2) {
		usage(stderr);
		return 1;
	}
	if (!make) {
		if (fpc_nkey_public(argv[1], pub, sizeof(pub), &err)) {
			fprintf(stderr, "fpc: %s\n", err.msg);
			return 1;
		}
		printf("%s\n", pub);
		return 0;
	}
	if (fpc_nkey_new(seed, sizeof(seed), pub, sizeof(pub), &err)) {
		fprintf(stderr, "fpc: %s\n", err.msg);
		return 1;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		fprintf(stderr, "fpc: %s: %s\n", argv[1], strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	fprintf(f, "%s\n", seed);
	memset(seed, 0, sizeof(seed));
	if (fclose(f)) {
		fprintf(stderr, "fpc: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("%s\n", pub);
	return 0;
}

static int cmd_link(struct ctx *c, int argc, char **argv)
{
	struct fp_err err = { "" };
	struct fpc_fablink l = { .up = false };
	jsPubAck *pa = NULL;
	jsErrCode je = 0;
	char subj[300], *t;
	size_t len;
	natsStatus s = NATS_OK;
	int i;

	if (argc != 4 || (strcmp(argv[1], "down") && strcmp(argv[1], "up"))) {
		fprintf(stderr, "fpc: link down|up A B\n");
		return 1;
	}
	if (strlen(argv[2]) > FPC_NAME_MAX || strlen(argv[3]) > FPC_NAME_MAX) {
		fprintf(stderr, "fpc: a node name is at most %d characters\n", FPC_NAME_MAX);
		return 1;
	}
	l.up = !strcmp(argv[1], "up");
	snprintf(l.a, sizeof(l.a), "%s", argv[2]);
	snprintf(l.b, sizeof(l.b), "%s", argv[3]);
	t = fpc_fablink_encode(&l, &len);
	if (!t)
		return 1;
	fpc_subj_fabric(&c->nm, l.a, l.b, subj, sizeof(subj));
	/* a stream electing a new leader (a server gone) answers late: again */
	for (i = 0; i < 10; i++) {
		s = js_Publish(&pa, fpc_bus_js(c->bus), subj, t, (int)len, NULL, &je);
		jsPubAck_Destroy(pa);
		pa = NULL;
		if (s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS)
			break;
		pause_ms(500);
	}
	free(t);
	if (s != NATS_OK) {
		fpc_nats_err(&err, s, subj);
		settle(c, 500);
		fprintf(stderr, "fpc: %s%s%s\n", err.msg, c->refused ? ": " : "", c->error);
		return 1;
	}
	return 0;
}

static int cmd_share(struct ctx *c, int argc, char **argv)
{
	struct fp_err err = { "" };
	char subj[200];
	natsMsg *m = NULL;
	int ret;

	if (argc != 2 || !fpc_token_ok(argv[1])) {
		fprintf(stderr, "fpc: share HOST\n");
		return 1;
	}
	ret = fpc_bus_last(c->bus, c->nm.kv_stream, fpc_subj_key(&c->nm, argv[1], subj, sizeof(subj)),
			   &m, &err);
	if (ret) {
		settle(c, 500);
		fprintf(stderr, "fpc: %s%s%s\n", err.msg, c->refused ? ": " : "", c->error);
		return 1;
	}
	fwrite(natsMsg_GetData(m), 1, (size_t)natsMsg_GetDataLength(m), stdout);
	natsMsg_Destroy(m);
	return 0;
}

static int cmd_shares(struct ctx *c)
{
	struct fp_err err = { "" };
	jsSubOptions so;
	natsSubscription *sub = NULL;
	jsConsumerInfo *ci = NULL;
	char filter[128];
	uint64_t left;
	natsStatus s;

	snprintf(filter, sizeof(filter), "$KV.%s.plan.>", c->nm.bucket);
	jsSubOptions_Init(&so);
	so.Stream = c->nm.kv_stream;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverLastPerSubject;
	s = js_SubscribeSync(&sub, fpc_bus_js(c->bus), filter, NULL, &so, NULL);
	if (s == NATS_OK)
		s = natsSubscription_GetConsumerInfo(&ci, sub, NULL, NULL);
	if (s != NATS_OK) {
		fpc_nats_err(&err, s, "reading the bucket");
		fprintf(stderr, "fpc: %s\n", err.msg);
		natsSubscription_Destroy(sub);
		return 1;
	}
	left = ci->NumPending + ci->Delivered.Consumer;
	jsConsumerInfo_Destroy(ci);
	while (left) {
		natsMsg *m = NULL;
		jsMsgMetaData *md = NULL;
		char host[FPC_NAME_MAX + 1];
		const char *d, *g;
		uint64_t epoch = 0;

		s = natsSubscription_NextMsg(&m, sub, fpc_bus_timeout(c->bus));
		if (s != NATS_OK || natsMsg_GetMetaData(&md, m) != NATS_OK) {
			fpc_nats_err(&err, s, "reading the bucket");
			fprintf(stderr, "fpc: %s\n", err.msg);
			natsMsg_Destroy(m);
			break;
		}
		left = md->NumPending;
		d = natsMsg_GetData(m);
		g = d ? strstr(d, "\ngeneration ") : NULL;
		if (g)
			epoch = strtoull(g + 12, NULL, 10);
		if (fpc_subj_host(&c->nm, natsMsg_GetSubject(m), host, sizeof(host)))
			printf("%s %" PRIu64 " %u %" PRIu64 " %d\n", host, epoch,
			       FPC_EPOCH_TERM(epoch), md->Sequence.Stream, natsMsg_GetDataLength(m));
		jsMsgMetaData_Destroy(md);
		natsMsg_Destroy(m);
	}
	natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
	return left ? 1 : 0;
}

static int cmd_lease(struct ctx *c)
{
	struct fp_err err = { "" };
	natsMsg *m = NULL;
	char subj[128];

	snprintf(subj, sizeof(subj), "$KV.%s.planner.lease", c->nm.bucket);
	if (fpc_bus_last(c->bus, c->nm.kv_stream, subj, &m, &err)) {
		fprintf(stderr, "fpc: %s\n", err.msg);
		return 1;
	}
	printf("%.*s revision %s\n", natsMsg_GetDataLength(m), natsMsg_GetData(m),
	       fpc_msg_header(m, "Nats-Sequence") ? fpc_msg_header(m, "Nats-Sequence") : "?");
	natsMsg_Destroy(m);
	return 0;
}

static int cmd_pub(struct ctx *c, int argc, char **argv)
{
	struct fp_err err = { "" };

	if (argc != 3) {
		fprintf(stderr, "fpc: pub SUBJECT TEXT\n");
		return 1;
	}
	if (fpc_bus_pub(c->bus, argv[1], argv[2], strlen(argv[2]), &err)) {
		fprintf(stderr, "fpc: %s\n", err.msg);
		return 1;
	}
	if (!settle(c, 2000)) {
		fprintf(stderr, "fpc: refused: %s\n", c->error);
		return 1;
	}
	return 0;
}

static void on_any(void *arg, natsMsg *m)
{
	(void)arg;
	printf("%s %.*s\n", natsMsg_GetSubject(m), natsMsg_GetDataLength(m), natsMsg_GetData(m));
}

static int cmd_sub(struct ctx *c, int argc, char **argv)
{
	struct fp_err err = { "" };

	if (argc != 2) {
		fprintf(stderr, "fpc: sub SUBJECT\n");
		return 1;
	}
	if (fpc_bus_sub(c->bus, argv[1], on_any, c, &err)) {
		fprintf(stderr, "fpc: %s\n", err.msg);
		return 1;
	}
	if (!settle(c, 2000)) {
		fprintf(stderr, "fpc: refused: %s\n", c->error);
		return 1;
	}
	return 0;
}

static int fpc_main(int argc, char **argv)
{
	struct fp_err err = { "" };
	struct fpd_conf conf;
	struct fpc_bus_opts bo = { 0 };
	struct ctx c = { 0 };
	const char *servers = NULL, *inbox = NULL;
	char ib[128], host[FPC_NAME_MAX + 1] = "";
	int64_t timeout = 2000;
	int opt, ret, i;

	if (argc > 1 && !strcmp(argv[1], "nkey"))
		return cmd_nkey(argc - 1, argv + 1, true);
	if (argc > 1 && !strcmp(argv[1], "nkey-public"))
		return cmd_nkey(argc - 1, argv + 1, false);
	fpd_conf_default(&conf);
	while ((opt = getopt(argc, argv, "+c:s:i:t:h")) != -1) {
		switch (opt) {
		case 'c':
			if (fpd_conf_load(optarg, &conf, &err)) {
				fprintf(stderr, "fpc: %s\n", err.msg);
				return 1;
			}
			break;
		case 's':
			servers = optarg;
			break;
		case 'i':
			inbox = optarg;
			break;
		case 't':
			timeout = strtoll(optarg, NULL, 10);
			if (timeout <= 0) {
				fprintf(stderr, "fpc: -t takes milliseconds\n");
				return 1;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 1;
	}
	if (fpc_names_init(&c.nm, conf.prefix, conf.bucket, &err)) {
		fprintf(stderr, "fpc: %s\n", err.msg);
		return 1;
	}
	if (!inbox && conf.mode == FPD_MODE_AGENT) {
		if (conf.host[0])
			snprintf(host, sizeof(host), "%s", conf.host);
		else
			gethostname(host, sizeof(host) - 1);
		host[strcspn(host, ".")] = 0;
		snprintf(ib, sizeof(ib), "_INBOX.host.%s", host);
		inbox = ib;
	} else if (!inbox && conf.mode == FPD_MODE_PLANNER && conf.name[0]) {
		snprintf(ib, sizeof(ib), "_INBOX.planner.%s", conf.name);
		inbox = ib;
	}
	bo.servers = servers ? servers : conf.servers;
	bo.name = "fpc";
	bo.inbox = inbox;
	bo.user = conf.user;
	bo.password_file = conf.password_file;
	bo.nkey_seed = conf.nkey_seed;
	bo.tls_ca = conf.tls_ca;
	bo.tls_cert = conf.tls_cert;
	bo.tls_key = conf.tls_key;
	bo.timeout_ms = timeout;
	c.bus = fpc_bus_open(NULL, &bo, &err);
	if (!c.bus) {
		fprintf(stderr, "fpc: %s\n", err.msg);
		return 1;
	}
	fpc_bus_on_state(c.bus, on_state, &c);
	if (fpc_bus_start(c.bus, &err)) {
		fprintf(stderr, "fpc: %s\n", err.msg);
		fpc_bus_close(c.bus);
		return 1;
	}
	/* connected, or refused (wrong credentials), or nobody there */
	for (i = 0; i < timeout / 20 && !fpc_bus_up(c.bus) && !c.refused; i++) {
		pause_ms(20);
		fpc_bus_dispatch(c.bus);
	}
	fpc_bus_dispatch(c.bus);
	if (!fpc_bus_up(c.bus)) {
		fprintf(stderr, "fpc: not connected to %s%s%s\n", bo.servers,
			c.error[0] ? ": " : "", c.error);
		fpc_bus_close(c.bus);
		return 1;
	}
	if (!strcmp(argv[0], "link"))
		ret = cmd_link(&c, argc, argv);
	else if (!strcmp(argv[0], "share"))
		ret = cmd_share(&c, argc, argv);
	else if (!strcmp(argv[0], "shares"))
		ret = cmd_shares(&c);
	else if (!strcmp(argv[0], "lease"))
		ret = cmd_lease(&c);
	else if (!strcmp(argv[0], "pub"))
		ret = cmd_pub(&c, argc, argv);
	else if (!strcmp(argv[0], "sub"))
		ret = cmd_sub(&c, argc, argv);
	else {
		usage(stderr);
		ret = 1;
	}
	fflush(stdout);
	fpc_bus_close(c.bus);
	return ret;
}

int main(int argc, char **argv)
{
	int ret = fpc_main(argc, argv);

	fpc_bus_shutdown();
	return ret;
}
