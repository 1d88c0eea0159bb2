// SPDX-License-Identifier: GPL-2.0-only
/*
 * pvapf-hook - libvirt QEMU hook: per-VM pvapf settings from the domain XML.
 *
 * Installed as /usr/sbin/pvapf-hook (Debian's AppArmor profile lets libvirtd run
 * programs from /usr/sbin, not /usr/libexec) and linked as
 * /etc/libvirt/hooks/qemu.d/50-pvapf; libvirt runs it as
 * "50-pvapf DOMAIN OPERATION SUBOPERATION EXTRA" with the domain XML on stdin.
 * The settings are one element in pvapf's own namespace under <metadata>:
 *
 *   <pvapf:asyncpf xmlns:pvapf="https://pvapf.org/xmlns/libvirt/1"
 *                  policy="adaptive" max-outstanding="64"/>
 *
 * prepare/begin  checks the element, the domain and the host: a bad element, or a
 *                domain whose guest would not get async PF, fails the start with a
 *                message naming the element or attribute and value and what to write.
 * started/begin  writes the settings to the VM's /sys/kernel/pvapf/vms/PID-N/,
 *                PID from libvirt's run directory (never a call into libvirt).
 * policy="off" asks for nothing to be checked: it is written where there is a KVM VM
 * on a pvapf host, and never fails a start otherwise.
 * migrate, restore (filters): print nothing, so the XML stays unchanged.
 * A domain without the element costs one scan of stdin for the namespace.
 *
 * PVAPF_SYSFS and PVAPF_LIBVIRT_RUN move /sys/kernel/pvapf and
 * /run/libvirt/qemu (tests).  Exit: 0 ok, 1 refused or failed, 2 usage.
 * Manual: pvapf-hook(8).
 */
#include <ctype.h>
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

/* Out of memory: does NS_BASE occur in buf[0..n) or the rest of f? Read through buf's cap. */
static int scan_rest(FILE *f, char *buf, size_t n, size_t cap)
{
	size_t keep = strlen(NS_BASE) - 1, r;

	for (;;) {
		if (memmem(buf, n, NS_BASE, keep + 1))
			return 1;
		if (n > keep) {
			memmove(buf, buf + n - keep, keep);
			n = keep;
		}
		r = fread(buf + n, 1, cap - n, f);
		if (!r)
			return 0;
		n += r;
	}
}

/*
 * All of stdin, whatever its size (libvirt's XML is trusted); *has_ns: pvapf's namespace
 * occurs in it. NULL when memory ran out, *has_ns still right (a domain without the
 * element must start whatever happens here).
 */
static char *read_all(FILE *f, size_t *len, int *has_ns)
{
	size_t cap = 65536, n = 0, r;
	char *buf = malloc(cap + 1), *nb;

	*len = 0;
	*has_ns = 0;
	if (!buf)
		return NULL;
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n < cap)
			continue;
		nb = realloc(buf, 2 * cap + 1);
		if (!nb) {
			*has_ns = scan_rest(f, buf, n, cap);
			free(buf);
			return NULL;
		}
		buf = nb;
		cap *= 2;
	}
	buf[n] = '\0';
	*len = n;
	*has_ns = memmem(buf, n, NS_BASE, strlen(NS_BASE)) != NULL;
	return buf;
}

/* libxml2's push parser: no int limit on the length, and XML_PARSE_HUGE (trusted input). */
static xmlDoc *parse(const char *xml, size_t len)
{
	xmlParserCtxt *ctxt = xmlCreatePushParserCtxt(NULL, NULL, NULL, 0, "domain.xml");
	const size_t step = 1 << 30;
	xmlDoc *doc;
	int bad = !ctxt;

	if (!bad)
		bad = xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_HUGE) != 0;
	while (!bad && len) {
		size_t n = len < step ? len : step;

		bad = xmlParseChunk(ctxt, xml, (int)n, 0) != 0;
		xml += n;
		len -= n;
	}
	if (!bad)
		bad = xmlParseChunk(ctxt, NULL, 0, 1) != 0;
	if (!ctxt)
		return NULL;
	doc = ctxt->myDoc;
	if (bad || !ctxt->wellFormed) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
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

/* An attribute's value, "" if absent (no copy: the document outlives its use). */
static const char *attr(xmlNode *n, const char *name)
{
	xmlAttr *a = n ? xmlHasProp(n, BAD_CAST name) : NULL;

	return a && a->children && a->children->content ? (const char *)a->children->content : "";
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

/*
 * What a Linux guest needs to use KVM's async PF, and which domain settings take it away
 * (QEMU 7.2, libvirt 9.0, Linux 6.12):
 *  - KVM at all: a type='qemu' (TCG) domain has no KVM leaves (QEMU clears FEAT_KVM).
 *  - the hypervisor CPUID bit: without it the guest never looks for KVM's signature
 *    (arch/x86/kernel/kvm.c, __kvm_cpuid_base).
 *  - KVM's signature: kvm=off (libvirt's <kvm><hidden state='on'/>) drops KVM's leaves, so the
 *    guest does not pick KVM as its platform and never runs kvm_guest_init.
 *  - kvm-asyncpf-int: the guest enables async PF only with it; QEMU sets it for host and max,
 *    named models leave it off, and libvirt's CPU map has no name for it.
 *  - kvm-asyncpf: msr.rst offers MSR_KVM_ASYNC_PF_EN only with it (kvm-pv-enforce-cpuid
 *    makes KVM refuse the MSR without it).
 * Hyper-V enlightenments are fine: QEMU then puts KVM's leaves at 0x40000100, and Linux's
 * platform detection picks the highest base found (KVM's 0x40000100 beats Hyper-V's
 * 0x40000000). -overcommit cpu-pm=on only keeps HLT in the guest: async PF stays.
 */
enum { P_KVM, P_HV, P_INT, P_APF, NPROPS };
static const char *const prop_names[NPROPS] = { "kvm", "hypervisor", "kvm-asyncpf-int", "kvm-asyncpf" };

struct cpu {
	const char *model;		/* QEMU's -cpu model ("" for libvirt's host-model) */
	char model_buf[128];
	const char *model_arg;		/* the <qemu:arg> that gave it, or NULL: libvirt's <cpu> */
	int on[NPROPS];
	char by[NPROPS][512];		/* the setting that decided it, "": the model's default */
	int by_libvirt[NPROPS];		/* ... and it is a libvirt element, not a <qemu:arg> */
};

static void set_prop(struct cpu *c, const char *name, int on, const char *fmt, const char *what, int lv)
{
	char norm[64];
	size_t i;

	/* QEMU's x86 CPU takes kvm_asyncpf_int as an alias of kvm-asyncpf-int */
	for (i = 0; name[i] && i < sizeof(norm) - 1; i++)
		norm[i] = name[i] == '_' ? '-' : name[i];
	norm[i] = '\0';
	for (i = 0; i < NPROPS; i++) {
		if (strcmp(norm, prop_names[i]))
			continue;
		c->on[i] = on;
		snprintf(c->by[i], sizeof(c->by[i]), fmt, what);
		c->by_libvirt[i] = lv;
	}
}

/* QEMU's bool spellings (qapi_bool_parse): 1 on, 0 off, -1 neither (QEMU refuses to start). */
static int parse_bool(const char *v)
{
	static const char *const on[] = { "on", "yes", "true", "y" }, *const off[] = { "off", "no", "false", "n" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(v, on[i]))
			return 1;
		if (!strcmp(v, off[i]))
			return 0;
	}
	return -1;
}

#define QEMU_ARG "<qemu:arg value='%s'/>"

/* A -global: "DRIVER.PROP=VALUE" or "driver=D,property=P,value=V"; only CPU drivers count. */
static void apply_global(struct cpu *c, const char *arg)
{
	char *s = strdup(arg), *drv = NULL, *prop = NULL, *val = NULL, *tok, *save;
	char model_drv[128];
	int on;

	if (!s)
		return;
	tok = s + strcspn(s, ".=");
	if (*tok == '.' && strchr(tok, '=')) {
		*tok = '\0';
		drv = s;
		prop = tok + 1;
		val = strchr(prop, '=');
		*val++ = '\0';
	} else {
		for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (!strncmp(tok, "driver=", 7))
				drv = tok + 7;
			else if (!strncmp(tok, "property=", 9))
				prop = tok + 9;
			else if (!strncmp(tok, "value=", 6))
				val = tok + 6;
		}
	}
	snprintf(model_drv, sizeof(model_drv), "%s-x86_64-cpu", c->model);
	/* host-x86_64-cpu is a subclass of max-x86_64-cpu */
	if (drv && prop && val && (on = parse_bool(val)) >= 0 &&
	    (!strcmp(drv, "x86_64-cpu") || !strcmp(drv, "cpu") || !strcmp(drv, model_drv) ||
	     (!strcmp(c->model, "host") && !strcmp(drv, "max-x86_64-cpu"))))
		set_prop(c, prop, on, QEMU_ARG, arg, 0);
	free(s);
}

/* -cpu's "name=value" in order, then every "+name", then every "-name" (QEMU's order). */
static void apply_featurestr(struct cpu *c, const char *features, const char *arg)
{
	char *s, *tok, *save, *eq;
	int pass, on;

	for (pass = 0; pass < 3; pass++) {
		s = strdup(features);
		for (tok = s ? strtok_r(s, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
			if (pass == 0 && *tok != '+' && *tok != '-') {
				eq = strchr(tok, '=');
				if (eq)
					*eq++ = '\0';
				on = parse_bool(eq ? eq : "on");
				if (on >= 0)
					set_prop(c, tok, on, QEMU_ARG, arg, 0);
			} else if ((pass == 1 && *tok == '+') || (pass == 2 && *tok == '-')) {
				set_prop(c, tok + 1, pass == 1, QEMU_ARG, arg, 0);
			}
		}
		free(s);
	}
}

/* Is ARG one of QEMU's options NAME ("-name" or "--name")? */
static int is_opt(const char *arg, const char *name)
{
	return arg[0] == '-' && !strcmp(arg + 1 + (arg[1] == '-'), name);
}

/*
 * <qemu:commandline>'s -cpu and -global values in order: with cpu_arg, the last -cpu's
 * value (it replaces libvirt's -cpu); without, each -global applied to c.
 */
static void qemu_args(xmlNode *dom, struct cpu *c, const char **cpu_arg)
{
	xmlNode *cl, *n;
	const char *v;
	int opt = 0;

	for (cl = dom->children; cl; cl = cl->next) {
		if (!is_el(cl, "commandline") || strcmp(ns_of(cl), QEMU_NS))
			continue;
		for (n = cl->children; n; n = n->next) {
			if (!is_el(n, "arg"))
				continue;
			v = attr(n, "value");
			if (opt == 'c' && cpu_arg)
				*cpu_arg = v;
			else if (opt == 'g' && !cpu_arg)
				apply_global(c, v);
			opt = opt ? 0 : is_opt(v, "cpu") ? 'c' : is_opt(v, "global") ? 'g' : 0;
		}
	}
}

/*
 * The CPU QEMU builds: libvirt's -cpu (<cpu> and its <feature>s, <features><kvm><hidden>), or
 * the last -cpu of <qemu:commandline>; -globals first, then -cpu's own settings.
 */
static void eval_cpu(xmlNode *dom, struct cpu *c)
{
	xmlNode *cpu = child(dom, "cpu"), *n, *hid;
	const char *cpu_arg = NULL, *m = attr(cpu, "mode");
	size_t i;

	memset(c, 0, sizeof(*c));
	qemu_args(dom, c, &cpu_arg);
	if (cpu_arg) {
		snprintf(c->model_buf, sizeof(c->model_buf), "%.*s", (int)strcspn(cpu_arg, ","), cpu_arg);
		c->model = c->model_buf;
		c->model_arg = cpu_arg;
	} else if (!strcmp(m, "host-passthrough")) {
		c->model = "host";
	} else if (!strcmp(m, "maximum")) {
		c->model = "max";
	} else {
		n = child(cpu, "model");
		c->model = n && n->children && n->children->content ? (const char *)n->children->content : "";
	}
	for (i = 0; i < NPROPS; i++)
		c->on[i] = 1;
	c->on[P_INT] = !strcmp(c->model, "host") || !strcmp(c->model, "max");
	qemu_args(dom, c, NULL);
	if (cpu_arg) {
		apply_featurestr(c, cpu_arg + strcspn(cpu_arg, ","), cpu_arg);
		return;
	}
	/* libvirt: require/force write name=on, disable/forbid name=off */
	for (n = cpu ? cpu->children : NULL; n; n = n->next) {
		const char *pol = attr(n, "policy"), *name = attr(n, "name");
		char by[160];

		if (!is_el(n, "feature"))
			continue;
		snprintf(by, sizeof(by), "<feature policy='%s' name='%s'/>", pol, name);
		if (!strcmp(pol, "require") || !strcmp(pol, "force"))
			set_prop(c, name, 1, "%s", by, 1);
		else if (!strcmp(pol, "disable") || !strcmp(pol, "forbid"))
			set_prop(c, name, 0, "%s", by, 1);
	}
	hid = child(child(child(dom, "features"), "kvm"), "hidden");
	if (hid && !strcmp(attr(hid, "state"), "on"))
		set_prop(c, "kvm", 0, "%s", "<features><kvm><hidden state='on'/>", 1);
}

static int check_cpu(xmlNode *dom)
{
	xmlNode *cpu = child(dom, "cpu");
	const char *m = *attr(cpu, "mode") ? attr(cpu, "mode") : "custom";
	struct cpu c;
	int r = 0;

	eval_cpu(dom, &c);
	if (!c.on[P_KVM])
		r = refuse("<asyncpf> needs KVM's PV features, but %s hides KVM from the guest; %s", c.by[P_KVM],
			   c.by_libvirt[P_KVM] ? "write <hidden state='off'/>" : "remove kvm=off there");
	else if (!c.on[P_HV])
		r = refuse("<asyncpf> needs KVM's PV features, but %s hides the hypervisor bit, without which "
			   "the guest never looks for KVM; %s", c.by[P_HV],
			   c.by_libvirt[P_HV] ? "remove that <feature>" : "remove hypervisor=off there");
	else if (!c.on[P_INT] && *c.by[P_INT])
		r = refuse("<asyncpf> needs the guest to see kvm-asyncpf-int, but %s turns kvm-asyncpf-int off; "
			   "write kvm-asyncpf-int=on instead", c.by[P_INT]);
	else if (!c.on[P_INT] && c.model_arg)
		r = refuse("<asyncpf> needs the guest to see kvm-asyncpf-int, which " QEMU_ARG " (-cpu %s) hides "
			   "kvm-asyncpf-int; write -cpu host, or add ,kvm-asyncpf-int=on to it",
			   c.model_arg, c.model);
	else if (!c.on[P_INT])
		r = refuse("<asyncpf> needs the guest to see kvm-asyncpf-int, which <cpu%s%s%s> hides; "
			   "write <cpu mode='host-passthrough'/>, or keep this CPU and add "
			   "<qemu:commandline><qemu:arg value='-global'/>"
			   "<qemu:arg value='x86_64-cpu.kvm-asyncpf-int=on'/></qemu:commandline> "
			   "(xmlns:qemu='" QEMU_NS "' on <domain>)",
			   cpu ? " mode='" : "", cpu ? m : "", cpu ? "'" : " (none: QEMU's default model)");
	else if (!c.on[P_APF])
		r = refuse("<asyncpf> needs the guest to see kvm-asyncpf, but %s turns kvm-asyncpf off; "
			   "write kvm-asyncpf=on instead", c.by[P_APF]);
	return r;
}

/*
 * The guest's own parameters in a direct-boot <cmdline> (Linux's next_arg: whitespace outside
 * quotes separates, a leading quote is dropped, "-" and "_" are the same, "--" ends them):
 * no-kvmapf turns async PF off; nopv skips every PV platform's setup, KVM's with it.
 */
static int check_cmdline(xmlNode *dom)
{
	xmlChar *text = xmlNodeGetContent(child(child(dom, "os"), "cmdline"));
	const char *all = text ? (const char *)text : "", *p = all, *start, *eq;
	int quoted, q, r = 0;
	char name[32];
	size_t len, i;

	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		quoted = *p == '"';
		start = p + quoted;
		for (q = quoted, p = start; *p && (q || !isspace((unsigned char)*p)); p++)
			if (*p == '"')
				q = !q;
		eq = memchr(start, '=', p - start);
		len = (eq ? eq : p) - start;
		if (!eq && quoted && len && start[len - 1] == '"')
			len--;
		if (len >= sizeof(name))
			continue;
		for (i = 0; i < len; i++)
			name[i] = start[i] == '_' ? '-' : start[i];
		name[len] = '\0';
		if (!eq && !strcmp(name, "--"))
			break;
		if (!strcmp(name, "no-kvmapf"))
			r = refuse("<cmdline>%s</cmdline> has %.*s: the guest turns async PF off; remove it",
				   all, (int)len, start);
		else if (!strcmp(name, "nopv"))
			r = refuse("<cmdline>%s</cmdline> has %.*s: the guest then skips KVM's setup, async PF "
				   "with it; remove it", all, (int)len, start);
		if (r)
			break;
	}
	xmlFree(text);
	return r;
}

static int write_attr(const char *dir, const char *file, const char *val)
{
	char path[4096];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
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
	xmlNode *el = NULL, *dom;
	int r, has_ns, kvm;
	xmlDoc *doc;
	size_t len;
	char *xml;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DOMAIN OPERATION [SUBOPERATION [EXTRA]] <domain.xml\n", argv[0]);
		return 2;
	}
	domain = argv[1];
	/* Filters: empty output keeps the XML; the rest is not ours to act on. */
	if (strcmp(argv[2], "prepare") && strcmp(argv[2], "started"))
		return 0;
	xml = read_all(stdin, &len, &has_ns);
	if (!has_ns) {
		free(xml);
		return 0;
	}
	if (!xml)
		return refuse("out of memory reading the domain XML from stdin");
	doc = parse(xml, len);
	free(xml);
	if (!doc)
		return refuse("the domain XML on stdin does not parse");
	dom = xmlDocGetRootElement(doc);
	r = find_element(dom, &el);
	if (r <= 0)
		goto out;
	r = parse_settings(el, &s);
	if (r)
		goto out;
	kvm = !strcmp(attr(dom, "type"), "kvm");
	/*
	 * policy='off' needs neither KVM, the CPU features nor a pvapf host; it is applied where
	 * there is a KVM VM on a pvapf host.
	 */
	if (!strcmp(argv[2], "prepare")) {
		if (!strcmp(s.policy, "off"))
			goto out;
		if (!kvm)
			r = refuse("<domain type='%s'>: no KVM, so no async PF; write <domain type='kvm'> "
				   "(or <asyncpf policy='off'>)", attr(dom, "type"));
		if (!r)
			r = check_cpu(dom);
		if (!r)
			r = check_cmdline(dom);
		if (!r && access(sysfs, F_OK))
			r = refuse("<asyncpf policy='%s'> asks for pvapf, but this host's kernel has none "
				   "(%s missing: boot the pvapf host kernel, with kvm loaded)",
				   s.policy, sysfs);
	} else if (kvm && (strcmp(s.policy, "off") || !access(sysfs, F_OK))) {
		r = apply(sysfs, &s);
	}
out:
	xmlFreeDoc(doc);
	return r < 0 ? 1 : r;
}
