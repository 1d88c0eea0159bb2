#!/usr/bin/env bash
# libvirt end to end, from the operator's seat (libvirt-hooks/README.md): the test flavour's
# .debs (kernel, pvapf-tools) installed with apt into a Debian 12 root with libvirtd and QEMU,
# that installed kernel booted under QEMU TCG (AMD SVM, nested paging) as the KVM host, and
# there (l1/pvapf-libvirt-e2e, under systemd) domains defined and started with virsh from
# the README's domain XML:
#  - as written, overcommitted with virsh memtune: the hook applied its settings, the guest
#    enabled async PF, its memtouch and the overcommit benchmark's fio job ran, apfstat names
#    the domain, async faults flowed, QEMU's query-stats (virsh qemu-monitor-command) has
#    the counters;
#  - each CPU form that gives the guest kvm-asyncpf-int (host-passthrough, maximum, a named
#    CPU with the -global argument through <qemu:commandline>), and the named CPU without
#    it: refused by virsh start with the hook's message (and, without pvapf, a guest that
#    indeed has no async PF);
#  - a bad policy: refused by virsh start, naming it;
#  - after virsh destroy, nothing of the VM left in the pvapf host.
# The guest is the test kernel with the nested harness's L2 initramfs, its /init replaced
# by guest-init. One PASS/FAIL line per check.
set -uo pipefail
. "$(dirname "$0")/../packaging/lib.sh"
T=libvirt-e2e
W=$BUILD/pkgtest/libvirt
LV=$PVAPF_ROOT/tests/libvirt
fresh_workdir "$W"
L2_INITRD=$BUILD/vmtest/initrd-l2.cpio
[ -f "$L2_INITRD" ] || { fail "$L2_INITRD missing: run 'make vmtest-images' first"; exit 1; }

FORMATS=deb DIST=$W/dist "$PVAPF_ROOT/packaging/build.sh" test >"$W/build.log" 2>&1 ||
	{ fail "packaging/build.sh test (log: $W/build.log)"; exit 1; }
REL=$(cat "$BUILD/obj-test/include/config/kernel.release")

# --- the host: a Debian root with libvirt, the packages installed the operator's way
R=$W/root
new_root libvirt "$R" || { fail "Debian root with libvirt (tests/packaging/mkroot.sh libvirt)"; exit 1; }
cp "$W/dist/linux-image-$REL"_*.deb "$W"/dist/linux-image-pvapf-test_*.deb "$W"/dist/pvapf-tools_*.deb "$R/tmp/"
check "apt install linux-image-$REL, linux-image-pvapf-test, pvapf-tools beside libvirt" apt_install "$R"
rm -f "$R"/tmp/*.deb
install -m 0755 "$LV/l1/pvapf-libvirt-e2e" "$R/usr/local/sbin/"
install -m 0755 /bin/busybox "$R/usr/local/sbin/busybox"
install -m 0644 "$LV/l1/pvapf-libvirt-e2e.service" "$R/etc/systemd/system/"
ln -sf /etc/systemd/system/pvapf-libvirt-e2e.service "$R/etc/systemd/system/multi-user.target.wants/"
# the README's complete domain, as written
mkdir -p "$R/root/e2e"
readme_domain >"$R/root/e2e/domain.xml"
check "the README's complete domain XML extracted ($(wc -l <"$R/root/e2e/domain.xml") lines)" \
	grep -q "<name>pvapf-demo</name>" "$R/root/e2e/domain.xml"
# the guest: the installed kernel, and the L2 initramfs with guest-init as its /init
cp "$R/boot/vmlinuz-$REL" "$R/var/lib/libvirt/images/pvapf-guest.vmlinuz"
mkdir -p "$W/overlay"
install -m 0755 "$LV/guest-init" "$W/overlay/init"
(cd "$W/overlay" && echo init | cpio -o -H newc --quiet) | cat "$L2_INITRD" - \
	>"$R/var/lib/libvirt/images/pvapf-guest.initrd"

# L1 on one vCPU: on two (multi-threaded TCG) L1's own memory was overwritten while the
# overcommitted demo guest paged (tests/nested/README.md, Known emulator artifacts)
BOOT_TEST=libvirt-e2e BOOT_MEM=2048 BOOT_SMP=1 BOOT_SWAP_MB=1024 BOOT_TIMEOUT=1200 \
	boot_root "$R" l1 "boot/vmlinuz-$REL" "boot/initrd.img-$REL" || exit 1
rm -rf --one-file-system "$R"

# got FORM KEY: what l1/pvapf-libvirt-e2e reported
got() { sed -n "s/^$1 $2 //p" "$W/l1.txt" | head -n 1; }
# kv TEXT KEY: KEY's value in a "KEY=VALUE ..." text
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n 1; }
# num VALUE OP NUMBER: VALUE is a whole number and test VALUE OP NUMBER holds
num() { [[ $1 =~ ^[0-9]+$ ]] && test "$1" "$2" "$3"; }

check_eq "host: the installed kernel booted" "$(got host uname)" "$REL"
check_eq "host: /dev/kvm" "$(got host kvm)" yes
check_eq "host: libvirtd under systemd" "$(got host libvirtd)" active

# started FORM: what every started domain must show
started() {
	local g
	g=$(got "$1" guest_guest)
	# a guest that died before its /init was booted once more (l1/pvapf-libvirt-e2e)
	[ -n "$(got "$1" first_boot_died)" ] &&
		echo "NOTE: $1: booted twice, the first boot died before its /init: $(got "$1" first_boot_died)"
	check_eq "$1: virsh start" "$(got "$1" start_rc)" 0
	check "$1: its guest reported, then idled (seconds after start: $(got "$1" guest_report_s))" \
		num "$(got "$1" guest_report_s)" -ge 0
	check_eq "$1: the pvapf host made the VM's directory (QEMU pid from libvirt's run dir)" \
		"$(got "$1" vm_dir | grep -c '^/sys/kernel/pvapf/vms/[0-9]*-[0-9]*$')" 1
	check_eq "$1: virsh destroy" "$(got "$1" destroy_rc)" 0
	check_eq "$1: after destroy, no sysfs or debugfs directory of the VM" "$(got "$1" vm_dir_after)" ""
	check_eq "$1: after destroy, nothing outstanding" "$(got "$1" outstanding_after)" 0
	if [ "$2" = apf ]; then
		check_eq "$1: the hook applied policy" "$(got "$1" policy)" adaptive
		check_eq "$1: the hook applied max-outstanding" "$(got "$1" max_outstanding)" 64
		check "$1: the guest enabled async PF on every cpu ($g)" \
			test -n "$(kv "$g" cpus)" -a "$(kv "$g" cpus_enabled)" = "$(kv "$g" cpus)"
	else
		check_eq "$1: the guest has no async PF ($g)" "$(kv "$g" cpus_enabled)" 0
	fi
}
# refused FORM MESSAGE: virsh start failed, showing the hook's MESSAGE; nothing started
refused() {
	local out
	out=$(got "$1" start_out)
	check "$1: virsh start fails" test "$(got "$1" start_rc)" != 0
	check "$1: virsh start shows the hook's refusal ($out)" grep -qF -- "$2" <<<"$out"
	check_eq "$1: the domain is shut off" "$(got "$1" state_after)" "shut off"
	check_eq "$1: no QEMU left" "$(got "$1" pid_file_after)" ""
}

started demo apf
json=$(got demo apfstat_json)
np=$(grep -oE '"not_present": [0-9]+' <<<"$json" | head -n 1 | grep -oE '[0-9]+$')
base=$(got maximum memcg_kib)
check "maximum: its idle VM's memory cgroup holds ${base}KiB" num "$base" -gt 0
check_eq "demo: virsh memtune capped it at that + 32 MiB (memory.high), + 48 MiB (memory.max)" \
	"$(got demo memtune)" "hard_limit=$((base + 49152)) soft_limit=$((base + 32768)) swap_hard_limit=unlimited "
check_eq "demo: guest memtouch" "$(got demo guest_memtouch)" rc=0
check_eq "demo: memtouch's 2 re-reads of its 128 MiB found every page intact" \
	"$(grep -cE '^demo guest_memtouch_result round=[12] .* bad_pages=0$' "$W/l1.txt")" 2
check "demo: guest fio with the overcommit benchmark's job file ($(got demo guest_fio))" \
	grep -qE '^rc=0 iops:[0-9]*[1-9]' <<<"$(got demo guest_fio)"
check "demo: apfstat shows the VM by its domain name ($(got demo apfstat_row))" \
	grep -qE '^pvapf-demo +[0-9]+ +adaptive ' <<<"$(got demo apfstat_row)"
check "demo: apfstat --json names the domain" grep -qF '{"domain": "pvapf-demo", ' <<<"$json"
check "demo: async faults flowed under overcommit (apfstat not_present $np)" num "$np" -gt 0
check "demo: the guest slept tasks on them ($(got demo guest_counters | tr ' ' '\n' | grep -E '^(not_present|ready)=' | tr '\n' ' '))" \
	num "$(kv "$(got demo guest_counters)" not_present)" -gt 0
check_eq "demo: virsh qemu-monitor-command query-stats lists the pvapf counters" \
	"$(got demo query_stats_names)" "$(grep -c 'PVAPF_HC([A-Z_]*,' "$PVAPF_ROOT/host/pvapf_host_state.h")"
check "demo: query-stats' pvapf_not_present ($(got demo query_stats_not_present)) >= apfstat's ($np)" \
	num "$(got demo query_stats_not_present)" -ge "${np:-1}"
started maximum apf
started global apf
refused named "hides; write <cpu mode='host-passthrough'/>, or keep this CPU and add <qemu:commandline><qemu:arg value='-global'/><qemu:arg value='x86_64-cpu.kvm-asyncpf-int=on'/></qemu:commandline>"
started trap noapf
refused badpolicy "policy='sometimes'>: unknown policy"
[ "$FAILS" = 0 ]
