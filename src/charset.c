/* charset — iconv in both directions, each under its own lock (an iconv_t
 * keeps state and may not be shared between threads). See charset.h. */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct charset {
	iconv_t to_local, to_server;
	pthread_mutex_t lock_local, lock_server; /* protect each iconv_t */
};

int charset_new(const char *server, const char *local, struct charset **out)
{
	struct charset *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return -ENOMEM;
	if (!local)
		local = "UTF-8";
	cs->to_local = iconv_open(local, server);
	cs->to_server = iconv_open(server, local);
	if (cs->to_local == (iconv_t)-1 || cs->to_server == (iconv_t)-1) {
		if (cs->to_local != (iconv_t)-1)
			iconv_close(cs->to_local);
		if (cs->to_server != (iconv_t)-1)
			iconv_close(cs->to_server);
		free(cs);
		return -EINVAL;
	}
	pthread_mutex_init(&cs->lock_local, NULL);
	pthread_mutex_init(&cs->lock_server, NULL);
	*out = cs;
	return 0;
}

void charset_free(struct charset *cs)
{
	if (!cs)
		return;
	iconv_close(cs->to_local);
	iconv_close(cs->to_server);
	pthread_mutex_destroy(&cs->lock_local);
	pthread_mutex_destroy(&cs->lock_server);
	free(cs);
}

static int conv(iconv_t cd, pthread_mutex_t *lock, const char *in, char **out)
{
	size_t inlen = strlen(in), cap = inlen * 4 + 4, left = cap - 1;
	char *buf = malloc(cap), *o = buf, *ip = (char *)in;
	size_t r;

	if (!buf)
		return -ENOMEM;
	pthread_mutex_lock(lock);
	iconv(cd, NULL, NULL, NULL, NULL); /* initial state */
	r = iconv(cd, &ip, &inlen, &o, &left);
	if (r != (size_t)-1)
		r = iconv(cd, NULL, NULL, &o, &left); /* shift back */
	pthread_mutex_unlock(lock);
	if (r == (size_t)-1 || inlen) {
		free(buf);
		return -EILSEQ;
	}
	*o = '\0';
	if (memchr(buf, '\0', (size_t)(o - buf)) != NULL) {
		free(buf);
		return -EILSEQ;
	}
	*out = buf;
	return 0;
}

int charset_to_local(struct charset *cs, const char *in, char **out)
{
	return conv(cs->to_local, &cs->lock_local, in, out);
}

int charset_to_server(struct charset *cs, const char *in, char **out)
{
	return conv(cs->to_server, &cs->lock_server, in, out);
}
