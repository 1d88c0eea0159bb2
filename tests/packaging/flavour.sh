#!/usr/bin/env bash
# A production flavour's .debs from dist/ (make packages), as an operator installs them: apt
# into a Debian 12 root (initramfs-tools builds the initrd), the installed /vmlinuz booted under
# QEMU TCG to systemd's multi-user target. Not in the suite: each flavour's kernel takes 45 to
# 90 minutes to build here (packaging/README.md).
#   tests/packaging/flavour.sh host|guest
set -uo pipefail
. "$(dirname "$0")/lib.sh"
F=${1:-}
case "$F" in host | guest) ;; *) echo "usage: tests/packaging/flavour.sh host|guest" >&2; exit 2 ;; esac
T=flavour-$F
W=$BUILD/pkgtest/$F
DIST=${DIST:-$PVAPF_ROOT/dist}
REL=$UPSTREAM_VERSION$(kernel_localversion "$F")
DEBS=("$DIST/linux-image-${REL}_"*.deb "$DIST/linux-headers-${REL}_"*.deb
	"$DIST/linux-image-pvapf-${F}_"*.deb "$DIST/linux-headers-pvapf-${F}_"*.deb "$DIST/pvapf-tools_"*.deb)
for d in "${DEBS[@]}"; do
	[ -f "$d" ] || die "$T" "" "$d missing: run make packages CONFIG=$F first"
done
fresh_workdir "$W"
R=$W/root
new_root initramfs-tools "$R" || { fail "Debian root (tests/packaging/mkroot.sh)"; exit 1; }
cp "${DEBS[@]}" "$R/tmp/"
check "apt install ${#DEBS[@]} packages (image, headers, metapackages, pvapf-tools)" apt_install "$R"
rm -f "$R"/tmp/*.deb
check_eq "/vmlinuz (linux-update-symlinks)" "$(link_target "$R" vmlinuz)" "boot/vmlinuz-$REL"
# Debian's configs need microvm's ACPI tables; both build KVM as modules, so the pvapf host is
# active once udev has loaded kvm_amd for the emulated cpu's SVM
if BOOT_MACHINE=microvm,acpi=on boot_root "$R" boot "$(link_target "$R" vmlinuz)" "$(link_target "$R" initrd.img)"; then
	check_booted boot "$REL"
	check_eq "boot: root filesystem" "$(report boot root_fstype)" ext4
	check_apfstat boot
fi
rm -rf --one-file-system "$R"
[ "$FAILS" = 0 ]
