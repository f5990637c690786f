/* Remote chains read by the remote host's own virt-snaptree, over ssh (chain_wire.h). */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "core/chain_wire.h"
#include "core/qcow2.h"

enum { N_FIELDS = 11, FORMAT_MAX = 32 };

void st_wire_escape(strbuf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == '%' || c == 0x7f)
            sb_printf(b, "%%%02X", c);
        else
            sb_addc(b, (char)c);
    }
}

void st_wire_request(strbuf *b, const char *path, const char *fmt)
{
    st_wire_escape(b, fmt);
    sb_addc(b, '\t');
    st_wire_escape(b, path);
    sb_addc(b, '\n');
}

/* The field s[0..n) unescaped; NULL when it is empty or not well escaped (*bad then set). */
static char *unescape(const char *s, size_t n, bool *bad)
{
    if (!n)
        return NULL;
    char *out = xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            *o++ = s[i];
            continue;
        }
        int hi = i + 2 < n ? st_hex_digit(s[i + 1]) : -1,
            lo = hi >= 0 ? st_hex_digit(s[i + 2]) : -1;
        if (lo < 0 || (hi == 0 && lo == 0)) {
            *bad = true;
            free(out);
            return NULL;
        }
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

/* Splits line[0..len) at tabs into at most max fields; returns how many (max + 1: too many). */
static size_t split(const char *line, size_t len, const char **f, size_t *fl, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != '\t')
            continue;
        if (n == max)
            return max + 1;
        f[n] = line + start;
        fl[n++] = i - start;
        start = i + 1;
    }
    return n;
}

/* ---- the remote end ---- */

static void put_layer(FILE *out, size_t chain, const st_layer *l, bool top)
{
    strbuf b;
    sb_init(&b);
    sb_printf(&b, "L\t%zu\t", chain);
    const char *text[] = {l->path, l->format, l->backing_name, l->backing_fmt};
    for (size_t i = 0; i < 4; i++) {
        st_wire_escape(&b, text[i]);
        sb_addc(&b, '\t');
    }
    sb_printf(&b, "%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t", l->virtual_size, l->allocation,
              l->physical);
    bool any = l->name_only || (top && l->content != ST_CONTENT_UNKNOWN);
    if (l->name_only)
        sb_addc(&b, 'n');
    if (top && l->content != ST_CONTENT_UNKNOWN)
        sb_addc(&b, l->content == ST_CONTENT_EMPTY ? 'e' : 'd');
    if (!any)
        sb_addc(&b, '-');
    sb_addc(&b, '\t');
    st_wire_escape(&b, l->broken);
    fprintf(out, "%s\n", b.s);
    sb_free(&b);
}

int st_wire_serve(FILE *in, FILE *out)
{
    fprintf(out, "%s\n", ST_WIRE_MAGIC);
    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        const char *f[2];
        size_t fl[2];
        bool bad = false;
        if (len > ST_WIRE_LINE_MAX || split(line, (size_t)len, f, fl, 2) != 2) {
            free(line);
            return 2;
        }
        char *fmt = unescape(f[0], fl[0], &bad), *path = unescape(f[1], fl[1], &bad);
        if (bad || !path) {
            free(fmt);
            free(path);
            free(line);
            return 2;
        }
        st_layer *layers = NULL;
        size_t nl = st_chain_read_local(path, fmt, &layers);
        for (size_t i = 0; i < nl; i++) {
            put_layer(out, n, &layers[i], i == 0);
            st_layer_clear(&layers[i]);
        }
        free(layers);
        free(fmt);
        free(path);
        n++;
    }
    free(line);
    fprintf(out, "E\t%zu\n", n);
    return fflush(out) == 0 ? 0 : 1;
}

/* ---- the reader ---- */

static bool parse_u64(const char *s, size_t n, uint64_t *v)
{
    if (!n || n > 20)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return true;
}

/* A format name as qemu spells them: short, lower-case letters, digits and '-'/'_'. */
static bool plain_format(const char *s)
{
    if (!s)
        return true;
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_");
    return n == strlen(s) && n <= FORMAT_MAX;
}

static bool parse_flags(const char *s, size_t n, st_layer *l, bool top)
{
    if (n == 1 && s[0] == '-')
        return true;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 'n')
            l->name_only = true;
        else if (top && (s[i] == 'e' || s[i] == 'd') && l->content == ST_CONTENT_UNKNOWN)
            l->content = s[i] == 'e' ? ST_CONTENT_EMPTY : ST_CONTENT_DATA;
        else
            return false;
    }
    return n > 0;
}

/* Fills l from an L line's fields after "L" and the chain number; false when one is wrong. */
static bool parse_layer(const char **f, const size_t *fl, st_layer *l, bool top)
{
    bool bad = false;
    l->backing_index = -1;
    l->path = unescape(f[2], fl[2], &bad);
    l->format = unescape(f[3], fl[3], &bad);
    l->backing_name = unescape(f[4], fl[4], &bad);
    l->backing_fmt = unescape(f[5], fl[5], &bad);
    l->broken = unescape(f[10], fl[10], &bad);
    return !bad && l->path && plain_format(l->format) && plain_format(l->backing_fmt) &&
           parse_u64(f[6], fl[6], &l->virtual_size) && parse_u64(f[7], fl[7], &l->allocation) &&
           parse_u64(f[8], fl[8], &l->physical) && parse_flags(f[9], fl[9], l, top);
}

typedef struct reader {
    const char *const *paths;
    size_t n_req;
    st_wire_chain *chains;
    size_t cur; /* the chain being read */
    size_t cap; /* of chains[cur].layers */
    bool ended; /* the E line was read */
} reader;

/* One line of the answer; NULL when it fits, else what is wrong with it. */
static const char *read_line(reader *rd, const char *line, size_t len)
{
    const char *f[N_FIELDS];
    size_t fl[N_FIELDS];
    size_t nf = split(line, len, f, fl, N_FIELDS);
    uint64_t k;
    if (rd->ended)
        return _("more after its end");
    if (nf == 2 && fl[0] == 1 && f[0][0] == 'E') {
        rd->ended = true;
        bool all = rd->n_req == 0 || (rd->cur + 1 == rd->n_req && rd->chains[rd->cur].n);
        return parse_u64(f[1], fl[1], &k) && k == rd->n_req && all ? NULL : _("chains missing");
    }
    if (nf != N_FIELDS || fl[0] != 1 || f[0][0] != 'L' || !parse_u64(f[1], fl[1], &k))
        return _("a line that is no layer");
    if (k >= rd->n_req || k < rd->cur || k > rd->cur + 1 || (k > rd->cur && !rd->chains[rd->cur].n))
        return _("chains out of order");
    if (k > rd->cur) {
        rd->cur = (size_t)k;
        rd->cap = 0;
    }
    st_wire_chain *c = &rd->chains[rd->cur];
    if (c->n > ST_CHAIN_MAX_DEPTH)
        return _("a chain too deep");
    xgrow((void **)&c->layers, &rd->cap, c->n + 1, sizeof(st_layer));
    st_layer *l = &c->layers[c->n++];
    memset(l, 0, sizeof(*l));
    if (!parse_layer(f, fl, l, c->n == 1))
        return _("a layer that does not parse");
    if (c->n == 1 && strcmp(l->path, rd->paths[rd->cur]) != 0)
        return _("a chain that is not the one asked for");
    return NULL;
}

int st_wire_parse(const char *buf, size_t len, const char *const *paths, size_t n_req,
                  st_wire_chain *chains, char **err)
{
    size_t ml = strlen(ST_WIRE_MAGIC);
    const char *why = NULL;
    reader rd = {paths, n_req, chains, 0, 0, false};
    if (len < ml + 1 || memcmp(buf, ST_WIRE_MAGIC "\n", ml + 1) != 0)
        why = _("not an answer of virt-snaptree --read-chains");
    else if (memchr(buf, '\0', len))
        why = _("a NUL byte");
    for (size_t pos = ml + 1; !why && pos < len;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        if (!nl)
            why = _("a line without its end");
        else if (ll > ST_WIRE_LINE_MAX)
            why = _("a line too long");
        else
            why = read_line(&rd, buf + pos, ll);
        pos += ll + 1;
    }
    if (!why && !rd.ended)
        why = _("the answer stops short");
    if (!why)
        return 0;
    *err = xstrdup(why);
    st_wire_chains_free(chains, n_req);
    return -1;
}

void st_wire_chains_free(st_wire_chain *chains, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < chains[i].n; k++)
            st_layer_clear(&chains[i].layers[k]);
        free(chains[i].layers);
        chains[i].layers = NULL;
        chains[i].n = 0;
    }
}
