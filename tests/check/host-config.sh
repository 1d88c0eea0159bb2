#!/usr/bin/env bash
# The host flavour's config (scripts/build-kernel.sh host config-only), generated from a scratch
# copy of scripts/ and kernel/ into a scratch build dir (only build/src, the tree, and build/base,
# the pinned base, are shared and only read), so neither the tree's fragments nor build/obj-host are touched:
#  - it generates, and every symbol of kernel/config/host-required.list is =y or =m in it;
#  - it has none of the host's test aids (CONFIG_KVM_PVAPF_TEST_AIDS, host/Kconfig);
#  - it has BTF, for the kernel and its modules, as Debian's own kernels do (pvapf.config);
#  - the check can fail: a host.config that also disables CONFIG_IXGBE is refused with a
#    message naming CONFIG_IXGBE, and the refused config is not installed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh
load_version
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

rc=0
ok() { echo "PASS: host-config: $*"; }
no() { echo "FAIL: host-config: $*"; rc=1; }

TREE=$BUILD/src/linux-$UPSTREAM_VERSION
[ -d "$TREE" ] || { no "no kernel tree at $TREE: run make tree"; exit 1; }
[ -f "$BASE_DIR/.complete" ] || { no "no pinned base in $BASE_DIR: run make deps"; exit 1; }
mkdir -p "$T/root/kernel" "$T/build/src" "$T/build/base"
cp -r scripts "$T/root/scripts"
cp -r kernel/VERSION kernel/config "$T/root/kernel/"
ln -s "$TREE" "$T/build/src/"
ln -s "$BASE_DIR" "$T/build/base/"
LIST=$T/root/kernel/config/host-required.list
CONFIG=$T/build/obj-host/.config
# host_config: the scratch copy's host config, as `make configs` makes it (release as pinned).
host_config() {
	env -u PVAPF_RELEASE_OVERRIDE PVAPF_ROOT="$T/root" BUILD="$T/build" \
		"$T/root/scripts/build-kernel.sh" host config-only 2>&1
}

if out=$(host_config); then
	ok "the host config generates"
else
	no "the host config does not generate: $(tail -n 3 <<<"$out")"
	exit 1
fi
# Test aids (host/Kconfig) are for the test kernel: none in a production host.
if grep -qx '# CONFIG_KVM_PVAPF_TEST_AIDS is not set' "$CONFIG"; then
	ok "the host config has no test aids (CONFIG_KVM_PVAPF_TEST_AIDS is not set)"
else
	no "the host config's CONFIG_KVM_PVAPF_TEST_AIDS: '$(grep KVM_PVAPF_TEST_AIDS "$CONFIG")', want it not set"
fi
for s in CONFIG_DEBUG_INFO_BTF CONFIG_DEBUG_INFO_BTF_MODULES; do
	if grep -qx "$s=y" "$CONFIG"; then
		ok "the host config has $s=y"
	else
		no "the host config's $s: '$(grep -E "${s}[= ]" "$CONFIG")', want =y"
	fi
done
n=0 missing=
while read -r s; do
	[ -n "$s" ] || continue
	n=$((n + 1))
	grep -qE "^$s=[ym]\$" "$CONFIG" || missing="$missing $s"
done < <(sed 's/#.*//' "$LIST")
if [ "$n" -lt 50 ]; then
	no "host-required.list names only $n symbols"
elif [ -n "$missing" ]; then
	no "not =y or =m in the host config:$missing"
else
	ok "all $n symbols of host-required.list are =y or =m"
fi

# A trim that loses a required NIC: the same fragment with IXGBE disabled at its end.
cp "$CONFIG" "$T/good.config"
echo "# CONFIG_IXGBE is not set" >>"$T/root/kernel/config/host.config"
if out=$(host_config); then
	no "a host.config disabling CONFIG_IXGBE was accepted"
elif grep -qE 'a KVM host needs them .*: .*CONFIG_IXGBE( |$)' <<<"$out"; then
	ok "a host.config disabling CONFIG_IXGBE is refused, naming it"
else
	no "a host.config disabling CONFIG_IXGBE is refused without naming it: $(tail -n 3 <<<"$out")"
fi
if cmp -s "$CONFIG" "$T/good.config"; then
	ok "the refused config was not installed"
else
	no "the refused config replaced $CONFIG"
fi
exit "$rc"
