// SPDX-License-Identifier: MIT
/*
 * test_nccl_net - the net plugin's address rules without RDMA hardware:
 * which GID of a port's table a device uses for each address family rule
 * (FLOWPLAN_NCCL_ADDR_FAMILY, NCCL_IB_ADDR_FAMILY), the addresses of either
 * family in the connect handle, and the handles connect() refuses (not
 * ours, version 1, the other family). The tables are those rxe builds for
 * a netdev with an IPv4 and an IPv6 address (RoCE v1 and v2 per address,
 * the link-local GIDs first).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <infiniband/verbs.h>

#include "nccl/net.h"

_Static_assert(sizeof(struct fpn_handle) <= NCCL_NET_HANDLE_MAXSIZE,
	       "NCCL's connect handle holds 128 bytes");

static struct ibv_gid_entry gid(uint32_t index, int v2, const char *addr)
{
	struct ibv_gid_entry e = {
		.gid_index = index,
		.port_num = 1,
		.gid_type = v2 ? IBV_GID_TYPE_ROCE_V2 : IBV_GID_TYPE_ROCE_V1,
	};
	struct fpn_ip a;

	assert_int_equal(fpn_ip_parse(addr, &a), 0);
	memcpy(e.gid.raw, a.b, 16);
	return e;
}

static const char *str(const struct fpn_ip *a)
{
	static char buf[INET6_ADDRSTRLEN];

	assert_non_null(fpn_ip_str(a, buf, sizeof(buf)));
	return buf;
}

static void test_family_rule(void **state)
{
	const char *name, *value;
	int fam;

	(void)state;
	unsetenv("FLOWPLAN_NCCL_ADDR_FAMILY");
	unsetenv("NCCL_IB_ADDR_FAMILY");
	assert_int_equal(fpn_addr_family(&fam, &name, &value), 0);
	assert_int_equal(fam, AF_UNSPEC);
	assert_null(name);
	/* NCCL's own variable, as its IB transport reads it */
	setenv("NCCL_IB_ADDR_FAMILY", "AF_INET6", 1);
	assert_int_equal(fpn_addr_family(&fam, &name, &value), 0);
	assert_int_equal(fam, AF_INET6);
	assert_string_equal(name, "NCCL_IB_ADDR_FAMILY");
	/* ours wins */
	setenv("FLOWPLAN_NCCL_ADDR_FAMILY", "AF_INET", 1);
	assert_int_equal(fpn_addr_family(&fam, &name, &value), 0);
	assert_int_equal(fam, AF_INET);
	assert_string_equal(name, "FLOWPLAN_NCCL_ADDR_FAMILY");
	/* anything else is refused by name, not taken as a default */
	setenv("FLOWPLAN_NCCL_ADDR_FAMILY", "inet6", 1);
	assert_int_equal(fpn_addr_family(&fam, &name, &value), EINVAL);
	assert_string_equal(name, "FLOWPLAN_NCCL_ADDR_FAMILY");
	assert_string_equal(value, "inet6");
	/* and init fails with it, before looking at any device */
	assert_int_equal(fpn_init(NULL, NULL), ncclInvalidArgument);
	setenv("FLOWPLAN_NCCL_ADDR_FAMILY", "AF_INET6", 1);
	assert_int_equal(fpn_init(NULL, NULL), ncclSuccess);
	fpn_fini();
	unsetenv("FLOWPLAN_NCCL_ADDR_FAMILY");
	unsetenv("NCCL_IB_ADDR_FAMILY");
}

static void test_gid_pick(void **state)
{
	/* rxe's table for a netdev holding 10.0.1.1 and fd00:1::1 */
	struct ibv_gid_entry dual[] = {
		gid(0, 0, "fe80::5054:ff:fe12:3401"),
		gid(1, 1, "fe80::5054:ff:fe12:3401"),
		gid(2, 0, "fd00:1::1"),
		gid(3, 1, "fd00:1::1"),
		gid(4, 0, "10.0.1.1"),
		gid(5, 1, "10.0.1.1"),
	};
	/* IPv6 only; multicast and IPv4-mapped-looking v1 entries around */
	struct ibv_gid_entry v6only[] = {
		gid(0, 1, "fe80::1"),
		gid(1, 1, "ff02::1"),
		gid(2, 0, "10.0.9.9"),
		gid(7, 1, "2001:db8::7"),
	};
	/* link-local only: nothing a flow group can use */
	struct ibv_gid_entry ll[] = { gid(0, 0, "fe80::1"), gid(1, 1, "fe80::1") };
	struct fpn_ip a;

	(void)state;
	assert_int_equal(fpn_gid_pick(dual, 6, AF_UNSPEC, &a), 5);
	assert_string_equal(str(&a), "10.0.1.1");
	assert_int_equal(fpn_ip_family(&a), AF_INET);
	assert_int_equal(fpn_gid_pick(dual, 6, AF_INET, &a), 5);
	assert_int_equal(fpn_gid_pick(dual, 6, AF_INET6, &a), 3);
	assert_string_equal(str(&a), "fd00:1::1");
	assert_int_equal(fpn_ip_family(&a), AF_INET6);
	/* the index is the GID's, not the position in the list */
	assert_int_equal(fpn_gid_pick(v6only, 4, AF_UNSPEC, &a), 7);
	assert_string_equal(str(&a), "2001:db8::7");
	assert_int_equal(fpn_gid_pick(v6only, 4, AF_INET6, &a), 7);
	assert_int_equal(fpn_gid_pick(v6only, 4, AF_INET, &a), -1);
	assert_int_equal(fpn_gid_pick(ll, 2, AF_UNSPEC, &a), -1);
	assert_int_equal(fpn_gid_pick(ll, 2, AF_INET6, &a), -1);
	assert_int_equal(fpn_gid_pick(dual, 0, AF_UNSPEC, &a), -1);
}

static void test_addr_text(void **state)
{
	static const char * const ok[] = { "10.0.1.1", "127.0.0.1", "::1",
					   "fd00:2::1", "2001:db8::7" };
	struct fpn_ip a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(fpn_ip_parse(ok[i], &a), 0);
		assert_string_equal(str(&a), ok[i]);
		assert_int_equal(fpn_ip_family(&a),
				 strchr(ok[i], ':') ? AF_INET6 : AF_INET);
	}
	assert_int_equal(fpn_ip_parse("10.0.1", &a), EINVAL);
	assert_int_equal(fpn_ip_parse("fd00::1%eth0", &a), EINVAL);
	assert_int_equal(fpn_ip_parse("", &a), EINVAL);
	assert_int_equal(fpn_ip_parse(NULL, &a), EINVAL);
}

static void test_handle(void **state)
{
	union {
		struct fpn_handle h;
		char raw[NCCL_NET_HANDLE_MAXSIZE];
	} u;
	char msg[200];

	(void)state;
	/* the layout: magic, version, port, two 16-byte addresses */
	assert_int_equal(offsetof(struct fpn_handle, addr), 8);
	assert_int_equal(offsetof(struct fpn_handle, boot), 24);
	memset(&u, 0, sizeof(u));
	u.h.magic = 0x314e5046u;	/* "FPN1" */
	u.h.version = FPN_HANDLE_VERSION;
	u.h.port = 4791;
	assert_int_equal(fpn_ip_parse("fd00:2::1", &u.h.addr), 0);
	assert_int_equal(fpn_ip_parse("127.0.0.1", &u.h.boot), 0);
	assert_int_equal(fpn_handle_check(&u.h, AF_INET6, msg, sizeof(msg)), 0);
	/* an IPv4 device cannot connect to an IPv6 listener, and says so */
	assert_int_equal(fpn_handle_check(&u.h, AF_INET, msg, sizeof(msg)),
			 EAFNOSUPPORT);
	assert_non_null(strstr(msg, "fd00:2::1 is AF_INET6"));
	assert_non_null(strstr(msg, "FLOWPLAN_NCCL_ADDR_FAMILY"));
	assert_int_equal(fpn_ip_parse("10.0.2.1", &u.h.addr), 0);
	assert_int_equal(fpn_handle_check(&u.h, AF_INET, msg, sizeof(msg)), 0);
	assert_int_equal(fpn_handle_check(&u.h, AF_INET6, msg, sizeof(msg)),
			 EAFNOSUPPORT);
	/* version 1 (4-byte IPv4 addresses at 8 and 12) is not misread */
	u.h.version = 1;
	assert_int_equal(fpn_handle_check(&u.h, AF_INET, msg, sizeof(msg)),
			 EPROTO);
	assert_non_null(strstr(msg, "version 1"));
	u.h.version = FPN_HANDLE_VERSION;
	u.h.magic = 0;
	assert_int_equal(fpn_handle_check(&u.h, AF_INET, msg, sizeof(msg)),
			 EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_rule),
		cmocka_unit_test(test_gid_pick),
		cmocka_unit_test(test_addr_text),
		cmocka_unit_test(test_handle),
	};

	return cmocka_run_group_tests_name("test_nccl_net", tests, NULL, NULL);
}
