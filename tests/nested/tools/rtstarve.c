// SPDX-License-Identifier: GPL-2.0
/*
 * rtstarve - runs in L1: starves the fair class on one cpu with a SCHED_FIFO task and, from a
 * fair task on that cpu, reads how many tasks the kernel says are runnable (/proc/stat's
 * procs_running, the sum of the runqueues' nr_running). Starved, the fair task runs only on
 * its fair server's bandwidth (a deadline entity acting for the fair class): two tasks are
 * runnable, the spinner and the reader. A kernel that also counts the server, as 6.12.y does
 * without upstream's 52d15521eb75, says three, and a cpu going down with the server still
 * queued never looks empty (kernel/patches/0004-*).
 *
 * usage: rtstarve CPU MS
 * prints "RESULT fair_server reads=N min=A max=B": the reads made while the spinner spun.
 * RT throttling is off meanwhile (sched_rt_runtime_us -1, restored after), so the fair
 * server is the only thing that lets the reader run.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RT_RUNTIME "/proc/sys/kernel/sched_rt_runtime_us"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int procs_running(void)
{
	char line[256];
	int n = -1;
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "procs_running %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

static int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(val, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	int cpu, ms, reads = 0, min = 1 << 30, max = 0, status, go[2], hist[4] = { 0 };
	char old[32] = "", g;
	cpu_set_t set;
	pid_t spinner;
	FILE *f;

	if (argc != 3 || (cpu = atoi(argv[1])) < 0 || (ms = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: rtstarve CPU MS\n");
		return 2;
	}
	f = fopen(RT_RUNTIME, "r");
	if (!f || !fgets(old, sizeof(old), f) || write_file(RT_RUNTIME, "-1")) {
		perror("rtstarve: " RT_RUNTIME);
		return 2;
	}
	fclose(f);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) || pipe(go)) {
		perror("rtstarve: pin to cpu");
		write_file(RT_RUNTIME, old);
		return 2;
	}
	spinner = fork();
	if (spinner == 0) {
		struct sched_param sp = { .sched_priority = 1 };
		long end;

		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			_exit(3);
		/* from here the reader runs only on the fair server's time */
		end = now_ms() + ms;
		if (write(go[1], "g", 1) != 1)
			_exit(3);
		while (now_ms() < end)
			;
		_exit(0);
	}
	if (spinner < 0 || read(go[0], &g, 1) != 1) {
		fprintf(stderr, "rtstarve: spinner did not start\n");
		if (spinner > 0)
			kill(spinner, SIGKILL);
		write_file(RT_RUNTIME, old);
		return 2;
	}
	while (waitpid(spinner, &status, WNOHANG) == 0) {
		int n = procs_running();

		if (n < 0)
			break;
		reads++;
		hist[n < 3 ? n : 3]++;
		min = n < min ? n : min;
		max = n > max ? n : max;
	}
	write_file(RT_RUNTIME, old);
	if (!reads)
		min = 0;
	printf("RESULT fair_server reads=%d min=%d max=%d n0=%d n1=%d n2=%d n3plus=%d\n", reads, min, max,
	       hist[0], hist[1], hist[2], hist[3]);
	return 0;
}
