#!/usr/bin/env bash
# packaging/build.sh on a machine without a packaging tool stops at once and names the Debian
# package to install: run with a PATH that lacks just that tool; so does a flavour's config
# without pahole, which its BTF needs. A bad signing key is refused. A
# step of the kernel's staging that fails (modules_install, made to fail) stops the build with no
# package made.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
T=packages
W=$BUILD/pkgtest/errors
for case in dh_builddeb:debhelper:packaging/build.sh:test rpmbuild:rpm:packaging/build.sh:test \
	dpkg-buildpackage:dpkg-dev:packaging/build.sh:test pahole:dwarves:scripts/build-kernel.sh:guest:config-only; do
	IFS=: read -ra c <<<"$case"
	tool=${c[0]} pkg=${c[1]} cmd=("$PVAPF_ROOT/${c[2]}" "${c[@]:3}")
	bin=$W/path-without-$tool
	rm -rf "$bin" && mkdir -p "$bin"
	# every command of the normal PATH but $tool
	IFS=: read -ra dirs <<<"$PATH"
	for d in "${dirs[@]}"; do
		for f in "$d"/*; do
			[ -x "$f" ] && [ "${f##*/}" != "$tool" ] && [ ! -e "$bin/${f##*/}" ] && ln -s "$f" "$bin/"
		done
	done
	out=$(PATH=$bin "${cmd[@]}" 2>&1)
	rc=$?
	check "without $tool: refused (exit $rc), naming the package '$pkg': $(tail -n 1 <<<"$out")" \
		grep -q "'$tool' not found: install the Debian package '$pkg'" <<<"$out"
	[ "$rc" != 0 ] || fail "without $tool: exit status 0"
	rm -rf "$bin"
done
# A failed step while staging the kernel's files stops the build: no package from an incomplete
# staging. A `make` earlier in PATH fails kbuild's modules_install into the staging (not the
# kernel build's own, into obj-test/modroot) and passes everything else on.
bin=$W/path-failing-modules-install
rm -rf "$bin" "$W/dist" && mkdir -p "$bin"
# shellcheck disable=SC2016 # the fake make's own $* and $@
printf '#!/bin/sh\ncase " $* " in *" INSTALL_MOD_PATH=%s/"*" modules_install "*)\n\techo "injected: modules_install failed" >&2; exit 2 ;;\nesac\nexec %s "$@"\n' \
	"$BUILD/pkg" \
	"$(command -v make)" >"$bin/make"
chmod +x "$bin/make"
out=$(PATH=$bin:$PATH DIST=$W/dist "$PVAPF_ROOT/packaging/build.sh" test 2>&1)
rc=$?
made=$(find "$W/dist" -name '*.deb' -o -name '*.rpm' 2>/dev/null | tr '\n' ' ')
check "modules_install failing: exit $rc, not 0" test "$rc" != 0
check "modules_install failing: no package made${made:+ (made: $made)}" test -z "$made"
check "modules_install failing: the error names the staging: $(grep -m1 '^ERROR' <<<"$out")" \
	grep -q '^ERROR \[stage-test\]: .*modules_install' <<<"$out"
rm -rf "$bin" "$W/dist"
# A maintainer's module-signing key that is not one is refused before any build.
out=$(PVAPF_SIGNING_KEY=/etc/hostname "$PVAPF_ROOT/scripts/build-kernel.sh" test 2>&1)
check "PVAPF_SIGNING_KEY that is no key: refused, naming it: $(tail -n 1 <<<"$out")" \
	grep -q "PVAPF_SIGNING_KEY=/etc/hostname: not a PEM file with a private key and its certificate" <<<"$out"
[ "$FAILS" = 0 ]
