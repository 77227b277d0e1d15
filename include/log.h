/* log — one way to log.
 *
 * Messages go to stderr, or to syslog once log_use_syslog() is called
 * (after daemonising). Debug messages are dropped unless log_set_debug(true).
 * Never pass a password to these functions: callers redact first.
 */
#ifndef FTPFS_LOG_H
#define FTPFS_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_debug(bool on);
bool log_debug_enabled(void);
void log_use_syslog(void);
void log_msg(enum log_level lvl, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(...) log_msg(LOG_LVL_ERR, __func__, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __func__, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __func__, __VA_ARGS__)
#define log_dbg(...)                                                   \
	do {                                                           \
		if (log_debug_enabled())                               \
			log_msg(LOG_LVL_DEBUG, __func__, __VA_ARGS__); \
	} while (0)

#endif
