// SPDX-License-Identifier: GPL-2.0
/*
 * The unit test runner: every suite of tests/unit in one SRunner.
 */
#include <stdlib.h>

#include "suites.h"

static Suite *(*const suites[])(void) = {
	parse_suite,
	mobnl_suite,
	mobctl_suite,
	xlat_suite,
	config_suite,
	pool_suite,
	hostnet_suite,
	dir_suite,
	etcd_suite,
	virt_suite,
	agent_suite,
};

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	size_t i;
	int failed;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
