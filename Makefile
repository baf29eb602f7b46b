# rlc build: GNU Make + pkg-config. Outputs go to build/$(MODE)/ with MODE = release | asan | bench.
#   make                 library, rlc program and test runner (release)
#   make test            run the test runner (prints "N passed, N failed"; J=2: two groups at once)
#   make test-asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make valgrind        the release test runner under valgrind (leaks are errors)
#   make bench           speed benchmarks (bench/)
#   make install PREFIX=/usr/local
MODE ?= release
BUILD ?= build/$(MODE)
PREFIX ?= /usr/local
CC ?= cc
SHELL := /bin/bash

# Optional dependency: OpenBLAS for matrix products (BLAS=0 forces the portable kernel).
BLAS ?= 1
ifeq ($(BLAS),1)
  HAVE_OPENBLAS := $(shell pkg-config --exists openblas && echo 1)
endif
PKGS := libcjson libpng zlib
ifeq ($(HAVE_OPENBLAS),1)
  PKGS += openblas
  BLAS_DEF := -DRLC_HAVE_CBLAS=1
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS)) -lgif -lpthread -lm

# Optional dependency: Debian's libmujoco-dev (2.2.2, no .pc file) for the MuJoCo envs
# (MUJOCO=0 builds without them; the envs then refuse to be created with a clear message).
MUJOCO ?= 1
ifeq ($(MUJOCO),1)
  HAVE_MUJOCO := $(shell test -f /usr/include/mujoco/mujoco.h && echo 1)
endif
ifeq ($(HAVE_MUJOCO),1)
  MUJOCO_DEF := -DRLC_HAVE_MUJOCO=1
  PKG_LIBS += -lmujoco
endif
# Optional dependency: Debian's libhdf5-dev (serial) for Minari/D4RL dataset files (HDF5=0 builds
# without them; the file functions then return RLC_ERR_UNSUPPORTED with a clear message).
# hdf5-serial, not hdf5: hdf5.pc may point to the MPI build.
HDF5 ?= 1
ifeq ($(HDF5),1)
  HAVE_HDF5 := $(shell pkg-config --exists hdf5-serial && echo 1)
endif
ifeq ($(HAVE_HDF5),1)
  HDF5_DEF := -DRLC_HAVE_HDF5=1 $(shell pkg-config --cflags hdf5-serial)
  PKG_LIBS += $(shell pkg-config --libs hdf5-serial)
  PKGS_PC := hdf5-serial
endif
# Optional dependency: MPI (Debian's libopenmpi-dev, found through pkg-config as ompi-c or mpi)
# for distributed training under mpirun (MPI=0 builds without it; `rlc train` under mpirun then
# says that MPI support was not built). Only src/dist/ includes mpi.h.
MPI ?= 1
ifeq ($(MPI),1)
  MPI_PC := $(firstword $(foreach p,ompi-c mpi,$(shell pkg-config --exists $(p) && echo $(p))))
endif
ifneq ($(MPI_PC),)
  MPI_DEF := -DRLC_HAVE_MPI=1 $(shell pkg-config --cflags $(MPI_PC))
  PKG_LIBS += $(shell pkg-config --libs $(MPI_PC))
  PKGS_PC += $(MPI_PC)
endif
# Optional dependency: CUDA's nvcc (on the PATH or /usr/local/cuda/bin) for the GPU batched
# quadrotor stepper (src/env/aero/quad_cuda.cu, linked with the static CUDA runtime). CUDA=0
# builds without it; asan builds never use it (ASan and the CUDA runtime do not mix). Without
# it rlc_quad_gpu_* say that rlc was built without CUDA. The kernel is built for sm_80 and
# sm_90 with PTX for newer GPUs (CUDA_GENCODE to change).
CUDA ?= 1
ifeq ($(CUDA),1)
  ifneq ($(MODE),asan)
    NVCC := $(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard /usr/local/cuda/bin/nvcc))
  endif
endif
CUDA_GENCODE ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=[sm_90,compute_90]
# nvcc alone is not enough: tools/cuda_probe.sh compiles a kernel and links the static CUDA
# runtime once per build folder (answer cached in $(BUILD)/cuda-probe.txt; delete it, or
# make clean, after changing the toolkit) and CUDA is left out when that fails.
ifneq ($(NVCC),)
  CUDA_LIBS := $(shell mkdir -p $(BUILD) && { test -f $(BUILD)/cuda-probe.txt || \
                 sh tools/cuda_probe.sh '$(NVCC)' '$(CC)' $(BUILD)/cuda-probe $(CUDA_GENCODE) \
                 > $(BUILD)/cuda-probe.txt; } && cat $(BUILD)/cuda-probe.txt)
  ifeq ($(strip $(CUDA_LIBS)),)
    NVCC :=
  endif
endif
ifneq ($(NVCC),)
  CUDA_DEF := -DRLC_HAVE_CUDA=1
  PKG_LIBS += $(CUDA_LIBS)
endif
# Model files are looked up in $$RLC_DATA_DIR, the installed share folder, ./data, then the
# data/ folder of the source tree the library was built from.
DATA_DEF := -DRLC_DATA_DIR='"$(PREFIX)/share/rlc"' -DRLC_SOURCE_DATA_DIR='"$(CURDIR)/data"'

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
# Bit-exact parity with Gymnasium needs no FMA contraction and real libm pow() calls.
# -fno-trapping-math (rlc reads no floating-point exception flags) lets GCC turn selects on
# float compares into blends, so elementwise loops such as rlc__tanhf's vectorise; every
# operation still rounds as written.
FPFLAGS := -ffp-contract=off -fno-builtin-pow -fno-builtin-powf -fno-trapping-math
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(FPFLAGS) -fPIC -fvisibility=hidden \
               -Iinclude -Isrc $(PKG_CFLAGS) $(BLAS_DEF) $(MUJOCO_DEF) $(HDF5_DEF) $(MPI_DEF) $(CUDA_DEF) \
               $(DATA_DEF)

ifeq ($(MODE),release)
  OPT := -O2 -g
else ifeq ($(MODE),asan)
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  SAN_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(MODE),bench)
  OPT := -O3 -g -DNDEBUG
else
  $(error unknown MODE '$(MODE)': use release, asan or bench)
endif

CFLAGS_ALL := $(BASE_CFLAGS) $(OPT) $(CFLAGS)
LDFLAGS_ALL := $(SAN_LDFLAGS) $(LDFLAGS)

LIB_SRCS := $(shell find src -name '*.c' -not -path 'src/cli/*' | sort)
CLI_SRCS := $(shell find src/cli -name '*.c' | sort)
TEST_SRCS := $(shell find tests -name '*.c' -not -path 'tests/fuzz/*' -not -path 'tests/pkgconfig/*' | sort)
BENCH_SRCS := $(wildcard bench/*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
ifneq ($(NVCC),)
  LIB_OBJS += $(BUILD)/src/env/aero/quad_cuda.o
endif
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/tests/registry.o
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

all: $(BUILD)/librlc.a $(BUILD)/librlc.so $(BUILD)/rlc $(BUILD)/test_runner

# GCC's SLP vectorizer drops float32 rounding in env observation code (see golden/README):
# environment files are built without it so they stay bit-exact with Gymnasium.
$(BUILD)/src/env/%.o: EXTRA := $(if $(findstring clang,$(shell $(CC) --version)),,-fno-tree-slp-vectorize)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(EXTRA) -MMD -MP -c $< -o $@

# --fmad=false: no fused multiply-adds, so the GPU's steps have the CPU's bits (quad_dyn.h).
$(BUILD)/src/env/aero/quad_cuda.o: src/env/aero/quad_cuda.cu
	@mkdir -p $(dir $@)
	$(NVCC) -O3 --fmad=false -std=c++17 $(CUDA_GENCODE) -Xcompiler -fPIC,-fvisibility=hidden \
	  -Iinclude -Isrc -MMD -MP -MF $(@:.o=.d) -c $< -o $@

$(BUILD)/librlc.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/librlc.so: $(LIB_OBJS)
	$(CC) -shared $(LDFLAGS_ALL) -Wl,-soname,librlc.so.0 -o $@ $^ $(PKG_LIBS)

$(BUILD)/rlc: $(CLI_OBJS) $(BUILD)/librlc.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJS) $(BUILD)/librlc.a $(PKG_LIBS)

# The test registry is generated from the RLC_TESTS(group, ...) lines of the test files.
$(BUILD)/tests/registry.c: $(TEST_SRCS) tools/gen_test_registry.sh
	@mkdir -p $(dir $@)
	bash tools/gen_test_registry.sh $(TEST_SRCS) > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/registry.o: $(BUILD)/tests/registry.c
	$(CC) $(CFLAGS_ALL) -Itests -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -MMD -MP -c $< -o $@

$(BUILD)/test_runner: $(TEST_OBJS) $(BUILD)/librlc.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(TEST_OBJS) $(BUILD)/librlc.a $(PKG_LIBS) -lcmocka

$(BUILD)/bench/%: bench/%.c $(BUILD)/librlc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/librlc.a $(PKG_LIBS)

# Tests run from the repository root (they read tests/data/) with one BLAS thread.
# J > 1 runs that many test groups at once, each in its own process (tests/runner.c).
TEST_ENV := OPENBLAS_NUM_THREADS=1 RLC_BUILD=$(BUILD)
J ?= 1
test: $(BUILD)/test_runner $(BUILD)/rlc
	$(TEST_ENV) $(BUILD)/test_runner -j $(J) $(T)

test-asan:
	$(MAKE) MODE=asan BUILD=build/asan test

valgrind: $(BUILD)/test_runner $(BUILD)/rlc
	$(TEST_ENV) RLC_VALGRIND=1 valgrind --error-exitcode=9 --leak-check=full \
	  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	  $(BUILD)/test_runner $(T)

# The README's main job: train PPO on CartPole-v1, evaluate it, render an episode.
DEMO_DIR ?= runs/demo
demo: $(BUILD)/rlc
	$(BUILD)/rlc train --env CartPole-v1 --algo ppo --steps 60000 --seed 1 --out $(DEMO_DIR) --force
	$(BUILD)/rlc eval --checkpoint $(DEMO_DIR)/final.safetensors --episodes 10 --gif $(DEMO_DIR)/cartpole.gif
	$(BUILD)/rlc plot $(DEMO_DIR) --out $(DEMO_DIR)/curve.svg
	@echo "run folder: $(DEMO_DIR) (config.json, progress.csv, TensorBoard events, final.safetensors, cartpole.gif, curve.svg)"

bench:
	$(MAKE) MODE=bench BUILD=build/bench bench-run

bench-run: $(BENCH_BINS) $(BUILD)/rlc
	@for b in $(BENCH_BINS); do echo "== $$b"; OPENBLAS_NUM_THREADS=1 $$b || exit 1; done

install: $(BUILD)/librlc.a $(BUILD)/librlc.so $(BUILD)/rlc
	install -d $(DESTDIR)$(PREFIX)/include/rlc $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/rlc/*.h $(DESTDIR)$(PREFIX)/include/rlc/
	install -m 644 $(BUILD)/librlc.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/librlc.so $(DESTDIR)$(PREFIX)/lib/librlc.so.0
	ln -sf librlc.so.0 $(DESTDIR)$(PREFIX)/lib/librlc.so
	install -m 755 $(BUILD)/rlc $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/rlc/mujoco
	install -m 644 data/mujoco/*.xml $(DESTDIR)$(PREFIX)/share/rlc/mujoco/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|0.1.0|' \
	    -e 's|@REQUIRES@|$(PKGS) $(PKGS_PC)|' -e 's|@EXTRA_LIBS@|-lgif -lpthread -lm$(if $(HAVE_MUJOCO), -lmujoco)$(if $(NVCC), $(CUDA_LIBS))|' rlc.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rlc.pc

clean:
	rm -rf build

format:
	clang-format -i $$(find src include tests bench examples -name '*.[ch]')

.PHONY: all demo test test-asan valgrind bench bench-run install clean format

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
