# SPDX-License-Identifier: GPL-2.0
#
#   make                 module for one kernel (KVER=, KERNELDIR=) + mobctl
#   make modules         module for every Debian kernel the lab uses
#   make agent           mobctl and mobd (build/agent/)
#   make unit-file       check mobd's systemd unit with systemd-analyze
#   make check           install packages, build everything, run every test
#   make unit            unit tests only (host)
#   make lab             kernel tests in QEMU, on every lab kernel
#   make lab-systemd     mobd.service under systemd in the lab guest
#   make fuzz            libFuzzer over the packet core (FUZZ_SECONDS=60)
#   make bench           every benchmark, then build/bench/results.{txt,json} and plots
#   make bench-xlat      instructions per packet of the packet core (callgrind)
#   make bench-dataplane forwarding rates, memory, install/dump times in the lab (BENCH_KVER)
#   make bench-controlplane  move timings of mobd + etcd in the lab (BENCH_HVS, BENCH_MOVES, BENCH_BURST)
#   make bench-short     every benchmark, short, and a check that each still works (in check)
#   make demo            a VM live-migrated across subnets in the lab, its downtime (~10 min)
#   make sparse          sparse (C=2) over the module (sparse-all: every lab kernel)
#   make module-install  install mob.ko for KVER and run depmod
#   make dkms-install    copy the sources to /usr/src for DKMS
#   make install         mobctl, mobd, man pages under PREFIX; the systemd unit

PREFIX ?= /usr/local
DESTDIR ?=
BUILD := $(CURDIR)/build

# The kernel to build for: KVER, else the running one, else the newest
# kernel whose headers are installed (the build machine may run a kernel
# nobody ships headers for).
KVER ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; \
	else ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -1 | cut -d/ -f4; fi)
KERNELDIR ?= /lib/modules/$(KVER)/build

# The lab kernels: Debian 12's 6.1 LTS and 6.12 LTS, as installed.
LAB_KVERS ?= $(shell ls -d /lib/modules/6.1.*-amd64/build /lib/modules/6.12.*+deb12-amd64/build \
	2>/dev/null | cut -d/ -f4 | sort -V)

CC ?= cc
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-unused-parameter
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) -D_GNU_SOURCE -Iuapi -Iagent/lib
PKGS := libmnl json-c
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The agent's libraries, on top of PKGS.
MOBD_PKGS := libvirt libxml-2.0 libnl-route-3.0 libcurl libsystemd
MOBD_CFLAGS = $(shell pkg-config --cflags $(MOBD_PKGS) 2>/dev/null) \
	-DMOBD_VERSION='"$(VERSION)"'
MOBD_LIBS = $(shell pkg-config --libs $(MOBD_PKGS) 2>/dev/null)
# mobctl's, on top of PKGS: libvirt for "mobctl migrate".
MOBCTL_PKGS := libvirt
MOBCTL_CFLAGS = $(shell pkg-config --cflags $(MOBCTL_PKGS) 2>/dev/null)
MOBCTL_LIBS = $(shell pkg-config --libs $(MOBCTL_PKGS) 2>/dev/null)
VERSION := $(shell cat VERSION)

KMOD_SRC := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild
LIB_SRC := $(wildcard agent/lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MOBCTL_SRC := $(wildcard agent/mobctl/*.c)
MOBCTL_OBJ := $(MOBCTL_SRC:%.c=$(BUILD)/obj/%.o)
MOBD_SRC := $(wildcard agent/mobd/*.c)
MOBD_OBJ := $(MOBD_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/*.c) kmod/xlat_core.c
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/unit/%.o)
LABTOOL_SRC := $(wildcard tests/lab/tools/*.c)
LABTOOLS := $(LABTOOL_SRC:tests/lab/tools/%.c=$(BUILD)/labtools/%)

.PHONY: all module modules agent check deps unit lab sparse sparse-all clean fuzz \
	module-install dkms-install install labtools unit-file lab-systemd bench-xlat \
	bench-controlplane bench-dataplane bench bench-report bench-short demo

all: module agent

# Each kernel gets its own object tree under build/<kver>/ made of symlinks
# to the sources, so builds for several kernels never share object files.
define kmod_tree
	@mkdir -p $(BUILD)/$(1)/kmod
	@ln -sfn ../../uapi $(BUILD)/$(1)/uapi
	@for f in $(KMOD_SRC); do ln -sf $(CURDIR)/$$f $(BUILD)/$(1)/kmod/; done
endef

# The module must build without a single warning: the log is kept and
# searched, and any warning fails the build.
define kmod_build
	$(call kmod_tree,$(1))
	@test -d $(2) || { echo "error: no kernel headers at $(2); install" \
		"linux-headers-$(1) or pass KVER=/KERNELDIR=" >&2; exit 1; }
	$(MAKE) -C $(2) M=$(BUILD)/$(1)/kmod W=1 modules 2>&1 | tee $(BUILD)/$(1)/build.log
	@if grep -q -i 'warning:' $(BUILD)/$(1)/build.log; then \
		echo "error: the module built with warnings against $(1)" >&2; exit 1; fi
	@test -f $(BUILD)/$(1)/kmod/mob.ko
	@echo "built $(BUILD)/$(1)/kmod/mob.ko"
endef

module:
	$(call kmod_build,$(KVER),$(KERNELDIR))

modules:
	@test -n "$(LAB_KVERS)" || { echo "error: no Debian 6.1/6.12 kernel headers; run 'make deps'" >&2; exit 1; }
	@set -e; for k in $(LAB_KVERS); do $(MAKE) --no-print-directory module KVER=$$k KERNELDIR=/lib/modules/$$k/build; done

# sparse over every file (C=2), for one kernel or, as sparse-all, for each
# lab kernel; any warning fails.
sparse:
	$(call kmod_tree,$(KVER))
	$(MAKE) -C $(KERNELDIR) M=$(BUILD)/$(KVER)/kmod C=2 CF="-D__CHECK_ENDIAN__" \
		modules 2>&1 | tee $(BUILD)/$(KVER)/sparse.log
	@if grep -E -q 'warning:|error:' $(BUILD)/$(KVER)/sparse.log; then \
		echo "error: sparse found problems with $(KVER)" >&2; exit 1; fi

sparse-all:
	@set -e; for k in $(LAB_KVERS); do $(MAKE) --no-print-directory sparse KVER=$$k KERNELDIR=/lib/modules/$$k/build; done

agent: $(BUILD)/agent/mobctl $(BUILD)/agent/mobd

# Objects live apart from the programs: build/agent/mobctl is the binary.
$(BUILD)/obj/agent/%.o: agent/%.c $(wildcard agent/lib/*.h agent/mobctl/*.h) uapi/linux/mob.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(MOBCTL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/agent/mobd/%.o: agent/mobd/%.c $(wildcard agent/lib/*.h agent/mobd/*.h) uapi/linux/mob.h VERSION
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(MOBD_CFLAGS) -Iagent/mobd -c -o $@ $<

$(BUILD)/agent/libmob.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/agent/mobctl: $(MOBCTL_OBJ) $(BUILD)/agent/libmob.a
	$(CC) $(CFLAGS) -o $@ $^ $(MOBCTL_LIBS) $(PKG_LIBS)

$(BUILD)/agent/mobd: $(MOBD_OBJ) $(BUILD)/agent/libmob.a
	$(CC) $(CFLAGS) -o $@ $^ $(MOBD_LIBS) $(PKG_LIBS)

# Unit tests: one Check runner; the packet-rewriting core of the module is
# compiled into it unchanged, and so is every part of mobd but main().
$(BUILD)/unit/%.o: %.c $(wildcard tests/unit/*.h kmod/xlat_core.h agent/lib/*.h agent/mobctl/*.h agent/mobd/*.h) uapi/linux/mob.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(MOBD_CFLAGS) $(shell pkg-config --cflags check) -Ikmod -Iagent/mobctl -Iagent/mobd -Itests/unit -c -o $@ $<

# The archive comes last: the mobctl objects need it too.
$(BUILD)/unit-tests: $(UNIT_OBJ) $(filter-out $(BUILD)/obj/agent/mobctl/mobctl.o,$(MOBCTL_OBJ)) \
		$(filter-out $(BUILD)/obj/agent/mobd/main.o,$(MOBD_OBJ)) $(BUILD)/agent/libmob.a
	$(CC) $(CFLAGS) -o $@ $^ $(shell pkg-config --libs check) $(MOBD_LIBS) $(PKG_LIBS)

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

# Small C helpers the kernel tests run inside the lab guest.
labtools: $(LABTOOLS)
$(BUILD)/labtools/%: tests/lab/tools/%.c $(BUILD)/agent/libmob.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(BUILD)/agent/libmob.a $(PKG_LIBS)

# The packet matrix's vectors are built on the host: scapy takes seconds
# to import under emulation.
$(BUILD)/lab/vectors.txt: tests/kernel/vectors.py
	@mkdir -p $(dir $@)
	python3 tests/kernel/vectors.py $@

# The aliases' smaller matrix (tests/kernel/35-alias.sh).
$(BUILD)/lab/alias-vectors.txt: tests/kernel/vectors.py
	@mkdir -p $(dir $@)
	python3 tests/kernel/vectors.py --alias $@

lab: modules agent labtools $(BUILD)/lab/vectors.txt $(BUILD)/lab/alias-vectors.txt
	@test -n "$(LAB_KVERS)" || { echo "error: no lab kernels installed; run 'make deps'" >&2; exit 1; }
	tests/lab/run-all.sh $(LAB_KVERS)

# The agent under systemd as PID 1 in the lab guest (newest lab kernel).
lab-systemd: modules agent labtools
	@test -n "$(LAB_KVERS)" || { echo "error: no lab kernels installed; run 'make deps'" >&2; exit 1; }
	MOB_LAB_APPEND="mob.init=systemd" tests/lab/run-lab.sh $(lastword $(LAB_KVERS)) \
		--timeout 400 -- tests/lab/systemd-check.sh

# libFuzzer over the packet core, seeded with the lab's vectors.
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz/fuzz_xlat: tests/fuzz/fuzz_xlat.c kmod/xlat_core.c kmod/xlat_core.h uapi/linux/mob.h
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iuapi -Ikmod -o $@ tests/fuzz/fuzz_xlat.c kmod/xlat_core.c

fuzz: $(BUILD)/fuzz/fuzz_xlat $(BUILD)/lab/vectors.txt $(BUILD)/lab/alias-vectors.txt
	rm -rf $(BUILD)/fuzz/seeds
	tests/fuzz/seed.sh $(BUILD)/lab/vectors.txt $(BUILD)/fuzz/seeds
	tests/fuzz/seed.sh $(BUILD)/lab/alias-vectors.txt $(BUILD)/fuzz/seeds
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_xlat -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		$(BUILD)/fuzz/corpus $(BUILD)/fuzz/seeds tests/fuzz/crashes

# Instructions per packet of the packet core under callgrind
# (BENCH_N packets a kind); not part of check: numbers, not a test.
BENCH_N ?= 10000
BENCH_SRC := tests/bench/xlat_bench.c tests/unit/pktbuild.c kmod/xlat_core.c
$(BUILD)/bench/xlat_bench: $(BENCH_SRC) tests/unit/pktbuild.h kmod/xlat_core.h uapi/linux/mob.h
	@test -f /usr/include/valgrind/callgrind.h || { echo "error: no valgrind/callgrind.h;" \
		"apt-get install -y valgrind" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ikmod -Itests/unit -DXLAT_BENCH_CFLAGS='"$(CFLAGS)"' \
		-o $@ $(BENCH_SRC)

bench-xlat: $(BUILD)/bench/xlat_bench
	tests/bench/callgrind.sh $< $(BUILD)/bench $(BENCH_N)

# Control-plane timings in the lab guest: mobd on BENCH_HVS hypervisors
# with one etcd, BENCH_MOVES moves a size and a burst of BENCH_BURST VMs
# (tests/bench/controlplane.sh); not part of check: numbers, not a test.
BENCH_KVER ?= $(lastword $(LAB_KVERS))
bench-controlplane: agent labtools
	@test -n "$(BENCH_KVER)" || { echo "error: no lab kernels installed; run 'make deps'" >&2; exit 1; }
	$(MAKE) --no-print-directory module KVER=$(BENCH_KVER) KERNELDIR=/lib/modules/$(BENCH_KVER)/build
	tests/bench/run-controlplane.sh $(BENCH_KVER)

# Packets per second through one hypervisor namespace (plain, the module
# with 1..1M bindings, nftables maps), memory per binding, install and
# dump times, in the lab on one kernel (~15 min emulated; BENCH_SIZES and
# the other BENCH_* of tests/bench/dataplane.sh make it shorter).  Not
# part of check: numbers, not a test.
bench-dataplane: agent
	@test -n "$(BENCH_KVER)" || { echo "error: no lab kernels installed; run 'make deps'" >&2; exit 1; }
	$(MAKE) --no-print-directory module KVER=$(BENCH_KVER) KERNELDIR=/lib/modules/$(BENCH_KVER)/build
	tests/bench/run-dataplane.sh $(BENCH_KVER)

# Everything, then the table (text, JSON) and the plots in build/bench/;
# Documentation/performance.md holds the latest.
bench: bench-xlat bench-dataplane bench-controlplane
	python3 tests/bench/report.py $(BUILD)/bench

bench-report:
	python3 tests/bench/report.py $(BUILD)/bench

# Every benchmark, short, into build/bench-short/, then a check that each
# produced its figures (tests/bench/check-results.py: broken, not slow, is
# what fails).  Part of check, to keep the benchmarks working; about 6
# minutes, and its numbers are too short to quote.
BENCH_SHORT = $(BUILD)/bench-short
bench-short: agent labtools $(BUILD)/bench/xlat_bench
	@test -n "$(BENCH_KVER)" || { echo "error: no lab kernels installed; run 'make deps'" >&2; exit 1; }
	$(MAKE) --no-print-directory module KVER=$(BENCH_KVER) KERNELDIR=/lib/modules/$(BENCH_KVER)/build
	rm -rf $(BENCH_SHORT)
	tests/bench/callgrind.sh $(BUILD)/bench/xlat_bench $(BENCH_SHORT) 1000
	BENCH_OUT=$(BENCH_SHORT) BENCH_SIZES="1 1000" BENCH_SIZES6=1 BENCH_SECS=1 \
		BENCH_WARMUP=0.2 BENCH_ROUNDS=1 MOB_LAB_MEM=2048 BENCH_TIMEOUT=900 \
		tests/bench/run-dataplane.sh $(BENCH_KVER)
	BENCH_OUT=$(BENCH_SHORT) BENCH_HVS="2 4" BENCH_MOVES=2 BENCH_BURST=8 \
		BENCH_RTT_N=3 BENCH_GAP=1 BENCH_WAIT=60 BENCH_TIMEOUT=900 \
		tests/bench/run-controlplane.sh $(BENCH_KVER)
	python3 tests/bench/report.py $(BENCH_SHORT)
	python3 tests/bench/check-results.py $(BENCH_SHORT)/results.json

deps:
	tests/lab/install-deps.sh

# The demo (tests/migrate/demo.sh): its own set-up, then a real VM
# live-migrated across subnets in the lab while a correspondent talks to
# it; prints the bindings, the downtimes and the overhead.  Not a test in
# check: the nested guest is too slow and sometimes dies (README).
DEMO_KVER ?= $(lastword $(LAB_KVERS))
demo: deps
	$(MAKE) --no-print-directory agent labtools
	@test -n "$(DEMO_KVER)" || { echo "error: no lab kernels installed; run 'make deps'" >&2; exit 1; }
	$(MAKE) --no-print-directory module KVER=$(DEMO_KVER) KERNELDIR=/lib/modules/$(DEMO_KVER)/build
	tests/migrate/demo.sh $(DEMO_KVER)

# The one command that tests everything, from a fresh Debian 12 machine.
check: deps
	$(MAKE) modules
	$(MAKE) sparse-all
	$(MAKE) agent labtools
	$(MAKE) unit-file
	$(MAKE) unit
	$(MAKE) fuzz
	$(MAKE) lab
	$(MAKE) lab-systemd
	$(MAKE) bench-short

module-install:
	$(MAKE) -C $(KERNELDIR) M=$(BUILD)/$(KVER)/kmod INSTALL_MOD_DIR=extra modules_install
	depmod -a $(KVER)

dkms-install:
	mkdir -p $(DESTDIR)/usr/src/mob-$$(cat VERSION)
	cp -r Kbuild dkms.conf kmod uapi $(DESTDIR)/usr/src/mob-$$(cat VERSION)/

install: agent $(BUILD)/agent/mobd.service
	install -D -m 0755 $(BUILD)/agent/mobctl $(DESTDIR)$(PREFIX)/sbin/mobctl
	install -D -m 0755 $(BUILD)/agent/mobd $(DESTDIR)$(PREFIX)/sbin/mobd
	install -D -m 0644 agent/man/mobctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/mobctl.8
	install -D -m 0644 agent/man/mobd.8 $(DESTDIR)$(PREFIX)/share/man/man8/mobd.8
	install -D -m 0644 agent/man/mobd.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/mobd.conf.5
	install -D -m 0644 $(BUILD)/agent/mobd.service $(DESTDIR)/etc/systemd/system/mobd.service
	install -D -m 0644 agent/mobd.conf.example $(DESTDIR)$(PREFIX)/share/doc/mob/mobd.conf.example
	@test -e $(DESTDIR)/etc/mob/mobd.conf || \
		install -D -m 0644 agent/mobd.conf.example $(DESTDIR)/etc/mob/mobd.conf

# The unit as installed, checked by systemd itself.
$(BUILD)/agent/mobd.service: agent/systemd/mobd.service
	@mkdir -p $(dir $@)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' $< >$@

unit-file: $(BUILD)/agent/mobd.service $(BUILD)/agent/mobd
	@mkdir -p $(BUILD)/agent/verify
	@# verify wants the binary where the unit says it is
	sed 's|^ExecStart=[^ ]*|ExecStart=$(BUILD)/agent/mobd|' $< >$(BUILD)/agent/verify/mobd.service
	systemd-analyze verify --man=no $(BUILD)/agent/verify/mobd.service 2>&1 | tee $(BUILD)/agent/verify/log
	@! test -s $(BUILD)/agent/verify/log || { echo "error: systemd-analyze has complaints" >&2; exit 1; }

clean:
	rm -rf $(BUILD)
