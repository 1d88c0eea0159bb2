#!/usr/bin/env bash
# Configure and build the pvapf kernel for one config:
#   test   = allnoconfig + kernel/config/test.config            (L1 and L2 of the nested harness)
#   debug  = test + kernel/config/debug.config                  (lockdep, KASAN, kmemleak)
#   guest  = Debian's cloud-amd64 config + kernel/config/pvapf.config (packaging)
#   host   = Debian's amd64 config + kernel/config/host.config + pvapf.config (packaging); must
#            keep every symbol of kernel/config/host-required.list
# Usage: build-kernel.sh CONFIG [config-only]
# Output: $BUILD/obj-CONFIG/arch/x86/boot/bzImage. Nothing changed => nothing rebuilt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_version

NAME=${1:?usage: build-kernel.sh test|debug|guest|host [config-only]}
MODE=${2:-build}
TREE=$BUILD/src/linux-$UPSTREAM_VERSION
# A release other than kernel/VERSION's (PVAPF_RELEASE_OVERRIDE, the packaging upgrade test)
# builds beside the normal one, seeded from it so only what names the release is rebuilt.
# objtool's build records absolute paths: pointed at the copy, or objtool is rebuilt and
# with it every object it checked (143 s instead of 16 s for the test kernel).
VARIANT=${PVAPF_RELEASE_OVERRIDE:+-r$PVAPF_RELEASE_OVERRIDE}
OBJ=$BUILD/obj-$NAME$VARIANT
FRAG=$PVAPF_ROOT/kernel/config
LOG=$BUILD/logs/kernel-$NAME$VARIANT.log
if [ -n "$VARIANT" ] && [ ! -d "$OBJ" ] && [ -d "$BUILD/obj-$NAME" ]; then
	cp -a "$BUILD/obj-$NAME" "$OBJ.tmp"
	grep -rlZF "$BUILD/obj-$NAME/" "$OBJ.tmp/tools" | xargs -0r sed -i "s#$BUILD/obj-$NAME/#$OBJ/#g"
	mv "$OBJ.tmp" "$OBJ"
fi

DEBCFG=$BASE_CONFIGS
required=
case "$NAME" in
test) base=allnoconfig; frags=("$FRAG/test.config") ;;
debug) base=allnoconfig; frags=("$FRAG/test.config" "$FRAG/debug.config") ;;
guest)
	base=$DEBCFG/config.amd64_none_cloud-amd64.xz base_sha=$GUEST_CONFIG_SHA256
	frags=("$FRAG/pvapf.config")
	;;
host)
	base=$DEBCFG/config.amd64_none_amd64.xz base_sha=$HOST_CONFIG_SHA256
	frags=("$FRAG/host.config" "$FRAG/pvapf.config")
	required=$FRAG/host-required.list
	;;
*) die build-kernel "" "unknown config '$NAME' (test, debug, guest or host)" ;;
esac
if [ "$base" != allnoconfig ]; then
	[ -f "$base" ] || die build-kernel "" "$base not found: the pinned base is fetched by make deps"
	# Another linux-config-6.12 than the pinned one would silently change the flavour.
	echo "$base_sha  $base" | sha256sum -c --quiet - >/dev/null 2>&1 ||
		die build-kernel "" "$base is not the one kernel/VERSION pins: remove $BASE_DIR and run make deps"
fi

tree_lock shared
[ -d "$TREE" ] || die build-kernel "" "no kernel tree at $TREE: run scripts/prepare-tree.sh"
need_cmd build-kernel ccache ccache
need_cmd build-kernel bison bison
need_cmd build-kernel flex flex
need_cmd build-kernel bc bc
# BTF is made by pahole; without it Kconfig would drop BTF from the config
if grep -qx 'CONFIG_DEBUG_INFO_BTF=y' "${frags[@]}"; then need_cmd build-kernel pahole dwarves; fi
[ -e /usr/include/libelf.h ] || die build-kernel "" "libelf.h missing: install libelf-dev"
[ -e /usr/include/openssl/ssl.h ] || die build-kernel "" "openssl headers missing: install libssl-dev"

mkdir -p "$OBJ"
# One build of a tree at a time: two makes in one object directory corrupt it (a test building
# packages beside another one rebuilding the kernel); the second waits.
exec 8>"$OBJ.lock"
flock 8

# The kernel make must see the same flags however we are called (a parent make's -s would
# change kbuild's recorded commands and relink bzImage on every switch).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
# Reproducible, cache-friendly builds: fixed build identity, ccache in front of gcc.
export KBUILD_BUILD_USER=pvapf KBUILD_BUILD_HOST=pvapf KBUILD_BUILD_TIMESTAMP="@0"
export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
KMAKE=(make -C "$TREE" O="$OBJ" -j"$(nproc)" CC="ccache gcc" HOSTCC="ccache gcc")

stage_begin "config-$NAME" "${base##*/} + ${frags[*]##*/}"
# Generate into a scratch dir and install only if different, so an unchanged config keeps
# its mtime and nothing is rebuilt.
CFG=$BUILD/cfg-$NAME$VARIANT
rm -rf "$CFG" && mkdir -p "$CFG"
{
	cat "${frags[@]}"
	echo "CONFIG_LOCALVERSION=\"$(kernel_localversion "$NAME")\""
} >"$CFG/fragment"
if [ "$base" = allnoconfig ]; then
	run_logged "config-$NAME" "$LOG" make -C "$TREE" O="$CFG" \
		KCONFIG_ALLCONFIG="$CFG/fragment" allnoconfig
else
	xzcat "$base" >"$CFG/.config"
	"$TREE/scripts/kconfig/merge_config.sh" -m -O "$CFG" "$CFG/.config" "$CFG/fragment" \
		>"$LOG" 2>&1 || die "config-$NAME" "$LOG" "merge_config failed"
	run_logged "config-$NAME" "$LOG" make -C "$TREE" O="$CFG" olddefconfig
fi
# A fragment line that did not survive (unmet dependency, typo) is an error, not a surprise.
# A later fragment may override an earlier one (debug makes KVM modular): the last setting
# of each symbol is the one that must survive.
dropped=$(grep -E '^(CONFIG_[A-Za-z0-9_]+=.*|# CONFIG_[A-Za-z0-9_]+ is not set)$' "$CFG/fragment" |
	awk '{ s = $0; sub(/^# /, "", s); sub(/[= ].*/, "", s); last[s] = $0; if (!(s in seen)) { seen[s] = 1; order[n++] = s } }
	     END { for (i = 0; i < n; i++) print last[order[i]] }' |
	while IFS= read -r line; do grep -qxF -- "$line" "$CFG/.config" || echo "$line"; done)
[ -z "$dropped" ] || die "config-$NAME" "" "fragment settings not in the final .config: $(tr '\n' ' ' <<<"$dropped")"
# What a KVM host needs must survive the trim (host.config) and any change of Debian's base.
if [ -n "$required" ]; then
	missing=$(sed 's/#.*//' "$required" | while read -r s; do
		case "$s" in
		'') ;;
		*[!A-Za-z0-9_]* | [!C]*) echo "(not a CONFIG_ symbol: '$s')" ;;
		CONFIG_?*) grep -qE "^$s=[ym]\$" "$CFG/.config" || echo "$s" ;;
		*) echo "(not a CONFIG_ symbol: '$s')" ;;
		esac
	done)
	[ -z "$missing" ] || die "config-$NAME" "" "not =y or =m, but a KVM host needs them ($required;" \
		"lost by a trim in host.config or by Debian's base): $(tr '\n' ' ' <<<"$missing")"
fi
if ! cmp -s "$CFG/.config" "$OBJ/.config"; then
	cp "$CFG/.config" "$OBJ/.config"
	echo "config changed: $OBJ/.config"
fi
stage_end
[ "$MODE" = config-only ] && exit 0

# Modules are signed at modules_install with certs/signing_key.pem, which kbuild generates per
# build tree unless the maintainer supplies theirs (packaging/README.md).
if [ -n "${PVAPF_SIGNING_KEY:-}" ]; then
	if ! grep -q 'PRIVATE KEY-----' "$PVAPF_SIGNING_KEY" 2>/dev/null ||
		! grep -q 'BEGIN CERTIFICATE' "$PVAPF_SIGNING_KEY"; then
		die "build-$NAME" "" "PVAPF_SIGNING_KEY=$PVAPF_SIGNING_KEY: not a PEM file with a private key and its certificate"
	fi
	mkdir -p "$OBJ/certs"
	cmp -s "$PVAPF_SIGNING_KEY" "$OBJ/certs/signing_key.pem" || install -m 0600 "$PVAPF_SIGNING_KEY" "$OBJ/certs/signing_key.pem"
fi
stage_begin "build-$NAME" "make -j$(nproc) in $OBJ (log: $LOG)"
targets=(bzImage)
grep -q '^CONFIG_MODULES=y' "$OBJ/.config" && targets+=(modules)
# A Debian-based flavour builds for an hour or more from clean: say every minute how far it
# is, against what a dry run (make -n) says is left to compile.
build_with_progress() {
	local t0=$SECONDS pid total n
	mkdir -p "$OBJ/tools/objtool/libsubcmd" "$OBJ/tools/objtool/arch/x86"
	total=$(build_total "$LOG" "${targets[*]}" "${KMAKE[@]}") ||
		die "build-$NAME" "$LOG" "command failed: ${KMAKE[*]} prepare"
	echo "    [build-$NAME] ~$total objects to compile"
	"${KMAKE[@]}" "${targets[@]}" >"$LOG" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		for ((n = 0; n < 60; n++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
		kill -0 "$pid" 2>/dev/null || break
		echo "    [build-$NAME] $(build_progress "$LOG" "$total"), $((SECONDS - t0))s"
	done
	wait "$pid" || die "build-$NAME" "$LOG" "command failed: ${KMAKE[*]} ${targets[*]}"
}
if [ "$base" = allnoconfig ]; then
	run_logged "build-$NAME" "$LOG" "${KMAKE[@]}" "${targets[@]}"
else
	build_with_progress
fi
# Modules installed with their modules.dep under $OBJ/modroot, as a distribution kernel's are
# under /lib/modules (tests/nested/mkinitramfs.sh ships them from there).
if [ "${targets[*]}" != bzImage ]; then
	need_cmd build-kernel depmod kmod
	rm -rf "$OBJ/modroot"
	run_logged "build-$NAME" "$LOG" "${KMAKE[@]}" INSTALL_MOD_PATH="$OBJ/modroot" modules_install
fi
echo "kernel: $OBJ/arch/x86/boot/bzImage ($(cat "$OBJ/include/config/kernel.release"))"
stage_end
