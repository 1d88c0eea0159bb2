#!/usr/bin/env bash
# The soak campaign's table (tests/soak/run.sh --runs 0 --out DIR, no VM): from two runs' logs
# as tests/nested/run.sh leaves them, one clean and one with a hang in our guest, a corrupt page
# and a reset (a panic without text) in Debian's and an L1 WARN, each failure is counted in its class and guest kind, the events
# and async faults add up, the failed seed is named for replay and the exit status is 1.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rc=0
check() {
	if grep -qE "$2" "$T/table"; then
		echo "PASS: soak-table: $1"
	else
		echo "FAIL: soak-table: $1: no line matching '$2' in:"
		sed 's/^/    /' "$T/table"
		rc=1
	fi
}

mkdir -p "$T/run-7/results" "$T/run-8/results"
cat >"$T/run-7/results/l1-scenario.log" <<'EOF'
SOAK run seed=7 rounds=2 reads=1
SOAK round r0 seed=7000 guest=pvapf smp=2 policy=always kill=0
SOAK event r0 stop 0
SOAK event r0 squeeze 0
SOAK time r0 90
SOAK event r0 cpu 0
SOAK event r0 pm 0
SOAK apf r0 not_present=100 ready=101
SOAK round r1 seed=7010 guest=stock smp=1 policy=adaptive kill=1
SOAK event r1 kill 0
SOAK time r1 30
SOAK event r1 pm 1
SOAK apf r1 not_present=40 ready=40
EOF
printf 'PASS: soak: r0: L2 booted, ran and exited cleanly\n' >"$T/run-7.txt"
cat >"$T/run-8/results/l1-scenario.log" <<'EOF'
SOAK run seed=8 rounds=2 reads=1
SOAK round r0 seed=8000 guest=pvapf smp=4 policy=always kill=0
SOAK time r0 600
SOAK apf r0 not_present=5 ready=4
SOAK round r1 seed=8010 guest=stock smp=3 policy=always kill=0
SOAK time r1 60
SOAK apf r1 not_present=7 ready=7
EOF
cat >"$T/run-8.txt" <<'EOF'
PASS: soak: r1: L2 booted, ran and exited cleanly
FAIL: soak: r0: L2 did not finish within L2_TIMEOUT=600s; its last progress: memtouch
FAIL: soak: r1: every page read back intact (got 3, want -eq 0)
FAIL: soak: r1: L2 scenario did not end with rc=0 (no end marker); L2 triple-faulted: vcpu 1 reason shutdown rip 0xffffffff810c02e7
FAIL: vmtest soak: L1 kernel reported: [   12.5] WARNING: CPU: 0 PID: 1 at arch/x86/kvm/x86.c:1
EOF
tests/soak/run.sh --runs 0 --out "$T" >"$T/table" 2>&1
status=$?
check "two runs" '^runs +2$'
check "two guests of each kind" '^guests \(rounds\) +2 +2$'
check "guest-minutes per kind" '^guest-minutes +11\.5 +1\.5$'
check "events per kind, refusals apart" '^event pm \(refused\) +1 \(0\) +1 \(1\)$'
check "async faults added up" '^async faults \(NOT_PRESENT\) +105 +47$'
check "our guest's hang" '^hangs +1 +0 +\(run-level: 0\)$'
check "Debian's guest's corrupt page" '^corrupt pages +0 +1 +\(run-level: 0\)$'
check "L1's WARN at run level, Debian's guest's reset as a splat" '^splats +0 +1 +\(run-level: 1\)$'
check "the failed seed named for replay" '^failed runs \(replay: .*\): 8$'
if [ "$status" = 1 ]; then
	echo "PASS: soak-table: exit status 1"
else
	echo "FAIL: soak-table: exit status $status, want 1"
	rc=1
fi
exit $rc
