/* Small allocation and string helpers; allocation failure aborts, as in virsh. */
#ifndef ST_UTIL_H
#define ST_UTIL_H

#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
/* Grows *p (of *cap elements of size sz) so that it holds at least need elements. */
void xgrow(void **p, size_t *cap, size_t need, size_t sz);
char *xstrdup(const char *s);
/* Returns NULL for NULL. */
char *xstrdup0(const char *s);
/* A copy of n strings (each may be NULL); NULL when n is 0. */
char **st_strv_copy(char *const *v, size_t n);
/*
 * Spawn attributes that give a child an empty signal mask: the backend's threads block the
 * interface's signals (SIGINT, SIGTERM, ...), and a program started from one must not inherit
 * that. posix_spawnattr_destroy() when done.
 */
void st_spawnattr_init(posix_spawnattr_t *attr);
/* The first n bytes of s (fewer if s ends before). */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
bool streq0(const char *a, const char *b);
double st_now(void); /* monotonic seconds */
/* CLOCK_REALTIME `seconds` from now: a deadline for pthread_cond_timedwait and the like. */
struct timespec st_realtime_in(double seconds);

/* A growable byte string, always NUL-terminated. */
typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;

void sb_init(strbuf *b);
void sb_free(strbuf *b);
void sb_addn(strbuf *b, const char *s, size_t n);
void sb_add(strbuf *b, const char *s);
void sb_addc(strbuf *b, char c);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the buffer to the caller and resets b. */
char *sb_steal(strbuf *b);

/* Formats a byte count the way admins read it: 512 B, 1.5 KiB, 20.0 GiB. */
void st_fmt_bytes(char *out, size_t outsz, uint64_t bytes);

/*
 * $XDG_STATE_HOME/virt-snaptree/REL, or ~/.local/state/virt-snaptree/REL without it (malloc'd);
 * NULL when neither names an absolute folder. What this program keeps between runs.
 */
char *st_state_path(const char *rel);

/* Joins dir and name (name absolute: name alone). */
char *st_path_join(const char *dir, const char *name);
/* Directory part of a path ("." when it has none). */
char *st_dirname(const char *path);
const char *st_basename(const char *path);
/*
 * An absolute path with "//", "/./" and "dir/.." folded away by spelling alone, the way libvirt's
 * storage pools name volumes. Not what the kernel resolves when a folded component is a symlink:
 * only for matching names that a remote host gave (nothing else can be asked there). Relative
 * paths are returned unchanged.
 */
char *st_path_lexical(const char *path);

/* The value of a hexadecimal digit (either case); -1 for any other character. */
int st_hex_digit(char c);

#endif
