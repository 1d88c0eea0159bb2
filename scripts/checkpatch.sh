#!/usr/bin/env bash
# Kernel style on our own kernel C (abi/, guest/, host/) and host/Kconfig: scripts/checkpatch.pl --strict
# from the pinned tree. One PASS/FAIL line per file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_version
CP=$BUILD/src/linux-$UPSTREAM_VERSION/scripts/checkpatch.pl
tree_lock shared
[ -x "$CP" ] || die checkpatch "" "no $CP: run make tree"
cd "$PVAPF_ROOT"
rc=0
for f in $(git ls-files 'abi/*.[ch]' 'guest/*.[ch]' 'host/*.[ch]' 'host/Kconfig' 2>/dev/null); do
	if out=$("$CP" --strict --no-tree --quiet --show-types -f "$f" 2>&1); then
		echo "PASS: checkpatch: $f"
	else
		echo "FAIL: checkpatch: $f"
		echo "$out" | sed 's/^/    /' | head -n 30
		rc=1
	fi
done
exit $rc
