#!/usr/bin/env bash
# Copy a dynamically linked binary into a staging root with some of its libraries replaced
# by generated stubs that abort if ever called.
#   copy-with-stub-libs.sh STAGE BINARY SONAME...
# Why: Debian's fio links the libraries of every I/O engine it has (ceph, gluster, rdma,
# nbd, pmem); with their dependencies that is ~79 MiB, which the L2 image (unpacked into L2
# RAM, loaded by every L2 boot) cannot carry. The benchmark only uses ioengine=mmap. fio is
# linked with BIND_NOW, so each stub defines every symbol (and symbol version) the binary
# imports from the library it replaces; the real libraries it keeps are copied with theirs.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

STAGE=$1 BIN=$2
shift 2
STUBS=" $* "
WORK=$BUILD/vmtest/stub-libs
mkdir -p "$WORK"
need_cmd initramfs objdump binutils
need_cmd initramfs gcc build-essential

# copy_file PATH: into the staging root at the same path.
copy_file() {
	mkdir -p "$STAGE$(dirname "$1")"
	cp -L "$1" "$STAGE$1"
}

copy_file "$BIN"
# The binary's own (direct) libraries: soname and where the loader finds it.
ldd "$BIN" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' >"$WORK/all"
direct=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
# Symbols the binary imports: "name version" (version "Base" when unversioned).
objdump -T "$BIN" | awk '/\*UND\*/ && $2 != "w" { v = $(NF - 1); gsub(/[()]/, "", v); print $NF, v }' \
	>"$WORK/imports"

for so in $direct; do
	path=$(awk -v s="$so" '$1 == s { print $2 }' "$WORK/all")
	[ -n "$path" ] || die initramfs "" "$BIN needs $so, which ldd cannot find"
	if [ "${STUBS#* "$so" }" = "$STUBS" ]; then
		# kept: the library and everything it loads
		copy_file "$path"
		for dep in $(ldd "$path" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
			[ -e "$STAGE$dep" ] || copy_file "$dep"
		done
		continue
	fi
	# stub: the imports this library defines, grouped by version node
	nm -D --defined-only "$path" | awk '{ n = $3; sub(/@.*/, "", n); print n }' | sort -u >"$WORK/$so.defs"
	awk 'NR == FNR { d[$1] = 1; next } ($1 in d)' "$WORK/$so.defs" "$WORK/imports" | sort -u >"$WORK/$so.syms"
	[ -s "$WORK/$so.syms" ] || die initramfs "" "no imports of $BIN found in $so"
	{
		echo '#include <stdlib.h>'
		awk '{ printf "void %s(void);\nvoid %s(void) { abort(); }\n", $1, $1 }' "$WORK/$so.syms"
	} >"$WORK/$so.c"
	awk '$2 != "Base" { s[$2] = s[$2] "\t" $1 ";\n" }
		END { for (v in s) printf "%s {\nglobal:\n%s};\n", v, s[v] }' "$WORK/$so.syms" >"$WORK/$so.map"
	flags=(-shared -fPIC -O2 -Wall -Wextra -Werror "-Wl,-soname,$so")
	[ -s "$WORK/$so.map" ] && flags+=("-Wl,--version-script,$WORK/$so.map")
	mkdir -p "$STAGE$(dirname "$path")"
	run_logged initramfs "$BUILD/logs/stub-$so.log" gcc "${flags[@]}" -o "$STAGE$path" "$WORK/$so.c"
done
# the dynamic loader itself
interp=$(readelf -l "$BIN" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
[ -e "$STAGE$interp" ] || copy_file "$interp"
