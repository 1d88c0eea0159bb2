#!/usr/bin/env bash
# Re-running the tree preparation and the kernel build with nothing changed must rebuild
# nothing: same tree stamp, same .config, same bzImage (checked by mtime, not by time taken).
# A build of another release (the packaging upgrade test's N+1) seeded from it recompiles only
# what names the release (counted objects, not time).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh
img=$BUILD/obj-test/arch/x86/boot/bzImage
[ -f "$img" ] || { echo "FAIL: noop-rebuild: no $img (kernel stage failed?)"; exit 0; }
before="$(stat -c %Y "$img" "$BUILD/obj-test/.config" "$BUILD/src/.prepared" | tr '\n' ' ')"
if ! { scripts/prepare-tree.sh >/dev/null && scripts/build-kernel.sh test >/dev/null; }; then
	echo "FAIL: noop-rebuild: rebuild failed"
	exit 0
fi
after="$(stat -c %Y "$img" "$BUILD/obj-test/.config" "$BUILD/src/.prepared" | tr '\n' ' ')"
if [ "$before" = "$after" ]; then
	echo "PASS: noop-rebuild: second run left tree, .config and bzImage untouched"
else
	echo "FAIL: noop-rebuild: mtimes changed ($before -> $after)"
fi

# release N+1 from a fresh copy, as tests/packaging/deb.sh builds it next
load_version
n1=$((PVAPF_RELEASE + 1))
rm -rf "$BUILD/obj-test-r$n1"
stamp=$BUILD/noop-rebuild.stamp
touch "$stamp"
if ! PVAPF_RELEASE_OVERRIDE=$n1 scripts/build-kernel.sh test >/dev/null; then
	echo "FAIL: noop-rebuild: release $n1 build failed"
	exit 0
fi
n=$(find "$BUILD/obj-test-r$n1" -name '*.o' -newer "$stamp" | wc -l)
rm -f "$stamp"
if [ "$n" -le 50 ]; then
	echo "PASS: noop-rebuild: release $n1 seeded from release $PVAPF_RELEASE recompiled $n objects"
else
	echo "FAIL: noop-rebuild: release $n1 seeded from release $PVAPF_RELEASE recompiled $n objects (want -le 50)"
fi
