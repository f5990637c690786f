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

/*
 * Returns a malloc'd copy of `s` that is safe to print: every C0/C1 control character, DEL,
 * bidirectional override/isolate (U+202A–U+202E, U+2066–U+2069) and each invalid UTF-8 sequence
 * becomes U+FFFD when `utf8` is true, '?' otherwise; in non-UTF-8 mode every non-ASCII character
 * becomes '?'. Characters of width 0 that are not combining marks are dropped. NULL gives "".
 */
char *st_text_sanitize(const char *s, bool utf8);

/* Display width in columns of a sanitized string (wcwidth per character; non-printables 1). */
int st_text_width(const char *s);

/*
 * Returns a malloc'd copy of sanitized `s` cut to at most `cols` columns, never in the middle of a
 * character (a wide character that does not fit is left out). When something was cut, the last
 * column is an ellipsis ("…" with utf8, "~" without). With `pad`, spaces fill it to exactly
 * `cols` columns. cols <= 0 gives "".
 */
char *st_text_fit(const char *s, int cols, bool utf8, bool pad);

/*
 * Like st_text_fit but keeps the end of the string (paths: the file name matters most):
 * "…/images/test2_lsof.qcow2".
 */
char *st_text_fit_left(const char *s, int cols, bool utf8, bool pad);

/* Byte length of the prefix of `s` that fits in `cols` columns. */
size_t st_text_prefix_bytes(const char *s, int cols);

/* Escapes a string for JSON output (no surrounding quotes); invalid UTF-8 becomes U+FFFD. */
char *st_json_escape(const char *s);

#endif
