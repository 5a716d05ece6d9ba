# sekisho - build, test, run.
#
#   make            release build of build/release/sekisho
#   make run        the main job (see README)
#   make test       install missing packages, run every test (unit in the
#                   release and the ASan+UBSan build, end-to-end, fuzzers)
#   make fuzz       run every fuzz target for FUZZ_SECONDS each
#   make bench      benchmarks under bench/
#   make analyze    cppcheck over lib/ and src/
#   BUILD=debug|asan|release selects the profile (mk/flags.mk).

BUILD ?= release
include mk/flags.mk
include mk/deps.mk

B ?= build/$(BUILD)
# Quiet by default; V=1 shows full command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif
LIB_SRC := $(sort $(wildcard lib/*/*.c))
BIN_SRC := $(sort $(wildcard src/*/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
BIN_OBJ := $(BIN_SRC:%.c=$(B)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

LIBSEKISHO := $(B)/libsekisho.a
# The OS glue and front-end objects (all of src/ but the main), so unit tests
# can test sinks, sockets and the like through their headers.
SRC_LIB_OBJ := $(filter-out $(B)/obj/src/cli/main.o,$(BIN_OBJ))
LIBSRC := $(B)/libsekisho-src.a
SEKISHO := $(B)/sekisho

.PHONY: all deps run test unit e2e fuzz fuzz-build bench analyze clean checksrc
.DELETE_ON_ERROR:

all: $(SEKISHO)

deps:
	@tools/install-deps

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(LIBSEKISHO): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBSRC): $(SRC_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(SEKISHO): $(BIN_OBJ) $(LIBSEKISHO)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(BIN_OBJ) $(LIBSEKISHO) $(PKG_LIBS) $(LDLIBS) -o $@

$(B)/tests/%: tests/unit/%.c tests/unit/harness.h $(LIBSEKISHO) $(LIBSRC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -Itests/unit -MMD -MP $< $(LIBSRC) $(LIBSEKISHO) $(LDFLAGS) $(PKG_LIBS) $(LDLIBS) -o $@

$(B)/bench/%: bench/%.c $(LIBSEKISHO) $(LIBSRC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BENCH   $@")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP $< $(LIBSRC) $(LIBSEKISHO) $(LDFLAGS) $(PKG_LIBS) $(LDLIBS) -o $@

checksrc:
	@tools/checksrc

# Unit tests of one build profile; prints one "N passed, N failed" line.
unit: $(TEST_BIN) $(SEKISHO)
	@tests/run-unit $(B) $(TEST_BIN)

e2e: $(SEKISHO)
	@tests/run-e2e $(SEKISHO)

# The whole suite. Each stage records its counts in build/results/ and the
# last line is the total, in the form CI reads.
test: deps
	@rm -rf build/results && mkdir -p build/results
	@$(MAKE) --no-print-directory checksrc
	@$(MAKE) --no-print-directory BUILD=release unit e2e
	@$(MAKE) --no-print-directory BUILD=asan unit e2e
	@$(MAKE) --no-print-directory -j2 fuzz-build
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	@tests/summary build/results

FUZZ_SECONDS ?= 20
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
# The library is compiled once with coverage instrumentation (fuzzer-no-link)
# and sanitizers; each target links against that archive.
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_LIB := build/fuzz/libsekisho-fuzz.a

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_OBJ_CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

build/fuzz/%: fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) $< $(FUZZ_LIB) $(PKG_LIBS) -o $@

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@tests/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BIN)

bench: $(SEKISHO) $(BENCH_BIN)
	@bench/run $(B)

# The main job. Until the proxy exists this parses and inspects a bundled
# sample request; it becomes the proxy in front of the demo upstream.
# (a sub-make, so that library flags are read after deps installed them)
run: deps
	@$(MAKE) --no-print-directory $(SEKISHO)
	@tools/run-demo $(SEKISHO)

analyze:
	cppcheck --quiet --enable=warning,portability,performance --error-exitcode=1 \
		--inline-suppr -Iinclude --std=c11 lib src

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BIN_OBJ:.o=.d) $(TEST_BIN:=.d) $(BENCH_BIN:=.d) $(FUZZ_LIB_OBJ:.o=.d)
