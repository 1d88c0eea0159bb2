#!/usr/bin/env bash
# l2ctl's handover (a migration of the L2 to a second VMM, tests/nested/lib/l1.sh l2_migrate),
# with fake VMMs driven through FIFOs, l2ctl built with ASan+UBSan:
#  - handed over: the incoming VMM takes over when the first exits after SIGUSR2, a reply to
#    a request made during the handover is held and reaches the new VMM, the pidfile follows,
#    and the run's status is the new VMM's;
#  - aborted: the incoming VMM quits first, the held reply goes to the first VMM, which goes on;
#  - the guest ends during a migration (no SIGUSR2): the incoming VMM is killed and the run's
#    status is the first VMM's.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
rc=0
pass() { echo "PASS: l2ctl-handover: $*"; }
fail() { echo "FAIL: l2ctl-handover: $*"; rc=1; }
${CC:-gcc} -std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-o "$T/l2ctl" tests/nested/tools/l2ctl.c || { fail "l2ctl does not build"; echo "0 passed, 1 failed"; exit 1; }

# A fake VMM (vmm -tag TAG DIR): says it is up, echoes whatever its console brings ("vmm TAG
# got: ..."), and obeys its FIFO: "ask" prints a request on its console, "exit N" ends it
# with status N.
cat >"$T/vmm" <<'VMM'
#!/bin/sh
tag=$2 dir=$3
echo "vmm $tag up"
echo "vmm $tag args: $*"
# what a VMM has blocked of SIGUSR1 and SIGUSR2 (QEMU kicks its vCPU threads with SIGUSR1)
echo "vmm $tag blocks $(( 0x$(awk '$1 == "SigBlk:" { print $2 }' /proc/$$/status) & 0xa00 ))"
# (an asynchronous list's standard input is /dev/null: the console goes in as fd 4)
exec 4<&0
while read -r line; do echo "vmm $tag got: $line"; done <&4 &
reader=$!
exec 3<>"$dir/$tag.fifo"
while read -r cmd arg <&3; do
	case $cmd in
	ask) echo "@@PVAPF CALL echo $tag" ;;
	ask-slow) echo "@@PVAPF CALL slow" ;;
	exit)
		kill $reader
		echo "vmm $tag down"
		exit "$arg"
		;;
	esac
done
VMM
mkdir "$T/hooks"
cat >"$T/hooks/echo" <<'HOOK'
#!/bin/sh
echo "hook for $QEMU_PID: $*"
exit 5
HOOK
# a hook that keeps l2ctl busy until the test lets it go
printf '#!/bin/sh\nread -r go <"%s"\n' "$T/slow.fifo" >"$T/hooks/slow"
chmod +x "$T/vmm" "$T/hooks/echo" "$T/hooks/slow"
mkfifo "$T/A.fifo" "$T/B.fifo" "$T/slow.fifo"
# the incoming VMM: the same command line with its tag replaced (as -qmp is, in a migration)
# and an option added (-incoming)
printf '%s\n' -incoming defer -tag B >"$T/handover"

# seen PATTERN: wait (bounded: 10 s) until the log has a line matching PATTERN
seen() {
	for _ in $(seq 200); do
		grep -qE "$1" "$T/log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
expect() { if seen "$2"; then pass "$1"; else fail "$1: no line matching '$2' in the log:" && sed 's/^/    /' "$T/log"; fi; }

# ends_with STATUS WHAT: l2ctl exits with STATUS
ends_with() {
	wait $ctl
	st=$?
	if [ $st = "$1" ]; then pass "$2 ($1)"; else fail "$2: status $st, want $1"; fi
}

start() {
	: >"$T/log"
	"$T/l2ctl" --log "$T/log" --timeout 60 --hookdir "$T/hooks" --pidfile "$T/pid" \
		--handover "$T/handover" -- "$T/vmm" -tag A "$T" -more -args >"$T/out-$1" 2>&1 &
	ctl=$!
	expect "$1: the first VMM runs" '^vmm A up'
	a=$(cat "$T/pid")
}
# 1. handed over
start handover
expect "handover: the VMM runs with SIGUSR1 and SIGUSR2 unblocked" '^vmm A blocks 0$'
kill -USR1 $ctl
expect "handover: the incoming VMM starts with the handover file's arguments" "^vmm B args: -tag B $T -more -args -incoming defer\$"
expect "handover: so does the incoming VMM" '^vmm B blocks 0$'
echo ask >"$T/A.fifo"
expect "handover: a reply to the old VMM during the handover is held" '^\[l2ctl\] held until the handover ends: @@PVAPF RET 5'
kill -USR2 $ctl
expect "handover: l2ctl is told the incoming VMM runs the guest" 'incoming VMM [0-9]+ runs the guest'
echo "exit 0" >"$T/A.fifo"
expect "handover: the incoming VMM takes over" "VMM $a exited, status 0; incoming VMM [0-9]+ takes over"
expect "handover: the held reply reaches the new VMM" '^vmm B got: @@PVAPF RET 5'
b=$(cat "$T/pid")
if [ -n "$b" ] && [ "$b" != "$a" ] && grep -q "incoming VMM $b started" "$T/log"; then
	pass "handover: the pidfile names the new VMM ($a, then $b)"
else
	fail "handover: the pidfile says '$b' (first VMM $a)"
fi
echo ask >"$T/B.fifo"
expect "handover: the new VMM's requests run their hook with its pid" "^hook for $b: B"
echo "exit 3" >"$T/B.fifo"
ends_with 3 "handover: the run's status is the new VMM's"

# 2. aborted: the incoming VMM quits before taking over
start abort
kill -USR1 $ctl
expect "abort: the incoming VMM starts" '^vmm B up'
echo ask >"$T/A.fifo"
expect "abort: the reply is held" 'held until the handover ends'
echo "exit 1" >"$T/B.fifo"
expect "abort: the incoming VMM's exit is only logged" 'incoming VMM [0-9]+ exited before taking over, status 256'
expect "abort: the held reply goes to the VMM that still runs the guest" '^vmm A got: @@PVAPF RET 5'
echo "exit 4" >"$T/A.fifo"
ends_with 4 "abort: the run's status is the first VMM's"

# 3. the guest ends during a migration: no SIGUSR2
start ended
kill -USR1 $ctl
expect "ended: the incoming VMM starts" '^vmm B up'
echo "exit 0" >"$T/A.fifo"
expect "ended: the incoming VMM is killed" "VMM $a exited during a migration, status 0: incoming VMM [0-9]+ killed"
ends_with 0 "ended: the run's status is the first VMM's"

# 4. told, and the old VMM gone, while l2ctl was busy (a hook): the signal came first and
#    counts, though l2ctl sees the old VMM's end in the same wake-up
start busy
kill -USR1 $ctl
expect "busy: the incoming VMM starts" '^vmm B up'
echo ask-slow >"$T/A.fifo"
expect "busy: l2ctl runs a slow hook" 'CALL slow'
kill -USR2 $ctl
echo "exit 0" >"$T/A.fifo"
for _ in $(seq 200); do
	[ "$(awk '{ print $3 }' "/proc/$a/stat" 2>/dev/null)" = Z ] && break
	sleep 0.05
done
echo go >"$T/slow.fifo"
expect "busy: the incoming VMM takes over" "VMM $a exited, status 0; incoming VMM [0-9]+ takes over"
echo "exit 0" >"$T/B.fifo"
ends_with 0 "busy: the run's status is the new VMM's"

if grep -q 'Sanitizer\|runtime error' "$T"/out*; then fail "sanitizer report: $(cat "$T"/out*)"; else pass "no sanitizer report"; fi

exit $rc
