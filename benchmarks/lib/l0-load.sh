#!/usr/bin/env bash
# The load a benchmark did not cause: watches one L1 run's console (tests/nested/run.sh's
# RUNDIR/l1-console.log) from this machine (L0) and, at each timed phase's begin and end (the
# L2's "@@PVAPF CALL bench-phase begin|end NAME" lines, as L1's l2ctl echoes them), samples
# L0's CPU counters, so the report can tell what the machine spent beside the benchmark.
#   benchmarks/lib/l0-load.sh RUNDIR OUTFILE      (runs until it is killed)
# OUTFILE, a line per sample:
#   MS LABEL begin|end PHASE BUSY TOTAL STEAL OWN LOAD1
# MS: epoch milliseconds; LABEL: the L2 run (run_l2 LABEL); BUSY, TOTAL, STEAL: L0's CPU
# ticks over all its CPUs (/proc/stat; busy includes steal: time L0's own host took); OWN: the
# L1 QEMU's ticks (user + system, all its threads); LOAD1: L0's 1-minute load average.
# Another process's CPU in a phase is then (BUSY - OWN) over the phase, per CPU second.
set -u
con=$1/l1-console.log out=$2
label=-
: >"$out"

# own_ticks: the L1 QEMU's CPU ticks (its command line names the console file); 0 if none runs.
own_ticks() {
	local p
	p=$(pgrep -n -f -- "^qemu-system-x86_64 .*path=$con") &&
		awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0
}

sample() {
	local us ni sy id io hi si st
	read -r _ us ni sy id io hi si st _ </proc/stat
	echo "$(($(date +%s%N) / 1000000)) $label $1 $2 $((us + ni + sy + hi + si + st))" \
		"$((us + ni + sy + id + io + hi + si + st)) $st $(own_ticks) $(cut -d' ' -f1 /proc/loadavg)" >>"$out"
}

# the console may not exist yet (run.sh recreates the run's directory): tail -F waits for it
exec 3< <(exec tail -n +1 -F "$con" 2>/dev/null)
tailpid=$!
trap 'kill "$tailpid" 2>/dev/null; exit 0' TERM INT
while IFS= read -r line <&3; do
	case $line in
	*"run_l2 "*": kernel="*)
		label=${line#*run_l2 }
		label=${label%%:*}
		;;
	*"@@PVAPF CALL bench-phase begin "* | *"@@PVAPF CALL bench-phase end "*)
		read -r what phase _ <<<"${line#*@@PVAPF CALL bench-phase }"
		sample "$what" "${phase%$'\r'}"
		;;
	esac
done
