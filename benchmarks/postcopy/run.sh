#!/usr/bin/env bash
# The post-copy benchmark (make bench-postcopy, make bench-postcopy-quick): benchmarks/lib/run.sh
# has its options, knobs and what it writes.
exec "$(dirname "$0")/../lib/run.sh" postcopy "$@"
