# shellcheck shell=sh
# Helpers for a scenario's l2_main (busybox sh inside L2).

# Sum of page-ready interrupts on a stock guest: the HYP line of /proc/interrupts.
hyp_count() {
	awk '/^ *HYP:/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' \
		/proc/interrupts
}

# Ask L1 to run one of its hooks (vmtest/hooks/NAME) for us; returns its exit status.
l1_call() {
	echo "@@PVAPF CALL $*"
	while read -r line; do
		case "$line" in "@@PVAPF RET "*) return "${line#@@PVAPF RET }" ;; esac
	done
	return 255
}
