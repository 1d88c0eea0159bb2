// SPDX-License-Identifier: GPL-2.0-only
/*
 * apfstat - pvapf's async page faults at a glance (apfstat.8).
 *
 * On a pvapf host: one line per VM (libvirt domain name, VMM pid, policy,
 * async faults, NOT_PRESENT, READY, re-faults, halts, synchronous faults,
 * swap-in mean and max, in flight), per vCPU with -v.  In a pvapf guest: the
 * guest's counters.  -w SECONDS prints per-second rates over each interval,
 * like vmstat; --json prints JSON (one object per interval with -w).
 *
 * Reads KVM's debugfs (VM dirs <pid>-<fd> with pvapf_counters, and
 * vcpu<N>/pvapf_counters), the guest's debugfs pvapf/guest_counters, and
 * libvirt's run directory (NAME.pid) for domain names: never libvirt itself.
 * PVAPF_DEBUGFS, PVAPF_SYSFS and PVAPF_LIBVIRT_RUN move /sys/kernel/debug,
 * /sys/kernel/pvapf and /run/libvirt/qemu (tests).
 *
 * Exit: 0 ok, 1 counters unreadable, 2 usage, 3 no pvapf in this kernel,
 * 4 not root.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_UNREADABLE = 1, EXIT_USAGE = 2, EXIT_NO_PVAPF = 3, EXIT_NOT_ROOT = 4 };

#define MAX_KV		64
#define NAME_LEN	48
#define PATH_LEN	4096

/* One "name value" line of a counters file; policy is the only word. */
struct kv {
	char name[NAME_LEN];
	char text[24];
	unsigned long long v;
};

struct counters {
	struct kv kv[MAX_KV];
	int n;
};

struct vcpu {
	int id;
	struct counters c;
};

struct vm {
	char dir[NAME_LEN];	/* KVM's debugfs name: <pid>-<fd> */
	int pid;
	char domain[256];	/* "" when no libvirt domain has this pid */
	struct counters c;
	struct vcpu *vcpus;
	int nvcpus;
};

struct snapshot {
	struct vm *vms;
	int nvms;
	struct counters guest;
	double t;
};

static const char *debugfs, *sysfs, *libvirt_run;
static bool opt_json, opt_vcpus;

/*
 * Values that are levels, not running totals: shown as they are, never as rates.  Besides these,
 * any name ending in one of level_suffixes (a mean, a peak, a current value: lines appended
 * later keep to that naming).
 */
static const char *const gauges[] = {
	"outstanding", "swapin_ewma_ns", "round_trip_ns", "debug_reclaim_left",
	"cpus_enabled", "cpus_paused", "debug_lose_left", NULL
};
static const char *const level_suffixes[] = { "_mean", "_max", "_peak", "_current", NULL };

static bool is_gauge(const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; gauges[i]; i++)
		if (!strcmp(gauges[i], name))
			return true;
	for (int i = 0; level_suffixes[i]; i++) {
		size_t k = strlen(level_suffixes[i]);

		if (n > k && !strcmp(name + n - k, level_suffixes[i]))
			return true;
	}
	return false;
}

/* A path from @fmt into @buf of PATH_LEN: false if it does not fit. */
static bool pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_LEN, fmt, ap);
	va_end(ap);
	return n >= 0 && n < PATH_LEN;
}

/* @p (an array of *@cap elements of @size) with room for element @n. */
static void *room(void *p, int n, int *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 8;
	p = realloc(p, *cap * size);
	if (!p) {
		fprintf(stderr, "apfstat: out of memory\n");
		exit(EXIT_UNREADABLE);
	}
	return p;
}

/* Read a counters file: false if it cannot be opened. */
static bool read_counters(const char *path, struct counters *c)
{
	char name[NAME_LEN], value[24];
	FILE *f = fopen(path, "r");

	c->n = 0;
	if (!f)
		return false;
	while (c->n < MAX_KV && fscanf(f, "%47s %23s", name, value) == 2) {
		struct kv *kv = &c->kv[c->n++];

		snprintf(kv->name, sizeof(kv->name), "%s", name);
		snprintf(kv->text, sizeof(kv->text), "%s", value);
		kv->v = isdigit((unsigned char)value[0]) ? strtoull(value, NULL, 10) : 0;
	}
	fclose(f);
	return true;
}

static const struct kv *find(const struct counters *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->kv[i].name, name))
			return &c->kv[i];
	return NULL;
}

static unsigned long long val(const struct counters *c, const char *name)
{
	const struct kv *kv = find(c, name);

	return kv ? kv->v : 0;
}

/* Synchronous faults: every reason's counter (sync_*) added up. */
static unsigned long long sync_total(const struct counters *c)
{
	unsigned long long s = 0;

	for (int i = 0; i < c->n; i++)
		if (!strncmp(c->kv[i].name, "sync_", 5))
			s += c->kv[i].v;
	return s;
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/* The libvirt domain whose QEMU is @pid, from libvirt's NAME.pid files. */
static void domain_of(int pid, char *out, size_t len)
{
	DIR *d = opendir(libvirt_run);
	struct dirent *e;

	out[0] = 0;
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[PATH_LEN];
		int p = 0;
		FILE *f;

		if (n < 5 || strcmp(e->d_name + n - 4, ".pid") ||
		    !pathf(path, "%s/%s", libvirt_run, e->d_name))
			continue;
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%d", &p) == 1 && p == pid) {
			snprintf(out, len, "%.*s", (int)(n - 4), e->d_name);
			fclose(f);
			break;
		}
		fclose(f);
	}
	closedir(d);
}

static int cmp_vm(const void *a, const void *b)
{
	const struct vm *x = a, *y = b;

	return x->pid != y->pid ? (x->pid > y->pid) - (x->pid < y->pid) : strcmp(x->dir, y->dir);
}

static int cmp_vcpu(const void *a, const void *b)
{
	return ((const struct vcpu *)a)->id - ((const struct vcpu *)b)->id;
}

static void read_vcpus(const char *vmdir, struct vm *vm)
{
	DIR *d = opendir(vmdir);
	struct dirent *e;
	int cap = 0;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_LEN];
		int id;

		if (sscanf(e->d_name, "vcpu%d", &id) != 1 ||
		    !pathf(path, "%s/%s/pvapf_counters", vmdir, e->d_name))
			continue;
		vm->vcpus = room(vm->vcpus, vm->nvcpus, &cap, sizeof(*vm->vcpus));
		vm->vcpus[vm->nvcpus].id = id;
		if (read_counters(path, &vm->vcpus[vm->nvcpus].c))
			vm->nvcpus++;
	}
	closedir(d);
	if (vm->nvcpus)
		qsort(vm->vcpus, vm->nvcpus, sizeof(*vm->vcpus), cmp_vcpu);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Entries in directory @path other than . and .., or -1 if it cannot be opened. */
static int entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* An empty debugfs directory: debugfs is not mounted there (say so). */
static bool debugfs_unmounted(void)
{
	if (entries(debugfs) > 0)
		return false;
	fprintf(stderr, "apfstat: debugfs is not mounted at %s (mount -t debugfs debugfs %s)\n",
		debugfs, debugfs);
	return true;
}

/*
 * Every VM in KVM's debugfs that has pvapf counters.  False (said on stderr) when KVM's debugfs
 * directory cannot be read while the pvapf host may have VMs: debugfs not mounted, or the host's
 * sysfs lists VMs (@sysfs_vms).  A host with VMs is never reported as having none.
 */
static bool read_host(struct snapshot *s, const char *sysfs_vms)
{
	char kvmdir[PATH_LEN];
	struct dirent *e;
	int cap = 0, n, err;
	DIR *d;

	s->t = now();
	if (!pathf(kvmdir, "%s/kvm", debugfs))
		return false;
	d = opendir(kvmdir);
	if (!d) {
		err = errno;
		if (debugfs_unmounted())
			return false;
		n = entries(sysfs_vms);
		if (n <= 0)
			return true;	/* no VMs: nothing to read */
		fprintf(stderr, "apfstat: %d VM%s in %s but no %s (%s): their counters cannot be "
			"read\n", n, n == 1 ? "" : "s", sysfs_vms, kvmdir, strerror(err));
		return false;
	}
	while ((e = readdir(d))) {
		char vmdir[PATH_LEN], path[PATH_LEN];
		int pid, fd;
		struct vm *vm;

		if (sscanf(e->d_name, "%d-%d", &pid, &fd) != 2 || strlen(e->d_name) >= NAME_LEN ||
		    !pathf(vmdir, "%s/%s", kvmdir, e->d_name) ||
		    !pathf(path, "%s/pvapf_counters", vmdir))
			continue;
		s->vms = room(s->vms, s->nvms, &cap, sizeof(*s->vms));
		vm = &s->vms[s->nvms];
		memset(vm, 0, sizeof(*vm));
		/* A VM going away between readdir and here is simply not listed. */
		if (!read_counters(path, &vm->c))
			continue;
		memcpy(vm->dir, e->d_name, strlen(e->d_name) + 1);
		vm->pid = pid;
		domain_of(pid, vm->domain, sizeof(vm->domain));
		if (opt_vcpus)
			read_vcpus(vmdir, vm);
		s->nvms++;
	}
	closedir(d);
	if (s->nvms)
		qsort(s->vms, s->nvms, sizeof(*s->vms), cmp_vm);
	return true;
}

static void free_snapshot(struct snapshot *s)
{
	for (int i = 0; i < s->nvms; i++)
		free(s->vms[i].vcpus);
	free(s->vms);
	memset(s, 0, sizeof(*s));
}

static const struct vm *find_vm(const struct snapshot *s, const char *dir)
{
	for (int i = 0; s && i < s->nvms; i++)
		if (!strcmp(s->vms[i].dir, dir))
			return &s->vms[i];
	return NULL;
}

static const struct counters *find_vcpu(const struct vm *vm, int id)
{
	for (int i = 0; vm && i < vm->nvcpus; i++)
		if (vm->vcpus[i].id == id)
			return &vm->vcpus[i].c;
	return NULL;
}

/* A counter over the interval, per second; a gauge as it is now. */
static double shown(const struct counters *c, const struct counters *prev, const char *name,
		    double dt)
{
	unsigned long long v = val(c, name), p;

	if (!prev || is_gauge(name))
		return v;
	p = val(prev, name);
	return v >= p ? (v - p) / dt : 0;
}

/* Swap-in mean in µs: over the interval with @prev, else since the VM began. */
static double swapin_us(const struct counters *c, const struct counters *prev)
{
	unsigned long long n = val(c, "swapin_samples"), ns = val(c, "swapin_ns_total");

	if (prev && n >= val(prev, "swapin_samples") && ns >= val(prev, "swapin_ns_total")) {
		n -= val(prev, "swapin_samples");
		ns -= val(prev, "swapin_ns_total");
	}
	return n ? ns / 1e3 / n : 0;
}

#define HOST_HDR "%-16s %8s %-8s %9s %9s %9s %8s %8s %9s %9s %10s %8s\n"
#define HOST_ROW "%-16.16s %8s %-8s %9.*f %9.*f %9.*f %8.*f %8.*f %9.*f %9.1f %10.1f %8llu\n"

static void host_row(const char *label, const char *pid, const char *policy,
		     const struct counters *c, const struct counters *prev, double dt)
{
	int p = prev ? 1 : 0;	/* rates get a decimal */
	double sync = sync_total(c);

	if (prev) {
		double ps = sync_total(prev);

		sync = sync >= ps ? (sync - ps) / dt : 0;
	}
	printf(HOST_ROW, label, pid, policy, p, shown(c, prev, "async_started", dt),
	       p, shown(c, prev, "not_present", dt), p, shown(c, prev, "ready", dt),
	       p, shown(c, prev, "refault", dt), p, shown(c, prev, "halted", dt), p, sync,
	       swapin_us(c, prev), val(c, "swapin_ns_max") / 1e3, val(c, "outstanding"));
}

static void print_host(const struct snapshot *s, const struct snapshot *prev)
{
	double dt = prev ? s->t - prev->t : 0;

	printf(HOST_HDR, "DOMAIN", "PID", "POLICY", prev ? "ASYNC/s" : "ASYNC",
	       prev ? "NOTPRES/s" : "NOTPRES", prev ? "READY/s" : "READY",
	       prev ? "REFLT/s" : "REFAULT", prev ? "HALT/s" : "HALTED", prev ? "SYNC/s" : "SYNC",
	       "SWAPIN_US", "SWAPMAX_US", "INFLIGHT");
	for (int i = 0; i < s->nvms; i++) {
		const struct vm *vm = &s->vms[i], *pvm = prev ? find_vm(prev, vm->dir) : NULL;
		const struct kv *pol = find(&vm->c, "policy");
		char pid[16];

		/* New since the last interval: no rate yet. */
		if (prev && !pvm)
			continue;
		snprintf(pid, sizeof(pid), "%d", vm->pid);
		host_row(vm->domain[0] ? vm->domain : "-", pid, pol ? pol->text : "?", &vm->c,
			 pvm ? &pvm->c : NULL, dt);
		for (int j = 0; j < vm->nvcpus; j++) {
			const struct counters *pc = find_vcpu(pvm, vm->vcpus[j].id);
			char label[24];

			if (prev && !pc)
				continue;
			snprintf(label, sizeof(label), "  vcpu%d", vm->vcpus[j].id);
			host_row(label, "", "", &vm->vcpus[j].c, pc, dt);
		}
	}
	fflush(stdout);
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* "counters": {name: value}, rates per second with @prev; a host's swap-in mean. */
static void json_counters(const struct counters *c, const struct counters *prev, double dt,
			  bool host)
{
	bool first = true;

	printf("\"counters\": {");
	for (int i = 0; i < c->n; i++) {
		if (!isdigit((unsigned char)c->kv[i].text[0]))
			continue;
		printf("%s", first ? "" : ", ");
		first = false;
		json_string(c->kv[i].name);
		if (prev && !is_gauge(c->kv[i].name))
			printf(": %.3f", shown(c, prev, c->kv[i].name, dt));
		else
			printf(": %llu", c->kv[i].v);
	}
	printf("}");
	if (host)
		printf(", \"swapin_us_mean\": %.3f", swapin_us(c, prev));
}

static void json_host(const struct snapshot *s, const struct snapshot *prev)
{
	double dt = prev ? s->t - prev->t : 0;
	bool first = true;

	printf("{\"mode\": \"host\", ");
	if (prev)
		printf("\"interval_s\": %.3f, \"rates\": true, ", dt);
	printf("\"vms\": [");
	for (int i = 0; i < s->nvms; i++) {
		const struct vm *vm = &s->vms[i], *pvm = prev ? find_vm(prev, vm->dir) : NULL;
		const struct kv *pol = find(&vm->c, "policy");

		if (prev && !pvm)
			continue;
		printf("%s{\"domain\": ", first ? "" : ", ");
		first = false;
		if (vm->domain[0])
			json_string(vm->domain);
		else
			printf("null");
		printf(", \"pid\": %d, \"kvm_debugfs\": ", vm->pid);
		json_string(vm->dir);
		printf(", \"policy\": ");
		json_string(pol ? pol->text : "?");
		printf(", ");
		json_counters(&vm->c, pvm ? &pvm->c : NULL, dt, true);
		if (opt_vcpus) {
			printf(", \"vcpus\": [");
			for (int j = 0, k = 0; j < vm->nvcpus; j++) {
				const struct counters *pc = find_vcpu(pvm, vm->vcpus[j].id);

				if (prev && !pc)
					continue;
				printf("%s{\"vcpu\": %d, ", k++ ? ", " : "", vm->vcpus[j].id);
				json_counters(&vm->vcpus[j].c, pc, dt, true);
				printf("}");
			}
			printf("]");
		}
		printf("}");
	}
	printf("]}\n");
	fflush(stdout);
}

#define GUEST_HDR "%9s %9s %9s %9s %9s %9s %9s %9s %9s\n"
#define GUEST_ROW "%9.*f %9.*f %9.*f %9.*f %9.*f %9.*f %9.*f %9.*f %9.*f\n"

static void print_guest(const struct snapshot *s, const struct snapshot *prev)
{
	const struct counters *c = &s->guest, *pc = prev ? &prev->guest : NULL;
	double dt = prev ? s->t - prev->t : 0;
	int p = prev ? 1 : 0;

	printf(GUEST_HDR, prev ? "NOTPRES/s" : "NOTPRES", prev ? "READY/s" : "READY",
	       prev ? "EARLY/s" : "EARLY", "SLEEPING", "PEAK", prev ? "EMERG/s" : "EMERG",
	       "PAUSED", prev ? "KMODE/s" : "KMODE", prev ? "LATE/s" : "LATE");
	printf(GUEST_ROW, p, shown(c, pc, "not_present", dt), p, shown(c, pc, "ready", dt),
	       p, shown(c, pc, "woken_before_wait", dt), 0, shown(c, pc, "sleepers_current", dt),
	       0, shown(c, pc, "sleepers_peak", dt), p, shown(c, pc, "emergency_uses", dt),
	       0, shown(c, pc, "cpus_paused", dt), p, shown(c, pc, "kernel_mode_faults", dt),
	       p, shown(c, pc, "late_readies", dt));
	fflush(stdout);
}

static void json_guest(const struct snapshot *s, const struct snapshot *prev)
{
	double dt = prev ? s->t - prev->t : 0;

	printf("{\"mode\": \"guest\", ");
	if (prev)
		printf("\"interval_s\": %.3f, \"rates\": true, ", dt);
	json_counters(&s->guest, prev ? &prev->guest : NULL, dt, false);
	printf("}\n");
	fflush(stdout);
}

static char guest_path[PATH_LEN];

static bool read_guest(struct snapshot *s)
{
	s->t = now();
	return read_counters(guest_path, &s->guest);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: apfstat [-v] [--json] [-w SECONDS [-c COUNT]] [--host | --guest]\n"
		"  -v, --vcpus        per vCPU too (host)\n"
		"  -j, --json         JSON (one object per line with -w)\n"
		"  -w, --wait SECS    every SECS seconds, rates per second over the interval\n"
		"  -c, --count N      stop after N intervals (with -w)\n"
		"      --host         the host's VMs (the default where the pvapf host is)\n"
		"      --guest        this guest's counters\n"
		"  -h, --help         this text (apfstat(8) has the columns and exit codes)\n");
}

/* A positive number of @what from @arg, or a usage error naming the option. */
static double positive(const char *opt, const char *arg, const char *what, bool whole)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || v > 1e9 || (whole && v != (long)v)) {
		fprintf(stderr, "apfstat: %s '%s': want %s\n", opt, arg, what);
		exit(EXIT_USAGE);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vcpus", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "wait", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "host", no_argument, NULL, 'H' },
		{ "guest", no_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct snapshot cur = { 0 }, prev = { 0 };
	char pvapf_sysfs_vms[PATH_LEN];
	double wait = 0;
	long count = -1;
	int mode = 0;	/* 'H' or 'G' */
	bool host, guest;
	int o;

	while ((o = getopt_long(argc, argv, "vjw:c:h", longopts, NULL)) != -1) {
		switch (o) {
		case 'v': opt_vcpus = true; break;
		case 'j': opt_json = true; break;
		case 'w': wait = positive("-w", optarg, "seconds, a number above 0", false); break;
		case 'c': count = positive("-c", optarg, "a whole number above 0", true); break;
		case 'H': case 'G': mode = o; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "apfstat: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (count > 0 && !wait) {
		fprintf(stderr, "apfstat: -c needs -w\n");
		return EXIT_USAGE;
	}

	debugfs = getenv("PVAPF_DEBUGFS");
	if (!debugfs && geteuid() != 0) {
		fprintf(stderr, "apfstat: pvapf's counters are in debugfs, which only root can read: "
			"run it as root\n");
		return EXIT_NOT_ROOT;
	}
	debugfs = debugfs ? debugfs : "/sys/kernel/debug";
	sysfs = getenv("PVAPF_SYSFS") ? getenv("PVAPF_SYSFS") : "/sys/kernel/pvapf";
	libvirt_run = getenv("PVAPF_LIBVIRT_RUN") ? getenv("PVAPF_LIBVIRT_RUN") : "/run/libvirt/qemu";
	if (!pathf(guest_path, "%s/pvapf/guest_counters", debugfs) ||
	    !pathf(pvapf_sysfs_vms, "%s/vms", sysfs)) {
		fprintf(stderr, "apfstat: PVAPF_DEBUGFS or PVAPF_SYSFS too long\n");
		return EXIT_USAGE;
	}

	host = exists(pvapf_sysfs_vms);
	guest = exists(guest_path);
	if (!host && !guest) {
		char kvm[PATH_LEN];

		if (pathf(kvm, "%s/kvm", debugfs) && !exists(kvm) && !exists(sysfs) &&
		    debugfs_unmounted())
			return EXIT_UNREADABLE;
		/* A pvapf guest kernel has no counters until a KVM host offers it async PF. */
		fprintf(stderr, "apfstat: no pvapf here: no %s (a pvapf host, kvm loaded) and no %s "
			"(a pvapf guest running under KVM with async page faults); install the "
			"pvapf host or guest kernel package and boot it\n",
			pvapf_sysfs_vms, guest_path);
		return EXIT_NO_PVAPF;
	}
	if (mode == 'H' && !host) {
		fprintf(stderr, "apfstat: --host: this kernel is no pvapf host (no %s)\n",
			pvapf_sysfs_vms);
		return EXIT_NO_PVAPF;
	}
	if (mode == 'G' && !guest) {
		fprintf(stderr, "apfstat: --guest: this kernel runs no pvapf guest (no %s)\n",
			guest_path);
		return EXIT_NO_PVAPF;
	}
	if (!mode)
		mode = host ? 'H' : 'G';
	if (mode == 'G' && opt_vcpus) {
		fprintf(stderr, "apfstat: -v is for a host's VMs; the guest's counters are per guest\n");
		return EXIT_USAGE;
	}

	for (long i = 0;; i++) {
		if (mode == 'H') {
			if (!read_host(&cur, pvapf_sysfs_vms)) {
				free_snapshot(&cur);
				free_snapshot(&prev);
				return EXIT_UNREADABLE;
			}
		} else if (!read_guest(&cur)) {
			fprintf(stderr, "apfstat: %s: %s\n", guest_path, strerror(errno));
			return EXIT_UNREADABLE;
		}
		if (!wait || i > 0) {
			const struct snapshot *p = wait ? &prev : NULL;

			if (mode == 'H')
				(opt_json ? json_host : print_host)(&cur, p);
			else
				(opt_json ? json_guest : print_guest)(&cur, p);
		}
		if (!wait || (count > 0 && i >= count))
			break;
		free_snapshot(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		{
			struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };

			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
	}
	free_snapshot(&cur);
	free_snapshot(&prev);
	return 0;
}
