#!/usr/bin/env bash
# Install the pinned tree's uapi headers into $BUILD/uapi (for the ABI check in tests/unit).
# Built out of tree (O=) so the source tree stays clean for the kernel builds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_version
TREE=$BUILD/src/linux-$UPSTREAM_VERSION
tree_lock shared
[ -d "$TREE" ] || die uapi "" "no kernel tree at $TREE: run make tree"
if [ "$BUILD/uapi/include/asm/kvm_para.h" -nt "$BUILD/src/.prepared" ]; then
	exit 0
fi
stage_begin uapi "headers_install of the pinned tree"
run_logged uapi "$BUILD/logs/uapi.log" make -C "$TREE" O="$BUILD/uapi-obj" \
	INSTALL_HDR_PATH="$BUILD/uapi" headers_install
stage_end
