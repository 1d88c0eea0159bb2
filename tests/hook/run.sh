#!/usr/bin/env bash
# The libvirt hook (libvirt-hooks/pvapf-hook.c, built with ASan+UBSan) against the table in
# tests/hook/cases: each case's domain XML (domain.xml.in filled in) must be a valid libvirt
# domain (virt-xml-validate), then the hook runs on it against a fake host (a pvapf sysfs
# directory with one VM, libvirt's pid file) and its exit status, message, output and what it
# wrote are checked.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh
W=$BUILD/hook
rm -rf "$W" && mkdir -p "$W"
need_cmd hook virt-xml-validate libvirt-clients
need_cmd hook pkg-config pkg-config
make -s -C libvirt-hooks OUT="$W/bin" SAN=1 || { echo "FAIL: hook: build (libvirt-hooks/)"; exit 1; }
HOOK=$W/bin/pvapf-hook
NS=https://pvapf.org/xmlns/libvirt/1
TMPL=$(cat tests/hook/domain.xml.in)
FAILS=0
pass() { echo "PASS: hook: $*"; }
fail() { echo "FAIL: hook: $*"; FAILS=$((FAILS + 1)); }
trim() { local v=${1#"${1%%[![:space:]]*}"}; v=${v%"${v##*[![:space:]]}"}; [ "$v" = - ] && v=; echo "$v"; }

n=0
while IFS='|' read -r name op cpu meta qemu want_rc want_err want_sysfs; do
	case "$name" in '#'* | '') continue ;; esac
	name=$(trim "$name") op=$(trim "$op") cpu=$(trim "$cpu") meta=$(trim "$meta") qemu=$(trim "$qemu")
	want_rc=$(trim "$want_rc") want_err=$(trim "$want_err") want_sysfs=$(trim "$want_sysfs")
	n=$((n + 1))
	x=$TMPL
	x=${x//@NAME@/$name} x=${x//@CPU@/$cpu} x=${x//@METADATA@/${meta//NS/$NS}} x=${x//@QEMU@/$qemu}
	d=$W/$name
	mkdir -p "$d/sys/vms/4242-0" "$d/run"
	echo "$x" >"$d/domain.xml"
	if ! virt-xml-validate "$d/domain.xml" domain >"$d/validate.log" 2>&1; then
		fail "$name: fixture is not a valid libvirt domain: $(tail -n 1 "$d/validate.log")"
		continue
	fi
	echo adaptive >"$d/sys/vms/4242-0/policy"
	echo 64 >"$d/sys/vms/4242-0/max_outstanding"
	echo 4242 >"$d/run/$name.pid"
	sysfs=$d/sys
	case "$op" in
	prepare-nohost) op=prepare sysfs=$d/no-pvapf ;;
	started-novm) op=started && echo 4243 >"$d/run/$name.pid" ;;
	esac
	PVAPF_SYSFS=$sysfs PVAPF_LIBVIRT_RUN=$d/run "$HOOK" "$name" "$op" begin - <"$d/domain.xml" \
		>"$d/stdout" 2>"$d/stderr"
	rc=$?
	err=$(cat "$d/stderr")
	if [ "$rc" != "$want_rc" ]; then
		fail "$name: $op exited $rc, want $want_rc${err:+ ($err)}"
	elif [ -n "$want_err" ] && [[ "$err" != *"$want_err"* ]]; then
		fail "$name: message '$err' lacks '$want_err'"
	elif [ -z "$want_err" ] && [ -n "$err" ]; then
		fail "$name: unexpected message '$err'"
	elif [ -s "$d/stdout" ]; then
		fail "$name: printed to stdout (a filter's output replaces the XML): $(head -c 200 "$d/stdout")"
	elif [ -n "$want_sysfs" ] && [ "$(cat "$d/sys/vms/4242-0/policy") $(cat "$d/sys/vms/4242-0/max_outstanding")" != "$want_sysfs" ]; then
		fail "$name: VM settings '$(cat "$d/sys/vms/4242-0/policy") $(cat "$d/sys/vms/4242-0/max_outstanding")', want '$want_sysfs'"
	else
		pass "$name: $op exit $rc${err:+: $err}${want_sysfs:+; VM has policy/max_outstanding $want_sysfs}"
	fi
done <tests/hook/cases
[ "$n" -gt 0 ] || fail "no case read from tests/hook/cases"

# the README's complete domain (tests/libvirt starts it as written): valid, and the hook lets
# it start on a pvapf host
d=$W/readme-domain
mkdir -p "$d/sys/vms"
readme_domain >"$d/domain.xml"
if ! virt-xml-validate "$d/domain.xml" domain >"$d/validate.log" 2>&1; then
	fail "libvirt-hooks/README.md's complete domain is not a valid libvirt domain: $(tail -n 1 "$d/validate.log")"
elif ! err=$(PVAPF_SYSFS=$d/sys "$HOOK" pvapf-demo prepare begin - <"$d/domain.xml" 2>&1); then
	fail "libvirt-hooks/README.md's complete domain: the hook refuses it: $err"
else
	pass "libvirt-hooks/README.md's complete domain: valid, accepted by the hook"
fi
[ "$FAILS" = 0 ]
