# shellcheck shell=sh
# SMM with async page faults in flight: the 2025 lost READY (a guest's tasks asleep forever,
# tests/soak/README.md), where leaving SMM turned paging back on and the page-ins completed
# meanwhile were never announced. Our guest on a machine with SMM and SeaBIOS (pc, smm=on)
# keeps tasks faulting on swapped memory on both vCPUs while each vCPU raises SMIs through
# the APM port (tests/nested/tools/smi.c); SeaBIOS's handler returns from each at once. Each
# SMI is an SMM entry and exit in L1's KVM (kvm_smm_transition), entered with page-ins in
# flight and followed by READYs; every task must wake, every page read back intact, every
# NOT_PRESENT get its READY, nothing be left in the host.
# L1 on one vCPU: multi-vCPU L2s on a 2-vCPU L1 triple-fault under TCG (tests/nested/README.md).
L1_KERNEL=pvapf
SWAP=disk
L0_TIMEOUT=1500
L2_MEM=256
L2_SMP=2
L1_SMP=1

# smi_until PID CPU: SMIs from cpu CPU, 50 at a time 2 ms apart, while PID runs.
# RESULT smi cpu=CPU writes=N rc=RC
smi_until() {
	n=0 src=0
	while [ $src = 0 ] && kill -0 "$1" 2>/dev/null; do
		taskset -c "$2" smi 50 2000 >/dev/null
		src=$?
		[ $src = 0 ] && n=$((n + 50))
	done
	echo "RESULT smi cpu=$2 writes=$n rc=$src"
}

l2_main() {
	pvapf_counters before
	memtouch --mib 128 --threads 8 --rounds 2 </dev/console &
	pid=$!
	smi_until $pid 0 &
	smi_until $pid 1 &
	wait $pid
	rc=$?
	wait
	pvapf_counters after
	host_snapshot after
	return $rc
}

l1_main() {
	echo always >/sys/kernel/pvapf/default_policy
	L2_MACHINE=pc,smm=on run_l2 smm pvapf
	check_pvapf_guest smm 2
	l2_ok smm || return 0
	check_cmp "smm: each vCPU raised SMIs to the end (no write refused)" \
		"$(grep -c '^RESULT smi cpu=[01] writes=[1-9][0-9]* rc=0' /results/smm-l2.log)" -eq 2
	# Not one entry per write: 1-2% of the SMIs do not show, with or without async PF (policy
	# off, nothing swapped: 2,684 entries for 2,750 writes); KVM or QEMU's, not the guest's.
	check_cmp "smm: L1's KVM took the vCPUs through SMM ($(l2_sum smm smi writes) writes)" \
		"$(trace_count smm smm_entered)" -gt 0
	check_cmp "smm: every vCPU that entered SMM left it" \
		"$(trace_count smm kvm_smm_transition)" -eq $((2 * $(trace_count smm smm_entered)))
	check_cmp "smm: vCPUs entered SMM with page-ins in flight and took READYs once out" \
		"$(trace_count smm ready_after_smm)" -gt 0
	check_cmp "smm: every NOT_PRESENT got its READY" \
		"$(trace_count smm host_ready)" -ge "$(trace_count smm host_not_present)"
	drained_wait
	check_cmp "smm: nothing outstanding after the workload" "$(global_outstanding)" -eq 0
}
