#!/usr/bin/env bash
# Build the initramfs images of the nested harness from Debian's installed files.
#   mkinitramfs.sh l2 OUT            busybox + L2 init + scenarios + L2 tools
#   mkinitramfs.sh l1 OUT L1KERNEL   busybox + L1 init + QEMU (and its libraries/firmware)
#                                    + l2ctl + the L2 kernels and initramfs; L1KERNEL=stock
#                                    adds the Debian modules a stock L1 needs, L1KERNEL=debug
#                                    the KVM modules of our debug kernel, L1KERNEL=guest
#                                    those of our guest flavour.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
load_version

LEVEL=$1 OUT=$2 L1KERNEL=${3:-pvapf}
VM=$PVAPF_ROOT/tests/nested
BIN=$BUILD/vmtest/bin
STAGE=$BUILD/vmtest/stage-$LEVEL
LOG=$BUILD/logs/initramfs-$LEVEL.log

need_file initramfs /bin/busybox busybox-static
need_cmd initramfs cpio cpio
# registered benchmarks (tests/nested/benchmarks): NAME SCENARIO L2-PROGRAMS L1-HOOKS
bench_col() { awk -v c="$1" '!/^#/ && NF { print $c }' "$VM/benchmarks" | tr ',' ' '; }
run_logged initramfs "$LOG" make -C "$VM/tools" OUT="$BIN" \
	EXTRA="$(for c in $(bench_col 3); do echo "$PVAPF_ROOT/$c"; done)"

rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,pvapf/lib,pvapf/scenarios,pvapf/hooks}
cp /bin/busybox "$STAGE/bin/busybox"
cp "$VM/lib/$LEVEL-init.sh" "$STAGE/init"
cp "$VM/lib/$LEVEL.sh" "$VM/lib/init-common.sh" "$STAGE/pvapf/lib/"
if [ "$LEVEL" = l1 ]; then cp "$VM/lib/l1-watchdog.sh" "$STAGE/pvapf/lib/"; fi
cp "$VM"/scenarios/*.sh "$STAGE/pvapf/scenarios/"
paste <(bench_col 1) <(bench_col 2) | while read -r name scen; do
	cp "$PVAPF_ROOT/$scen" "$STAGE/pvapf/scenarios/bench-$name.sh"
	# its fio job files, beside it (benchmarks/overcommit/overcommit.fio)
	find "$PVAPF_ROOT/$(dirname "$scen")" -maxdepth 1 -name '*.fio' -exec cp {} "$STAGE/pvapf/scenarios/" \;
done
chmod +x "$STAGE/init"

# copy_elf FILE: a binary and every shared library it loads, at the same paths.
copy_elf() {
	local f=$1 lib
	mkdir -p "$STAGE$(dirname "$f")"
	cp -L "$f" "$STAGE$f"
	for lib in $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+'); do
		[ -e "$STAGE$lib" ] && continue
		mkdir -p "$STAGE$(dirname "$lib")"
		cp -L "$lib" "$STAGE$lib"
	done
}

# ship_modules DEST MROOT NAME...: those modules of the kernel installed at MROOT and all
# they depend on, into DEST with a load order from modules.dep (init-common.sh's
# load_modules insmods them). Decompressed: busybox insmod reads plain .ko.
ship_modules() {
	local dest=$1 mroot=$2 order m base
	shift 2
	[ -f "$mroot/modules.dep" ] || die initramfs "" "$mroot/modules.dep missing: build that kernel first"
	order=$(python3 - "$mroot/modules.dep" "$@" <<'PY'
import os, sys
deps = {}
for line in open(sys.argv[1]):
    mod, _, rest = line.partition(":")
    deps[os.path.basename(mod).split(".ko")[0].replace("-", "_")] = (mod, rest.split())
out = []
def visit(name):
    mod, d = deps[name]
    for x in d:
        visit(os.path.basename(x).split(".ko")[0].replace("-", "_"))
    if mod not in out:
        out.append(mod)
for w in sys.argv[2:]:
    visit(w.replace("-", "_"))
print("\n".join(out))
PY
	) || die initramfs "" "cannot resolve module dependencies in $mroot"
	mkdir -p "$dest"
	: >"$dest/order"
	for m in $order; do
		base=$(basename "$m" .xz)
		case "$m" in
		*.xz) xz -dc "$mroot/$m" >"$dest/$base" ;;
		*) cp "$mroot/$m" "$dest/$base" ;;
		esac
		echo "$base" >>"$dest/order"
	done
}

# installed_modules CONFIG: where build-kernel.sh installed that kernel's modules.
installed_modules() {
	echo "$BUILD/obj-$1/modroot/lib/modules/$(cat "$BUILD/obj-$1/include/config/kernel.release")"
}

case "$LEVEL" in
l2)
	for t in "$BIN"/*; do
		case "${t##*/}" in l2ctl | qmp | rtstarve) ;; *) cp "$t" "$STAGE/bin/" ;; esac
	done
	# fio for the overcommit benchmark (ioengine=mmap only): the libraries of its other
	# engines and their dependencies (~75 MiB) are replaced by stubs, see copy-with-stub-libs.sh.
	need_cmd initramfs fio fio
	"$VM/copy-with-stub-libs.sh" "$STAGE" "$(command -v fio)" libgfapi.so.0 libnbd.so.0 \
		libibverbs.so.1 librdmacm.so.1 librados.so.2 librbd.so.1 libpmemblk.so.1 libpmem.so.1
	;;
l1)
	need_cmd initramfs qemu-system-x86_64 qemu-system-x86
	copy_elf "$(command -v qemu-system-x86_64)"
	need_cmd initramfs dmsetup dmsetup
	copy_elf "$(command -v dmsetup)"
	mkdir -p "$STAGE/usr/share/qemu"
	for fw in qboot.rom bios-microvm.bin linuxboot_dma.bin pvh.bin kvmvapic.bin; do
		cp -L "/usr/share/qemu/$fw" "$STAGE/usr/share/qemu/"
	done
	# SeaBIOS, for L2s on the pc machine (guest-smm: its SMI handler)
	need_file initramfs /usr/share/seabios/bios-256k.bin seabios
	cp -L /usr/share/seabios/bios-256k.bin "$STAGE/usr/share/qemu/"
	cp "$BIN/l2ctl" "$BIN/asuser" "$BIN/qmp" "$BIN/countwait" "$BIN/rtstarve" "$STAGE/bin/"
	# L1 test programs on KVM's selftest library (tests/kvm)
	tree_lock shared
	run_logged initramfs "$BUILD/logs/kvm-tests.log" make -C "$PVAPF_ROOT/tests/kvm" OUT="$BUILD/vmtest/l1bin" \
		TREE="$BUILD/src/linux-$UPSTREAM_VERSION" UAPI="$BUILD/uapi/include" ABI="$PVAPF_ROOT/abi"
	for t in "$BUILD"/vmtest/l1bin/*; do
		[ -f "$t" ] && cp "$t" "$STAGE/bin/"
	done
	# apfstat, as pvapf-tools ships it (static here: L1 has no libc of its own)
	run_logged initramfs "$BUILD/logs/apfstat-l1.log" make -C "$PVAPF_ROOT/tools/apfstat" \
		OUT="$BUILD/vmtest/apfstat" STATIC=1
	cp "$BUILD/vmtest/apfstat/apfstat" "$STAGE/bin/"
	cp "$VM"/hooks/* "$STAGE/pvapf/hooks/"
	for h in $(bench_col 4); do cp "$PVAPF_ROOT/$h" "$STAGE/pvapf/hooks/"; done
	mkdir -p "$STAGE/pvapf/l2"
	# The pvapf L2 is the test kernel, or with the guest-flavour L1 that same build: the
	# packaged flavour at both levels. Debian's config has no MPPARSE, so its kernels need
	# microvm's ACPI tables (run_l2 reads machine-KERNEL).
	# The guest-flavour L2 gets the msr module (apfmsr's /dev/cpu/0/msr; the test kernel has it
	# built in) from a second archive appended to the L2 initramfs, which the kernel
	# unpacks after the first.
	if [ "$L1KERNEL" = guest ]; then
		cp "$BUILD/obj-guest/arch/x86/boot/bzImage" "$STAGE/pvapf/l2/bzImage-pvapf"
		echo microvm,acpi=on >"$STAGE/pvapf/l2/machine-pvapf"
		rel=$(cat "$BUILD/obj-guest/include/config/kernel.release")
		extra=$BUILD/vmtest/stage-l2-guest
		rm -rf "$extra"
		ship_modules "$extra/pvapf/modules/$rel" "$(installed_modules guest)" msr
		{ cat "$BUILD/vmtest/initrd-l2.cpio" &&
			(cd "$extra" && find . | LC_ALL=C sort | cpio -o -H newc --quiet); } \
			>"$STAGE/pvapf/l2/initrd.cpio" || die initramfs "" "cpio failed for the guest-flavour L2"
	else
		cp "$BUILD/obj-test/arch/x86/boot/bzImage" "$STAGE/pvapf/l2/bzImage-pvapf"
		echo microvm,acpi=off >"$STAGE/pvapf/l2/machine-pvapf"
		cp "$BUILD/vmtest/initrd-l2.cpio" "$STAGE/pvapf/l2/initrd.cpio"
	fi
	cp "$BUILD/stock/vmlinuz" "$STAGE/pvapf/l2/bzImage-stock"
	echo microvm,acpi=on >"$STAGE/pvapf/l2/machine-stock"
	# A stock L1 has KVM, virtio-mmio, virtio-blk, zram and dm-delay as modules, and so has
	# our guest flavour (Debian's cloud config); our debug kernel has KVM as modules
	# (kernel/config/debug.config).
	debian_l1_modules="kvm-amd virtio_mmio virtio_blk zram dm-delay"
	# shellcheck disable=SC2086 # a list of module names
	case "$L1KERNEL" in
	stock) ship_modules "$STAGE/pvapf/modules" "$BUILD/stock/root/lib/modules/$(cat "$BUILD/stock/release")" \
		$debian_l1_modules ;;
	guest) ship_modules "$STAGE/pvapf/modules" "$(installed_modules guest)" $debian_l1_modules ;;
	debug) ship_modules "$STAGE/pvapf/modules" "$(installed_modules debug)" kvm-amd ;;
	esac
	;;
*) die initramfs "" "unknown level '$LEVEL'" ;;
esac

(cd "$STAGE" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$OUT.tmp" ||
	die initramfs "" "cpio failed for $LEVEL"
mv "$OUT.tmp" "$OUT"
echo "initramfs $LEVEL: $OUT ($(($(stat -c %s "$OUT") >> 20)) MiB)"
