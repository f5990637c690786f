/* What every backend module does with a host's connection that needs nothing of the loop. */
#include "config.h"

#include "backend/host.h"

#include <stdlib.h>

#include "base/i18n.h"
#include "base/util.h"

void st_worker_busy(st_worker *w)
{
    atomic_store(&w->busy_since[st_parallel_slot()], st_now());
}

void st_worker_idle(st_worker *w)
{
    atomic_store(&w->busy_since[st_parallel_slot()], 0.0);
}

char *st_lv_error(const char *fallback)
{
    virErrorPtr e = virGetLastError();
    char *r = xstrdup(e && e->message ? e->message : fallback);
    virResetLastError();
    /* libvirt's messages may span lines; the status line shows one. */
    for (char *p = r; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return r;
}

char *st_lv_error_after(const char *what)
{
    char *e = st_lv_error(_("libvirt gave no reason"));
    char *r = xasprintf("%s: %s", what, e);
    free(e);
    return r;
}

int st_dom_uuid(virDomainPtr dom, char out[VIR_UUID_STRING_BUFLEN])
{
    unsigned char raw[VIR_UUID_BUFLEN];
    if (virDomainGetUUID(dom, raw) < 0)
        return -1;
    char *p = out;
    for (size_t i = 0; i < VIR_UUID_BUFLEN; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = "0123456789abcdef"[raw[i] >> 4];
        *p++ = "0123456789abcdef"[raw[i] & 15];
    }
    *p = '\0';
    return 0;
}

const char *st_worker_host_key(const st_worker *w)
{
    return w->uri ? w->uri : w->conn_uri;
}

/* After a failed call: is the connection gone (rather than the call refused)? */
bool st_worker_conn_lost(st_worker *w)
{
    return !w->conn || virConnectIsAlive(w->conn) != 1;
}

bool st_worker_dom_active(st_worker *w, virDomainPtr dom)
{
    st_worker_busy(w);
    int a = virDomainIsActive(dom);
    st_worker_idle(w);
    return a == 1;
}
