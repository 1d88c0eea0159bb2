#!/usr/bin/env bash
# The pinned base and how it moves (scripts/deps.sh, scripts/repin.sh), each against Debian's
# archive in a scratch copy of kernel/ (the tree's own pin is never touched):
#  - a pin the archive no longer has is refused by deps.sh naming the versions it has and
#    the command that re-pins;
#  - repin.sh refuses a version the archive lacks, naming what it has;
#  - a patch that does not apply to the new version is named with its file and hunk, and
#    kernel/VERSION stays as it was;
#  - re-pinning to the current version reproduces kernel/VERSION byte for byte (the checksums
#    of the source and of both flavours' base configs).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
. scripts/lib.sh
load_version
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/kernel" "$T/build/logs"
cp -r kernel/VERSION kernel/patches "$T/kernel/"
cp -r scripts "$T/scripts"

ok() { echo "PASS: pin: $*"; }
no() { echo "FAIL: pin: $*"; }
# expect_refusal WHAT PATTERN CMD...: CMD fails and says PATTERN.
expect_refusal() {
	local what=$1 pat=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		no "$what: accepted"
	elif grep -qE -- "$pat" <<<"$out"; then
		ok "$what: refused, saying so"
	else
		no "$what: refused without saying '$pat': $(tail -n 3 <<<"$out")"
	fi
}

sed -i "s/^DEB_VERSION=.*/DEB_VERSION=6.12.0-0/" "$T/kernel/VERSION"
expect_refusal "deps with a pin the archive dropped" \
	"linux-source-6.12 6.12.0-0 .* no longer in Debian's archive, which has: .*$DEB_VERSION.*scripts/repin.sh" \
	env PVAPF_ROOT="$T" BUILD="$T/build" "$T/scripts/deps.sh"
cp kernel/VERSION "$T/kernel/VERSION"

expect_refusal "repin to a version the archive lacks" \
	"the archive has no linux-source-6.12=6.12.0-0; it has: .*$DEB_VERSION" \
	env PVAPF_ROOT="$T" BUILD="$T/build" "$T/scripts/repin.sh" 6.12.0-0

# A patch whose context is not in the tree: named with its file and hunk, pin unchanged.
cat >"$T/kernel/patches/9999-broken.patch" <<'PATCH'
--- a/Makefile
+++ b/Makefile
@@ -1,3 +1,3 @@
-# not the first line of the kernel's Makefile
+# changed
 # neither is this
 # nor this
PATCH
echo 9999-broken.patch >>"$T/kernel/patches/series"
expect_refusal "repin with a patch that does not apply" \
	"9999-broken.patch: Makefile: Hunk #1 FAILED" \
	env PVAPF_ROOT="$T" BUILD="$T/build" "$T/scripts/repin.sh" "$DEB_VERSION"
if cmp -s kernel/VERSION "$T/kernel/VERSION"; then ok "kernel/VERSION unchanged after the refusal"; else no "kernel/VERSION changed by a refused repin"; fi

cp -r kernel/patches "$T/kernel/"
sed -i 's/^SOURCE_SHA256=.*/SOURCE_SHA256=0/; s/^GUEST_CONFIG_SHA256=.*/GUEST_CONFIG_SHA256=0/
	s/^HOST_CONFIG_SHA256=.*/HOST_CONFIG_SHA256=0/' "$T/kernel/VERSION"
if out=$(PVAPF_ROOT="$T" BUILD="$T/build" "$T/scripts/repin.sh" "$DEB_VERSION" 2>&1) &&
	cmp -s "$ROOT/kernel/VERSION" "$T/kernel/VERSION"; then
	ok "repin to $DEB_VERSION reproduces kernel/VERSION (checksums recomputed)"
else
	no "repin to $DEB_VERSION: $(tail -n 3 <<<"$out"; diff "$ROOT/kernel/VERSION" "$T/kernel/VERSION")"
fi
