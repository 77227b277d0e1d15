/* log — stderr or syslog, levelled, with the calling function's name. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <syslog.h>

#include "status.h"

static atomic_bool debug_on;
static atomic_bool to_syslog;

void log_set_debug(bool on)
{
	atomic_store(&debug_on, on);
}

bool log_debug_enabled(void)
{
	return atomic_load(&debug_on);
}

void log_use_syslog(void)
{
	openlog("ftpfs", LOG_PID, LOG_DAEMON);
	atomic_store(&to_syslog, true);
}

void log_msg(enum log_level lvl, const char *func, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tag[] = { "error", "warning", "info",
					   "debug" };
	char buf[1024];
	va_list ap;

	if (lvl == LOG_LVL_ERR)
		status_add(ST_ERRORS, 1);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (atomic_load(&to_syslog))
		syslog(prio[lvl], "%s: %s", func, buf);
	else if (lvl == LOG_LVL_DEBUG)
		fprintf(stderr, "ftpfs: %s: %s: %s\n", tag[lvl], func, buf);
	else
		fprintf(stderr, "ftpfs: %s: %s\n", tag[lvl], buf);
}
