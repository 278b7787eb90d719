#!/usr/bin/env bash
# check-install.sh - `make install` into a scratch DESTDIR (PREFIX=/usr), then
# what the README says is installed is there and works:
#  - libflowplan: library, header, pkg-config file, man pages; a program
#    built with `pkg-config --cflags --libs flowplan` against the installed
#    tree runs and reads a plan file;
#  - the planner library and headers with flowplan-planner.pc: a program
#    that plans, built against them and libflowplan together, runs;
#  - flowplanctl and its man page;
#  - the module's source for DKMS, which builds the module (kbuild) when
#    Debian's linux-headers are installed.
# Last line: "install: N passed, N failed, N skipped".
set -uo pipefail
TOP=$(realpath "$(dirname "$0")/..")
MAKE=${MAKE:-make}
cd "$TOP"
D=$(mktemp -d /tmp/flowplan-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
pass=0 fail=0 skip=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

if ! $MAKE --no-print-directory install DESTDIR="$D/root" PREFIX=/usr >"$D/install.log" 2>&1; then
	cat "$D/install.log"
	bad "make install DESTDIR=... PREFIX=/usr"
	echo "install: $pass passed, $fail failed, $skip skipped"
	exit 1
fi
ok "make install DESTDIR=... PREFIX=/usr"
R=$D/root
missing=""
for f in usr/lib/libflowplan.so.1 usr/lib/libflowplan.so usr/lib/libflowplan.a \
	 usr/include/flowplan.h usr/include/flowplan_fast.h usr/lib/pkgconfig/flowplan.pc \
	 usr/share/man/man3/fp_ctx_open.3 usr/share/man/man3/fp_post_write.3 \
	 usr/sbin/flowplanctl usr/share/man/man8/flowplanctl.8 \
	 usr/lib/libfpplanner.a usr/lib/libfpcore.a usr/lib/pkgconfig/flowplan-planner.pc \
	 usr/include/flowplan/planner/plan.h usr/include/flowplan/core/hostplan.h \
	 usr/src/flowplan-0.1/dkms.conf usr/src/flowplan-0.1/Kbuild \
	 usr/src/flowplan-0.1/kmod/Kbuild usr/src/flowplan-0.1/kmod/main.c \
	 usr/src/flowplan-0.1/include/uapi/linux/flowplan.h; do
	[ -e "$R/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "every file the README names is installed" ||
	bad "not installed:$missing"
leaked=$(find "$R/usr/include" -name '*_priv.h' -o -name 'nlcodec.h' | sed "s|$R/||")
[ -z "$leaked" ] && ok "no private header installed" || bad "private headers installed: $leaked"

export PKG_CONFIG_PATH=$R/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$R
export LD_LIBRARY_PATH=$R/usr/lib
cat >"$D/plan.json" <<'JSON'
{ "format": "flowplan-plan", "version": 1, "generation": 3, "entries": [
  { "src_addr": "10.0.0.1", "dst_addr": "10.0.0.2",
    "subflows": [ { "flow_label": 1, "weight": 65536 } ] } ] }
JSON
cat >"$D/app.c" <<'C'
#include <stdio.h>
#include <flowplan.h>
int main(int argc, char **argv)
{
	struct fp_ctx_attr a = { .plan = argv[1], .flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT };
	struct fp_ctx_info info;
	struct fp_ctx *ctx = fp_ctx_open(&a);

	(void)argc;
	if (!ctx || fp_ctx_query(ctx, &info))
		return 1;
	printf("generation %llu entries %zu\n", (unsigned long long)info.generation, info.entries);
	return fp_ctx_close(ctx);
}
C
if cc -o "$D/app" "$D/app.c" $(pkg-config --cflags --libs flowplan) 2>"$D/cc.log" &&
   [ "$("$D/app" "$D/plan.json")" = "generation 3 entries 1" ]; then
	ok "a libflowplan program built with pkg-config flowplan runs on the installed library"
else
	cat "$D/cc.log"
	bad "a libflowplan program against the installed tree"
fi
# the inline fast path's header stands alone, warning-free, in strict C11
cat >"$D/fast.c" <<'C'
#include <stdio.h>
#include <flowplan_fast.h>
int main(void)
{
	int (*g)(struct fp_group *, unsigned int, struct fp_fast *, size_t) = fp_group_fast;

	printf("fast %d %d\n", FP_FAST_VERSION, g != NULL);
	return 0;
}
C
if cc -std=c11 -Wall -Wextra -Werror -o "$D/fast" "$D/fast.c" \
	$(pkg-config --cflags --libs flowplan) 2>"$D/cc.log" &&
   [ "$("$D/fast")" = "fast 1 1" ]; then
	ok "flowplan_fast.h builds alone in strict C11 and links fp_group_fast"
else
	cat "$D/cc.log"
	bad "a program with flowplan_fast.h against the installed tree"
fi
cat >"$D/planner.c" <<'C'
#include <stdio.h>
#include <flowplan.h>
#include "planner/plan.h"
int main(void)
{
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1 };
	struct fp_topo *t;
	struct fp_sched *s;
	struct fp_plan *p;
	struct fp_err err;

	if (fp_topo_generate("leafspine:leaves=2,spines=2,hosts=2", &t, &err) ||
	    fp_sched_generate("ring-allreduce:bytes=1G", t, &s, &err) ||
	    fp_plan_compute(t, s, &o, &p, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	printf("%zu phases, libflowplan op %s\n", p->nph, fp_op_str(FP_OP_WRITE));
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
	return 0;
}
C
if cc -o "$D/planner" "$D/planner.c" $(pkg-config --cflags --libs flowplan-planner flowplan) \
	2>"$D/cc.log" && "$D/planner" | grep -q "libflowplan op write"; then
	ok "a program that plans links the installed planner and libflowplan together"
else
	cat "$D/cc.log"
	bad "a program against flowplan-planner and flowplan"
fi
# Symbol versions: FLOWPLAN_1.1's fp_group_query (IPv6 addresses in struct
# fp_group_info) is the default, FLOWPLAN_1.0's is still there. A program
# linked before 1.1 existed is made here by linking against a stand-in
# libflowplan.so.1 that has FLOWPLAN_1.0 only (its references carry that
# version, as an old binary's do); it then runs on the installed library.
dyn=$(objdump -T "$R/usr/lib/libflowplan.so.1" 2>&1)
if grep -E '\(?FLOWPLAN_1\.0\)? +fp_group_query$' <<<"$dyn" >/dev/null &&
   grep -E '\(?FLOWPLAN_1\.1\)? +fp_group_query$' <<<"$dyn" >/dev/null &&
   grep -E '\(?FLOWPLAN_1\.0\)? +fp_ctx_open$' <<<"$dyn" >/dev/null; then
	ok "libflowplan.so.1 exports fp_group_query@FLOWPLAN_1.0 and @@FLOWPLAN_1.1"
else
	grep fp_group_query <<<"$dyn"
	bad "libflowplan.so.1 does not export both versions of fp_group_query"
fi
# FLOWPLAN_1.2: struct fp_report_rec of report ring format 2 (16-byte
# addresses); fp_report_read and fp_report_schedule of 1.0 keep the
# 56-byte IPv4 record (docs/reports.md).
if grep -E '\(?FLOWPLAN_1\.0\)? +fp_report_read$' <<<"$dyn" >/dev/null &&
   grep -E '\(?FLOWPLAN_1\.2\)? +fp_report_read$' <<<"$dyn" >/dev/null &&
   grep -E '\(?FLOWPLAN_1\.0\)? +fp_report_schedule$' <<<"$dyn" >/dev/null &&
   grep -E '\(?FLOWPLAN_1\.2\)? +fp_report_schedule$' <<<"$dyn" >/dev/null &&
   grep -E '\(?FLOWPLAN_1\.0\)? +fp_report_open$' <<<"$dyn" >/dev/null; then
	ok "libflowplan.so.1 exports fp_report_read and fp_report_schedule @FLOWPLAN_1.0 and @@FLOWPLAN_1.2"
else
	grep fp_report_ <<<"$dyn"
	bad "libflowplan.so.1 does not export both versions of fp_report_read and fp_report_schedule"
fi
# FLOWPLAN_1.3: fp_group_follow_query; FLOWPLAN_1.4: fp_post_write_batch
# (writes posted many at a time); nothing older moved into them.
if grep -E '\(?FLOWPLAN_1\.3\)? +fp_group_follow_query$' <<<"$dyn" >/dev/null &&
   grep -E '\(?FLOWPLAN_1\.4\)? +fp_post_write_batch$' <<<"$dyn" >/dev/null &&
   grep -E '\(?FLOWPLAN_1\.0\)? +fp_post_write$' <<<"$dyn" >/dev/null; then
	ok "libflowplan.so.1 exports fp_group_follow_query@@FLOWPLAN_1.3 and fp_post_write_batch@@FLOWPLAN_1.4"
else
	grep -E 'fp_group_follow_query|fp_post_write' <<<"$dyn"
	bad "libflowplan.so.1 does not export fp_group_follow_query@@FLOWPLAN_1.3 and fp_post_write_batch@@FLOWPLAN_1.4"
fi
# A format-2 ring written by hand to docs/reports.md's layout: records
# 198.18.0.1 -> 198.18.0.2, 2001:db8::1 -> 2001:db8::2, and the first again.
cat >"$D/ring.c" <<'C'
#include <stdint.h>
#include <stdio.h>
#include <string.h>
static uint8_t f[4096 + 8 * 80];
static void put(int i, const uint8_t *src, const uint8_t *dst)
{
	uint8_t *r = f + 4096 + i * 80;
	uint64_t seq = i + 1, bytes = 64, t = 1000;
	uint16_t op = 1;

	memcpy(r, &seq, 8); memcpy(r + 12, &op, 2);
	memcpy(r + 24, src, 16); memcpy(r + 40, dst, 16);
	memcpy(r + 56, &bytes, 8); memcpy(r + 64, &t, 8); memcpy(r + 72, &t, 8);
}
int main(int argc, char **argv)
{
	uint64_t magic = 0x005450525046504cull, off = 4096, head = 3;
	uint32_t v = 2, hs = 4096, rs = 80, cap = 8;
	uint8_t a4[16] = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 1 };
	uint8_t b4[16] = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 2 };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	FILE *o;

	memcpy(f, &magic, 8); memcpy(f + 8, &v, 4); memcpy(f + 12, &hs, 4);
	memcpy(f + 16, &rs, 4); memcpy(f + 20, &cap, 4); memcpy(f + 24, &off, 8);
	memcpy(f + 48, &head, 8);
	put(0, a4, b4);
	put(1, a6, b6);
	put(2, a4, b4);
	o = argc > 1 ? fopen(argv[1], "w") : NULL;
	return !o || fwrite(f, sizeof(f), 1, o) != 1 || fclose(o);
}
C
if cc -o "$D/ring" "$D/ring.c" 2>"$D/cc.log" && "$D/ring" "$D/ring2"; then
	ok "a report ring of format 2 written to docs/reports.md's layout"
else
	cat "$D/cc.log"
	bad "writing a format-2 report ring by hand"
fi
mkdir -p "$D/old"
printf 'FLOWPLAN_1.0 { global: fp_ctx_open; fp_ctx_close; fp_group_query; %s local: *; };\n' \
	'fp_report_open; fp_report_read; fp_report_close; fp_report_schedule;' \
	>"$D/old/v10.map"
cat >"$D/old/stub.c" <<'C'
int fp_ctx_open(void) { return 0; }
int fp_ctx_close(void) { return 0; }
int fp_group_query(void) { return 0; }
int fp_report_open(void) { return 0; }
int fp_report_read(void) { return 0; }
int fp_report_close(void) { return 0; }
int fp_report_schedule(void) { return 0; }
C
cat >"$D/old/app.c" <<'C'
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <flowplan.h>
/* struct fp_group_info as FLOWPLAN_1.0's header had it. */
struct old_info {
	unsigned int k; enum fp_plan_source source; uint64_t generation; int error;
	char dev[64]; uint8_t port; int gid_index; char local[16]; char peer[16];
	struct fp_subflow_info sub[FP_GROUP_MAX_SUBFLOWS];
};
/* struct fp_report_rec as FLOWPLAN_1.0's header had it (56 bytes). */
struct old_rec {
	uint64_t seq; uint32_t comm; uint16_t op, flags; int32_t status;
	uint32_t src, dst, coll; uint64_t bytes, start_ns, end_ns;
};
int main(int argc, char **argv)
{
	struct fp_ctx_attr a = { .flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT };
	struct fp_ctx *ctx = fp_ctx_open(&a);
	struct fp_report *rep;
	struct old_rec r[4];
	struct old_info i;
	size_t got, got2;
	int ret, ret2;

	memset(&i, 0x5a, sizeof(i));
	ret = fp_group_query(NULL, (struct fp_group_info *)&i);
	printf("query %s\n", ret == EINVAL ? "EINVAL" : "?");
	if (argc > 1) {
		/* The IPv4 record; EOVERFLOW at the IPv6 one; then the last. */
		rep = fp_report_open(argv[1]);
		if (!rep)
			return 1;
		ret = fp_report_read(rep, (struct fp_report_rec *)r, 4, &got, NULL);
		ret2 = fp_report_read(rep, (struct fp_report_rec *)&r[1], 3, &got2, NULL);
		printf("read %d %zu %d %zu %u\n", ret == EOVERFLOW, got, ret2, got2,
		       (unsigned int)r[1].seq);
		fp_report_close(rep);
		if (fp_report_schedule((struct fp_report_rec *)r, 2, 0, "old", stdout))
			return 1;
	}
	return !ctx || fp_ctx_close(ctx);
}
C
if cc -shared -fPIC -o "$D/old/libflowplan.so.1" -Wl,-soname,libflowplan.so.1 \
	-Wl,--version-script="$D/old/v10.map" "$D/old/stub.c" 2>"$D/cc.log" &&
   ln -sf libflowplan.so.1 "$D/old/libflowplan.so" &&
   cc -o "$D/old/app" "$D/old/app.c" -I"$R/usr/include" -L"$D/old" -lflowplan 2>>"$D/cc.log" &&
   objdump -T "$D/old/app" | grep -E '\(?FLOWPLAN_1\.0\)? +fp_group_query$' >/dev/null &&
   [ "$("$D/old/app")" = "query EINVAL" ]; then
	ok "a program linked against FLOWPLAN_1.0 runs on the installed library (fp_group_query@FLOWPLAN_1.0)"
else
	cat "$D/cc.log"
	bad "a FLOWPLAN_1.0 program on the installed library"
fi
# The same program reads the format-2 ring through fp_report_read@FLOWPLAN_1.0
# (the IPv4 records, EOVERFLOW at the IPv6 one) and makes a schedule of the
# 56-byte records with fp_report_schedule@FLOWPLAN_1.0.
out=$(LD_LIBRARY_PATH="$R/usr/lib" "$D/old/app" "$D/ring2" 2>&1)
if objdump -T "$D/old/app" | grep -E '\(?FLOWPLAN_1\.0\)? +fp_report_read$' >/dev/null &&
   grep -qx "read 1 1 0 1 3" <<<"$out" && grep -q '"src": *"198.18.0.1"' <<<"$out" &&
   [ "$(grep -c '"src"' <<<"$out")" = 1 ]; then
	ok "a FLOWPLAN_1.0 program reads a format-2 ring's IPv4 records (EOVERFLOW for IPv6) and makes its schedule"
else
	echo "$out"
	bad "a FLOWPLAN_1.0 program reading a format-2 ring"
fi
cat >"$D/new.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <flowplan.h>
int main(int argc, char **argv)
{
	struct fp_group_info i;
	struct fp_report_rec r[4];
	struct fp_report *rep;
	size_t got = 0;

	printf("query %s\n", fp_group_query(NULL, &i) == EINVAL ? "EINVAL" : "?");
	rep = argc > 1 ? fp_report_open(argv[1]) : NULL;
	if (rep && !fp_report_read(rep, r, 4, &got, NULL) && got == 3)
		fp_report_schedule(r, 3, 0, "new", stdout);
	if (rep)
		fp_report_close(rep);
	return 0;
}
C
if cc -o "$D/new" "$D/new.c" $(pkg-config --cflags --libs flowplan) 2>"$D/cc.log" &&
   objdump -T "$D/new" | grep -E '\(?FLOWPLAN_1\.1\)? +fp_group_query$' >/dev/null &&
   [ "$("$D/new")" = "query EINVAL" ]; then
	ok "a program built now takes fp_group_query@FLOWPLAN_1.1"
else
	cat "$D/cc.log"
	bad "a program built now does not bind fp_group_query@FLOWPLAN_1.1"
fi
out=$(LD_LIBRARY_PATH="$R/usr/lib" "$D/new" "$D/ring2" 2>&1)
if objdump -T "$D/new" | grep -E '\(?FLOWPLAN_1\.2\)? +fp_report_read$' >/dev/null &&
   objdump -T "$D/new" | grep -E '\(?FLOWPLAN_1\.2\)? +fp_report_schedule$' >/dev/null &&
   grep -q '"src": *"2001:db8::1"' <<<"$out" && grep -q '"src": *"198.18.0.1"' <<<"$out"; then
	ok "a program built now takes fp_report_read@FLOWPLAN_1.2 and reads IPv4 and IPv6 records"
else
	echo "$out"
	bad "a program built now and a format-2 ring"
fi
if "$R/usr/sbin/flowplanctl" -V >/dev/null && man -l "$R/usr/share/man/man8/flowplanctl.8" >/dev/null 2>&1 ||
   [ -s "$R/usr/share/man/man8/flowplanctl.8" ]; then
	ok "flowplanctl runs, its man page is there"
else
	bad "flowplanctl or its man page"
fi
# The DKMS build. kbuild probes the compiler once per build (-mfentry among
# others) and takes a probe that fails for any reason for "not supported":
# one compiler run that fails at that moment (apt replacing the toolchain
# or the headers for another tier's deps.sh) builds the module without
# -mfentry, and modpost says "mcount" undefined. So: only headers whose
# package dpkg has installed (the directory exists while dpkg unpacks it),
# once no package installation runs; a build of its own (its own copy, no
# make flags of ours); and a failure of that kind says what it was.
dpkg_busy() {	# apt or dpkg holds dpkg's lock (a POSIX lock, in /proc/locks)
	local ino
	ino=$(stat -c %i /var/lib/dpkg/lock-frontend 2>/dev/null) || return 1
	grep -qE " [0-9a-f]+:[0-9a-f]+:$ino " /proc/locks
}
for _ in $(seq 300); do dpkg_busy || break; sleep 2; done
dpkg_busy && echo "note: a package installation still runs after 10 min"
kdir=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'linux-headers-6.1.*-amd64' 2>/dev/null |
	awk '$1 == "ii" { print "/usr/src/" $2 }' | sort -V | tail -1)
if [ -n "$kdir" ] && [ -e "$kdir/Makefile" ]; then
	cp -r "$R/usr/src/flowplan-0.1" "$D/dkms"
	if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL nice make -C "$kdir" M="$D/dkms" modules \
		>"$D/kbuild.log" 2>&1 && [ -e "$D/dkms/kmod/flowplan.ko" ]; then
		ok "the installed DKMS source builds flowplan.ko against $kdir"
	else
		tail -20 "$D/kbuild.log"
		if grep -q '"mcount"' "$D/kbuild.log"; then
			echo "note: built without -mfentry: kbuild's probe of the compiler failed during this build"
		fi
		bad "the installed DKMS source does not build"
	fi
else
	echo "skip: no Debian linux-headers installed here to build the DKMS source with"
	skip=$((skip + 1))
fi
echo "install: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
