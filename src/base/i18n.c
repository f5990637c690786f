/*
 * Messages for the terminal's character set. The program's own strings are UTF-8 (the sources
 * and the catalogs); in a locale that is not UTF-8 the text sanitizer turns every non-ASCII byte
 * into '?', which would make "refreshing…" read "refreshing?". The lookups here give such a
 * locale ASCII versions instead, made once per string and kept.
 */
#include "config.h"

#include "base/i18n.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Below, ngettext is libintl's function, not the macro of i18n.h. */
#undef ngettext

static atomic_bool ascii_only;

/* Made ASCII strings, by the address of the string they were made from. */
typedef struct fallback {
    const char *from;
    char *ascii;
    struct fallback *next;
} fallback;

#define N_BUCKETS 256
static fallback *buckets[N_BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void st_i18n_set_utf8(bool utf8)
{
    atomic_store(&ascii_only, !utf8);
}

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* The punctuation the sources use, and a few of its kind; ASCII that reads the same. */
static const struct {
    const char *utf8, *ascii;
} punct[] = {
    {"\xE2\x80\xA6", "..."}, /* … */
    {"\xE2\x86\x92", "->"},  /* → */
    {"\xE2\x86\x90", "<-"},  /* ← */
    {"\xE2\x80\x94", "-"},   /* — */
    {"\xE2\x80\x93", "-"},   /* – */
    {"\xE2\x80\x98", "'"},   /* ‘ */
    {"\xE2\x80\x99", "'"},   /* ’ */
    {"\xE2\x80\x9C", "\""},  /* “ */
    {"\xE2\x80\x9D", "\""},  /* ” */
};

static char *make_ascii(const char *s)
{
    strbuf b;
    sb_init(&b);
    while (*s) {
        if ((unsigned char)*s < 0x80) {
            sb_addc(&b, *s++);
            continue;
        }
        size_t k = 0, n = sizeof(punct) / sizeof(punct[0]);
        while (k < n && strncmp(s, punct[k].utf8, strlen(punct[k].utf8)) != 0)
            k++;
        if (k < n) {
            sb_add(&b, punct[k].ascii);
            s += strlen(punct[k].utf8);
            continue;
        }
        sb_addc(&b, '?');
        s++;
        while (((unsigned char)*s & 0xC0) == 0x80) /* the rest of the character */
            s++;
    }
    return sb_steal(&b);
}

static char *ascii_of(const char *s)
{
    size_t h = ((uintptr_t)s >> 3) % N_BUCKETS;
    pthread_mutex_lock(&lock);
    fallback *f = buckets[h];
    while (f && f->from != s)
        f = f->next;
    if (!f) {
        f = xcalloc(1, sizeof(*f));
        f->from = s;
        f->ascii = make_ascii(s);
        f->next = buckets[h];
        buckets[h] = f;
    }
    pthread_mutex_unlock(&lock);
    return f->ascii;
}

static char *fit(const char *msgid, const char *translated)
{
    if (!atomic_load(&ascii_only) || is_ascii(translated))
        return (char *)translated;
    /* The catalog speaks the locale's charset, which is not ours to decode: English then. */
    return is_ascii(msgid) ? (char *)msgid : ascii_of(msgid);
}

char *st_gettext(const char *msgid)
{
#ifdef ENABLE_NLS
    return fit(msgid, gettext(msgid));
#else
    return fit(msgid, msgid);
#endif
}

char *st_ngettext(const char *msgid, const char *plural, unsigned long n)
{
    const char *english = n == 1 ? msgid : plural;
#ifdef ENABLE_NLS
    return fit(english, ngettext(msgid, plural, n));
#else
    return fit(english, english);
#endif
}
