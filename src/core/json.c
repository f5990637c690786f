#include "config.h"

#include "core/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/text.h"

#define JSON_MAX_DEPTH 64

/* ---- building ---- */

static st_json *node(st_json_type t)
{
    st_json *v = xcalloc(1, sizeof(*v));
    v->type = t;
    return v;
}

st_json *st_json_object(void)
{
    return node(ST_JSON_OBJECT);
}

st_json *st_json_array(void)
{
    return node(ST_JSON_ARRAY);
}

st_json *st_json_string(const char *s)
{
    if (!s)
        return st_json_null();
    st_json *v = node(ST_JSON_STRING);
    v->text = xstrdup(s);
    return v;
}

static st_json *number(char *text)
{
    st_json *v = node(ST_JSON_NUMBER);
    v->text = text;
    return v;
}

st_json *st_json_u64(uint64_t n)
{
    return number(xasprintf("%" PRIu64, n));
}

st_json *st_json_i64(int64_t n)
{
    return number(xasprintf("%" PRId64, n));
}

st_json *st_json_double(double d)
{
    return number(xasprintf("%.3f", d));
}

st_json *st_json_bool(bool b)
{
    st_json *v = node(ST_JSON_BOOL);
    v->boolean = b;
    return v;
}

st_json *st_json_null(void)
{
    return node(ST_JSON_NULL);
}

void st_json_free(st_json *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        if (v->keys)
            free(v->keys[i]);
        st_json_free(v->items[i]);
    }
    free(v->keys);
    free(v->items);
    free(v->text);
    free(v);
}

static void add_item(st_json *c, const char *key, st_json *v)
{
    size_t cap = c->cap;
    xgrow((void **)&c->items, &c->cap, c->n + 1, sizeof(st_json *));
    if (key)
        xgrow((void **)&c->keys, &cap, c->n + 1, sizeof(char *));
    if (key)
        c->keys[c->n] = xstrdup(key);
    c->items[c->n++] = v ? v : st_json_null();
}

void st_json_set(st_json *obj, const char *key, st_json *v)
{
    add_item(obj, key, v);
}

void st_json_set_str(st_json *obj, const char *key, const char *s)
{
    add_item(obj, key, st_json_string(s));
}

void st_json_push(st_json *arr, st_json *v)
{
    add_item(arr, NULL, v);
}

/* ---- reading members ---- */

const st_json *st_json_get(const st_json *obj, const char *key)
{
    if (!obj || obj->type != ST_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

const char *st_json_get_str(const st_json *obj, const char *key)
{
    const st_json *v = st_json_get(obj, key);
    return v && v->type == ST_JSON_STRING ? v->text : NULL;
}

uint64_t st_json_get_u64(const st_json *obj, const char *key, uint64_t dflt)
{
    const st_json *v = st_json_get(obj, key);
    if (!v || v->type != ST_JSON_NUMBER || v->text[0] == '-')
        return dflt;
    return strtoull(v->text, NULL, 10);
}

int64_t st_json_get_i64(const st_json *obj, const char *key, int64_t dflt)
{
    const st_json *v = st_json_get(obj, key);
    return v && v->type == ST_JSON_NUMBER ? strtoll(v->text, NULL, 10) : dflt;
}

double st_json_get_double(const st_json *obj, const char *key, double dflt)
{
    const st_json *v = st_json_get(obj, key);
    return v && v->type == ST_JSON_NUMBER ? strtod(v->text, NULL) : dflt;
}

bool st_json_get_bool(const st_json *obj, const char *key, bool dflt)
{
    const st_json *v = st_json_get(obj, key);
    return v && v->type == ST_JSON_BOOL ? v->boolean : dflt;
}

/* ---- writing ---- */

static void dump_string(strbuf *b, const char *s)
{
    char *e = st_json_escape(s);
    sb_addc(b, '"');
    sb_add(b, e);
    sb_addc(b, '"');
    free(e);
}

static void dump(strbuf *b, const st_json *v)
{
    switch (v->type) {
    case ST_JSON_NULL:
        sb_add(b, "null");
        return;
    case ST_JSON_BOOL:
        sb_add(b, v->boolean ? "true" : "false");
        return;
    case ST_JSON_NUMBER:
        sb_add(b, v->text);
        return;
    case ST_JSON_STRING:
        dump_string(b, v->text);
        return;
    case ST_JSON_ARRAY:
    case ST_JSON_OBJECT:
        break;
    }
    bool obj = v->type == ST_JSON_OBJECT;
    sb_addc(b, obj ? '{' : '[');
    for (size_t i = 0; i < v->n; i++) {
        if (i)
            sb_addc(b, ',');
        if (obj) {
            dump_string(b, v->keys[i]);
            sb_addc(b, ':');
        }
        dump(b, v->items[i]);
    }
    sb_addc(b, obj ? '}' : ']');
}

char *st_json_dump(const st_json *v)
{
    strbuf b;
    sb_init(&b);
    dump(&b, v);
    return sb_steal(&b);
}

/* ---- parsing ---- */

typedef struct parser {
    const char *p;
    char *why;
} parser;

static void skip_ws(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

static bool fail(parser *ps, const char *what)
{
    if (!ps->why)
        ps->why = xstrdup(what);
    return false;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_utf8(strbuf *b, uint32_t cp)
{
    char o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        o[0] = (char)(0xF0 | cp >> 18);
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sb_addn(b, o, n);
}

/* After "\u": one code point, a surrogate pair taken whole. */
static bool unicode_escape(parser *ps, strbuf *b)
{
    int hi = hex4(ps->p);
    if (hi < 0)
        return fail(ps, _("a \\u escape without four hex digits"));
    ps->p += 4;
    uint32_t cp = (uint32_t)hi;
    if (hi >= 0xD800 && hi < 0xDC00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
        int lo = hex4(ps->p + 2);
        if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
            ps->p += 6;
        }
    }
    if (cp == 0)
        return fail(ps, _("a NUL character in a string"));
    if (cp >= 0xD800 && cp < 0xE000)
        cp = 0xFFFD; /* a lone surrogate has no UTF-8 spelling */
    put_utf8(b, cp);
    return true;
}

static bool simple_escape(char c, strbuf *b)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *at = c ? strchr(from, c) : NULL;
    if (!at)
        return false;
    sb_addc(b, to[at - from]);
    return true;
}

static char *parse_string(parser *ps)
{
    strbuf b;
    sb_init(&b);
    ps->p++; /* the opening quote */
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        bool ok = true;
        if (c == '\0' || c < 0x20) {
            ok = fail(ps, _("a string that does not end"));
        } else if (c != '\\') {
            sb_addc(&b, (char)c);
            ps->p++;
        } else if (ps->p[1] == 'u') {
            ps->p += 2;
            ok = unicode_escape(ps, &b);
        } else if (simple_escape(ps->p[1], &b)) {
            ps->p += 2;
        } else {
            ok = fail(ps, _("an unknown escape in a string"));
        }
        if (!ok) {
            sb_free(&b);
            return NULL;
        }
    }
    ps->p++;
    return sb_steal(&b);
}

static st_json *parse_number(parser *ps)
{
    const char *s = ps->p;
    if (*ps->p == '-')
        ps->p++;
    if (*ps->p < '0' || *ps->p > '9') {
        fail(ps, _("not a JSON value"));
        return NULL;
    }
    while ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' || *ps->p == 'e' || *ps->p == 'E' ||
           *ps->p == '+' || *ps->p == '-')
        ps->p++;
    return number(xstrndup(s, (size_t)(ps->p - s)));
}

static st_json *parse_value(parser *ps, int depth);

/* An array or object after its opening bracket. */
static st_json *parse_container(parser *ps, int depth, bool obj)
{
    st_json *v = node(obj ? ST_JSON_OBJECT : ST_JSON_ARRAY);
    char close = obj ? '}' : ']';
    ps->p++;
    skip_ws(ps);
    if (*ps->p == close) {
        ps->p++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (obj) {
            key = *ps->p == '"' ? parse_string(ps) : NULL;
            skip_ws(ps);
            if (!key || *ps->p != ':') {
                free(key);
                fail(ps, _("an object member without a name"));
                break;
            }
            ps->p++;
        }
        st_json *item = parse_value(ps, depth + 1);
        if (item)
            add_item(v, key, item);
        free(key);
        if (!item)
            break;
        skip_ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            return v;
        }
        fail(ps, _("a missing comma or closing bracket"));
        break;
    }
    st_json_free(v);
    return NULL;
}

static st_json *parse_word(parser *ps)
{
    static const struct {
        const char *word;
        st_json_type type;
        bool value;
    } words[] = {{"null", ST_JSON_NULL, false},
                 {"true", ST_JSON_BOOL, true},
                 {"false", ST_JSON_BOOL, false}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t len = strlen(words[i].word);
        if (strncmp(ps->p, words[i].word, len) == 0) {
            ps->p += len;
            st_json *v = node(words[i].type);
            v->boolean = words[i].value;
            return v;
        }
    }
    return parse_number(ps);
}

static st_json *parse_value(parser *ps, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        fail(ps, _("nested too deeply"));
        return NULL;
    }
    skip_ws(ps);
    if (*ps->p == '{' || *ps->p == '[')
        return parse_container(ps, depth, *ps->p == '{');
    if (*ps->p == '"') {
        char *s = parse_string(ps);
        if (!s)
            return NULL;
        st_json *v = node(ST_JSON_STRING);
        v->text = s;
        return v;
    }
    return parse_word(ps);
}

st_json *st_json_parse(const char *text, char **why)
{
    parser ps = {.p = text ? text : ""};
    st_json *v = parse_value(&ps, 0);
    skip_ws(&ps);
    if (v && *ps.p) {
        fail(&ps, _("text after the JSON value"));
        st_json_free(v);
        v = NULL;
    }
    if (why)
        *why = ps.why;
    else
        free(ps.why);
    return v;
}
