// SPDX-License-Identifier: GPL-2.0-only
/*
 * pvapf-hook - libvirt QEMU hook: per-VM pvapf settings from the domain XML.
 *
 * Installed as /etc/libvirt/hooks/qemu.d/50-pvapf; libvirt runs it as
 * "50-pvapf DOMAIN OPERATION SUBOPERATION EXTRA" with the domain XML on stdin.
 * The settings are one element in pvapf's own namespace under <metadata>:
 *
 *   <pvapf:asyncpf xmlns:pvapf="https://pvapf.org/xmlns/libvirt/1"
 *                  policy="adaptive" max-outstanding="64"/>
 *
 * prepare/begin  checks the element and the host; a bad one fails the start
 *                with a message naming the element or attribute and value.
 * started/begin  writes the settings to the VM's /sys/kernel/pvapf/vms/PID-N/,
 *                PID from libvirt's run directory (never a call into libvirt).
 * migrate, restore (filters): print nothing, so the XML stays unchanged.
 * A domain without the element costs one scan of stdin for the namespace.
 *
 * PVAPF_SYSFS and PVAPF_LIBVIRT_RUN move /sys/kernel/pvapf and
 * /run/libvirt/qemu (tests).  Exit: 0 ok, 1 refused or failed, 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define NS_BASE		"https://pvapf.org/xmlns/libvirt/"
#define NS_V1		NS_BASE "1"
#define QEMU_NS		"http://libvirt.org/schemas/domain/qemu/1.0"
#define MAX_XML		(16 << 20)
#define OUTSTANDING_MAX	1024	/* host/pvapf_host_sysfs.c: 1..1024 */

struct settings {
	const char *policy;		/* off, always, adaptive */
	long max_outstanding;		/* 0: leave the host's default */
};

static const char *domain = "?";

static int refuse(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pvapf: domain '%s': ", domain);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0, r;
	char *buf = malloc(cap + 1);

	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = cap < MAX_XML ? realloc(buf, 2 * cap + 1) : NULL;

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static int is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static const char *ns_of(const xmlNode *n)
{
	return n->ns && n->ns->href ? (const char *)n->ns->href : "";
}

static xmlNode *child(xmlNode *parent, const char *name)
{
	xmlNode *n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (is_el(n, name))
			return n;
	return NULL;
}

/* Our element under <metadata>; 1 with *out set, 0 if none, -1 refused. */
static int find_element(xmlNode *dom, xmlNode **out)
{
	xmlNode *n;

	*out = NULL;
	for (n = child(dom, "metadata") ? child(dom, "metadata")->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strncmp(ns_of(n), NS_BASE, strlen(NS_BASE)))
			continue;
		if (strcmp(ns_of(n), NS_V1))
			return -refuse("<%s xmlns='%s'>: unknown pvapf namespace version (this hook knows %s)",
				       n->name, ns_of(n), NS_V1);
		if (!is_el(n, "asyncpf"))
			return -refuse("<%s> in %s: unknown element (want <asyncpf>)", n->name, NS_V1);
		if (*out)
			return -refuse("<asyncpf> given twice in <metadata>");
		*out = n;
	}
	return *out != NULL;
}

static int parse_settings(xmlNode *el, struct settings *s)
{
	static const char *const policies[] = { "off", "always", "adaptive" };
	xmlAttr *a;
	size_t i;

	s->policy = "adaptive";
	s->max_outstanding = 0;
	for (a = el->properties; a; a = a->next) {
		const char *name = (const char *)a->name;
		const char *v = a->children ? (const char *)a->children->content : "";

		if (!strcmp(name, "policy")) {
			for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
				if (!strcmp(v, policies[i]))
					s->policy = policies[i];
			if (strcmp(s->policy, v))
				return refuse("<asyncpf policy='%s'>: unknown policy (want off, always or adaptive)", v);
		} else if (!strcmp(name, "max-outstanding")) {
			char *end;

			errno = 0;
			s->max_outstanding = strtol(v, &end, 10);
			if (errno || !*v || *end || s->max_outstanding < 1 ||
			    s->max_outstanding > OUTSTANDING_MAX)
				return refuse("<asyncpf max-outstanding='%s'>: out of range (want 1..%d)",
					      v, OUTSTANDING_MAX);
		} else {
			return refuse("<asyncpf %s='%s'>: unknown attribute (want policy, max-outstanding)",
				      name, v);
		}
	}
	return 0;
}

/* Does a <qemu:commandline> argument turn kvm-asyncpf-int on? */
static int cmdline_enables_int(xmlNode *dom)
{
	xmlNode *cl, *arg;

	for (cl = dom->children; cl; cl = cl->next) {
		if (!is_el(cl, "commandline") || strcmp(ns_of(cl), QEMU_NS))
			continue;
		for (arg = cl->children; arg; arg = arg->next) {
			xmlChar *v = is_el(arg, "arg") ? xmlGetProp(arg, BAD_CAST "value") : NULL;
			int on = v && strstr((const char *)v, "kvm-asyncpf-int=on");

			xmlFree(v);
			if (on)
				return 1;
		}
	}
	return 0;
}

/*
 * A 6.12 guest enables async PF only with KVM_FEATURE_ASYNC_PF_INT, which QEMU
 * sets for host-passthrough and maximum but not for named or host-model CPUs,
 * and libvirt's CPU map has no name for it.
 */
static int check_cpu(xmlNode *dom)
{
	xmlNode *cpu = child(dom, "cpu");
	xmlChar *mode = cpu ? xmlGetProp(cpu, BAD_CAST "mode") : NULL;
	const char *m = mode ? (const char *)mode : "custom";
	int ok = !strcmp(m, "host-passthrough") || !strcmp(m, "maximum") || cmdline_enables_int(dom);
	int r = 0;

	if (!ok)
		r = refuse("<asyncpf> needs the guest to see kvm-asyncpf-int, which <cpu%s%s%s> hides; "
			   "write <cpu mode='host-passthrough'/>, or keep this CPU and add "
			   "<qemu:commandline><qemu:arg value='-global'/>"
			   "<qemu:arg value='x86_64-cpu.kvm-asyncpf-int=on'/></qemu:commandline> "
			   "(xmlns:qemu='" QEMU_NS "' on <domain>)",
			   cpu ? " mode='" : "", cpu ? m : "", cpu ? "'" : " (none: QEMU's default model)");
	xmlFree(mode);
	return r;
}

static int write_attr(const char *dir, const char *attr, const char *val)
{
	char path[4096];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	f = fopen(path, "w");
	if (!f)
		return refuse("cannot open %s: %s", path, strerror(errno));
	bad = fprintf(f, "%s\n", val) < 0;
	bad |= fclose(f) != 0;
	return bad ? refuse("writing '%s' to %s failed: %s", val, path, strerror(errno)) : 0;
}

/* Every VM the domain's QEMU created: vms/PID-N. */
static int apply(const char *sysfs, const struct settings *s)
{
	char path[4096], prefix[64], num[24];
	long pid = 0;
	int found = 0, r = 0;
	struct dirent *d;
	FILE *f;
	DIR *vms;

	snprintf(path, sizeof(path), "%s/%s.pid", env_or("PVAPF_LIBVIRT_RUN", "/run/libvirt/qemu"),
		 domain);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
		if (f)
			fclose(f);
		return refuse("no QEMU pid in %s", path);
	}
	fclose(f);
	snprintf(prefix, sizeof(prefix), "%ld-", pid);
	snprintf(path, sizeof(path), "%s/vms", sysfs);
	vms = opendir(path);
	if (!vms)
		return refuse("cannot read %s: %s", path, strerror(errno));
	while (!r && (d = readdir(vms))) {
		if (strncmp(d->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "%s/vms/%s", sysfs, d->d_name);
		r = write_attr(path, "policy", s->policy);
		if (!r && s->max_outstanding) {
			snprintf(num, sizeof(num), "%ld", s->max_outstanding);
			r = write_attr(path, "max_outstanding", num);
		}
		found++;
	}
	closedir(vms);
	if (!r && !found)
		return refuse("QEMU (pid %ld) has no VM in %s/vms", pid, sysfs);
	return r;
}

int main(int argc, char **argv)
{
	const char *sysfs = env_or("PVAPF_SYSFS", "/sys/kernel/pvapf");
	struct settings s;
	xmlNode *el = NULL;
	xmlDoc *doc;
	size_t len;
	char *xml;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DOMAIN OPERATION [SUBOPERATION [EXTRA]] <domain.xml\n", argv[0]);
		return 2;
	}
	domain = argv[1];
	/* Filters: empty output keeps the XML; the rest is not ours to act on. */
	if (strcmp(argv[2], "prepare") && strcmp(argv[2], "started"))
		return 0;
	xml = read_all(stdin, &len);
	if (!xml)
		return refuse("cannot read the domain XML from stdin (larger than %d bytes?)", MAX_XML);
	if (!strstr(xml, NS_BASE)) {
		free(xml);
		return 0;
	}
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING);
	free(xml);
	if (!doc)
		return refuse("the domain XML on stdin does not parse");
	r = find_element(xmlDocGetRootElement(doc), &el);
	if (r <= 0)
		goto out;
	r = parse_settings(el, &s);
	if (r)
		goto out;
	/* policy='off' needs neither the CPU feature nor a pvapf host; it is applied where there is one. */
	if (!strcmp(argv[2], "prepare")) {
		if (strcmp(s.policy, "off")) {
			r = check_cpu(xmlDocGetRootElement(doc));
			if (!r && access(sysfs, F_OK))
				r = refuse("<asyncpf policy='%s'> asks for pvapf, but this host's kernel has none "
					   "(%s missing: boot the pvapf host kernel, with kvm loaded)",
					   s.policy, sysfs);
		}
	} else if (strcmp(s.policy, "off") || !access(sysfs, F_OK)) {
		r = apply(sysfs, &s);
	}
out:
	xmlFreeDoc(doc);
	return r < 0 ? 1 : r;
}
