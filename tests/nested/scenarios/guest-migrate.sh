# shellcheck shell=sh
# Our guest moved to a new VMM on the pvapf host while its tasks sleep on tokens, three ways
# (l2_migrate): pre-copy, post-copy (the switch at once, memory then pulled on demand through
# userfaultfd) and a snapshot written to a file and restored. The old VM's page-ins go with it;
# in the new VM QEMU's restore of the guest's MSRs is a host-initiated EN write, which sends a
# wake-all on every vCPU, so each task asleep on an old token retries its fault there. The
# guest reads its paged-out memory back again and again until L1 is done: every page intact,
# no task left asleep, APF on both vCPUs, nothing left in the host. Policy "always": tasks
# sleep on every swap-in (as in guest-smp-hotplug).
L1_KERNEL=pvapf
SWAP=disk
L0_TIMEOUT=1800
L2_TIMEOUT=900
L2_MEM=256
L2_SMP=2
L1_SMP=1

l2_main() {
	pvapf_counters before
	rc=0 n=0
	until l1_call l1-flag migrated; do
		memtouch --mib 96 --threads 8 --rounds 1 || rc=1
		n=$((n + 1))
	done
	echo "RESULT workload runs=$n"
	pvapf_counters after
	return $rc
}

# async_in_flight LABEL: 0 while the host has page-ins in flight for that L2's VM (tasks
# asleep), 1 while it has none (or has not started), 2 once its VMM is gone.
async_in_flight() {
	af_p=$(l2_vmm "$1")
	[ -n "$af_p" ] || return 1
	vmm_gone "$af_p" && return 2
	af_n=$(vm_outstanding "$af_p")
	[ "${af_n:-0}" -gt 0 ]
}

# migrate_all LABEL: each way once, each while tasks sleep on tokens; then the flag that ends
# the guest's workload. "RESULT migrate MODE=STATUS" lines.
migrate_all() {
	for mode in file precopy postcopy; do
		bounded_until 300 async_in_flight "$1" || { echo "RESULT migrate $mode=no-sleepers" && break; }
		l2_migrate "$1" $mode
		echo "RESULT migrate $mode=$?"
	done
	touch /run/flag-migrated
}

l1_main() {
	echo always >/sys/kernel/pvapf/default_policy
	rm -f /run/flag-migrated
	migrate_all mig >/results/mig-migrate.txt 2>&1 &
	mig=$!
	run_l2 mig pvapf
	wait $mig
	sed 's/^/mig: /' /results/mig-migrate.txt
	for mode in file precopy postcopy; do
		check_cmp "mig: $mode migration while tasks slept on tokens" \
			"$(result_in /results/mig-migrate.txt migrate $mode)" -eq 0
	done
	drained_wait
	check_cmp "mig: nothing outstanding after the VMs are gone" "$(global_outstanding)" -eq 0
	check_cmp "mig: no VM left in /sys/kernel/pvapf/vms" "$(count_paths /sys/kernel/pvapf/vms/*)" -eq 0
	l2_ok mig || return 0
	check_cmp "mig: the workload ran through the migrations" "$(l2_result mig workload runs)" -gt 0
	check_cmp "mig: every page read back intact" "$(l2_sum mig memtouch bad_pages)" -eq 0
	check_cmp "mig: guest counted NOT_PRESENT" "$(pvapf_delta mig not_present)" -gt 0
	# each new VM's restored EN: one wake-all per vCPU per migration
	check_cmp "mig: each new VM woke every vCPU's sleepers" "$(pvapf_delta mig wake_all)" -ge 6
	check_cmp "mig: no task left asleep" "$(l2_result mig after sleepers_current)" -eq 0
	check_cmp "mig: no task asleep past the watchdog's bound" "$(l2_result mig after long_waits)" -eq 0
	check_cmp "mig: APF enabled on both vCPUs" "$(l2_result mig after cpus_enabled)" -eq 2
}
