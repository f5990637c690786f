/* Translation macros shared by the backend and the frontend. */
#ifndef ST_I18N_H
#define ST_I18N_H

#include <stdbool.h>

#ifdef ENABLE_NLS
#include <libintl.h>
/* glibc may define ngettext as a macro of its own: every lookup goes through st_ngettext. */
#undef ngettext
#endif
#define _(s)              st_gettext(s)
#define ngettext(a, b, n) st_ngettext((a), (b), (n))
/* Marks a string for extraction where it must stay untranslated until shown. */
#define N_(s) (s)

/*
 * gettext(), made fit for the terminal's character set. Until st_i18n_set_utf8(false) is called
 * the translation is returned as it is. After it (a locale whose charset is not UTF-8), a string
 * that would not be plain ASCII is given in English (a catalog converted to another charset
 * cannot be shown), with the source's punctuation turned into ASCII ("…" is "...", "→" is "->")
 * and any other non-ASCII character into '?'. The result lives as long as the process.
 */
char *st_gettext(const char *msgid) __attribute__((format_arg(1)));
char *st_ngettext(const char *msgid, const char *plural, unsigned long n)
    __attribute__((format_arg(1), format_arg(2)));
/* Tells the lookups whether the locale's charset (nl_langinfo(CODESET)) is UTF-8. */
void st_i18n_set_utf8(bool utf8);

#endif
