// SPDX-License-Identifier: MIT
/* Fabric model: generators, wiring, routing, the hash model, files and bad input. */
#include <stdlib.h>

#include "planner/util.h"
#include "planner_util.h"

static int count_tier(const struct fp_topo *t, int tier)
{
	int i, n = 0;

	for (i = 0; i < t->nnodes; i++)
		n += !t->nodes[i].is_nic && t->nodes[i].tier == tier;
	return n;
}

static void test_leafspine_shape(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=3,hosts=2,nics=2");
	int h;

	(void)state;
	assert_int_equal(t->nhosts, 8);
	assert_int_equal(count_tier(t, 1), 4);
	assert_int_equal(count_tier(t, 2), 3);
	assert_int_equal(t->nlinks / 2, 16 + 12);
	assert_true(t->two_tier);
	/* plain wiring: both NICs of a host on the same leaf */
	for (h = 0; h < t->nhosts; h++)
		assert_int_equal(t->nodes[t->hosts[h].first_nic].leaf,
				 t->nodes[t->hosts[h].first_nic + 1].leaf);
	fp_topo_free(t);
}

static void test_rail_wiring(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=8,spines=2,hosts=3,nics=4,rail");
	int h, i;

	(void)state;
	assert_int_equal(t->nhosts, 6);
	for (h = 0; h < t->nhosts; h++) {
		for (i = 0; i < 4; i++) {
			const struct fp_node *n = &t->nodes[t->hosts[h].first_nic + i];
			char want[16];

			snprintf(want, sizeof(want), "leaf%d", (h / 3) * 4 + i);
			assert_string_equal(t->nodes[n->leaf].name, want);
		}
	}
	fp_topo_free(t);
}

static void test_fattree_shape(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4");
	struct fp_pathset ps;
	int a = fp_topo_find(t, "leaf0"), b = fp_topo_find(t, "leaf2"), c = fp_topo_find(t, "leaf1");

	(void)state;
	assert_int_equal(t->nhosts, 16);
	assert_int_equal(count_tier(t, 1), 8);
	assert_int_equal(count_tier(t, 2), 8);
	assert_int_equal(count_tier(t, 3), 4);
	assert_false(t->two_tier);
	ps = fp_topo_paths(t, a, b);	/* across pods: (k/2)^2 */
	assert_int_equal(ps.n, 4);
	assert_int_equal(ps.p[0].len, 4);
	ps = fp_topo_paths(t, a, c);	/* same pod: k/2 */
	assert_int_equal(ps.n, 2);
	assert_int_equal(ps.p[0].len, 2);
	fp_topo_free(t);
}

static void test_failed_links_remove_paths(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=4,hosts=1,fail=leaf0-spine1+spine3-leaf1");
	struct fp_pathset ps = fp_topo_paths(t, fp_topo_find(t, "leaf0"), fp_topo_find(t, "leaf1"));
	int i;

	(void)state;
	assert_int_equal(ps.n, 2);
	for (i = 0; i < ps.n; i++) {
		const char *sp = t->nodes[t->links[ps.p[i].link[0]].to].name;

		assert_true(!strcmp(sp, "spine0") || !strcmp(sp, "spine2"));
	}
	assert_false(t->two_tier && false);
	fp_topo_free(t);
}

/* A CRC32 written bit by bit, independent of the table-driven one. */
static uint32_t crc32_bitwise(uint32_t init, const uint8_t *p, int n)
{
	uint32_t c = ~init;
	int i, b;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (b = 0; b < 8; b++)
			c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
	}
	return ~c;
}

static void test_hash_crc32_reference(void **state)
{
	uint8_t in[13] = { 198, 18, 0, 1, 198, 18, 0, 9, 17, 0xC0, 0x01, 0x12, 0xB7 };
	uint32_t s, d;

	(void)state;
	memcpy(&s, in, 4);
	memcpy(&d, in + 4, 4);
	assert_int_equal(fp_hash(FP_HASH_CRC32, 0, s, d, 0xC001, 4791), crc32_bitwise(0, in, 13));
	assert_int_equal(fp_hash(FP_HASH_CRC32, 77, s, d, 0xC001, 4791), crc32_bitwise(77, in, 13));
	/* the textbook check value: CRC-32 of "123456789" */
	assert_int_equal(crc32_bitwise(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
}

/*
 * Known answers from an independent implementation (bitwise CRCs in
 * Python, checked against the catalogue's "123456789" values 0xE3069283 for
 * CRC-32C and 0x29B1 for CRC-16/CCITT-FALSE; a Python Toeplitz that gives
 * Microsoft's five published RSS vectors for IPv4, with and without TCP
 * ports, e.g. 0x323e8fc2 and 0x51ccc178), over the 13-byte 5-tuple.
 */
static void test_hash_known_answers(void **state)
{
	static const struct {
		const char *s, *d;
		uint16_t sport;
		uint32_t seed, crc32c, crc16, xor, toeplitz;
	} v[] = {
		{ "198.18.0.1", "198.18.0.5", 49153, 0, 0x20dbf64c, 0xc5aa, 0xd6a7, 0xd67e1621 },
		{ "10.1.2.3", "10.9.8.7", 65535, 0x12345678, 0x04e89892, 0x5a43, 0xa51f, 0x9747e0d3 },
		{ "198.18.3.4", "198.18.7.200", 51000, 7, 0xc17cb5cd, 0x9445, 0x199d, 0x750c386f },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t s, d;

		assert_int_equal(fp_parse_ipv4(v[i].s, &s), 0);
		assert_int_equal(fp_parse_ipv4(v[i].d, &d), 0);
		assert_int_equal(fp_hash(FP_HASH_CRC32C, v[i].seed, s, d, v[i].sport, 4791), v[i].crc32c);
		assert_int_equal(fp_hash(FP_HASH_CRC16, v[i].seed, s, d, v[i].sport, 4791), v[i].crc16);
		assert_int_equal(fp_hash(FP_HASH_XOR, v[i].seed, s, d, v[i].sport, 4791), v[i].xor);
		assert_int_equal(fp_hash(FP_HASH_TOEPLITZ, v[i].seed, s, d, v[i].sport, 4791),
				 v[i].toeplitz);
	}
}

/*
 * Toeplitz seeds are XORed into the key's first 32 bits, every bit of
 * them: seeds whose top byte shares bits with the key's first byte (0x6d)
 * move the hash too. Known answers from the same Python Toeplitz (it gives
 * the rows above and Microsoft's 0x51ccc178), 198.18.0.1 -> 198.18.0.5,
 * port 49153.
 */
static void test_hash_toeplitz_seed_bits(void **state)
{
	static const struct {
		uint32_t seed, toeplitz;
	} v[] = {
		{ 0, 0xd67e1621 }, { 0x6d000000, 0x817e1621 }, { 0xff00ff00, 0xcf673721 },
		{ 0x40000000, 0x167e1621 },
	};
	uint32_t s, d;
	size_t i;

	(void)state;
	assert_int_equal(fp_parse_ipv4("198.18.0.1", &s), 0);
	assert_int_equal(fp_parse_ipv4("198.18.0.5", &d), 0);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(fp_hash(FP_HASH_TOEPLITZ, v[i].seed, s, d, 49153, 4791), v[i].toeplitz);
}

/*
 * ECMP groups wider than 64: 600 spines between two leaves. The route picks
 * any of them, a port is found for the last, spraying splits in 600.
 */
static void test_wide_ecmp(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=600,hosts=1");
	int a = t->hosts[0].first_nic, b = t->hosts[1].first_nic, p;
	struct fp_pathset ps = fp_topo_paths(t, t->nodes[a].leaf, t->nodes[b].leaf);
	char *seen = calloc(600, 1);
	uint32_t fl;
	int distinct = 0, i;

	(void)state;
	assert_int_equal(ps.n, 600);
	for (i = 1; i < 0x4000; i++) {
		p = fp_topo_route(t, a, b, fp_label_to_sport((uint32_t)i));
		assert_true(p >= 0 && p < 600);
		distinct += !seen[p];
		seen[p] = 1;
	}
	assert_true(distinct > 590);	/* 16383 labels over 600 paths */
	for (p = 0; p < 600; p += 599) {
		assert_int_equal(fp_topo_port_search(t, a, b, p, 1, &fl), 0);
		assert_int_equal(fp_topo_route(t, a, b, fp_label_to_sport(fl)), p);
	}
	free(seen);
	fp_topo_free(t);
}

/* The port search relies on hash(sport) == hash(0) ^ delta(sport) for every model. */
static void test_hash_linearity(void **state)
{
	uint64_t rng = 42;
	int fn, i;

	(void)state;
	for (fn = FP_HASH_CRC32; fn <= FP_HASH_TOEPLITZ; fn++) {
		for (i = 0; i < 2000; i++) {
			uint32_t seed = (uint32_t)fp_rand64(&rng), s = (uint32_t)fp_rand64(&rng);
			uint32_t d = (uint32_t)fp_rand64(&rng);
			uint16_t sp = (uint16_t)fp_rand64(&rng);

			assert_int_equal(fp_hash(fn, seed, s, d, sp, 4791),
					 fp_hash(fn, seed, s, d, 0, 4791) ^ fp_hash_sport_delta(fn, sp));
		}
	}
}

static void test_label_to_sport(void **state)
{
	(void)state;
	assert_int_equal(fp_label_to_sport(1), 0xC001);
	assert_int_equal(fp_label_to_sport(0x3fff), 0xFFFF);
	/* labels above 0x3fff fold their high bits into the low 14 */
	assert_int_equal(fp_label_to_sport(0x4001), 0xC000 | (0x0001 ^ 0x1));
	assert_int_equal(fp_label_to_sport(0xfffff), 0xC000 | (0x3fff ^ 0x3f));
	/* the kernel's QPN-derived label: v = l*r; v ^= v>>20; v ^= v>>40 */
	assert_int_equal(fp_qpn_flow_label(0x11, 0x12), (0x11 * 0x12) & 0xfffff);
	assert_int_equal(fp_qpn_flow_label(0x123456, 0x654321),
			 (uint32_t)(((0x123456ull * 0x654321ull) ^ ((0x123456ull * 0x654321ull) >> 20) ^
				     (((0x123456ull * 0x654321ull) ^ ((0x123456ull * 0x654321ull) >> 20)) >> 40)) & 0xfffff));
}

/* Every port the search returns is routed by the model onto the wanted path. */
static void test_port_search_agrees_with_route(void **state)
{
	static const char *const topos[] = {
		"leafspine:leaves=3,spines=5,hosts=2",
		"fattree:k=4,hash=toeplitz,seed=9",
		"fattree:k=6,fail=agg0.0-core1,hash=crc16",
		"leafspine:leaves=2,spines=3,hosts=1,hash=xor",
	};
	size_t i;
	int p;

	(void)state;
	for (i = 0; i < sizeof(topos) / sizeof(topos[0]); i++) {
		struct fp_topo *t = gen_topo(topos[i]);
		int src = t->hosts[0].first_nic, dst = t->hosts[t->nhosts - 1].first_nic;
		struct fp_pathset ps = fp_topo_paths(t, t->nodes[src].leaf, t->nodes[dst].leaf);

		assert_true(ps.n > 1);
		for (p = 0; p < ps.n; p++) {
			uint32_t fl;

			if (fp_topo_port_search(t, src, dst, p, 0, &fl)) {
				/* xor folds to 16 bits: some paths may be unreachable; others not */
				assert_int_equal(t->hash_fn, FP_HASH_XOR);
				continue;
			}
			assert_int_equal(fp_topo_route(t, src, dst, fp_label_to_sport(fl)), p);
		}
		fp_topo_free(t);
	}
}

/*
 * IPv6 known answers, from an independent implementation (Python: zlib's
 * CRC-32, bitwise CRC-32C and CRC-16, a Toeplitz that gives Microsoft's
 * published RSS vectors 0x51ccc178 for IPv4 and 0x40207d3d for IPv6 TCP),
 * over each layout: 5-tuple, 5-tuple and flow label, L3 and flow label.
 */
static void test_hash_v6_known_answers(void **state)
{
	static const struct {
		enum fp_hash_key key;
		const char *s, *d;
		uint16_t sport;
		uint32_t fl, seed, crc32, crc32c, crc16, toeplitz, xor;
	} v[] = {
		{ FP_HK_V6_L4, "2001:db8::1", "2001:db8::5", 49153, 0x1, 0x0, 0xd0a02221, 0x706abf0a, 0x73dc, 0xa28f2611, 0xd6a7 },
		{ FP_HK_V6_L4, "2001:db8:1:2::a", "fd00::9:8:7", 65535, 0x3fff, 0x12345678, 0x177c0e5d, 0xf15f6e70, 0x8648, 0xe4571c56, 0x1fc5 },
		{ FP_HK_V6_L4, "2001:2::3", "2001:2::c8", 51000, 0xabcde, 0x7, 0x8ac417e5, 0x46fced89, 0x4e21, 0x4d46d242, 0x1e99 },
		{ FP_HK_V6_L4_FL, "2001:db8::1", "2001:db8::5", 49153, 0x1, 0x0, 0xc0ad204b, 0xb3e1151c, 0xc133, 0x94220d7c, 0xd6a6 },
		{ FP_HK_V6_L4_FL, "2001:db8:1:2::a", "fd00::9:8:7", 65535, 0x3fff, 0x12345678, 0x29c9b1ce, 0x47dcbf98, 0x06c4, 0x3dc642c7, 0x203a },
		{ FP_HK_V6_L4_FL, "2001:2::3", "2001:2::c8", 51000, 0xabcde, 0x7, 0xed6ed25d, 0x139b45d7, 0x8569, 0x09f96582, 0xa24d },
		{ FP_HK_V6_L3_FL, "2001:db8::1", "2001:db8::5", 49153, 0x1, 0x0, 0xc35440ab, 0xfd543303, 0xd92c, 0x8c7de97e, 0x0410 },
		{ FP_HK_V6_L3_FL, "2001:db8:1:2::a", "fd00::9:8:7", 65535, 0x3fff, 0x12345678, 0x6f031369, 0xa5ad027a, 0x0ebb, 0x46cced54, 0xcd72 },
		{ FP_HK_V6_L3_FL, "2001:2::3", "2001:2::c8", 51000, 0xabcde, 0x7, 0xfafeaf4d, 0xbcc3e169, 0x1d64, 0xe5dae7c6, 0x77c2 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct fp_addr s, d;

		assert_int_equal(fp_addr_parse(v[i].s, &s), 0);
		assert_int_equal(fp_addr_parse(v[i].d, &d), 0);
#define H(fn) fp_hash_pkt(fn, v[i].seed, v[i].key, &s, &d, v[i].sport, 4791, v[i].fl)
		assert_int_equal(H(FP_HASH_CRC32), v[i].crc32);
		assert_int_equal(H(FP_HASH_CRC32C), v[i].crc32c);
		assert_int_equal(H(FP_HASH_CRC16), v[i].crc16);
		assert_int_equal(H(FP_HASH_TOEPLITZ), v[i].toeplitz);
		assert_int_equal(H(FP_HASH_XOR), v[i].xor);
#undef H
	}
}

/* Which fields each layout hashes: a field outside it changes nothing. */
static void test_hash_v6_fields(void **state)
{
	struct fp_addr s, d, s4, d4;
	int fn;

	(void)state;
	fp_addr_parse("2001:db8::1", &s);
	fp_addr_parse("2001:db8::2", &d);
	fp_addr_parse("198.18.0.1", &s4);
	fp_addr_parse("198.18.0.2", &d4);
	for (fn = FP_HASH_CRC32; fn <= FP_HASH_TOEPLITZ; fn++) {
		/* l4: the label is not hashed */
		assert_int_equal(fp_hash_pkt(fn, 3, FP_HK_V6_L4, &s, &d, 0xC001, 4791, 1),
				 fp_hash_pkt(fn, 3, FP_HK_V6_L4, &s, &d, 0xC001, 4791, 0x77));
		/* l3+flowlabel: the ports are not */
		assert_int_equal(fp_hash_pkt(fn, 3, FP_HK_V6_L3_FL, &s, &d, 0xC001, 4791, 5),
				 fp_hash_pkt(fn, 3, FP_HK_V6_L3_FL, &s, &d, 0xD00D, 1, 5));
		/* l4+flowlabel: both are */
		assert_int_not_equal(fp_hash_pkt(fn, 3, FP_HK_V6_L4_FL, &s, &d, 0xC001, 4791, 1),
				     fp_hash_pkt(fn, 3, FP_HK_V6_L4_FL, &s, &d, 0xC001, 4791, 2));
		assert_int_not_equal(fp_hash_pkt(fn, 3, FP_HK_V6_L4_FL, &s, &d, 0xC001, 4791, 1),
				     fp_hash_pkt(fn, 3, FP_HK_V6_L4_FL, &s, &d, 0xC002, 4791, 1));
		/* IPv4 is the 5-tuple, as fp_hash() has it, whatever the label */
		assert_int_equal(fp_hash_pkt(fn, 3, FP_HK_V4, &s4, &d4, 0xC001, 4791, 9),
				 fp_hash(fn, 3, fp_addr_to_v4(&s4), fp_addr_to_v4(&d4), 0xC001, 4791));
		/* only the label's 20 bits count */
		assert_int_equal(fp_hash_pkt(fn, 3, FP_HK_V6_L3_FL, &s, &d, 0, 4791, 0x100005),
				 fp_hash_pkt(fn, 3, FP_HK_V6_L3_FL, &s, &d, 0, 4791, 5));
	}
	assert_int_equal(fp_hash_key_of(&s4, FP_HF_L3_FL), FP_HK_V4);
	assert_int_equal(fp_hash_key_of(&s, FP_HF_L4), FP_HK_V6_L4);
	assert_int_equal(fp_hash_key_of(&s, FP_HF_L4_FL), FP_HK_V6_L4_FL);
	assert_int_equal(fp_hash_key_of(&s, FP_HF_L3_FL), FP_HK_V6_L3_FL);
}

/* hash(sport, fl) == hash(0, 0) ^ delta(sport, fl) for every function and layout. */
static void test_hash_v6_linearity(void **state)
{
	uint64_t rng = 43;
	int fn, key, i, j;

	(void)state;
	for (fn = FP_HASH_CRC32; fn <= FP_HASH_TOEPLITZ; fn++) {
		for (key = FP_HK_V4; key <= FP_HK_V6_L3_FL; key++) {
			for (i = 0; i < 300; i++) {
				uint32_t seed = (uint32_t)fp_rand64(&rng), fl = (uint32_t)fp_rand64(&rng);
				uint16_t sp = (uint16_t)fp_rand64(&rng);
				struct fp_addr s, d;

				for (j = 0; j < 16; j++) {
					s.b[j] = (uint8_t)fp_rand64(&rng);
					d.b[j] = (uint8_t)fp_rand64(&rng);
				}
				if (key == FP_HK_V4) {
					s = fp_addr_v4((uint32_t)fp_rand64(&rng));
					d = fp_addr_v4((uint32_t)fp_rand64(&rng));
				}
				if (i & 1) {	/* a planner label: table path */
					fl &= 0x3fff;
					sp = (uint16_t)(0xC000 | fl);
				}
				assert_int_equal(fp_hash_pkt(fn, seed, key, &s, &d, sp, 4791, fl),
						 fp_hash_pkt(fn, seed, key, &s, &d, 0, 4791, 0) ^
						 fp_hash_pkt_delta(fn, key, sp, fl));
			}
			/*
			 * Just past the planner's labels: label 0x4000 with port
			 * 0xC000 (0xC000 | 0x4000), which no label table holds.
			 */
			for (i = 0; i < 4; i++) {
				static const uint32_t edge[] = { 0x3fff, 0x4000, 0x4001, 0xfffff };
				uint32_t seed = 5, fl = edge[i];
				uint16_t sp = (uint16_t)(0xC000 | fl);
				struct fp_addr s = fp_addr_v4(0x0a000001), d = fp_addr_v4(0x0a0001fe);

				if (key != FP_HK_V4)
					for (j = 0; j < 16; j++) {
						s.b[j] = (uint8_t)(0x20 + 3 * j);
						d.b[j] = (uint8_t)(0x91 ^ (7 * j));
					}
				assert_int_equal(fp_hash_pkt(fn, seed, key, &s, &d, sp, 4791, fl),
						 fp_hash_pkt(fn, seed, key, &s, &d, 0, 4791, 0) ^
						 fp_hash_pkt_delta(fn, key, sp, fl));
			}
		}
	}
}

/*
 * The tables of changes, built from one change per bit, hold for every
 * port and every planner label (port 0xC000 | label, the label in the
 * header) of every function and layout.
 */
static void test_hash_delta_tables(void **state)
{
	struct fp_addr s4 = fp_addr_v4(0x0a000001), d4 = fp_addr_v4(0x0a0001fe), s6, d6;
	int fn, key, j;
	uint32_t i;

	(void)state;
	for (j = 0; j < 16; j++) {
		s6.b[j] = (uint8_t)(0x20 + 3 * j);
		d6.b[j] = (uint8_t)(0x91 ^ (7 * j));
	}
	for (fn = FP_HASH_CRC32; fn <= FP_HASH_TOEPLITZ; fn++) {
		for (key = FP_HK_V4; key <= FP_HK_V6_L3_FL; key++) {
			const struct fp_addr *s = key == FP_HK_V4 ? &s4 : &s6;
			const struct fp_addr *d = key == FP_HK_V4 ? &d4 : &d6;
			const uint32_t *lab = fp_hash_label_deltas(fn, key);
			uint32_t h0 = fp_hash_pkt(fn, 77, key, s, d, 0, 4791, 0);

			for (i = 0; i < 0x4000; i++)
				assert_int_equal(fp_hash_pkt(fn, 77, key, s, d, (uint16_t)(0xC000 | i),
							     4791, i), h0 ^ lab[i]);
			for (i = 0; i < 65536; i++)
				assert_int_equal(fp_hash_pkt(fn, 77, key, s, d, (uint16_t)i, 4791, 0),
						 h0 ^ fp_hash_pkt_delta(fn, key, (uint16_t)i, 0));
		}
	}
}

/*
 * Routes on IPv6 fabrics: the port search's label takes its path for every
 * hash-fields setting; l3+flowlabel switches route by the label alone,
 * l4 ones by the port alone.
 */
static void test_route_v6(void **state)
{
	static const char *const topos[] = {
		"leafspine:leaves=3,spines=5,hosts=2,ipv6",
		"leafspine:leaves=3,spines=5,hosts=2,ipv6,fields=l4+flowlabel",
		"fattree:k=4,hash=toeplitz,seed=9,ipv6,fields=l3+flowlabel",
		"fattree:k=6,fail=agg0.0-core1,hash=crc16,ipv6,fields=l4+flowlabel",
	};
	size_t i;
	int p, k;

	(void)state;
	for (i = 0; i < sizeof(topos) / sizeof(topos[0]); i++) {
		struct fp_topo *t = gen_topo(topos[i]);
		int src = t->hosts[0].first_nic, dst = t->hosts[t->nhosts - 1].first_nic;
		struct fp_pathset ps = fp_topo_paths(t, t->nodes[src].leaf, t->nodes[dst].leaf);
		int moved_by_port = 0, moved_by_label = 0;

		assert_false(fp_addr_is_v4(&t->nodes[src].ip));
		assert_int_equal(t->nodes[src].addr, 0);
		assert_true(ps.n > 1);
		for (p = 0; p < ps.n; p++) {
			uint32_t fl;

			assert_int_equal(fp_topo_port_search(t, src, dst, p, 0, &fl), 0);
			assert_int_equal(fp_topo_route(t, src, dst, fp_label_to_sport(fl)), p);
			assert_int_equal(fp_topo_route_fl(t, src, dst, fp_label_to_sport(fl), fl), p);
		}
		for (k = 1; k < 200; k++) {
			int r = fp_topo_route_fl(t, src, dst, 0xC001, 1);

			moved_by_port += fp_topo_route_fl(t, src, dst, (uint16_t)(0xC001 + k), 1) != r;
			moved_by_label += fp_topo_route_fl(t, src, dst, 0xC001, 1 + (uint32_t)k) != r;
		}
		switch (t->hash_fields) {
		case FP_HF_L4:
			assert_true(moved_by_port > 0 && !moved_by_label);
			break;
		case FP_HF_L3_FL:
			assert_true(!moved_by_port && moved_by_label > 0);
			break;
		case FP_HF_L4_FL:
			assert_true(moved_by_port > 0 && moved_by_label > 0);
			break;
		}
		fp_topo_free(t);
	}
}

/* Generated IPv6 addresses, and a file's own, found by address. */
static void test_addr_v6(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2,nics=2,ipv6");
	struct fp_addr a;
	char buf[FP_ADDR_STRLEN];
	int i;

	(void)state;
	assert_string_equal(fp_addr_str(&t->nodes[t->hosts[0].first_nic].ip, buf), "2001:2::1");
	assert_string_equal(fp_addr_str(&t->nodes[t->hosts[3].first_nic + 1].ip, buf), "2001:2::8");
	for (i = t->nswitches; i < t->nnodes; i++)
		assert_int_equal(fp_topo_find_ip(t, &t->nodes[i].ip), i);
	fp_addr_parse("2001:2::9", &a);
	assert_int_equal(fp_topo_find_ip(t, &a), -1);
	fp_addr_parse("198.18.0.1", &a);
	assert_int_equal(fp_topo_find_ip(t, &a), -1);
	assert_int_equal(fp_topo_find_addr(t, fp_addr_to_v4(&a)), -1);
	fp_topo_free(t);
}

/* @t written, read back and written again: the same text. */
static void assert_round_trip(const struct fp_topo *t)
{
	struct fp_topo *u = NULL;
	struct fp_err err = { "" };
	char *a = fp_topo_to_json(t, false), *b;

	if (fp_topo_parse(a, strlen(a), "rt", &u, &err))
		fail_msg("%s", err.msg);
	b = fp_topo_to_json(u, false);
	assert_string_equal(a, b);
	assert_int_equal(u->nlinks, t->nlinks);
	free(a);
	free(b);
	fp_topo_free(u);
}

/* IPv6 twin of the round trip, with per-switch hash fields over the fabric's. */
static void test_json_round_trip_v6(void **state)
{
	static const char txt[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"v6\","
		"\"hash\":{\"fn\":\"crc32\",\"seed\":3,\"fields\":\"l4+flowlabel\"},"
		"\"switches\":[{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1,\"hash_fields\":\"l3+flowlabel\"},"
		"{\"name\":\"spine0\",\"tier\":2,\"hash_fields\":\"l4\"},{\"name\":\"spine1\",\"tier\":2}],"
		"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"2001:DB8:0:0:0:0:0:0A\"}]},"
		"{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\",\"addr\":\"2001:db8:0:1:1:0:0:1\"}]},"
		"{\"name\":\"h2\",\"nics\":[{\"name\":\"h2.n0\"},{\"name\":\"h2.n1\",\"addr\":\"198.18.9.9\"}]}],"
		"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h1.n0\",\"b\":\"leaf1\",\"gbps\":100},"
		"{\"a\":\"h2.n0\",\"b\":\"leaf1\",\"gbps\":100},{\"a\":\"h2.n1\",\"b\":\"leaf1\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf0\",\"b\":\"spine1\",\"gbps\":100},"
		"{\"a\":\"leaf1\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine1\",\"gbps\":100}]}";
	struct fp_topo *t = NULL, *g;
	struct fp_err err = { "" };
	char *a;

	(void)state;
	if (fp_topo_parse(txt, strlen(txt), "v6", &t, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(t->nodes[fp_topo_find(t, "leaf0")].hfields, FP_HF_L4_FL);
	assert_int_equal(t->nodes[fp_topo_find(t, "leaf1")].hfields, FP_HF_L3_FL);
	assert_int_equal(t->nodes[fp_topo_find(t, "spine0")].hfields, FP_HF_L4);
	assert_int_equal(t->nodes[fp_topo_find(t, "spine1")].hfields, FP_HF_L4_FL);
	a = fp_topo_to_json(t, false);
	/* RFC 5952 text: lower case, longest zero run compressed, IPv4 dotted */
	assert_non_null(strstr(a, "\"addr\":\"2001:db8::a\""));
	assert_non_null(strstr(a, "\"addr\":\"2001:db8:0:1:1::1\""));
	assert_non_null(strstr(a, "\"addr\":\"198.18.9.9\""));
	assert_non_null(strstr(a, "\"addr\":\"198.18.0.1\""));	/* generated: IPv4 */
	assert_non_null(strstr(a, "\"fields\":\"l4+flowlabel\""));
	free(a);
	assert_round_trip(t);
	fp_topo_free(t);
	/* a generated IPv6 fabric round-trips too */
	g = gen_topo("fattree:k=4,nics=2,fail=leaf0-agg0.1,seed=5,ipv6,fields=l3+flowlabel");
	assert_int_equal(g->hash_fields, FP_HF_L3_FL);
	assert_round_trip(g);
	fp_topo_free(g);
}

/*
 * A dual-stack NIC: one name, one host, one host link, two addresses; each
 * address finds its own node (the NIC's for IPv4, its twin's for IPv6), the
 * writer writes "addrs" IPv4 first whatever order the file had.
 */
static void test_dual_stack(void **state)
{
	static const char txt[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"ds\","
		"\"switches\":[{\"name\":\"leaf0\",\"tier\":1}],"
		"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addrs\":[\"2001:DB8::1\",\"198.18.0.1\"],\"gpu\":3},"
		"{\"name\":\"h0.n1\",\"addrs\":[\"198.18.0.2\"]}]},"
		"{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\",\"addrs\":[\"198.18.0.5\",\"2001:db8::5\"]},"
		"{\"name\":\"h1.n1\",\"addr\":\"2001:db8::6\"}]}],"
		"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h0.n1\",\"b\":\"leaf0\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"h1.n0\",\"gbps\":40},{\"a\":\"h1.n1\",\"b\":\"leaf0\",\"gbps\":100}]}";
	struct fp_topo *t = NULL, *g;
	struct fp_err err = { "" };
	struct fp_addr a4, a6;
	int n0, tw, i;
	char *a, buf[FP_ADDR_STRLEN];

	(void)state;
	if (fp_topo_parse(txt, strlen(txt), "ds", &t, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(t->hosts[0].nnics, 2);
	assert_int_equal(t->hosts[1].nnics, 2);
	assert_int_equal(t->nlinks, 8);		/* one link per NIC, not per address */
	n0 = fp_topo_find(t, "h0.n0");
	tw = t->nodes[n0].twin;
	assert_true(tw >= t->hosts[1].first_nic + 2);	/* after every NIC */
	assert_true(t->nodes[tw].is_twin && !t->nodes[n0].is_twin);
	assert_int_equal(t->nodes[tw].twin, n0);
	assert_string_equal(t->nodes[tw].name, "h0.n0");
	assert_int_equal(t->nodes[tw].host, 0);
	assert_int_equal(t->nodes[tw].gpu, 3);
	assert_int_equal(t->nodes[tw].leaf, t->nodes[n0].leaf);
	assert_int_equal(t->nodes[tw].up_link, t->nodes[n0].up_link);
	assert_int_equal(t->nodes[tw].down_link, t->nodes[n0].down_link);
	assert_string_equal(fp_addr_str(&t->nodes[n0].ip, buf), "198.18.0.1");
	assert_string_equal(fp_addr_str(&t->nodes[tw].ip, buf), "2001:db8::1");
	fp_addr_parse("198.18.0.1", &a4);
	fp_addr_parse("2001:db8::1", &a6);
	assert_int_equal(fp_topo_find_ip(t, &a4), n0);
	assert_int_equal(fp_topo_find_ip(t, &a6), tw);
	assert_int_equal(fp_topo_nic_family(t, n0, true), tw);
	assert_int_equal(fp_topo_nic_family(t, tw, false), n0);
	assert_int_equal(fp_topo_nic_family(t, tw, true), tw);
	i = fp_topo_find(t, "h0.n1");
	assert_int_equal(t->nodes[i].twin, -1);
	assert_int_equal(fp_topo_nic_family(t, i, true), -1);
	assert_int_equal(fp_topo_flow_family(t, i, fp_topo_find(t, "h1.n0")), 4);
	assert_int_equal(fp_topo_flow_family(t, n0, fp_topo_find(t, "h1.n1")), 6);
	assert_int_equal(fp_topo_flow_family(t, i, fp_topo_find(t, "h1.n1")), 0);
	assert_int_equal(t->naddr, 6);
	a = fp_topo_to_json(t, false);
	assert_non_null(strstr(a, "\"name\":\"h0.n0\",\"addrs\":[\"198.18.0.1\",\"2001:db8::1\"]"));
	assert_non_null(strstr(a, "\"name\":\"h0.n1\",\"addr\":\"198.18.0.2\""));
	free(a);
	assert_round_trip(t);
	fp_topo_free(t);
	/* generated: every NIC both, IPv4 from 198.18.0.1 and IPv6 from 2001:2::1 */
	g = gen_topo("leafspine:leaves=2,spines=2,hosts=2,nics=2,dual");
	assert_int_equal(g->nnodes - g->nswitches, 16);
	for (i = g->nswitches; i < g->nnodes; i++) {
		assert_int_equal(fp_topo_find_ip(g, &g->nodes[i].ip), i);
		assert_int_equal(fp_addr_is_v4(&g->nodes[i].ip), !g->nodes[i].is_twin);
	}
	assert_string_equal(fp_addr_str(&g->nodes[g->hosts[3].first_nic + 1].ip, buf), "198.18.0.8");
	assert_string_equal(fp_addr_str(&g->nodes[g->nodes[g->hosts[3].first_nic + 1].twin].ip, buf),
			    "2001:2::8");
	assert_round_trip(g);
	fp_topo_free(g);
}

static void test_json_round_trip(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4,nics=2,fail=leaf0-agg0.1,up_gbps=40,seed=5");

	(void)state;
	assert_round_trip(t);
	fp_topo_free(t);
}

/* The directed link from node @a to node @b (by name), or -1. */
static int link_between(const struct fp_topo *t, const char *a, const char *b)
{
	int l, x = fp_topo_find(t, a), y = fp_topo_find(t, b);

	for (l = 0; l < t->nlinks; l++)
		if (t->links[l].from == x && t->links[l].to == y)
			return l;
	return -1;
}

/*
 * Failing links after paths were cached: on the k=4 fat-tree leaf0 reaches
 * leaf2 (another pod) over 4 paths, 2 per aggregation switch of its pod.
 * When agg0.0 loses both its core links (failed by the direction that
 * points up, away from leaf2), its distance to leaf2 grows and only the 2
 * paths over agg0.1 remain, each over live links; the cores come back up
 * with the 4.
 */
static void test_link_set_after_cache(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4");
	int src = fp_topo_find(t, "leaf0"), dst = fp_topo_find(t, "leaf2");
	int up0 = link_between(t, "agg0.0", "core0"), up1 = link_between(t, "agg0.0", "core1");
	struct fp_pathset ps;
	int k, h;

	(void)state;
	assert_true(src >= 0 && dst >= 0 && up0 >= 0 && up1 >= 0);
	ps = fp_topo_paths(t, src, dst);
	assert_int_equal(ps.n, 4);
	assert_int_equal(fp_topo_link_set(t, up0, false), 0);
	ps = fp_topo_paths(t, src, dst);
	assert_int_equal(ps.n, 3);
	assert_int_equal(fp_topo_link_set(t, up1, false), 0);
	ps = fp_topo_paths(t, src, dst);
	assert_int_equal(ps.n, 2);
	for (k = 0; k < ps.n; k++) {
		assert_int_equal(ps.p[k].len, 4);
		assert_int_equal(t->links[ps.p[k].link[0]].to, fp_topo_find(t, "agg0.1"));
		for (h = 0; h < ps.p[k].len; h++)
			assert_true(t->links[ps.p[k].link[h]].up);
	}
	assert_int_equal(fp_topo_link_set(t, up0, true), 0);
	assert_int_equal(fp_topo_link_set(t, up1, true), 0);
	assert_int_equal(fp_topo_paths(t, src, dst).n, 4);
	fp_topo_free(t);

	/*
	 * A failure that makes the shortest path longer: leaf0 and leaf1 have
	 * a cable of their own (1 hop) and a spine (2 hops). The cable, failed
	 * from either end, leaves the path over spine0.
	 */
	{
		static const char txt[] =
			"{\"format\":\"flowplan-topology\",\"version\":1,\"switches\":["
			"{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},{\"name\":\"spine0\",\"tier\":2}],"
			"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\"}]},{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\"}]}],"
			"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h1.n0\",\"b\":\"leaf1\",\"gbps\":100},"
			"{\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine0\",\"gbps\":100},"
			"{\"a\":\"leaf0\",\"b\":\"leaf1\",\"gbps\":100}]}";
		struct fp_err err = { "" };
		int cable;

		t = NULL;
		if (fp_topo_parse(txt, strlen(txt), "cable", &t, &err))
			fail_msg("%s", err.msg);
		src = fp_topo_find(t, "leaf0");
		dst = fp_topo_find(t, "leaf1");
		cable = link_between(t, "leaf0", "leaf1");
		ps = fp_topo_paths(t, src, dst);
		assert_true(ps.n == 1 && ps.p[0].len == 1 && ps.p[0].link[0] == cable);
		assert_int_equal(fp_topo_link_set(t, cable, false), 0);
		ps = fp_topo_paths(t, src, dst);
		assert_true(ps.n == 1 && ps.p[0].len == 2);
		assert_int_equal(ps.p[0].link[0], link_between(t, "leaf0", "spine0"));
		assert_int_equal(ps.p[0].link[1], link_between(t, "spine0", "leaf1"));
		assert_int_equal(fp_topo_link_set(t, cable, true), 0);
		ps = fp_topo_paths(t, src, dst);
		assert_true(ps.n == 1 && ps.p[0].len == 1);
		/* The same failure named from leaf1's end, the leaf the paths go to. */
		assert_int_equal(fp_topo_link_set(t, link_between(t, "leaf1", "leaf0"), false), 0);
		ps = fp_topo_paths(t, src, dst);
		assert_true(ps.n == 1 && ps.p[0].len == 2);
		assert_int_equal(ps.p[0].link[0], link_between(t, "leaf0", "spine0"));
		fp_topo_free(t);
	}
}

/*
 * fp_topo_link: the directed link between two nodes, or -1, also for node
 * numbers out of range on either side (-1, nnodes); fp_topo_link_set on a
 * host link.
 */
static void test_link_lookup(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1");
	int leaf0 = fp_topo_find(t, "leaf0"), spine1 = fp_topo_find(t, "spine1");
	int nic = fp_topo_find(t, "h0.n0"), l;

	(void)state;
	l = fp_topo_link(t, leaf0, spine1);
	assert_true(l >= 0 && t->links[l].from == leaf0 && t->links[l].to == spine1);
	assert_int_equal(fp_topo_link(t, spine1, leaf0), t->links[l].rev);
	assert_int_equal(fp_topo_link(t, nic, leaf0), t->nodes[nic].up_link);
	assert_int_equal(fp_topo_link(t, leaf0, nic), t->nodes[nic].down_link);
	assert_int_equal(fp_topo_link(t, leaf0, fp_topo_find(t, "leaf1")), -1);
	assert_int_equal(fp_topo_link(t, t->nnodes, leaf0), -1);
	assert_int_equal(fp_topo_link(t, leaf0, t->nnodes), -1);
	assert_int_equal(fp_topo_link(t, -1, leaf0), -1);
	assert_int_equal(fp_topo_link(t, leaf0, -1), -1);
	/* a host link fails and comes back like any other: both directions, 0 */
	l = t->nodes[nic].up_link;
	assert_int_equal(fp_topo_link_set(t, l, false), 0);
	assert_true(!t->links[l].up && !t->links[t->links[l].rev].up);
	assert_int_equal(fp_topo_link_set(t, l, true), 0);
	assert_true(t->links[l].up && t->links[t->links[l].rev].up);
	assert_int_equal(fp_topo_link_set(t, t->nlinks, false), EINVAL);
	fp_topo_free(t);
}

/*
 * A switch without a seed of its own hashes with the topology's seed XOR
 * the FNV-1a (32-bit) of its name (docs/formats.md); the FNV values are
 * Python's, from the published algorithm: "leaf0" 0xa99b55ff, "spine1"
 * 0x92af98df.
 */
static void test_switch_seeds(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=1,spines=2,hosts=1");

	(void)state;
	assert_int_equal(t->nodes[fp_topo_find(t, "leaf0")].seed, t->seed ^ 0xa99b55ffu);
	assert_int_equal(t->nodes[fp_topo_find(t, "spine1")].seed, t->seed ^ 0x92af98dfu);
	fp_topo_free(t);
}

/*
 * Generated IPv6 addresses count on past 255: the i-th NIC gets 2001:2::i
 * (hex), so the 257th, h256.n0, is 2001:2::101 and no two NICs share one.
 */
static void test_v6_addresses_past_255(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=1,hosts=150,ipv6");
	char buf[FP_ADDR_STRLEN];

	(void)state;
	assert_string_equal(fp_addr_str(&t->nodes[fp_topo_find(t, "h0.n0")].ip, buf), "2001:2::1");
	assert_string_equal(fp_addr_str(&t->nodes[fp_topo_find(t, "h255.n0")].ip, buf), "2001:2::100");
	assert_string_equal(fp_addr_str(&t->nodes[fp_topo_find(t, "h256.n0")].ip, buf), "2001:2::101");
	assert_string_equal(fp_addr_str(&t->nodes[fp_topo_find(t, "h299.n0")].ip, buf), "2001:2::12c");
	fp_topo_free(t);
}

/* Leaves that failed links cut apart: no route, for any port (-1). */
static void test_route_cut_apart(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1,fail=leaf0-spine0+leaf0-spine1");
	int a = fp_topo_find(t, "h0.n0"), b = fp_topo_find(t, "h1.n0");

	(void)state;
	assert_int_equal(fp_topo_paths(t, t->nodes[a].leaf, t->nodes[b].leaf).n, 0);
	assert_int_equal(fp_topo_route(t, a, b, 0xC001), -1);
	assert_int_equal(fp_topo_route_fl(t, b, a, 0xC001, 1), -1);
	fp_topo_free(t);
}

/*
 * Two tiers by the counts, not by the wiring: each leaf has one spine and
 * the other leaf, each spine one leaf and the other spine, so every switch
 * has as many neighbours as a leaf-spine's. A link between two switches of
 * one tier makes it no leaf-spine: leaf0 reaches leaf1 over their own link,
 * its one shortest path.
 */
static void test_same_tier_links_not_two_tier(void **state)
{
	static const char txt[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,"
		"\"switches\":[{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},"
		"{\"name\":\"spine0\",\"tier\":2},{\"name\":\"spine1\",\"tier\":2}],"
		"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\"}]},"
		"{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\"}]}],"
		"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},"
		"{\"a\":\"h1.n0\",\"b\":\"leaf1\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":100},"
		"{\"a\":\"leaf1\",\"b\":\"spine1\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"leaf1\",\"gbps\":100},"
		"{\"a\":\"spine0\",\"b\":\"spine1\",\"gbps\":100}]}";
	struct fp_topo *t = NULL;
	struct fp_err err = { "" };
	struct fp_pathset ps;
	int a, b;

	(void)state;
	if (fp_topo_parse(txt, strlen(txt), "tiers", &t, &err))
		fail_msg("%s", err.msg);
	a = fp_topo_find(t, "leaf0");
	b = fp_topo_find(t, "leaf1");
	assert_false(t->two_tier);
	ps = fp_topo_paths(t, a, b);
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].len, 1);
	assert_int_equal(t->links[ps.p[0].link[0]].from, a);
	assert_int_equal(t->links[ps.p[0].link[0]].to, b);
	fp_topo_free(t);
}

/*
 * The path cache: a leaf pair's paths, asked for again, are the ones
 * enumerated the first time (the same array), for each of 240 pairs, while
 * the cache grew under them.
 */
static void test_path_cache_hits(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=16,spines=2,hosts=1");
	const struct fp_path *first[16][16];
	int i, j;

	(void)state;
	for (i = 0; i < t->nleaves; i++)
		for (j = 0; j < t->nleaves; j++)
			first[i][j] = fp_topo_paths(t, t->leaves[i], t->leaves[j]).p;
	for (i = 0; i < t->nleaves; i++)
		for (j = 0; j < t->nleaves; j++)
			if (fp_topo_paths(t, t->leaves[i], t->leaves[j]).p != first[i][j])
				fail_msg("leaf%d -> leaf%d: its paths enumerated again", i, j);
	fp_topo_free(t);
}

/*
 * The path cache across a link failure (topo.h: the pairs with a path over
 * the link are recomputed, every other pair keeps its paths): after spine0
 * loses its link to leaf0, each pair of other leaves is found where it
 * was (the same array, not enumerated again), each pair of leaf0 has the
 * one path left. Three sizes, whose pairs' slots collide differently as
 * the cache grows (24 leaves: pairs displaced when it grows to 1,024
 * slots, 48: when it is rebuilt after the failure).
 */
static void test_path_cache_failure(void **state)
{
	static const char *const specs[] = {
		"leafspine:leaves=16,spines=2,hosts=1",
		"leafspine:leaves=24,spines=2,hosts=1",
		"leafspine:leaves=48,spines=2,hosts=1",
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		struct fp_topo *t = gen_topo(specs[k]);
		int nl = t->nleaves, i, j;
		const struct fp_path **first = calloc((size_t)nl * (size_t)nl, sizeof(*first));

		assert_non_null(first);
		for (i = 0; i < nl; i++)
			for (j = 0; j < nl; j++)
				first[i * nl + j] = fp_topo_paths(t, t->leaves[i], t->leaves[j]).p;
		for (i = 0; i < nl; i++)
			for (j = 0; j < nl; j++)
				if (fp_topo_paths(t, t->leaves[i], t->leaves[j]).p != first[i * nl + j])
					fail_msg("%s: leaf%d -> leaf%d: its paths enumerated again",
						 specs[k], i, j);
		assert_int_equal(fp_topo_link_set(t, fp_topo_link(t, fp_topo_find(t, "spine0"),
								  t->leaves[0]), false), 0);
		for (i = 0; i < nl; i++)
			for (j = 0; j < nl; j++) {
				struct fp_pathset ps = fp_topo_paths(t, t->leaves[i], t->leaves[j]);

				if (i == j)
					continue;
				if (i && j) {
					if (ps.p != first[i * nl + j])
						fail_msg("%s: leaf%d -> leaf%d: recomputed after a failure off its paths",
							 specs[k], i, j);
					assert_int_equal(ps.n, 2);
				} else {
					assert_int_equal(ps.n, 1);
				}
			}
		free(first);
		fp_topo_free(t);
	}
}

struct bad_case {
	const char *name;
	const char *text;	/* JSON, or a generator string when it starts with no '{' */
	const char *want;	/* substring of the error */
};

#define HDR "{\"format\":\"flowplan-topology\",\"version\":1,"
#define SW "\"switches\":[{\"name\":\"leaf0\",\"tier\":1}],"
#define HOSTS "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\"}]}],"

static const struct bad_case bad[] = {
	{ "syntax", "{\n \"format\": \"flowplan-topology\",\n \"version\": 1,,\n}", "bad:3:15: " },
	{ "truncated", HDR SW, "unexpected end of file" },
	{ "trailing", HDR SW HOSTS "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100}]} x", "unexpected text" },
	{ "format", "{\"format\":\"x\",\"version\":1}", "\"format\" must be" },
	{ "version", "{\"format\":\"flowplan-topology\",\"version\":2}", "version" },
	{ "unknown key", HDR "\"colour\":1," SW HOSTS "\"links\":[]}", "unknown key \"colour\"" },
	{ "tier", HDR "\"switches\":[{\"name\":\"s\",\"tier\":7}]," HOSTS "\"links\":[]}", "switches[0].tier: 7 is out of range" },
	{ "tier 4", HDR "\"switches\":[{\"name\":\"s\",\"tier\":4}]," HOSTS "\"links\":[]}", "switches[0].tier: 4 is out of range" },
	{ "unknown node", HDR SW HOSTS "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf9\",\"gbps\":100}]}", "links[0]: unknown node \"leaf9\"" },
	/* the known end is node 0 (the first switch): the unknown one is named */
	{ "unknown b", HDR SW HOSTS "\"links\":[{\"a\":\"leaf0\",\"b\":\"leaf9\",\"gbps\":100}]}", "links[0]: unknown node \"leaf9\"" },
	{ "unknown a", HDR SW HOSTS "\"links\":[{\"a\":\"leaf9\",\"b\":\"leaf0\",\"gbps\":100}]}", "links[0]: unknown node \"leaf9\"" },
	{ "gbps", HDR SW HOSTS "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":-1}]}", "links[0].gbps" },
	{ "no link", HDR SW HOSTS "\"links\":[]}", "NIC h0.n0 has no link" },
	{ "two links", HDR "\"switches\":[{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1}]," HOSTS
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1},{\"a\":\"leaf1\",\"b\":\"h0.n0\",\"gbps\":1}]}", "second link" },
	{ "nic to spine", HDR "\"switches\":[{\"name\":\"s\",\"tier\":2}]," HOSTS
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"s\",\"gbps\":1}]}", "to a leaf" },
	{ "dup name", HDR "\"switches\":[{\"name\":\"h0\",\"tier\":1}]," HOSTS
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"h0\",\"gbps\":1}]}", "used twice" },
	{ "bad addr", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"1.2.3\"}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "\"1.2.3\" is not an IPv4 or IPv6 address" },
	{ "bad addr6", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"2001:db8:::1\"}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "hosts[0].nics[0].addr: \"2001:db8:::1\" is not an IPv4 or IPv6 address" },
	{ "addr6 scope", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"fe80::1%eth0\"}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "\"fe80::1%eth0\" is not an IPv4 or IPv6 address" },
	{ "addr6 mapped", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"::ffff:198.18.0.1\"}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "is an IPv4-mapped IPv6 address (write IPv4 as a dotted quad)" },
	{ "addr6 unspecified", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"::\"}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "\"::\" is the unspecified address" },
	{ "addr4 unspecified", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"0.0.0.0\"}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "\"0.0.0.0\" is the unspecified address" },
	{ "addr6 multicast", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"ff02::1\"}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "is a multicast address" },
	{ "addr4 multicast", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"239.255.255.250\"}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "\"239.255.255.250\" is a multicast address" },
	{ "gpu 1025", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"gpu\":1025}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "hosts[0].nics[0].gpu: 1025 is out of range 0..1024" },
	{ "addr6 number", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":6}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "addr: expected a string" },
	{ "dup addr6", HDR "\"switches\":[{\"name\":\"leaf0\",\"tier\":1}],\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\",\"addr\":\"2001:db8::7\"}]},"
	  "{\"name\":\"b\",\"nics\":[{\"name\":\"b0\",\"addr\":\"2001:DB8:0::0:7\"}]}],"
	  "\"links\":[{\"a\":\"a0\",\"b\":\"leaf0\",\"gbps\":1},{\"a\":\"b0\",\"b\":\"leaf0\",\"gbps\":1}]}", "address 2001:db8::7 is used by two NICs" },
	{ "hash fields", HDR "\"hash\":{\"fn\":\"crc32\",\"fields\":\"l3\"}," SW HOSTS "\"links\":[]}", "hash.fields: expected \"l4\", \"l4+flowlabel\" or \"l3+flowlabel\"" },
	{ "switch hash fields", HDR "\"switches\":[{\"name\":\"leaf0\",\"tier\":1,\"hash_fields\":1}]," HOSTS "\"links\":[]}", "switches[0].hash_fields: expected" },
	{ "gen fields", "leafspine:leaves=2,spines=2,hosts=1,fields=l3", "fields: \"l3\": expected l4, l4+flowlabel or l3+flowlabel" },
	{ "dup addr", HDR "\"switches\":[{\"name\":\"leaf0\",\"tier\":1}],\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\",\"addr\":\"198.18.0.7\"}]},"
	  "{\"name\":\"b\",\"nics\":[{\"name\":\"b0\",\"addr\":\"198.18.0.7\"}]}],"
	  "\"links\":[{\"a\":\"a0\",\"b\":\"leaf0\",\"gbps\":1},{\"a\":\"b0\",\"b\":\"leaf0\",\"gbps\":1}]}", "address 198.18.0.7 is used by two NICs" },
	{ "addr and addrs", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"198.18.0.1\",\"addrs\":[\"2001:db8::1\"]}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "hosts[0].nics[0]: give \"addr\" or \"addrs\", not both" },
	{ "addrs two IPv4", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addrs\":[\"198.18.0.1\",\"198.18.0.2\"]}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}",
	  "hosts[0].nics[0].addrs: two IPv4 addresses (198.18.0.1, 198.18.0.2): a NIC has at most one address per family" },
	{ "addrs two IPv6", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addrs\":[\"2001:db8::1\",\"2001:db8::1\"]}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "two IPv6 addresses (2001:db8::1, 2001:db8::1)" },
	{ "addrs three", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addrs\":[\"198.18.0.1\",\"2001:db8::1\",\"198.18.0.3\"]}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "addrs: expected an array of 1 or 2 addresses (at most one IPv4 and one IPv6)" },
	{ "addrs empty", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addrs\":[]}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "addrs: expected an array of 1 or 2" },
	{ "addrs string", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addrs\":\"198.18.0.1\"}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "addrs: expected an array of 1 or 2" },
	{ "addrs malformed", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addrs\":[\"198.18.0.1\",\"2001:db8::g\"]}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "hosts[0].nics[0].addrs[1]: \"2001:db8::g\" is not an IPv4 or IPv6 address" },
	{ "addrs mapped", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addrs\":[\"::ffff:198.18.0.1\",\"2001:db8::1\"]}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "addrs[0]: \"::ffff:198.18.0.1\" is an IPv4-mapped" },
	{ "addrs number", HDR SW "\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addrs\":[4]}]}],"
	  "\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":1}]}", "addrs[0]: expected a string" },
	{ "dual dup addr", HDR "\"switches\":[{\"name\":\"leaf0\",\"tier\":1}],\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\",\"addrs\":[\"198.18.0.1\",\"2001:db8::7\"]}]},"
	  "{\"name\":\"b\",\"nics\":[{\"name\":\"b0\",\"addr\":\"2001:db8::7\"}]}],"
	  "\"links\":[{\"a\":\"a0\",\"b\":\"leaf0\",\"gbps\":1},{\"a\":\"b0\",\"b\":\"leaf0\",\"gbps\":1}]}", "address 2001:db8::7 is used by two NICs" },
	{ "gen ipv6 dual", "leafspine:leaves=2,spines=2,hosts=1,ipv6,dual", "ipv6 and dual: choose one" },
	{ "hash", HDR "\"hash\":{\"fn\":\"md5\"}," SW HOSTS "\"links\":[]}", "unknown hash \"md5\"" },
	{ "gen kind", "ring:leaves=2", "unknown generator" },
	{ "gen param", "leafspine:leaves=2,spines=2,hosts=1,colour=3", "unknown parameter \"colour\"" },
	{ "gen number", "leafspine:leaves=x,spines=2,hosts=1", "not a valid number" },
	{ "gen rail", "leafspine:leaves=3,spines=2,hosts=1,nics=2,rail", "multiple of nics" },
	{ "gen fail", "leafspine:leaves=2,spines=2,hosts=1,fail=leaf0-leaf1", "no link between" },
	{ "gen fail one end", "leafspine:leaves=2,spines=2,hosts=1,fail=leaf0", "fail: \"leaf0\" is not NODE-NODE" },
	{ "gen k", "fattree:k=5", "k must be even" },
	/* at the parameters' limit (10^6): not too large to read, k's own range says no */
	{ "gen k million", "fattree:k=1000000", "k must be even, 2..64" },
	/* one past it: the parameter itself is too large */
	{ "gen k million and one", "fattree:k=1000001", "k: 1000001 is too large" },
	{ "gen no hosts", "leafspine:leaves=2,spines=2,hosts=0", "leaves, spines, hosts and nics must be at least 1" },
	{ "gen no leaves", "leafspine:leaves=0,spines=2,hosts=2", "leaves, spines, hosts and nics must be at least 1" },
	{ "gen huge", "leafspine:leaves=100000,spines=1000,hosts=1000", "too large" },
};

/*
 * More equal-cost paths than a path index holds (FP_MAX_PATHS): 16384
 * spines between two leaves. The pair has no path set (too_many), and a
 * plan over it says so under every strategy, not that the pair has no path
 * (the exact method, which needs no path set to bin flows to spines, said
 * that no flow label took the flow over path 0).
 */
static void test_too_many_paths(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=16384,hosts=1");
	struct fp_sched *s = gen_sched("pipeline:bytes=1M", t);
	static const enum fp_strategy st[] = { FP_STRAT_FLOWPLAN, FP_STRAT_SPRAY, FP_STRAT_ECMP,
					       FP_STRAT_ECMPK };
	struct fp_plan_opts o = { .k = 2 };
	struct fp_plan *p = NULL;
	struct fp_err err = { "" };
	size_t i;
	int a = t->nodes[t->hosts[0].first_nic].leaf, b = t->nodes[t->hosts[1].first_nic].leaf;
	struct fp_pathset ps = fp_topo_paths(t, a, b);
	int rc;

	(void)state;
	assert_true(ps.too_many);
	assert_int_equal(ps.n, 0);
	/* the cached answer is the same */
	ps = fp_topo_paths(t, a, b);
	assert_true(ps.too_many);
	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		o.strategy = st[i];
		rc = fp_plan_compute(t, s, &o, &p, &err);
		if (rc != E2BIG ||
		    !strstr(err.msg, "h0.n0 -> h1.n0: more than 16383 equal-cost paths between leaf0 and leaf1"))
			fail_msg("strategy %s: rc %d, \"%s\"", fp_strategy_name(st[i]), rc, err.msg);
		assert_null(p);
	}
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_bad_input(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fp_topo *t = NULL;
		struct fp_err err = { "" };
		int rc = bad[i].text[0] == '{' ?
			 fp_topo_parse(bad[i].text, strlen(bad[i].text), "bad", &t, &err) :
			 fp_topo_generate(bad[i].text, &t, &err);

		if (!rc || !strstr(err.msg, bad[i].want))
			fail_msg("case %s: rc %d, error \"%s\", wanted \"%s\"", bad[i].name, rc, err.msg,
				 bad[i].want);
		assert_null(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leafspine_shape),
		cmocka_unit_test(test_rail_wiring),
		cmocka_unit_test(test_fattree_shape),
		cmocka_unit_test(test_failed_links_remove_paths),
		cmocka_unit_test(test_hash_crc32_reference),
		cmocka_unit_test(test_hash_known_answers),
		cmocka_unit_test(test_hash_toeplitz_seed_bits),
		cmocka_unit_test(test_link_set_after_cache),
		cmocka_unit_test(test_switch_seeds),
		cmocka_unit_test(test_link_lookup),
		cmocka_unit_test(test_v6_addresses_past_255),
		cmocka_unit_test(test_route_cut_apart),
		cmocka_unit_test(test_same_tier_links_not_two_tier),
		cmocka_unit_test(test_path_cache_hits),
		cmocka_unit_test(test_path_cache_failure),
		cmocka_unit_test(test_wide_ecmp),
		cmocka_unit_test(test_hash_linearity),
		cmocka_unit_test(test_label_to_sport),
		cmocka_unit_test(test_port_search_agrees_with_route),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_round_trip_v6),
		cmocka_unit_test(test_dual_stack),
		cmocka_unit_test(test_hash_v6_known_answers),
		cmocka_unit_test(test_hash_v6_fields),
		cmocka_unit_test(test_hash_v6_linearity),
		cmocka_unit_test(test_hash_delta_tables),
		cmocka_unit_test(test_route_v6),
		cmocka_unit_test(test_addr_v6),
		cmocka_unit_test(test_too_many_paths),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests_name("planner_topo", tests, NULL, NULL);
}
