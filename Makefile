# ckpt: build and test entry points. See README.md.
#   make setup                  install the Debian packages (once per machine)
#   make build [ARCH=x86_64]    build the patched kernel (x86_64 arm64 m68k sun3 sun3x)
#   make check [ARCH=m68k]      build + boot + selftests (default: all arches)
#   make check DEBUG=1          the same on the x86_64 debug kernel (KASAN,
#                               lockdep, kmemleak...): x86_64-debug
#   make check-all              every test: both of the above in one run
#                               (each boot overlaps the next kernel build)
#   make run                    x86_64 guest with an interactive busybox shell
#   make demo                   x86_64 guest running the demo program
#   make bench [ARCH=m68k]      ckpt against memcpy, fork and CRIU in one boot
#                               of the kernel without debug options (x86_64)
#   make clean                  remove build/ output (keeps the unpacked kernel source)

# ARCH is ours only when given on the command line; never pass it down to the
# scripts' environment (the kernel's make reads ARCH too).
ifeq ($(origin ARCH),command line)
CKPT_ARCH := $(ARCH)
else
CKPT_ARCH :=
endif
unexport ARCH CROSS_COMPILE DEBUG
MAKEOVERRIDES :=

BUILD_ARCH := $(or $(CKPT_ARCH),x86_64)
CHECK_ARCHES := $(or $(CKPT_ARCH),x86_64 arm64 m68k sun3 sun3x)
# DEBUG=1: the debug variant of the arch (only x86_64 has one).
ifeq ($(DEBUG),1)
BUILD_ARCH := $(BUILD_ARCH)-debug
CHECK_ARCHES := $(or $(CKPT_ARCH),x86_64)-debug
endif

.PHONY: all setup build check check-all run demo bench clean
all: build

setup:
	scripts/setup.sh

# Every entry point installs what it needs first (quick when all is there).
build check check-all run demo bench: setup

build:
	scripts/build.sh $(BUILD_ARCH)

check:
	scripts/check.sh $(CHECK_ARCHES)

# The debug kernel's boot (the longest) overlaps the sun3 builds.
check-all:
	scripts/check.sh x86_64 arm64 m68k x86_64-debug sun3 sun3x

run:
	scripts/build.sh x86_64
	scripts/build-user.sh x86_64
	scripts/mkinitramfs.sh x86_64 build/x86_64/run.cpio
	scripts/qemu-run.sh x86_64 --initrd build/x86_64/run.cpio --interactive

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh $(or $(CKPT_ARCH),x86_64)

clean:
	rm -rf build/x86_64 build/x86_64-debug build/*-bench build/arm64 build/m68k build/sun3 build/sun3x build/logs build/src/stage
