#!/usr/bin/env bash
# The overcommit benchmark suite (make bench, make bench-quick): benchmarks/lib/run.sh has
# its options, knobs and what it writes.
exec "$(dirname "$0")/../lib/run.sh" overcommit "$@"
