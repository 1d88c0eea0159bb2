// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_host_sysfs.c - policy from outside the VMM, root only:
 *   /sys/kernel/pvapf/default_policy          policy new VMs start with
 *   /sys/kernel/pvapf/outstanding             async faults in flight, all VMs
 *   /sys/kernel/pvapf/vms/<pid>-<n>/pid       the VMM process that created it
 *   /sys/kernel/pvapf/vms/<pid>-<n>/policy    off | always | adaptive
 *   /sys/kernel/pvapf/vms/<pid>-<n>/max_outstanding   per vCPU, 1..1024
 *   /sys/kernel/pvapf/vms/<pid>-<n>/debug_ready_other_vcpu   test aid, 0 or 1
 *   /sys/kernel/pvapf/vms/<pid>-<n>/debug_reclaim_after_swapin  test aid, count
 *   /sys/kernel/pvapf/vms/<pid>-<n>/debug_lose_ready   test aid, count
 * (the test aids only with CONFIG_KVM_PVAPF_TEST_AIDS, which no packaged
 * flavour sets)
 * A libvirt hook finds a domain's VM from the QEMU pid (vms/<pid>-*).
 * Invalid writes fail with -EINVAL and a log line naming the value.
 */
#include <linux/kobject.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "pvapf_host_internal.h"

struct pvapf_host_vm_sysfs {
	struct kobject kobj;
	struct kvm *kvm;
};

static struct kobject *pvapf_root;
static struct kset *pvapf_vms;

static struct kvm *pvapf_kobj_kvm(struct kobject *kobj)
{
	return container_of(kobj, struct pvapf_host_vm_sysfs, kobj)->kvm;
}

static int pvapf_invalid(struct kobject *kobj, const char *attr, const char *buf)
{
	pr_warn_ratelimited("pvapf: %s/%s: invalid value '%.*s'\n",
			    kobject_name(kobj), attr, (int)strcspn(buf, "\n"), buf);
	return -EINVAL;
}

/* The per-VM policy and the default for new VMs read and parse alike. */
static ssize_t pvapf_policy_show(const int *policy, char *buf)
{
	return sysfs_emit(buf, "%s\n", pvapf_policy_name(READ_ONCE(*policy)));
}

static ssize_t pvapf_policy_store(struct kobject *kobj, const char *attr, int *policy,
				  const char *buf, size_t len)
{
	int p = pvapf_policy_parse(buf);

	if (p < 0)
		return pvapf_invalid(kobj, attr, buf);
	WRITE_ONCE(*policy, p);
	return len;
}

static ssize_t policy_show(struct kobject *kobj, struct kobj_attribute *a, char *buf)
{
	return pvapf_policy_show(&pvapf_vm(pvapf_kobj_kvm(kobj))->policy, buf);
}

static ssize_t policy_store(struct kobject *kobj, struct kobj_attribute *a,
			    const char *buf, size_t len)
{
	return pvapf_policy_store(kobj, "policy (want off, always or adaptive)",
				  &pvapf_vm(pvapf_kobj_kvm(kobj))->policy, buf, len);
}

static ssize_t max_outstanding_show(struct kobject *kobj, struct kobj_attribute *a,
				    char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(pvapf_vm(pvapf_kobj_kvm(kobj))->max_outstanding));
}

static ssize_t max_outstanding_store(struct kobject *kobj, struct kobj_attribute *a,
				     const char *buf, size_t len)
{
	unsigned int n;

	if (kstrtouint(buf, 10, &n) || !n || n > PVAPF_HOST_MAX_OUTSTANDING_LIMIT)
		return pvapf_invalid(kobj, "max_outstanding (want 1..1024)", buf);
	WRITE_ONCE(pvapf_vm(pvapf_kobj_kvm(kobj))->max_outstanding, n);
	return len;
}

#if IS_ENABLED(CONFIG_KVM_PVAPF_TEST_AIDS)
static ssize_t debug_ready_other_vcpu_show(struct kobject *kobj, struct kobj_attribute *a,
					   char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(pvapf_vm(pvapf_kobj_kvm(kobj))->debug_ready_other_vcpu));
}

static ssize_t debug_ready_other_vcpu_store(struct kobject *kobj, struct kobj_attribute *a,
					    const char *buf, size_t len)
{
	bool on;

	if (kstrtobool(buf, &on))
		return pvapf_invalid(kobj, "debug_ready_other_vcpu (want 0 or 1)", buf);
	WRITE_ONCE(pvapf_vm(pvapf_kobj_kvm(kobj))->debug_ready_other_vcpu, on);
	return len;
}

static ssize_t debug_reclaim_after_swapin_show(struct kobject *kobj,
					       struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  atomic_read(&pvapf_vm(pvapf_kobj_kvm(kobj))->debug_reclaim_left));
}

static ssize_t debug_reclaim_after_swapin_store(struct kobject *kobj,
						struct kobj_attribute *a,
						const char *buf, size_t len)
{
	unsigned int n;

	if (!IS_BUILTIN(CONFIG_KVM)) {
		pr_warn_ratelimited("pvapf: %s/debug_reclaim_after_swapin: needs KVM built in\n",
				    kobject_name(kobj));
		return -EOPNOTSUPP;
	}
	if (kstrtouint(buf, 10, &n) || n > INT_MAX)
		return pvapf_invalid(kobj, "debug_reclaim_after_swapin (want a count)", buf);
	atomic_set(&pvapf_vm(pvapf_kobj_kvm(kobj))->debug_reclaim_left, n);
	return len;
}

static ssize_t debug_lose_ready_show(struct kobject *kobj, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  atomic_read(&pvapf_vm(pvapf_kobj_kvm(kobj))->debug_lose_left));
}

static ssize_t debug_lose_ready_store(struct kobject *kobj, struct kobj_attribute *a,
				      const char *buf, size_t len)
{
	unsigned int n;

	if (kstrtouint(buf, 10, &n) || n > INT_MAX)
		return pvapf_invalid(kobj, "debug_lose_ready (want a count)", buf);
	atomic_set(&pvapf_vm(pvapf_kobj_kvm(kobj))->debug_lose_left, n);
	return len;
}
#endif

static ssize_t pid_show(struct kobject *kobj, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", pvapf_vm(pvapf_kobj_kvm(kobj))->pid);
}

static struct kobj_attribute pvapf_attr_policy = __ATTR(policy, 0600, policy_show,
							 policy_store);
static struct kobj_attribute pvapf_attr_max = __ATTR(max_outstanding, 0600,
						      max_outstanding_show,
						      max_outstanding_store);
static struct kobj_attribute pvapf_attr_pid = __ATTR(pid, 0400, pid_show, NULL);
#if IS_ENABLED(CONFIG_KVM_PVAPF_TEST_AIDS)
static struct kobj_attribute pvapf_attr_debug_other = __ATTR(debug_ready_other_vcpu, 0600,
							      debug_ready_other_vcpu_show,
							      debug_ready_other_vcpu_store);
static struct kobj_attribute pvapf_attr_debug_reclaim = __ATTR(debug_reclaim_after_swapin, 0600,
								debug_reclaim_after_swapin_show,
								debug_reclaim_after_swapin_store);
static struct kobj_attribute pvapf_attr_debug_lose = __ATTR(debug_lose_ready, 0600,
							     debug_lose_ready_show,
							     debug_lose_ready_store);
#endif

static struct attribute *pvapf_vm_attrs[] = {
	&pvapf_attr_policy.attr,
	&pvapf_attr_max.attr,
	&pvapf_attr_pid.attr,
#if IS_ENABLED(CONFIG_KVM_PVAPF_TEST_AIDS)
	&pvapf_attr_debug_other.attr,
	&pvapf_attr_debug_reclaim.attr,
	&pvapf_attr_debug_lose.attr,
#endif
	NULL
};
ATTRIBUTE_GROUPS(pvapf_vm);

static void pvapf_vm_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct pvapf_host_vm_sysfs, kobj));
}

static const struct kobj_type pvapf_vm_ktype = {
	.release = pvapf_vm_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = pvapf_vm_groups,
};

int pvapf_sysfs_vm_add(struct kvm *kvm, const char *name)
{
	struct pvapf_host_vm_sysfs *s;
	int r;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	s->kvm = kvm;
	s->kobj.kset = pvapf_vms;
	r = kobject_init_and_add(&s->kobj, &pvapf_vm_ktype, NULL, "%s", name);
	if (r) {
		kobject_put(&s->kobj);
		return r;
	}
	pvapf_vm(kvm)->sysfs = s;
	return 0;
}

void pvapf_sysfs_vm_del(struct kvm *kvm)
{
	struct pvapf_host_vm_sysfs *s = pvapf_vm(kvm)->sysfs;

	if (!s)
		return;
	/* Waits for readers and writers of the files; none can start after. */
	kobject_del(&s->kobj);
	kobject_put(&s->kobj);
	pvapf_vm(kvm)->sysfs = NULL;
}

static ssize_t default_policy_show(struct kobject *kobj, struct kobj_attribute *a,
				   char *buf)
{
	return pvapf_policy_show(&pvapf_host_default_policy, buf);
}

static ssize_t default_policy_store(struct kobject *kobj, struct kobj_attribute *a,
				    const char *buf, size_t len)
{
	return pvapf_policy_store(kobj, "default_policy (want off, always or adaptive)",
				  &pvapf_host_default_policy, buf, len);
}

static ssize_t outstanding_show(struct kobject *kobj, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&pvapf_host_outstanding_total));
}

static struct kobj_attribute pvapf_attr_default = __ATTR(default_policy, 0600,
							  default_policy_show,
							  default_policy_store);
static struct kobj_attribute pvapf_attr_outstanding = __ATTR(outstanding, 0400,
							      outstanding_show, NULL);

static struct attribute *pvapf_root_attrs[] = {
	&pvapf_attr_default.attr,
	&pvapf_attr_outstanding.attr,
	NULL
};

static const struct attribute_group pvapf_root_group = {
	.attrs = pvapf_root_attrs,
};

/*
 * Make the directory @name of @parent root's (0700).  sysfs makes every
 * directory 0755; sysfs_chmod_file() changes a node's mode through kernfs
 * (kernfs_setattr(), under its lock), finding the node by name, and keeps
 * its type.
 */
static int pvapf_sysfs_root_only(struct kobject *parent, const char *name)
{
	const struct attribute node = { .name = name };

	return sysfs_chmod_file(parent, &node, 0700);
}

int pvapf_sysfs_init(void)
{
	int r;

	pvapf_root = kobject_create_and_add("pvapf", kernel_kobj);
	if (!pvapf_root)
		return -ENOMEM;
	/*
	 * Root only: vms/ names are VMM pids (hidepid=2) and count the VMs
	 * made.  It is made inside pvapf/ once pvapf/ is root's, so nobody else
	 * ever reaches it, not even through a descriptor of pvapf/ opened while
	 * that was new and 0755 (a lookup checks the directory's mode as it is).
	 */
	r = pvapf_sysfs_root_only(kernel_kobj, "pvapf");
	if (r)
		goto err;
	r = sysfs_create_group(pvapf_root, &pvapf_root_group);
	if (r)
		goto err;
	pvapf_vms = kset_create_and_add("vms", NULL, pvapf_root);
	if (!pvapf_vms) {
		r = -ENOMEM;
		goto err;
	}
	r = pvapf_sysfs_root_only(pvapf_root, "vms");
	if (r) {
		kset_unregister(pvapf_vms);
		goto err;
	}
	return 0;
err:
	kobject_put(pvapf_root);
	return r;
}

void pvapf_sysfs_exit(void)
{
	kset_unregister(pvapf_vms);
	kobject_put(pvapf_root);
}
