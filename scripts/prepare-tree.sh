#!/usr/bin/env bash
# Produce the pvapf kernel tree: Debian's pinned linux-source-6.12, our hook patch series,
# and our own sources linked in. Reproducible from the repo alone; a second run with nothing
# changed touches nothing, so make rebuilds nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_version

TARBALL=$BASE_TARBALL
OVERLAY=$PVAPF_ROOT/kernel/overlay
TREE=$BUILD/src/linux-$UPSTREAM_VERSION
STAMP=$BUILD/src/.prepared
LOG=$BUILD/logs/prepare-tree.log

stage_begin prepare-tree "base tree linux-source-6.12 $DEB_VERSION"

{ [ -f "$BASE_DIR/.complete" ] && [ -f "$TARBALL" ]; } ||
	die prepare-tree "" "the pinned base linux-source-6.12 $DEB_VERSION is not in $BASE_DIR: run make deps"

# Files a patch series touches: after re-extracting, they get a fresh mtime so that objects
# built from a previously patched (or unpatched) version are rebuilt.
touched_files() {
	for p in $(series_patches); do
		sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$PVAPF_ROOT/kernel/patches/$p"
	done
}

want=$(tree_inputs_hash)
up_to_date() { [ -f "$STAMP" ] && [ "$(head -n1 "$STAMP")" = "$want" ] && [ -d "$TREE" ]; }
# an up-to-date tree is only read: that waits for no build
tree_lock shared
if ! up_to_date; then
	tree_lock exclusive
fi
if up_to_date; then
	echo "tree up to date: $TREE"
	stage_end
	exit 0
fi

echo "$SOURCE_SHA256  $TARBALL" | sha256sum -c --quiet - >"$LOG" 2>&1 ||
	die prepare-tree "$LOG" "checksum of $TARBALL does not match kernel/VERSION"

old_touched=$(tail -n +2 "$STAMP" 2>/dev/null || true)
rm -rf "$TREE" "$BUILD/src/linux-source-6.12"
mkdir -p "$BUILD/src"
tar -C "$BUILD/src" -xf "$TARBALL" >>"$LOG" 2>&1 || die prepare-tree "$LOG" "cannot unpack $TARBALL"
mv "$BUILD/src/linux-source-6.12" "$TREE"

for p in $(series_patches); do
	echo "applying $p" >>"$LOG"
	patch -d "$TREE" -p1 --forward --batch --no-backup-if-mismatch \
		<"$PVAPF_ROOT/kernel/patches/$p" >>"$LOG" 2>&1 ||
		die prepare-tree "$LOG" "patch kernel/patches/$p does not apply"
done

# Our own sources are symlinked, so editing them in the repo is seen by the next make.
if [ -f "$OVERLAY" ]; then
	content_lines "$OVERLAY" | while read -r src dst; do
		[ -e "$PVAPF_ROOT/$src" ] || die prepare-tree "" "kernel/overlay names missing $src"
		mkdir -p "$(dirname "$TREE/$dst")"
		ln -sfn "$PVAPF_ROOT/$src" "$TREE/$dst"
	done
fi

new_touched=$(touched_files)
for f in $old_touched $new_touched; do
	[ -e "$TREE/$f" ] && touch "$TREE/$f"
done
{ echo "$want"; echo "$new_touched"; } >"$STAMP"
echo "prepared $TREE ($(series_patches | wc -l) patches)"
stage_end
