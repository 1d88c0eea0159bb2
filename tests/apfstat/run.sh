#!/usr/bin/env bash
# apfstat (tools/apfstat/apfstat.c, built with ASan+UBSan) against fake hosts and guests: a
# KVM debugfs with two VMs (one a libvirt domain, one with two vCPUs), a guest's counters, and
# the refusals: no pvapf, debugfs not mounted, not root, bad options. Each case checks the exit
# status and what was printed; the man page must render without warnings.
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

# --- a fake guest
G=$W/guest
mkdir -p "$G/debug/pvapf"
printf '%s\n' 'not_present 10' 'ready 9' 'woken_before_wait 2' 'emergency_uses 1' 'paused_periods 1' \
	'sleepers_current 3' 'sleepers_peak 4' 'kernel_mode_faults 5' 'late_readies 6' 'cpus_paused 1' \
	>"$G/debug/pvapf/guest_counters"
guest() { PVAPF_DEBUGFS=$G/debug PVAPF_SYSFS=$G/none "$A" "$@"; }
expect "guest: its counters (the default where only the guest is)" 0 '^ +10 +9 +2 +3 +4 +1 +1 +5 +6$' guest
expect "guest --json: every counter by name" 0 '"paused_periods": 1' guest --json
expect "host --guest on a host that is no guest: refused" 3 "--guest: this kernel runs no pvapf guest" host --guest
expect "guest --host: refused" 3 "--host: this kernel is no pvapf host" guest --host

# --- refusals
mkdir -p "$W/nopvapf/debug/tracing" "$W/unmounted/debug"
expect "no pvapf host or running guest: exit 3, says what each needs and what to install" 3 \
	'no pvapf here: .*kvm loaded.*running under KVM with async page faults.*install the pvapf host or guest kernel package' \
	env PVAPF_DEBUGFS="$W/nopvapf/debug" PVAPF_SYSFS="$W/nopvapf/sys" "$A"
expect "debugfs not mounted: exit 1, says how to mount it" 1 'debugfs is not mounted at .*mount -t debugfs' \
	env PVAPF_DEBUGFS="$W/unmounted/debug" PVAPF_SYSFS="$W/unmounted/sys" "$A"
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
