# shellcheck shell=bash
# Shared helpers for pvapf scripts: stage timing, failure messages that name the stage
# and its log, and package checks. Sourced, not executed.

PVAPF_ROOT=${PVAPF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$PVAPF_ROOT/build}
mkdir -p "$BUILD/logs"

# Every stage prints its duration, so slow steps are visible in CI logs.
stage_begin() {
	STAGE_NAME=$1
	STAGE_T0=$(date +%s)
	echo "==> [$STAGE_NAME] $2"
}

stage_end() {
	echo "<== [$STAGE_NAME] done in $(( $(date +%s) - STAGE_T0 ))s"
}

# die STAGE LOG MESSAGE: one line that says where it failed and where to look.
die() {
	local stage=$1 log=$2; shift 2
	echo "ERROR [$stage]: $*${log:+ (log: $log)}" >&2
	if [ -n "$log" ] && [ -f "$log" ]; then
		echo "---- last lines of $log ----" >&2
		tail -n 25 "$log" >&2
	fi
	exit 1
}

# run_logged STAGE LOG CMD...: run CMD with output to LOG; on failure, die naming both.
run_logged() {
	local stage=$1 log=$2; shift 2
	if ! "$@" >"$log" 2>&1; then
		die "$stage" "$log" "command failed: $*"
	fi
}

# build_progress LOG TOTAL: one progress line of a kbuild run logging to LOG, against TOTAL
# objects a dry run (make -n) counted. That dry run cannot see modpost's stage (each module's
# .mod.o, from a .mod.c not yet generated): those count as modules linked, not as objects.
build_progress() {
	local n m
	n=$(grep -E '^  (CC|AS)( \[M\])? ' "$1" | grep -cv '\.mod\.o$' || true)
	m=$(grep -cE '^  LD \[M\] .*\.ko$' "$1" || true)
	if [ "$m" -gt 0 ]; then
		echo "$n of ~$2 objects compiled, $m modules linked"
	else
		echo "$n of ~$2 objects compiled"
	fi
}

# build_total LOG TARGETS MAKE...: how many objects MAKE (a kbuild make, O= set) has left to
# compile for TARGETS, from a dry run. In a fresh object dir that dry run stops where prepare's
# generated headers are missing (it counted 33 of a flavour's ~8,000), so prepare runs first
# for real, logging to LOG: work the build does anyway.
build_total() {
	local log=$1 targets=$2 obj
	shift 2
	obj=$(printf '%s\n' "$@" | sed -n 's/^O=//p' | tail -n 1)
	if [ ! -e "$obj/include/generated/asm-offsets.h" ]; then
		"$@" prepare >"$log" 2>&1 || return
	fi
	# shellcheck disable=SC2086 # TARGETS is a list
	"$@" -n -k $targets 2>/dev/null | grep -c -- ' -c -o ' || true
}

# need_cmd STAGE CMD PACKAGE: a missing tool names the Debian package to install.
need_cmd() {
	command -v "$2" >/dev/null 2>&1 ||
		die "$1" "" "'$2' not found: install the Debian package '$3' (or run: make deps)"
}

# need_file STAGE FILE PACKAGE
need_file() {
	[ -e "$2" ] ||
		die "$1" "" "'$2' not found: install the Debian package '$3' (or run: make deps)"
}

# unmount_under DIR: whatever is still mounted below DIR (a killed run's, a chroot's or
# debootstrap's leftovers), deepest first and lazily, so that removing DIR never descends into it
unmount_under() {
	findmnt -rn -o TARGET | { grep "^$1/" || true; } | sort -r | xargs -r umount -l
}

# Read kernel/VERSION into the environment, with where its base lives: the pinned
# linux-source-6.12 and linux-config-6.12, downloaded and unpacked by scripts/deps.sh into
# build/base/VERSION (never installed, so that this machine's own upgrades cannot move it).
load_version() {
	# shellcheck disable=SC1091
	. "$PVAPF_ROOT/kernel/VERSION"
	BASE_DIR=$BUILD/base/$DEB_VERSION
	# shellcheck disable=SC2034 # read by the scripts that source this
	BASE_TARBALL=$BASE_DIR/usr/src/linux-source-6.12.tar.xz
	# shellcheck disable=SC2034
	BASE_CONFIGS=$BASE_DIR/usr/src/linux-config-6.12
}

# tree_lock shared|exclusive: hold the kernel tree's lock ($BUILD/src.lock, on fd 7) until this
# script exits. prepare-tree holds it exclusive while it rewrites $BUILD/src; whatever reads the
# tree (kernel builds, packaging, uapi headers, checkpatch, the harness's tools) holds it shared.
# A re-prepare then waits for running builds, and they for it, instead of pulling the tree from
# under a build (a flavour build failed on a missing asm/bitsperlong.h when a test kernel's
# `make kernel` re-prepared the tree). flock(2) drops a shared lock before taking it exclusive,
# so two runs converting at once cannot deadlock: the caller checks again afterwards.
tree_lock() {
	local how=-s what="the kernel tree is being prepared by another run"
	[ "$1" = exclusive ] && how=-x what="a build is reading the kernel tree"
	if [ -z "${TREE_LOCK_OPEN:-}" ]; then
		mkdir -p "$BUILD"
		exec 7>>"$BUILD/src.lock"
		TREE_LOCK_OPEN=1
	fi
	flock -n "$how" 7 && return
	echo "    [tree] $what: waiting for it ($BUILD/src.lock)" >&2
	flock "$how" 7
}

# content_lines FILE: its lines that are neither comments nor blank (an absent FILE has none)
content_lines() { grep -v -e '^#' -e '^[[:space:]]*$' "$1" 2>/dev/null || true; }

# series_patches: kernel/patches/series' patches, in order
series_patches() { content_lines "$PVAPF_ROOT/kernel/patches/series"; }

# tree_inputs_hash: a hash of everything the prepared tree is made from (kernel/VERSION, the
# series and its patches, the overlay); prepare-tree re-makes the tree when it changes
tree_inputs_hash() {
	local p
	{
		cat "$PVAPF_ROOT/kernel/VERSION" "$PVAPF_ROOT/kernel/patches/series" "$PVAPF_ROOT/kernel/overlay" 2>/dev/null
		for p in $(series_patches); do cat "$PVAPF_ROOT/kernel/patches/$p"; done
	} | sha256sum | cut -d' ' -f1
}

# archive_versions PKG: the versions of PKG apt's lists offer, newest first. Read whole before
# any test of it: a reader that stops early (grep -q) would kill apt-cache with SIGPIPE, and
# under pipefail a version that is there would read as missing.
archive_versions() {
	local out
	out=$(apt-cache madison "$1" 2>/dev/null) || true
	awk -F' *[|] *' '{ print $2 }' <<<"$out"
}

# archive_has PKG VERSION: apt's lists offer PKG at VERSION.
archive_has() {
	local v
	v=$(archive_versions "$1")
	grep -qxF -- "$2" <<<"$v"
}

# kernel_localversion FLAVOUR: what follows the upstream version in the kernel release, naming
# the Debian base, pvapf's release and the flavour (6.12.118+deb12-pvapf1-host), so that a
# re-pinned base or a new pvapf release sorts newer and one release's flavours are a pair.
# PVAPF_RELEASE_OVERRIDE from the environment overrides kernel/VERSION's PVAPF_RELEASE (the
# upgrade test's N+1).
kernel_localversion() {
	local base=${DEB_VERSION##*~}
	echo "+${base%%u*}-pvapf${PVAPF_RELEASE_OVERRIDE:-$PVAPF_RELEASE}-$1"
}

# tsc_khz_arg: "tsc_early_khz=N" for a kernel booted under QEMU TCG, whose guest TSC runs at
# this machine's rate. Telling the guest that rate skips its PIT calibration, which under TCG
# load sometimes fails ("tsc: Unable to calibrate against PIT") and leaves it without a usable
# clock (hung boots, stalled guests). Empty where /proc/cpuinfo gives no rate.
tsc_khz_arg() {
	awk '/^cpu MHz/ { printf "tsc_early_khz=%d", $4 * 1000; exit }' /proc/cpuinfo
}

# readme_domain [NAME]: the complete domain XML named NAME (default pvapf-demo) in
# libvirt-hooks/README.md's ```xml blocks, which the hook's tests validate and tests/libvirt
# starts as written
readme_domain() {
	awk -v n="<name>${1:-pvapf-demo}</name>" '/^```xml$/ { b = ""; in_b = 1; next }
		in_b && /^```$/ { in_b = 0; if (index(b, n)) printf "%s", b; next }
		in_b { b = b $0 "\n" }' "$PVAPF_ROOT/libvirt-hooks/README.md"
}
