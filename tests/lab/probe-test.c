// SPDX-License-Identifier: MIT
/*
 * probe-test - the prober's parts that need no fabric, built with ASan and
 * UBSan: the port map it writes reads back through the planner's reader
 * (resolved, unresolved, off-topology and unmapped hops; IPv4 and IPv6),
 * router maps of both families load or fail naming the line, bad input is
 * refused, probes are built as the wire wants them (checksums, hop limit,
 * flow label) and ICMP/ICMPv6 errors crafted around them are matched back
 * (or refused: other types, extension headers, truncation; bad first ports), a pair stops
 * when it has its paths (those known down left out: a failure), and without
 * CAP_NET_RAW probing fails naming the capability, for either family. Exit
 * 0 when all pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <linux/icmp.h>

#include "planner/portmap.h"
#include "probe/probe.h"
#include "planner/topo.h"

static int failed;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("FAIL: %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		putchar('\n');						\
		failed++;						\
	}								\
} while (0)

static struct fp_addr ip(const char *s)
{
	struct fp_addr a = { { 0 } };

	if (fp_addr_parse(s, &a)) {
		printf("bad test address %s\n", s);
		exit(1);
	}
	return a;
}

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/fp-probe-test.XXXXXX");
	fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("tmp file");
		exit(1);
	}
	close(fd);
	return path;
}

/* Index of the path via @spine among the leaf0 -> leaf1 paths. */
static int spine_path(struct fp_topo *t, const char *spine)
{
	struct fp_pathset ps = fp_topo_paths(t, fp_topo_find(t, "leaf0"),
					     fp_topo_find(t, "leaf1"));
	int i;

	for (i = 0; i < ps.n; i++)
		if (!strcmp(t->nodes[t->links[ps.p[i].link[0]].to].name, spine))
			return i;
	return -1;
}

/*
 * IPv4, or (@v6) the same on an IPv6 fabric: IPv6 NICs and routers, the
 * router map also holding the IPv4 addresses of the same switches (a
 * dual-stack lab's) so that the IPv6 hops must be told from them.
 */
static void test_portmap_roundtrip(bool v6)
{
	struct fp_probe_router rt[] = {
		{ ip(v6 ? "2001:2:0:ff::1" : "198.19.0.1"), "leaf0" },
		{ ip(v6 ? "2001:2:0:ff::2" : "198.19.0.2"), "leaf1" },
		{ ip(v6 ? "2001:2:0:ff::3" : "198.19.0.3"), "spine0" },
		{ ip(v6 ? "2001:2:0:ff::4" : "198.19.0.4"), "spine1" },
		{ ip("198.19.0.1"), "leaf0" }, { ip("198.19.0.2"), "leaf1" },
	};
	struct fp_probe_cfg cfg = { .routers = rt, .nrouters = v6 ? 6 : 4 };
	const char *h0 = v6 ? "2001:2::1" : "198.18.0.1", *h1 = v6 ? "2001:2::2" : "198.18.0.2";
	char want[128];
	struct fp_probe_result res[] = { { 49153, 0 }, { 49154, 1 }, { 49155, 2 }, { 49156, 3 } };
	struct fp_probe_pair p[2];
	struct fp_portmap *pm = NULL;
	struct fp_topo *t = NULL;
	const struct fp_pm_row *r;
	struct fp_err err = { "" };
	char *text = NULL;
	size_t len = 0, n;
	FILE *f;
	int rc;

	memset(p, 0, sizeof(p));
	p[0].src = ip(h0);
	p[0].dst = ip(h1);
	p[0].hops = 3;
	p[0].npaths = 2;
	p[0].resolved = false;
	snprintf(p[0].why, sizeof(p[0].why), "test");
	p[0].nfound = 4;
	p[0].paths[0] = (struct fp_probe_path){ { rt[0].addr, rt[2].addr, rt[1].addr }, 1, false };
	p[0].paths[1] = (struct fp_probe_path){ { rt[0].addr, rt[3].addr, rt[1].addr }, 1, false };
	/* a path the topology does not have, and one through an unknown router */
	p[0].paths[2] = (struct fp_probe_path){ { rt[0].addr, rt[0].addr, rt[1].addr }, 1, true };
	p[0].paths[3] = (struct fp_probe_path){ { rt[0].addr, ip(v6 ? "2001:db8::99" : "10.9.9.9"),
						  rt[1].addr }, 1, false };
	p[0].res = res;
	p[0].nres = 4;
	p[1].src = ip(h1);
	p[1].dst = ip(h0);
	p[1].hops = 3;
	snprintf(p[1].why, sizeof(p[1].why), "no reply from hop 1 after 6 tries");

	f = open_memstream(&text, &len);
	CHECK(f && !fp_probe_write_portmap(f, &cfg, p, 2, true), "write");
	fclose(f);
	CHECK(!strncmp(text, "# flowplan-portmap 1\n", 21), "header: %.30s", text);
	CHECK(strstr(text, "49155: path leaf0,leaf0,leaf1 is not a live shortest path"),
	      "off-topology path commented:\n%s", text);
	snprintf(want, sizeof(want), "49156: hop %s is not in the router map",
		 v6 ? "2001:db8::99" : "10.9.9.9");
	CHECK(strstr(text, want), "unmapped hop commented:\n%s", text);
	snprintf(want, sizeof(want), "# %s %s: no reply from hop 1", h1, h0);
	CHECK(strstr(text, want), "why of the unresolved pair:\n%s", text);
	snprintf(want, sizeof(want), "\n%-12s %-12s %-6u leaf0,spine0,leaf1\n", h0, h1, 49153);
	CHECK(strstr(text, want), "a resolved line \"%s\":\n%s", want, text);

	rc = fp_topo_load(v6 ? "leafspine:leaves=2,spines=2,hosts=1,ipv6" :
			  "leafspine:leaves=2,spines=2,hosts=1", &t, &err);
	CHECK(!rc, "topology: %s", err.msg);
	if (rc)
		goto out;
	rc = fp_portmap_parse(text, "probe-output", t, &pm, &err);
	CHECK(!rc, "the planner reads the prober's map: %s\n%s", err.msg, text);
	if (rc)
		goto out;
	r = fp_portmap_pair_ip(pm, &p[0].src, &p[0].dst, &n);
	CHECK(n == 2, "two rows for the resolved pair, got %zu", n);
	if (n == 2) {
		CHECK(r[0].sport == 49153 && r[0].path == spine_path(t, "spine0"),
		      "49153 via spine0 (path %d)", r[0].path);
		CHECK(r[1].sport == 49154 && r[1].path == spine_path(t, "spine1"),
		      "49154 via spine1 (path %d)", r[1].path);
	}
	r = fp_portmap_pair_ip(pm, &p[1].src, &p[1].dst, &n);
	CHECK(n == 1 && r[0].path == -1 && r[0].sport == 0, "unresolved row");
out:
	if (pm)
		fp_portmap_free(pm);
	if (t)
		fp_topo_free(t);
	free(text);
}

static void test_routers(void)
{
	struct fp_addr want = ip("198.19.0.2");
	struct fp_probe_router *r = NULL;
	struct fp_err err = { "" };
	size_t n = 0;
	char *path;
	int rc;

	path = write_tmp("# lab routers\n198.19.0.1 leaf0\n\n  198.19.0.2\tspine0\n");
	rc = fp_probe_routers_load(path, &r, &n, &err);
	CHECK(!rc && n == 2 && !fp_addr_cmp(&r[1].addr, &want) &&
	      !strcmp(r[1].name, "spine0"),
	      "router map: rc %d n %zu %s", rc, n, err.msg);
	if (!rc)
		fp_probe_routers_free(r, n);
	unlink(path);

	path = write_tmp("198.19.0.1 leaf0\n198.19.0.300 spine0\n");
	rc = fp_probe_routers_load(path, &r, &n, &err);
	CHECK(rc == EINVAL && strstr(err.msg, ":2: "), "bad line named: rc %d \"%s\"", rc,
	      err.msg);
	unlink(path);

	/* Both families, one switch under each (a dual-stack lab's two maps in one). */
	path = write_tmp("198.19.0.1 leaf0\n2001:2:0:ff::1 leaf0\n2001:2:0:ff::a spine9\n");
	rc = fp_probe_routers_load(path, &r, &n, &err);
	CHECK(!rc && n == 3 && !fp_addr_is_v4(&r[1].addr) && !strcmp(r[2].name, "spine9"),
	      "IPv6 router map: rc %d n %zu %s", rc, n, err.msg);
	if (!rc) {
		struct fp_probe_cfg cfg = { .routers = r, .nrouters = n };
		struct fp_addr a = ip("2001:2:0:ff::a"), b = ip("2001:2:0:ff::b");

		CHECK(fp_probe_router_name(&cfg, &a) && !strcmp(fp_probe_router_name(&cfg, &a),
								    "spine9"), "IPv6 hop named");
		CHECK(!fp_probe_router_name(&cfg, &b), "unknown IPv6 hop unnamed");
		fp_probe_routers_free(r, n);
	}
	unlink(path);

	path = write_tmp("::ffff:198.19.0.1 leaf0\n");
	rc = fp_probe_routers_load(path, &r, &n, &err);
	CHECK(rc == EINVAL && strstr(err.msg, ":1: ") && strstr(err.msg, "IPv4-mapped"),
	      "IPv4-mapped refused: rc %d \"%s\"", rc, err.msg);
	unlink(path);
	path = write_tmp("# x\n:: leaf0\n");
	rc = fp_probe_routers_load(path, &r, &n, &err);
	CHECK(rc == EINVAL && strstr(err.msg, ":2: ") && strstr(err.msg, "unspecified"),
	      "unspecified refused: rc %d \"%s\"", rc, err.msg);
	unlink(path);
}

static uint16_t csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The one's complement sum of an IPv6 probe's L4 with its pseudo-header: 0xffff when right. */
static uint16_t l4_sum6(const uint8_t *pkt, size_t len)
{
	uint8_t pseudo[40] = { 0 };

	memcpy(pseudo, pkt + 8, 32);
	pseudo[34] = (uint8_t)((len - 40) >> 8);
	pseudo[35] = (uint8_t)(len - 40);
	pseudo[39] = pkt[6];
	return csum(pkt + 40, len - 40, csum(pseudo, sizeof(pseudo), 0));
}

/*
 * An ICMPv6 error as a raw ICMPv6 socket hands it over: type, code, checksum,
 * 4 unused bytes, then the invoking packet (@qlen bytes of it).
 */
static size_t icmp6_wrap(uint8_t *out, uint8_t type, uint8_t code, const uint8_t *pkt,
			 size_t qlen)
{
	memset(out, 0, 8);
	out[0] = type;
	out[1] = code;
	memcpy(out + 8, pkt, qlen);
	return 8 + qlen;
}

/* IPv6 probes on the wire, and the ICMPv6 errors that quote them matched back. */
static void test_icmp6(void)
{
	uint16_t port = 0xC000 | 0x123;
	struct fp_probe_cfg cfg = { .proto = FP_PROBE_UDP, .dport = 4791, .ports = &port,
				    .nports = 1 };
	struct fp_addr src = ip("2001:2::c612:1"), dst = ip("2001:2::c612:5"),
		       rtr = ip("2001:2:0:ff::3");
	uint8_t pkt[FP_PROBE_PKT_MAX], msg[256];
	struct fp_probe_reply r;
	uint32_t flow;
	size_t len, m;

	len = fp_probe_build(&cfg, pkt, &src, &dst, port, 2, 0xbeef, 0x01020304);
	CHECK(len == 40 + 8 + 16, "UDP probe of %zu bytes", len);
	memcpy(&flow, pkt, 4);
	flow = ntohl(flow);
	CHECK(flow >> 28 == 6 && (flow & 0xfffff) == 0x123 && ((flow >> 20) & 0xff) == 0,
	      "version 6, flow label 0x123 of port 0x%x, traffic class 0: 0x%08x", port, flow);
	CHECK(pkt[4] == 0 && pkt[5] == 24 && pkt[6] == IPPROTO_UDP && pkt[7] == 2,
	      "payload length 24, UDP, hop limit 2: %u %u %u %u", pkt[4], pkt[5], pkt[6], pkt[7]);
	CHECK(!memcmp(pkt + 8, src.b, 16) && !memcmp(pkt + 24, dst.b, 16), "addresses");
	CHECK(pkt[40] == 0xC1 && pkt[41] == 0x23 && pkt[42] == 0x12 && pkt[43] == 0xb7,
	      "ports 49443 -> 4791");
	CHECK(l4_sum6(pkt, len) == 0xffff, "UDP checksum over the IPv6 pseudo-header: 0x%04x",
	      l4_sum6(pkt, len));
	CHECK(fp_probe_flow_label(49152) == 0 && fp_probe_flow_label(49153) == 1 &&
	      fp_probe_flow_label(0xffff) == 0x3fff && fp_probe_flow_label(5201) == 0,
	      "flow label of a port: P & 0x3fff from 0xC000 on, else 0");

	/* time exceeded in transit: the hop, and the probe by its token */
	m = icmp6_wrap(msg, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_TRANSIT, pkt, len);
	CHECK(!fp_probe_parse_icmp6(msg, m, &rtr, &r), "time exceeded parsed");
	CHECK(r.has_nonce && r.nonce == 0x01020304, "the run's nonce quoted: 0x%x", r.nonce);
	CHECK(r.kind == FP_PROBE_REPLY_TIME && r.tok == 0xbeef && r.sport == port &&
	      r.dport == 4791 && r.proto == IPPROTO_UDP && !fp_addr_cmp(&r.from, &rtr) &&
	      !fp_addr_cmp(&r.src, &src) && !fp_addr_cmp(&r.dst, &dst),
	      "matched: kind %d tok 0x%x sport %u dport %u", r.kind, r.tok, r.sport, r.dport);
	/* destination unreachable (code 4, port unreachable) */
	m = icmp6_wrap(msg, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOPORT, pkt, len);
	CHECK(!fp_probe_parse_icmp6(msg, m, &rtr, &r) && r.kind == FP_PROBE_REPLY_UNREACH &&
	      r.code == 4 && r.tok == 0xbeef, "unreachable parsed: kind %d code %u", r.kind,
	      r.code);
	/* not ours: other types, reassembly timeouts, an echo reply */
	m = icmp6_wrap(msg, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_REASSEMBLY, pkt, len);
	CHECK(fp_probe_parse_icmp6(msg, m, &rtr, &r) == ENOMSG, "reassembly time exceeded ignored");
	m = icmp6_wrap(msg, ICMP6_PACKET_TOO_BIG, 0, pkt, len);
	CHECK(fp_probe_parse_icmp6(msg, m, &rtr, &r) == ENOMSG, "packet too big ignored");
	m = icmp6_wrap(msg, ICMP6_ECHO_REPLY, 0, pkt, len);
	CHECK(fp_probe_parse_icmp6(msg, m, &rtr, &r) == ENOMSG, "echo reply ignored");
	/* a quote cut before the token, or inside the IPv6 header */
	m = icmp6_wrap(msg, ICMP6_TIME_EXCEEDED, 0, pkt, len - 1);
	CHECK(fp_probe_parse_icmp6(msg, m, &rtr, &r) == ENOMSG, "quote without the token");
	m = icmp6_wrap(msg, ICMP6_TIME_EXCEEDED, 0, pkt, 39);
	CHECK(fp_probe_parse_icmp6(msg, m, &rtr, &r) == ENOMSG, "quote inside the IPv6 header");
	CHECK(fp_probe_parse_icmp6(msg, 0, &rtr, &r) == ENOMSG, "empty message");
	/* an extension header after the quoted IPv6 header: no probe has one */
	m = icmp6_wrap(msg, ICMP6_TIME_EXCEEDED, 0, pkt, len);
	msg[8 + 6] = IPPROTO_HOPOPTS;
	CHECK(fp_probe_parse_icmp6(msg, m, &rtr, &r) == ENOMSG, "extension header ignored");
	/* a quoted IPv4 packet in an ICMPv6 message */
	m = icmp6_wrap(msg, ICMP6_TIME_EXCEEDED, 0, pkt, len);
	msg[8] = 0x45;
	CHECK(fp_probe_parse_icmp6(msg, m, &rtr, &r) == ENOMSG, "IPv4 quote in ICMPv6 ignored");

	/* TCP SYN: the token rides in the sequence number */
	cfg.proto = FP_PROBE_TCP;
	cfg.dport = 5201;
	port = 5000;
	len = fp_probe_build(&cfg, pkt, &src, &dst, port, 3, 0x0102, 0xa0b0c0d0);
	CHECK(len == 40 + 20 && pkt[6] == IPPROTO_TCP && pkt[7] == 3 && pkt[53] == 0x02,
	      "TCP SYN probe: %zu bytes", len);
	memcpy(&flow, pkt, 4);
	CHECK((ntohl(flow) & 0xfffff) == 0, "flow label 0 below 0xC000");
	CHECK(l4_sum6(pkt, len) == 0xffff, "TCP checksum over the IPv6 pseudo-header");
	m = icmp6_wrap(msg, ICMP6_TIME_EXCEEDED, 0, pkt, len);
	CHECK(!fp_probe_parse_icmp6(msg, m, &rtr, &r) && r.tok == 0x0102 && r.sport == 5000 &&
	      r.dport == 5201 && r.proto == IPPROTO_TCP && r.has_nonce && r.nonce == 0xa0b0c0d0,
	      "TCP quote matched: tok 0x%x nonce 0x%x", r.tok, r.nonce);
	CHECK(!(pkt[53] & 0x10), "the nonce in the acknowledgment field, ACK not set");
}

/* The IPv4 twin: the token is the IP ID, ICMP comes with the IPv4 header. */
static void test_icmp4(void)
{
	uint16_t port = 49153;
	struct fp_probe_cfg cfg = { .proto = FP_PROBE_UDP, .dport = 4791, .ports = &port,
				    .nports = 1 };
	struct fp_addr src = ip("198.18.0.1"), dst = ip("198.18.0.5"), rtr = ip("198.19.0.3");
	uint8_t pkt[FP_PROBE_PKT_MAX], msg[256];
	struct fp_probe_reply r;
	size_t len;

	len = fp_probe_build(&cfg, pkt, &src, &dst, port, 2, 0x4242, 7);
	CHECK(len == 20 + 8 + 16 && pkt[8] == 2 && pkt[4] == 0x42 && pkt[5] == 0x42,
	      "IPv4 probe: TTL 2, ID the token");
	memset(msg, 0, 28);
	msg[0] = 0x45;
	msg[9] = IPPROTO_ICMP;
	memcpy(msg + 12, &rtr.b[12], 4);
	memcpy(msg + 16, &src.b[12], 4);
	msg[20] = ICMP_TIME_EXCEEDED;
	msg[21] = ICMP_EXC_TTL;
	memcpy(msg + 28, pkt, 28);	/* RFC 792's minimum quote: header + 8 bytes */
	CHECK(!fp_probe_parse_icmp4(msg, 28 + 28, &r) && r.kind == FP_PROBE_REPLY_TIME &&
	      r.tok == 0x4242 && r.sport == 49153 && r.dport == 4791 && !r.has_nonce &&
	      !fp_addr_cmp(&r.from, &rtr) && !fp_addr_cmp(&r.dst, &dst),
	      "IPv4 time exceeded matched: tok 0x%x", r.tok);
	memcpy(msg + 28, pkt, len);	/* Linux quotes the whole probe */
	CHECK(!fp_probe_parse_icmp4(msg, 28 + len, &r) && r.has_nonce && r.nonce == 7,
	      "IPv4: the nonce when quoted");
	msg[20] = ICMP_ECHOREPLY;
	CHECK(fp_probe_parse_icmp4(msg, 28 + 28, &r) == ENOMSG, "IPv4 echo reply ignored");
	msg[20] = ICMP_DEST_UNREACH;
	msg[21] = ICMP_PORT_UNREACH;
	CHECK(!fp_probe_parse_icmp4(msg, 28 + 28, &r) && r.kind == FP_PROBE_REPLY_UNREACH &&
	      r.code == ICMP_PORT_UNREACH, "IPv4 unreachable");
	CHECK(fp_probe_parse_icmp4(msg, 28 + 23, &r) == ENOMSG, "IPv4 quote cut in the ports");
}

static void test_bad_input(void)
{
	uint16_t port = 49153, zero = 0;
	struct fp_probe_cfg cfg = { .ports = &port, .nports = 1 };
	struct fp_probe_pair p = { .src = ip("198.18.0.1"), .dst = ip("198.18.0.2") };
	struct fp_err err = { "" };

	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL && strstr(err.msg, "hops"),
	      "hops 0 refused: %s", err.msg);
	p.hops = FP_PROBE_MAX_HOPS + 1;
	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL, "too many hops refused");
	p.hops = 3;
	p.ndown = 1;
	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL && strstr(err.msg, "known down"),
	      "paths down of an unknown count refused: %s", err.msg);
	p.ndown = 0;
	cfg.nports = 0;
	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL, "no ports refused");
	cfg.nports = 1;
	p.nfirst = 1;
	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL && strstr(err.msg, "none given"),
	      "first ports counted but not given refused: %s", err.msg);
	p.first = &zero;
	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL && strstr(err.msg, "is 0, not a port"),
	      "first port 0 refused: %s", err.msg);
	p.first = NULL;
	p.nfirst = 0;
	p.dst = ip("2001:2::2");
	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL && strstr(err.msg, "two families"),
	      "a pair of two families refused: %s", err.msg);
	p.src = ip("2001:2::1");
	memset(&p.dst, 0, sizeof(p.dst));
	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL && strstr(err.msg, "unspecified"),
	      "the unspecified address refused: %s", err.msg);
	fp_probe_pair_release(&p);
}

/*
 * When a pair has what it wants (fp_probe_pair_done): every path of the
 * topology with per_path ports; with some known down (a failure), the paths
 * left and a quiet run of ports (or none left); a path back counts and
 * needs its ports; paths off the topology count for nothing. The map of a
 * pair resolved so says which paths are missing, and reads back.
 */
static void test_pair_done(void)
{
	struct fp_probe_router rt[] = {
		{ ip("198.19.0.1"), "leaf0" }, { ip("198.19.0.2"), "leaf1" },
		{ ip("198.19.0.3"), "spine0" }, { ip("198.19.0.4"), "spine1" },
	};
	struct fp_probe_cfg cfg = { .routers = rt, .nrouters = 4 };
	struct fp_probe_result res[] = { { 49153, 0 }, { 49154, 0 } };
	struct fp_probe_pair p;
	struct fp_portmap *pm = NULL;
	struct fp_topo *t = NULL;
	struct fp_err err = { "" };
	const struct fp_pm_row *r;
	char *text = NULL;
	size_t len = 0, n;
	FILE *f;

	memset(&p, 0, sizeof(p));
	p.src = ip("198.18.0.1");
	p.dst = ip("198.18.0.2");
	p.hops = 3;
	p.npaths = 2;
	p.nfound = 1;
	p.paths[0] = (struct fp_probe_path){ { rt[0].addr, rt[2].addr, rt[1].addr }, 2, false };
	p.since_new = FP_PROBE_QUIET;
	CHECK(!fp_probe_pair_done(&p, 2, true), "1 of 2 paths, none known down: not done");
	p.ndown = 1;
	CHECK(fp_probe_pair_done(&p, 2, false), "1 of 2 paths, 1 known down, a quiet run: done");
	p.since_new = FP_PROBE_QUIET - 1;
	CHECK(!fp_probe_pair_done(&p, 2, false), "a run short of FP_PROBE_QUIET: not done");
	CHECK(fp_probe_pair_done(&p, 2, true), "no port left: done");
	CHECK(!fp_probe_pair_done(&p, 3, true), "a path short of per_path ports: not done");
	/* the path known down is back: it counts, and needs its ports */
	p.nfound = 2;
	p.paths[1] = (struct fp_probe_path){ { rt[0].addr, rt[3].addr, rt[1].addr }, 1, false };
	p.since_new = 0;
	CHECK(!fp_probe_pair_done(&p, 2, false), "a path back with 1 port of 2: not done");
	p.paths[1].nports = 2;
	CHECK(fp_probe_pair_done(&p, 2, false), "both paths, the one thought down too: done");
	/* off the topology: no path of it */
	p.paths[0].foreign = true;
	p.paths[1].foreign = true;
	CHECK(!fp_probe_pair_done(&p, 2, true), "foreign paths only: not done");
	/* every path down as far as the caller knows: one is still wanted */
	p.ndown = 2;
	p.nfound = 0;
	CHECK(!fp_probe_pair_done(&p, 2, true), "nothing found: not done");
	/* an unknown path count: a quiet run */
	memset(&p.paths, 0, sizeof(p.paths));
	p.npaths = p.ndown = 0;
	p.nfound = 1;
	p.paths[0] = (struct fp_probe_path){ { rt[0].addr, rt[2].addr, rt[1].addr }, 2, false };
	p.since_new = FP_PROBE_QUIET;
	CHECK(fp_probe_pair_done(&p, 2, false), "unknown path count, a quiet run: done");
	p.since_new = 1;
	CHECK(!fp_probe_pair_done(&p, 2, false), "unknown path count, no quiet run: not done");

	/* resolved during a failure: the ports, and a comment on the missing path */
	p.npaths = 2;
	p.ndown = 1;
	p.resolved = true;
	p.res = res;
	p.nres = 2;
	f = open_memstream(&text, &len);
	CHECK(f && !fp_probe_write_portmap(f, &cfg, &p, 1, true), "write");
	fclose(f);
	CHECK(strstr(text, "# 198.18.0.1 198.18.0.2: 1 of 2 paths, the others known down\n") &&
	      !strstr(text, "incomplete"), "the missing path commented:\n%s", text);
	CHECK(!fp_topo_load("leafspine:leaves=2,spines=2,hosts=1", &t, &err), "topology: %s",
	      err.msg);
	if (t && !fp_portmap_parse(text, "probe-output", t, &pm, &err)) {
		r = fp_portmap_pair_ip(pm, &p.src, &p.dst, &n);
		CHECK(n == 2 && r[0].sport == 49153 && r[0].path == spine_path(t, "spine0"),
		      "two ports via spine0: %zu rows", n);
	} else {
		CHECK(0, "the planner reads the map: %s\n%s", err.msg, text);
	}
	if (pm)
		fp_portmap_free(pm);
	if (t)
		fp_topo_free(t);
	free(text);
}

/* Only meaningful without CAP_NET_RAW (check.sh runs it as nobody). */
static void test_unprivileged(bool v6)
{
	uint16_t port = 49153;
	struct fp_probe_cfg cfg = { .ports = &port, .nports = 1 };
	struct fp_probe_pair p = { .src = ip(v6 ? "2001:2::1" : "198.18.0.1"),
				   .dst = ip(v6 ? "2001:2::2" : "198.18.0.2"), .hops = 3 };
	struct fp_err err = { "" };
	int rc = fp_probe_run(&cfg, &p, 1, NULL, &err);

	CHECK(rc == EPERM && strstr(err.msg, "CAP_NET_RAW"), "%s: rc %d \"%s\"",
	      v6 ? "IPv6" : "IPv4", rc, err.msg);
	fp_probe_pair_release(&p);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "unprivileged")) {
		test_unprivileged(false);
		test_unprivileged(true);
	} else {
		test_portmap_roundtrip(false);
		test_portmap_roundtrip(true);
		test_routers();
		test_icmp6();
		test_icmp4();
		test_bad_input();
		test_pair_done();
	}
	return failed ? 1 : 0;
}
