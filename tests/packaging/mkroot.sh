#!/usr/bin/env bash
# A Debian 12 root filesystem for the install-and-boot tests, from the archive apt uses, cached
# as a tarball keyed by its package list so a second run costs nothing.
#   mkroot.sh minbase|initramfs-tools|dracut|libvirt|guest   prints the cached tarball's path
# The minbase root is debootstrap's minimal Debian (a fresh machine: deps-fresh.sh); the
# initramfs-tools root adds what a kernel package needs and boots with. The dracut root is the
# initramfs-tools one with dracut installed (which removes initramfs-tools); the libvirt root, with libvirtd and QEMU (the KVM host of tests/libvirt),
# confined by AppArmor as on a default Debian 12 host; the guest root, with fio (the disk of
# tests/libvirt's Debian guest).
# Both carry what a packaged kernel depends on (kmod, linux-base) and what its tests use
# (dkms with a compiler for the headers package).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

VARIANT=${1:?usage: mkroot.sh minbase|initramfs-tools|dracut|libvirt|guest}
# what the libvirt root adds: the daemon, QEMU, virsh, and AppArmor, which Debian 12 installs
# by default and which loads libvirt's profiles at boot; no recommends (GTK, mesa...: 1 GB)
LIBVIRT_PKGS="libvirt-daemon-system qemu-system-x86 libvirt-clients apparmor"
GUEST_PKGS="fio"
PKGS=systemd-sysv,udev,kmod,linux-base,initramfs-tools,zstd,dkms,gcc-12,make,libc6-dev
CACHE=$BUILD/cache/roots
KEY=$(echo "bookworm minbase $PKGS" | sha256sum | cut -c1-12)
BASE=$CACHE/bookworm-initramfs-tools-$KEY.tar
case "$VARIANT" in
minbase) OUT=$CACHE/bookworm-minbase.tar ;;
initramfs-tools) OUT=$BASE ;;
dracut) OUT=$CACHE/bookworm-dracut-$KEY.tar ;;
libvirt) OUT=$CACHE/bookworm-libvirt-$(echo "$KEY $LIBVIRT_PKGS" | sha256sum | cut -c1-12).tar ;;
guest) OUT=$CACHE/bookworm-guest-$(echo "$KEY $GUEST_PKGS" | sha256sum | cut -c1-12).tar ;;
*) die mkroot "" "unknown root '$VARIANT' (minbase, initramfs-tools, dracut, libvirt or guest)" ;;
esac
[ -s "$OUT" ] && { echo "$OUT"; exit 0; }
[ "$(id -u)" = 0 ] || die mkroot "" "building a root filesystem needs root"
need_cmd mkroot debootstrap debootstrap
mkdir -p "$CACHE"
# One build of a root at a time: a second caller waits for the first one's tarball.
exec 9>"$OUT.lock"
flock 9
[ -s "$OUT" ] && { echo "$OUT"; exit 0; }
LOG=$BUILD/logs/mkroot-$VARIANT.log
TMP=$(mktemp -d "$CACHE/tmp.XXXXXX")
# what debootstrap or a chroot left mounted in the root (debootstrap's /proc, seen left behind)
trap 'unmount_under "$TMP"; rm -rf --one-file-system "$TMP"' EXIT

# The Debian mirror apt is configured with (deb822 or one-line sources).
mirror() {
	{ cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } |
		sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p; s/^deb \[*[^ ]*\]* *\(http[^ ]*debian\) bookworm .*/\1/p' |
		head -n 1
}

stage_begin "mkroot-$VARIANT" "Debian 12 root into $OUT"
if [ "$VARIANT" != minbase ]; then
	[ "$VARIANT" = initramfs-tools ] && from=minbase || from=initramfs-tools
	base=$("$0" "$from" | tail -n 1)
	tar -xf "$base" -C "$TMP"
	case "$VARIANT" in
	initramfs-tools) add=${PKGS//,/ } ;;
	dracut) add=dracut ;;
	libvirt) add=$LIBVIRT_PKGS ;;
	guest) add=$GUEST_PKGS ;;
	esac
	# shellcheck disable=SC2086 # a list of packages
	DEBIAN_FRONTEND=noninteractive run_logged mkroot "$LOG" chroot "$TMP" \
		apt-get install -y --no-install-recommends $add
	rm -rf "$TMP"/var/cache/apt/archives/*.deb
else
	m=$(mirror)
	[ -n "$m" ] || die mkroot "" "no Debian mirror found in /etc/apt/sources.list*"
	run_logged mkroot "$LOG" debootstrap --variant=minbase bookworm "$TMP" "$m"
	# The security archive too, as on any installed Debian (what apt in the root may fetch).
	{ cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
		sed -n 's/^URIs: *\(.*debian-security\)$/deb \1 bookworm-security main/p' >>"$TMP/etc/apt/sources.list"
	# Nothing starts in the chroot; a root password-less console for debugging by hand.
	printf '#!/bin/sh\nexit 101\n' >"$TMP/usr/sbin/policy-rc.d"
	chmod +x "$TMP/usr/sbin/policy-rc.d"
	echo pvapf-test >"$TMP/etc/hostname"
	echo '/dev/vda / ext4 rw 0 1' >"$TMP/etc/fstab"
	chroot "$TMP" passwd -d root >/dev/null
fi
unmount_under "$TMP"
{ tar -cf "$OUT.part" -C "$TMP" . && mv "$OUT.part" "$OUT"; } || die mkroot "" "cannot write $OUT"
stage_end
echo "$OUT"
