#!/usr/bin/env bash
# The test flavour's .debs, as an operator installs them (packaging/README.md):
#  - lintian on each package; pvapf-tools' binaries built with the hardening flags;
#  - pvapf-tools: the libvirt hook installed where libvirt looks (a link to /usr/sbin/pvapf-hook,
#    over the old layout's /usr/libexec/pvapf, which goes), running from the root; apfstat run as
#    root in the booted system;
#  - installed with dpkg into a Debian 12 root (initramfs-tools builds the initrd), an external
#    module built by DKMS against the headers package, the installed /vmlinuz booted under
#    QEMU TCG to systemd's multi-user target;
#  - release N+1 installed over it (the metapackage follows), booted, N purged, then all:
#    nothing left behind;
#  - the same kernel in a root with dracut instead of initramfs-tools, booted, and its package
#    removed there while it runs (linux-check-removal).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=deb
W=$BUILD/pkgtest/deb
fresh_workdir "$W"
N=$PVAPF_RELEASE
N1=$((PVAPF_RELEASE + 1))

# --- the packages: release N and N+1 of the test flavour
test_packages deb "$W/dist-$N" || { fail "packaging/build.sh test"; exit 1; }
# a build that succeeds reports no error (FORMATS=deb: no .rpm is none missing)
FORMATS=deb DIST=$W/dist-$N1 PVAPF_RELEASE_OVERRIDE=$N1 "$PVAPF_ROOT/packaging/build.sh" test 2>"$W/build-$N1.err"
rc=$?
cat "$W/build-$N1.err" >&2
[ "$rc" = 0 ] || { fail "packaging/build.sh test (release $N1)"; exit 1; }
check_eq "FORMATS=deb packaging/build.sh: its ERROR lines" "$(grep ERROR "$W/build-$N1.err")" ""
REL=$(cat "$BUILD/obj-test/include/config/kernel.release")
REL1=$(cat "$BUILD/obj-test-r$N1/include/config/kernel.release")
# initrd_lists ROOT LISTER PATTERN: the root's initrd, listed by its generator's tool, has PATTERN
initrd_lists() {
	in_root "$1" "$2" "/boot/initrd.img-$REL" 2>/dev/null | grep -- "$3" >/dev/null
}
debs() { ls "$W/dist-$1"/linux-{image,headers}-*.deb "$W/dist-$1"/pvapf-tools_*.deb; }

# shellcheck disable=SC2046 # a list of files
out=$(lintian --fail-on error,warning $(debs "$N") 2>/dev/null)
rc=$?
check "lintian: no error, no warning (exit $rc, $(debs "$N" | wc -l) packages)${out:+: $(head -n 20 <<<"$out" | tr '\n' ' ')}" \
	test "$rc" = 0 -a -z "$out"

# pvapf-tools' binaries (run as root by libvirtd and the operator): the hardening flags
rm -rf "$W/tools-deb" && dpkg-deb -x "$W/dist-$N"/pvapf-tools_*.deb "$W/tools-deb"
check_hardened "pvapf-tools .deb" "$W/tools-deb"

# old_tools NEW OLD: the pvapf-tools .deb NEW repacked as OLD in the layout before the hook moved
# to /usr/sbin (the hook in /usr/libexec/pvapf, 50-pvapf linked there, no hook man page), with a
# version that sorts before NEW's: what an upgrade starts from
old_tools() {
	local d=$W/tools-old
	rm -rf "$d" && dpkg-deb -R "$1" "$d" && mkdir -p "$d/usr/libexec/pvapf" || return 1
	[ ! -e "$d/usr/sbin/pvapf-hook" ] || mv "$d/usr/sbin/pvapf-hook" "$d/usr/libexec/pvapf/"
	rm -f "$d"/usr/share/man/man8/pvapf-hook.8*
	ln -sfn /usr/libexec/pvapf/pvapf-hook "$d/etc/libvirt/hooks/qemu.d/50-pvapf"
	sed -i 's/^Version: .*/&~old/' "$d/DEBIAN/control"
	(cd "$d" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums)
	dpkg-deb -b --root-owner-group "$d" "$2" >/dev/null
}

# --- release N into a root with initramfs-tools, over pvapf-tools of the old layout
R=$W/root
new_root initramfs-tools "$R" || { fail "Debian root (tests/packaging/mkroot.sh)"; exit 1; }
# gcc, as a Debian system with dkms has it (dkms Depends on gcc | c-compiler; the root's gcc-12
# alone satisfies that): installed before the snapshot, as the headers' gcc would otherwise stay
# after the purge for dkms's sake, which is apt's doing, not a leftover of ours
check "gcc into the root (dkms's compiler)" in_root "$R" sh -c \
	'{ apt-get update -qq && apt-get install -y -qq --no-install-recommends gcc; } >/tmp/apt.log 2>&1 || { tail -n 20 /tmp/apt.log; exit 1; }'
files_of "$R" >"$W/files-before"
old_tools "$W/dist-$N"/pvapf-tools_*.deb "$R/tmp/pvapf-tools-old.deb"
check "apt install pvapf-tools of the old layout (hook in /usr/libexec/pvapf)" apt_install "$R"
rm -f "$R"/tmp/*.deb
# shellcheck disable=SC2046 # a list of files
cp $(debs "$N") "$R/tmp/"
check "apt install release $N (image, headers, metapackages; their dependencies from Debian)" \
	apt_install "$R"
rm -f "$R"/tmp/*.deb
check_eq "linux-image-$REL installed" \
	"$(in_root "$R" dpkg-query -W -f="\${Status}" "linux-image-$REL")" "install ok installed"
check_eq "/vmlinuz (linux-update-symlinks)" "$(link_target "$R" vmlinuz)" "boot/vmlinuz-$REL"
check_eq "/initrd.img" "$(link_target "$R" initrd.img)" "boot/initrd.img-$REL"
# mkinitramfs decompresses the modules it copies (for boot speed); dracut keeps them as they are
check "initramfs-tools built the initrd, with ext4 from /lib/modules/$REL" \
	initrd_lists "$R" lsinitramfs "lib/modules/$REL/kernel/fs/ext4/ext4.ko$"
check_hook "$R"
check "the packaged kernel is the one the nested suite tests" \
	cmp -s "$R/boot/vmlinuz-$REL" "$BUILD/obj-test/arch/x86/boot/bzImage"

# DKMS: an external module against linux-headers-$REL, and built again by dkms's own hooks
# when release N+1's headers arrive.
cp -r "$TP/dkms-hello" "$R/usr/src/pvapf-dkms-hello-1.0"
check "dkms install against linux-headers-$REL" \
	in_root "$R" sh -c "dkms install pvapf-dkms-hello/1.0 -k $REL >/tmp/dkms.log 2>&1 || { cat /tmp/dkms.log; exit 1; }"

boot_root "$R" boot-N "$(link_target "$R" vmlinuz)" "$(link_target "$R" initrd.img)" &&
	check_boot boot-N "$REL" &&
	check_eq "boot-N: the DKMS module loads" "$(report boot-N dkms_path)" \
		"/lib/modules/$REL/updates/dkms/pvapf_dkms_hello.ko.xz"
[ -f "$W/boot-N.txt" ] && check_apfstat boot-N

# --- upgrade to N+1: the metapackages move to it, dkms builds for it, /vmlinuz follows
# shellcheck disable=SC2046
cp $(debs "$N1") "$R/tmp/"
check "apt install release $N1 over $N" apt_install "$R"
rm -f "$R"/tmp/*.deb
check_eq "metapackage follows release $N1" \
	"$(in_root "$R" dpkg-query -W -f="\${Depends}" linux-image-pvapf-test)" \
	"linux-image-$REL1 (= $DEB_VERSION+pvapf$N1)"
check_eq "/vmlinuz -> release $N1" "$(link_target "$R" vmlinuz)" "boot/vmlinuz-$REL1"
check_eq "/vmlinuz.old -> release $N" "$(link_target "$R" vmlinuz.old)" "boot/vmlinuz-$REL"
boot_root "$R" boot-N1 "$(link_target "$R" vmlinuz)" "$(link_target "$R" initrd.img)" &&
	check_boot boot-N1 "$REL1" &&
	check_eq "boot-N1: dkms rebuilt the module for it (header_postinst.d)" \
		"$(report boot-N1 dkms_path)" "/lib/modules/$REL1/updates/dkms/pvapf_dkms_hello.ko.xz"

# --- remove N, then everything: nothing left behind
in_root "$R" dpkg -L "linux-image-$REL" "linux-headers-$REL" | sort -u >"$W/files-N"
check "dpkg --purge release $N" in_root "$R" dpkg --purge "linux-image-$REL" "linux-headers-$REL"
left=$(while read -r f; do [ -e "$R$f" ] && [ ! -d "$R$f" ] && echo "$f"; done <"$W/files-N")
check "no file of release $N left${left:+: $left}" test -z "$left"
left=$(cd "$R" && ls -d boot/*"$REL" "lib/modules/$REL" 2>/dev/null)
check "nothing of $REL in /boot or /lib/modules${left:+: $left}" test -z "$left"
check_eq "/vmlinuz after removing $N" "$(link_target "$R" vmlinuz)" "boot/vmlinuz-$REL1"
in_root "$R" dkms remove pvapf-dkms-hello/1.0 --all >/dev/null 2>&1
rm -rf "$R/usr/src/pvapf-dkms-hello-1.0"
check "apt purge --autoremove everything" in_root "$R" apt-get purge -y -qq --autoremove \
	linux-headers-pvapf-test linux-image-pvapf-test "linux-image-$REL1" "linux-headers-$REL1" pvapf-tools
files_of "$R" >"$W/files-after"
left=$(comm -13 "$W/files-before" "$W/files-after" | tr '\n' ' ')
check "purge leaves no file behind${left:+: $left}" test -z "$left"

# --- the same packages where dracut builds the initrd
R=$W/root-dracut
new_root dracut "$R" || { fail "Debian root with dracut (tests/packaging/mkroot.sh)"; exit 1; }
cp "$W/dist-$N/linux-image-$REL"_*.deb "$R/tmp/"
check "apt install linux-image-$REL with dracut" apt_install "$R"
check "dracut built the initrd, with ext4" initrd_lists "$R" lsinitrd "lib/modules/$REL/kernel/fs/ext4/ext4.ko.xz$"
# and, booted, its package removed as an operator would (pvapf-pkgtest, asked by this file):
# linux-base's linux-check-removal, as Debian's images call it, finds the running kernel. Without
# DEBIAN_FRONTEND=noninteractive debconf asks "Abort kernel removal?" and, unable to ask (no
# terminal), takes its default: yes, the removal fails. With it: a warning, and the removal goes on.
: >"$R/root/pkgtest-remove-running"
if boot_root "$R" boot-dracut "$(link_target "$R" vmlinuz)" "$(link_target "$R" initrd.img)"; then
	check_boot boot-dracut "$REL"
	# status ri: dpkg took the removal as asked for, the package stays installed
	check_eq "boot-dracut: dpkg -r of the running kernel, debconf at its default: aborted, still installed" \
		"$(report boot-dracut remove_asked)" "rc=1 status=ri msg=E: Aborting removal of the running kernel"
	check_eq "boot-dracut: dpkg -r of the running kernel, DEBIAN_FRONTEND=noninteractive: warned, removed" \
		"$(report boot-dracut remove_noninteractive)" "rc=0 status=rc msg=W: Removing the running kernel"
fi
rm -rf --one-file-system "$W/root" "$W/root-dracut"
[ "$FAILS" = 0 ]
