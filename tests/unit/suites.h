/* SPDX-License-Identifier: GPL-2.0 */
/* One Suite factory per test file; main.c runs them all. */
#ifndef MOB_UNIT_SUITES_H
#define MOB_UNIT_SUITES_H

#include <check.h>

Suite *parse_suite(void);
Suite *mobnl_suite(void);
Suite *mobctl_suite(void);
Suite *xlat_suite(void);
Suite *config_suite(void);
Suite *pool_suite(void);
Suite *hostnet_suite(void);
Suite *dir_suite(void);
Suite *etcd_suite(void);
Suite *virt_suite(void);
Suite *agent_suite(void);

#endif /* MOB_UNIT_SUITES_H */
