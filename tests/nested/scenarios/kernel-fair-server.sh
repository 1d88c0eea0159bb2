# shellcheck shell=sh
# Our kernel counts only tasks as runnable, not the fair server (the deadline entity that
# lends the fair class time while real-time tasks hog a cpu). 6.12.y counts the server in the
# runqueue's nr_running too; upstream stopped that in 52d15521eb75, backported here as
# kernel/patches/0004-*. Counted, a cpu going down with its server queued never looks empty:
# the soak met "Dying CPU not properly vacated!" (sched_cpu_dying) in our guests cycling cpus
# and hibernation, in a round that had taken no async fault at all. Here, on L1's cpu 1, a
# SCHED_FIFO task spins for 3 s while a fair task, which runs only on its server's time,
# reads /proc/stat's procs_running (rtstarve): two tasks are runnable, so nearly every read
# must say 2 (with the server counted, nearly every read said 3: 3,291 of 3,293).
L1_KERNEL=pvapf
SWAP=none
L0_TIMEOUT=300
L1_SMP=2

l1_main() {
	r=/results/rtstarve.txt
	rtstarve 1 3000 >$r
	cat $r
	check_cmp "the starved fair task read the count" "$(result_in $r fair_server reads)" -gt 100
	check_cmp "reads that count more than the 2 runnable tasks (the server with them), times 2" \
		"$(($(result_in $r fair_server n3plus) * 2))" -lt "$(result_in $r fair_server reads)"
}
