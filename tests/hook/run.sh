#!/usr/bin/env bash
# The libvirt hook (libvirt-hooks/pvapf-hook.c, built with ASan+UBSan) against the table in
# tests/hook/cases: each case's domain XML (domain.xml.in filled in) must be a valid libvirt
# domain (virt-xml-validate), then the hook runs on it against a fake host (a pvapf sysfs
# directory with one VM, libvirt's pid file) and its exit status, message, output and what it
# wrote are checked. Then domains over 16 MiB, the README's complete domain, and the man page.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh
W=$BUILD/hook
rm -rf "$W" && mkdir -p "$W"
need_cmd hook virt-xml-validate libvirt-clients
need_cmd hook pkg-config pkg-config
need_cmd hook man man-db
make -s -C libvirt-hooks OUT="$W/bin" SAN=1 || { echo "FAIL: hook: build (libvirt-hooks/)"; exit 1; }
HOOK=$W/bin/pvapf-hook
NS=https://pvapf.org/xmlns/libvirt/1
TMPL=$(cat tests/hook/domain.xml.in)
FAILS=0
pass() { echo "PASS: hook: $*"; }
fail() { echo "FAIL: hook: $*"; FAILS=$((FAILS + 1)); }
trim() { local v=${1#"${1%%[![:space:]]*}"}; v=${v%"${v##*[![:space:]]}"}; [ "$v" = - ] && v=; echo "$v"; }

# domain_xml NAME TYPE ELEMENTS METADATA CMDLINE QEMU: domain.xml.in filled in (QA(x) in QEMU
# is <qemu:arg value='x'/>)
domain_xml() {
	local x=$TMPL q=$6
	while [[ $q =~ QA\(([^\)]*)\) ]]; do
		q=${q/"${BASH_REMATCH[0]}"/"<qemu:arg value='${BASH_REMATCH[1]}'/>"}
	done
	[ -n "$q" ] && q="<qemu:commandline>$q</qemu:commandline>"
	x=${x//@NAME@/$1} x=${x//@TYPE@/$2} x=${x//@ELEMENTS@/$3} x=${x//@METADATA@/${4//NS/$NS}}
	x=${x//@CMDLINE@/${5:+<cmdline>$5</cmdline>}} x=${x//@QEMU@/$q}
	echo "$x"
}

# fake_host DIR NAME: a pvapf sysfs with VM 4242-0 at the host's defaults, and NAME's QEMU pid
fake_host() {
	mkdir -p "$1/sys/vms/4242-0" "$1/run"
	echo adaptive >"$1/sys/vms/4242-0/policy"
	echo 64 >"$1/sys/vms/4242-0/max_outstanding"
	echo 4242 >"$1/run/$2.pid"
}
vm_settings() { echo "$(cat "$1/sys/vms/4242-0/policy") $(cat "$1/sys/vms/4242-0/max_outstanding")"; }

n=0
while IFS='|' read -r name op type elements meta cmdline qemu want_rc want_err want_sysfs; do
	case "$name" in '#'* | '') continue ;; esac
	name=$(trim "$name") op=$(trim "$op") type=$(trim "$type") elements=$(trim "$elements")
	meta=$(trim "$meta") cmdline=$(trim "$cmdline") qemu=$(trim "$qemu")
	want_rc=$(trim "$want_rc") want_err=$(trim "$want_err") want_sysfs=$(trim "$want_sysfs")
	n=$((n + 1))
	d=$W/$name
	fake_host "$d" "$name"
	domain_xml "$name" "$type" "$elements" "$meta" "$cmdline" "$qemu" >"$d/domain.xml"
	if ! virt-xml-validate "$d/domain.xml" domain >"$d/validate.log" 2>&1; then
		fail "$name: fixture is not a valid libvirt domain: $(tail -n 1 "$d/validate.log")"
		continue
	fi
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
	elif [ -n "$want_sysfs" ] && [ "$(vm_settings "$d")" != "$want_sysfs" ]; then
		fail "$name: VM settings '$(vm_settings "$d")', want '$want_sysfs'"
	else
		pass "$name: $op exit $rc${err:+: $err}${want_sysfs:+; VM has policy/max_outstanding $want_sysfs}"
	fi
done <tests/hook/cases
[ "$n" -gt 0 ] || fail "no case read from tests/hook/cases"

# Over 16 MiB (libvirt's XML on stdin is trusted, whatever its size): a 9 MiB <description>
# and 9 MiB of another application's metadata (each text under libxml2's 10 MB text limit,
# so that the fixture validates), pvapf's element, if any, after them
big() { head -c $((9 << 20)) /dev/zero | tr '\0' x; }
for c in no-element:- element:"<pvapf:asyncpf xmlns:pvapf='NS' policy='always' max-outstanding='8'/>"; do
	name=huge-${c%%:*} el=$(trim "${c#*:}")
	d=$W/$name
	fake_host "$d" "$name"
	x=$(domain_xml "$name" kvm "<cpu mode='host-passthrough'/><description>@BIG@</description>" \
		"<junk:data xmlns:junk='https://example.org/junk/1'>@BIG@</junk:data>$el" "" "")
	while [[ $x == *@BIG@* ]]; do printf '%s' "${x%%@BIG@*}" && big && x=${x#*@BIG@}; done >"$d/domain.xml"
	printf '%s\n' "$x" >>"$d/domain.xml"
	size=$(stat -c %s "$d/domain.xml")
	if ! virt-xml-validate "$d/domain.xml" domain >"$d/validate.log" 2>&1; then
		fail "$name: fixture is not a valid libvirt domain: $(tail -n 1 "$d/validate.log")"
		continue
	fi
	for op in prepare started; do
		PVAPF_SYSFS=$d/sys PVAPF_LIBVIRT_RUN=$d/run "$HOOK" "$name" "$op" begin - \
			<"$d/domain.xml" >"$d/stdout" 2>"$d/stderr"
		rc=$?
		if [ "$rc" != 0 ] || [ -s "$d/stderr" ] || [ -s "$d/stdout" ]; then
			fail "$name ($size bytes): $op exited $rc: $(head -c 300 "$d/stderr")"
			continue 2
		fi
	done
	want="adaptive 64"
	[ -n "$el" ] && want="always 8"
	if [ "$(vm_settings "$d")" != "$want" ]; then
		fail "$name ($size bytes): VM settings '$(vm_settings "$d")', want '$want'"
	else
		pass "$name: a $size-byte domain: prepare and started exit 0; VM has policy/max_outstanding $want"
	fi
done

# the README's complete domains (tests/libvirt starts them as written): valid, and the hook lets
# them start on a pvapf host
for name in pvapf-demo pvapf-disk; do
	d=$W/readme-$name
	mkdir -p "$d/sys/vms"
	readme_domain "$name" >"$d/domain.xml"
	if ! grep -q "<name>$name</name>" "$d/domain.xml"; then
		fail "libvirt-hooks/README.md has no complete domain named $name"
	elif ! virt-xml-validate "$d/domain.xml" domain >"$d/validate.log" 2>&1; then
		fail "libvirt-hooks/README.md's domain $name is not a valid libvirt domain: $(tail -n 1 "$d/validate.log")"
	elif ! err=$(PVAPF_SYSFS=$d/sys "$HOOK" "$name" prepare begin - <"$d/domain.xml" 2>&1); then
		fail "libvirt-hooks/README.md's domain $name: the hook refuses it: $err"
	else
		pass "libvirt-hooks/README.md's domain $name: valid, accepted by the hook"
	fi
done

# the man page renders, without groff warnings
if out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
	libvirt-hooks/pvapf-hook.8 2>&1 >/dev/null) && [ -z "$out" ]; then
	pass "pvapf-hook.8 renders without warnings"
else
	fail "pvapf-hook.8: $out"
fi
[ "$FAILS" = 0 ]
