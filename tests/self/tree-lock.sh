#!/usr/bin/env bash
# The kernel tree's lock (scripts/lib.sh tree_lock), on a scratch build dir with a fake base:
#  - a re-prepare waits while a build reads the tree, says so, and goes on once it is done
#    (here to refuse the fake tarball's checksum: before the lock it deleted the tree under a
#    running flavour build);
#  - a build waits while the tree is being re-prepared (the tree may not exist meanwhile);
#  - an up-to-date tree is not re-prepared and its check waits for no build.
# The holders are shells that take the lock and block on a FIFO; every wait is on a FIFO or a
# process, bounded by timeout only against a hang.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
HOLDER=
trap '[ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null; rm -rf "$T"' EXIT
export BUILD=$T/build
. scripts/lib.sh
load_version
TREE=$BUILD/src/linux-$UPSTREAM_VERSION
mkdir -p "$BASE_DIR/usr/src" "$TREE"
: >"$BASE_DIR/.complete"
echo "not the pinned tarball" >"$BASE_TARBALL"
echo stale >"$BUILD/src/.prepared"
: >"$TREE/marker"
rc=0
pass() { echo "PASS: tree-lock: $1"; }
fail() {
	echo "FAIL: tree-lock: $1"
	rc=1
}
expect() { if "${@:2}"; then pass "$1"; else fail "$1"; fi; }

# hold shared|exclusive: a process holding the tree's lock until release
hold() {
	rm -f "$T/release" "$T/held"
	mkfifo "$T/release" "$T/held"
	bash -c '. scripts/lib.sh; tree_lock "$1"; echo held >"$2"; read -r _ <"$3"' _ "$1" "$T/held" "$T/release" &
	HOLDER=$!
	read -r _ <"$T/held"
}
release() {
	echo go >"$T/release"
	wait "$HOLDER"
	HOLDER=
}
# start NAME CMD...: CMD in the background, its stderr readable on fd 5, its stdout in T/NAME.out
start() {
	local name=$1
	shift
	rm -f "$T/$name.err"
	mkfifo "$T/$name.err"
	timeout 120 "$@" >"$T/$name.out" 2>"$T/$name.err" &
	PID=$!
	exec 5<"$T/$name.err"
}
# first_line: the first line CMD wrote to stderr (empty if it ended without one)
first_line() {
	local l=
	read -r l <&5
	echo "$l"
}

# 1. a build reads the tree; the tree is stale
hold shared
start prepare scripts/prepare-tree.sh
line=$(first_line)
expect "a re-prepare waits for the build reading the tree ($line)" grep -q "a build is reading the kernel tree: waiting" <<<"$line"
expect "and meanwhile leaves the tree alone" test -e "$TREE/marker"
expect "and is still waiting" kill -0 "$PID"
release
rest=$(cat <&5 | head -n 1)
exec 5<&-
wait "$PID"
st=$?
expect "after the build, it goes on (and refuses the fake tarball: exit $st, $rest)" \
	grep -q "checksum of .* does not match" <<<"$rest"

# 2. the tree is being re-prepared (and does not exist yet); a build starts
rm -rf "$TREE"
hold exclusive
start build scripts/build-kernel.sh test config-only
line=$(first_line)
expect "a build waits for the re-prepare ($line)" grep -q "the kernel tree is being prepared by another run: waiting" <<<"$line"
expect "and is still waiting" kill -0 "$PID"
release
rest=$(cat <&5 | head -n 1)
exec 5<&-
wait "$PID"
expect "after the re-prepare, it goes on (here: no tree, $rest)" grep -q "no kernel tree at $TREE" <<<"$rest"

# 3. the tree is up to date; a build reads it
mkdir -p "$TREE"
tree_inputs_hash >"$BUILD/src/.prepared"
hold shared
timeout 60 scripts/prepare-tree.sh >"$T/uptodate.out" 2>&1
st=$?
expect "an up-to-date tree's check waits for no build (exit $st)" grep -q "tree up to date" "$T/uptodate.out"
release
exit $rc
