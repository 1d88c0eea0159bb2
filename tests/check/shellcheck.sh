#!/usr/bin/env bash
# Runs shellcheck on every shell script of the tree (files named *.sh and files whose first line
# runs a shell), with the settings of the nearest .shellcheckrc. One PASS/FAIL line per file.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
command -v shellcheck >/dev/null ||
	{ echo "FAIL: shellcheck: not installed: install the Debian package 'shellcheck' (or run: make deps)"; exit 1; }
git ls-files -z | while IFS= read -r -d '' f; do
	case "$f" in
	*.sh) ;;
	*) head -n1 "$f" 2>/dev/null | grep -qE '^#!.*(/|env )(ba|da|busybox )?sh( |$)' || continue ;;
	esac
	if out=$(shellcheck -x "$f" 2>&1); then
		echo "PASS: shellcheck: $f"
	else
		echo "FAIL: shellcheck: $f"
		while IFS= read -r l; do echo "    $l"; done <<<"$out"
	fi
done
