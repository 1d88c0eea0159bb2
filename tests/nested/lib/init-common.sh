# shellcheck shell=sh
# What both the L1 and the L2 init do first: busybox applets, the kernel's filesystems,
# and stdio on the console (the initramfs has no /dev/console node, so init starts without).
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# pvapf_arg NAME: the value of pvapf.NAME=... on this kernel's command line.
pvapf_arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^pvapf\.$1=//p"; }

# load_modules [DIR]: insmod the modules the initramfs ships in DIR (default /pvapf/modules),
# in its load order (mkinitramfs.sh ship_modules); a FAIL line for each that does not load,
# and non-zero if any did not.
load_modules() {
	moddir=${1:-/pvapf/modules}
	rc=0
	while read -r m; do
		insmod "$moddir/$m" || { echo "FAIL: setup: insmod $m"; rc=1; }
	done <"$moddir/order"
	return $rc
}
