/*
 * Untrusted text made safe for a terminal, and measured the way a terminal draws it.
 *
 * Everything here decodes UTF-8 itself and measures with its own table (src/core/text_table.h,
 * generated from Unicode 14.0 by scripts/gen-text-table.py with the rules glibc uses for
 * wcwidth()), so results never depend on the current locale: the UI may run in a C locale and
 * still needs to know how wide a name it received from a remote host is.
 */
#include "config.h"

#include "base/util.h"
#include "core/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What the table says about a code point; code points not in it are one column wide. */
enum text_class {
    TC_NORMAL,
    TC_WIDE,       /* two columns */
    TC_MARK,       /* zero columns, drawn on the preceding character */
    TC_CONTROL,    /* control or invisible format character: shown as U+FFFD */
    TC_UNASSIGNED, /* its width is unknown to us (and to glibc): shown as U+FFFD */
    TC_DROP,       /* emoji/text presentation selector: left out */
};

struct text_range {
    unsigned int first;
    unsigned int last : 24;
    unsigned int cls : 8;
};

#include "core/text_table.h"

#define BAD_CP UINT32_MAX /* stands for a maximal invalid subpart */

/*
 * ncurses keeps at most CCHARW_MAX (5) characters in a cell and silently drops further marks;
 * keeping no more than that also bounds how many bytes one column can cost us.
 */
#define MAX_MARKS 4

#define REPLACEMENT_UTF8 "\xEF\xBF\xBD"

static const char *ellipsis(bool utf8)
{
    return utf8 ? "\xE2\x80\xA6" : "~";
}

/*
 * Decodes one character at p, strictly (Unicode table 3-7: no overlongs, no surrogates, nothing
 * above U+10FFFF). An invalid sequence yields BAD_CP and the length of its maximal subpart, so
 * that each one becomes a single U+FFFD. The NUL terminator is never a continuation byte, so
 * this never reads past the end of the string.
 */
static size_t decode(const unsigned char *p, uint32_t *cp)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t need;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* overlong */
        hi = c == 0xED ? 0x9F : 0xBF; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        lo = c == 0xF0 ? 0x90 : 0x80; /* overlong */
        hi = c == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
    } else {
        *cp = BAD_CP; /* continuation byte, C0/C1 (always overlong), F5..FF */
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if (p[i] < lo || p[i] > hi) {
            *cp = BAD_CP;
            return i;
        }
        v = v << 6 | (p[i] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    return need + 1;
}

static enum text_class char_class(uint32_t cp)
{
    size_t lo = 0, hi = sizeof(text_ranges) / sizeof(text_ranges[0]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < text_ranges[mid].first)
            hi = mid;
        else if (cp > text_ranges[mid].last)
            lo = mid + 1;
        else
            return (enum text_class)text_ranges[mid].cls;
    }
    return TC_NORMAL;
}

/* A cursor over untrusted text that says what a terminal should be given for each character. */
typedef struct {
    const unsigned char *p;
    bool utf8;
    bool have_base; /* a character precedes that a combining mark can sit on */
    int marks;      /* marks already kept on it */
} scan;

/* One character as it is to be drawn. */
typedef struct {
    const char *bytes; /* what to emit; n == 0: left out */
    size_t n;
    int width;
    bool attached; /* zero width and belongs to the preceding character: never cut from it */
} glyph;

static scan scan_start(const char *s, bool utf8)
{
    return (scan){.p = (const unsigned char *)(s ? s : ""), .utf8 = utf8};
}

static void glyph_base(scan *sc, glyph *g, const char *bytes, size_t n, int width)
{
    *g = (glyph){.bytes = bytes, .n = n, .width = width};
    sc->have_base = true;
    sc->marks = 0;
}

static void glyph_replaced(scan *sc, glyph *g)
{
    if (sc->utf8)
        glyph_base(sc, g, REPLACEMENT_UTF8, 3, 1);
    else
        glyph_base(sc, g, "?", 1, 1);
}

static void glyph_mark(scan *sc, glyph *g, const char *bytes, size_t n)
{
    if (!sc->have_base) {
        /* Alone, it would land on whatever the UI drew in the column before. */
        glyph_replaced(sc, g);
        return;
    }
    *g = (glyph){.bytes = bytes, .n = sc->marks < MAX_MARKS ? n : 0, .attached = true};
    sc->marks++;
}

/* Yields the next character of the text; false at its end. */
static bool scan_next(scan *sc, glyph *g)
{
    const unsigned char *at = sc->p;
    uint32_t cp;

    if (*at >= 0x20 && *at < 0x7F) { /* printable ASCII: the common case, kept as it is */
        sc->p++;
        glyph_base(sc, g, (const char *)at, 1, 1);
        return true;
    }
    if (!*at)
        return false;
    size_t len = decode(at, &cp);
    sc->p += len;
    /* Without UTF-8, every control and every non-ASCII character is a '?'. */
    enum text_class cls = !sc->utf8 || cp == BAD_CP ? TC_CONTROL : char_class(cp);

    switch (cls) {
    case TC_NORMAL:
        glyph_base(sc, g, (const char *)at, len, 1);
        break;
    case TC_WIDE:
        glyph_base(sc, g, (const char *)at, len, 2);
        break;
    case TC_MARK:
        glyph_mark(sc, g, (const char *)at, len);
        break;
    case TC_DROP:
        *g = (glyph){.bytes = (const char *)at, .n = 0, .attached = true};
        break;
    case TC_CONTROL:
    case TC_UNASSIGNED:
        glyph_replaced(sc, g);
        break;
    }
    return true;
}

/* Reserves room for a line of `cols` columns up front, so that one malloc is the usual cost. */
static void sb_reserve_cols(strbuf *b, int cols)
{
    size_t want = cols > 0 && cols <= 4096 ? (size_t)cols * 4 + 8 : 4096;
    xgrow((void **)&b->s, &b->cap, want, 1);
    b->s[0] = '\0';
}

static void sb_put(strbuf *b, const glyph *g)
{
    if (g->n)
        sb_addn(b, g->bytes, g->n);
}

static void sb_pad(strbuf *b, int width, int cols)
{
    for (; width < cols; width++)
        sb_addc(b, ' ');
}

static int scan_width(const char *s, bool utf8)
{
    scan sc = scan_start(s, utf8);
    glyph g;
    int width = 0;
    while (scan_next(&sc, &g))
        width += g.width;
    return width;
}

char *st_text_sanitize(const char *s, bool utf8)
{
    strbuf b;
    sb_init(&b);
    scan sc = scan_start(s, utf8);
    glyph g;
    while (scan_next(&sc, &g))
        sb_put(&b, &g);
    return sb_steal(&b);
}

int st_text_width(const char *s)
{
    return scan_width(s, true);
}

char *st_text_fit(const char *s, int cols, bool utf8, bool pad)
{
    return st_text_fit_mark(s, cols, utf8, pad, ellipsis(utf8));
}

char *st_text_fit_mark(const char *s, int cols, bool utf8, bool pad, const char *mark)
{
    if (cols <= 0)
        return xstrdup("");
    strbuf b;
    sb_init(&b);
    sb_reserve_cols(&b, cols);
    scan sc = scan_start(s, utf8);
    glyph g;
    int width = 0, cut_width = 0;
    size_t cut_len = 0; /* the longest output so far that leaves a column for the ellipsis */
    bool truncated = false;

    /* One pass that stops at the first character that does not fit: rows of huge strings cost
     * what is drawn, not what is stored. */
    while (scan_next(&sc, &g)) {
        if (!g.attached) {
            if (width < cols) {
                cut_len = b.len;
                cut_width = width;
            }
            if (width + g.width > cols) {
                truncated = true;
                break;
            }
            width += g.width;
        }
        sb_put(&b, &g);
    }
    if (truncated) {
        b.len = cut_len;
        sb_add(&b, mark);
        width = cut_width + 1;
    }
    if (pad)
        sb_pad(&b, width, cols);
    return sb_steal(&b);
}

char *st_text_fit_left(const char *s, int cols, bool utf8, bool pad)
{
    return st_text_fit_left_mark(s, cols, utf8, pad, ellipsis(utf8));
}

char *st_text_fit_left_mark(const char *s, int cols, bool utf8, bool pad, const char *mark)
{
    if (cols <= 0)
        return xstrdup("");
    int total = scan_width(s, utf8);
    if (total <= cols)
        return st_text_fit_mark(s, cols, utf8, pad, mark);

    strbuf b;
    sb_init(&b);
    sb_reserve_cols(&b, cols);
    sb_add(&b, mark);
    int skip = total - (cols - 1), skipped = 0, width = 1;
    bool keep = false;
    scan sc = scan_start(s, utf8);
    glyph g;

    /* Leave out whole characters (with their marks) until the rest fits beside the ellipsis. */
    while (scan_next(&sc, &g)) {
        if (!keep && !g.attached && skipped >= skip)
            keep = true;
        if (!keep) {
            skipped += g.width;
            continue;
        }
        sb_put(&b, &g);
        width += g.width;
    }
    if (pad)
        sb_pad(&b, width, cols);
    return sb_steal(&b);
}

size_t st_text_prefix_bytes(const char *s, int cols)
{
    if (!s || cols <= 0)
        return 0;
    scan sc = scan_start(s, true);
    glyph g;
    int width = 0;
    size_t end = 0;
    while (scan_next(&sc, &g)) {
        if (!g.attached) {
            if (width + g.width > cols)
                break;
            width += g.width;
        }
        end = (size_t)((const char *)sc.p - s);
    }
    return end;
}

/* The character that ends just before byte i of s (i > 0), and where it starts. */
static uint32_t char_before(const char *s, size_t i, size_t *start)
{
    size_t k = i - 1;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80 && i - k < 4)
        k--;
    uint32_t cp;
    if (decode((const unsigned char *)s + k, &cp) != i - k)
        cp = BAD_CP;
    *start = k;
    return cp;
}

static uint32_t char_at(const char *s, size_t i)
{
    uint32_t cp;
    decode((const unsigned char *)s + i, &cp);
    return cp;
}

/* Whether cp is one of the characters of the UTF-8 string `set`. */
static bool one_of(uint32_t cp, const char *set)
{
    for (const unsigned char *p = (const unsigned char *)set; *p;) {
        uint32_t c;
        p += decode(p, &c);
        if (c == cp)
            return true;
    }
    return false;
}

/* Closing punctuation never begins a line, opening never ends one (kinsoku shori). */
static bool no_line_start(uint32_t cp)
{
    return one_of(cp, "，。、；：！？）」』】》〉〕］｝”’．…ー,.;:!?)]}");
}

static bool no_line_end(uint32_t cp)
{
    return one_of(cp, "（「『【《〈〔［｛“‘([{");
}

/* Whether p starts with a unit of st_fmt_bytes() ("B", "KiB" … "EiB") as a word of its own. */
static bool unit_at(const char *p)
{
    size_t n = 0;
    if (p[0] == 'B')
        n = 1;
    else if (p[0] && strchr("KMGTPE", p[0]) && p[1] == 'i' && p[2] == 'B')
        n = 3;
    return n && !((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z'));
}

/* Whether the space at byte i joins a number to its unit ("41.3 MiB"): no line breaks there. */
static bool binds_unit(const char *s, size_t i)
{
    return i > 0 && s[i] == ' ' && s[i - 1] >= '0' && s[i - 1] <= '9' && unit_at(s + i + 1);
}

/* Whether byte i of s (0 < i, s[i] not NUL) is between two characters of which one is wide (CJK):
 * a line may break there, unless punctuation forbids it. */
static bool cjk_break(const char *s, size_t i)
{
    if (((unsigned char)s[i] & 0xC0) == 0x80)
        return false; /* inside a character */
    size_t start;
    uint32_t prev = char_before(s, i, &start), next = char_at(s, i);
    return (char_class(prev) == TC_WIDE || char_class(next) == TC_WIDE) && !no_line_start(next) &&
           !no_line_end(prev);
}

/* Whether byte i is inside a word that holds a '/' (a path: broken at its '/' only). */
static bool in_path(const char *s, size_t i)
{
    size_t b = i;
    while (b > 0 && s[b - 1] != ' ')
        b--;
    size_t e = i + strcspn(s + i, " ");
    return memchr(s + b, '/', e - b) != NULL;
}

/*
 * Where to break before byte nb, keeping at least a third of the line; 0: nowhere. After a space
 * (not one that joins a number to its unit) or between CJK characters, whichever comes last;
 * else after a '/' (a path then starts the next line whole). Only ASCII bytes are compared with
 * ' ' and '/': the bytes of a UTF-8 character are all >= 0x80.
 */
static size_t break_before(const char *s, size_t nb)
{
    for (size_t i = nb; i > nb / 3 && i > 1; i--)
        if ((s[i - 1] == ' ' && !binds_unit(s, i - 1)) || (cjk_break(s, i) && !in_path(s, i)))
            return i;
    for (size_t i = nb; i > nb / 3 && i > 1; i--)
        if (s[i - 1] == '/')
            return i;
    return 0;
}

size_t st_text_wrap_bytes(const char *s, int cols)
{
    if (!s || !*s)
        return 0;
    size_t nb = st_text_prefix_bytes(s, cols);
    if (!nb) {
        uint32_t cp;
        return decode((const unsigned char *)s, &cp);
    }
    if (!s[nb])
        return nb;
    if ((s[nb] == ' ' && !binds_unit(s, nb)) || (s[nb - 1] == ' ' && !binds_unit(s, nb - 1)))
        return nb;
    size_t brk = cjk_break(s, nb) && !in_path(s, nb) ? nb : break_before(s, nb);
    return brk ? brk : nb;
}

/* Appends \uXXXX, as a surrogate pair above the BMP. */
static void json_u(strbuf *b, uint32_t cp)
{
    if (cp > 0xFFFF) {
        cp -= 0x10000;
        json_u(b, 0xD800 + (cp >> 10));
        json_u(b, 0xDC00 + (cp & 0x3FF));
        return;
    }
    char tmp[8];
    static const char hex[] = "0123456789abcdef";
    tmp[0] = '\\';
    tmp[1] = 'u';
    for (int i = 0; i < 4; i++)
        tmp[2 + i] = hex[(cp >> (12 - 4 * i)) & 0xF];
    sb_addn(b, tmp, 6);
}

/*
 * Escapes what JSON requires, plus what would act on a terminal that shows the JSON (DEL, C1,
 * bidi controls and other invisible format characters, U+2028/2029, which also break
 * JavaScript). Escaping valid UTF-8 is lossless, so a consumer still gets the exact name; bytes
 * that are not UTF-8 have no JSON spelling at all and become U+FFFD, so callers that must keep
 * them (image paths) send them again in another form (st_utf8_valid tells when).
 */
static bool json_needs_escape(uint32_t cp)
{
    if (cp >= 0x20 && cp < 0x7F)
        return cp == '"' || cp == '\\';
    return cp < 0x80 || cp == BAD_CP || char_class(cp) == TC_CONTROL;
}

static void json_escape_char(strbuf *b, uint32_t cp)
{
    switch (cp) {
    case '"':
        sb_add(b, "\\\"");
        break;
    case '\\':
        sb_add(b, "\\\\");
        break;
    case '\b':
        sb_add(b, "\\b");
        break;
    case '\f':
        sb_add(b, "\\f");
        break;
    case '\n':
        sb_add(b, "\\n");
        break;
    case '\r':
        sb_add(b, "\\r");
        break;
    case '\t':
        sb_add(b, "\\t");
        break;
    case BAD_CP:
        sb_add(b, "\\ufffd");
        break;
    default:
        json_u(b, cp);
    }
}

bool st_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t cp;
        p += decode(p, &cp);
        if (cp == BAD_CP)
            return false;
    }
    return true;
}

char *st_json_escape(const char *s)
{
    strbuf b;
    sb_init(&b);
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    const unsigned char *run = p; /* start of the bytes that go out as they are */

    while (*p) {
        uint32_t cp;
        size_t len = decode(p, &cp);
        if (json_needs_escape(cp)) {
            sb_addn(&b, (const char *)run, (size_t)(p - run));
            json_escape_char(&b, cp);
            run = p + len;
        }
        p += len;
    }
    sb_addn(&b, (const char *)run, (size_t)(p - run));
    return sb_steal(&b);
}

void st_json_put(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    char *e = st_json_escape(s);
    fprintf(out, "\"%s\"", e);
    free(e);
}

void st_text_put(FILE *out, const char *s, bool utf8)
{
    char *safe = st_text_sanitize(s, utf8);
    fputs(safe, out);
    free(safe);
}
