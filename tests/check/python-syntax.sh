#!/usr/bin/env bash
# Every Python file of the tree parses (compiled in memory: no .pyc left behind).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
git ls-files -z '*.py' | while IFS= read -r -d '' f; do
	if out=$(python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f" 2>&1); then
		echo "PASS: python-syntax: $f"
	else
		echo "FAIL: python-syntax: $f: $out"
	fi
done
