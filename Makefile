# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tsend: one Makefile. The BPF chain follows libbpf-bootstrap:
#   bpf/*.bpf.c → build/bpf/*.tmp.bpf.o → bpftool gen object → build/tsend.bpf.o
#   → bpftool gen skeleton → build/tsend.skel.h, which the loader includes.
# `make V=1` shows the commands; `make STATIC=1` links fully static binaries.

OUTPUT ?= build
CC ?= gcc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Werror=undef -D_GNU_SOURCE
CPPFLAGS += -I$(OUTPUT) -I.
LDLIBS := -lbpf -lelf -lz
ifeq ($(STATIC),1)
LDFLAGS += -static
LDLIBS += -lzstd
endif
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Werror=undef

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_TMPS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.tmp.bpf.o,$(BPF_SRCS))
# the loader: the only objects that know the BPF skeleton
LOADER_SRCS := userspace/probes.c userspace/record.c userspace/record_stacks.c userspace/top.c
CORE_SRCS := $(filter-out $(LOADER_SRCS),$(wildcard userspace/*.c))
CORE_OBJS := $(patsubst %.c,$(OUTPUT)/obj/%.o,$(CORE_SRCS))
LOADER_OBJS := $(patsubst %.c,$(OUTPUT)/obj/%.o,$(LOADER_SRCS))
ASAN_CORE_OBJS := $(patsubst %.c,$(OUTPUT)/asan/%.o,$(CORE_SRCS))
# the replay engine and its output drivers: reads traces through
# userspace/trace_file.h, never links the loader
REPLAY_SRCS := $(wildcard replay/*.c replay/drivers/*.c)
REPLAY_OBJS := $(patsubst %.c,$(OUTPUT)/obj/%.o,$(REPLAY_SRCS))
ASAN_REPLAY_OBJS := $(patsubst %.c,$(OUTPUT)/asan/%.o,$(REPLAY_SRCS))
REPLAY_HDRS := $(wildcard replay/*.h replay/drivers/*.h)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
ASAN_UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/asan/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
HELPERS := $(OUTPUT)/tests/tcp_sender

# Debian packages for build, tests and the bench peers; `make deps` installs
# the missing ones.
DEB_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev \
	libclang-rt-14-dev tshark iproute2 python3 cppcheck clang-format linux-perf \
	libxml2-utils chromium nodejs bpftrace tcpreplay tcpdump

.PHONY: all deps demo test unit fuzz bench clean lint
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUTPUT)/tsend-trace $(OUTPUT)/tsend-replay

deps:
	$(Q)missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "deps: installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "deps: missing Debian packages:$$missing (run 'make deps' as root)" >&2; \
			exit 1; \
		fi; \
	fi

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/obj/userspace $(OUTPUT)/obj/cmd $(OUTPUT)/asan/userspace \
$(OUTPUT)/obj/replay/drivers $(OUTPUT)/asan/replay/drivers \
$(OUTPUT)/tests $(OUTPUT)/asan/tests $(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

# vmlinux.h from the build host's BTF; the release it came from is kept next
# to it. CO-RE relocations carry the programs to other kernels.
$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@
	$(Q)uname -r > $(OUTPUT)/vmlinux.h.release

$(OUTPUT)/bpf/%.tmp.bpf.o: bpf/%.bpf.c bpf/tsend.bpf.h bpf/tsend.h $(OUTPUT)/vmlinux.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(OUTPUT) -Ibpf -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/tsend.bpf.o: $(BPF_TMPS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/tsend.skel.h: $(OUTPUT)/tsend.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tsend_bpf > $@

$(OUTPUT)/obj/userspace/%.o: userspace/%.c $(wildcard userspace/*.h) bpf/tsend.h | $(OUTPUT)/obj/userspace
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUTPUT)/obj/replay/%.o: replay/%.c $(REPLAY_HDRS) $(wildcard userspace/*.h) bpf/tsend.h \
		| $(OUTPUT)/obj/replay/drivers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LOADER_OBJS): $(OUTPUT)/tsend.skel.h

$(OUTPUT)/obj/cmd/%.o: cmd/%.c $(wildcard userspace/*.h) $(REPLAY_HDRS) bpf/tsend.h | $(OUTPUT)/obj/cmd
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUTPUT)/libtsend.a: $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/tsend-trace: $(OUTPUT)/obj/cmd/tsend-trace.o $(LOADER_OBJS) $(OUTPUT)/libtsend.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/libreplay.a: $(REPLAY_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

# replay reads traces through the trace-file module only: no BPF, no libbpf
$(OUTPUT)/tsend-replay: $(OUTPUT)/obj/cmd/tsend-replay.o $(OUTPUT)/libreplay.a $(OUTPUT)/libtsend.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lz -lm -o $@

# frame pointers: flame's user stacks walk them (bpf_get_stackid)
$(OUTPUT)/tests/tcp_sender: tests/tcp_sender.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -fno-omit-frame-pointer $(LDFLAGS) $< -o $@

# Unit tests: plain, and again under ASan+UBSan (clang).
$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(OUTPUT)/libreplay.a $(OUTPUT)/libtsend.a \
		tests/unit/check.h | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(OUTPUT)/libreplay.a $(OUTPUT)/libtsend.a -lelf -lz -lm -o $@

$(OUTPUT)/asan/userspace/%.o: userspace/%.c $(wildcard userspace/*.h) bpf/tsend.h | $(OUTPUT)/asan/userspace
	$(call msg,CC-SAN,$@)
	$(Q)$(CLANG) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(OUTPUT)/asan/replay/%.o: replay/%.c $(REPLAY_HDRS) $(wildcard userspace/*.h) bpf/tsend.h \
		| $(OUTPUT)/asan/replay/drivers
	$(call msg,CC-SAN,$@)
	$(Q)$(CLANG) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(OUTPUT)/asan/tests/test_%: tests/unit/test_%.c $(ASAN_CORE_OBJS) $(ASAN_REPLAY_OBJS) \
		tests/unit/check.h | $(OUTPUT)/asan/tests
	$(call msg,TEST-SAN,$@)
	$(Q)$(CLANG) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) $< $(ASAN_CORE_OBJS) $(ASAN_REPLAY_OBJS) \
		-lelf -lz -lm -o $@

# libFuzzer targets, one per parser of untrusted input. The OSS-Fuzz macro
# lets trace_file.c accept bad CRCs so the fuzzer reaches what is behind
# them; the unit tests cover the CRC checks themselves.
$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(CORE_SRCS) $(REPLAY_SRCS) \
		$(wildcard userspace/*.h) $(REPLAY_HDRS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS) -std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
		$< $(CORE_SRCS) $(REPLAY_SRCS) -lelf -lz -lm -o $@

unit: $(UNIT_BINS) $(ASAN_UNIT_BINS)
fuzz: $(FUZZ_BINS)

# The README's quick start: `make demo`, `make test`.
demo: deps all $(HELPERS)
	$(Q)tests/demo.sh

test: deps all unit fuzz $(HELPERS)
	$(Q)tests/run.sh

# Every benchmark against its peer, in one run (bench/run.sh): tracer
# overhead (bpftrace, perf), replay (tcpreplay), trace processing, flame
# graphs (perf), the userspace e1000e (the guest kernel's); the results
# go into docs/benchmarks.md
bench: deps all $(HELPERS) $(OUTPUT)/bench/flame_gen
	$(Q)BUILD=$(abspath $(OUTPUT)) bench/run.sh 5

# static: it runs in the QEMU guest, which has no libc
$(OUTPUT)/bench/sendmmsg: bench/sendmmsg.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -static $< -o $@

# bench/flame.sh: a real stacks recording repeated up to 10M samples
$(OUTPUT)/bench/flame_gen: bench/flame_gen.c $(OUTPUT)/libtsend.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(OUTPUT)/libtsend.a -lelf -lz -lm -o $@

# cppcheck without -I$(OUTPUT): the skeleton (megabytes of BPF object as a
# byte array) takes it minutes and holds nothing of ours to check
lint:
	$(Q)cppcheck --quiet --enable=warning,style,performance --error-exitcode=1 \
		--inline-suppr --suppress=missingIncludeSystem --suppress=missingInclude -I. \
		--include=/usr/include/bpf/libbpf_common.h \
		userspace replay cmd tests/unit tests/tcp_sender.c bench
	$(Q)clang-format --dry-run --Werror $(wildcard userspace/*.[ch] replay/*.[ch] replay/drivers/*.[ch] \
		cmd/*.c bpf/*.bpf.c bpf/*.h tests/unit/test_e1000e.c tests/fuzz/fuzz_e1000e.c bench/*.c \
		tests/unit/test_flame*.c tests/unit/test_symbolize.c tests/fuzz/fuzz_flame.c \
		tests/fuzz/fuzz_symbolize.c)

clean:
	$(Q)rm -rf $(OUTPUT)
