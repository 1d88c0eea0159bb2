# shellcheck shell=sh
# Helpers for a scenario's l1_main (busybox sh inside L1): swap, running an L2 guest,
# L1 tracepoint counts, L2 results and PASS/FAIL checks.

L2_MEM=${L2_MEM:-256}
L2_SMP=${L2_SMP:-1}
L2_TIMEOUT=${L2_TIMEOUT:-600}
# host passthrough exposes kvm-asyncpf-int (named models do not). XSAVE is hidden because the
# xstate sizes TCG reports through two levels of virtualization trip a WARN in the L2 kernel.
L2_CPU=${L2_CPU:-host,xsave=off}
# A kernel log line (not our own PASS/FAIL text) reporting a panic, WARN, BUG, oops, or a task
# blocked uninterruptibly past hung_task_timeout_secs.
KERNEL_BAD='^\[ *[0-9]+\.[0-9]+\] .*(Kernel panic|WARNING: CPU|BUG:|Oops:|cut here|INFO: task .* blocked for more than)'
# A task stuck, in a kernel log line: the hung-task detector's, or our guest's watchdog's (a
# task asleep on one token past wait_warn_secs, guest/README.md; a run that finishes is checked
# by its long_waits counter, check_pvapf_guest).
KERNEL_HANG='^\[ *[0-9]+\.[0-9]+\] .*(pvapf: .* asleep [0-9]+ s on token|INFO: task .* blocked for more than)'

# Upstream KVM's kvm_async_pf_not_present fires for every async fault, also when the guest
# has no APF and the vCPU is only halted; kvm_inj_exception with #PF counts the NOT_PRESENT
# exceptions actually injected (under nested paging no other #PF is injected into L2).
# The pvapf host has its own events (pvapf_host/); host_not_present and host_ready add up
# whichever host L1 runs.
APF_EVENTS="kvm/kvm_async_pf_not_present kvm/kvm_async_pf_ready kvm/kvm_async_pf_completed kvm/kvm_async_pf_repeated_fault kvm/kvm_try_async_get_page kvm/kvm_inj_exception pvapf_host/pvapf_host_not_present pvapf_host/pvapf_host_ready pvapf_host/pvapf_host_sync pvapf_host/pvapf_host_adaptive pvapf_host/pvapf_host_bad_msr kvm/kvm_smm_transition"
TRACE=/sys/kernel/tracing

# virtio disks are told apart by size: the results disk is exactly 32 MiB.
results_disk() {
	for d in /sys/block/vd*; do
		[ "$(cat "$d/size")" = 65536 ] && echo "/dev/${d##*/}" && return
	done
	echo /dev/null
}

swap_disk() {
	for d in /sys/block/vd*; do
		[ "$(cat "$d/size")" != 65536 ] && echo "/dev/${d##*/}" && return
	done
}

# kvm_modular: this L1 loads KVM as modules (debug and guest-flavour L1s) instead of having it
# built in (the test kernel).
kvm_modular() { grep -qx kvm.ko /pvapf/modules/order 2>/dev/null; }

# l1_debug: this L1 is the debug kernel (KASAN, lockdep, kmemleak), where every fault costs
# several times more: scenarios scale their working sets down there, keeping every check.
l1_debug() { [ -e /sys/kernel/debug/kmemleak ]; }

setup_swap() {
	read_delay=
	case "$1" in
	disk) dev=$(swap_disk) ;;
	zram)
		dev=/dev/zram0
		echo lz4 >/sys/block/zram0/comp_algorithm &&
			echo 1G >/sys/block/zram0/disksize || return 1
		;;
	slowdisk)
		# The virtio disk with a delay added to every read by dm-delay (L1 argument
		# pvapf.swap_read_delay_ms, default 5): swap-ins clearly slower than an APF round
		# trip, writes unchanged.
		d=$(swap_disk)
		read_delay=$(pvapf_arg swap_read_delay_ms)
		case "${read_delay:=5}" in
		'' | *[!0-9]*) echo "FAIL: setup: pvapf.swap_read_delay_ms='$read_delay' is not a number of ms"; return 1 ;;
		esac
		table="0 $(blockdev --getsz "$d") delay $d 0 $read_delay $d 0 0"
		if ! { dmsetup create --noudevsync slowswap --table "$table" && dmsetup mknodes slowswap; }; then
			echo "FAIL: setup: dm-delay over $d could not be created"
			return 1
		fi
		dev=/dev/mapper/slowswap
		;;
	none) return 0 ;;
	*) echo "FAIL: setup: unknown swap type '$1'"; return 1 ;;
	esac
	if ! { [ -n "$dev" ] && mkswap "$dev" >/dev/null && swapon "$dev"; }; then
		echo "FAIL: setup: swap on '$dev' could not be enabled"
		return 1
	fi
	# No swap readahead: every guest page read back is its own swap-in, so the number of
	# faults that can go async does not depend on how neighbouring pages were laid out.
	echo 0 >/proc/sys/vm/page-cluster
	echo "swap: $1 on $dev${read_delay:+, reads delayed $read_delay ms}"
}

# swap_read_delay MS: SWAP=slowdisk's reads delayed MS ms from now on. dm-delay takes its new
# table suspended: swap I/O in flight completes first and new I/O waits until the resume.
swap_read_delay() {
	srd_dev=$(swap_disk)
	dmsetup suspend slowswap &&
		dmsetup reload slowswap --table "0 $(blockdev --getsz "$srd_dev") delay $srd_dev 0 $1 $srd_dev 0 0" &&
		dmsetup resume slowswap
}

trace_start() {
	echo 0 >$TRACE/tracing_on
	echo 65536 >$TRACE/buffer_size_kb
	echo >$TRACE/trace
	# Each host has only its own events.
	for e in $APF_EVENTS; do
		[ -e "$TRACE/events/$e/enable" ] && echo 1 >"$TRACE/events/$e/enable"
	done
	# A guest that triple-faults leaves no console trace; its shutdown exit
	# (SVM 0x7f, VMX 2) and the events before it are the evidence.
	echo 'exit_reason == 127 || exit_reason == 2' >$TRACE/events/kvm/kvm_exit/filter
	echo 1 >$TRACE/events/kvm/kvm_exit/enable
	echo 1 >$TRACE/tracing_on
}

# Count each APF event of the run into /results/LABEL-l1-trace.txt ("event count" lines).
trace_stop() {
	echo 0 >$TRACE/tracing_on
	out=/results/$1-l1-trace.txt
	# One pass: rendering the ring buffer as text is the slow part under TCG.
	awk -v events="$APF_EVENTS" '
		BEGIN { n = split(events, ev, " "); for (i = 1; i <= n; i++) { sub(/.*\//, "", ev[i]); c[ev[i]] = 0 } }
		{ for (i = 1; i <= NF; i++) if ($i ~ /^[a-z_][a-z_0-9]*:$/) { e = substr($i, 1, length($i) - 1); break } }
		e in c { c[e]++ }
		e == "kvm_inj_exception" && $(i + 1) == "#PF" && !/reinjected/ { inj++ }
		# The adaptive rule (host/pvapf_host_policy.c) re-applied to the inputs each decision
		# was traced with: async while nothing is measured yet, when the swap-in average is at
		# least 2x the round trip, or as the 32nd choice in a row (a probe); else sync.
		e == "pvapf_host_adaptive" {
			for (j = i + 1; j < NF; j++) a[$j] = $(j + 1)
			if (a["swapin_ewma_ns"] == 0) why = "first"
			else if (a["swapin_ewma_ns"] >= 2 * a["round_trip_ns"]) why = "measured"
			else if (a["sync_run"] + 1 >= 32) why = "probe"
			else why = "sync"
			if ((why == "sync") != (a["async"] == 0)) adis++
			ad[why]++
			ad_swapin += a["swapin_ewma_ns"]; ad_rt += a["round_trip_ns"]
		}
		# SMM (guest-smm): a vCPU that entered SMM with page-ins in flight on it and, once
		# out, took a READY: one whose page-in may have completed while it was in SMM
		e == "pvapf_host_not_present" { out[$(i + 2)]++ }
		e == "kvm_smm_transition" {
			v = $(i + 2)
			sub(/:$/, "", v)
			if ($(i + 3) == "entering") { smm_in++; held[v] = out[v] > 0 }
			else if (held[v]) { armed[v] = 1; held[v] = 0 }
		}
		e == "pvapf_host_ready" {
			v = $(i + 2)
			if (out[v] > 0) out[v]--
			if (armed[v]) { ras++; armed[v] = 0 }
		}
		{ e = "" }
		END {
			for (i = 1; i <= n; i++) print ev[i], c[ev[i]]
			print "apf_injected", inj + 0
			print "host_not_present", c["kvm_async_pf_not_present"] + c["pvapf_host_not_present"]
			print "host_ready", c["kvm_async_pf_ready"] + c["pvapf_host_ready"]
			split("first measured probe sync", w, " ")
			for (j = 1; j <= 4; j++) print "adaptive_" w[j], ad[w[j]] + 0
			print "adaptive_disagree", adis + 0
			# the averages the adaptive decisions saw, over those decisions
			ad_n = ad["first"] + ad["measured"] + ad["probe"] + ad["sync"]
			print "adaptive_swapin_ns", ad_n ? int(ad_swapin / ad_n) : 0
			print "adaptive_round_trip_ns", ad_n ? int(ad_rt / ad_n) : 0
			print "smm_entered", smm_in + 0
			print "ready_after_smm", ras + 0
		}
	' $TRACE/trace >"$out"
	lost=$(awk '/overrun:/ { s += $2 } END { print s + 0 }' $TRACE/per_cpu/cpu*/stats)
	echo "overrun $lost" >>"$out"
	for e in $APF_EVENTS; do
		[ -e "$TRACE/events/$e/enable" ] && echo 0 >"$TRACE/events/$e/enable"
	done
	echo 0 >$TRACE/events/kvm/kvm_exit/enable
	echo 0 >$TRACE/events/kvm/kvm_exit/filter
	# An L2 that did not end its scenario: keep the last events for the post-mortem.
	grep -q '^@@PVAPF L2 END' "/results/$1-l2.log" 2>/dev/null ||
		tail -n 400 $TRACE/trace >"/results/$1-l1-trace-tail.txt"
}

trace_count() { awk -v e="$2" '$1 == e { print $2 }' "/results/$1-l1-trace.txt"; }

# sum_keys FILE KEY...: the sum of the "KEY value" lines of FILE, nothing if it has none.
sum_keys() {
	f=$1
	shift
	awk -v keys="$*" 'BEGIN { n = split(keys, k, " "); for (i = 1; i <= n; i++) want[k[i]] = 1 }
		$1 in want { s += $2; found = 1 } END { if (found) print s }' "$f" 2>/dev/null
}

# trace_sum LABEL EVENT...: trace counts of that run, added up.
trace_sum() { l=$1; shift; sum_keys "/results/$l-l1-trace.txt" "$@"; }

# run_l2 LABEL KERNEL [extra kernel args...]: boot L2 (KERNEL = pvapf or stock) under
# QEMU/KVM in its own memory cgroup; the console goes to /results/LABEL-l2.log.
run_l2() {
	label=$1 kernel=$2
	shift 2
	cg=/sys/fs/cgroup/l2-$label
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	mkdir -p "$cg"
	[ -n "$L2_MEMORY_MAX" ] && echo "$L2_MEMORY_MAX" >"$cg/memory.max"
	echo "run_l2 $label: kernel=$kernel mem=${L2_MEM}M smp=$L2_SMP args=$*"
	# L2_MACHINE: another machine than the kernel's (guest-smm: pc with SMM and SeaBIOS)
	machine=${L2_MACHINE:-$(cat "/pvapf/l2/machine-$kernel")}
	t0=$(date +%s)
	boot_l2 "$@"
	# Nested TCG now and then resets an L2 while it boots: a triple fault on a kernel
	# instruction fetch reported not-present, with no async fault injected yet. An L2 that
	# triple-faulted before its scenario started, without an async fault, is booted once more,
	# the first boot's log and trace kept; a real failure fails twice.
	# The same artifact can strike just after START: a #PF being delivered for an instruction
	# fetch reported not-present (intr_info 0x80000b0e, error code 0x10) with no async fault
	# injected is retried too; any other reset after START is the scenario's.
	shutdown=$(l2_shutdown "$label")
	if [ "$rc" = 0 ] && [ -n "$shutdown" ] && [ "$(trace_count "$label" host_not_present)" = 0 ] &&
		{ ! grep -q '^@@PVAPF L2 START' "/results/$label-l2.log" ||
			echo "$shutdown" | grep -q 'intr_info 0x80000b0e error_code 0x00000010$'; }; then
		echo "run_l2 $label: L2 triple-faulted with no async fault injected$shutdown;" \
			"booting it once more (first boot: $label-*.first-boot.*)"
		for f in l2.log l1-trace.txt l1-trace-tail.txt qemu.err; do
			mv "/results/$label-$f" "/results/$label-${f%%.*}.first-boot.${f#*.}" 2>/dev/null
		done
		boot_l2 "$@"
	fi
	cat "$cg/memory.stat" >"/results/$label-memcg.txt" 2>/dev/null
	rmdir "$cg" 2>/dev/null
	echo "run_l2 $label: exit $rc after $(($(date +%s) - t0))s"
	check_l2_clean "$label" "$rc"
}

# boot_l2 [kernel args...]: one boot of run_l2's L2 (label, kernel, cgroup as set there),
# traced; its exit status in rc. QEMU names its threads ("CPU 0/KVM", as under libvirt) so
# that hooks/l2-stuck can tell the vCPU, and has a QMP socket for hooks/host-counters. The
# console stays on through suspend and hibernation cycles (no_console_suspend): a panic or hang
# inside one otherwise leaves no text, only a reset or silence (soak seeds 7107 and 7104).
# /run/l2-LABEL.pid holds the pid of the VMM running the L2 (a migration changes it),
# /run/l2-LABEL.ctl l2ctl's (l2_migrate).
boot_l2() {
	trace_start
	rm -f "/run/l2-$label.pid"
	PVAPF_LABEL=$label sh -c 'echo $$ >"$0/cgroup.procs" && echo $$ >"$1" && shift && exec "$@"' "$cg" \
		"/run/l2-$label.ctl" l2ctl --log "/results/$label-l2.log" --timeout "$L2_TIMEOUT" --hookdir /pvapf/hooks \
		--pidfile "/run/l2-$label.pid" --handover "/run/l2-$label.handover" -- \
		qemu-system-x86_64 -accel kvm -cpu "$L2_CPU" -M "$machine" -m "${L2_MEM}M" -smp "$L2_SMP" \
		-name "$label,debug-threads=on" -qmp "unix:/run/qmp-$label.sock,server=on,wait=off" \
		-nodefaults -no-reboot -display none -no-user-config \
		-chardev stdio,id=con,signal=off -serial chardev:con \
		-kernel "/pvapf/l2/bzImage-$kernel" -initrd /pvapf/l2/initrd.cpio \
		-append "console=ttyS0 quiet no_console_suspend nokaslr reboot=t panic=-1 panic_on_warn=1 no_timer_check tsc=reliable pvapf.scenario=$SCENARIO $*" \
		2>"/results/$label-qemu.err"
	rc=$?
	trace_stop "$label"
}

# l2_vmm LABEL: the pid of the VMM running run_l2's L2 LABEL (nothing before it started).
l2_vmm() { cat "/run/l2-$1.pid" 2>/dev/null; }

# bounded_until SECONDS CMD...: run CMD every 10 ms while it returns 1, for at most SECONDS
# (a count of tries would stretch with the emulator's speed); its last status, 1 when out of
# time. Names of its own (bu_*): busybox sh has no locals.
bounded_until() {
	bu_end=$(($(date +%s) + $1))
	shift
	while :; do
		"$@"
		bu_r=$?
		[ $bu_r = 1 ] || return $bu_r
		[ "$(date +%s)" -lt $bu_end ] || return 1
		usleep 10000
	done
}

# migration_done SOCKET: 0 once the migration out of the VMM at SOCKET completed, 1 while it
# runs ("active", "postcopy-active"), 2 (and why) if it failed.
migration_done() {
	md_r=$(qmp "$1" '{"execute": "query-migrate"}') || { echo "migration: no monitor at $1" && return 2; }
	case $md_r in
	*'"status": "completed"'*) return 0 ;;
	*'"status": "failed"'* | *'"status": "cancelled"'*) echo "migration: $md_r" && return 2 ;;
	*) return 1 ;;
	esac
}

# vm_running SOCKET: the VMM at SOCKET runs its guest (not paused, not waiting for one).
vm_running() { qmp "$1" '{"execute": "query-status"}' | grep -q '"status": "running"'; }

# vmm_gone PID: that VMM has exited (a zombie not yet reaped counts as gone, as kill -0 would not)
vmm_gone() { ! grep -qE '^State:[[:space:]]+[^Z]' "/proc/$1/status" 2>/dev/null; }

# vmm_changed LABEL PID: the L2 LABEL runs on another VMM than PID.
vmm_changed() { [ "$(l2_vmm "$1")" != "$2" ]; }

# qmp_ok SOCKET JSON WHAT: the command, quietly; on an error reply a line naming WHAT.
qmp_ok() { qmp "$1" "$2" >/dev/null || { echo "l2_migrate: $3 refused" && return 1; }; }

# l2_migrate LABEL MODE: move run_l2's running L2 LABEL to a new VMM on this L1 the way an
# operator migrates a guest (QMP), MODE:
#   precopy   the guest runs on while its memory is copied, then switches over;
#   postcopy  it switches over at once and pulls its memory on demand (userfaultfd): each
#             page it touches first is a fault that waits on the old VMM;
#   file      saved to a file (the guest stopped), then restored from it: a snapshot.
# l2ctl starts the new VMM (SIGUSR1; its --handover file: the same command line with
# "-incoming defer" and its own monitor) and serves its console; once the new VMM runs the
# guest, l2ctl is told (SIGUSR2), the old VMM quits and /run/qmp-LABEL.sock becomes a link to
# the new one's monitor (a QEMU removes its own socket's path when it quits, so each VMM has
# a path of its own). On the new host VM, QEMU's restore of the guest's MSRs (a host-initiated EN
# write) sends a wake-all: tasks asleep on the old VMM's tokens retry. Status 0 when the new
# VMM runs the guest; otherwise a line saying which step failed, and the guest goes on where
# it was: the new VMM quits, the old one continues. MIG_BANDWIDTH (bytes/s) caps the page
# transfer, pre-copy and post-copy (the post-copy benchmark's realistic link; default: QEMU's).
# Once the migration completed, the old VMM's last query-migrate reply (times, pages, page
# requests) is in /run/mig-LABEL.stats before the handover's last steps. (Names: mg_*.)
l2_migrate() {
	l2_migrate_steps "$@" && return 0
	mg_rc=$?
	[ -S "$mg_dst" ] && qmp "$mg_dst" '{"execute": "quit"}' >/dev/null
	qmp "$mg_src" '{"execute": "cont"}' >/dev/null
	return $mg_rc
}

l2_migrate_steps() {
	mg_old=$(l2_vmm "$1")
	mg_src=/run/qmp-$1.sock mg_dst=/run/qmp-$1-after-$mg_old.sock mg_img=/run/mig-$1.img
	case $2 in
	file) mg_out="exec:cat >$mg_img" mg_in="exec:cat $mg_img" ;;
	precopy | postcopy) mg_out=unix:/run/mig-$1.sock mg_in=$mg_out ;;
	*) echo "l2_migrate $1: unknown mode '$2'" && return 2 ;;
	esac
	mg_incoming="{\"execute\": \"migrate-incoming\", \"arguments\": {\"uri\": \"$mg_in\"}}"
	rm -f "$mg_dst" "/run/mig-$1.sock" "$mg_img" "/run/mig-$1.stats"
	printf '%s\n' -incoming defer -qmp "unix:$mg_dst,server=on,wait=off" >"/run/l2-$1.handover"
	kill -USR1 "$(cat "/run/l2-$1.ctl")" || return 1
	bounded_until 30 test -S "$mg_dst" || { echo "l2_migrate $1: no incoming VMM" && return 1; }
	if [ "$2" = postcopy ]; then
		for mg_m in "$mg_src" "$mg_dst"; do
			qmp_ok "$mg_m" '{"execute": "migrate-set-capabilities", "arguments": {"capabilities": [{"capability": "postcopy-ram", "state": true}]}}' \
				"postcopy-ram at $mg_m" || return 1
		done
	fi
	if [ -n "$MIG_BANDWIDTH" ]; then
		qmp_ok "$mg_src" "{\"execute\": \"migrate-set-parameters\", \"arguments\": {\"max-bandwidth\": $MIG_BANDWIDTH, \"max-postcopy-bandwidth\": $MIG_BANDWIDTH}}" \
			"bandwidth $MIG_BANDWIDTH" || return 1
	fi
	# a snapshot is written whole before it is read; a live migration's listener comes first
	[ "$2" = file ] || qmp_ok "$mg_dst" "$mg_incoming" migrate-incoming || return 1
	qmp_ok "$mg_src" "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"$mg_out\"}}" migrate || return 1
	if [ "$2" = postcopy ]; then
		qmp_ok "$mg_src" '{"execute": "migrate-start-postcopy"}' migrate-start-postcopy || return 1
	fi
	bounded_until 300 migration_done "$mg_src" || { echo "l2_migrate $1: $2 did not complete" && return 1; }
	qmp "$mg_src" '{"execute": "query-migrate"}' >"/run/mig-$1.stats.new" && mv "/run/mig-$1.stats.new" "/run/mig-$1.stats"
	[ "$2" != file ] || qmp_ok "$mg_dst" "$mg_incoming" migrate-incoming || return 1
	bounded_until 30 vm_running "$mg_dst" || { echo "l2_migrate $1: the incoming VMM does not run the guest" && return 1; }
	# from here the new VMM is the L2's: l2ctl keeps it when the old one exits
	kill -USR2 "$(cat "/run/l2-$1.ctl")"
	qmp "$mg_src" '{"execute": "quit"}' >/dev/null
	bounded_until 30 vmm_changed "$1" "$mg_old" || { echo "l2_migrate $1: the new VMM did not take over" && return 1; }
	ln -sfn "$mg_dst" "$mg_src"
	rm -f "$mg_img"
}

# pvapf_vm_dir PID: the pvapf host's sysfs policy directory of the VM that process PID made.
pvapf_vm_dir() {
	for d in /sys/kernel/pvapf/vms/"$1"-*; do
		[ -e "$d" ] && echo "$d" && return
	done
}

# count_paths PATH...: how many of the paths (globs expanded by the caller) exist.
count_paths() {
	n=0
	for p in "$@"; do [ -e "$p" ] && n=$((n + 1)); done
	echo $n
}

# vm_counters [PID]: the glob of the pvapf host's debugfs counter files of the VMs process PID
# made (default: all VMs).
vm_counters() { echo "/sys/kernel/debug/kvm/${1:+$1-}*/pvapf_counters"; }

# vm_sum NAME [PID]: the pvapf host counter NAME summed over those VMs; nothing if there are none.
vm_sum() {
	# shellcheck disable=SC2046 # the glob, expanded here
	awk -v k="$1" '$1 == k { s += $2 } END { print s + 0 }' $(vm_counters "$2") 2>/dev/null
}

# vm_wait SECONDS PID KEY...: wait until each counter KEY sums above 0 over all VMs, PID has
# ended or SECONDS have passed; prints "KEY=sum ..." as last read. One process (countwait):
# a shell loop forks at every poll (tests/nested/README.md, Known emulator artifacts).
vm_wait() {
	s=$1 p=$2
	shift 2
	countwait "$s" "$p" "$(vm_counters)" "$@"
}

# vm_outstanding [PID]: page-ins in flight (async faults and halts) in those VMs.
vm_outstanding() { vm_sum outstanding "$@"; }

# global_outstanding: page-ins in flight (async faults and halts) on the pvapf host, all VMs.
global_outstanding() { cat /sys/kernel/pvapf/outstanding; }

# drained_wait: a VM's teardown ends with its last reference, so poll (bounded: 30 s) until
# nothing is in flight on the pvapf host; the caller checks the count.
drained_wait() { bounded_until 30 nothing_outstanding; }
nothing_outstanding() { [ "$(global_outstanding)" = 0 ]; }

# host_counter LABEL NAME FIELD: a pvapf host counter of that run's VM from the snapshot
# the L2 took with "l1_call host-counters NAME" (see hooks/host-counters).
host_counter() {
	awk -v k="$3" '$1 == k { print $2 }' "/results/$1-host-$2.txt" 2>/dev/null
}

# qmp_stat FILE NAME: the value of statistic NAME in a saved query-stats reply (one vCPU).
qmp_stat() { grep -o "\"name\": \"$2\", \"value\": [0-9]*" "$1" | head -n 1 | sed 's/.*: //'; }

# host_sum LABEL NAME FIELD...: those host counters of one snapshot, added up.
host_sum() { l=$1 n=$2; shift 2; sum_keys "/results/$l-host-$n.txt" "$@"; }

# A guest that did not reach its end marker, or printed a panic/WARN/BUG, fails the run.
# With L2_EXPECT_RC set the scenario ends the VMM itself and only that status is checked.
check_l2_clean() {
	log=/results/$1-l2.log
	if [ -n "$L2_EXPECT_RC" ]; then
		check_cmp "$1: L2 VMM ended as the scenario made it" "$2" -eq "$L2_EXPECT_RC"
		return
	fi
	# A failed run is one FAIL naming its cause; l2_ok then skips the checks of its results.
	: >"/results/$1.failed"
	if [ "$2" = 124 ]; then
		fail "$1: L2 did not finish within L2_TIMEOUT=${L2_TIMEOUT}s; its last progress: $(grep -E '^(RESULT|memtouch)' "$log" | tail -n 1); its vCPU 0: $(sed -n "s/^\[stuck\] thread [0-9]* 'CPU 0\/KVM' //p" "$log")$(grep -m1 -E "$KERNEL_HANG" "$log" | sed 's/^/; it reported: /') (log: $1-l2.log, [stuck] lines)"
	elif [ "$2" != 0 ]; then
		fail "$1: L2 VMM exited with $2 (log: $1-l2.log, $1-qemu.err)"
	elif grep -qE "$KERNEL_BAD" "$log"; then
		fail "$1: L2 kernel reported: $(grep -m1 -E "$KERNEL_BAD" "$log")"
	elif ! grep -q '^@@PVAPF L2 END rc=0' "$log"; then
		fail "$1: L2 scenario did not end with rc=0 ($(grep -m1 '^@@PVAPF L2 END' "$log" || echo 'no end marker'))$(l2_shutdown "$1")"
	else
		rm -f "/results/$1.failed"
		pass "$1: L2 booted, ran and exited cleanly"
	fi
}

# l2_ok LABEL: that run ended cleanly; else say its checks are skipped (its FAIL is above).
l2_ok() {
	[ -e "/results/$1.failed" ] || return 0
	echo "NOTE: $SCENARIO: $1: checks of its results skipped, the run failed (FAIL above)"
	return 1
}

# How an L2 that stopped early went, if L1 saw it triple-fault: its shutdown exit.
l2_shutdown() {
	awk '/kvm_exit: .* reason shutdown / { sub(/.*kvm_exit: /, ""); printf "; L2 triple-faulted: %s", $0; exit }' \
		"/results/$1-l1-trace-tail.txt" 2>/dev/null
}

# result_in FILE WORD KEY: the last KEY=value on the "RESULT WORD ..." lines of FILE.
result_in() {
	grep "^RESULT $2 " "$1" | tr ' ' '\n' | sed -n "s/^$3=//p" | tail -n 1
}

# l2_result LABEL WORD KEY: the last KEY=value on the L2's "RESULT WORD ..." lines.
l2_result() { result_in "/results/$1-l2.log" "$2" "$3"; }

# l2_count LABEL WORD: how many "RESULT WORD" lines the L2 printed.
l2_count() { grep -c "^RESULT $2 " "/results/$1-l2.log"; }

# l2_sum LABEL WORD KEY: the sum of KEY over all "RESULT WORD" lines.
l2_sum() {
	grep "^RESULT $2 " "/results/$1-l2.log" | tr ' ' '\n' |
		awk -F= -v k="$3" '$1 == k { s += $2 } END { print s + 0 }'
}

pass() { echo "PASS: $SCENARIO: $*"; }
fail() { echo "FAIL: $SCENARIO: $*"; }

# check_cmp NAME VALUE OP LIMIT, OP one of -gt -ge -eq -le -lt
check_cmp() {
	case "$2" in
	'' | *[!0-9]*) fail "$1 (value '$2' is not a number)" ;;
	*) if test "$2" "$3" "$4"; then pass "$1 ($2 $3 $4)"; else fail "$1 (got $2, want $3 $4)"; fi ;;
	esac
}

# check_grep PASS_TEXT FAIL_TEXT PATTERN FILE: PASS or FAIL as FILE has a line matching PATTERN.
check_grep() { if grep -q "$3" "$4"; then pass "$1"; else fail "$2"; fi; }

# pvapf_delta LABEL NAME: after - before of a pvapf guest counter in that L2 run
# (see pvapf_workload in l2.sh).
pvapf_delta() {
	echo $(($(l2_result "$1" after "$2") - $(l2_result "$1" before "$2")))
}

# check_pvapf_guest LABEL VCPUS: the pvapf guest of that run took async page faults,
# counted them and ended with every task done and none asleep.
check_pvapf_guest() {
	l2_ok "$1" || return 0
	check_cmp "$1: memtouch finished both rounds" "$(l2_count "$1" memtouch)" -eq 2
	check_cmp "$1: every page read back intact" "$(l2_sum "$1" memtouch bad_pages)" -eq 0
	check_cmp "$1: L1 injected not-present" "$(trace_count "$1" apf_injected)" -gt 0
	check_cmp "$1: guest counted NOT_PRESENT" "$(pvapf_delta "$1" not_present)" -gt 0
	check_cmp "$1: guest counted READY" "$(pvapf_delta "$1" ready)" -gt 0
	check_cmp "$1: no task left asleep" "$(l2_result "$1" after sleepers_current)" -eq 0
	check_cmp "$1: no task asleep past the watchdog's bound" "$(l2_result "$1" after long_waits)" -eq 0
	check_cmp "$1: APF enabled on every vCPU" "$(l2_result "$1" after cpus_enabled)" -eq "$2"
	check_cmp "$1: no kernel-mode NOT_PRESENT" "$(l2_result "$1" after kernel_mode_faults)" -eq 0
}

# Debug L1 only: no KASAN or lockdep report, and no leak kmemleak attributes to KVM or pvapf
# (kmemleak reports an object only after it stayed unreferenced over two scans).
check_debug_kernel() {
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/results/kmemleak.txt
	# A frame in a module unloaded since (host-pending reloads KVM) prints as a bare address.
	check_cmp "debug: kmemleak found no KVM/pvapf leak" \
		"$(grep -cE 'pvapf|kvm|\] 0x[0-9a-f]+$' /results/kmemleak.txt)" -eq 0
	check_cmp "debug: no KASAN report" "$(dmesg | grep -c 'BUG: KASAN')" -eq 0
	check_cmp "debug: no lockdep report" \
		"$(dmesg | grep -cE 'possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|BUG: sleeping function')" -eq 0
}
