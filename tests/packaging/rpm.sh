#!/usr/bin/env bash
# The test flavour's .rpms and pvapf-tools: rpmlint, then installed with rpm --root into a Debian 12 root with
# dracut (so %posttrans runs, chrooted, kernel-install and the initrd hook), booted under QEMU
# TCG, and erased with nothing left behind. What this cannot prove without an RPM
# distribution is in packaging/README.md.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=rpm
W=$BUILD/pkgtest/rpm
fresh_workdir "$W"
need_cmd rpm rpmlint rpmlint

FORMATS=rpm DIST=$W/dist "$PVAPF_ROOT/packaging/build.sh" test || { fail "packaging/build.sh test"; exit 1; }
REL=$(cat "$BUILD/obj-test/include/config/kernel.release")
mapfile -t RPMS < <(ls "$W"/dist/kernel-pvapf-test-*.rpm "$W"/dist/pvapf-tools-*.rpm)
out=$(rpmlint -r "$PVAPF_ROOT/packaging/rpm/rpmlintrc" "${RPMS[@]}" 2>&1)
check "rpmlint: 0 errors, 0 warnings$(grep -E '^[^ ]+: [EW]: ' <<<"$out" | head -n 20 | tr '\n' ' ' | sed 's/^./ (got: &/; s/ $/)/')" \
	grep -q ' 0 errors, 0 warnings' <<<"$out"

R=$W/root
new_root dracut "$R" || { fail "Debian root with dracut (tests/packaging/mkroot.sh)"; exit 1; }
# what an RPM distribution's filesystem and libvirt packages provide and ours do not own
mkdir -p "$R/usr/lib/modules" "$R/usr/share/licenses" "$R/etc/libvirt"
# --nodeps: the Debian root's packages are dpkg's, invisible to rpm's database. What rpm would
# resolve on an RPM distribution comes from Debian instead: the hook's libxml2.
check "pvapf-tools requires libxml2 (rpm's automatic dependencies)" \
	grep -q '^libxml2.so.2()(64bit)' <<<"$(rpm -qp --requires "$W"/dist/pvapf-tools-*.rpm 2>/dev/null)"
check "libxml2 from Debian into the root" in_root "$R" apt-get install -y -qq --no-install-recommends libxml2
files_of "$R" >"$W/files-before"
check "rpm -i (scriptlets chrooted into the root)" with_mounts "$R" rpm --root "$R" --dbpath /var/lib/rpm \
	--force-debian --nodeps -ivh "${RPMS[@]}"
check_eq "rpm -q" "$(rpm --root "$R" --dbpath /var/lib/rpm -q "kernel-pvapf-test" --qf '%{VERSION}-%{RELEASE}')" \
	"$UPSTREAM_VERSION-$(rev=${DEB_VERSION#*-} && echo "${rev//\~/.}").pvapf$PVAPF_RELEASE"
check "%posttrans made the initrd (kernel-install, then dracut's hook)" test -s "$R/boot/initrd.img-$REL"
check "depmod ran" test -s "$R/lib/modules/$REL/modules.dep"
check_hook "$R"
boot_root "$R" boot-rpm "boot/vmlinuz-$REL" "boot/initrd.img-$REL" && check_boot boot-rpm "$REL"
[ -f "$W/boot-rpm.txt" ] && check_apfstat boot-rpm

check "rpm -e" with_mounts "$R" rpm --root "$R" --dbpath /var/lib/rpm --nodeps -e kernel-pvapf-test-devel \
	kernel-pvapf-test pvapf-tools
files_of "$R" >"$W/files-after"
left=$(comm -13 "$W/files-before" "$W/files-after" | tr '\n' ' ')
check "rpm -e leaves no file behind${left:+: $left}" test -z "$left"
rm -rf --one-file-system "$R"
[ "$FAILS" = 0 ]
