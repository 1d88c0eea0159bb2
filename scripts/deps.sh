#!/usr/bin/env bash
# Install every Debian package the build, the nested harness and the tests need, and fetch
# the pinned base (kernel/VERSION) into build/base/ without installing it.
# Idempotent: does nothing (and needs no network) when all are present.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_version

PKGS=(
	# kernel build
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod zstd xz-utils rsync ccache
	python3
	# BTF in the host and guest flavours: pahole
	dwarves
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
	# hardening-check: the packaged binaries carry the distribution's hardening flags
	devscripts
	# the libvirt hook (libvirt-hooks/, C on libxml2) and its fixtures' validation
	libxml2-dev pkg-config libvirt-clients
	# apfstat's man page is rendered by its test (tests/apfstat)
	man-db
)

missing=()
for p in "${PKGS[@]}"; do
	case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
	"install ok installed") ;;
	*) missing+=("$p") ;;
	esac
done

stage_begin deps "checking ${#PKGS[@]} Debian packages and the pinned base $DEB_VERSION"
updated=
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die deps "" "need root to install: ${missing[*]}"
	echo "installing: ${missing[*]}"
	run_logged deps "$BUILD/logs/apt-update.log" apt-get update
	updated=1
	DEBIAN_FRONTEND=noninteractive run_logged deps "$BUILD/logs/apt-install.log" \
		apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The base: Debian's linux-source-6.12 and linux-config-6.12 at the pin, downloaded and
# unpacked, never installed: the machine's routine upgrades would replace an installed one with
# the next security release. Checked against kernel/VERSION's sha256s before it is used.
if [ ! -f "$BASE_DIR/.complete" ]; then
	BASE_PKGS=(linux-source-6.12 linux-config-6.12)
	LOG=$BUILD/logs/deps-base.log
	: >"$LOG"
	echo "fetching the pinned base: ${BASE_PKGS[*]} $DEB_VERSION"
	if [ -z "$updated" ] && ! archive_has "${BASE_PKGS[0]}" "$DEB_VERSION"; then
		run_logged deps "$BUILD/logs/apt-update.log" apt-get update
	fi
	# Debian drops a 6.12 version from the archive a while after its next security update:
	# say which versions there are and how to move the pin, rather than apt's "not found".
	for p in "${BASE_PKGS[@]}"; do
		archive_has "$p" "$DEB_VERSION" ||
			die deps "" "$p $DEB_VERSION (kernel/VERSION) is no longer in Debian's archive," \
				"which has: $(archive_versions "$p" | tr '\n' ' ')-" \
				"re-pin with: scripts/repin.sh VERSION (see README, Security updates)"
	done
	tmp=$BUILD/base/.fetch
	rm -rf "$tmp" && mkdir -p "$tmp/deb"
	(cd "$tmp/deb" && apt-get download "${BASE_PKGS[@]/%/=$DEB_VERSION}") >>"$LOG" 2>&1 ||
		die deps "$LOG" "cannot download ${BASE_PKGS[*]} $DEB_VERSION"
	for d in "$tmp"/deb/*.deb; do
		dpkg-deb -x "$d" "$tmp/root" >>"$LOG" 2>&1 || die deps "$LOG" "cannot unpack $d"
	done
	rel=$tmp/root/usr/src
	printf '%s  %s\n' "$SOURCE_SHA256" "$rel/linux-source-6.12.tar.xz" \
		"$GUEST_CONFIG_SHA256" "$rel/linux-config-6.12/config.amd64_none_cloud-amd64.xz" \
		"$HOST_CONFIG_SHA256" "$rel/linux-config-6.12/config.amd64_none_amd64.xz" |
		sha256sum -c - >>"$LOG" 2>&1 ||
		die deps "$LOG" "the archive's ${BASE_PKGS[*]} $DEB_VERSION do not match kernel/VERSION's sha256s"
	rm -rf "$BASE_DIR" && mv "$tmp/root" "$BASE_DIR" && rm -rf "$tmp"
	touch "$BASE_DIR/.complete"
	echo "base in $BASE_DIR"
fi
stage_end
