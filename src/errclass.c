/* errclass — reply code → errno, and errno → class (see errclass.h). */
#include "errclass.h"

#include <errno.h>
#include <stddef.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	int err; /* positive */
	enum err_class c;
} classes[] = {
	{ ECONNRESET, ERR_CONN_LOST },	   { ECONNABORTED, ERR_CONN_LOST },
	{ ENOTCONN, ERR_CONN_LOST },	   { EPIPE, ERR_CONN_LOST },
	{ EPROTO, ERR_CONN_LOST },	   { ETIMEDOUT, ERR_TIMEOUT },
	{ EMSGSIZE, ERR_GARBLED },	   { EIO, ERR_GAVE_UP },
	{ ECONNREFUSED, ERR_UNREACHABLE }, { EHOSTUNREACH, ERR_UNREACHABLE },
	{ ENETUNREACH, ERR_UNREACHABLE },  { ESHUTDOWN, ERR_STOPPING },
	{ EAGAIN, ERR_NOT_YET },	   { ENOENT, ERR_NOT_YET },
};

static const char *const class_names[ERR_CLASS_N] = {
	[ERR_NONE] = "none",
	[ERR_REFUSED] = "refused",
	[ERR_CONN_LOST] = "conn_lost",
	[ERR_TIMEOUT] = "timeout",
	[ERR_GARBLED] = "garbled",
	[ERR_GAVE_UP] = "gave_up",
	[ERR_UNREACHABLE] = "unreachable",
	[ERR_STOPPING] = "stopping",
	[ERR_NOT_YET] = "not_yet",
};

enum err_class err_classify(int r)
{
	size_t i;

	if (r >= 0)
		return ERR_NONE;
	for (i = 0; i < N_OF(classes); i++)
		if (classes[i].err == -r)
			return classes[i].c;
	return ERR_REFUSED;
}

const char *err_class_name(enum err_class c)
{
	return (unsigned)c < ERR_CLASS_N ? class_names[c] : "?";
}

bool err_breaks_session(int r)
{
	enum err_class c = err_classify(r);

	return c == ERR_CONN_LOST || c == ERR_TIMEOUT || c == ERR_GARBLED ||
	       c == ERR_GAVE_UP;
}

int err_user(int r)
{
	enum err_class c = err_classify(r);

	if (c == ERR_CONN_LOST || c == ERR_GARBLED || c == ERR_UNREACHABLE ||
	    c == ERR_STOPPING)
		return -EIO;
	return r;
}

bool err_transient(int r)
{
	enum err_class c = err_classify(r);

	return c == ERR_CONN_LOST || c == ERR_TIMEOUT || c == ERR_UNREACHABLE ||
	       c == ERR_NOT_YET;
}

/* RFC 959 4.2 reply codes; what is not here is -EIO. */
static const struct {
	int code, err;
} reply_errnos[] = {
	{ 421, -ECONNRESET }, /* service closing the control connection */
	{ 450, -EBUSY },      /* file unavailable (busy) */
	{ 452, -ENOSPC },     /* insufficient storage */
	{ 552, -ENOSPC },     /* exceeded storage allocation */
	{ 530, -EACCES },     /* not logged in */
	{ 532, -EACCES },     /* need account for storing files */
	{ 553, -EACCES },     /* file name not allowed */
	{ 550, -ENOENT },     /* file unavailable (not found, no access) */
	{ 500, -EOPNOTSUPP }, /* syntax error, command unrecognised */
	{ 502, -EOPNOTSUPP }, /* command not implemented */
	{ 504, -EOPNOTSUPP }, /* not implemented for that parameter */
	{ 501, -EINVAL },     /* syntax error in parameters */
};

int err_reply_errno(int code, bool upload)
{
	size_t i;

	if (code < 400)
		return 0;
	if (upload && (code == 550 || code == 553))
		return -EACCES;
	for (i = 0; i < N_OF(reply_errnos); i++)
		if (reply_errnos[i].code == code)
			return reply_errnos[i].err;
	return -EIO;
}
