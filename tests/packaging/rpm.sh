#!/usr/bin/env bash
# The test flavour's .rpms and pvapf-tools: rpmlint, Fedora's Provides (kernel-uname-r,
# kernel-devel-uname-r), the initramfs %ghost, pvapf-tools' hardening; then installed with
# rpm --root into a Debian 12 root with dracut and without run-parts (so %posttrans runs,
# chrooted, kernel-install and the initrd hook as on an RPM distribution), over pvapf-tools of the
# old layout; -devel's build link resolves and DKMS builds against it; booted under QEMU TCG, and
# erased with nothing left behind. What this cannot prove without an RPM distribution is in
# packaging/README.md.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=rpm
W=$BUILD/pkgtest/rpm
fresh_workdir "$W"
need_cmd rpm rpmlint rpmlint

test_packages rpm "$W/dist" || { fail "packaging/build.sh test"; exit 1; }
REL=$(cat "$BUILD/obj-test/include/config/kernel.release")
mapfile -t RPMS < <(ls "$W"/dist/kernel-pvapf-test-*.rpm "$W"/dist/pvapf-tools-*.rpm)
out=$(rpmlint -r "$PVAPF_ROOT/packaging/rpm/rpmlintrc" "${RPMS[@]}" 2>&1)
check "rpmlint: 0 errors, 0 warnings$(grep -E '^[^ ]+: [EW]: ' <<<"$out" | head -n 20 | tr '\n' ' ' | sed 's/^./ (got: &/; s/ $/)/')" \
	grep -q ' 0 errors, 0 warnings' <<<"$out"

KRPM=$(ls "$W"/dist/kernel-pvapf-test-[0-9]*.rpm)
DRPM=$(ls "$W"/dist/kernel-pvapf-test-devel-*.rpm)
# what akmods and DKMS look for, as Fedora's kernel provides them
check "kernel-pvapf-test provides kernel-uname-r = $REL" \
	grep -qx "kernel-uname-r = $REL" <<<"$(rpm -qp --provides "$KRPM" 2>/dev/null)"
check "kernel-pvapf-test-devel provides kernel-devel-uname-r = $REL" \
	grep -qx "kernel-devel-uname-r = $REL" <<<"$(rpm -qp --provides "$DRPM" 2>/dev/null)"
# the initrd an RPM distribution's dracut plugin makes is the package's, as a ghost (packaging/README.md)
check "the initrd /boot/initramfs-$REL.img is a %ghost of kernel-pvapf-test (rpm -qlv, file flags)" \
	grep -qxF "g -rw------- /boot/initramfs-$REL.img" <<<"$(rpm -qp \
		--qf '[%{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILENAMES}\n]' "$KRPM" 2>/dev/null)"
check "rpm -qlv lists /boot/initramfs-$REL.img" grep -q " /boot/initramfs-$REL.img$" <<<"$(rpm -qlvp "$KRPM" 2>/dev/null)"
# pvapf-tools' binaries (run as root by libvirtd and the operator): the hardening flags
rm -rf "$W/tools-rpm" && mkdir -p "$W/tools-rpm" &&
	rpm2cpio "$W"/dist/pvapf-tools-*.rpm | (cd "$W/tools-rpm" && cpio -idm --quiet)
check_hardened "pvapf-tools .rpm" "$W/tools-rpm"

# old_tools_rpm OUT: pvapf-tools in the layout before the hook moved to /usr/sbin (the hook in
# /usr/libexec/pvapf, 50-pvapf linked there), version 0: what an upgrade starts from
old_tools_rpm() {
	local d=$W/tools-old hook
	hook=$(find "$W/tools-rpm/usr" -name pvapf-hook -type f | head -n 1)
	rm -rf "$d" && mkdir -p "$d/SPECS" || return 1
	printf '%s\n' 'Name: pvapf-tools' 'Version: 0' 'Release: 1' 'License: GPL-2.0-only' \
		'Summary: pvapf-tools of the old layout' '%description' 'The hook in /usr/libexec/pvapf.' \
		'%install' 'mkdir -p %{buildroot}/usr/libexec/pvapf %{buildroot}/etc/libvirt/hooks/qemu.d' \
		"install -m 0755 $hook %{buildroot}/usr/libexec/pvapf/pvapf-hook" \
		'ln -s ../../../../usr/libexec/pvapf/pvapf-hook %{buildroot}/etc/libvirt/hooks/qemu.d/50-pvapf' \
		'%files' '%dir /usr/libexec/pvapf' '%dir /etc/libvirt/hooks' '%dir /etc/libvirt/hooks/qemu.d' \
		/usr/libexec/pvapf/pvapf-hook /etc/libvirt/hooks/qemu.d/50-pvapf >"$d/SPECS/old.spec"
	rpmbuild -bb --quiet --define "_topdir $d" --define "debug_package %{nil}" "$d/SPECS/old.spec" \
		>"$d/rpmbuild.log" 2>&1 && cp "$d"/RPMS/*/pvapf-tools-0-1.*.rpm "$1"
}

R=$W/root
new_root dracut "$R" || { fail "Debian root with dracut (tests/packaging/mkroot.sh)"; exit 1; }
# %posttrans and %preun must not need Debian's run-parts (its --arg is Debian's, Fedora's run-parts
# has none): it is hidden while rpm runs them, as on an RPM distribution
hide_run_parts() { mv "$R/usr/bin/run-parts" "$R/usr/bin/run-parts.pvapf-hidden"; }
show_run_parts() { mv "$R/usr/bin/run-parts.pvapf-hidden" "$R/usr/bin/run-parts"; }
# what an RPM distribution's filesystem and libvirt packages provide and ours do not own
mkdir -p "$R/usr/lib/modules" "$R/usr/share/licenses" "$R/etc/libvirt"
# --nodeps: the Debian root's packages are dpkg's, invisible to rpm's database. What rpm would
# resolve on an RPM distribution comes from Debian instead: the hook's libxml2, -devel's gcc and
# make (the root has gcc-12, not the gcc command kbuild runs) and its objtool's libelf.
check "pvapf-tools requires libxml2 (rpm's automatic dependencies)" \
	grep -q '^libxml2.so.2()(64bit)' <<<"$(rpm -qp --requires "$W"/dist/pvapf-tools-*.rpm 2>/dev/null)"
check "libxml2, gcc, make and libelf1 from Debian into the root" in_root "$R" apt-get install -y -qq \
	--no-install-recommends libxml2 gcc make libelf1
files_of "$R" >"$W/files-before"
old_tools_rpm "$W/pvapf-tools-old.rpm"
check "pvapf-tools of the old layout (hook in /usr/libexec/pvapf) installed" with_mounts "$R" \
	rpm --root "$R" --dbpath /var/lib/rpm --force-debian --nodeps -i "$W/pvapf-tools-old.rpm"
hide_run_parts
check "rpm -U, without run-parts in the root (scriptlets chrooted into the root)" with_mounts "$R" \
	rpm --root "$R" --dbpath /var/lib/rpm --force-debian --nodeps -Uvh "${RPMS[@]}"
show_run_parts
check_eq "rpm -q" "$(rpm --root "$R" --dbpath /var/lib/rpm -q "kernel-pvapf-test" --qf '%{VERSION}-%{RELEASE}')" \
	"$UPSTREAM_VERSION-$(rev=${DEB_VERSION#*-} && echo "${rev//\~/.}").pvapf$PVAPF_RELEASE"
check "%posttrans made the initrd (kernel-install, then dracut's hook)" test -s "$R/boot/initrd.img-$REL"
check "depmod ran" test -s "$R/lib/modules/$REL/modules.dep"
check_hook "$R"
# -devel's build link, on this merged-/usr root (/lib is /usr/lib) as on Fedora
check_eq "/lib/modules/$REL/build resolves to" "$(in_root "$R" readlink -e "/lib/modules/$REL/build")" \
	"/usr/src/kernels/$REL"
cp -r "$TP/dkms-hello" "$R/usr/src/pvapf-dkms-hello-1.0"
check "dkms build against kernel-pvapf-test-devel" \
	in_root "$R" sh -c "dkms build pvapf-dkms-hello/1.0 -k $REL >/tmp/dkms.log 2>&1 || { cat /tmp/dkms.log; exit 1; }"
in_root "$R" dkms remove pvapf-dkms-hello/1.0 --all >/dev/null 2>&1
rm -rf "$R/usr/src/pvapf-dkms-hello-1.0" "$R/tmp/dkms.log"
boot_root "$R" boot-rpm "boot/vmlinuz-$REL" "boot/initrd.img-$REL" && check_boot boot-rpm "$REL"
[ -f "$W/boot-rpm.txt" ] && check_apfstat boot-rpm

hide_run_parts
check "rpm -e, without run-parts in the root" with_mounts "$R" rpm --root "$R" --dbpath /var/lib/rpm \
	--nodeps -e kernel-pvapf-test-devel kernel-pvapf-test pvapf-tools
show_run_parts
files_of "$R" >"$W/files-after"
left=$(comm -13 "$W/files-before" "$W/files-after" | tr '\n' ' ')
check "rpm -e leaves no file behind${left:+: $left}" test -z "$left"
rm -rf --one-file-system "$R"
[ "$FAILS" = 0 ]
