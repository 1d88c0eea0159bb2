# pvapf: paravirtual asynchronous page faults for KVM (host + guest kernel flavour).
# `make help` lists the targets. Every stage prints its duration; logs go to build/logs/.

SHELL := /bin/bash
CONFIG ?= test
SCENARIOS ?= $(basename $(notdir $(wildcard tests/nested/scenarios/*.sh)))
BUILD := $(CURDIR)/build
L2_INITRD := $(BUILD)/vmtest/initrd-l2.cpio

.PHONY: help deps tree kernel stock configs vmtest-images vmtest-images-debug vmtest-images-guest vmtest unit checkpatch check test test-full repin demo clean distclean
.PHONY: bench bench-quick bench-postcopy bench-postcopy-quick packages e2e-release soak

help:
	@echo "make deps           install the Debian packages everything needs (root)"
	@echo "make demo           the main job: build the flavour, run the nested baseline"
	@echo "make check          what needs no kernel build and no VM (unit, checkpatch, shellcheck)"
	@echo "make test           the test suite CI runs; ends with 'N passed, N failed, N skipped'"
	@echo "make test-full      make test + what CI's budget leaves out (the debug L1, stock L1)"
	@echo "make packages       host and guest kernel .deb + .rpm into dist/ (CONFIG=test: the test kernel's)"
	@echo "make e2e-release    before a release: libvirt end to end with dist/'s host and guest flavours"
	@echo "make repin VERSION=v  move the pinned linux-source-6.12 to another archive version"
	@echo "make tree           unpack the pinned linux-source-6.12, apply kernel/patches"
	@echo "make kernel         build the kernel (CONFIG=test|debug|guest|host, default test)"
	@echo "make configs        generate every config; a dropped fragment line or a host-required symbol missing fails"
	@echo "make stock          fetch Debian's unmodified 6.12 kernel for side-by-side runs"
	@echo "make vmtest-images  L1 and L2 initramfs images for the nested harness"
	@echo "make vmtest-images-debug  ...and the debug kernel with its L1 initramfs (--l1 debug)"
	@echo "make vmtest-images-guest  ...and the guest-flavour kernel with its L1 initramfs (--l1 guest, ~50 min)"
	@echo "make vmtest         run nested scenarios (SCENARIOS=..., default all)"
	@echo "make unit           userspace unit tests (plain, TSan, ASan+UBSan)"
	@echo "make checkpatch     scripts/checkpatch.pl --strict on our kernel C files"
	@echo "make bench          overcommit benchmark suite (long); prints where results are"
	@echo "make bench-quick    its smoke version (tiny sizes, 1 repetition, 3 configs)"
	@echo "make bench-postcopy post-copy migration benchmark (long); bench-postcopy-quick: its smoke"
	@echo "make soak           fault-storm campaign, seeded events (MINUTES=120 RUNS= SEED= ROUNDS=4)"

deps:
	@scripts/deps.sh

tree:
	@scripts/prepare-tree.sh

kernel: tree
	@scripts/build-kernel.sh $(CONFIG)

configs: tree
	@for c in test debug guest host; do scripts/build-kernel.sh $$c config-only || exit 1; done

stock:
	@scripts/stock-kernel.sh

vmtest-images: tree stock
	@scripts/build-kernel.sh test
	@scripts/uapi-headers.sh
	@tests/nested/mkinitramfs.sh l2 $(L2_INITRD)
	@tests/nested/mkinitramfs.sh l1 $(BUILD)/vmtest/initrd-l1-pvapf.cpio pvapf
	@tests/nested/mkinitramfs.sh l1 $(BUILD)/vmtest/initrd-l1-stock.cpio stock

vmtest-images-debug: vmtest-images
	@scripts/build-kernel.sh debug
	@tests/nested/mkinitramfs.sh l1 $(BUILD)/vmtest/initrd-l1-debug.cpio debug

vmtest-images-guest: vmtest-images
	@scripts/build-kernel.sh guest
	@tests/nested/mkinitramfs.sh l1 $(BUILD)/vmtest/initrd-l1-guest.cpio guest

vmtest: vmtest-images
	@rc=0; for s in $(SCENARIOS); do tests/nested/run.sh $$s || rc=1; done; exit $$rc

unit: tree
	@scripts/uapi-headers.sh
	@$(MAKE) -s -C tests/unit check UAPI=$(BUILD)/uapi/include

checkpatch: tree
	@scripts/checkpatch.sh

check:
	@tests/run-all.sh check

test:
	@tests/run-all.sh test

test-full:
	@tests/run-all.sh full

# Both flavours unless CONFIG is given (CONFIG=test: the suite's quick kernel, same packaging).
packages: tree
	@packaging/build.sh $(if $(filter-out file,$(origin CONFIG)),$(CONFIG),host guest)

# libvirt end to end with the real flavours from dist/ (after make packages; not in CI)
e2e-release: vmtest-images
	@tests/libvirt/e2e.sh release

repin:
	@scripts/repin.sh $(VERSION)

bench: vmtest-images
	@benchmarks/overcommit/run.sh

bench-quick: vmtest-images
	@benchmarks/overcommit/run.sh --quick

bench-postcopy: vmtest-images
	@benchmarks/postcopy/run.sh

bench-postcopy-quick: vmtest-images
	@benchmarks/postcopy/run.sh --quick

# SEED=S RUNS=1 replays run S of a campaign, FIRST=F from its round F
soak: vmtest-images
	@tests/soak/run.sh $(if $(MINUTES),--minutes $(MINUTES)) $(if $(RUNS),--runs $(RUNS)) \
		$(if $(SEED),--seed $(SEED)) $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(FIRST),--first $(FIRST))

demo: deps
	@$(MAKE) -s vmtest SCENARIOS=baseline-stock-apf

clean:
	rm -rf $(BUILD)/obj-* $(BUILD)/vmtest $(BUILD)/pkg $(BUILD)/pkgtest results dist
	-$(MAKE) -s -C tests/unit clean

distclean:
	rm -rf $(BUILD) results dist
