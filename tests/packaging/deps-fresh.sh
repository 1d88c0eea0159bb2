#!/usr/bin/env bash
# scripts/deps.sh on a fresh Debian 12 machine: debootstrap's minimal Debian (the cached
# minbase root: none of deps.sh's packages installed) with this tree mounted read-only, and
# deps.sh run there as root, as the README's first command does:
#  - the first run installs every package of its list and fetches the pinned base into
#    build/base/ without installing it (no linux-source-6.12 in dpkg's database, so the
#    machine's own upgrades cannot move it), checked against kernel/VERSION;
#  - make tree works there from that base;
#  - a second run installs and downloads nothing.
# Also: the check deps.sh makes of the archive finds the pinned version every time (it once
# read apt-cache through grep -q, which failed under pipefail about half the time).
set -uo pipefail
T=deps-fresh
. "$(dirname "$0")/lib.sh"
W=$BUILD/pkgtest/deps-fresh
R=$W/root
fresh_workdir "$W"

n=0
for _ in $(seq 10); do
	archive_has linux-source-6.12 "$DEB_VERSION" && n=$((n + 1))
done
check_eq "archive_has finds the pinned linux-source-6.12 $DEB_VERSION in apt's lists, 10 times" "$n" 10

# installed PKG...: how many of PKG... dpkg in the root has installed
installed() {
	# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
	chroot "$R" dpkg-query -W -f='${db:Status-Status}\n' "$@" 2>/dev/null | grep -c '^installed$'
}

tar=$("$TP/mkroot.sh" minbase | tail -n 1) || { fail "minimal Debian root (tests/packaging/mkroot.sh minbase)"; exit 1; }
mkdir -p "$R"
tar -xf "$tar" -C "$R" || { fail "unpack $tar"; exit 1; }
check_eq "the fresh root has none of the build packages (gcc, qemu-system-x86, linux-source-6.12)" \
	"$(installed gcc qemu-system-x86 linux-source-6.12)" 0
# a test root: dpkg need not fsync (seconds for hundreds of packages); apt's downloads kept
# in build/cache across runs
echo force-unsafe-io >"$R/etc/dpkg/dpkg.cfg.d/pvapf-test"
cp /etc/resolv.conf "$R/etc/resolv.conf"
mkdir -p "$BUILD/cache/apt-archives/partial" "$R/src"
mount --bind "$BUILD/cache/apt-archives" "$R/var/cache/apt/archives" || { fail "bind the apt cache"; exit 1; }
{ mount --bind "$PVAPF_ROOT" "$R/src" && mount -o remount,bind,ro "$R/src"; } || { fail "bind the tree read-only"; exit 1; }
# in_root's environment, and the build directory inside the root (the tree is read-only)
deps() { in_root "$R" env BUILD=/var/tmp/pvapf-build /src/scripts/deps.sh; }

t0=$SECONDS
deps >"$W/first.log" 2>&1
rc=$?
check_eq "first run: deps.sh exits 0 in $((SECONDS - t0))s (log: $W/first.log)" "$rc" 0
check "first run: installed what was missing" grep -q '^installing: .*qemu-system-x86' "$W/first.log"
check "first run: fetched the base" grep -q "^fetching the pinned base: linux-source-6.12 linux-config-6.12 $DEB_VERSION" "$W/first.log"
mapfile -t wanted < <(sed -n 's/^installing: //p' "$W/first.log" | tr ' ' '\n')
check_eq "first run: each of the ${#wanted[@]} packages it installed is installed" \
	"$(installed "${wanted[@]}")" "${#wanted[@]}"
check_eq "first run: linux-source-6.12 and linux-config-6.12 are not installed packages" \
	"$(installed linux-source-6.12 linux-config-6.12)" 0
base=$R/var/tmp/pvapf-build/base/$DEB_VERSION
check "first run: the base's tarball is kernel/VERSION's" \
	sh -c "echo '$SOURCE_SHA256  $base/usr/src/linux-source-6.12.tar.xz' | sha256sum -c --quiet -"
in_root "$R" env BUILD=/var/tmp/pvapf-build /src/scripts/prepare-tree.sh >"$W/tree.log" 2>&1
# (kernel/overlay's links point into the tree as the root sees it: /src)
check_eq "make tree from that base: the series applied, our sources linked in (log: $W/tree.log)" \
	"$(grep -c "^prepared .* ($(grep -cv -e '^#' -e '^[[:space:]]*$' "$PVAPF_ROOT/kernel/patches/series") patches)\$" "$W/tree.log") $(readlink "$R/var/tmp/pvapf-build/src/linux-$UPSTREAM_VERSION/arch/x86/kvm/pvapf")" \
	"1 /src/host"

deps >"$W/second.log" 2>&1
rc=$?
check_eq "second run: deps.sh exits 0" "$rc" 0
check_eq "second run: installs nothing, fetches nothing" \
	"$(grep -cE '^(installing|fetching)' "$W/second.log")" 0
check "second run: says it checked (log: $W/second.log)" grep -q '^<== \[deps\] done in' "$W/second.log"

umount "$R/src" "$R/var/cache/apt/archives"
rm -rf --one-file-system "$R"
[ "$FAILS" = 0 ]
