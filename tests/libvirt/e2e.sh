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
#  - the README's second domain as written: a Debian 12 guest booting its own disk, with the
#    guest kernel package installed in it by apt, async faults flowing under overcommit and
#    the fio job run inside (disk-guest/);
#  - after virsh destroy, nothing of the VM left in the pvapf host.
# The host is a default Debian 12 KVM host: AppArmor enabled, libvirtd confined by Debian's
# profile as shipped, each QEMU by the profile libvirt makes for its domain. L1's default
# policy is off, so each setting the hook applies differs from what the VM had. The other
# guests are the test kernel with the nested harness's L2 initramfs, its /init replaced by
# guest-init. One PASS/FAIL line per check.
#   tests/libvirt/e2e.sh           the test flavour as host and guest (make test)
#   tests/libvirt/e2e.sh release   before a release (make e2e-release): the host flavour's
#                                  packages from dist/ (make packages) on the host, the guest
#                                  flavour's in the guest's disk and as the other guests' kernel
set -uo pipefail
. "$(dirname "$0")/../packaging/lib.sh"
MODE=${1:-test}
LV=$PVAPF_ROOT/tests/libvirt
L2_INITRD=$BUILD/vmtest/initrd-l2.cpio
case "$MODE" in
test)
	T=libvirt-e2e W=$BUILD/pkgtest/libvirt HOST_F=test GUEST_F=test
	fresh_workdir "$W"
	DIST=$W/dist
	test_packages deb "$DIST" >"$W/build.log" 2>&1 ||
		{ fail "packaging/build.sh test (log: $W/build.log)"; exit 1; }
	;;
release)
	T=libvirt-e2e-release W=$BUILD/pkgtest/libvirt-release HOST_F=host GUEST_F=guest
	DIST=${DIST:-$PVAPF_ROOT/dist}
	fresh_workdir "$W"
	;;
*) echo "usage: tests/libvirt/e2e.sh [test|release]" >&2; exit 2 ;;
esac
[ -f "$L2_INITRD" ] || { fail "$L2_INITRD missing: run 'make vmtest-images' first"; exit 1; }
REL=$UPSTREAM_VERSION$(kernel_localversion "$HOST_F")
GUEST_REL=$UPSTREAM_VERSION$(kernel_localversion "$GUEST_F")
HOST_DEBS=("$DIST/linux-image-${REL}_"*.deb "$DIST/linux-image-pvapf-${HOST_F}_"*.deb "$DIST/pvapf-tools_"*.deb)
GUEST_DEBS=("$DIST/linux-image-${GUEST_REL}_"*.deb "$DIST/linux-image-pvapf-${GUEST_F}_"*.deb)
for d in "${HOST_DEBS[@]}" "${GUEST_DEBS[@]}"; do
	[ -f "$d" ] || { fail "$d missing: run make packages first"; exit 1; }
done

# packaged_root VARIANT DIR WHAT DEB...: a cached Debian root (tests/packaging/mkroot.sh
# VARIANT) with DEB... installed by apt, as an operator installs downloaded packages
packaged_root() {
	local v=$1 d=$2 what=$3
	shift 3
	new_root "$v" "$d" || { fail "Debian root $v (tests/packaging/mkroot.sh $v)"; exit 1; }
	cp "$@" "$d/tmp/"
	check "$what: apt install $(basename -a "$@" | cut -d_ -f1 | tr '\n' ' ')" apt_install "$d"
	rm -f "$d"/tmp/*.deb
}
# add_unit ROOT SCRIPT: SCRIPT into /usr/local/sbin and SCRIPT.service enabled at boot
add_unit() {
	install -m 0755 "$2" "$1/usr/local/sbin/"
	install -m 0644 "$2.service" "$1/etc/systemd/system/"
	ln -sf "/etc/systemd/system/${2##*/}.service" "$1/etc/systemd/system/multi-user.target.wants/"
}

# --- the host: a Debian root with libvirt, the packages installed the operator's way
R=$W/root
packaged_root libvirt "$R" host "${HOST_DEBS[@]}"
add_unit "$R" "$LV/l1/pvapf-libvirt-e2e"
install -m 0755 /bin/busybox "$R/usr/local/sbin/busybox"
# the README's complete domain, as written
mkdir -p "$R/root/e2e"
readme_domain >"$R/root/e2e/domain.xml"
check "the README's complete domain XML extracted ($(wc -l <"$R/root/e2e/domain.xml") lines)" \
	grep -q "<name>pvapf-demo</name>" "$R/root/e2e/domain.xml"
# the guest: the guest flavour's kernel, and the L2 initramfs with guest-init as its /init
dpkg-deb --fsys-tarfile "${GUEST_DEBS[0]}" | tar -xO "./boot/vmlinuz-$GUEST_REL" \
	>"$R/var/lib/libvirt/images/pvapf-guest.vmlinuz"
mkdir -p "$W/overlay"
install -m 0755 "$LV/guest-init" "$W/overlay/init"
(cd "$W/overlay" && echo init | cpio -o -H newc --quiet) | cat "$L2_INITRD" - \
	>"$R/var/lib/libvirt/images/pvapf-guest.initrd"

# the Debian guest's disk: a Debian 12 root with fio, the guest kernel package installed with
# apt as in any guest, the unit that runs its workload; L1 starts it from README's XML
G=$W/guest
packaged_root guest "$G" "disk guest" "${GUEST_DEBS[@]}"
add_unit "$G" "$LV/disk-guest/pvapf-e2e-guest"
install -D -m 0644 "$PVAPF_ROOT/benchmarks/overcommit/overcommit.fio" "$G/usr/local/share/pvapf-e2e/overcommit.fio"
# a getty on the serial console would hang it up under the report
ln -sf /dev/null "$G/etc/systemd/system/serial-getty@ttyS0.service"
img=$R/var/lib/libvirt/images/pvapf-disk.img
truncate -s "$(($(du -sm "$G" | cut -f1) + 256))M" "$img"
check "disk guest: its disk image" mkfs.ext4 -q -F -d "$G" "$img"
rm -rf --one-file-system "$G"
echo "$GUEST_REL" >"$R/root/e2e/disk.release"
readme_domain pvapf-disk >"$R/root/e2e/disk.xml"
check "the README's disk-booted domain XML extracted ($(wc -l <"$R/root/e2e/disk.xml") lines)" \
	grep -q "<name>pvapf-disk</name>" "$R/root/e2e/disk.xml"

# L1 on one vCPU: on two (multi-threaded TCG) L1's own memory was overwritten while the
# overcommitted demo guest paged (tests/nested/README.md, Known emulator artifacts)
# the flavours' Debian configs need microvm's ACPI tables (tests/packaging/flavour.sh)
[ "$MODE" = release ] && export BOOT_MACHINE=microvm,acpi=on
BOOT_TEST=libvirt-e2e BOOT_MEM=2048 BOOT_SMP=1 BOOT_SWAP_MB=1024 BOOT_TIMEOUT=1800 \
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
check_eq "host: AppArmor enabled" "$(got host apparmor)" Y
check_eq "host: aa-status lists libvirtd's profile in enforce mode" "$(got host aa_libvirtd)" enforce
check_eq "host: libvirtd runs confined by it" "$(got host libvirtd_label)" "libvirtd (enforce)"
# BTF, as Debian's kernels ship it: in the flavours, not in the test kernel
if [ "$MODE" = release ]; then
	check_eq "host: BTF for the kernel and KVM's modules in /sys/kernel/btf" "$(got host btf)" "kvm kvm_amd vmlinux "
	check "host: KVM's BTF names pvapf's types ($(got host btf_pvapf))" num "$(got host btf_pvapf)" -gt 0
fi
check_eq "host: the VMs' default policy set to off (the hook's settings differ from it)" \
	"$(got host default_policy)" off

# started FORM apf|noapf [POLICY MAX]: what every started domain must show; with apf, the
# hook applied POLICY and MAX (max-outstanding)
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
	check "$1: QEMU confined by the domain's AppArmor profile ($(got "$1" qemu_label))" \
		grep -qE '^libvirt-[0-9a-f-]{36} \(enforce\)$' <<<"$(got "$1" qemu_label)"
	check_eq "$1: virsh destroy" "$(got "$1" destroy_rc)" 0
	check_eq "$1: after destroy, no sysfs or debugfs directory of the VM" "$(got "$1" vm_dir_after)" ""
	check_eq "$1: after destroy, nothing outstanding" "$(got "$1" outstanding_after)" 0
	if [ "$2" = apf ]; then
		check_eq "$1: the hook applied policy" "$(got "$1" policy)" "$3"
		check_eq "$1: the hook applied max-outstanding" "$(got "$1" max_outstanding)" "$4"
		check "$1: the guest enabled async PF on every cpu ($g)" \
			test -n "$(kv "$g" cpus)" -a "$(kv "$g" cpus_enabled)" = "$(kv "$g" cpus)"
	else
		check_eq "$1: the guest has no async PF ($g)" "$(kv "$g" cpus_enabled)" 0
		check_eq "$1: no pvapf element, the hook wrote nothing: the host's default policy" \
			"$(got "$1" policy)" off
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

# the README's domain as written: its max-outstanding is the host's default, its policy not
started demo apf adaptive 64
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
started maximum apf always 24
started global apf adaptive 40
refused named "hides; write <cpu mode='host-passthrough'/>, or keep this CPU and add <qemu:commandline><qemu:arg value='-global'/><qemu:arg value='x86_64-cpu.kvm-asyncpf-int=on'/></qemu:commandline>"
started trap noapf
refused badpolicy "policy='sometimes'>: unknown policy"

# the Debian guest from its own disk, with the package apt installed in it
started disk apf always 128
check_eq "disk: libvirt booted the kernel and initrd copied out of the image's /boot" \
	"$(got disk boot_files)" "pvapf-disk.initrd pvapf-disk.vmlinuz"
check_eq "disk: the guest runs the kernel of the package apt installed in it" \
	"$(got disk guest_kernel)" "$GUEST_REL linux-image-$GUEST_REL=$DEB_VERSION+pvapf$PVAPF_RELEASE installed"
if [ "$MODE" = release ]; then
	check "disk: the guest flavour's BTF names pvapf's types ($(got disk guest_btf))" \
		grep -qE '^vmlinux [1-9]' <<<"$(got disk guest_btf)"
fi
check "disk: guest fio with the overcommit benchmark's job file ($(got disk guest_fio))" \
	grep -qE '^rc=0 iops:[0-9]*[1-9]' <<<"$(got disk guest_fio)"
np=$(grep -oE '"not_present": [0-9]+' <<<"$(got disk apfstat_json)" | head -n 1 | grep -oE '[0-9]+$')
check "disk: async faults flowed under overcommit (apfstat not_present $np)" num "$np" -gt 0
check "disk: the guest slept tasks on them ($(got disk guest_counters | tr ' ' '\n' | grep -E '^(not_present|ready)=' | tr '\n' ' '))" \
	num "$(kv "$(got disk guest_counters)" not_present)" -gt 0
check_eq "host: nothing denied by AppArmor during the run ($(got host aa_denied_line))" "$(got host aa_denied)" 0
[ "$FAILS" = 0 ]
