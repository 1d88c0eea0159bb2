#!/usr/bin/env bash
# The progress line of a long kernel build (build_progress in scripts/lib.sh), on a kbuild log
# as 6.12 writes it. The dry run that gives the total cannot see modpost's second stage (each
# module's .mod.o, compiled from a .mod.c that does not exist yet), so those are not counted as
# objects but as modules linked: the count never passes the total it is shown against
# (the host flavour's log said "10253 of ~8513" before).
# The total (build_total) on a fresh object dir, where a cold `make packages` starts: the test
# kernel's config in an empty dir must count its ~1,500 objects (it counted 33 of the guest
# flavour's thousands before).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

cat >"$T/log" <<'LOG'
  SYNC    include/config/auto.conf
  HOSTCC  scripts/basic/fixdep
  CC      init/main.o
  AS      arch/x86/entry/entry_64.o
  CC [M]  drivers/net/ethernet/intel/ixgbe/ixgbe_main.o
  CC [M]  drivers/net/bonding/bond_main.o
  LD [M]  drivers/net/bonding/bonding.o
  MODPOST Module.symvers
  CC [M]  drivers/net/bonding/bonding.mod.o
  CC [M]  drivers/net/ethernet/intel/ixgbe/ixgbe.mod.o
  LD [M]  drivers/net/bonding/bonding.ko
  BTF [M] drivers/net/bonding/bonding.ko
LOG
want="4 of ~4 objects compiled, 1 modules linked"
got=$(build_progress "$T/log" 4)
if [ "$got" = "$want" ]; then
	echo "PASS: build-progress: $got"
else
	echo "FAIL: build-progress: '$got', want '$want'"
	exit 1
fi

load_version
TREE=$BUILD/src/linux-$UPSTREAM_VERSION
[ -d "$TREE" ] || { echo "FAIL: build-progress: no kernel tree at $TREE: run make tree"; exit 1; }
mkdir -p "$T/obj"
make -s -C "$TREE" O="$T/obj" KCONFIG_ALLCONFIG="$PVAPF_ROOT/kernel/config/test.config" allnoconfig >"$T/config.log" 2>&1 ||
	{ echo "FAIL: build-progress: the test config: $(tail -n 3 "$T/config.log")"; exit 1; }
total=$(build_total "$T/prepare.log" bzImage make -C "$TREE" O="$T/obj" -j"$(nproc)" CC="ccache gcc" HOSTCC="ccache gcc")
if [ "${total:-0}" -ge 1000 ]; then
	echo "PASS: build-progress: a fresh object dir's total counts the test kernel's objects (~$total)"
else
	echo "FAIL: build-progress: a fresh object dir's total is ~${total:-none}, want the test kernel's ~1,500 objects"
	exit 1
fi
