/* Connection URIs read as text (uri.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/uri.h"
#include "base/util.h"

/* The "driver+transport" part before "://", as a length; 0 when there is none. */
static size_t scheme_len(const char *uri)
{
    const char *sep = uri ? strstr(uri, "://") : NULL;
    return sep ? (size_t)(sep - uri) : 0;
}

bool st_uri_is_local(const char *uri)
{
    if (!uri)
        return true;
    size_t sl = scheme_len(uri);
    if (!sl)
        return false;
    /* The test driver's images are fiction: never read them from this machine's disk. */
    if (sl >= 4 && strncmp(uri, "test", 4) == 0)
        return false;
    bool transport_ok =
        (sl == 4 && strncmp(uri, "qemu", 4) == 0) || (sl == 9 && strncmp(uri, "qemu+unix", 9) == 0);
    return transport_ok && uri[sl + 3] == '/';
}

double st_uri_retry_max(const char *uri)
{
    return st_uri_is_local(uri) ? 1.0 : 5.0;
}

/* Whether the query string q (after '?', up to the end) sets the parameter `name`. */
static bool has_param(const char *q, const char *name)
{
    size_t nl = strlen(name);
    while (*q) {
        if (strncmp(q, name, nl) == 0 && (q[nl] == '=' || q[nl] == '&' || q[nl] == '\0'))
            return true;
        const char *amp = strchr(q, '&');
        if (!amp)
            break;
        q = amp + 1;
    }
    return false;
}

bool st_uri_is_ssh(const char *uri)
{
    size_t sl = scheme_len(uri);
    const char *plus = sl ? memchr(uri, '+', sl) : NULL;
    return plus && (size_t)(uri + sl - plus) == 4 && strncmp(plus, "+ssh", 4) == 0;
}

bool st_uri_no_tty_added(const char *uri)
{
    if (!st_uri_is_ssh(uri))
        return false;
    const char *q = strchr(uri + scheme_len(uri), '?');
    return !(q && has_param(q + 1, "no_tty"));
}

char *st_uri_no_tty(const char *uri)
{
    if (!st_uri_no_tty_added(uri))
        return xstrdup0(uri);
    const char *q = strchr(uri, '?');
    return xasprintf("%s%sno_tty=1", uri, !q ? "?" : q[1] ? "&" : "");
}

/* The "user@host:port" part after "://", as a copy; NULL when empty. */
static char *authority(const char *uri)
{
    size_t sl = scheme_len(uri);
    if (!sl)
        return NULL;
    const char *a = uri + sl + 3;
    size_t n = strcspn(a, "/?");
    return n ? xstrndup(a, n) : NULL;
}

/* Splits an authority into user (or NULL), host and port (or NULL), in place. */
static void split_authority(char *a, char **user, char **host, char **port)
{
    char *at = strrchr(a, '@');
    *user = at ? a : NULL;
    if (at)
        *at = '\0';
    *host = at ? at + 1 : a;
    *port = NULL;
    char *h = *host;
    if (h[0] == '[') {
        char *close = strchr(h, ']');
        if (close) {
            *close = '\0';
            *host = h + 1;
            if (close[1] == ':')
                *port = close + 2;
        }
        return;
    }
    char *colon = strchr(h, ':');
    if (colon) {
        *colon = '\0';
        *port = colon + 1;
    }
}

static const char *next_param(const char *p)
{
    const char *amp = strchr(p, '&');
    return amp ? amp + 1 : NULL;
}

/* The value of the query parameter `name`, %XX-decoded; NULL when the URI does not set it. */
static char *param(const char *uri, const char *name)
{
    const char *q = strchr(uri + scheme_len(uri), '?');
    size_t nl = strlen(name);
    for (q = q ? q + 1 : NULL; q && *q; q = next_param(q)) {
        if (strncmp(q, name, nl) != 0 || (q[nl] != '=' && q[nl] != '&' && q[nl]))
            continue;
        const char *v = q[nl] == '=' ? q + nl + 1 : q + nl;
        size_t n = strcspn(v, "&");
        char *out = xmalloc(n + 1), *o = out;
        for (size_t i = 0; i < n; i++) {
            int hi = i + 2 < n && v[i] == '%' ? st_hex_digit(v[i + 1]) : -1;
            int lo = hi >= 0 ? st_hex_digit(v[i + 2]) : -1;
            if (lo >= 0) {
                *o++ = (char)(hi * 16 + lo);
                i += 2;
            } else {
                *o++ = v[i];
            }
        }
        *o = '\0';
        return out;
    }
    return NULL;
}

char *st_uri_host(const char *uri)
{
    char *a = authority(uri), *user, *host, *port;
    if (!a)
        return NULL;
    split_authority(a, &user, &host, &port);
    char *h = *host ? xstrdup(host) : NULL;
    free(a);
    return h;
}

typedef struct argv_b {
    char **v;
    size_t n, cap;
} argv_b;

static void arg(argv_b *b, const char *s)
{
    xgrow((void **)&b->v, &b->cap, b->n + 2, sizeof(char *));
    b->v[b->n++] = xstrdup(s);
    b->v[b->n] = NULL;
}

/* Adds "opt value" when value is set and not empty; frees value. */
static void arg_opt(argv_b *b, const char *opt, char *value)
{
    if (value && *value) {
        arg(b, opt);
        arg(b, value);
    }
    free(value);
}

char *st_uri_ssh_program(const char *uri)
{
    char *cmd = param(uri, "command");
    if (cmd && *cmd)
        return cmd;
    free(cmd);
    return xstrdup("ssh");
}

char **st_uri_ssh_argv(const char *uri, const char *remote)
{
    return st_uri_ssh_argv_shared(uri, remote, NULL);
}

char **st_uri_ssh_argv_shared(const char *uri, const char *remote, const char *control)
{
    if (!st_uri_is_ssh(uri))
        return NULL;
    char *a = authority(uri), *user, *host, *port;
    if (!a)
        return NULL;
    split_authority(a, &user, &host, &port);
    if (!*host) {
        free(a);
        return NULL;
    }
    argv_b b = {0};
    char *cmd = st_uri_ssh_program(uri);
    arg(&b, cmd);
    free(cmd);
    arg_opt(&b, "-p", port ? xstrdup(port) : NULL);
    arg_opt(&b, "-l", user ? xstrdup(user) : NULL);
    arg_opt(&b, "-i", param(uri, "keyfile"));
    arg(&b, "-T");
    arg(&b, "-e");
    arg(&b, "none");
    arg(&b, "-o");
    arg(&b, "BatchMode=yes");
    char *nv = param(uri, "no_verify");
    if (nv && strcmp(nv, "1") == 0) {
        arg(&b, "-o");
        arg(&b, "StrictHostKeyChecking=no");
    }
    free(nv);
    if (control) {
        char *path = xasprintf("ControlPath=%s", control);
        arg(&b, "-o");
        arg(&b, "ControlMaster=no");
        arg(&b, "-o");
        arg(&b, path);
        free(path);
    }
    arg(&b, "--");
    arg(&b, host);
    arg(&b, remote);
    free(a);
    return b.v;
}

/* Appends s to b, each byte that may not stand as such in a query value as %XX. */
static void add_query_value(strbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("/-._~", c))
            sb_addc(b, (char)c);
        else
            sb_printf(b, "%%%02X", c);
    }
}

char *st_uri_with_command(const char *uri, const char *command)
{
    if (!st_uri_is_ssh(uri))
        return NULL;
    const char *q = strchr(uri + scheme_len(uri), '?');
    strbuf b;
    sb_init(&b);
    sb_addn(&b, uri, q ? (size_t)(q - uri) : strlen(uri));
    char sep = '?';
    /* Every parameter but command=, in its order and spelling. */
    for (const char *p = q ? q + 1 : NULL; p && *p; p = next_param(p)) {
        size_t n = strcspn(p, "&");
        if (n == 0 || (n >= 7 && strncmp(p, "command", 7) == 0 && (n == 7 || p[7] == '=')))
            continue;
        sb_addc(&b, sep);
        sb_addn(&b, p, n);
        sep = '&';
    }
    sb_addc(&b, sep);
    sb_add(&b, "command=");
    add_query_value(&b, command);
    return sb_steal(&b);
}
