#!/usr/bin/env bash
# Move the pinned base to another linux-source-6.12 version from Debian's archive (a
# security update): download that version's linux-source-6.12 and linux-config-6.12
# (downloaded, not installed), check the stock image of that version exists, apply
# kernel/patches/series to its tree and report each hunk that fails, and only when all
# applies rewrite kernel/VERSION with the version and checksums.
# Usage: scripts/repin.sh VERSION        (e.g. 6.12.118-1~deb12u1; without: list versions)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NEW=${1:-}
WORK=$BUILD/repin
LOG=$BUILD/logs/repin.log
mkdir -p "$WORK"
: >"$LOG"

if [ -z "$NEW" ] || ! archive_has linux-config-6.12 "$NEW"; then
	run_logged repin "$LOG" apt-get update
fi
if [ -z "$NEW" ]; then
	echo "versions of linux-source-6.12 and linux-config-6.12 in the archive:"
	comm -12 <(archive_versions linux-source-6.12 | sort) <(archive_versions linux-config-6.12 | sort)
	echo "usage: scripts/repin.sh VERSION"
	exit 2
fi
for p in linux-source-6.12 linux-config-6.12; do
	archive_has "$p" "$NEW" ||
		die repin "" "the archive has no $p=$NEW; it has: $(archive_versions "$p" | tr '\n' ' ')"
done
UP=${NEW%%-*}
STOCK=linux-image-$UP+deb12-cloud-amd64-unsigned
archive_has "$STOCK" "$NEW" ||
	die repin "" "the archive has no $STOCK=$NEW (the stock kernel of that version)"

stage_begin repin "linux-source-6.12 $NEW"
rm -rf "${WORK:?}"/* && mkdir -p "$WORK/deb" "$WORK/root"
(cd "$WORK/deb" && apt-get download "linux-source-6.12=$NEW" "linux-config-6.12=$NEW") >>"$LOG" 2>&1 ||
	die repin "$LOG" "cannot download linux-source-6.12=$NEW and linux-config-6.12=$NEW"
for d in "$WORK"/deb/*.deb; do
	dpkg-deb -x "$d" "$WORK/root" >>"$LOG" 2>&1 || die repin "$LOG" "cannot unpack $d"
done
tarball=$WORK/root/usr/src/linux-source-6.12.tar.xz
# the bases of the guest (cloud-amd64) and host (amd64) flavours
guest_config=$WORK/root/usr/src/linux-config-6.12/config.amd64_none_cloud-amd64.xz
host_config=$WORK/root/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
need_file repin "$tarball" "linux-source-6.12=$NEW"
need_file repin "$guest_config" "linux-config-6.12=$NEW"
need_file repin "$host_config" "linux-config-6.12=$NEW"
src_sha=$(sha256sum "$tarball" | cut -d' ' -f1)
guest_sha=$(sha256sum "$guest_config" | cut -d' ' -f1)
host_sha=$(sha256sum "$host_config" | cut -d' ' -f1)

tar -C "$WORK" -xf "$tarball" >>"$LOG" 2>&1 || die repin "$LOG" "cannot unpack $tarball"
bad=0
while read -r p; do
	out=$(patch -d "$WORK/linux-source-6.12" -p1 --forward --batch --no-backup-if-mismatch \
		<"$PVAPF_ROOT/kernel/patches/$p" 2>&1) && echo "applies: $p" && continue
	bad=1
	echo "$out" >>"$LOG"
	# "patching file F" precedes its hunks' verdicts: name each failed hunk with its file.
	echo "$out" | awk -v p="$p" '/^patching file / { f = $3 }
		/FAILED|fuzz|offset/ { print "  " p ": " f ": " $0 }' >&2
	echo "DOES NOT APPLY: kernel/patches/$p (hunks above; rejects in $WORK/linux-source-6.12)" >&2
done < <(grep -v -e '^#' -e '^[[:space:]]*$' "$PVAPF_ROOT/kernel/patches/series")
[ "$bad" = 0 ] || die repin "$LOG" "kernel/VERSION left at the old pin: refresh the patches above against $NEW"

sed -i -e "s/^DEB_VERSION=.*/DEB_VERSION=$NEW/" -e "s/^UPSTREAM_VERSION=.*/UPSTREAM_VERSION=$UP/" \
	-e "s/^SOURCE_SHA256=.*/SOURCE_SHA256=$src_sha/" -e "s/^STOCK_IMAGE_PKG=.*/STOCK_IMAGE_PKG=$STOCK/" \
	-e "s/^GUEST_CONFIG_SHA256=.*/GUEST_CONFIG_SHA256=$guest_sha/" \
	-e "s/^HOST_CONFIG_SHA256=.*/HOST_CONFIG_SHA256=$host_sha/" "$PVAPF_ROOT/kernel/VERSION"
rm -rf "$WORK"
echo "kernel/VERSION now pins $NEW; next: make deps && make tree, then the suite"
stage_end
