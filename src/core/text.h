/*
 * Untrusted text made safe for a terminal, and measured the way a terminal draws it.
 * Domain names, paths, backing names read from image headers and snapshot descriptions all come
 * from people or guests we do not trust: nothing from them may reach the terminal as a control
 * sequence, and a CJK name must take the columns it really takes.
 */
#ifndef ST_TEXT_H
#define ST_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Every function here decodes UTF-8 itself (strictly: overlongs, surrogates, code points above
 * U+10FFFF and truncated sequences are invalid, each maximal invalid subpart counting as one
 * character) and measures with its own Unicode 14 table, which agrees with glibc's wcwidth() in
 * a UTF-8 locale: results never depend on the current locale. NULL is taken as "".
 */

/*
 * Returns a malloc'd copy of `s` that is safe to print. These become U+FFFD when `utf8` is true,
 * '?' otherwise: each invalid UTF-8 sequence, every C0/C1 control character and DEL, the
 * invisible format characters (bidirectional overrides/isolates/marks U+202A–U+202E,
 * U+2066–U+2069, U+200E/U+200F, U+061C; zero-width spaces and joiners U+200B–U+200D, U+2060;
 * U+FEFF; tag characters; any other zero-width Cf), U+2028/U+2029, code points unassigned in
 * Unicode 14 (a newer terminal may draw them with another width) and a combining mark with no
 * character before it to sit on. Replacing rather than dropping keeps "vm1" and "vm\u200b1"
 * apart on screen. U+FE0E/U+FE0F (text/emoji presentation) are left out, because terminals
 * disagree about the width they give the emoji before them; more than 4 combining marks on one
 * character are left out too (ncurses keeps no more). With `utf8` false, every non-ASCII
 * character becomes '?'.
 */
char *st_text_sanitize(const char *s, bool utf8);

/*
 * Display width in columns of st_text_sanitize(s, true): wide East Asian characters and emoji
 * take 2, combining marks 0, everything else (U+FFFD included) 1.
 */
int st_text_width(const char *s);

/*
 * Returns st_text_sanitize(s, utf8), malloc'd and cut to at most `cols` columns, never in the
 * middle of a character and never between a character and its combining marks (a wide character
 * that does not fit is left out). When something was cut, the last column is an ellipsis ("…"
 * with utf8, "~" without). With `pad`, spaces at the end fill it to exactly `cols` columns.
 * cols <= 0 gives "". Work stops at the first character that does not fit.
 */
char *st_text_fit(const char *s, int cols, bool utf8, bool pad);

/*
 * Like st_text_fit but keeps the end of the string (paths: the file name matters most), with the
 * ellipsis first: "…/images/test2_lsof.qcow2". Padding, if any, still goes at the end.
 */
char *st_text_fit_left(const char *s, int cols, bool utf8, bool pad);

/*
 * st_text_fit and st_text_fit_left with the mark of a cut given: one column wide, drawn as it is
 * (the interface's glyph table has "…", or "~" with --ascii, whatever the text's charset).
 */
char *st_text_fit_mark(const char *s, int cols, bool utf8, bool pad, const char *mark);
char *st_text_fit_left_mark(const char *s, int cols, bool utf8, bool pad, const char *mark);

/*
 * Byte length of the longest prefix of `s` that fits in `cols` columns, measured as
 * st_text_width() does; combining marks stay with their character. Meant for sanitized strings.
 */
size_t st_text_prefix_bytes(const char *s, int cols);

/*
 * Byte length of the next line when `s` is wrapped at `cols` columns: the longest prefix that
 * fits, cut back to just after its last space or CJK character boundary (else its last '/') when
 * the cut would split a word or a path component, as long as that keeps at least a third of the
 * line. A line never begins with closing punctuation (，。、；：！？）」…) nor ends with opening
 * punctuation (（「…), and a size keeps its unit ("41.3 MiB" is one word). Never 0 on a non-empty
 * string (a character wider than the line goes alone). The caller skips one space at the start
 * of the next line. Meant for sanitized strings.
 */
size_t st_text_wrap_bytes(const char *s, int cols);

/*
 * Escapes a string for JSON output (no surrounding quotes): '"', '\\', and control characters
 * (\b \f \n \r \t, else \u00XX), and, so that JSON shown on a terminal cannot act on it, DEL,
 * C1, U+2028/U+2029 and the invisible format characters as \uXXXX. Other non-ASCII UTF-8 is kept
 * as it is. All that is lossless for valid UTF-8. Invalid UTF-8 cannot be written in JSON at
 * all: each maximal invalid subpart becomes \ufffd, which loses the bytes (see st_utf8_valid).
 */
char *st_json_escape(const char *s);
/* st_text_sanitize(s, utf8) written to out. */
void st_text_put(FILE *out, const char *s, bool utf8);
/* s as a JSON string (escaped as above, quoted), or null when s is NULL. */
void st_json_put(FILE *out, const char *s);

/* Whether `s` is valid UTF-8 (strictly, as above: no overlong forms, surrogates or truncation). */
bool st_utf8_valid(const char *s);

#endif
