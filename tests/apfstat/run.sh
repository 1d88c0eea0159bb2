#!/usr/bin/env bash
# apfstat (tools/apfstat/apfstat.c, built with ASan+UBSan) against fake hosts and guests: a
# KVM debugfs with two VMs (one a libvirt domain, one with two vCPUs), a guest's counters,
# -w's rates and levels with counters that move between two samples (fed through FIFOs), and
# the refusals: no pvapf, debugfs not mounted (also on a host with VMs), not root, bad options.
# Each case checks the exit status and what was printed; the man page must render without warnings.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh
W=$BUILD/apfstat
rm -rf "$W" && mkdir -p "$W"
make -s -C tools/apfstat OUT="$W/bin" SAN=1 || { echo "FAIL: apfstat: build (tools/apfstat/)"; exit 1; }
A=$W/bin/apfstat
FAILS=0
pass() { echo "PASS: apfstat: $*"; }
fail() { echo "FAIL: apfstat: $*"; FAILS=$((FAILS + 1)); }

# --- a fake host: VM 4242-11 is libvirt's web1 with two vCPUs, VM 777-9 has no domain
H=$W/host
mkdir -p "$H/debug/kvm/4242-11/vcpu0" "$H/debug/kvm/4242-11/vcpu1" "$H/debug/kvm/777-9" \
	"$H/debug/kvm/other" "$H/sys/vms/4242-0" "$H/sys/vms/777-0" "$H/run"
printf '%s\n' 'async_started 120' 'sync_policy_off 0' 'sync_cannot_deliver 5' 'sync_adaptive 40' \
	'not_present 120' 'ready 118' 'refault 3' 'swapin_samples 160' 'swapin_ns_total 129920000' \
	'swapin_ns_max 5123000' 'halted 7' 'outstanding 2' 'policy adaptive' >"$H/debug/kvm/4242-11/pvapf_counters"
printf '%s\n' 'async_started 70' 'not_present 70' 'halted 3' 'outstanding 1' >"$H/debug/kvm/4242-11/vcpu0/pvapf_counters"
printf '%s\n' 'async_started 50' 'not_present 50' 'halted 4' 'outstanding 1' >"$H/debug/kvm/4242-11/vcpu1/pvapf_counters"
printf '%s\n' 'async_started 1' 'sync_policy_off 9' 'policy off' >"$H/debug/kvm/777-9/pvapf_counters"
echo 4242 >"$H/run/web1.pid"
echo 999 >"$H/run/other.pid"
host() { PVAPF_DEBUGFS=$H/debug PVAPF_SYSFS=$H/sys PVAPF_LIBVIRT_RUN=$H/run "$A" "$@"; }

# expect NAME RC PATTERN CMD...: CMD exits RC and its output (stdout and stderr) matches the
# extended regular expression PATTERN.
expect() {
	local name=$1 rc=$2 pat=$3 out got
	shift 3
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" != "$rc" ]; then
		fail "$name: exit $got, want $rc: $(head -n 3 <<<"$out" | tr '\n' ' ')"
	elif ! grep -qE -- "$pat" <<<"$out"; then
		fail "$name: output lacks /$pat/: $(head -n 5 <<<"$out" | tr '\n' '|')"
	else
		pass "$name"
	fi
}

expect "host: web1's line (domain from libvirt's pid file, totals, sync reasons added up, swap-in mean)" 0 \
	'^web1 +4242 adaptive +120 +120 +118 +3 +7 +45 +812\.0 +5123\.0 +2$' host
expect "host: a VM of no libvirt domain is '-'" 0 '^- +777 off +1 +0 +0 +0 +0 +9 ' host
expect "host: no vCPU lines without -v" 0 '^DOMAIN' bash -c "! $(declare -f host); A=$A H=$H; host | grep -q vcpu && exit 1; host"
expect "host -v: a line per vCPU" 0 '^  vcpu1 +50 +50 +0 +0 +4 ' host -v
# JSON: every counter by name, vCPUs with -v, rates with -w (a fixture that does not move: 0/s)
out=$(host -v --json)
if python3 - "$out" <<'PY'; then pass "host --json -v: domains, counters by name, vCPUs, swap-in mean"; else fail "host --json -v: $out"; fi
import json, sys
d = json.loads(sys.argv[1])
vms = {v["pid"]: v for v in d["vms"]}
w = vms[4242]
assert d["mode"] == "host" and w["domain"] == "web1" and vms[777]["domain"] is None
assert w["policy"] == "adaptive" and w["counters"]["async_started"] == 120 and w["counters"]["halted"] == 7
assert abs(w["swapin_us_mean"] - 812.0) < 1e-6
assert [c["vcpu"] for c in w["vcpus"]] == [0, 1] and w["vcpus"][1]["counters"]["halted"] == 4
PY
out=$(host -w 0.1 -c 2 --json)
if python3 - "$out" <<'PY'; then pass "host -w 0.1 -c 2 --json: two reports of rates (0/s), gauges as they are"; else fail "host -w --json: $out"; fi
import json, sys
lines = sys.argv[1].splitlines()
assert len(lines) == 2, lines
for l in lines:
    d = json.loads(l)
    w = [v for v in d["vms"] if v["pid"] == 4242][0]
    assert d["rates"] and d["interval_s"] > 0
    assert w["counters"]["async_started"] == 0 and w["counters"]["outstanding"] == 2
    assert w["counters"]["swapin_ns_max"] == 5123000
PY
expect "host -w: per-second header" 0 '^DOMAIN +PID +POLICY +ASYNC/s' host -w 0.1 -c 1

# --- -w with counters that move between samples. feed LINK FILE...: LINK (a counters file
# apfstat reads) gives FILE1's lines to apfstat's first read, FILE2's to its second, and so on:
# LINK points at a FIFO (set up before feed returns); a background writer, once apfstat has
# opened FIFO i (the writer's open returns), moves LINK to FIFO i+1 and only then writes FILE i
# and closes it. So apfstat's next read can only find the next FIFO: no sleep, no race. After
# the last FILE, LINK is a plain copy of it. The writer's pid is in FEEDER.
feed() {
	local link=$1 n i
	shift
	n=$#
	for ((i = 0; i < n; i++)); do mkfifo "$link.fifo$i" || return 1; done
	ln -sfn "${link##*/}.fifo0" "$link"
	{
		i=0
		for f in "$@"; do
			exec 3>"$link.fifo$i"
			if [ $((i + 1)) -lt "$n" ]; then
				ln -s "${link##*/}.fifo$((i + 1))" "$link.next"
			else
				cp "$f" "$link.next"
			fi
			mv -T "$link.next" "$link"
			cat "$f" >&3
			exec 3>&-
			rm -f "$link.fifo$i"
			i=$((i + 1))
		done
	} &
	FEEDER=$!
}
# moving FILE CMD...: CMD (apfstat -w ... -c 1) with FILE fed $W/sample-a, then $W/sample-b;
# its output in $W/moving.out
moving() {
	local f=$1 rc
	shift
	feed "$f" "$W/sample-a" "$W/sample-b" || return 1
	timeout -k 5 60 "$@" >"$W/moving.out" 2>&1
	rc=$?
	kill "$FEEDER" 2>/dev/null
	wait "$FEEDER" 2>/dev/null
	rm -f "$f".fifo* "$f.next"
	return $rc
}
rm -rf "$W/moving" && cp -a "$H" "$W/moving"
printf '%s\n' 'async_started 1000' 'sync_adaptive 10' 'not_present 1000' 'ready 990' 'refault 1' \
	'swapin_samples 100' 'swapin_ns_total 100000000' 'swapin_ns_max 2000000' 'halted 5' \
	'outstanding 3' 'swapin_ns_mean 1000000' 'policy adaptive' 'swapin_ewma_ns 900000' >"$W/sample-a"
# +500 async (and NOT_PRESENT), +400 READY, +20 sync, +50 swap-ins of 3 ms: mean 3000 us over
# the interval; the levels move too (a new peak, fewer in flight, a new mean)
printf '%s\n' 'async_started 1500' 'sync_adaptive 30' 'not_present 1500' 'ready 1390' 'refault 1' \
	'swapin_samples 150' 'swapin_ns_total 250000000' 'swapin_ns_max 7000000' 'halted 5' \
	'outstanding 1' 'swapin_ns_mean 1666666' 'policy adaptive' 'swapin_ewma_ns 2500000' >"$W/sample-b"
MHOST=(env PVAPF_DEBUGFS="$W/moving/debug" PVAPF_SYSFS="$W/moving/sys" PVAPF_LIBVIRT_RUN="$W/moving/run" "$A")
if moving "$W/moving/debug/kvm/4242-11/pvapf_counters" "${MHOST[@]}" -w 0.2 -c 1 --json && python3 - "$W/moving.out" <<'PY'; then
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
d = json.loads(lines[0])
dt = d["interval_s"]
w = [v for v in d["vms"] if v["pid"] == 4242][0]
c = w["counters"]
def rate(name, delta):
    assert abs(c[name] * dt - delta) <= 0.01 * delta, (name, c[name], dt, delta)
rate("async_started", 500); rate("not_present", 500); rate("ready", 400); rate("sync_adaptive", 20)
assert c["refault"] == 0 and c["halted"] == 0, c
# levels as they are in the second sample, never per second
assert c["outstanding"] == 1 and c["swapin_ns_max"] == 7000000, c
assert c["swapin_ns_mean"] == 1666666 and c["swapin_ewma_ns"] == 2500000, c
assert abs(w["swapin_us_mean"] - 3000.0) < 1e-6, w
PY
	pass "host -w --json, counters moving between samples: rates = change / interval, levels (swapin_ns_mean, swapin_ns_max, outstanding, swapin_ewma_ns) as they are"
else
	fail "host -w --json, counters moving: $(head -c 600 "$W/moving.out")"
fi
if moving "$W/moving/debug/kvm/4242-11/pvapf_counters" "${MHOST[@]}" -w 0.2 -c 1 &&
	awk '$1 == "web1" { if ($4 <= 0 || $4 > 2500 || $5 != $4 || $6 / $4 < 0.799 || $6 / $4 > 0.801 ||
		$9 / $4 < 0.0399 || $9 / $4 > 0.0401 || $10 != "3000.0" || $11 != "7000.0" || $12 != 1) exit 1; found = 1 }
		END { exit !found }' "$W/moving.out"; then
	pass "host -w, counters moving: ASYNC/s = NOTPRES/s (500 in <= 0.2 s), READY/s 0.8 and SYNC/s 0.04 of it (deltas 400, 20), SWAPIN_US 3000.0 over the interval, SWAPMAX_US and INFLIGHT as they are"
else
	fail "host -w, counters moving: $(tr '\n' '|' <"$W/moving.out")"
fi

# --- a fake guest
G=$W/guest
mkdir -p "$G/debug/pvapf"
printf '%s\n' 'not_present 10' 'ready 9' 'woken_before_wait 2' 'emergency_uses 1' 'paused_periods 1' \
	'sleepers_current 3' 'sleepers_peak 4' 'kernel_mode_faults 5' 'late_readies 6' 'cpus_paused 1' \
	>"$G/debug/pvapf/guest_counters"
guest() { PVAPF_DEBUGFS=$G/debug PVAPF_SYSFS=$G/none "$A" "$@"; }
expect "guest: its counters (the default where only the guest is)" 0 '^ +10 +9 +2 +3 +4 +1 +1 +5 +6$' guest
expect "guest --json: every counter by name" 0 '"paused_periods": 1' guest --json
# the guest's levels with -w: cpus_enabled, sleepers_current, sleepers_peak, cpus_paused
rm -rf "$W/mguest" && cp -a "$G" "$W/mguest"
printf '%s\n' 'not_present 100' 'ready 90' 'sleepers_current 2' 'sleepers_peak 4' 'late_readies 0' \
	'cpus_enabled 2' 'cpus_paused 0' >"$W/sample-a"
printf '%s\n' 'not_present 300' 'ready 250' 'sleepers_current 5' 'sleepers_peak 9' 'late_readies 0' \
	'cpus_enabled 4' 'cpus_paused 1' >"$W/sample-b"
MGUEST=(env PVAPF_DEBUGFS="$W/mguest/debug" PVAPF_SYSFS="$W/mguest/none" "$A")
if moving "$W/mguest/debug/pvapf/guest_counters" "${MGUEST[@]}" -w 0.2 -c 1 --json && python3 - "$W/moving.out" <<'PY'; then
import json, sys
d = json.loads(open(sys.argv[1]).read())
c, dt = d["counters"], d["interval_s"]
assert abs(c["not_present"] * dt - 200) <= 2 and abs(c["ready"] * dt - 160) <= 1.6, (c, dt)
assert c["cpus_enabled"] == 4 and c["cpus_paused"] == 1, c
assert c["sleepers_current"] == 5 and c["sleepers_peak"] == 9 and c["late_readies"] == 0, c
PY
	pass "guest -w --json, counters moving: rates = change / interval, levels (cpus_enabled, cpus_paused, sleepers) as they are"
else
	fail "guest -w --json, counters moving: $(head -c 600 "$W/moving.out")"
fi
expect "host --guest on a host that is no guest: refused" 3 "--guest: this kernel runs no pvapf guest" host --guest
expect "guest --host: refused" 3 "--host: this kernel is no pvapf host" guest --host

# --- refusals
mkdir -p "$W/nopvapf/debug/tracing" "$W/unmounted/debug"
expect "no pvapf host or running guest: exit 3, says what each needs and what to install" 3 \
	'no pvapf here: .*kvm loaded.*running under KVM with async page faults.*install the pvapf host or guest kernel package' \
	env PVAPF_DEBUGFS="$W/nopvapf/debug" PVAPF_SYSFS="$W/nopvapf/sys" "$A"
expect "debugfs not mounted: exit 1, says how to mount it" 1 'debugfs is not mounted at .*mount -t debugfs' \
	env PVAPF_DEBUGFS="$W/unmounted/debug" PVAPF_SYSFS="$W/unmounted/sys" "$A"
# a pvapf host (its sysfs lists two VMs) whose debugfs is not mounted: never "no VMs"
mkdir -p "$W/hostunmounted/debug" "$W/hostunmounted/sys/vms/4242-0" "$W/hostunmounted/sys/vms/777-0"
hu() { PVAPF_DEBUGFS=$W/hostunmounted/debug PVAPF_SYSFS=$W/hostunmounted/sys "$A" "$@"; }
for o in "" "--json" "-w 0.1 -c 1"; do
	# shellcheck disable=SC2086 # the options, split
	expect "pvapf host with VMs, debugfs not mounted${o:+ ($o)}: exit 1, says how to mount it" 1 \
		'^apfstat: debugfs is not mounted at .*mount -t debugfs' hu $o
	# shellcheck disable=SC2086
	out=$(hu $o 2>/dev/null)
	if [ -z "$out" ]; then pass "... and prints no VM list${o:+ ($o)}"; else fail "debugfs not mounted${o:+ ($o)}: printed '$out'"; fi
done
# debugfs mounted but without KVM's directory while sysfs lists VMs: their counters are unreadable
mkdir -p "$W/hostnokvm/debug/tracing" "$W/hostnokvm/sys/vms/4242-0"
expect "pvapf host with VMs, no kvm in debugfs: exit 1, names the VMs it cannot read" 1 \
	"^apfstat: 1 VM in $W/hostnokvm/sys/vms but no $W/hostnokvm/debug/kvm" \
	env PVAPF_DEBUGFS="$W/hostnokvm/debug" PVAPF_SYSFS="$W/hostnokvm/sys" "$A"
# and a pvapf host without VMs (KVM's debugfs directory empty) is an empty list, exit 0
mkdir -p "$W/hostidle/debug/kvm" "$W/hostidle/sys/vms"
expect "pvapf host without VMs: an empty list, exit 0" 0 '^\{"mode": "host", "vms": \[\]\}$' \
	env PVAPF_DEBUGFS="$W/hostidle/debug" PVAPF_SYSFS="$W/hostidle/sys" "$A" --json
if [ "$(id -u)" = 0 ]; then
	expect "not root: exit 4, says to run it as root" 4 'only root can read: run it as root' \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$A"
else
	expect "not root: exit 4, says to run it as root" 4 'only root can read: run it as root' "$A"
fi
expect "-w 0: refused naming it" 2 "-w '0': want seconds, a number above 0" host -w 0
expect "-c 1.5: refused naming it" 2 "-c '1.5': want a whole number above 0" host -w 1 -c 1.5
expect "-c without -w: refused" 2 '-c needs -w' host -c 3
expect "an unknown option: usage" 2 '^usage: apfstat' host --bogus
expect "-v in a guest: refused" 2 '-v is for a host' guest -v
expect "--help: usage, exit 0" 0 '^usage: apfstat' "$A" --help

# --- the man page renders, without groff warnings
if out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l tools/apfstat/apfstat.8 2>&1 >/dev/null) && [ -z "$out" ]; then
	pass "apfstat.8 renders without warnings"
else
	fail "apfstat.8: $out"
fi
[ "$FAILS" = 0 ]
