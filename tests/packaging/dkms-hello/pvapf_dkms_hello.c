// SPDX-License-Identifier: GPL-2.0-only
/* An external module built by DKMS against linux-headers-<release> in the packaging tests. */
#include <linux/module.h>
#include <linux/utsname.h>

static int __init pvapf_dkms_hello_init(void)
{
	pr_info("pvapf_dkms_hello: loaded on %s\n", init_utsname()->release);
	return 0;
}

static void __exit pvapf_dkms_hello_exit(void)
{
}

module_init(pvapf_dkms_hello_init);
module_exit(pvapf_dkms_hello_exit);
MODULE_DESCRIPTION("pvapf packaging test: an external module built with DKMS");
MODULE_LICENSE("GPL");
