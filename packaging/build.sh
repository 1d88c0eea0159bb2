#!/usr/bin/env bash
# Build pvapf's kernel packages: each flavour's kernel is compiled once (scripts/build-kernel.sh),
# staged once, and packaged twice, as .deb (packaging/deb) and .rpm (packaging/rpm).
#   packaging/build.sh [FLAVOUR...]     host guest (make packages), or test (make packages CONFIG=test)
# Output: dist/ with the packages and SHA256SUMS; each package's size and each stage's time.
# PVAPF_RELEASE_OVERRIDE=N builds release N instead of kernel/VERSION's (the upgrade test);
# DIST=DIR writes somewhere else than dist/; FORMATS="deb" or "rpm" builds only that format.
set -Eeuo pipefail
# errexit in command substitutions too, and a failed command is named (with the stage) rather
# than ending the build silently
shopt -s inherit_errexit
trap 'echo "ERROR [${STAGE_NAME:-packages}]: command failed (exit $?, packaging/build.sh line $LINENO): $BASH_COMMAND" >&2' ERR
. "$(dirname "$0")/../scripts/lib.sh"
load_version

FLAVOURS=("$@")
[ ${#FLAVOURS[@]} -gt 0 ] || FLAVOURS=(host guest)
DIST=${DIST:-$PVAPF_ROOT/dist}
TREE=$BUILD/src/linux-$UPSTREAM_VERSION
PKGDIR=$PVAPF_ROOT/packaging
RELEASE=${PVAPF_RELEASE_OVERRIDE:-$PVAPF_RELEASE}
# a release other than kernel/VERSION's builds beside it (scripts/build-kernel.sh: obj-NAME-rN)
VARIANT=${PVAPF_RELEASE_OVERRIDE:+-r$PVAPF_RELEASE_OVERRIDE}
# Debian: 6.12.118-1~deb12u1 + pvapf1; RPM (no '-' or '~' in Release): 6.12.118, 1.deb12u1.pvapf1.
DEB_PKG_VERSION=$DEB_VERSION+pvapf$RELEASE
DEB_REV=${DEB_VERSION#*-}
RPM_RELEASE=${DEB_REV//\~/.}.pvapf$RELEASE
MAINTAINER=${PVAPF_MAINTAINER:-pvapf developers <pvapf-devel@lists.pvapf.org>}
# Reproducible dates: the commit's, not the clock's.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$PVAPF_ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}

need_cmd packages dpkg-buildpackage dpkg-dev
need_cmd packages dh_builddeb debhelper
need_cmd packages rpmbuild rpm
mkdir -p "$DIST"
# One packaging build at a time: each stages the tools into the same $BUILD/pkg/tools (the
# suite checks refusals in one lane while another builds release N+1); the second waits.
mkdir -p "$BUILD"
exec 9>"$BUILD/pkg.lock"
flock 9
tree_lock shared

flavour_text() {
	case "$1" in
	host) echo "The host flavour, for KVM hosts on bare metal: Debian's amd64 configuration without hardware no KVM host has (see kernel/README.md)." ;;
	guest) echo "The guest flavour, for virtual machines: Debian's cloud-amd64 configuration." ;;
	test) echo "The test flavour: the minimal kernel pvapf's own test suite uses as host and guest; not for production." ;;
	esac
}

# stage_kernel FLAVOUR OBJ STAGE REL: the files both formats ship, laid out as installed. Called
# as a command (never in a $(...)), so that any failure stops the build before packaging.
stage_kernel() {
	local obj=$2 st=$3 rel=$4
	rm -rf "$st" && mkdir -p "$st/image/boot" "$st/image/lib/modules" "$st/headers/usr/src"
	cp "$obj/arch/x86/boot/bzImage" "$st/image/boot/vmlinuz-$rel"
	cp "$obj/System.map" "$st/image/boot/System.map-$rel"
	cp "$obj/.config" "$st/image/boot/config-$rel"
	# modules stripped, then signed (kbuild does both in this order), without depmod's output:
	# the package's scripts make that on the installed system
	make -s -C "$TREE" O="$obj" INSTALL_MOD_PATH="$st/image" INSTALL_MOD_STRIP=1 DEPMOD=true \
		modules_install || die "stage-$1" "" "make modules_install failed (kbuild's output above)"
	rm -f "$st/image/lib/modules/$rel/build"
	cp "$TREE/COPYING" "$st/COPYING"
	# what an external module builds against (kbuild's own list of files)
	(cd "$obj" && srctree=$TREE SRCARCH=x86 CC=gcc HOSTCC=gcc MAKE=make \
		"$TREE/scripts/package/install-extmod-build" "$st/headers/usr/src/linux-headers-$rel")
	local h=$st/headers/usr/src/linux-headers-$rel f t
	# pvapf's own headers are links into this repository (kernel/overlay): ship their contents.
	find "$h" -type l | while read -r f; do
		t=$(readlink -f "$f")
		case "$t" in "$h"/*) continue ;; esac
		if [ -e "$t" ]; then rm -f "$f" && cp -a "$t" "$f"; fi
	done
	find "$h" -name .gitignore -delete
	# as Debian and Fedora ship kbuild's tools: stripped, interpreters named by path (all of
	# them are in scripts/ and tools/; the rest is headers and Makefiles)
	find "$h/scripts" "$h/tools" -type f | while read -r f; do
		case "$(head -c 20 "$f" | tr -d '\0')" in
		$'\x7fELF'*) if [ -x "$f" ]; then strip --strip-unneeded "$f"; fi ;;
		'#!/usr/bin/env '* | '#! /usr/bin/env '*)
			sed -i '1s,^#! *,#!,; 1s,^#!/usr/bin/env python$,#!/usr/bin/python3,; 1s,^#!/usr/bin/env \([a-z0-9]*\),#!/usr/bin/\1,' "$f"
			chmod a+x "$f" ;;
		'#!'*) chmod a+x "$f" ;;
		esac
	done
}

# subst FILE: the templates' @NAME@ placeholders
subst() {
	sed -e "s|@REL@|$REL|g" -e "s|@FLAVOUR@|$F|g" -e "s|@UPSTREAM@|$UPSTREAM_VERSION|g" \
		-e "s|@DEB_VERSION@|$DEB_VERSION|g" -e "s|@MAINTAINER@|$MAINTAINER|g" \
		-e "s|@HOMEPAGE@|https://pvapf.org/|g" \
		-e "s|@RPM_RELEASE@|$RPM_RELEASE|g" -e "s|@RELEASE@|$RELEASE|g" \
		-e "s|@RPM_DATE@|$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %d %Y')|g" "$1" |
		awk -v deb="$(flavour_text "$F" | fold -s -w 72 | sed 's/ *$//; s/^/ /')" \
			-v rpm="$(flavour_text "$F" | fold -s -w 72 | sed 's/ *$//')" \
			'$0 == "@FLAVOUR_TEXT@" { print deb; next } $0 == "@FLAVOUR_TEXT_RPM@" { print rpm; next } { print }'
}

# want FORMAT: is FORMAT (deb, rpm) among those to build?
want() {
	[[ " ${FORMATS:-deb rpm} " == *" $1 "* ]]
}

# deb_package SRC TEXT: dpkg-buildpackage in SRC (its debian/ prepared but for the changelog,
# which says TEXT), the .debs into $DIST
deb_package() {
	local src=$1 name=${1##*/}
	echo "3.0 (native)" >"$src/debian/source/format"
	{
		echo "$name ($DEB_PKG_VERSION) bookworm; urgency=medium"
		echo
		echo "  * $2"
		echo
		echo " -- $MAINTAINER  $(date -R -u -d "@$SOURCE_DATE_EPOCH")"
	} >"$src/debian/changelog"
	run_logged "deb-$F" "$BUILD/logs/packages-deb-$F.log" \
		env -C "$src" dpkg-buildpackage -b -us -uc --no-check-builddeps
	cp "${src%/*}"/*.deb "$DIST/"
}

# rpm_package TEMPLATE STAGE TOPDIR [RPMBUILD-ARG...]: the spec from TEMPLATE built from STAGE,
# the .rpms into $DIST
rpm_package() {
	local spec=$3/SPECS/${1##*/} tmpl=$1 stage=$2 top=$3
	shift 3
	spec=${spec%.in}
	rm -rf "$top" && mkdir -p "$top/SPECS"
	subst "$tmpl" >"$spec"
	run_logged "rpm-$F" "$BUILD/logs/packages-rpm-$F.log" \
		rpmbuild -bb --define "_topdir $top" --define "pvapf_stage $stage" --define "_build_id_links none" \
		"$@" "$spec"
	cp "$top"/RPMS/*/*.rpm "$DIST/"
}

build_deb() {
	local d=$WORK/deb src=$WORK/deb/linux-pvapf-$F
	rm -rf "$d" && mkdir -p "$src/debian/source"
	mv "$WORK/stage" "$src/debian/stage"
	subst "$PKGDIR/deb/control.in" >"$src/debian/control"
	cp "$PKGDIR/deb/rules" "$PKGDIR/deb/copyright" "$src/debian/"
	echo "REL := $REL" >"$src/debian/pvapf.mk"
	for s in preinst postinst prerm postrm; do
		subst "$PKGDIR/deb/image.$s" >"$src/debian/linux-image-$REL.$s"
	done
	subst "$PKGDIR/deb/headers.postinst" >"$src/debian/linux-headers-$REL.postinst"
	subst "$PKGDIR/deb/image.lintian-overrides" >"$src/debian/linux-image-$REL.lintian-overrides"
	subst "$PKGDIR/deb/headers.lintian-overrides" >"$src/debian/linux-headers-$REL.lintian-overrides"
	deb_package "$src" "pvapf release $RELEASE on Debian's linux-source-6.12 $DEB_VERSION."
	mv "$src/debian/stage" "$WORK/stage"
}

# rpm_hardening: rpmbuild arguments for the hardening flags, where rpm has none of its own. On an
# RPM distribution %optflags and %build_ldflags are its hardening flags (Fedora's redhat-rpm-config);
# Debian's rpm, which builds here, defines only "-O2 -g" and no %build_ldflags: the build host's
# (dpkg-buildflags) stand in, so both formats' binaries are hardened alike.
rpm_hardening() {
	[ -z "$(rpm --eval '%{?build_ldflags}')" ] || return 0
	printf '%s\n' --define "optflags $(dpkg_flag CFLAGS) $(dpkg_flag CPPFLAGS)" \
		--define "build_ldflags $(dpkg_flag LDFLAGS)"
}

# dpkg_flag NAME: Debian's build flag NAME with all its hardening features (bindnow too)
dpkg_flag() {
	DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$1"
}

# pvapf-tools: one per build, whatever the flavours (the libvirt hook, apfstat). Both run as root
# (libvirtd runs the hook), so both are built with the distribution's hardening flags: for the
# .deb here with dpkg-buildflags', for the .rpm in pvapf-tools.spec's %build with rpm's.
build_tools() {
	local t=$BUILD/pkg/tools$VARIANT src man=$PVAPF_ROOT/libvirt-hooks/pvapf-hook.8
	F=tools REL=
	[ -f "$man" ] || die tools "" "$man (the hook's man page) not found"
	rm -rf "$t" && mkdir -p "$t/stage/etc/libvirt/hooks/qemu.d" "$t/stage/usr/share/man/man8"
	# compressed by dh_compress, and in pvapf-tools.spec
	install -m 0644 "$PVAPF_ROOT/tools/apfstat/apfstat.8" "$man" "$t/stage/usr/share/man/man8/"
	# libvirt runs every executable in qemu.d (>= 6.5). The binary is in /usr/sbin: Debian's
	# libvirtd AppArmor profile lets libvirtd run /usr/sbin and /usr/bin, not /usr/libexec.
	ln -s /usr/sbin/pvapf-hook "$t/stage/etc/libvirt/hooks/qemu.d/50-pvapf"
	cp "$TREE/COPYING" "$t/COPYING"
	if want deb; then
		stage_begin deb-tools "pvapf-tools $DEB_PKG_VERSION"
		src=$t/deb/pvapf-tools
		mkdir -p "$src/debian/source"
		cp -a "$t/stage" "$src/debian/stage"
		mkdir -p "$src/debian/stage/usr/sbin"
		local d flags=()
		for d in CPPFLAGS CFLAGS LDFLAGS; do flags+=("$d=$(dpkg_flag "$d")"); done
		run_logged tools "$BUILD/logs/packages-tools.log" \
			env "${flags[@]}" make -C "$PVAPF_ROOT/libvirt-hooks" OUT="$t/deb/bin"
		run_logged tools "$BUILD/logs/packages-apfstat.log" \
			env "${flags[@]}" make -C "$PVAPF_ROOT/tools/apfstat" OUT="$t/deb/bin"
		install -m 0755 "$t/deb/bin/pvapf-hook" "$t/deb/bin/apfstat" "$src/debian/stage/usr/sbin/"
		subst "$PKGDIR/deb/tools.control.in" >"$src/debian/control"
		cp "$PKGDIR/deb/tools.rules" "$src/debian/rules"
		cp "$PKGDIR/deb/copyright" "$src/debian/"
		cp "$PKGDIR/deb/tools.postinst" "$src/debian/pvapf-tools.postinst"
		cp "$PKGDIR/deb/tools.postrm" "$src/debian/pvapf-tools.postrm"
		deb_package "$src" "pvapf release $RELEASE: the libvirt hook and apfstat."
		stage_end
	fi
	if want rpm; then
		stage_begin rpm-tools "pvapf-tools $UPSTREAM_VERSION-$RPM_RELEASE"
		local hardening
		mapfile -t hardening < <(rpm_hardening)
		rpm_package "$PKGDIR/rpm/pvapf-tools.spec.in" "$t/stage" "$t/rpm" \
			--define "pvapf_src $PVAPF_ROOT" "${hardening[@]}"
		stage_end
	fi
}

for F in "${FLAVOURS[@]}"; do
	case "$F" in
	host | guest | test) ;;
	*) die packages "" "unknown flavour '$F' (host, guest or test)" ;;
	esac
	WORK=$BUILD/pkg/$F$VARIANT
	OBJ=$BUILD/obj-$F$VARIANT
	scripts_t0=$(date +%s)
	"$PVAPF_ROOT/scripts/build-kernel.sh" "$F"
	grep -q '^CONFIG_MODULES=y' "$OBJ/.config" || die packages "" "the $F kernel has no modules: a package needs them"
	REL=$(cat "$OBJ/include/config/kernel.release")
	stage_begin "stage-$F" "files of $F as installed, in $WORK/stage"
	stage_kernel "$F" "$OBJ" "$WORK/stage" "$REL"
	stage_end
	if want deb; then
		stage_begin "deb-$F" "$REL $DEB_PKG_VERSION"
		build_deb
		stage_end
	fi
	if want rpm; then
		stage_begin "rpm-$F" "$REL $UPSTREAM_VERSION-$RPM_RELEASE"
		rpm_package "$PKGDIR/rpm/kernel.spec.in" "$WORK/stage" "$WORK/rpm"
		stage_end
	fi
	echo "flavour $F: $(($(date +%s) - scripts_t0))s (kernel $REL)"
done

build_tools
cd "$DIST"
shopt -s nullglob # FORMATS=deb makes no .rpm, FORMATS=rpm no .deb
built=(*.deb *.rpm)
sha256sum -- "${built[@]}" >SHA256SUMS
echo "packages in $DIST:"
for p in "${built[@]}"; do printf '  %8s  %s\n' "$(du -h --apparent-size "$p" | cut -f1)" "$p"; done
