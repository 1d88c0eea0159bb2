#!/usr/bin/env bash
# Configure and build the pvapf kernel for one config:
#   test   = allnoconfig + kernel/config/test.config            (L1 and L2 of the nested harness)
#   debug  = test + kernel/config/debug.config                  (lockdep, KASAN, kmemleak)
#   distro = Debian's cloud-amd64 config + kernel/config/pvapf.config (packaging)
# Usage: build-kernel.sh CONFIG [config-only]
# Output: $BUILD/obj-CONFIG/arch/x86/boot/bzImage. Nothing changed => nothing rebuilt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_version

NAME=${1:?usage: build-kernel.sh test|debug|distro [config-only]}
MODE=${2:-build}
TREE=$BUILD/src/linux-$UPSTREAM_VERSION
OBJ=$BUILD/obj-$NAME
FRAG=$PVAPF_ROOT/kernel/config
LOG=$BUILD/logs/kernel-$NAME.log
mkdir -p "$OBJ"

case "$NAME" in
test) base=allnoconfig; frags=("$FRAG/test.config") ;;
debug) base=allnoconfig; frags=("$FRAG/test.config" "$FRAG/debug.config") ;;
distro)
	base=debian
	frags=("$FRAG/pvapf.config")
	need_file build-kernel /usr/src/linux-config-6.12/config.amd64_none_cloud-amd64.xz \
		"linux-config-6.12=$DEB_VERSION"
	;;
*) die build-kernel "" "unknown config '$NAME' (test, debug or distro)" ;;
esac

[ -d "$TREE" ] || die build-kernel "" "no kernel tree at $TREE: run scripts/prepare-tree.sh"
need_cmd build-kernel ccache ccache
need_cmd build-kernel bison bison
need_cmd build-kernel flex flex
need_cmd build-kernel bc bc
[ -e /usr/include/libelf.h ] || die build-kernel "" "libelf.h missing: install libelf-dev"
[ -e /usr/include/openssl/ssl.h ] || die build-kernel "" "openssl headers missing: install libssl-dev"

# The kernel make must see the same flags however we are called (a parent make's -s would
# change kbuild's recorded commands and relink bzImage on every switch).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
# Reproducible, cache-friendly builds: fixed build identity, ccache in front of gcc.
export KBUILD_BUILD_USER=pvapf KBUILD_BUILD_HOST=pvapf KBUILD_BUILD_TIMESTAMP="@0"
export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
KMAKE=(make -C "$TREE" O="$OBJ" -j"$(nproc)" CC="ccache gcc" HOSTCC="ccache gcc")

stage_begin "config-$NAME" "$base + ${frags[*]##*/}"
# Generate into a scratch dir and install only if different, so an unchanged config keeps
# its mtime and nothing is rebuilt.
CFG=$BUILD/cfg-$NAME
rm -rf "$CFG" && mkdir -p "$CFG"
cat "${frags[@]}" >"$CFG/fragment"
if [ "$base" = allnoconfig ]; then
	run_logged "config-$NAME" "$LOG" make -C "$TREE" O="$CFG" \
		KCONFIG_ALLCONFIG="$CFG/fragment" allnoconfig
else
	xzcat /usr/src/linux-config-6.12/config.amd64_none_cloud-amd64.xz >"$CFG/.config"
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
if ! cmp -s "$CFG/.config" "$OBJ/.config"; then
	cp "$CFG/.config" "$OBJ/.config"
	echo "config changed: $OBJ/.config"
fi
stage_end
[ "$MODE" = config-only ] && exit 0

stage_begin "build-$NAME" "make -j$(nproc) in $OBJ (log: $LOG)"
targets=(bzImage)
grep -q '^CONFIG_MODULES=y' "$OBJ/.config" && targets+=(modules)
run_logged "build-$NAME" "$LOG" "${KMAKE[@]}" "${targets[@]}"
# Modules installed with their modules.dep under $OBJ/modroot, as a distro kernel's are
# under /lib/modules (tests/nested/mkinitramfs.sh ships them from there).
if [ "${targets[*]}" != bzImage ]; then
	need_cmd build-kernel depmod kmod
	rm -rf "$OBJ/modroot"
	run_logged "build-$NAME" "$LOG" "${KMAKE[@]}" INSTALL_MOD_PATH="$OBJ/modroot" modules_install
fi
echo "kernel: $OBJ/arch/x86/boot/bzImage ($(cat "$OBJ/include/config/kernel.release"))"
stage_end
