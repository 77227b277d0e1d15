/* options — the -o options and the command line's passwords. See
 * options.h. */
#include "options.h"

#include "digest.h"

#include <errno.h>
#include <fuse_opt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int opts_proxy(const struct ftpfs_opts *o, struct proxy_cfg *out, char *err,
	       size_t errlen)
{
	static const char *const vars[] = { "ftp_proxy", "all_proxy",
					    "ALL_PROXY" };
	const char *spec = o->proxy, *var = NULL;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	if (!spec) {
		if (!o->proxy_user && !o->proxy_kind)
			return 0;
		snprintf(err, errlen,
			 "proxy_user, socks4, socks5 and httpproxy "
			 "need -o proxy=");
		return -EINVAL;
	}
	if (!strcmp(spec, "env")) {
		/* only when asked: a variable meant for other programs must
		 * not reroute a mount by itself */
		spec = NULL;
		for (i = 0; !spec && i < sizeof(vars) / sizeof(vars[0]); i++) {
			var = vars[i];
			spec = getenv(var);
			if (spec && !*spec)
				spec = NULL;
		}
		if (!spec) {
			snprintf(err, errlen,
				 "proxy=env: none of ftp_proxy, "
				 "all_proxy, ALL_PROXY is set");
			return -EINVAL;
		}
	}
	r = opts_proxy_parse(spec, o->proxy_kind, out, err, errlen);
	if (r < 0 && var) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s (from $%s)", msg, var);
	}
	if (r < 0 || !o->proxy_user)
		return r;
	{
		const char *colon = strchr(o->proxy_user, ':');

		free(out->user);
		out->user = colon ? strndup(o->proxy_user,
					    (size_t)(colon - o->proxy_user))
				  : strdup(o->proxy_user);
		if (colon) {
			free(out->pass);
			out->pass = strdup(colon + 1);
		}
		if (!out->user || (colon && !out->pass) || !*out->user) {
			opts_proxy_free(out);
			snprintf(err, errlen, "bad proxy_user");
			return -EINVAL;
		}
	}
	return 0;
}
/* curlftpfs options ftpfs does not take, and what to say instead. (Those
 * with the same meaning are in ftpfs_optspec; those for what ftpfs always
 * does are accepted there and dropped.) */
static const struct {
	const char *name; /* without "=..." */
	const char *say;
} curlftpfs_only[] = {
	{ "ftpfs_debug", "use -d (FUSE's debug output) or -o ftp_trace" },
	{ "custom_list", "ftpfs lists with MLSD, else LIST -a; "
			 "-o disable_mlsd forces LIST" },
	{ "ftp_method", "ftpfs sends full paths; there is nothing to choose" },
	{ "cert_type", "ftpfs reads PEM files only (cert=, key=)" },
	{ "key_type", "ftpfs reads PEM files only (cert=, key=)" },
	{ "pass", "ftpfs reads unencrypted PEM keys only (key=)" },
	{ "engine", "ftpfs has no OpenSSL engine option" },
	{ "capath", "use -o cafile=FILE (a PEM file of the CAs)" },
	{ "ciphers", "ftpfs uses OpenSSL's default ciphers, TLS 1.2 or later" },
	{ "tlsv1", "ftpfs negotiates TLS 1.2 or later by itself" },
	{ "sslv3", "SSLv3 is insecure; ftpfs negotiates TLS 1.2 or later" },
	{ "interface", "ftpfs has no option to choose the local address" },
	{ "krb4", "ftpfs has no Kerberos support" },
	{ "ipv4", "give an IPv4 address as the host to force IPv4" },
	{ "ipv6", "give [an IPv6 address] as the host to force IPv6" },
	{ "proxy_anyauth", "ftpfs's HTTP proxy authentication is Basic only" },
	{ "proxy_digest", "ftpfs's HTTP proxy authentication is Basic only" },
	{ "proxy_ntlm", "ftpfs's HTTP proxy authentication is Basic only" },
};

/* The message for a curlftpfs-only option, or NULL. */
static const char *curlftpfs_says(const char *arg)
{
	size_t n = strcspn(arg, "="), i;

	for (i = 0; i < sizeof(curlftpfs_only) / sizeof(curlftpfs_only[0]); i++)
		if (strlen(curlftpfs_only[i].name) == n &&
		    !strncmp(arg, curlftpfs_only[i].name, n))
			return curlftpfs_only[i].say;
	return NULL;
}

/* The one table of ftpfs's own options. Each row: the fuse_opt template
 * (its conversion is the type: %u, %d, %lf, %s, none for a flag that
 * sets 1), the field it fills, the default as the documentation gives it
 * (NULL: none, or "off" for a flag), and the --help entry, in which "%s"
 * is that default and '\n' starts the next line (NULL: not shown).
 *
 * opts_parse() starts a number at its default; a default that is no
 * number ("connections-1") leaves -1, for main to work out. A string
 * stays NULL, and the module that reads it applies the default. The
 * fuse_opt table is these rows plus opt_spellings; opts_usage() prints
 * them; tests/check_option_docs.py checks that --help, ftpfs.8 and
 * README.md give each row with this default and document no option that
 * neither table has. */
#define ROW(t, f, def, use, help)                                 \
	{                                                         \
		t, offsetof(struct ftpfs_opts, f), def, use, help \
	}

static const struct opt_def opt_table[] = {
	ROW("connections=%u", connections, "8", "connections=N",
	    "FTP sessions to use at most (default %s)"),
	ROW("cache_timeout=%lf", cache_timeout, "30", "cache_timeout=SECS",
	    "attribute and directory cache lifetime (default %s)"),
	ROW("prefetch_timeout=%lf", prefetch_timeout, "5",
	    "prefetch_timeout=SECS",
	    "a subdirectory listed ahead is used only if\n"
	    "opened within SECS (default %s, 0 = no prefetch)"),
	ROW("no_prefetch", no_prefetch, NULL, "no_prefetch",
	    "do not list subdirectories ahead of use"),
	ROW("parallel_read=%d", parallel_read, "connections-1",
	    "parallel_read=N",
	    "sessions fetching a slow sequential read ahead\n"
	    "in parallel (default %s; 0 = off)"),
	ROW("timeout=%u", timeout, "30", "timeout=SECS",
	    "network timeout (default %s)"),
	ROW("reconnect_timeout=%u", reconnect_timeout, "30",
	    "reconnect_timeout=SECS",
	    "wait this long for an absent server, then\n"
	    "fail at once with EIO until it is back (default %s)"),
	ROW("hard", hard, NULL, "hard",
	    "wait for an absent server as long as it takes"),
	ROW("keepalive=%u", keepalive, "60", "keepalive=SECS",
	    "NOOP on idle sessions (default %s, 0 = off)"),
	ROW("max_entries=%u", max_entries, "1000000", "max_entries=N",
	    "refuse directory listings longer than N (default %s)"),
	ROW("user=%s", user, NULL, "user=NAME[:PASS]",
	    "log in as NAME (instead of the URL's user)"),
	ROW("netrc=%s", netrc, "~/.netrc", "netrc=FILE",
	    "credentials file (default %s)"),
	ROW("credentials=%s", credentials, NULL, "credentials=FILE",
	    "user=, password= (proxy_user=, proxy_password=)\n"
	    "lines (mode 0600)"),
	ROW("password_stdin", password_stdin, NULL, "password_stdin",
	    "read the password from standard input"),
	ROW("no_default_permissions", no_default_permissions, NULL,
	    "no_default_permissions",
	    "with allow_other: no kernel checks of the\n"
	    "modes shown (allow_other implies them)"),
	ROW("server_tz=%s", server_tz, "auto", "server_tz=auto|UTC|+HH:MM",
	    "zone of LIST times (default %s)"),
	ROW("codepage=%s", codepage, NULL, "codepage=CHARSET",
	    "the server's charset for names (e.g. CP1251)"),
	ROW("iocharset=%s", iocharset, "UTF-8", "iocharset=CHARSET",
	    "ours (default %s)"),
	ROW("active", active, NULL, "active",
	    "active mode: the server connects to us"),
	ROW("ftp_port=%s", ftp_port, NULL, "ftp_port=ADDR[:LO-HI]",
	    "active mode from this address/ports"),
	ROW("proxy=%s", proxy, NULL, "proxy=URL",
	    "through a proxy: socks5://, socks4:// or http://\n"
	    "[user:pass@]host[:port]; proxy=env: $ftp_proxy,\n"
	    "$all_proxy or $ALL_PROXY (only when asked)"),
	ROW("proxy_user=%s", proxy_user, NULL, "proxy_user=NAME[:PASS]",
	    "the proxy's user and password"),
	ROW("disable_epsv", disable_epsv, NULL, "disable_epsv",
	    "use PASV, not EPSV"),
	ROW("no_pipeline", no_pipeline, NULL, "no_pipeline",
	    "send EPSV, REST, RETR, RNFR, RNTO one at a time"),
	ROW("disable_mlsd", disable_mlsd, NULL, "disable_mlsd",
	    "use LIST even where MLSD is offered"),
	ROW("pasv_ip", pasv_ip, NULL, "pasv_ip",
	    "connect to the address in PASV replies"),
	ROW("ftp_trace", ftp_trace, NULL, "ftp_trace",
	    "log the FTP dialogue (passwords hidden)"),
	ROW("tls=%s", tls, "try", "tls=none|try|require",
	    "AUTH TLS on ftp:// URLs (default %s)"),
	ROW("tls_data=%s", tls_data, "private", "tls_data=clear",
	    "leave data connections unencrypted (PROT C;\n"
	    "default %s: PROT P)"),
	ROW("cafile=%s", cafile, NULL, "cafile=FILE",
	    "trust the CAs in FILE instead of the system's"),
	ROW("fingerprint=%s", fingerprint, NULL, "fingerprint=sha256:HEX",
	    "trust the server certificate with this hash"),
	ROW("no_verify", no_verify, NULL, "no_verify",
	    "accept any certificate (insecure)"),
	ROW("cert=%s", cert, NULL, "cert=FILE,key=FILE", "client certificate"),
	ROW("key=%s", key, NULL, "key=FILE", NULL), /* in cert='s line */
	ROW("verify_upload", verify_upload, NULL,
	    "verify_upload[=sha256|sha1|md5|crc32]",
	    "compare the server's checksum\n"
	    "of each upload with the bytes sent before it\n"
	    "replaces the file (default: the best offered)"),
	ROW("ignore_attr_errors", ignore_attr_errors, NULL,
	    "ignore_attr_errors",
	    "chmod/chown/touch succeed where the server cannot"),
	ROW("spool_dir=%s", spool_dir, "$TMPDIR or /var/tmp", "spool_dir=DIR",
	    "where files edited in place are kept (default\n%s)"),
	ROW("spool_max=%u", spool_max, "4096", "spool_max=MIB",
	    "largest file edited in place (default %s)"),
	ROW("--help", show_help, NULL, "-h, --help",
	    "this help, then FUSE's options"),
	ROW("--version", show_version, NULL, "-V, --version",
	    "print the version"),
};

#define OPT(t, p, v)                                 \
	{                                            \
		t, offsetof(struct ftpfs_opts, p), v \
	}

/* FUSE's options that ftpfs also looks at: kept for FUSE */
enum {
	KEY_ALLOW_OTHER = 1,
	KEY_DEFAULT_PERMISSIONS,
	KEY_SSL_CONTROL,
	KEY_MAX_THREADS,
	KEY_REMOUNT
};

/* The other words fuse_opt takes: other names for opt_table's options
 * (ours, curlftpfs's), words dropped, and FUSE's that ftpfs looks at. */
static const struct fuse_opt opt_spellings[] = {
	OPT("connect_timeout=%u", timeout, 0),
	OPT("soft", hard, 0),
	/* curlftpfs's names for the same things */
	OPT("ssl", ssl, 1),
	OPT("httpproxy", proxy_kind, PROXY_HTTP),
	OPT("socks4", proxy_kind, PROXY_SOCKS4A),
	OPT("socks5", proxy_kind, PROXY_SOCKS5),
	/* always a CONNECT tunnel; always Basic */
	FUSE_OPT_KEY("proxytunnel", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("proxy_basic", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("ssl_control", KEY_SSL_CONTROL),
	/* curlftpfs: what ftpfs always does */
	FUSE_OPT_KEY("skip_pasv_ip", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("ssl_try", FUSE_OPT_KEY_DISCARD),	   /* tls=try */
	FUSE_OPT_KEY("enable_epsv", FUSE_OPT_KEY_DISCARD), /* EPSV first */
	FUSE_OPT_KEY("disable_eprt",
		     FUSE_OPT_KEY_DISCARD), /* PORT if refused */
	FUSE_OPT_KEY("tcp_nodelay", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("utf8",
		     FUSE_OPT_KEY_DISCARD), /* OPTS UTF8 ON if offered */
	FUSE_OPT_KEY("transform_symlinks",
		     FUSE_OPT_KEY_DISCARD), /* linkpath.c */
	OPT("cacert=%s", cafile, 0),
	OPT("no_verify_peer", no_verify, 1),
	OPT("no_verify_hostname", no_verify, 1),
	/* verify_upload=ALGO: the flag and the algorithm */
	OPT("verify_upload=%s", verify_algo, 0),
	OPT("verify_upload=", verify_upload, 1),
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
	FUSE_OPT_KEY("default_permissions", KEY_DEFAULT_PERMISSIONS),
	FUSE_OPT_KEY("max_threads=", KEY_MAX_THREADS),
	OPT("-h", show_help, 1),
	OPT("-V", show_version, 1),
	/* fstab-only words: accepted, not passed on */
	FUSE_OPT_KEY("_netdev", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("noauto", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("auto", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("user", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("users", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nofail", FUSE_OPT_KEY_DISCARD),
	/* atime words (fstab, mount -o): FTP keeps no access times, so
	 * there is nothing to update; atime and noatime also reach the
	 * kernel through libfuse, the others libfuse does not know */
	FUSE_OPT_KEY("relatime", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("norelatime", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("strictatime", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nostrictatime", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("diratime", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nodiratime", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("lazytime", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nolazytime", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("remount", KEY_REMOUNT),
};

#define N_TABLE (sizeof(opt_table) / sizeof(opt_table[0]))
#define N_SPELLINGS (sizeof(opt_spellings) / sizeof(opt_spellings[0]))

const struct opt_def *opts_table(size_t *n)
{
	*n = N_TABLE;
	return opt_table;
}

const struct fuse_opt *opts_spellings(size_t *n)
{
	*n = N_SPELLINGS;
	return opt_spellings;
}

enum opt_type opts_type(const struct opt_def *d)
{
	const char *conv = strchr(d->templ, '%');

	if (!conv)
		return OPT_FLAG;
	if (!strcmp(conv, "%u"))
		return OPT_UINT;
	if (!strcmp(conv, "%d"))
		return OPT_INT;
	return !strcmp(conv, "%lf") ? OPT_DOUBLE : OPT_STRING;
}

/* A number's default into its field (see opt_table). */
static void opt_default(struct ftpfs_opts *o, const struct opt_def *d)
{
	void *field = (char *)o + d->off;
	enum opt_type t = opts_type(d);
	char *end;
	double v;

	if (!d->def || t == OPT_FLAG || t == OPT_STRING)
		return;
	v = strtod(d->def, &end);
	if (end == d->def || *end)
		v = -1;
	if (t == OPT_UINT)
		*(unsigned *)field = (unsigned)v;
	else if (t == OPT_INT)
		*(int *)field = (int)v;
	else
		*(double *)field = v;
}

/* opt_table's rows and opt_spellings as one fuse_opt table (malloc'd). */
static struct fuse_opt *optspec_new(void)
{
	struct fuse_opt *spec =
		calloc(N_TABLE + N_SPELLINGS + 1, sizeof(*spec));
	size_t i;

	if (!spec)
		return NULL;
	for (i = 0; i < N_TABLE; i++) {
		spec[i].templ = opt_table[i].templ;
		spec[i].offset = opt_table[i].off;
		spec[i].value = opts_type(&opt_table[i]) == OPT_FLAG;
	}
	memcpy(spec + N_TABLE, opt_spellings, sizeof(opt_spellings));
	return spec; /* calloc's zeros end it: FUSE_OPT_END */
}

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct ftpfs_opts *o = data;
	const char *say;

	(void)outargs;
	switch (key) {
	case KEY_REMOUNT:
		o->remount = 1;
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (o->url)
			return 1;
		o->url = strdup(arg);
		return o->url ? 0 : -1;
	case KEY_ALLOW_OTHER:
		o->allow_other = 1;
		return 1;
	case KEY_DEFAULT_PERMISSIONS:
		o->default_permissions = 1;
		return 1;
	case KEY_MAX_THREADS:
		o->max_threads_given = 1;
		return 1;
	case KEY_SSL_CONTROL: /* TLS on the control connection only */
		o->ssl = 1;
		free(o->tls_data);
		o->tls_data = strdup("clear");
		return o->tls_data ? 0 : -1;
	case FUSE_OPT_KEY_OPT:
		say = curlftpfs_says(arg);
		if (say) {
			snprintf(o->opt_err, sizeof(o->opt_err),
				 "curlftpfs option '%.60s' is not an ftpfs "
				 "option: %s",
				 arg, say);
			return -1;
		}
		return 1;
	default:
		return 1;
	}
}

int opts_parse(struct fuse_args *args, struct ftpfs_opts *o, char *err,
	       size_t errlen)
{
	struct fuse_opt *spec = optspec_new();
	size_t i;
	int r;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < N_TABLE; i++)
		opt_default(o, &opt_table[i]);
	r = spec ? fuse_opt_parse(args, o, spec, opt_proc) : -1;
	free(spec);
	if (r < 0) {
		snprintf(err, errlen, "%s",
			 o->opt_err[0] ? o->opt_err : "invalid options");
		return -EINVAL;
	}
	if (o->remount) {
		/* mount -o remount,...: the kernel asks a FUSE file system's
		 * daemon nothing, so new options could never take effect */
		snprintf(err, errlen,
			 "remount: a FUSE mount cannot take new "
			 "options; unmount it and mount it again");
		return -EINVAL;
	}
	if (o->connections < 1 || o->connections > 64) {
		snprintf(err, errlen, "connections must be 1..64");
		return -EINVAL;
	}
	if (o->timeout < 1 || o->timeout > 3600) {
		snprintf(err, errlen, "timeout must be 1..3600 seconds");
		return -EINVAL;
	}
	if (o->reconnect_timeout > 3600) {
		snprintf(err, errlen,
			 "reconnect_timeout must be 0..3600 seconds");
		return -EINVAL;
	}
	if (!(o->cache_timeout >= 0 && o->cache_timeout <= 86400)) {
		snprintf(err, errlen, "cache_timeout must be 0..86400 seconds");
		return -EINVAL;
	}
	if (o->parallel_read < -1 || o->parallel_read > 16) {
		snprintf(err, errlen, "parallel_read must be 0..16");
		return -EINVAL;
	}
	if (!(o->prefetch_timeout >= 0 && o->prefetch_timeout <= 86400)) {
		snprintf(err, errlen,
			 "prefetch_timeout must be 0..86400 seconds");
		return -EINVAL;
	}
	if (o->tls && strcmp(o->tls, "none") && strcmp(o->tls, "try") &&
	    strcmp(o->tls, "require")) {
		snprintf(err, errlen, "tls must be none, try or require");
		return -EINVAL;
	}
	if (o->tls_data && strcmp(o->tls_data, "private") &&
	    strcmp(o->tls_data, "clear")) {
		snprintf(err, errlen, "tls_data must be private or clear");
		return -EINVAL;
	}
	if (o->spool_max < 1) {
		snprintf(err, errlen, "spool_max must be at least 1 (MiB)");
		return -EINVAL;
	}
	if (o->verify_algo && digest_from_name(o->verify_algo) < 0) {
		snprintf(err, errlen,
			 "verify_upload must be sha256, sha1, md5 "
			 "or crc32");
		return -EINVAL;
	}
	if (o->max_entries < 1) {
		snprintf(err, errlen, "max_entries must be at least 1");
		return -EINVAL;
	}
	return 0;
}

void opts_free(struct ftpfs_opts *o)
{
	size_t i;

	if (o->proxy_user)
		explicit_bzero(o->proxy_user, strlen(o->proxy_user));
	for (i = 0; i < N_TABLE; i++)
		if (opts_type(&opt_table[i]) == OPT_STRING)
			free(*(char **)((char *)o + opt_table[i].off));
	free(o->url);
	free(o->verify_algo);
	memset(o, 0, sizeof(*o));
}

/* One --help entry: "    -o NAME=ARG            text", the text's
 * further lines under its first. */
static void usage_entry(FILE *fp, const struct opt_def *d)
{
	char col[80], text[400], *line, *nl;

	snprintf(col, sizeof(col), "%s%s", d->usage[0] == '-' ? "" : "-o ",
		 d->usage);
	snprintf(text, sizeof(text), d->help, d->def ? d->def : "");
	fprintf(fp, "    %-21s  ", col);
	for (line = text; line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		fprintf(fp, "%*s%s\n", line == text ? 0 : 27, "", line);
	}
}

void opts_usage_fp(FILE *fp, const char *prog)
{
	size_t i;

	fprintf(fp,
		"usage: %s ftp[s|es]://[user[:password]@]host[:port][/path] MOUNTPOINT [options]\n"
		"       %s status [--json] MOUNTPOINT   what a running mount is doing\n"
		"       %s flush MOUNTPOINT [PATH]      forget cached listings and attributes\n"
		"                           (of PATH only); SIGHUP to the daemon flushes all\n"
		"\n"
		"ftpfs options:\n",
		prog, prog, prog);
	for (i = 0; i < N_TABLE; i++)
		if (opt_table[i].help)
			usage_entry(fp, &opt_table[i]);
	fputc('\n', fp);
}

void opts_usage(const char *prog)
{
	opts_usage_fp(stdout, prog);
}

/* Remove s[0..n) from the string s belongs to (which ends at or after
 * s + n). */
static void cut(char *s, size_t n)
{
	memmove(s, s + n, strlen(s + n) + 1);
}

static bool has_prefix(const char *d, size_t n, const char *pre)
{
	size_t l = strlen(pre);

	return n >= l && !memcmp(d, pre, l);
}

/* Where the password in the decoded option d[0..n) lies, [*from, *to):
 * in "user=name:pass" and "proxy_user=name:pass" from the first ':' to the
 * end; in "proxy=scheme://name:pass@host..." from the ':' of the userinfo
 * to its last '@' (as the proxy URL is parsed). False when none. */
static bool secret_span(const char *d, size_t n, size_t *from, size_t *to)
{
	const char *p, *end, *at = NULL, *colon, *q;
	size_t skip;

	if (has_prefix(d, n, "user=") || has_prefix(d, n, "proxy_user=")) {
		skip = d[0] == 'u' ? 5 : 11;
		colon = memchr(d + skip, ':', n - skip);
		if (!colon)
			return false;
		*from = (size_t)(colon - d);
		*to = n;
		return true;
	}
	if (!has_prefix(d, n, "proxy="))
		return false;
	p = d + 6;
	end = d + n;
	for (q = p; q + 2 < end; q++)
		if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
			p = q + 3;
			break;
		}
	for (q = p; q < end && *q != '/'; q++)
		if (*q == '@')
			at = q;
	colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
	if (!colon)
		return false;
	*from = (size_t)(colon - d);
	*to = (size_t)(at - d);
	return true;
}

/* Cut the passwords (secret_span) out of the options of an -o option
 * group, read as fuse_opt reads it: ',' ends an option, '\\' escapes,
 * "\\ooo" is octal (so the ':' may be written "\\072"). */
static bool scrub_opt_group(char *g)
{
	size_t gl = strlen(g);
	char *opt = g, *d = malloc(gl + 1);
	size_t *raw = malloc((gl + 1) * sizeof(*raw));
	bool cutany = false;

	if (!d || !raw) {
		free(d);
		free(raw);
		return false;
	}
	while (*opt) {
		char *q = opt;
		size_t dlen = 0, from, to;

		/* decode, remembering where each byte came from */
		while (*q && *q != ',') {
			raw[dlen] = (size_t)(q - opt);
			if (q[0] == '\\' && q[1]) {
				if (q[1] >= '0' && q[1] <= '3' && q[2] >= '0' &&
				    q[2] <= '7' && q[3] >= '0' && q[3] <= '7') {
					d[dlen] = (char)((q[1] - '0') * 64 +
							 (q[2] - '0') * 8 +
							 (q[3] - '0'));
					q += 4;
				} else {
					d[dlen] = q[1];
					q += 2;
				}
			} else {
				d[dlen] = *q++;
			}
			dlen++;
		}
		raw[dlen] = (size_t)(q - opt);
		if (secret_span(d, dlen, &from, &to) && to > from) {
			cut(opt + raw[from], raw[to] - raw[from]);
			q -= raw[to] - raw[from];
			cutany = true;
		}
		opt = *q ? q + 1 : q;
	}
	free(d);
	free(raw);
	return cutany;
}

bool opts_scrub_argv(int argc, char **argv, const char *url)
{
	bool cutany = false;
	int i;

	for (i = 1; i < argc; i++) {
		char *a = argv[i], *p, *end, *at = NULL, *colon, *q;

		if (url && !strcmp(a, url)) {
			/* the authority, as url_parse() finds it */
			p = strstr(a, "://");
			p = p ? p + 3 : a;
			end = p + strcspn(p, "/?#");
			for (q = p; q < end; q++)
				if (*q == '@')
					at = q;
			colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
			if (colon) {
				cut(colon, (size_t)(at - colon));
				cutany = true;
			}
			continue;
		}
		/* -o ...,user=name:pass,... also as "-ouser=..." */
		cutany |= scrub_opt_group(!strncmp(a, "-o", 2) ? a + 2 : a);
	}
	return cutany;
}

size_t opts_argv_area(int argc, char **argv)
{
	size_t n = 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (argv[i] != argv[0] + n)
			return 0;
		n += strlen(argv[i]) + 1;
	}
	return n;
}

void opts_rewrite_cmdline(int argc, char **argv, char *area, size_t n)
{
	char *line;
	size_t len = 0;
	int i;

	if (n < 2)
		return;
	line = malloc(n);
	if (!line)
		return;
	for (i = 0; i < argc && argv[i]; i++) {
		size_t l = strlen(argv[i]);

		if (len + (i ? 1 : 0) + l > n - 2)
			break; /* cannot happen: a cut made them shorter */
		if (i)
			line[len++] = ' ';
		memcpy(line + len, argv[i], l);
		len += l;
	}
	memset(area, 0, n);
	memcpy(area, line, len);
	/* a non-NUL last byte: Linux shows the area up to its first NUL */
	area[n - 1] = ' ';
	free(line);
}
