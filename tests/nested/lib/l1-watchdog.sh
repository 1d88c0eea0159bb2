# shellcheck shell=sh
# The L1 scenario watchdog. A scenario still running at its deadline (pvapf.deadline, in
# seconds of L1 uptime, which run.sh sets short of L0's timeout) is stuck: L1 records where
# (the scenario's last lines, every task in D state with its kernel stack, the processes,
# the pvapf host counters, each L2's last console lines), kills every process but init,
# and the results go back to L0 as after a normal end. Without it L0 kills a stuck L1 at
# its timeout and nothing but the console is left.
WATCHDOG_REPORT=/results/l1-watchdog.txt

uptime_s() { cut -d. -f1 /proc/uptime; }

# l1_watchdog DEADLINE: run in the background; returns at once if the deadline is unset.
l1_watchdog() {
	case "$1" in '' | *[!0-9]*) return 0 ;; esac
	# A bounded wait, not synchronisation: the deadline is the limit being enforced.
	left=$(($1 - $(uptime_s)))
	[ $left -gt 0 ] && sleep $left
	l1_stuck_report >"$WATCHDOG_REPORT" 2>&1
	echo "@@PVAPF L1 WATCHDOG at ${1}s of uptime; the scenario was at: $(tail -n 1 /results/l1-scenario.log)"
	sed 's/^/WD| /' "$WATCHDOG_REPORT"
	# everything but init (pid 1) and this shell: the scenario, its L2 VMMs, tee
	kill -9 -1
	# Init finishes once its wait returns; a task stuck in the kernel can keep it waiting,
	# so after a bounded wait the watchdog hands the results back itself.
	i=0
	while [ ! -d /tmp/finishing ] && [ $i -lt 30 ]; do
		sleep 1
		i=$((i + 1))
	done
	finish_l1
}

# l1_stuck_report: what L1 was doing when the watchdog fired. Most telling first (CI keeps
# the head): the user processes with their kernel stacks, then the tasks in D state, a stack
# shared by many (a VM's held page-ins) printed once.
l1_stuck_report() {
	echo "== scenario, last lines"
	tail -n 5 /results/l1-scenario.log
	echo "== processes (kernel threads left out), with kernel stacks"
	# shellcheck disable=SC2009 # busybox has no pgrep -v of kernel threads
	ps | grep -v ' \[[^]]*\]$'
	# each thread of each process but the shells: a kernel thread has an empty cmdline
	for d in /proc/[0-9]*; do
		[ -n "$(tr -d '\0' <"$d/cmdline" 2>/dev/null)" ] || continue
		case "$(cat "$d/comm" 2>/dev/null)" in init | sh | busybox | ps | grep | tee | sleep | cat) continue ;; esac
		for t in "$d"/task/*; do
			echo "-- ${d#/proc/}/${t##*/} $(cat "$t/comm") state=$(cut -d' ' -f3 "$t/stat") wchan=$(cat "$t/wchan" 2>/dev/null)"
			cat "$t/stack" 2>/dev/null
		done
	done
	echo "== tasks in D state (uninterruptible), grouped by kernel stack"
	rm -rf /tmp/wd-stacks
	mkdir -p /tmp/wd-stacks
	for d in /proc/[0-9]*; do
		# field 3 of stat is the state; comm (field 2) has no spaces in our initramfs
		[ "$(cut -d' ' -f3 "$d/stat" 2>/dev/null)" = D ] || continue
		cat "$d/stack" >/tmp/wd-stacks/cur 2>/dev/null
		g=/tmp/wd-stacks/$(md5sum </tmp/wd-stacks/cur | cut -c1-8)
		[ -f "$g.stack" ] || mv /tmp/wd-stacks/cur "$g.stack"
		echo "${d#/proc/} $(cat "$d/comm") wchan=$(cat "$d/wchan" 2>/dev/null)" >>"$g.tasks"
	done
	for g in /tmp/wd-stacks/*.tasks; do
		[ -f "$g" ] || continue
		echo "-- $(wc -l <"$g") task(s), the first: $(head -n 1 "$g")"
		cat "${g%.tasks}.stack"
	done
	echo "== pvapf host"
	echo "outstanding $(global_outstanding 2>/dev/null)"
	for f in /sys/kernel/debug/kvm/*/pvapf_counters; do
		[ -r "$f" ] && echo "-- $f" && cat "$f"
	done
	for f in /results/*-l2.log; do
		[ -f "$f" ] && echo "== ${f#/results/}, last lines" && tail -n 5 "$f"
	done
	echo "== kernel log, last lines"
	dmesg | tail -n 40
}
