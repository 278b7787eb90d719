#!/usr/bin/env bash
# kunit.sh build|test - the kmod part's tier for `make mutate`, run in the
# mutation copy (never the real checkout): the KUnit module is built in
# place, incrementally, against tests/kunit/run.sh's cached UML kernel, and
# booted the way run.sh boots it. The test fails on any failed case, a
# crash, a kernel warning, a module that does not load, or fewer results
# than the baseline run reported (MUTATE_BASELINE=1 records that count).
set -euo pipefail

TOP=$(pwd)
ST=$TOP/build/mutate-kunit
mkdir -p "$ST"

kdir() {
	[ -s "$ST/kdir" ] && [ "${MUTATE_BASELINE:-0}" != 1 ] ||
		tests/kunit/run.sh kernel >"$ST/kdir"
	cat "$ST/kdir"
}

case "${1:-}" in
build)
	c=$(kdir)
	make -s ARCH=um -C "$c/build" M="$TOP/kmod" KCFLAGS=-Werror modules
	;;
test)
	c=$(kdir)
	log=$ST/uml.log
	timeout -k 10 300 "$c/build/linux" mem=256M rootfstype=hostfs \
		rootflags=/ ro quiet con=fd:0,fd:1 \
		init="$TOP/tests/kunit/uml-init.sh" KO="$TOP/kmod/flowplan_test.ko" \
		</dev/null 2>&1 | tr -d '\r' >"$log" || true
	# the kernel's own boot (a UML virt-pci warning) is not the module's
	awk '/KTAP version/ { on = 1 } on' "$log" >"$log.mod"
	ok=$(grep -cE '(^|\] )[[:space:]]*ok [0-9]+ ' "$log" || true)
	bad=$(grep -cE '(^|\] )[[:space:]]*not ok [0-9]+ ' "$log" || true)
	echo "kunit: $ok ok, $bad not ok"
	rc=0
	if ! grep -q '^FLOWPLAN-KUNIT-DONE' "$log"; then
		echo "kunit: UML did not finish"; rc=1
	fi
	if grep -q '^FLOWPLAN-INSMOD-FAILED' "$log"; then
		echo "kunit: the test module did not load"; rc=1
	fi
	if grep -qE 'BUG:|Oops|Kernel panic|WARNING:|Call Trace:|UBSAN:|KASAN:' "$log.mod"; then
		grep -m1 -E 'BUG:|Oops|Kernel panic|WARNING:|Call Trace:|UBSAN:|KASAN:' "$log.mod"
		rc=1
	fi
	[ "$bad" = 0 ] || { grep -E 'not ok [0-9]+ ' "$log" | head -5; rc=1; }
	if [ "${MUTATE_BASELINE:-0}" = 1 ]; then
		[ "$rc" != 0 ] || echo "$ok" >"$ST/ok-count"
	elif [ -s "$ST/ok-count" ] && [ "$ok" -lt "$(cat "$ST/ok-count")" ]; then
		echo "kunit: $ok results, the baseline had $(cat "$ST/ok-count")"; rc=1
	fi
	[ "$rc" = 0 ] || tail -40 "$log"
	exit $rc
	;;
*)
	echo "usage: $0 build|test" >&2
	exit 2
	;;
esac
