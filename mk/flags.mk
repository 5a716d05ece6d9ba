# Compiler flags per build profile. C11, warnings as errors, hardening on.
CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
AR ?= ar

WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wformat=2 -Wimplicit-fallthrough -Wno-unused-parameter
CPPFLAGS += -Iinclude -D_GNU_SOURCE
HARDEN_CFLAGS := -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

ifeq ($(BUILD),release)
CFLAGS := -std=c11 -O2 -g $(WARN) $(HARDEN_CFLAGS) -D_FORTIFY_SOURCE=3
LDFLAGS := $(HARDEN_LDFLAGS)
else ifeq ($(BUILD),debug)
CFLAGS := -std=c11 -Og -g3 $(WARN) $(HARDEN_CFLAGS) -D_FORTIFY_SOURCE=3
LDFLAGS := $(HARDEN_LDFLAGS)
else ifeq ($(BUILD),asan)
# Sanitizers replace fortify (they check more, and the two conflict).
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS := -std=c11 -O1 -g $(WARN) $(SAN) -fPIE
LDFLAGS := $(SAN) -pie
else
$(error BUILD must be release, debug or asan)
endif
LDLIBS += -lpthread -lm

# libFuzzer targets: clang, with ASan+UBSan, always.
FUZZ_CC := clang
FUZZ_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -DSK_FUZZING
# Library objects for the fuzzers: instrumented, but without libFuzzer's main.
FUZZ_OBJ_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -DSK_FUZZING
