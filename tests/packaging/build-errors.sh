#!/usr/bin/env bash
# packaging/build.sh on a machine without a packaging tool stops at once and names the Debian
# package to install: run with a PATH that lacks just that tool. A bad signing key is refused.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=packages
W=$BUILD/pkgtest/errors
for case in dh_builddeb:debhelper rpmbuild:rpm dpkg-buildpackage:dpkg-dev; do
	tool=${case%%:*} pkg=${case#*:}
	bin=$W/path-without-$tool
	rm -rf "$bin" && mkdir -p "$bin"
	# every command of the normal PATH but $tool
	IFS=: read -ra dirs <<<"$PATH"
	for d in "${dirs[@]}"; do
		for f in "$d"/*; do
			[ -x "$f" ] && [ "${f##*/}" != "$tool" ] && [ ! -e "$bin/${f##*/}" ] && ln -s "$f" "$bin/"
		done
	done
	out=$(PATH=$bin "$PVAPF_ROOT/packaging/build.sh" test 2>&1)
	rc=$?
	check "without $tool: refused (exit $rc), naming the package '$pkg': $(tail -n 1 <<<"$out")" \
		grep -q "'$tool' not found: install the Debian package '$pkg'" <<<"$out"
	[ "$rc" != 0 ] || fail "without $tool: exit status 0"
	rm -rf "$bin"
done
# A maintainer's module-signing key that is not one is refused before any build.
out=$(PVAPF_SIGNING_KEY=/etc/hostname "$PVAPF_ROOT/scripts/build-kernel.sh" test 2>&1)
check "PVAPF_SIGNING_KEY that is no key: refused, naming it: $(tail -n 1 <<<"$out")" \
	grep -q "PVAPF_SIGNING_KEY=/etc/hostname: not a PEM file with a private key and its certificate" <<<"$out"
[ "$FAILS" = 0 ]
