/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mobd's log: one line per decision, to stderr (to syslog once detached).  Under systemd (stderr is
 * the journal) each line starts with the syslog "<N>" level prefix, which
 * journald turns into the message's priority; on a terminal the level is
 * spelt out instead.  Messages at a level above the configured one are
 * dropped.
 */
#ifndef MOBD_LOG_H
#define MOBD_LOG_H

#include <syslog.h>

/* LOG_ERR .. LOG_DEBUG; the default is LOG_INFO. */
void mobd_log_set_level(int level);
int mobd_log_level(void);
/* Use the "<N>" prefix (true under systemd: JOURNAL_STREAM is set). */
void mobd_log_set_journal(int on);
/* Log to syslog instead (a detached daemon has no stderr). */
void mobd_log_set_syslog(int on);
/* "err", "warning", "notice", "info", "debug" -> level; -1 if unknown. */
int mobd_log_parse_level(const char *name);

void mobd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	mobd_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	mobd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	mobd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	mobd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	mobd_log(LOG_DEBUG, __VA_ARGS__)

/* Milliseconds of CLOCK_MONOTONIC, for timers and hold times. */
unsigned long long mobd_now_ms(void);

#endif /* MOBD_LOG_H */
