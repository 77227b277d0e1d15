/* options — ftpfs's -o options and the command line's passwords.
 *
 * Pure parsing (no network). Return rule: 0 or a negative errno, with a
 * one-line message for the user in err.
 *
 * It includes url.h (the URL, proxy and ftp_port= parsers) and
 * credentials.h (netrc, credentials files), which its callers use with it.
 */
#ifndef FTPFS_OPTIONS_H
#define FTPFS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "credentials.h"
#include "proxy.h"
#include "url.h"

struct fuse_args;
struct fuse_opt;

struct ftpfs_opts {
	char *url; /* first non-option argument */
	unsigned connections;
	double cache_timeout; /* seconds */
	double prefetch_timeout; /* unused prefetched listings live this long; 0 = no prefetch */
	int no_prefetch;
	int parallel_read; /* helpers for slow sequential reads; -1 = auto */
	unsigned timeout;  /* seconds, network deadline */
	unsigned reconnect_timeout; /* seconds to wait for an absent server */
	int hard;	      /* then wait on for it, never EIO (NFS "hard") */
	unsigned keepalive;   /* seconds idle before NOOP; 0 = never */
	unsigned max_entries; /* per directory listing */
	int pasv_ip;
	int disable_epsv;
	int no_pipeline;
	int disable_mlsd;
	int ftp_trace;
	int ignore_attr_errors; /* chmod/chown/utimens refused: succeed */
	char *spool_dir; /* where spool files live, default $TMPDIR or /var/tmp */
	unsigned spool_max; /* MiB, largest file edited in place */
	char *netrc;	    /* netrc file, default ~/.netrc */
	char *tls;	    /* none | try | require */
	char *tls_data;	    /* private | clear */
	char *cafile;
	char *fingerprint; /* sha256:HEX */
	char *cert, *key;  /* client certificate */
	int no_verify;
	int ssl;	   /* curlftpfs: require TLS */
	int active;	   /* EPRT/PORT instead of EPSV/PASV */
	char *server_tz;   /* zone of LIST times: auto, UTC, +HH:MM */
	char *codepage;	   /* the server's charset for names */
	char *iocharset;   /* ours (default UTF-8) */
	char *ftp_port;	   /* ADDR[:PORT[-PORT]] to listen on (active) */
	char *proxy;	   /* proxy URL, curlftpfs's host:port, or "env" */
	char *proxy_user;  /* name[:pass] for the proxy */
	int proxy_kind;	   /* curlftpfs's socks4/socks5/httpproxy: the
			       * kind of a proxy= without a scheme */
	char *user;	   /* -o user= (curlftpfs "user=name[:pass]") */
	char *credentials; /* file with user= and password= lines */
	int password_stdin;
	int verify_upload;	    /* -o verify_upload[=ALGO] given */
	char *verify_algo;	    /* its ALGO, or NULL: the best offered */
	int allow_other;	    /* FUSE's, seen on the way */
	int default_permissions;    /* FUSE's, seen on the way */
	int no_default_permissions; /* allow_other without the kernel's checks */
	int max_threads_given;	    /* FUSE's -o max_threads= was given */
	char opt_err[200];	    /* why fuse_opt_parse failed, if we know */
	int show_help;
	int show_version;
	int remount; /* -o remount: refused */
};

/* A row of options.c's table of ftpfs's options (see there). */
struct opt_def {
	const char *templ; /* fuse_opt template: "connections=%u", "hard" */
	size_t off;	   /* the field it fills in struct ftpfs_opts */
	const char *def;   /* the default as documented, or NULL */
	const char *usage; /* --help's column: "connections=N" ("-o " added
			    * unless it starts with '-') */
	const char *help;  /* --help's text ("%s" = def, '\n' = next line),
			    * or NULL: not shown */
};

enum opt_type { OPT_FLAG, OPT_UINT, OPT_INT, OPT_DOUBLE, OPT_STRING };

/* The table (*n rows); the option's type, from its template's conversion. */
const struct opt_def *opts_table(size_t *n);
enum opt_type opts_type(const struct opt_def *d);
/* The other words the parser takes (*n): other names of the table's
 * options, curlftpfs's and fstab's words, and FUSE's that ftpfs sees. */
const struct fuse_opt *opts_spellings(size_t *n);

/* Take ftpfs's options and the URL out of args (the rest is for FUSE). */
int opts_parse(struct fuse_args *args, struct ftpfs_opts *o, char *err,
	       size_t errlen);
void opts_free(struct ftpfs_opts *o);
/* The proxy the options ask for: -o proxy= (or, for proxy=env, the first
 * of $ftp_proxy, $all_proxy, $ALL_PROXY that is set), its kind from
 * socks4/socks5/httpproxy when it has no scheme, its credentials from
 * proxy_user=. 0 with out->host NULL when there is none. */
int opts_proxy(const struct ftpfs_opts *o, struct proxy_cfg *out, char *err,
	       size_t errlen);
/* The usage line and ftpfs's options, from the table, on stdout or fp. */
void opts_usage(const char *prog);
void opts_usage_fp(FILE *fp, const char *prog);

/* Cut the passwords out of argv's strings in place: in the argument that
 * is the URL (with or without a scheme), "user:pass@" becomes "user@";
 * "user=name:pass" becomes "user=name", so does "proxy_user=name:pass",
 * and "proxy=socks5://name:pass@host" becomes "proxy=socks5://name@host".
 * True when something was cut. */
bool opts_scrub_argv(int argc, char **argv, const char *url);

/* The size of the area argv's strings fill, when they lie one after
 * another as the kernel put them (0 when they do not). */
size_t opts_argv_area(int argc, char **argv);

/* Write argv's strings, joined by spaces, into area (the n bytes
 * opts_argv_area() measured, before they were scrubbed), the rest NUL but
 * the last byte, which is not: Linux then shows /proc/PID/cmdline as that
 * one string (as for setproctitle), so ps shows neither where a password
 * was cut nor its length. argv's pointers into area are stale afterwards. */
void opts_rewrite_cmdline(int argc, char **argv, char *area, size_t n);

#endif
