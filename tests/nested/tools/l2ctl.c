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
 * A migration hands the L2 over to a second VMM (l2_migrate in lib/l1.sh): on SIGUSR1 we
 * start an incoming QEMU, the same command line with the options listed in the --handover
 * file (one argument per line) replacing those it has or added, and serve both consoles.
 * SIGUSR2 says the incoming VMM runs the guest now: when the current one exits, that one is
 * the L2 from then on (its pid in --pidfile). Without it the current VMM's exit ends the
 * run as before (the guest ended during a migration) and the incoming one is killed; an
 * incoming VMM that exits first is only logged. While an incoming VMM exists, replies to
 * the current one's requests are held back and go to whichever VMM runs the guest after:
 * one written into the old VMM's console as it stops would be lost with it.
 *
 * usage: l2ctl --log FILE --timeout SEC [--hookdir DIR] [--ram-min MiB]
 *              [--pidfile FILE] [--handover FILE] -- qemu args...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
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

/* A VMM and its console: we write its serial input, read its serial output. */
struct vmm {
	pid_t pid;
	bool running;
	int to, from;
	size_t len;
	char line[8192];
};

static FILE *logf;
/* The L2's VMM, and the one it is being migrated to (pid 0: none). */
static struct vmm cur, next;
static const char *hookdir = "/pvapf/hooks";
static const char *pidfile, *handover_file;
static unsigned long ram_min = 32UL << 20;
/* SIGUSR1 and SIGUSR2 as data (blocked, read in the main loop), so their order against a
 * VMM's exit is kept: a SIGUSR2 sent before the old VMM quits is read before its console's end. */
static int sigfd = -1;
/* Our signal mask before SIGUSR1 and SIGUSR2 were blocked: what children run with. */
static sigset_t child_mask;
/* Replies held back during a handover (see above). */
static char held[4096];
static size_t held_len;

static void fail(const char *what)
{
	fprintf(stderr, "l2ctl: %s: %s\n", what, strerror(errno));
	if (cur.pid > 0)
		kill(cur.pid, SIGKILL);
	if (next.pid > 0)
		kill(next.pid, SIGKILL);
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

static void reply(struct vmm *v, const char *fmt, long val)
{
	char buf[128];
	int len = snprintf(buf, sizeof(buf), fmt, val);

	if (v == &cur && next.pid) {
		if (held_len + len > sizeof(held))
			fail("replies held during a handover");
		memcpy(held + held_len, buf, len);
		held_len += len;
		fprintf(logf, "[l2ctl] held until the handover ends: %s", buf);
		return;
	}
	if (write(v->to, buf, len) != len) {
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

static int run_hook(pid_t vmm, char *args)
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
		sigprocmask(SIG_SETMASK, &child_mask, NULL);
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

static void handle_line(struct vmm *v, char *line)
{
	fprintf(logf, "%s\n", line);
	/* Also on L1's console: what a hung or killed L2 printed reaches L0 either way. */
	printf("L2| %s\n", line);
	fflush(stdout);
	if (strncmp(line, REQ, strlen(REQ)))
		return;
	line += strlen(REQ);
	if (!strcmp(line, "PAGEOUT"))
		reply(v, REQ "PAGEOUT-DONE swap_kb=%ld\n", page_out(v->pid));
	else if (!strncmp(line, "CALL ", 5))
		reply(v, REQ "RET %ld\n", run_hook(v->pid, line + 5));
}

/* Console bytes of @v: whole lines to handle_line(). */
static void console_bytes(struct vmm *v, const char *buf, ssize_t got)
{
	for (ssize_t k = 0; k < got; k++) {
		char c = buf[k];

		if (c == '\r')
			continue;
		if (c == '\n' || v->len == sizeof(v->line) - 1) {
			v->line[v->len] = 0;
			handle_line(v, v->line);
			v->len = 0;
			if (c == '\n')
				continue;
		}
		v->line[v->len++] = c;
	}
}

static void spawn(struct vmm *v, char **argv)
{
	int in[2], out[2];

	/* close-on-exec: a second VMM must not hold the first one's console open */
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		fail("pipe");
	v->pid = fork();
	if (v->pid < 0)
		fail("fork");
	if (v->pid == 0) {
		sigprocmask(SIG_SETMASK, &child_mask, NULL);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "l2ctl: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	v->to = in[1];
	v->from = out[0];
	v->len = 0;
	v->running = false;
}

/* The handover ended: the held replies go to the VMM that runs the guest now. */
static void release_held(void)
{
	if (held_len && write(cur.to, held, held_len) != (ssize_t)held_len && errno != EPIPE)
		fail("write to L2 console");
	if (held_len)
		fprintf(logf, "[l2ctl] %zu bytes of held replies sent to VMM %d\n", held_len, cur.pid);
	held_len = 0;
}

static void write_pidfile(void)
{
	FILE *f;

	if (!pidfile)
		return;
	f = fopen(pidfile, "w");
	if (!f)
		fail(pidfile);
	fprintf(f, "%d\n", cur.pid);
	fclose(f);
}

/*
 * Start the incoming VMM: @argv with each option of the handover file that @argv has
 * ("-qmp X") given the file's value, the file's other arguments appended.
 */
static void start_incoming(char **argv, int argc)
{
	/* the file's arguments, kept until the next handover (the child has its own copy) */
	static char *owned[32];
	static int n_owned;
	char *extra[32], *nargv[512], buf[4096];
	int n = 0, m = 0;
	FILE *f;

	if (next.pid) {
		fprintf(logf, "[l2ctl] handover asked while one is running: ignored\n");
		return;
	}
	f = handover_file ? fopen(handover_file, "r") : NULL;
	if (!f) {
		fprintf(logf, "[l2ctl] handover asked without a handover file: ignored\n");
		return;
	}
	while (n_owned)
		free(owned[--n_owned]);
	while (n < 32 && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		extra[n] = strdup(buf);
		if (!extra[n])
			fail("strdup");
		owned[n_owned++] = extra[n++];
	}
	fclose(f);
	if (argc + n >= 512) {
		fprintf(logf, "[l2ctl] handover: command line too long: ignored\n");
		return;
	}
	for (int i = 0; i < argc; i++) {
		nargv[m++] = argv[i];
		for (int k = 0; k + 1 < n && i + 1 < argc; k++)
			if (extra[k] && extra[k][0] == '-' && !strcmp(argv[i], extra[k])) {
				nargv[m++] = extra[k + 1];
				extra[k] = extra[k + 1] = NULL;
				i++;
				break;
			}
	}
	for (int k = 0; k < n; k++)
		if (extra[k])
			nargv[m++] = extra[k];
	nargv[m] = NULL;
	fflush(logf);
	spawn(&next, nargv);
	fprintf(logf, "[l2ctl] incoming VMM %d started\n", next.pid);
}

/*
 * SIGUSR1: start the incoming VMM; SIGUSR2: it runs the guest now. True if one was taken
 * (the caller then looks again before reading a console).
 */
static bool take_signals(char **argv, int argc)
{
	struct signalfd_siginfo si;
	bool took = false;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		took = true;
		if (si.ssi_signo == SIGUSR1) {
			start_incoming(argv, argc);
		} else {
			next.running = next.pid > 0;
			fprintf(logf, "[l2ctl] incoming VMM %d runs the guest\n", next.pid);
		}
	}
	return took;
}

/* @v's console closed: it has exited (or is about to); its wait status. */
static int reap(struct vmm *v)
{
	int status;

	if (v->len) {
		v->line[v->len] = 0;
		handle_line(v, v->line);
		v->len = 0;
	}
	if (waitpid(v->pid, &status, 0) < 0)
		fail("waitpid");
	close(v->to);
	close(v->from);
	return status;
}

int main(int argc, char **argv)
{
	int timeout = 0, status, i, vargc;
	const char *logpath = NULL;
	char buf[4096], line[600], **vargv;
	sigset_t usr;
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
		else if (!strcmp(argv[i], "--pidfile") && i + 1 < argc)
			pidfile = argv[++i];
		else if (!strcmp(argv[i], "--handover") && i + 1 < argc)
			handover_file = argv[++i];
		else
			break;
	}
	if (!logpath || timeout <= 0 || i >= argc - 1 || strcmp(argv[i], "--")) {
		fprintf(stderr, "usage: l2ctl --log FILE --timeout SEC [--hookdir DIR] [--ram-min MiB] [--pidfile FILE] [--handover FILE] -- qemu args...\n");
		return 2;
	}
	vargv = &argv[i + 1];
	vargc = argc - i - 1;
	logf = fopen(logpath, "w");
	if (!logf)
		fail(logpath);
	/* line by line: the scenario (and a test) reads the log while we run */
	setvbuf(logf, NULL, _IOLBF, 0);
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	sigaddset(&usr, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr, &child_mask);
	sigfd = signalfd(-1, &usr, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		fail("signalfd");
	signal(SIGPIPE, SIG_IGN);
	spawn(&cur, vargv);
	write_pidfile();
	deadline = time(NULL) + timeout;

	for (;;) {
		/* the consoles, then the signals (read by take_signals() above) */
		struct pollfd pfd[3] = { { .fd = cur.from, .events = POLLIN },
					 { .fd = next.pid ? next.from : -1, .events = POLLIN },
					 { .fd = sigfd, .events = POLLIN } };
		long left = deadline - time(NULL);
		ssize_t got;

		/* first the signals that came, then the consoles */
		if (take_signals(vargv, vargc))
			continue;

		if (left <= 0) {
			fprintf(stderr, "l2ctl: L2 did not finish within %d s, killed (log: %s)\n",
				timeout, logpath);
			fprintf(logf, "[l2ctl] TIMEOUT after %d s\n", timeout);
			snprintf(line, sizeof(line), "%s/l2-stuck", hookdir);
			if (!access(line, X_OK)) {
				strcpy(line, "l2-stuck");
				run_hook(cur.pid, line);
			}
			if (next.pid)
				kill(next.pid, SIGKILL);
			kill(cur.pid, SIGKILL);
			waitpid(cur.pid, NULL, 0);
			fclose(logf);
			return 124;
		}
		if (poll(pfd, 3, left * 1000) < 0) {
			if (errno == EINTR)
				continue;
			fail("poll");
		}
		for (int k = 0; k < 2; k++) {
			struct vmm *v = k ? &next : &cur;

			if (!pfd[k].revents)
				continue;
			got = read(v->from, buf, sizeof(buf));
			if (got < 0 && errno == EINTR)
				continue;
			if (got > 0) {
				console_bytes(v, buf, got);
				continue;
			}
			status = reap(v);
			if (v == &next) {
				fprintf(logf, "[l2ctl] incoming VMM %d exited before taking over, status %d\n",
					next.pid, status);
				next.pid = 0;
				release_held();
				continue;
			}
			if (!next.pid)
				goto done;
			/* a SIGUSR2 sent before the old VMM quit is read now */
			take_signals(vargv, vargc);
			if (!next.running) {
				fprintf(logf, "[l2ctl] VMM %d exited during a migration, status %d: incoming VMM %d killed\n",
					cur.pid, status, next.pid);
				kill(next.pid, SIGKILL);
				reap(&next);
				goto done;
			}
			fprintf(logf, "[l2ctl] VMM %d exited, status %d; incoming VMM %d takes over\n",
				cur.pid, status, next.pid);
			cur = next;
			next.pid = 0;
			write_pidfile();
			release_held();
			/* pfd[1] was the new cur's: read it on the next round */
			break;
		}
	}
done:
	fprintf(logf, "[l2ctl] VMM exited, status %d\n", status);
	fclose(logf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
