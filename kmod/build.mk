# kmod/build.mk - flowplan.ko and its test tiers.
#
#   make module            build $(FLOWPLAN_KO) against Debian's 6.1 headers
#                          (scripts/debian-kernel.sh headers installs them);
#                          FLOWPLAN_KDIR=<kernel build dir> builds elsewhere
#   FLOWPLAN_KO            the module's path: kmod/flowplan.ko (kbuild writes
#                          its objects next to the sources, in kmod/)
#   make check-kmod-build  W=1 build in a scratch copy, any warning fails;
#                          checkpatch.pl of Debian's linux-source on every file
#   make style-kmod        checkpatch.pl on kmod/ and the UAPI header; fails on
#                          any error or warning (the top-level `style` calls it)
#   make check-kunit       the KUnit suites in a cached UML kernel
#                          (tests/kunit/run.sh; cold: builds UML, 8-12 min)
#   make bench-kmod        the datapath's cost per packet in that kernel:
#                          ns/packet and ratios to baselines of the same run
#
# `make all` builds the module too when Debian's headers are installed.
FLOWPLAN_KO  := kmod/flowplan.ko
KMOD_SRC     := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild Kbuild \
		include/uapi/linux/flowplan.h

.PHONY: module check-kmod-build check-kunit bench-kmod style-kmod

module: $(FLOWPLAN_KO)

$(FLOWPLAN_KO): $(KMOD_SRC)
	kdir=$${FLOWPLAN_KDIR:-$$(scripts/debian-kernel.sh headers)} && \
	$(MAKE) -C "$$kdir" M=$(CURDIR) modules

ifneq ($(wildcard /usr/src/linux-headers-6.1.*-amd64/Makefile),)
ALL += $(FLOWPLAN_KO)
endif

check-kmod-build:
	@scripts/deps.sh build kunit style
	+@BUILD=$(BUILD) tests/kunit/kmod-build.sh

style-kmod:
	@scripts/deps.sh kunit style
	@tests/kunit/checkpatch.sh

check-kunit:
	@scripts/deps.sh build kunit
	@tests/kunit/run.sh test

bench-kmod:
	@scripts/deps.sh build kunit
	@tests/kunit/run.sh bench

CHECK_TIERS += check-kmod-build check-kunit
BENCH += bench-kmod

# Install (make install; added by the core engineer for issue 9): the
# module's source where DKMS looks for it, /usr/src/flowplan-VERSION (the
# version dkms.conf names), whatever PREFIX is.
DKMS_SRCDIR  ?= /usr/src
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_DIR      = $(DESTDIR)$(DKMS_SRCDIR)/flowplan-$(DKMS_VERSION)
.PHONY: install-kmod-src
install-kmod-src:
	$(Q)$(call say,INSTALL,flowplan-$(DKMS_VERSION) (DKMS))install -d $(DKMS_DIR)/kmod \
		$(DKMS_DIR)/include/uapi/linux
	$(Q)install -m 0644 dkms.conf Kbuild $(DKMS_DIR)/
	$(Q)install -m 0644 kmod/Kbuild $(filter-out %.mod.c,$(wildcard kmod/*.c kmod/*.h)) \
		$(DKMS_DIR)/kmod/
	$(Q)install -m 0644 include/uapi/linux/flowplan.h $(DKMS_DIR)/include/uapi/linux/
INSTALL += install-kmod-src
