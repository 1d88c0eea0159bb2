#!/usr/bin/env bash
# Fetch Debian's unmodified 6.12 kernel (same version as the base tree) for side-by-side runs.
# It is downloaded and unpacked into $BUILD/stock, never installed on this machine.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_version

OUT=$BUILD/stock
KREL=${STOCK_IMAGE_PKG#linux-image-}
KREL=${KREL%-unsigned}
if [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/.pkg" ] && [ "$(cat "$OUT/.pkg")" = "$STOCK_IMAGE_PKG=$DEB_VERSION" ]; then
	exit 0
fi
stage_begin stock-kernel "$STOCK_IMAGE_PKG $DEB_VERSION"
LOG=$BUILD/logs/stock-kernel.log
rm -rf "$OUT" && mkdir -p "$OUT/pkg"
(cd "$OUT/pkg" && apt-get download "$STOCK_IMAGE_PKG=$DEB_VERSION") >"$LOG" 2>&1 ||
	(apt-get update >>"$LOG" 2>&1 && cd "$OUT/pkg" && apt-get download "$STOCK_IMAGE_PKG=$DEB_VERSION" >>"$LOG" 2>&1) ||
	die stock-kernel "$LOG" "cannot download $STOCK_IMAGE_PKG=$DEB_VERSION from the Debian archive"
dpkg-deb -x "$OUT"/pkg/*.deb "$OUT/root" >>"$LOG" 2>&1 || die stock-kernel "$LOG" "cannot unpack the .deb"
# modules.dep is made at install time; make it here for the stock-L1 initramfs.
depmod -b "$OUT/root" "$KREL" >>"$LOG" 2>&1 || die stock-kernel "$LOG" "depmod failed"
cp "$OUT/root/boot/vmlinuz-$KREL" "$OUT/vmlinuz"
cp "$OUT/root/boot/config-$KREL" "$OUT/config"
echo "$KREL" >"$OUT/release"
echo "$STOCK_IMAGE_PKG=$DEB_VERSION" >"$OUT/.pkg"
echo "stock kernel: $OUT/vmlinuz ($KREL)"
stage_end
