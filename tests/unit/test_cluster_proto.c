// SPDX-License-Identifier: MIT
/*
 * test_cluster_proto - what cluster mode puts on the bus (daemon/cluster/
 * proto.h): subjects built and parsed back, names checked, every payload
 * encoded and decoded to the same values, and hostile payloads refused
 * with a message naming what is wrong (never a crash, never a default).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

/* The decoders on a C string: its length without the NUL. */
static int lease_dec(const char *s, struct fpc_lease_val *v, struct fp_err *err)
{
	return fpc_lease_decode(s, strlen(s), v, err);
}

static int links_dec(const char *s, struct fpc_port **p, size_t *n, struct fp_err *err)
{
	return fpc_links_decode(s, strlen(s), p, n, err);
}

static int fablink_dec(const char *s, struct fpc_fablink *l, struct fp_err *err)
{
	return fpc_fablink_decode(s, strlen(s), l, err);
}

static int installed_dec(const char *s, struct fpc_installed *in, struct fp_err *err)
{
	return fpc_installed_decode(s, strlen(s), in, err);
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct fp_addr ipa(const char *s)
{
	struct fp_addr a;

	assert_int_equal(fp_addr_parse(s, &a), 0);
	return a;
}

static void test_epochs(void **state)
{
	uint64_t e = FPC_EPOCH(3, 7);

	(void)state;
	assert_int_equal(FPC_EPOCH_TERM(e), 3);
	assert_int_equal(FPC_EPOCH_N(e), 7);
	/* every epoch of a later term is above every epoch of an earlier one */
	assert_true(FPC_EPOCH(4, 0) > FPC_EPOCH(3, UINT32_MAX));
}

static void test_names_and_tokens(void **state)
{
	struct fpc_names n;
	struct fp_err err = { "" };
	char long_tok[80];

	(void)state;
	assert_true(fpc_token_ok("h0"));
	assert_true(fpc_token_ok("rack-1_host_2"));
	assert_false(fpc_token_ok(""));
	assert_false(fpc_token_ok("a.b"));
	assert_false(fpc_token_ok("a*"));
	assert_false(fpc_token_ok("a>"));
	assert_false(fpc_token_ok("a b"));
	memset(long_tok, 'x', 63);
	long_tok[63] = 0;
	assert_true(fpc_token_ok(long_tok));
	long_tok[63] = 'x';
	long_tok[64] = 0;
	assert_false(fpc_token_ok(long_tok));

	assert_int_equal(fpc_names_init(&n, "fp", "flowplan", &err), 0);
	assert_string_equal(n.kv_stream, "KV_flowplan");
	assert_string_equal(n.obs_stream, "fp_obs");
	assert_int_equal(fpc_names_init(&n, "f.p", "flowplan", &err), EINVAL);
	assert_non_null(strstr(err.msg, "prefix 'f.p'"));
	assert_int_equal(fpc_names_init(&n, "fp", "a>", &err), EINVAL);
	assert_non_null(strstr(err.msg, "bucket 'a>'"));
}

static void test_subjects(void **state)
{
	struct fpc_names n;
	char buf[256], host[64];
	enum fpc_obs_kind k;
	int i;

	(void)state;
	assert_int_equal(fpc_names_init(&n, "fp", "flowplan", NULL), 0);
	assert_string_equal(fpc_subj_obs(&n, "h3", FPC_OBS_LINKS, buf, sizeof(buf)),
			    "fp.obs.h3.links");
	assert_string_equal(fpc_subj_share(&n, "h3", buf, sizeof(buf)), "fp.plan.h3");
	assert_string_equal(fpc_subj_key(&n, "h3", buf, sizeof(buf)), "$KV.flowplan.plan.h3");
	assert_string_equal(fpc_subj_replan(&n, buf, sizeof(buf)), "fp.planner.replan");
	/* a link is the same subject from either end; odd characters escaped */
	assert_string_equal(fpc_subj_fabric(&n, "spine0", "leaf0", buf, sizeof(buf)),
			    "fp.fabric.link.leaf0~spine0");
	assert_string_equal(fpc_subj_fabric(&n, "leaf0", "spine0", buf, sizeof(buf)),
			    "fp.fabric.link.leaf0~spine0");
	assert_string_equal(fpc_subj_fabric(&n, "a.b", "c*", buf, sizeof(buf)),
			    "fp.fabric.link.a%2Eb~c%2A");

	for (i = 0; i < FPC_OBS_KINDS; i++) {
		fpc_subj_obs(&n, "host-7", (enum fpc_obs_kind)i, buf, sizeof(buf));
		assert_true(fpc_subj_obs_parse(&n, buf, host, sizeof(host), &k));
		assert_string_equal(host, "host-7");
		assert_int_equal(k, i);
		assert_int_equal(fpc_obs_parse(fpc_obs_name(k)), i);
	}
	assert_int_equal(fpc_obs_parse("nonsense"), -1);
	assert_false(fpc_subj_obs_parse(&n, "fp.obs.h3.nonsense", host, sizeof(host), &k));
	assert_false(fpc_subj_obs_parse(&n, "fp.obs..links", host, sizeof(host), &k));
	assert_false(fpc_subj_obs_parse(&n, "xx.obs.h3.links", host, sizeof(host), &k));
	assert_false(fpc_subj_obs_parse(&n, "fp.obs.h3", host, sizeof(host), &k));
	/* a host name longer than the buffer is refused, not cut */
	assert_false(fpc_subj_obs_parse(&n, "fp.obs.h12345.links", host, 4, &k));

	assert_true(fpc_subj_host(&n, "$KV.flowplan.plan.h5", host, sizeof(host)));
	assert_string_equal(host, "h5");
	assert_true(fpc_subj_host(&n, "fp.plan.h6", host, sizeof(host)));
	assert_string_equal(host, "h6");
	assert_false(fpc_subj_host(&n, "fp.plan.h6.x", host, sizeof(host)));
	assert_false(fpc_subj_host(&n, "$KV.other.plan.h5", host, sizeof(host)));
	assert_false(fpc_subj_host(&n, "fp.plan.", host, sizeof(host)));
	assert_false(fpc_subj_host(&n, "fp.plan.h12345", host, 4));
}

static void test_cycles_roundtrip(void **state)
{
	struct fpd_flow f0[] = { { ipa("10.0.0.1"), ipa("10.0.1.1"), 1000 },
				 { ipa("10.0.0.2"), ipa("10.0.1.2"), 5000000000ull } };
	/* IPv6 flows (issue 15) travel as RFC 5952 text, beside IPv4 ones */
	struct fpd_flow f1[] = { { ipa("10.0.1.1"), ipa("10.0.0.1"), 42 },
				 { ipa("2001:db8::1"), ipa("2001:db8:0:1::2"), 7 } };
	struct fpd_cphase ph[] = { { 2, f0, 3 }, { 2, f1, 1 } };
	struct fpd_cycle c = { .job = 77, .period_ns = 123456789, .nph = 2, .ph = ph };
	const struct fpd_cycle *cs[] = { &c };
	struct fpd_cycle *got;
	struct fp_err err = { "" };
	size_t len, n;
	char *t;

	(void)state;
	t = fpc_cycles_encode(cs, 1, &len);
	assert_non_null(t);
	assert_int_equal(len, strlen(t));
	assert_int_equal(fpc_cycles_decode(t, len, &got, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].job, 77);
	assert_int_equal(got[0].period_ns, 123456789);
	assert_int_equal(got[0].nph, 2);
	assert_int_equal(got[0].ph[0].steps, 3);
	assert_int_equal(got[0].ph[0].n, 2);
	assert_int_equal(fp_addr_to_v4(&got[0].ph[0].f[1].src), ip("10.0.0.2"));
	assert_int_equal(fp_addr_to_v4(&got[0].ph[0].f[1].dst), ip("10.0.1.2"));
	assert_true(fp_addr_is_v4(&got[0].ph[0].f[1].src));
	assert_int_equal(fp_addr_cmp(&got[0].ph[1].f[1].src, &f1[1].src), 0);
	assert_int_equal(fp_addr_cmp(&got[0].ph[1].f[1].dst, &f1[1].dst), 0);
	assert_non_null(strstr(t, "\"2001:db8:0:1::2\""));
	assert_int_equal(got[0].ph[0].f[1].bytes, 5000000000ull);
	assert_int_equal(got[0].ph[1].f[0].bytes, 42);
	/* derived: steps per repetition and bytes per repetition */
	assert_int_equal(got[0].period, 4);
	assert_int_equal(got[0].bytes, (1000 + 5000000000ull) * 3 + 42 + 7);
	fpc_cycles_free(got, n);
	free(t);

	/* no cycles at all is a valid report (a job went away) */
	t = fpc_cycles_encode(NULL, 0, &len);
	assert_int_equal(fpc_cycles_decode(t, len, &got, &n, &err), 0);
	assert_int_equal(n, 0);
	fpc_cycles_free(got, n);
	free(t);
}

static const struct {
	const char *text, *msg;
	int err;
} bad_cycles[] = {
	{ "", "cycles: not JSON", EINVAL },
	{ "{", "cycles: not JSON (incomplete)", EINVAL },
	{ "[]", "cycles: not a JSON object", EINVAL },
	{ "{} x", "cycles: not JSON", EINVAL },
	{ "{}", "cycles: no \"cycles\"", EINVAL },
	{ "{\"cycles\":{}}", "cycles: \"cycles\" is not an array", EINVAL },
	{ "{\"cycles\":[1]}", "cycles: cycle 0 is not an object", EINVAL },
	{ "{\"cycles\":[{\"job\":-1,\"period_ns\":1,\"phases\":[]}]}",
	  "cycles: \"job\" is negative", ERANGE },
	{ "{\"cycles\":[{\"job\":4294967296,\"period_ns\":1,\"phases\":[]}]}",
	  "cycles: \"job\" is above 4294967295", ERANGE },
	{ "{\"cycles\":[{\"job\":1.5,\"period_ns\":1,\"phases\":[]}]}",
	  "cycles: \"job\" is not an integer", EINVAL },
	{ "{\"cycles\":[{\"job\":1,\"period_ns\":1,\"phases\":[]}]}",
	  "cycles: cycle 0 has 0 phases (1 to 4096)", ERANGE },
	{ "{\"cycles\":[{\"job\":1,\"period_ns\":1,\"phases\":[{\"steps\":0,\"flows\":[]}]}]}",
	  "cycles: a phase of 0 steps", ERANGE },
	{ "{\"cycles\":[{\"job\":1,\"period_ns\":1,\"phases\":[{\"steps\":1,\"flows\":[[\"10.0.0.1\",\"10.0.0.2\"]]}]}]}",
	  "cycles: a flow is not [src, dst, bytes]", EINVAL },
	{ "{\"cycles\":[{\"job\":1,\"period_ns\":1,\"phases\":[{\"steps\":1,\"flows\":[[\"10.0.0.1\",\"host\",1]]}]}]}",
	  "cycles: 'host' is not an IPv4 or IPv6 address", EINVAL },
	{ "{\"cycles\":[{\"job\":1,\"period_ns\":1,\"phases\":[{\"steps\":1,\"flows\":[[\"10.0.0.1\",\"2001:db8::1\",1]]}]}]}",
	  "cycles: a flow from an IPv4 address to an IPv6 one", EINVAL },
	{ "{\"cycles\":[{\"job\":1,\"period_ns\":1,\"phases\":[{\"steps\":1,\"flows\":[[\"::ffff:10.0.0.1\",\"10.0.0.2\",1]]}]}]}",
	  "cycles: '::ffff:10.0.0.1' is an IPv4-mapped IPv6 address", EINVAL },
	{ "{\"cycles\":[{\"job\":1,\"period_ns\":1,\"phases\":[{\"steps\":1,\"flows\":[[\"10.0.0.1\",null,1]]}]}]}",
	  "cycles: 'null' is not an IPv4 or IPv6 address", EINVAL },
	{ "{\"cycles\":[{\"job\":1,\"period_ns\":1,\"phases\":[{\"steps\":1,\"flows\":[[\"10.0.0.1\",\"10.0.0.2\",-5]]}]}]}",
	  "cycles: a flow's bytes are not a count", EINVAL },
	/* sums past their types: refused, not wrapped */
	{ "{\"cycles\":[{\"job\":1,\"period_ns\":1,\"phases\":[{\"steps\":4294967295,\"flows\":[]},"
	  "{\"steps\":1,\"flows\":[]}]}]}", "cycles: cycle 0 has more than 4294967295 steps", ERANGE },
	{ "{\"cycles\":[{\"job\":1,\"period_ns\":1,\"phases\":[{\"steps\":2,\"flows\":"
	  "[[\"10.0.0.1\",\"10.0.0.2\",18446744073709551615]]}]}]}",
	  "cycles: cycle 0 moves more than 2^64 bytes", ERANGE },
};

static void test_cycles_hostile(void **state)
{
	struct fpd_cycle *got = (void *)1;
	struct fp_err err;
	size_t n = 9, i;

	(void)state;
	for (i = 0; i < sizeof(bad_cycles) / sizeof(bad_cycles[0]); i++) {
		err.msg[0] = 0;
		assert_int_equal(fpc_cycles_decode(bad_cycles[i].text, strlen(bad_cycles[i].text),
						   &got, &n, &err), bad_cycles[i].err);
		if (!strstr(err.msg, bad_cycles[i].msg))
			fail_msg("%s: got '%s', want '%s'", bad_cycles[i].text, err.msg,
				 bad_cycles[i].msg);
		assert_null(got);
		assert_int_equal(n, 0);
	}
}

static void test_payload_limits(void **state)
{
	static const char nul[] = "{}\0{}";
	struct fpc_lease_val v;
	struct fp_err err = { "" };
	size_t big = (16u << 20) + 1;
	char *t = malloc(big + 1);

	(void)state;
	assert_non_null(t);
	memset(t, ' ', big);
	t[0] = '{';
	t[big - 1] = '}';
	t[big] = 0;
	assert_int_equal(fpc_lease_decode(t, big, &v, &err), EFBIG);
	assert_non_null(strstr(err.msg, "lease: 16777217 bytes, more than 16777216"));
	/* a NUL inside the given length is not the end of the text */
	assert_int_equal(fpc_lease_decode(nul, sizeof(nul) - 1, &v, &err), EINVAL);
	free(t);
}

static void test_links_roundtrip_and_hostile(void **state)
{
	struct fpc_port p[2] = {
		{ "rxe0", 1, true, 2, { { { 0 } } } },
		{ "mlx5_1", 2, false, 0, { { { 0 } } } },
	};
	struct fpc_port *got;
	struct fp_err err = { "" };
	size_t len, n;
	char *t;
	static const char nine[] = "{\"ports\":[{\"dev\":\"d\",\"port\":1,\"up\":true,\"addrs\":"
		"[\"1.1.1.1\",\"1.1.1.2\",\"1.1.1.3\",\"1.1.1.4\",\"1.1.1.5\",\"1.1.1.6\","
		"\"1.1.1.7\",\"1.1.1.8\",\"1.1.1.9\"]}]}";
	static const char longdev[] = "{\"ports\":[{\"dev\":\""
		"01234567890123456789012345678901234567890123456789012345678901234"
		"\",\"port\":1,\"up\":true,\"addrs\":[]}]}";

	(void)state;
	p[0].addrs[0] = ipa("10.1.0.1");
	p[0].addrs[1] = ipa("10.2.0.1");
	t = fpc_links_encode(p, 2, &len);
	assert_int_equal(fpc_links_decode(t, len, &got, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(got[0].dev, "rxe0");
	assert_int_equal(got[0].port, 1);
	assert_true(got[0].up);
	assert_int_equal(got[0].naddrs, 2);
	assert_memory_equal(got[0].addrs, p[0].addrs, 2 * sizeof(p[0].addrs[0]));
	assert_string_equal(got[1].dev, "mlx5_1");
	assert_false(got[1].up);
	assert_int_equal(got[1].naddrs, 0);
	free(got);
	free(t);

	assert_int_equal(fpc_links_decode(nine, strlen(nine), &got, &n, &err), ERANGE);
	assert_non_null(strstr(err.msg, "more than 8 addresses"));
	assert_int_equal(fpc_links_decode(longdev, strlen(longdev), &got, &n, &err), ERANGE);
	assert_non_null(strstr(err.msg, "\"dev\" is longer than 63 bytes"));
	assert_int_equal(links_dec("{\"ports\":[{\"dev\":\"d\",\"port\":1,\"up\":1,"
					    "\"addrs\":[]}]}", &got, &n, &err), EINVAL);
	assert_non_null(strstr(err.msg, "\"up\" is not a boolean"));
	assert_null(got);
}

static void test_counters(void **state)
{
	struct fpc_count c[2] = { { { { 0 } }, 4791, 1ull << 40 }, { { { 0 } }, 65535, 0 } };
	struct fpc_count *got;
	struct fp_err err = { "" };
	uint64_t gen;
	size_t len, n;
	char *t;
	static const char badport[] = "{\"generation\":1,\"subflows\":[[\"1.2.3.4\",65536,1]]}";

	(void)state;
	c[0].remote = ipa("10.0.0.9");
	c[1].remote = ipa("10.0.0.10");
	t = fpc_counters_encode(17, c, 2, &len);
	assert_int_equal(fpc_counters_decode(t, len, &gen, &got, &n, &err), 0);
	assert_int_equal(gen, 17);
	assert_int_equal(n, 2);
	assert_memory_equal(got, c, sizeof(c));
	free(got);
	free(t);
	assert_int_equal(fpc_counters_decode(badport, strlen(badport), &gen, &got, &n, &err),
			 ERANGE);
	assert_non_null(strstr(err.msg, "counters: a source port is not 0..65535"));
}

/*
 * IPv6: a port's addresses and a subflow's remote address travel in RFC
 * 5952 text beside IPv4 ones, which stay dotted quads (an IPv4 host's
 * messages are as they were); other spellings of an IPv6 address read as
 * it; IPv4-mapped, zones and non-addresses are refused by name; the
 * cycles, IPv4 in the detector, refuse an IPv6 flow by name.
 */
static void test_ipv6_addresses(void **state)
{
	struct fpc_port p = { "rxe0", 1, false, 3, { { { 0 } } } }, *got;
	struct fpc_count c[2] = { { { { 0 } }, 49153, 1000 }, { { { 0 } }, 49154, 7 } }, *gc;
	struct fp_err err = { "" };
	uint64_t gen;
	size_t len, n;
	char *t;

	(void)state;
	p.addrs[0] = ipa("198.18.0.1");
	p.addrs[1] = ipa("2001:db8::1");
	p.addrs[2] = ipa("2001:db8:0:0:1::a");
	t = fpc_links_encode(&p, 1, &len);
	assert_non_null(strstr(t, "\"198.18.0.1\""));
	assert_non_null(strstr(t, "\"2001:db8::1\""));
	assert_non_null(strstr(t, "\"2001:db8::1:0:0:a\""));	/* RFC 5952 */
	assert_int_equal(fpc_links_decode(t, len, &got, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].naddrs, 3);
	assert_memory_equal(got[0].addrs, p.addrs, 3 * sizeof(p.addrs[0]));
	free(got);
	free(t);
	/* an IPv4 port's message: the text it always was */
	p.naddrs = 1;
	p.up = true;
	t = fpc_links_encode(&p, 1, &len);
	assert_string_equal(t, "{\"ports\":[{\"dev\":\"rxe0\",\"port\":1,\"up\":true,"
			       "\"addrs\":[\"198.18.0.1\"]}]}");
	free(t);

	c[0].remote = ipa("2001:db8::3");
	c[1].remote = ipa("198.18.0.3");
	t = fpc_counters_encode(5, c, 2, &len);
	assert_non_null(strstr(t, "[\"2001:db8::3\",49153,1000]"));
	assert_non_null(strstr(t, "[\"198.18.0.3\",49154,7]"));
	assert_int_equal(fpc_counters_decode(t, len, &gen, &gc, &n, &err), 0);
	assert_int_equal(n, 2);
	for (len = 0; len < 2; len++) {
		assert_memory_equal(&gc[len].remote, &c[len].remote, sizeof(c[len].remote));
		assert_int_equal(gc[len].sport, c[len].sport);
		assert_int_equal(gc[len].bytes, c[len].bytes);
	}
	free(gc);
	free(t);
	/* upper case and uncompressed zeros read as the same address */
	t = "{\"generation\":1,\"subflows\":[[\"2001:DB8:0:0::3\",49153,1]]}";
	assert_int_equal(fpc_counters_decode(t, strlen(t), &gen, &gc, &n, &err), 0);
	assert_memory_equal(&gc[0].remote, &c[0].remote, sizeof(c[0].remote));
	free(gc);

	t = "{\"generation\":1,\"subflows\":[[\"::ffff:198.18.0.3\",49153,1]]}";
	assert_int_equal(fpc_counters_decode(t, strlen(t), &gen, &gc, &n, &err), EINVAL);
	assert_string_equal(err.msg, "counters: '::ffff:198.18.0.3' is an IPv4-mapped IPv6 "
				     "address (IPv4 is a dotted quad)");
	t = "{\"ports\":[{\"dev\":\"d\",\"port\":1,\"up\":true,\"addrs\":[\"fe80::1%eth0\"]}]}";
	assert_int_equal(fpc_links_decode(t, strlen(t), &got, &n, &err), EINVAL);
	assert_string_equal(err.msg, "links: 'fe80::1%eth0' is not an IPv4 or IPv6 address");
	t = "{\"ports\":[{\"dev\":\"d\",\"port\":1,\"up\":true,\"addrs\":[\"h0.n0\"]}]}";
	assert_int_equal(fpc_links_decode(t, strlen(t), &got, &n, &err), EINVAL);
	assert_string_equal(err.msg, "links: 'h0.n0' is not an IPv4 or IPv6 address");
}

static void test_small_payloads(void **state)
{
	struct fpc_installed in = { 0x300000002ull, 9, 12, "" }, in2;
	struct fpc_fablink l = { "leaf0", "spine3", false }, l2;
	struct fpc_lease_val v = { "pa", 7, 3000 }, v2;
	struct fpc_replan r = { 5, "repair", "link leaf0~spine0 down", 8, 2, 300, 11, 12, 13, 1, 14, 15,
				 123456789012ull, 2, 3 }, r2;
	struct fp_err err = { "" };
	size_t len;
	char *t;

	(void)state;
	snprintf(in.error, sizeof(in.error), "flowplan module not loaded");
	t = fpc_installed_encode(&in, &len);
	assert_int_equal(fpc_installed_decode(t, len, &in2, &err), 0);
	assert_memory_equal(&in, &in2, sizeof(in));
	free(t);

	t = fpc_fablink_encode(&l, &len);
	assert_int_equal(fpc_fablink_decode(t, len, &l2, &err), 0);
	assert_string_equal(l2.a, "leaf0");
	assert_string_equal(l2.b, "spine3");
	assert_false(l2.up);
	free(t);

	t = fpc_lease_encode(&v, &len);
	assert_int_equal(fpc_lease_decode(t, len, &v2, &err), 0);
	assert_string_equal(v2.holder, "pa");
	assert_int_equal(v2.term, 7);
	assert_int_equal(v2.ttl_ms, 3000);
	free(t);

	t = fpc_replan_encode(&r, &len);
	assert_int_equal(fpc_replan_decode(t, len, &r2, &err), 0);
	assert_memory_equal(&r, &r2, sizeof(r));
	free(t);
	/* an older planner's says nothing of unroutable flows: none */
	t = "{\"epoch\":5,\"method\":\"full\",\"why\":\"x\",\"hosts\":8,\"written\":2,"
	    "\"bytes\":300,\"compute_us\":1,\"cpu_us\":1,\"wall_us\":1,\"wait_us\":1,"
	    "\"encode_us\":1,\"put_us\":1,\"event_ns\":1}";
	assert_int_equal(fpc_replan_decode(t, strlen(t), &r2, &err), 0);
	assert_int_equal(r2.unroutable, 0);
	assert_int_equal(r2.written, 2);
	t = "{\"epoch\":5,\"method\":\"full\",\"why\":\"x\",\"hosts\":8,\"written\":2,"
	    "\"bytes\":300,\"compute_us\":1,\"cpu_us\":1,\"wall_us\":1,\"wait_us\":1,"
	    "\"encode_us\":1,\"put_us\":1,\"event_ns\":1,\"unroutable\":-1}";
	assert_int_equal(fpc_replan_decode(t, strlen(t), &r2, &err), ERANGE);
	assert_non_null(strstr(err.msg, "\"unroutable\" is negative"));

	/* strict: a missing field or one of the wrong type is an error naming it */
	assert_int_equal(lease_dec("{\"holder\":\"pa\",\"term\":1}", &v2, &err), EINVAL);
	assert_non_null(strstr(err.msg, "lease: no \"ttl_ms\""));
	assert_int_equal(lease_dec("{\"holder\":\"pa\",\"term\":4294967296,\"ttl_ms\":1}",
					  &v2, &err), ERANGE);
	assert_non_null(strstr(err.msg, "\"term\" is above 4294967295"));
	assert_int_equal(lease_dec("{\"holder\":\"p\\u0000a\",\"term\":1,\"ttl_ms\":1}",
					  &v2, &err), EINVAL);
	assert_non_null(strstr(err.msg, "\"holder\" holds a NUL byte"));
	assert_int_equal(fablink_dec("{\"a\":\"x\",\"b\":2,\"up\":true}", &l2, &err),
			 EINVAL);
	assert_non_null(strstr(err.msg, "fabric link: \"b\" is not a string"));
	assert_int_equal(installed_dec("{\"epoch\":1}", &in2, &err), EINVAL);
	assert_non_null(strstr(err.msg, "installed: no \"generation\""));
	assert_int_equal(in2.epoch, 0);	/* nothing half-decoded */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epochs),
		cmocka_unit_test(test_names_and_tokens),
		cmocka_unit_test(test_subjects),
		cmocka_unit_test(test_cycles_roundtrip),
		cmocka_unit_test(test_cycles_hostile),
		cmocka_unit_test(test_payload_limits),
		cmocka_unit_test(test_links_roundtrip_and_hostile),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_ipv6_addresses),
		cmocka_unit_test(test_small_payloads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
