/* Translation macros shared by the backend and the frontend. */
#ifndef ST_I18N_H
#define ST_I18N_H

#ifdef ENABLE_NLS
#include <libintl.h>
#define _(s) gettext(s)
#else
#define _(s)              ((char *)(s))
#define ngettext(a, b, n) ((n) == 1 ? (char *)(a) : (char *)(b))
#endif
/* Marks a string for extraction where it must stay untranslated until shown. */
#define N_(s) (s)

#endif
