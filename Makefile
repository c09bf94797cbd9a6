# SPDX-License-Identifier: GPL-2.0
#
# portsteer: the whole toolbox. The module itself is described by ./Kbuild.
#
#   make                 the module (against KDIR/KVER, see below), the tools and the test programs
#   make W=1 / C=2       the same with extra warnings / with sparse on the module
#   make lint            W=1, sparse and checkpatch --strict on everything; fails on any warning
#   make style           checkpatch.pl --strict on every source file
#   make deps            install (apt) what building and testing need; quiet when all is there
#   make check           build and run the selftests in one qemu guest per kernel (KERNELS=6.1 6.12)
#   make check HOST=1    run the selftests on this host (needs root and a kernel that loads modules)
#   make demo            show the module at work in a guest
#   make clean
#
# The kernel to build against: KDIR=..., else KVER=... (/lib/modules/$KVER/build or
# /usr/src/linux-headers-$KVER), else the running kernel's build directory, else the
# newest Debian headers installed.

KERNELS ?= 6.1 6.12
PORTSTEER_CACHE ?= /var/cache/portsteer
export PORTSTEER_CACHE

PORTSTEER_VERSION := $(shell git -C $(CURDIR) describe --tags --always --dirty 2>/dev/null || echo 0.1.0-nogit)
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

.PHONY: all module tools selftests style sparse lint deps check demo clean kernel-tools

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
STYLE_FILES := $(shell git -C $(CURDIR) ls-files --cached --others --exclude-standard -- 'module/*.[ch]' 'uapi/*.h' 'tools/*.[ch]' 'selftests/*.[ch]' 2>/dev/null)

style: kernel-tools
	@scripts/style.sh $(STYLE_FILES)

# W=1 and sparse must both be silent: rebuild from clean and fail on any diagnostic.
sparse:
	@$(MAKE) -s -C $(KDIR) M=$(CURDIR) clean >/dev/null
	@$(MAKE) -s -C $(KDIR) M=$(CURDIR) W=1 C=2 modules 2>&1 | tee .lint.log | \
		grep -v 'Skipping BTF generation' ; \
	! grep -E 'warning|error' .lint.log >/dev/null; rc=$$?; rm -f .lint.log; exit $$rc

lint: sparse style

deps:
	@scripts/deps.sh

check: tools selftests
	@scripts/check.sh $(if $(HOST),--host) $(KERNELS)

demo:
	@scripts/demo.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null 2>&1
	-$(MAKE) -C tools clean
	-$(MAKE) -C selftests clean
	rm -rf build
