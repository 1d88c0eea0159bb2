// SPDX-License-Identifier: GPL-2.0
/*
 * l2ctl - runs in L1: starts the L2 VMM (QEMU) with its serial console on our pipes, copies
 * the console to a log, and answers requests the L2 scenario prints on its console:
 *
 *   @@PVAPF PAGEOUT            swap out the VMM's guest RAM (process_madvise MADV_PAGEOUT)
 *                              reply: @@PVAPF PAGEOUT-DONE swap_kb=N
 *   @@PVAPF CALL name [args]   run HOOKDIR/name [args] in L1 with QEMU_PID set
 *                              reply: @@PVAPF RET rc
 *
 * Requests travel over the console because it is the one channel every L2 kernel has
 * (stock Debian kernels included). The whole run is bounded by --timeout: a hung L2 ends
 * with exit 124 and a message, never a silent hang; before the kill HOOKDIR/l2-stuck, if
 * present, writes where the VM is stuck into the log.
 *
 * usage: l2ctl --log FILE --timeout SEC [--hookdir DIR] [--ram-min MiB] -- qemu args...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define REQ "@@PVAPF "
#define MAX_IOV 1024

static FILE *logf;
static pid_t vmm;
static int to_vmm = -1;
static const char *hookdir = "/pvapf/hooks";
static unsigned long ram_min = 32UL << 20;

static void fail(const char *what)
{
	fprintf(stderr, "l2ctl: %s: %s\n", what, strerror(errno));
	if (vmm > 0)
		kill(vmm, SIGKILL);
	exit(2);
}

static long vm_swap_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSwap: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The VMM's cgroup v2 directory, or NULL if it has none we can use. */
static char *vmm_cgroup(pid_t pid, char *dir, size_t len)
{
	char path[64], line[512];
	FILE *f;

	if (len < sizeof(line) + 16)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	dir[0] = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			strcpy(dir, "/sys/fs/cgroup");
			strcat(dir, line + 3);
		}
	fclose(f);
	return dir[0] ? dir : NULL;
}

/*
 * MADV_PAGEOUT leaves the pages it wrote in the swap cache (writeback is asynchronous),
 * where a re-fault finds them without I/O. Proactive reclaim of the VMM's cgroup drops
 * those clean copies, so the guest's next touch really has to read swap.
 */
static void drop_swap_cache(pid_t pid)
{
	char dir[600], path[640];

	if (!vmm_cgroup(pid, dir, sizeof(dir)))
		return;
	snprintf(path, sizeof(path), "%s/memory.reclaim", dir);
	for (int i = 0; i < 3; i++) {
		int fd = open(path, O_WRONLY);

		if (fd < 0)
			return;
		/* EAGAIN only means less than asked could be reclaimed */
		ssize_t ret = write(fd, "1G", 2);
		int err = errno;

		close(fd);
		if (ret < 0 && err != EAGAIN)
			return;
	}
}

/* Page out every large private anonymous mapping of the VMM: that is the guest RAM. */
static long page_out(pid_t pid)
{
	struct iovec iov[MAX_IOV];
	char path[64], line[512], perms[8];
	unsigned long start, end, ino;
	int n = 0, pidfd, fields;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	if (!maps)
		return -1;
	while (n < MAX_IOV && fgets(line, sizeof(line), maps)) {
		char name[256] = "";

		fields = sscanf(line, "%lx-%lx %7s %*x %*s %lu %255s", &start, &end, perms,
				&ino, name);
		if (fields < 4 || ino != 0 || strncmp(perms, "rw", 2) || name[0] == '[' ||
		    end - start < ram_min)
			continue;
		iov[n].iov_base = (void *)start;
		iov[n].iov_len = end - start;
		n++;
	}
	fclose(maps);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		/* one mapping per call: a partial result then needs no iovec arithmetic */
		while (iov[i].iov_len) {
			long done = syscall(SYS_process_madvise, pidfd, &iov[i], 1, MADV_PAGEOUT, 0);

			if (done <= 0)
				break;
			iov[i].iov_base = (char *)iov[i].iov_base + done;
			iov[i].iov_len -= done;
		}
	}
	close(pidfd);
	drop_swap_cache(pid);
	return vm_swap_kb(pid);
}

static void reply(const char *fmt, long v)
{
	char buf[128];
	int len = snprintf(buf, sizeof(buf), fmt, v);

	if (write(to_vmm, buf, len) != len) {
		/* The VMM is gone (killed by the scenario): its exit status is the outcome. */
		if (errno == EPIPE) {
			fprintf(logf, "[l2ctl] reply not sent, the VMM closed its console: %s", buf);
			return;
		}
		fail("write to L2 console");
	}
	fprintf(logf, "[l2ctl] %s", buf);
}

static int valid_hook(const char *name)
{
	if (!*name)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

static int run_hook(char *args)
{
	char *argv[16], *save = NULL, path[512], pidenv[32];
	int argc = 0, status;
	pid_t pid;

	for (char *t = strtok_r(args, " ", &save); t && argc < 15; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	if (!argc || !valid_hook(argv[0]))
		return 127;
	snprintf(path, sizeof(path), "%s/%s", hookdir, argv[0]);
	snprintf(pidenv, sizeof(pidenv), "%d", vmm);
	fflush(logf);
	pid = fork();
	if (pid < 0)
		fail("fork hook");
	if (pid == 0) {
		setenv("QEMU_PID", pidenv, 1);
		dup2(fileno(logf), STDOUT_FILENO);
		dup2(fileno(logf), STDERR_FILENO);
		execv(path, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		fail("wait hook");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void handle_line(char *line)
{
	fprintf(logf, "%s\n", line);
	fflush(logf);
	/* Also on L1's console: what a hung or killed L2 printed reaches L0 either way. */
	printf("L2| %s\n", line);
	fflush(stdout);
	if (strncmp(line, REQ, strlen(REQ)))
		return;
	line += strlen(REQ);
	if (!strcmp(line, "PAGEOUT"))
		reply(REQ "PAGEOUT-DONE swap_kb=%ld\n", page_out(vmm));
	else if (!strncmp(line, "CALL ", 5))
		reply(REQ "RET %ld\n", run_hook(line + 5));
}

int main(int argc, char **argv)
{
	int in[2], out[2], timeout = 0, status, i;
	const char *logpath = NULL;
	char buf[4096], line[8192];
	size_t len = 0;
	time_t deadline;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--log") && i + 1 < argc)
			logpath = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--hookdir") && i + 1 < argc)
			hookdir = argv[++i];
		else if (!strcmp(argv[i], "--ram-min") && i + 1 < argc)
			ram_min = strtoul(argv[++i], NULL, 0) << 20;
		else
			break;
	}
	if (!logpath || timeout <= 0 || i >= argc - 1 || strcmp(argv[i], "--")) {
		fprintf(stderr, "usage: l2ctl --log FILE --timeout SEC [--hookdir DIR] [--ram-min MiB] -- qemu args...\n");
		return 2;
	}
	logf = fopen(logpath, "w");
	if (!logf)
		fail(logpath);
	if (pipe(in) || pipe(out))
		fail("pipe");
	vmm = fork();
	if (vmm < 0)
		fail("fork");
	if (vmm == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		close(in[1]);
		close(out[0]);
		execvp(argv[i + 1], &argv[i + 1]);
		fprintf(stderr, "l2ctl: exec %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	to_vmm = in[1];
	signal(SIGPIPE, SIG_IGN);
	deadline = time(NULL) + timeout;

	for (;;) {
		struct pollfd pfd = { .fd = out[0], .events = POLLIN };
		long left = deadline - time(NULL);
		ssize_t got;

		if (left <= 0) {
			fprintf(stderr, "l2ctl: L2 did not finish within %d s, killed (log: %s)\n",
				timeout, logpath);
			fprintf(logf, "[l2ctl] TIMEOUT after %d s\n", timeout);
			snprintf(line, sizeof(line), "%s/l2-stuck", hookdir);
			if (!access(line, X_OK)) {
				strcpy(line, "l2-stuck");
				run_hook(line);
			}
			kill(vmm, SIGKILL);
			waitpid(vmm, NULL, 0);
			fclose(logf);
			return 124;
		}
		if (poll(&pfd, 1, left * 1000) < 0) {
			if (errno == EINTR)
				continue;
			fail("poll");
		}
		if (!pfd.revents)
			continue;
		got = read(out[0], buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		for (ssize_t k = 0; k < got; k++) {
			char c = buf[k];

			if (c == '\r')
				continue;
			if (c == '\n' || len == sizeof(line) - 1) {
				line[len] = 0;
				handle_line(line);
				len = 0;
				if (c == '\n')
					continue;
			}
			line[len++] = c;
		}
	}
	if (len) {
		line[len] = 0;
		handle_line(line);
	}
	if (waitpid(vmm, &status, 0) < 0)
		fail("waitpid");
	fprintf(logf, "[l2ctl] VMM exited, status %d\n", status);
	fclose(logf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
