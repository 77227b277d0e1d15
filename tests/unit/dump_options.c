/* Print options.c's tables for tests/check_option_docs.py, one line each:
 *   opt<TAB>TEMPLATE<TAB>TYPE<TAB>DEFAULT<TAB>USAGE   (a row of the table)
 *   alias<TAB>TEMPLATE                                (another word taken)
 * TYPE is flag, number or string; DEFAULT is empty when there is none. */
#include <fuse_opt.h>
#include <stdio.h>
#include <stdlib.h>

#include "options.h"

int main(void)
{
	static const char *const types[] = { [OPT_FLAG] = "flag",
					     [OPT_UINT] = "number",
					     [OPT_INT] = "number",
					     [OPT_DOUBLE] = "number",
					     [OPT_STRING] = "string" };
	const struct opt_def *t;
	const struct fuse_opt *sp;
	size_t n, i;

	t = opts_table(&n);
	for (i = 0; i < n; i++)
		printf("opt\t%s\t%s\t%s\t%s\n", t[i].templ,
		       types[opts_type(&t[i])], t[i].def ? t[i].def : "",
		       t[i].usage);
	sp = opts_spellings(&n);
	for (i = 0; i < n; i++)
		printf("alias\t%s\n", sp[i].templ);
	return EXIT_SUCCESS;
}
