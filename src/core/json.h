/*
 * A small JSON document tree: built in memory, written compactly on one line (a JSON-lines record),
 * and parsed back with fixed limits on depth and size, since a journal file may have been edited
 * or damaged by anyone who could write the folder. Numbers keep their text, so that a 64-bit byte
 * count survives a round trip that a double would round.
 */
#ifndef ST_JSON_H
#define ST_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    ST_JSON_NULL = 0,
    ST_JSON_BOOL,
    ST_JSON_NUMBER,
    ST_JSON_STRING,
    ST_JSON_ARRAY,
    ST_JSON_OBJECT,
} st_json_type;

typedef struct st_json {
    st_json_type type;
    bool boolean;
    char *text;             /* a string's value (UTF-8), a number's spelling */
    char **keys;            /* an object's member names, in order */
    struct st_json **items; /* an array's items, an object's values */
    size_t n, cap;
} st_json;

st_json *st_json_object(void);
st_json *st_json_array(void);
/* NULL s makes a JSON null. */
st_json *st_json_string(const char *s);
st_json *st_json_u64(uint64_t v);
st_json *st_json_i64(int64_t v);
st_json *st_json_double(double v);
st_json *st_json_bool(bool v);
st_json *st_json_null(void);
void st_json_free(st_json *v);

/* Adds a member (takes v); a NULL v adds null. */
void st_json_set(st_json *obj, const char *key, st_json *v);
/* Shorthand for st_json_set(obj, key, st_json_string(s)). */
void st_json_set_str(st_json *obj, const char *key, const char *s);
void st_json_push(st_json *arr, st_json *v);

/* The member `key` of an object; NULL when v is no object or has none. */
const st_json *st_json_get(const st_json *obj, const char *key);
/* A string member's value; NULL when absent, null or not a string. */
const char *st_json_get_str(const st_json *obj, const char *key);
/* A number member as an unsigned / signed integer, or a double; `dflt` when absent or not one. */
uint64_t st_json_get_u64(const st_json *obj, const char *key, uint64_t dflt);
int64_t st_json_get_i64(const st_json *obj, const char *key, int64_t dflt);
double st_json_get_double(const st_json *obj, const char *key, double dflt);
bool st_json_get_bool(const st_json *obj, const char *key, bool dflt);

/* One line of JSON, no newline (malloc'd). */
char *st_json_dump(const st_json *v);

/*
 * Parses one JSON value followed only by white space. NULL with *why (malloc'd, translated) set
 * when the text is no JSON, nests deeper than 64 levels or holds a NUL in a string.
 */
st_json *st_json_parse(const char *text, char **why);

#endif
