/* Unit tests for src/core/text.c: sanitizing, measuring and cutting untrusted text. */
#include "config.h"

#include "backend/backend.h"
#include "base/util.h"
#include "core/model.h"
#include "core/report.h"
#include "core/text.h"
#include "tap.h"

#include <gnu/libc-version.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#define R  "\xEF\xBF\xBD" /* U+FFFD */
#define EL "\xE2\x80\xA6" /* U+2026, the ellipsis */

static void san_eq(const char *in, bool utf8, const char *want)
{
    char *got = st_text_sanitize(in, utf8);
    ck_assert_msg(strcmp(got, want) == 0, "sanitize(\"%s\", %d) = \"%s\", want \"%s\"", in, utf8,
                  got, want);
    free(got);
}

static void fit_eq(const char *in, int cols, bool utf8, bool pad, const char *want)
{
    char *got = st_text_fit(in, cols, utf8, pad);
    ck_assert_msg(strcmp(got, want) == 0, "fit(\"%s\", %d, %d, %d) = \"%s\", want \"%s\"", in, cols,
                  utf8, pad, got, want);
    free(got);
}

static void fit_left_eq(const char *in, int cols, bool utf8, bool pad, const char *want)
{
    char *got = st_text_fit_left(in, cols, utf8, pad);
    ck_assert_msg(strcmp(got, want) == 0, "fit_left(\"%s\", %d, %d, %d) = \"%s\", want \"%s\"", in,
                  cols, utf8, pad, got, want);
    free(got);
}

static size_t encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * A second, independent reading of UTF-8 for the checks: decode greedily, then reject what is
 * overlong, a surrogate or too large. Returns the code point count, or -1 when invalid; `cps`
 * (if not NULL) receives up to `max` code points.
 */
static long utf8_decode_all(const char *s, uint32_t *cps, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p) {
        uint32_t cp, min;
        int len;
        if (*p < 0x80) {
            cp = *p, len = 1, min = 0;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1F, len = 2, min = 0x80;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0F, len = 3, min = 0x800;
        } else if ((*p & 0xF8) == 0xF0) {
            cp = *p & 0x07, len = 4, min = 0x10000;
        } else {
            return -1;
        }
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return -1;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        if (cps && (size_t)n < max)
            cps[n] = cp;
        n++;
        p += len;
    }
    return n;
}

/* Small, seeded and the same on every libc. */
static uint32_t xorshift(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

START_TEST(test_ascii)
{
    san_eq("hello-vm_01 ~!@#$%^&*()", true, "hello-vm_01 ~!@#$%^&*()");
    san_eq("hello-vm_01", false, "hello-vm_01");
    ck_assert_int_eq(st_text_width("hello-vm_01"), 11);
    ck_assert_int_eq(st_text_width(""), 0);
    san_eq(NULL, true, "");
    ck_assert_int_eq(st_text_width(NULL), 0);
    fit_eq(NULL, 3, true, true, "   ");
    fit_left_eq(NULL, 2, false, true, "  ");
    ck_assert_uint_eq(st_text_prefix_bytes(NULL, 5), 0);
}
END_TEST

START_TEST(test_latin_greek_cyrillic)
{
    san_eq("Café Ünïcödé ß", true, "Café Ünïcödé ß");
    ck_assert_int_eq(st_text_width("Café Ünïcödé ß"), 14);
    ck_assert_int_eq(st_text_width("Ελληνικά"), 8);
    ck_assert_int_eq(st_text_width("Привет"), 6);
    /* U+00A0 and the soft hyphen are printed, one column each, as glibc has it. */
    ck_assert_int_eq(st_text_width("a\xC2\xA0"
                                   "b\xC2\xAD"
                                   "c"),
                     5);
    san_eq("Café", false, "Caf?");
}
END_TEST

START_TEST(test_chinese)
{
    san_eq("测试虚拟机", true, "测试虚拟机");
    ck_assert_int_eq(st_text_width("测试虚拟机"), 10);
    ck_assert_int_eq(st_text_width("vm-测试-01"), 10);
    /* Fullwidth forms and the ideographic space are wide too. */
    ck_assert_int_eq(st_text_width("ＡＢ１　，"), 10);
    san_eq("测试虚拟机", false, "?????");
    ck_assert_int_eq(st_text_width("?????"), 5);
    /* CJK Extension B (4-byte UTF-8), and an ideograph unassigned in Unicode 14 in plane 2:
     * EastAsianWidth says it is wide, so it is kept. */
    ck_assert_int_eq(st_text_width("\xF0\xA0\x80\x80"), 2);
    san_eq("\xF0\xAA\x9B\xA0", true, "\xF0\xAA\x9B\xA0"); /* U+2A6E0 */
    ck_assert_int_eq(st_text_width("\xF0\xAA\x9B\xA0"), 2);
}
END_TEST

START_TEST(test_japanese)
{
    ck_assert_int_eq(st_text_width("テスト仮想マシン"), 16);
    ck_assert_int_eq(st_text_width("ひらがな"), 8);
    /* Halfwidth katakana take one column each, as the name says. */
    ck_assert_int_eq(st_text_width("ﾃｽﾄ"), 3);
    /* A (voiced) sound mark: combining in U+3099, spacing in U+309B. */
    ck_assert_int_eq(st_text_width("か\xE3\x82\x99"), 2);
    ck_assert_int_eq(st_text_width("か\xE3\x82\x9B"), 4);
}
END_TEST

START_TEST(test_korean)
{
    san_eq("테스트", true, "테스트");
    ck_assert_int_eq(st_text_width("테스트"), 6);
    /* Conjoining jamo: the leading consonant is wide, vowel and final sit on it. */
    const char *jamo = "\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"; /* U+1100 U+1161 U+11A8 */
    san_eq(jamo, true, jamo);
    ck_assert_int_eq(st_text_width(jamo), 2);
}
END_TEST

START_TEST(test_emoji)
{
    ck_assert_int_eq(st_text_width("😀"), 2);
    ck_assert_int_eq(st_text_width("vm🚀"), 4);
    ck_assert_int_eq(st_text_width("🧪"), 2); /* U+1F9EA, in the supplemental block */
    /* U+1F321 THERMOMETER defaults to text presentation: one column, as in glibc and terminals. */
    ck_assert_int_eq(st_text_width("\xF0\x9F\x8C\xA1"), 1);
    /* Presentation selectors are left out: terminals disagree on what width they give. */
    san_eq("\xE2\x9D\xA4\xEF\xB8\x8F!", true, "\xE2\x9D\xA4!");
    ck_assert_int_eq(st_text_width("\xE2\x9D\xA4\xEF\xB8\x8F"), 1);
    san_eq("\xEF\xB8\x8F"
           "a",
           true, "a");
    /* A ZWJ sequence shows its parts, the joiner made visible. */
    san_eq("👨\xE2\x80\x8D👩", true, "👨" R "👩");
    ck_assert_int_eq(st_text_width("👨\xE2\x80\x8D👩"), 5);
    san_eq("😀", false, "?");
    /* Unassigned in Unicode 14 (U+1FAF9): a newer terminal may draw it wide. */
    san_eq("\xF0\x9F\xAB\xB9", true, R);
}
END_TEST

START_TEST(test_combining)
{
    san_eq("e\xCC\x81", true, "e\xCC\x81");
    ck_assert_int_eq(st_text_width("e\xCC\x81"), 1);
    ck_assert_int_eq(st_text_width("Cafe\xCC\x81"), 4);
    ck_assert_int_eq(st_text_width("测\xCC\x81"), 2);
    /* ASCII mode: every non-ASCII character is a '?', marks included. */
    san_eq("e\xCC\x81", false, "e?");
    /* A mark with nothing to sit on would land on the UI's previous column. */
    san_eq("\xCC\x81x", true, R "x");
    ck_assert_int_eq(st_text_width("\xCC\x81x"), 2);
    /* A mark after a replaced control sits on the U+FFFD. */
    san_eq("\x1b\xCC\x81", true, R "\xCC\x81");
    /* No more than four marks on one character ("Zalgo"). */
    san_eq("a\xCC\x80\xCC\x81\xCC\x82\xCC\x83\xCC\x84\xCC\x85"
           "b\xCC\x86",
           true,
           "a\xCC\x80\xCC\x81\xCC\x82\xCC\x83"
           "b\xCC\x86");
    /* Hebrew points, Devanagari signs, Thai vowels. */
    ck_assert_int_eq(st_text_width("\xD7\xA9\xD7\x81\xD6\xB8"), 1);
    ck_assert_int_eq(st_text_width("नमस्ते"), 4);
    ck_assert_int_eq(st_text_width("ที่"), 1);
}
END_TEST

START_TEST(test_escape_sequences)
{
    const char *evil = "\x1b[2J\x1b]0;pwned\x07ok";
    char *s = st_text_sanitize(evil, true);
    ck_assert_ptr_null(strchr(s, '\x1b'));
    ck_assert_ptr_null(strchr(s, '\x07'));
    ck_assert_str_eq(s, R "[2J" R "]0;pwned" R "ok");
    free(s);
    san_eq(evil, false, "?[2J?]0;pwned?ok");
    san_eq("a\tb\nc\rd\x7f"
           "e\x01",
           true, "a" R "b" R "c" R "d" R "e" R);
    san_eq("a\tb\nc\rd\x7f"
           "e\x01",
           false, "a?b?c?d?e?");
    /* Controls do not reach the output of fit either. */
    fit_eq(evil, 6, true, false, R "[2J" R EL);
    fit_eq(evil, 6, false, false, "?[2J?~");
}
END_TEST

START_TEST(test_c1)
{
    /* U+009B is CSI on terminals that honour 8-bit controls. */
    san_eq("\xC2\x9B"
           "31m",
           true, R "31m");
    san_eq("\xC2\x9B"
           "31m",
           false, "?31m");
    san_eq("\xC2\x80\xC2\x85\xC2\x9F", true, R R R);
    /* A raw 0x9B byte is not UTF-8 at all. */
    san_eq("\x9B"
           "31m",
           true, R "31m");
}
END_TEST

START_TEST(test_bidi_and_invisible)
{
    san_eq("\xE2\x80\xAEgnp.exe", true, R "gnp.exe"); /* U+202E RLO */
    san_eq("\xE2\x80\xAEgnp.exe", false, "?gnp.exe");
    static const uint32_t replaced[] = {
        0x202A, 0x202B, 0x202C,  0x202D,   0x202E, /* embeddings and overrides */
        0x2066, 0x2067, 0x2068,  0x2069,           /* isolates */
        0x200B, 0x200C, 0x200D,  0x200E,   0x200F, /* zero-width space/joiners, LRM/RLM */
        0x2028, 0x2029, 0xFEFF,  0x061C,   0x2060, /* separators, BOM, ALM, word joiner */
        0x180E, 0xFFF9, 0xE0001, 0xE0041,          /* Mongolian separator, annotation, tags */
        0xFFFE, 0xFFFF, 0xFDD0,  0x10FFFF, 0x378,  /* noncharacters, unassigned */
    };
    for (size_t i = 0; i < sizeof(replaced) / sizeof(replaced[0]); i++) {
        char in[8] = "a";
        size_t n = 1 + encode(replaced[i], in + 1);
        in[n] = 'b';
        in[n + 1] = '\0';
        char *s = st_text_sanitize(in, true);
        ck_assert_msg(strcmp(s, "a" R "b") == 0, "U+%04X not replaced: \"%s\"", replaced[i], s);
        free(s);
        ck_assert_int_eq(st_text_width(in), 3);
        san_eq(in, false, "a?b");
    }
    /* Visible format characters stay: the soft hyphen, the Arabic number sign. */
    san_eq("\xC2\xAD\xD8\x80", true, "\xC2\xAD\xD8\x80");
    /* Private use stays, one column. */
    san_eq("\xEE\x80\x80\xF4\x8F\xBF\xBD", true, "\xEE\x80\x80\xF4\x8F\xBF\xBD");
    ck_assert_int_eq(st_text_width("\xEE\x80\x80"), 1);
}
END_TEST

START_TEST(test_invalid_utf8)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"\x80", R}, /* lone continuation */
        {"a\x80\xBF"
         "b",
         "a" R R "b"},                        /* each lone continuation is one */
        {"\xC0\xAF", R R},                    /* overlong '/' */
        {"\xC1\xBF", R R},                    /* overlong */
        {"\xE0\x80\xAF", R R R},              /* overlong, 3 bytes */
        {"\xF0\x80\x80\xAF", R R R R},        /* overlong, 4 bytes */
        {"\xED\xA0\x80", R R R},              /* surrogate U+D800 */
        {"\xED\xBF\xBF", R R R},              /* surrogate U+DFFF */
        {"\xF4\x90\x80\x80", R R R R},        /* U+110000 */
        {"\xF5\x80\x80\x80", R R R R},        /* lead byte above F4 */
        {"\xFE\xFF", R R},                    /* never in UTF-8 */
        {"ab\xE6\xB5", "ab" R},               /* truncated at the end */
        {"\xE6\xB5x", R "x"},                 /* truncated before ASCII */
        {"\xF0\x9F\x98", R},                  /* truncated 4-byte */
        {"\xF0\x9F\x98\xE6\xB5\x8B", R "测"}, /* truncated before a valid char */
        {"\xC3", R},                          /* truncated 2-byte */
        {"\xE6\xB5\xE6\xB5\x8B", R "测"},     /* maximal subpart, then valid */
        /* The example of "substitution of maximal subparts" in the Unicode standard (3.9). */
        {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", "a" R R R "b" R "c" R R "d"},
        /* Valid edges stay: U+0080 is C1 (replaced), U+07FF, U+0800, U+D7FB, U+E000, U+10FFFD. */
        {"\xDF\xBF\xE0\xA0\x80", "\xDF\xBF\xE0\xA0\x80"},
        {"a\xED\x9F\xBB\xEE\x80\x80\xF4\x8F\xBF\xBD", "a\xED\x9F\xBB\xEE\x80\x80\xF4\x8F\xBF\xBD"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        san_eq(cases[i].in, true, cases[i].want);
        /* ASCII mode: the same characters, each a '?'. */
        char *s = st_text_sanitize(cases[i].in, true);
        long nchars = utf8_decode_all(s, NULL, 0);
        ck_assert_int_ge(nchars, 0);
        char *a = st_text_sanitize(cases[i].in, false);
        ck_assert_int_eq((long)strlen(a), nchars);
        free(a);
        free(s);
    }
    ck_assert_int_eq(st_text_width("\xF4\x90\x80\x80"), 4);
    ck_assert_int_eq(st_text_width("ab\xE6\xB5"), 3);
}
END_TEST

/* "ab测试cd" is 8 columns: cut at every width, in both modes. */
START_TEST(test_fit_mixed)
{
    static const char *want_utf8[] = {
        "",        "" EL,       "a" EL,     "ab" EL,    "ab" EL,    "ab测" EL,
        "ab测" EL, "ab测试" EL, "ab测试cd", "ab测试cd", "ab测试cd",
    };
    static const char *want_utf8_pad[] = {
        "",          EL,         "a" EL,      "ab" EL,      "ab" EL " ", "ab测" EL, "ab测" EL " ",
        "ab测试" EL, "ab测试cd", "ab测试cd ", "ab测试cd  ",
    };
    static const char *want_ascii[] = {
        "", "~", "a~", "ab~", "ab?~", "ab??~", "ab??cd", "ab??cd", "ab??cd", "ab??cd", "ab??cd",
    };
    static const char *want_ascii_pad[] = {
        "",       "~",       "a~",       "ab~",       "ab?~",       "ab??~",
        "ab??cd", "ab??cd ", "ab??cd  ", "ab??cd   ", "ab??cd    ",
    };
    const char *s = "ab测试cd";
    for (int cols = 0; cols <= 10; cols++) {
        fit_eq(s, cols, true, false, want_utf8[cols]);
        fit_eq(s, cols, true, true, want_utf8_pad[cols]);
        fit_eq(s, cols, false, false, want_ascii[cols]);
        fit_eq(s, cols, false, true, want_ascii_pad[cols]);
        char *f = st_text_fit(s, cols, true, false);
        ck_assert_int_le(st_text_width(f), cols);
        free(f);
        f = st_text_fit(s, cols, true, true);
        ck_assert_int_eq(st_text_width(f), cols);
        free(f);
    }
    fit_eq(s, -3, true, true, "");
}
END_TEST

START_TEST(test_fit_cjk)
{
    static const char *want[] = {
        "",           EL,           EL,           "测" EL,     "测" EL,
        "测试" EL,    "测试" EL,    "测试虚" EL,  "测试虚" EL, "测试虚拟" EL,
        "测试虚拟机", "测试虚拟机", "测试虚拟机",
    };
    for (int cols = 0; cols <= 12; cols++) {
        fit_eq("测试虚拟机", cols, true, false, want[cols]);
        char *f = st_text_fit("测试虚拟机", cols, true, true);
        ck_assert_int_eq(st_text_width(f), cols);
        free(f);
    }
    /* A wide character that does not fit leaves a space when padding. */
    fit_eq("测试虚拟机", 4, true, true, "测" EL " ");
    fit_eq("测试", 3, true, true, "测" EL);
    fit_eq("a测", 2, true, true, "a" EL);
    fit_eq("a测", 3, true, true, "a测");
}
END_TEST

/* --ascii in a UTF-8 locale: the text keeps its characters, the cut is the table's "~". */
START_TEST(test_fit_mark)
{
    char *f = st_text_fit_mark("测试虚拟机", 6, true, false, "~");
    ck_assert_str_eq(f, "测试~");
    free(f);
    f = st_text_fit_mark("/var/lib/images/测试.qcow2", 12, true, true, "~");
    ck_assert_str_eq(f, "/var/lib/im~");
    free(f);
    f = st_text_fit_left_mark("/var/lib/images/测试.qcow2", 12, true, true, "~");
    ck_assert_str_eq(f, "~/测试.qcow2");
    free(f);
    f = st_text_fit_left_mark("short", 12, true, false, "~");
    ck_assert_str_eq(f, "short");
    free(f);
}
END_TEST

START_TEST(test_fit_keeps_marks)
{
    const char *s = "e\xCC\x81"
                    "e\xCC\x81"
                    "e\xCC\x81";
    fit_eq(s, 3, true, false, s);
    fit_eq(s, 2, true, false, "e\xCC\x81" EL);
    fit_eq(s, 1, true, false, EL);
    /* The mark after the last character that fits is not cut off from it. */
    fit_eq("ab\xCC\x81", 2, true, false, "ab\xCC\x81");
    fit_eq("e\xCC\x81", 1, false, false, "~");
    fit_eq("e\xCC\x81", 2, false, false, "e?");
}
END_TEST

START_TEST(test_fit_left)
{
    const char *path = "/var/lib/libvirt/images/test2_lsof.qcow2";
    fit_left_eq(path, 20, true, false, EL "es/test2_lsof.qcow2");
    fit_left_eq(path, 20, false, false, "~es/test2_lsof.qcow2");
    fit_left_eq(path, 40, true, true, path);
    fit_left_eq(path, 42, true, true, "/var/lib/libvirt/images/test2_lsof.qcow2  ");
    fit_left_eq(path, 39, true, false, EL "ar/lib/libvirt/images/test2_lsof.qcow2");
    fit_left_eq(path, 1, true, false, EL);
    fit_left_eq(path, 0, true, true, "");
    for (int cols = 0; cols <= 45; cols++) {
        char *f = st_text_fit_left(path, cols, true, true);
        ck_assert_int_eq(st_text_width(f), cols);
        free(f);
    }
    /* CJK at the cut: a wide character that does not fit is left out. */
    const char *zh = "/镜像/测试虚拟机.qcow2";
    fit_left_eq(zh, 10, true, false, EL "机.qcow2");
    fit_left_eq(zh, 10, true, true, EL "机.qcow2 ");
    fit_left_eq(zh, 11, true, false, EL "拟机.qcow2");
    fit_left_eq(zh, 12, true, true, EL "拟机.qcow2 ");
    fit_left_eq(zh, 12, false, false, "~?????.qcow2");
    /* Marks go with the character they sit on, at either end of the cut. */
    fit_left_eq("xe\xCC\x81"
                "ab",
                3, true, false, EL "ab");
    fit_left_eq("xe\xCC\x81"
                "ab",
                4, true, false,
                "xe\xCC\x81"
                "ab");
    fit_left_eq("abe\xCC\x81", 2, true, false, EL "e\xCC\x81");
    /* Controls do not survive. */
    fit_left_eq("\x1b]0;x\x07/tmp/a.qcow2", 10, true, false, EL "p/a.qcow2");
}
END_TEST

START_TEST(test_prefix_bytes)
{
    ck_assert_uint_eq(st_text_prefix_bytes("ab测试", 0), 0);
    ck_assert_uint_eq(st_text_prefix_bytes("ab测试", 2), 2);
    ck_assert_uint_eq(st_text_prefix_bytes("ab测试", 3), 2);
    ck_assert_uint_eq(st_text_prefix_bytes("ab测试", 4), 5);
    ck_assert_uint_eq(st_text_prefix_bytes("ab测试", 6), 8);
    ck_assert_uint_eq(st_text_prefix_bytes("ab测试", 60), 8);
    ck_assert_uint_eq(st_text_prefix_bytes("e\xCC\x81x", 1), 3);
    ck_assert_uint_eq(st_text_prefix_bytes("e\xCC\x81", 1), 3);
    ck_assert_uint_eq(st_text_prefix_bytes("\xE2\x9D\xA4\xEF\xB8\x8F"
                                           "a",
                                           1),
                      6);
}
END_TEST

/* Wrapping a detail value: after the last space or '/' that keeps a third of the line. */
START_TEST(test_wrap_bytes)
{
    const char *path = "/var/lib/libvirt/images/test2_net-tools.qcow2";
    ck_assert_uint_eq(st_text_wrap_bytes(path, 30), strlen("/var/lib/libvirt/images/"));
    ck_assert_uint_eq(st_text_wrap_bytes(path, 100), strlen(path));
    ck_assert_uint_eq(st_text_wrap_bytes("after installing lsof", 12), strlen("after "));
    ck_assert_uint_eq(st_text_wrap_bytes("after installing lsof", 6), 6); /* "after " fits */
    ck_assert_uint_eq(st_text_wrap_bytes("after installing lsof", 5), 5); /* cut before ' ' */
    /* A space before a '/': the path goes to the next line whole. */
    ck_assert_uint_eq(st_text_wrap_bytes("vda external /var/lib/x.qcow2", 20),
                      strlen("vda external "));
    /* No break in the last two thirds: cut where the line ends. */
    ck_assert_uint_eq(st_text_wrap_bytes("a/bcdefghijklmnop", 9), 9);
    ck_assert_uint_eq(st_text_wrap_bytes("测试-快照1/qcow2", 6), 7); /* "测试-": 5 columns */
    ck_assert_uint_eq(st_text_wrap_bytes("测试-快照1/xy", 12), strlen("测试-快照1/"));
    ck_assert_uint_eq(st_text_wrap_bytes("测试", 1), 3); /* wider than the line: alone */
    ck_assert_uint_eq(st_text_wrap_bytes("", 10), 0);
    ck_assert_uint_eq(st_text_wrap_bytes(NULL, 10), 0);
    /* Chinese breaks between any two characters, but a line never begins with closing
     * punctuation nor ends with opening punctuation (kinsoku). */
    ck_assert_uint_eq(st_text_wrap_bytes("展开或转到第一个子节点", 4), strlen("展开"));
    ck_assert_uint_eq(st_text_wrap_bytes("展开，或转到第一个子节点", 4), strlen("展"));
    ck_assert_uint_eq(st_text_wrap_bytes("关闭。然后", 4), strlen("关"));
    ck_assert_uint_eq(st_text_wrap_bytes("测试（快照）", 6), strlen("测试"));
    ck_assert_uint_eq(st_text_wrap_bytes("可以：Enter 选择", 5), strlen("可"));
    ck_assert_uint_eq(st_text_wrap_bytes("可以：Enter 选择", 6), strlen("可以："));
    /* A size stays with its unit. */
    ck_assert_uint_eq(st_text_wrap_bytes("needs up to 41.3 MiB in /var", 18),
                      strlen("needs up to "));
    ck_assert_uint_eq(st_text_wrap_bytes("最多 41.3 MiB（作业进度", 10), strlen("最多 "));
    ck_assert_uint_eq(st_text_wrap_bytes("最多41.3 MiB", 10), strlen("最多"));
    ck_assert_uint_eq(st_text_wrap_bytes("at 1.00 MiB/s now", 8), strlen("at "));
    ck_assert_uint_eq(st_text_wrap_bytes("3 Bytes here", 4), strlen("3 ")); /* "Bytes" is a word */
}
END_TEST

/* The log shown after exit leaves out libvirt 9.0's known GLib noise, and only that. */
START_TEST(test_log_noise)
{
    ck_assert(st_libvirt_log_noise("(process:2708): GLib-CRITICAL **: 15:02:04.434: "
                                   "g_main_loop_quit: assertion 'loop != NULL' failed"));
    ck_assert(!st_libvirt_log_noise("(process:2708): GLib-CRITICAL **: 15:02:04.434: "
                                    "g_source_remove: assertion 'tag > 0' failed"));
    ck_assert(!st_libvirt_log_noise("libvirt: error : internal error: cannot connect"));
    ck_assert(!st_libvirt_log_noise(""));
}
END_TEST

static void json_eq(const char *in, const char *want)
{
    char *got = st_json_escape(in);
    ck_assert_msg(strcmp(got, want) == 0, "json(\"%s\") = \"%s\", want \"%s\"", in, got, want);
    free(got);
}

START_TEST(test_json)
{
    json_eq("plain vm-01", "plain vm-01");
    json_eq("a\"b\\c/d", "a\\\"b\\\\c/d");
    json_eq("\b\f\n\r\t", "\\b\\f\\n\\r\\t");
    json_eq("\x01\x1b[2J\x1f\x7f", "\\u0001\\u001b[2J\\u001f\\u007f");
    json_eq("测试虚拟机 テスト 😀 é", "测试虚拟机 テスト 😀 é");
    json_eq("\xE2\x80\xA8\xE2\x80\xA9", "\\u2028\\u2029");
    json_eq("\xC2\x9B", "\\u009b");
    json_eq("\xE2\x80\xAEx", "\\u202ex");
    json_eq("\xF3\xA0\x80\x81", "\\udb40\\udc01"); /* U+E0001, as a surrogate pair */
    json_eq("a\xC0\xAF"
            "b",
            "a\\ufffd\\ufffdb");
    json_eq("\xED\xA0\x80", "\\ufffd\\ufffd\\ufffd");
    json_eq("x\xE6\xB5", "x\\ufffd");
    json_eq(NULL, "");
    json_eq("", "");
}
END_TEST

START_TEST(test_utf8_valid)
{
    ck_assert(st_utf8_valid(""));
    ck_assert(st_utf8_valid(NULL));
    ck_assert(st_utf8_valid("/var/lib/libvirt/images/测试-base.qcow2"));
    ck_assert(st_utf8_valid("\x1b[31m\xF0\x9F\x98\x80")); /* controls are UTF-8 too */
    ck_assert(!st_utf8_valid("b\xff.qcow2"));
    ck_assert(!st_utf8_valid("a\xC0\xAF"));        /* overlong '/' */
    ck_assert(!st_utf8_valid("\xED\xA0\x80"));     /* a surrogate */
    ck_assert(!st_utf8_valid("x\xE6\xB5"));        /* cut short */
    ck_assert(!st_utf8_valid("\xF4\x90\x80\x80")); /* above U+10FFFF */
}
END_TEST

/* One layer's JSON as --json prints it. */
static char *layer_json(const char *path)
{
    st_host *h = st_host_new("test:///default");
    h->reachable = true;
    h->n_doms = 1;
    h->doms = xcalloc(1, sizeof(st_domain));
    h->doms[0].name = xstrdup("vm");
    h->doms[0].n_disks = 1;
    h->doms[0].disks = xcalloc(1, sizeof(st_disk));
    st_disk *d = &h->doms[0].disks[0];
    d->target = xstrdup("vda");
    d->n_chain = 1;
    d->chain = xcalloc(1, sizeof(st_layer));
    d->chain[0].path = xstrdup(path);
    d->chain[0].backing_index = -1;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    st_report_json(out, &h, 1);
    fclose(out);
    st_host_free(h);
    return buf;
}

START_TEST(test_json_path_bytes)
{
    /* The exact bytes go in hex where JSON cannot carry them; "path" stays valid JSON. */
    char *j = layer_json("/img/b\xff\xfe.qcow2");
    ck_assert_int_ge(utf8_decode_all(j, NULL, 0), 0);
    ck_assert_ptr_nonnull(strstr(j, "\"path\":\"/img/b\\ufffd\\ufffd.qcow2\""));
    ck_assert_ptr_nonnull(strstr(j, "\"path_bytes_hex\":\"2f696d672f62fffe2e71636f7732\""));
    free(j);
    j = layer_json("/img/测试.qcow2");
    ck_assert_ptr_nonnull(strstr(j, "\"path\":\"/img/测试.qcow2\""));
    ck_assert_ptr_nonnull(strstr(j, "\"path_bytes_hex\":null"));
    free(j);
}
END_TEST

/*
 * Our table against glibc's wcwidth() in C.UTF-8 for every code point glibc calls printable
 * and we keep: there is no known disagreement (both are Unicode 14 with the same rules). What
 * we replace or leave out must be invisible to glibc (width 0): we never hide a visible
 * character. Code points after "a" so that combining marks have something to sit on.
 * A glibc with a newer Unicode (Debian 13's 2.41 has Unicode 16) draws some of the same
 * characters wider and knows characters the table does not: there the comparison is skipped,
 * saying how many differ.
 */
START_TEST(test_width_matches_glibc)
{
    if (!setlocale(LC_ALL, "C.UTF-8") && !setlocale(LC_ALL, "C.utf8")) {
        printf("# C.UTF-8 locale missing: glibc comparison skipped\n");
        return;
    }
    /* U+0CF3 came with Unicode 15.0. */
    bool newer = iswprint(0x0CF3);
    long compared = 0, mismatches = 0, hidden_visible = 0;
    for (uint32_t cp = 0x20; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        int gw = wcwidth((wchar_t)cp);
        if (gw < 0 || !iswprint((wint_t)cp))
            continue;
        char in[8] = "a";
        in[1 + encode(cp, in + 1)] = '\0';
        char *s = st_text_sanitize(in, true);
        bool kept = strcmp(s, in) == 0;
        free(s);
        if (!kept) {
            if (gw != 0 && hidden_visible++ < 10)
                printf("# U+%04X (glibc width %d) replaced\n", cp, gw);
            continue;
        }
        compared++;
        int mine = st_text_width(in) - 1;
        if (mine != gw && mismatches++ < 10)
            printf("# U+%04X: ours %d, glibc %d\n", cp, mine, gw);
    }
    setlocale(LC_ALL, "C");
    printf("# compared %ld code points with glibc\n", compared);
    if (newer) {
        printf("# SKIP glibc %s knows a newer Unicode than the table (14.0.0): %ld widths differ, "
               "%ld characters it prints are new to the table (shown as U+FFFD)\n",
               gnu_get_libc_version(), mismatches, hidden_visible);
        fflush(stdout);
        ck_assert_int_gt(compared, 200000);
        return;
    }
    ck_assert_int_eq(mismatches, 0);
    ck_assert_int_eq(hidden_visible, 0);
    ck_assert_int_gt(compared, 200000);
}
END_TEST

/* Results must not change with the locale the UI happens to run in. */
START_TEST(test_locale_independent)
{
    const char *s = "vm-测试\xCC\x81\x1b[0m\xC0\xAF😀é";
    char *ref = st_text_sanitize(s, true);
    char *ref_fit = st_text_fit(s, 7, true, true);
    int ref_w = st_text_width(s);
    static const char *const locales[] = {"C", "POSIX", "C.UTF-8", "zh_CN.UTF-8"};
    for (size_t i = 0; i < sizeof(locales) / sizeof(locales[0]); i++) {
        if (!setlocale(LC_ALL, locales[i]))
            continue;
        char *a = st_text_sanitize(s, true), *f = st_text_fit(s, 7, true, true);
        ck_assert_str_eq(a, ref);
        ck_assert_str_eq(f, ref_fit);
        ck_assert_int_eq(st_text_width(s), ref_w);
        free(a);
        free(f);
    }
    setlocale(LC_ALL, "C");
    free(ref);
    free(ref_fit);
}
END_TEST

/* Random input, built from bytes and from fragments that make trouble. */
static size_t random_input(uint32_t *rng, char *buf, size_t cap)
{
    static const char *const frags[] = {
        "测",
        "试",
        "é",
        "e\xCC\x81",
        "\xCC\x81",
        "😀",
        "\x1b[",
        "\x07",
        "\xC2\x9B",
        "\xE2\x80\xAE",
        "\xEF\xB8\x8F",
        "\xE2\x80\x8D",
        "\xC0\xAF",
        "\xED\xA0\x80",
        "\xF4\x90",
        "\xE6\xB5",
        "ﾃ",
        "\xE1\x85\xA1",
        "a",
        " ",
        "/",
        "\t",
        "\x7f",
    };
    size_t n = 0, want = xorshift(rng) % 40;
    while (n < want && n + 8 < cap) {
        uint32_t r = xorshift(rng);
        if (r % 3 == 0) {
            unsigned char b = (unsigned char)(r >> 8);
            buf[n++] = b ? (char)b : 'x';
        } else {
            const char *f = frags[(r >> 8) % (sizeof(frags) / sizeof(frags[0]))];
            size_t l = strlen(f);
            memcpy(buf + n, f, l);
            n += l;
        }
    }
    buf[n] = '\0';
    return n;
}

static void check_safe_utf8(const char *s)
{
    uint32_t cps[512];
    long n = utf8_decode_all(s, cps, 512);
    ck_assert_msg(n >= 0, "invalid UTF-8 out: \"%s\"", s);
    for (long i = 0; i < n && i < 512; i++) {
        ck_assert_msg(cps[i] >= 0x20 && cps[i] != 0x7F, "control U+%04X out", cps[i]);
        ck_assert_msg(cps[i] < 0x80 || cps[i] > 0x9F, "C1 U+%04X out", cps[i]);
        ck_assert_msg(!(cps[i] >= 0x202A && cps[i] <= 0x202E) &&
                          !(cps[i] >= 0x2066 && cps[i] <= 0x2069),
                      "bidi U+%04X out", cps[i]);
    }
}

static void check_fits(const char *in, const char *sanitized, int cols, bool utf8)
{
    char *f = st_text_fit(in, cols, utf8, false);
    ck_assert_int_le(st_text_width(f), cols < 0 ? 0 : cols);
    /* Uncut, it is the sanitized text; cut, it starts with a prefix of it. */
    if (st_text_width(sanitized) <= cols) {
        ck_assert_str_eq(f, sanitized);
    } else if (cols > 0) {
        const char *el = utf8 ? EL : "~";
        size_t n = strlen(f), eln = strlen(el);
        ck_assert_uint_ge(n, eln);
        ck_assert_str_eq(f + n - eln, el);
        ck_assert_msg(strncmp(f, sanitized, n - eln) == 0, "\"%s\" not a cut of \"%s\"", f,
                      sanitized);
    }
    free(f);
    f = st_text_fit(in, cols, utf8, true);
    ck_assert_int_eq(st_text_width(f), cols < 0 ? 0 : cols);
    free(f);
    f = st_text_fit_left(in, cols, utf8, true);
    ck_assert_int_eq(st_text_width(f), cols < 0 ? 0 : cols);
    check_safe_utf8(f);
    free(f);
}

START_TEST(test_random_property)
{
    uint32_t rng = 20240601;
    char in[512];
    for (int iter = 0; iter < 10000; iter++) {
        random_input(&rng, in, sizeof(in));
        char *u = st_text_sanitize(in, true);
        check_safe_utf8(u);
        ck_assert_int_eq(st_text_width(u), st_text_width(in));
        char *again = st_text_sanitize(u, true);
        ck_assert_str_eq(again, u); /* idempotent */
        free(again);

        char *a = st_text_sanitize(in, false);
        for (const char *p = a; *p; p++)
            ck_assert_msg(*p >= 0x20 && *p < 0x7F, "byte 0x%02x in ASCII mode", *p & 0xFF);

        int cols = (int)(xorshift(&rng) % 24) - 2;
        check_fits(in, u, cols, true);
        check_fits(in, a, cols, false);

        char *j = st_json_escape(in);
        ck_assert_int_ge(utf8_decode_all(j, NULL, 0), 0);
        for (const char *p = j; *p; p++)
            ck_assert((unsigned char)*p >= 0x20 && *p != 0x7F);
        free(j);
        free(a);
        free(u);
    }
}
END_TEST

static Suite *text_suite(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("text");
    tcase_add_test(tc, test_ascii);
    tcase_add_test(tc, test_latin_greek_cyrillic);
    tcase_add_test(tc, test_chinese);
    tcase_add_test(tc, test_japanese);
    tcase_add_test(tc, test_korean);
    tcase_add_test(tc, test_emoji);
    tcase_add_test(tc, test_combining);
    tcase_add_test(tc, test_escape_sequences);
    tcase_add_test(tc, test_c1);
    tcase_add_test(tc, test_bidi_and_invisible);
    tcase_add_test(tc, test_invalid_utf8);
    tcase_add_test(tc, test_fit_mixed);
    tcase_add_test(tc, test_fit_cjk);
    tcase_add_test(tc, test_fit_mark);
    tcase_add_test(tc, test_fit_keeps_marks);
    tcase_add_test(tc, test_fit_left);
    tcase_add_test(tc, test_prefix_bytes);
    tcase_add_test(tc, test_wrap_bytes);
    tcase_add_test(tc, test_log_noise);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_utf8_valid);
    tcase_add_test(tc, test_json_path_bytes);
    tcase_add_test(tc, test_locale_independent);
    suite_add_tcase(s, tc);

    /* Whole-range and randomized checks: slow under valgrind, so a longer timeout. */
    TCase *slow = tcase_create("slow");
    tcase_set_timeout(slow, 600);
    tcase_add_test(slow, test_width_matches_glibc);
    tcase_add_test(slow, test_random_property);
    suite_add_tcase(s, slow);
    return s;
}

int main(void)
{
    return st_run_suite(text_suite());
}
