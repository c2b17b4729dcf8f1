// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static int log_level = LOG_INFO;
static int log_journal;
static int log_syslog;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void mobd_log_set_level(int level)
{
	log_level = level;
}

int mobd_log_level(void)
{
	return log_level;
}

void mobd_log_set_journal(int on)
{
	log_journal = on;
}

void mobd_log_set_syslog(int on)
{
	if (on && !log_syslog)
		openlog("mobd", LOG_PID, LOG_DAEMON);
	log_syslog = on;
}

int mobd_log_parse_level(const char *name)
{
	int i;

	for (i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (!strcasecmp(name, level_names[i]))
			return i;
	if (!strcasecmp(name, "error"))
		return LOG_ERR;
	if (!strcasecmp(name, "warn"))
		return LOG_WARNING;
	return -1;
}

void mobd_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(level, "%s", line);
	else if (log_journal)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "mobd: %s: %s\n", level_names[level], line);
}

unsigned long long mobd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
