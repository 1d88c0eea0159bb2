#!/usr/bin/env bash
# Re-running the tree preparation and the kernel build with nothing changed must rebuild
# nothing: same tree stamp, same .config, same bzImage (checked by mtime, not by time taken).
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
