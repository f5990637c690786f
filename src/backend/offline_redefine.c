/* Pointing a shut-off domain's disk at the base its active layer was committed into. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "backend/offline_internal.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/util.h"

char *st_offline_marker(const char *record)
{
    return xasprintf("%s.redefined", record);
}

static char *lv_error(const char *fallback)
{
    virErrorPtr e = virGetLastError();
    char *r = xstrdup(e && e->message ? e->message : fallback);
    virResetLastError();
    return r;
}

/* The disk's source in the inactive XML (malloc'd), and the XML itself. */
static char *disk_source(virDomainPtr dom, const char *disk, char **xml_out, char **err)
{
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    if (!xml) {
        *err = lv_error(_("cannot read the domain XML"));
        return NULL;
    }
    st_domain d;
    memset(&d, 0, sizeof(d));
    char *src = NULL;
    if (st_xml_parse_domain(xml, &d, err) == 0) {
        const st_disk *k = st_domain_find_disk(&d, disk);
        if (k && k->source)
            src = xstrdup(k->source);
        else
            *err = xasprintf(_("the domain has no disk %s with an image"), disk);
    }
    st_domain_clear(&d);
    if (src)
        *xml_out = xml;
    else
        free(xml);
    return src;
}

static int define_on(virConnectPtr conn, const char *xml, const st_offline_state *s, char **err)
{
    const st_layer *b = &s->chain[s->base];
    char *nx = st_xml_set_disk_source(xml, s->disk, b->path, b->format, err);
    if (!nx)
        return -1;
    virDomainPtr nd = virDomainDefineXML(conn, nx);
    free(nx);
    if (!nd) {
        *err = lv_error(_("cannot update the domain definition"));
        return -1;
    }
    virDomainFree(nd);
    return 0;
}

/* Decides from where the disk points now: done, not ours to change, or to be defined. */
static int redefine_from(virConnectPtr conn, virDomainPtr dom, const char *xml, const char *src,
                         const st_offline_state *s, char **err)
{
    if (virDomainIsActive(dom) == 1) {
        *err = xasprintf(_("%s was started meanwhile: its disk %s is left on %s"), s->domain,
                         s->disk, src);
        return -1;
    }
    if (streq0(src, s->chain[s->base].path))
        return 0; /* done already, by the other side */
    if (!streq0(src, s->chain[0].path)) {
        *err = xasprintf(_("the disk %s now points at %s: its definition is left alone"), s->disk,
                         src);
        return -1;
    }
    return define_on(conn, xml, s, err);
}

int st_offline_redefine(virConnectPtr conn, const st_offline_state *s, char **err)
{
    virDomainPtr dom = s->uuid && *s->uuid ? virDomainLookupByUUIDString(conn, s->uuid)
                                           : virDomainLookupByName(conn, s->domain);
    if (!dom) {
        *err = lv_error(_("no such domain"));
        return -1;
    }
    char *xml = NULL;
    char *src = disk_source(dom, s->disk, &xml, err);
    int rc = src ? redefine_from(conn, dom, xml, src, s, err) : -1;
    virResetLastError();
    free(src);
    free(xml);
    virDomainFree(dom);
    return rc;
}
