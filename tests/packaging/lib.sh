# shellcheck shell=bash
# Shared by the packaging tests: Debian roots from the cache, chroot commands, booting an
# installed kernel under QEMU TCG with the root as its disk, and PASS/FAIL lines.
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
load_version
TP=$PVAPF_ROOT/tests/packaging
FAILS=0

pass() { echo "PASS: $T: $*"; }
fail() { echo "FAIL: $T: $*"; FAILS=$((FAILS + 1)); }
# check DESC CMD...: PASS or FAIL on CMD's status
check() {
	local d=$1
	shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi
}

# test_packages FORMAT DIR: the test flavour's packages of FORMAT in DIR: built, or a link to
# the ones the suite's packaging lane built once for this tree (PKGTEST_DIST, both formats)
test_packages() {
	if [ -n "${PKGTEST_DIST:-}" ]; then
		[ -s "$PKGTEST_DIST/SHA256SUMS" ] || { echo "PKGTEST_DIST=$PKGTEST_DIST has no packages" >&2; return 1; }
		ln -sfn "$PKGTEST_DIST" "$2"
	else
		FORMATS=$1 DIST=$2 "$PVAPF_ROOT/packaging/build.sh" test
	fi
}

# new_root VARIANT DIR: a fresh copy of the cached Debian 12 root (initramfs-tools|dracut),
# with the unit that reports on each boot (tests/packaging/root) enabled
new_root() {
	local tar d=$2
	tar=$("$TP/mkroot.sh" "$1" | tail -n 1) || return 1
	unmount_under "$d"
	rm -rf --one-file-system "$d" && mkdir -p "$d" && tar -xf "$tar" -C "$d" || return 1
	install -m 0644 "$TP/root/pvapf-pkgtest.service" "$d/etc/systemd/system/"
	install -m 0755 "$TP/root/pvapf-pkgtest" "$d/usr/local/sbin/"
	mkdir -p "$d/etc/systemd/system/multi-user.target.wants"
	ln -sf /etc/systemd/system/pvapf-pkgtest.service "$d/etc/systemd/system/multi-user.target.wants/"
}

# with_mounts DIR CMD...: CMD (run here) with DIR's /proc and a minimal /dev mounted, as on the
# system the root stands for (dkms's autoinstall needs both). /dev is a fresh tmpfs, never a
# bind of ours, so removing a root cannot reach the machine's device nodes.
with_mounts() {
	local d=$1 rc
	shift
	mount -t proc proc "$d/proc" || return 1
	if ! mount -t tmpfs -o mode=0755,size=8m pvapf-dev "$d/dev"; then
		umount "$d/proc"
		return 1
	fi
	mknod -m 0666 "$d/dev/null" c 1 3 && mknod -m 0666 "$d/dev/zero" c 1 5 &&
		mknod -m 0666 "$d/dev/random" c 1 8 && mknod -m 0666 "$d/dev/urandom" c 1 9 &&
		ln -s /proc/self/fd "$d/dev/fd"
	"$@"
	rc=$?
	umount "$d/dev" "$d/proc"
	return $rc
}

# in_root DIR CMD...: CMD chrooted into DIR, as a package manager would run it
in_root() {
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		with_mounts "$1" chroot "$@"
}

# fresh_workdir DIR: an empty work directory (nothing mounted in it, never crossing into a mount)
fresh_workdir() {
	unmount_under "$1"
	rm -rf --one-file-system "$1" && mkdir -p "$1"
	trap 'unmount_under "$W"' EXIT
}

# files_of DIR: every path in the root except package managers' own state and logs, which
# record an install and its removal by design (dpkg/rpm databases, logs, apt's caches).
files_of() {
	(cd "$1" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./var/cache \
		-o -path ./var/lib/rpm -o -path ./var/lib/apt -o -path ./tmp -o -path ./root \
		-o -path ./usr/lib/sysimage/rpm \) -prune -o -print | LC_ALL=C sort)
}

# boot_root DIR NAME KERNEL INITRD: boot KERNEL and INITRD (paths inside DIR) with DIR as
# the root disk (a copy, made with mkfs.ext4 -d); the unit pvapf-$BOOT_TEST (default pkgtest,
# tests/packaging/root; gated on the kernel argument pvapf.$BOOT_TEST) reports to
# /root/$BOOT_TEST.txt, copied to $W/NAME.txt. Console in $W/NAME-console.log. BOOT_MEM MiB
# of memory (default 1536), BOOT_SMP vCPUs (default 2); BOOT_SWAP_MB: a second, empty disk of
# that size (L1's swap); BOOT_MACHINE: QEMU's -M (default microvm without ACPI; Debian's
# configs need its ACPI tables for their local APIC).
boot_root() {
	local d=$1 name=$2 img=$W/$2.img mb test=${BOOT_TEST:-pkgtest} swap=()
	rm -f "$d/root/$test.txt"
	mb=$(($(du -sm "$d" | cut -f1) + 512))
	rm -f "$img" && truncate -s "${mb}M" "$img"
	mkfs.ext4 -q -F -d "$d" "$img" || { fail "$name: mkfs.ext4 -d"; return 1; }
	if [ -n "${BOOT_SWAP_MB:-}" ]; then
		rm -f "$W/$name-swap.img" && truncate -s "${BOOT_SWAP_MB}M" "$W/$name-swap.img"
		# shellcheck disable=SC2054 # commas: QEMU option syntax, one word
		swap=(-drive "file=$W/$name-swap.img,if=none,format=raw,id=swap,cache=unsafe"
			-device virtio-blk-device,drive=swap)
	fi
	local t0=$SECONDS
	timeout -k 10 "${BOOT_TIMEOUT:-600}" qemu-system-x86_64 -accel tcg -cpu EPYC -M "${BOOT_MACHINE:-microvm,acpi=off}" \
		-m "${BOOT_MEM:-1536}" -smp "${BOOT_SMP:-2}" -nodefaults -no-reboot -display none -no-user-config \
		-chardev file,id=con,path="$W/$name-console.log" -serial chardev:con \
		-kernel "$d/$3" -initrd "$d/$4" \
		-append "console=ttyS0 root=/dev/vda rw panic=-1 reboot=t tsc=reliable $(tsc_khz_arg) pvapf.$test" \
		-drive file="$img",if=none,format=raw,id=root,cache=unsafe -device virtio-blk-device,drive=root \
		"${swap[@]}" 2>"$W/$name-qemu.err"
	debugfs -R "cat /root/$test.txt" "$img" >"$W/$name.txt" 2>/dev/null
	rm -f "$img" "$W/$name-swap.img"
	grep -qx end "$W/$name.txt" ||
		{ fail "$name: booted to the report (console: $W/$name-console.log)"; return 1; }
	pass "$name: booted to the report in $((SECONDS - t0))s"
}

# report NAME KEY: the value of KEY in NAME's boot report
report() {
	sed -n "s/^$2 //p" "$W/$1.txt" | head -n 1
}

# check_booted NAME REL: what every boot of an installed package of any flavour must show
check_booted() {
	local n=$1 rel=$2
	check_eq "$n: uname -r" "$(report "$n" uname)" "$rel"
	check_eq "$n: udev's coldplug done before the report" "$(report "$n" udev_settled)" yes
	check_eq "$n: systemd's multi-user target" "$(report "$n" target)" active
	check_eq "$n: failed units" "$(grep -c '^failed_unit ' "$W/$n.txt")" 0
	check "$n: pvapf host active (/sys/kernel/pvapf: $(report "$n" pvapf_host))" \
		grep -q '^pvapf_host .*vms' "$W/$n.txt"
	check "$n: pvapf guest built in ($(report "$n" pvapf_guest_symbols) pvapf_guest_ symbols)" \
		test "$(report "$n" pvapf_guest_symbols)" -gt 0
}

# check_boot NAME REL: check_booted, and the test flavour's ext4 module (the root's)
check_boot() {
	local n=$1 rel=$2
	check_booted "$n" "$rel"
	check_eq "$n: ext4 (the root's) loaded from the initrd, from where depmod put it" \
		"$(report "$n" ext4_path)" "/lib/modules/$rel/kernel/fs/ext4/ext4.ko.xz"
	check "$n: ext4 module in use" grep -qx 'lsmod ext4' "$W/$n.txt"
}

# check_apfstat NAME: pvapf-tools' apfstat ran as root in that boot and saw the pvapf host (no VMs)
check_apfstat() {
	check "$1: apfstat --json ran (exit $(report "$1" apfstat_rc)): $(report "$1" apfstat)" \
		grep -qx 'apfstat {"mode": "host", "vms": \[\]} *' "$W/$1.txt"
}

# check_hook ROOT: pvapf-tools put the libvirt hook where libvirt runs hooks, as a link to
# /usr/sbin/pvapf-hook (libvirtd's AppArmor profile lets it run /usr/sbin, not /usr/libexec),
# with its man page and nothing left in /usr/libexec/pvapf; and it runs there: a domain without
# pvapf passes, a bad attribute is refused naming it
check_hook() {
	local h=/etc/libvirt/hooks/qemu.d/50-pvapf out
	check "pvapf-tools: $h is executable" in_root "$1" test -x "$h"
	check_eq "pvapf-tools: $h resolves to" "$(in_root "$1" readlink -f "$h")" /usr/sbin/pvapf-hook
	check "pvapf-tools: no /usr/libexec/pvapf" test ! -e "$1/usr/libexec/pvapf"
	check "pvapf-tools: the hook's man page ($(cd "$1" && echo usr/share/man/man8/pvapf-hook.8*))" \
		compgen -G "$1/usr/share/man/man8/pvapf-hook.8.*"
	out=$(echo "<domain><name>d</name></domain>" | in_root "$1" "$h" d prepare begin - 2>&1)
	check "pvapf-tools: the hook passes a domain without pvapf${out:+: $out}" test -z "$out"
	out=$(echo "<domain><name>d</name><metadata><pvapf:asyncpf xmlns:pvapf='https://pvapf.org/xmlns/libvirt/1' policy='sometimes'/></metadata></domain>" |
		in_root "$1" "$h" d prepare begin - 2>&1)
	check "pvapf-tools: the hook refuses a bad policy ($out)" grep -q "policy='sometimes'>: unknown policy" <<<"$out"
}

# check_hardened FORMAT DIR: the root-run binaries unpacked in DIR (the hook, apfstat) were built
# with the distribution's hardening flags: hardening-check (devscripts) finds PIE, the stack
# protector, fortified functions, read-only relocations and immediate binding (its other checks,
# stack clash and CET, are not among Debian 12's default hardening flags)
check_hardened() {
	local f out missing
	for f in usr/sbin/pvapf-hook usr/sbin/apfstat; do
		out=$(hardening-check "$2/$f" 2>&1)
		missing=$(grep -E '^ (Position Independent Executable|Stack protected|Fortify Source functions|Read-only relocations|Immediate binding): ' <<<"$out" |
			grep -v ': yes' | sed 's/^ //; s/:.*//' | paste -sd, -)
		check "$1: $f hardened (PIE, stack protector, fortify, relro, bindnow)${missing:+; missing: $missing}" \
			test -f "$2/$f" -a -z "$missing" -a "$(grep -c ': yes' <<<"$out")" -ge 5
	done
}

# apt_install ROOT: the .debs in ROOT/tmp, as an operator installs downloaded packages
apt_install() {
	in_root "$1" sh -c '{ apt-get update -qq && apt-get install -y --no-install-recommends /tmp/*.deb; } >/tmp/apt.log 2>&1 ||
		{ tail -n 30 /tmp/apt.log; exit 1; }'
}

# link_target DIR LINK: where a symlink in the root points, relative to the root
link_target() {
	local t
	t=$(readlink "$1/$2") || return 1
	echo "${t#/}"
}
