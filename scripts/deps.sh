#!/usr/bin/env bash
# Install every Debian package the build, the nested harness and the tests need.
# Idempotent: does nothing (and needs no network) when all are present.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_version

PKGS=(
	# kernel build
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod zstd xz-utils rsync ccache
	python3
	# the pinned base tree and Debian's configs
	"linux-source-6.12=$DEB_VERSION" "linux-config-6.12=$DEB_VERSION"
	# nested harness: L0 QEMU (TCG), the same QEMU + libs copied into L1, busybox for inits
	qemu-system-x86 qemu-utils busybox-static
	# a swap device with added read latency in L1 (dm-delay), for the host's adaptive policy
	dmsetup
	# unit tests under sanitizers
	libtsan2 libasan8 libubsan1
	# benchmarks (fio also goes into the L2 image; plots with Debian's python3)
	fio python3-matplotlib
	# shell scripts are checked by the suite (tests/check/shellcheck.sh)
	shellcheck
	# packages (packaging/build.sh) and their install-and-boot tests (tests/packaging): a
	# Debian root to install into, an ext4 image of it and its report read back (e2fsprogs)
	debhelper dpkg-dev lintian rpm rpmlint debootstrap e2fsprogs bzip2
	# the libvirt hook (libvirt-hooks/, C on libxml2) and its fixtures' validation
	libxml2-dev pkg-config libvirt-clients
	# apfstat's man page is rendered by its test (tests/apfstat)
	man-db
)

missing=()
for p in "${PKGS[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
	case "$have" in
	"install ok installed "*)
		[ "$want" = "$p" ] || [ "${have##* }" = "$want" ] || missing+=("$p")
		;;
	*) missing+=("$p") ;;
	esac
done

stage_begin deps "checking ${#PKGS[@]} Debian packages"
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die deps "" "need root to install: ${missing[*]}"
	echo "installing: ${missing[*]}"
	run_logged deps "$BUILD/logs/apt-update.log" apt-get update
	# Debian drops a 6.12 version from the archive a while after its next security update:
	# say which versions there are and how to move the pin, rather than apt's "not found".
	for p in "${missing[@]}"; do
		[ "${p#*=}" != "$p" ] || continue
		apt-cache madison "${p%%=*}" 2>/dev/null | grep -q " ${p#*=} " ||
			die deps "" "${p%%=*} $DEB_VERSION (kernel/VERSION) is no longer in Debian's archive," \
				"which has: $(apt-cache madison "${p%%=*}" | awk -F' *[|] *' '{ printf "%s ", $2 }')-" \
				"re-pin with: scripts/repin.sh VERSION (see README, Security updates)"
	done
	DEBIAN_FRONTEND=noninteractive run_logged deps "$BUILD/logs/apt-install.log" \
		apt-get install -y --no-install-recommends "${missing[@]}"
fi
stage_end
