# SPDX-License-Identifier: GPL-2.0
#
# portsteer: the whole toolbox. The module itself is described by ./Kbuild.
#
#   make                 the module (against KDIR/KVER, see below), the tools and the test programs
#   make W=1 / C=2       the same with extra warnings / with sparse on the module
#   make lint            W=1, sparse and checkpatch --strict on everything; fails on any warning
#   make regen           the uapi header and module/netlink-gen.[ch] from the YNL spec
#   make regen-check     fail if they differ from a fresh generation (make check runs it)
#   make style           checkpatch.pl --strict on every source file
#   make deps            install (apt) what building and testing need (make check builds
#                        the sid chroot, scripts/debian-root.sh); quiet when all is there
#   make check           build and run the selftests in qemu guests, side by side, one
#                        per core (KERNELS=5.10 6.1 6.12 sid debug; on debug, the tests of
#                        DEBUG_TESTS), the stress loops at a fifth of their count, and
#                        the host checks: on 2 cores about 16 to 19 minutes with warm caches
#   make check-full      the same at full counts, and every selftest on the debug kernel
#   make check HOST=1    run the selftests on this host (needs root and a kernel that loads modules)
#   make check-debug     all the selftests on the debug kernel (KASAN, lockdep, kmemleak,
#                        failslab...), built from Debian's linux-source once and cached
#   make demo            show the module at work in a guest
#   make bench           measure the packet path against nft/iptables/ipset in an icount guest
#                        and write Documentation/benchmark.md (BENCH_KERNEL= or KVER=, default 6.1)
#   make install         the module (updates/, depmod), portsteerctl, man page, completion,
#                        uapi header, portsteer.service; DESTDIR= and PREFIX= as usual
#   make dkms-install    the sources to /usr/src/portsteer-VERSION and dkms add
#   make clean
#
# The kernel to build against: KDIR=..., else KVER=... (/lib/modules/$KVER/build or
# /usr/src/linux-headers-$KVER), else the running kernel's build directory, else the
# newest Debian headers installed.

KERNELS ?= 5.10 6.1 6.12 sid debug
# On the debug kernel (scripts/debug-kernel.sh), where every process costs
# about a second, make check runs the reliability tests; the functional
# ones run on the three others. make check-full and make check-debug run
# them all there.
DEBUG_TESTS ?= module_load.sh netns.sh nl_test nl_fuzz.sh updates.sh hostile.sh failslab.sh memcg.sh teardown.sh
PORTSTEER_CACHE ?= /var/cache/portsteer
export PORTSTEER_CACHE

PORTSTEER_VERSION := $(patsubst v%,%,$(shell git -C $(CURDIR) describe --tags --always --dirty 2>/dev/null || echo 0.2.0-nogit))
export PORTSTEER_VERSION

ifeq ($(KDIR),)
ifneq ($(KVER),)
KDIR := $(firstword $(wildcard /lib/modules/$(KVER)/build/Makefile /usr/src/linux-headers-$(KVER)/Makefile))
KDIR := $(patsubst %/Makefile,%,$(KDIR))
else
KDIR := $(patsubst %/Makefile,%,$(wildcard /lib/modules/$(shell uname -r)/build/Makefile))
ifeq ($(KDIR),)
KDIR := $(lastword $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V))
endif
endif
endif

.PHONY: all module tools selftests style sparse lint deps check check-full check-debug demo bench clean \
	kernel-tools regen regen-check \
	install module-install dkms-install

all: module tools selftests

module:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || { echo "portsteer: no kernel build directory found; install headers or set KDIR=/KVER=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools

selftests:
	$(MAKE) -C selftests

kernel-tools:
	@scripts/kernel-tools.sh >/dev/null

# Every source file of ours, for checkpatch.
# The files generated from the spec are the generator's style, not ours.
GENERATED := uapi/linux/portsteer.h module/netlink-gen.c module/netlink-gen.h
STYLE_FILES := $(filter-out $(GENERATED),$(shell git -C $(CURDIR) ls-files --cached --others --exclude-standard -- 'module/*.[ch]' 'uapi/*.h' 'tools/*.[ch]' 'selftests/*.[ch]' 2>/dev/null))

style: kernel-tools
	@scripts/style.sh $(STYLE_FILES)

# W=1 and sparse must both be silent: build a fresh copy of the sources
# (a clean of this tree would also delete the modules other runs built
# under build/) and fail on any diagnostic.
LINT_DIR := $(CURDIR)/build/lint

sparse:
	@rm -rf $(LINT_DIR) && mkdir -p $(LINT_DIR) && cp -a Kbuild module uapi $(LINT_DIR)/
	@$(MAKE) -s -C $(KDIR) M=$(LINT_DIR) W=1 C=2 PORTSTEER_VERSION=$(PORTSTEER_VERSION) \
		modules 2>&1 | tee $(LINT_DIR)/lint.log | grep -v 'Skipping BTF generation' ; \
	! grep -E 'warning|error' $(LINT_DIR)/lint.log >/dev/null

lint: sparse style

deps:
	@scripts/deps.sh

# The uapi header, the kernel policies and op table come from the YNL spec
# (Documentation/netlink/specs/portsteer.yaml), through the generator of the
# newest kernel we support; regen-check fails if the tree differs from it.
regen:
	@scripts/ynl.sh validate && scripts/ynl.sh regen

regen-check:
	@scripts/ynl.sh validate && scripts/ynl.sh check

check: tools selftests
	@PS_DEBUG_TESTS="$(DEBUG_TESTS)" scripts/check.sh $(if $(HOST),--host) $(KERNELS)

check-full: tools selftests
	@scripts/check.sh --full $(if $(HOST),--host) $(KERNELS)

check-debug: tools selftests
	@scripts/check.sh --guests-only --full debug

demo:
	@scripts/demo.sh

bench:
	@scripts/bench.sh $(or $(BENCH_KERNEL),$(KVER),6.1)

# Installing on a real host (DESTDIR for staging, PREFIX for the tools). The
# module goes to /lib/modules/$(INSTALL_KVER)/updates/, for the kernel of KDIR.
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
INCLUDEDIR ?= $(PREFIX)/include
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DEPMOD ?= depmod
INSTALL_KVER ?= $(or $(KVER),$(patsubst linux-headers-%,%,$(notdir $(realpath $(KDIR)))))
DKMS_VERSION ?= $(PORTSTEER_VERSION)
DKMS_SOURCES := Kbuild COPYING dkms.conf $(wildcard module/*.c module/*.h) uapi/linux/portsteer.h

module-install: module
	install -D -m 0644 portsteer.ko $(DESTDIR)/lib/modules/$(INSTALL_KVER)/updates/portsteer.ko
	$(if $(DESTDIR),@echo "portsteer: staged in DESTDIR; run '$(DEPMOD) -a $(INSTALL_KVER)' on the target",$(DEPMOD) -a $(INSTALL_KVER))

install: module-install tools
	$(MAKE) -C tools install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) SBINDIR=$(SBINDIR)
	install -D -m 0644 uapi/linux/portsteer.h $(DESTDIR)$(INCLUDEDIR)/linux/portsteer.h
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@MODPROBE@|/sbin/modprobe|g' \
		dist/portsteer.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/portsteer.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/portsteer.service

# The sources to /usr/src/portsteer-VERSION, then `dkms add` (not with DESTDIR).
dkms-install:
	@$(foreach f,$(DKMS_SOURCES),install -D -m 0644 $(f) $(DESTDIR)/usr/src/portsteer-$(DKMS_VERSION)/$(f);)
	sed -i 's|@PORTSTEER_VERSION@|$(DKMS_VERSION)|' $(DESTDIR)/usr/src/portsteer-$(DKMS_VERSION)/dkms.conf
	$(if $(DESTDIR),,dkms add -m portsteer -v $(DKMS_VERSION))

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null 2>&1
	-$(MAKE) -C tools clean
	-$(MAKE) -C selftests clean
	rm -rf build
