/* Connection URIs read as text (uri.h). */
#include "config.h"

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
