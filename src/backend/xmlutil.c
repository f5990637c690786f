#include "config.h"

#include "backend/xmlutil.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/xmlstring.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"

/* libvirt's own XML is far smaller; the cap keeps a hostile peer from making us parse gigabytes. */
#define ST_XML_MAX_INPUT ((size_t)16 << 20)

#define GUEST_AGENT_CHANNEL "org.qemu.guest_agent.0"

static void set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(char **err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    *err = xvasprintf(fmt, ap);
    va_end(ap);
}

/* ---- parsing ---------------------------------------------------------------------------- */

/*
 * SAX hook called when a DOCTYPE is seen, before its internal subset is read. libvirt never sends
 * a DTD, and refusing it here rules out entity expansion (billion laughs) and external entities.
 */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
    xmlStopParser((xmlParserCtxtPtr)ctx);
}

static void set_parse_err(xmlParserCtxtPtr ctxt, char **err)
{
    if (ctxt->errNo == XML_ERR_USER_STOP) {
        set_err(err, "%s", _("XML with a DOCTYPE declaration is not accepted"));
        return;
    }
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    if (!e || !e->message) {
        set_err(err, "%s", _("XML does not parse"));
        return;
    }
    /* libxml2's messages end in a newline; the caller shows one line. */
    size_t n = strlen(e->message);
    while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == '\r'))
        n--;
    set_err(err, _("XML error at line %d: %.*s"), e->line, (int)n, e->message);
}

/* Documents only read, never edited: small text nodes stored inside their nodes (libxml2 then
 * allocates and frees far less: about an eighth of a domain XML's parse); such a tree must not
 * be modified. */
#define ST_XML_READ_ONLY XML_PARSE_COMPACT

/*
 * Parses untrusted XML: no network, no DTD, no entity substitution, no messages on stderr (the
 * curses screen owns it). Returns the document if its root element is `root`. `opts`: 0 for a
 * document to edit, else ST_XML_READ_ONLY.
 */
static xmlDocPtr parse_doc(const char *xml, const char *root, int opts, char **err)
{
    if (!xml) {
        set_err(err, "%s", _("no XML given"));
        return NULL;
    }
    size_t len = strnlen(xml, ST_XML_MAX_INPUT + 1);
    if (len > ST_XML_MAX_INPUT) {
        set_err(err, _("XML larger than %zu MiB"), ST_XML_MAX_INPUT >> 20);
        return NULL;
    }
    xmlInitParser();
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        set_err(err, "%s", _("out of memory"));
        return NULL;
    }
    ctxt->sax->internalSubset = refuse_dtd;
    xmlDocPtr doc =
        xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | opts);
    if (!doc || ctxt->errNo == XML_ERR_USER_STOP) {
        set_parse_err(ctxt, err);
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctxt);
        return NULL;
    }
    xmlFreeParserCtxt(ctxt);
    xmlNode *top = xmlDocGetRootElement(doc);
    if (!top || strcmp((const char *)top->name, root) != 0) {
        set_err(err, _("expected <%s> XML, found <%s>"), root, top ? (const char *)top->name : "");
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

/* ---- tree helpers (all accept a NULL node, so that lookups chain) ----------------------- */

/* libvirt's elements carry no namespace; namespaced ones (qemu:commandline) are extensions. */
static bool is_elem(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !n->ns && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *child(const xmlNode *parent, const char *name)
{
    if (!parent)
        return NULL;
    for (xmlNode *c = parent->children; c; c = c->next)
        if (is_elem(c, name))
            return c;
    return NULL;
}

static size_t count_children(const xmlNode *parent, const char *name)
{
    size_t n = 0;
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        n += is_elem(c, name);
    return n;
}

/* Copies what libxml2 allocated into our allocator, so that callers free() it. */
static char *take_xml_string(xmlChar *s)
{
    if (!s)
        return NULL;
    char *r = xstrdup((const char *)s);
    xmlFree(s);
    return r;
}

static char *attr(const xmlNode *n, const char *name)
{
    return n ? take_xml_string(xmlGetNoNsProp(n, (const xmlChar *)name)) : NULL;
}

static char *attr_or(const xmlNode *n, const char *name, const char *dflt)
{
    char *v = attr(n, name);
    return v ? v : xstrdup(dflt);
}

static bool attr_is(const xmlNode *n, const char *name, const char *value)
{
    char *v = attr(n, name);
    bool r = streq0(v, value);
    free(v);
    return r;
}

static char *child_attr(const xmlNode *parent, const char *name, const char *attr_name)
{
    return attr(child(parent, name), attr_name);
}

static char *text(const xmlNode *n)
{
    return n ? take_xml_string(xmlNodeGetContent(n)) : NULL;
}

static char *child_text(const xmlNode *parent, const char *name)
{
    return text(child(parent, name));
}

/* ---- numbers -------------------------------------------------------------------------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Strict non-negative int (an index or a domain id); false for anything else. */
static bool parse_index(const char *s, int *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || *end || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

static int index_attr(const xmlNode *n)
{
    char *s = attr(n, "index");
    int v;
    if (!parse_index(s, &v))
        v = -1;
    free(s);
    return v;
}

static long long parse_ll_or0(const char *s)
{
    if (!s)
        return 0;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    while (is_blank(*end))
        end++;
    return (errno || end == s || *end) ? 0 : v;
}

/* Multiplier for a libvirt size unit (virScaleInteger's rules: "KB" is 1000, "K"/"KiB" 1024). */
static uint64_t unit_scale(const char *unit)
{
    if (!unit || !*unit || strcasecmp(unit, "b") == 0 || strcasecmp(unit, "bytes") == 0)
        return 1;
    const char *p = strchr("kmgtpe", unit[0] | 0x20);
    if (!p)
        return 0;
    unsigned base;
    if (unit[1] == '\0' || strcasecmp(unit + 1, "ib") == 0)
        base = 1024;
    else if (strcasecmp(unit + 1, "b") == 0)
        base = 1000;
    else
        return 0;
    uint64_t scale = 1;
    for (const char *q = "kmgtpe"; q <= p; q++)
        scale *= base;
    return scale;
}

/* A <capacity unit='…'>N</capacity> element in bytes; 0 when absent or not understood. */
static uint64_t scaled_size(const xmlNode *n)
{
    char *s = text(n), *unit = attr(n, "unit");
    uint64_t r = 0, scale = unit_scale(unit);
    const char *p = s;
    while (p && is_blank(*p))
        p++;
    if (p && *p >= '0' && *p <= '9' && scale) {
        errno = 0;
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        while (is_blank(*end))
            end++;
        if (!errno && !*end && v <= UINT64_MAX / scale)
            r = (uint64_t)v * scale;
    }
    free(s);
    free(unit);
    return r;
}

/* ---- domain --------------------------------------------------------------------------- */

/* Accepts libvirt's canonical form only; any case, stored lower-case as libvirt prints it. */
static void read_uuid(const xmlNode *root, char out[37])
{
    out[0] = '\0';
    char *s = child_text(root, "uuid");
    const char *p = s;
    while (p && is_blank(*p))
        p++;
    char u[37];
    size_t i = 0;
    for (; p && i < 36 && p[i]; i++) {
        char c = p[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')))
            break;
        u[i] = dash ? c : (char)((c >= 'A' && c <= 'F') ? c | 0x20 : c);
    }
    if (i == 36) {
        const char *rest = p + 36;
        while (is_blank(*rest))
            rest++;
        if (!*rest) {
            memcpy(out, u, 36);
            out[36] = '\0';
        }
    }
    free(s);
}

/*
 * The guest agent socket that libvirt uses for quiesce and fsfreeze. A channel alone proves no
 * agent: libvirt refuses QUIESCE unless the live XML says state='connected'.
 */
static void read_guest_agent(const xmlNode *devices, st_domain *out)
{
    for (xmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
        const xmlNode *t = child(c, "target");
        if (is_elem(c, "channel") && attr_is(c, "type", "unix") &&
            attr_is(t, "name", GUEST_AGENT_CHANNEL)) {
            out->has_agent = true;
            out->agent_connected = attr_is(t, "state", "connected");
            return;
        }
    }
}

/*
 * UEFI firmware in pflash and the format of its variable store: whether libvirt takes internal
 * snapshots of the guest depends on both (and on the host's version).
 */
static void read_firmware(const xmlNode *os, st_domain *out)
{
    out->pflash = attr_is(child(os, "loader"), "type", "pflash");
    out->nvram_format = attr(child(os, "nvram"), "format");
    out->nvram = child_text(os, "nvram");
}

/*
 * An NBD source as QEMU names it: "nbd://host[:port][/export]" over TCP,
 * "nbd+unix:///[export]?socket=PATH" over a Unix socket (qemu-nbd's usual way on one machine).
 * NULL when the XML names neither a host nor a socket.
 */
static char *nbd_source(const char *name, const xmlNode *host)
{
    char *transport = attr(host, "transport"), *socket = attr(host, "socket");
    char *hname = attr(host, "name"), *port = attr(host, "port"), *r = NULL;
    if (streq0(transport, "unix") && socket)
        r = xasprintf("nbd+unix:///%s?socket=%s", name ? name : "", socket);
    else if (hname)
        r = xasprintf("nbd://%s%s%s%s%s", hname, port ? ":" : "", port ? port : "", name ? "/" : "",
                      name ? name : "");
    free(transport);
    free(socket);
    free(hname);
    free(port);
    return r;
}

/*
 * A network source as one string: NBD as QEMU's URIs (nbd_source); others "protocol:name"
 * (rbd:pool/image), or "protocol://host[:port]" without a name. NULL when nothing is known.
 */
static char *network_source(const xmlNode *src)
{
    char *proto = attr(src, "protocol"), *name = attr(src, "name"), *r = NULL;
    xmlNode *host = child(src, "host");
    if (streq0(proto, "nbd")) {
        r = nbd_source(name, host);
    } else if (name) {
        r = proto ? xasprintf("%s:%s", proto, name) : xstrdup(name);
    } else {
        char *hname = attr(host, "name"), *port = attr(host, "port");
        if (hname)
            r = xasprintf("%s://%s%s%s", proto ? proto : "", hname, port ? ":" : "",
                          port ? port : "");
        free(hname);
        free(port);
    }
    free(proto);
    free(name);
    return r;
}

/* Where a <source> of a disk or <backingStore> of the given type points. */
static char *source_path(const char *type, const xmlNode *src)
{
    if (!src)
        return NULL;
    if (streq0(type, "file"))
        return attr(src, "file");
    if (streq0(type, "block"))
        return attr(src, "dev");
    if (streq0(type, "dir"))
        return attr(src, "dir");
    if (streq0(type, "network"))
        return network_source(src);
    /* type='volume' names pool and volume; anything else (nvme, vhostuser) has no image path
     * unless the XML happens to give one. */
    char *p = attr(src, "file");
    return p ? p : attr(src, "dev");
}

static st_layer *add_layer(st_disk *d, size_t *cap, char *path, char *format, int index)
{
    xgrow((void **)&d->chain, cap, d->n_chain + 1, sizeof(*d->chain));
    st_layer *l = &d->chain[d->n_chain++];
    memset(l, 0, sizeof(*l));
    l->path = path;
    l->format = format;
    l->backing_index = index;
    return l;
}

/*
 * Active layer, then every nested <backingStore> that names an image. An empty <backingStore/>,
 * one without <source>, or one whose source we cannot name ends the chain.
 */
static void read_chain(st_disk *d, const xmlNode *disk, const xmlNode *src)
{
    size_t cap = 0;
    add_layer(d, &cap, xstrdup(d->source), xstrdup0(d->format), index_attr(src));
    for (xmlNode *bs = child(disk, "backingStore"); bs; bs = child(bs, "backingStore")) {
        /* An empty <backingStore/> says the chain ends here: libvirt knows it is complete. */
        if (!bs->children && !bs->properties) {
            d->chain_complete = true;
            break;
        }
        char *type = attr_or(bs, "type", "file");
        char *path = source_path(type, child(bs, "source"));
        free(type);
        if (!path)
            break;
        add_layer(d, &cap, path, child_attr(bs, "format", "type"), index_attr(bs));
    }
    /* Kept for the life of the cache: no room for layers that never come. */
    if (cap > d->n_chain)
        d->chain = xrealloc(d->chain, d->n_chain * sizeof(*d->chain));
}

static void read_disk(const xmlNode *n, st_disk *d, const st_vol_resolver *vr)
{
    d->type = attr_or(n, "type", "file");
    d->device = attr_or(n, "device", "disk");
    xmlNode *target = child(n, "target");
    d->target = attr(target, "dev");
    d->bus = attr(target, "bus");
    d->format = child_attr(n, "driver", "type");
    d->readonly = child(n, "readonly") != NULL;
    xmlNode *src = child(n, "source");
    if (streq0(d->type, "volume")) {
        d->pool = attr(src, "pool");
        d->volume = attr(src, "volume");
    }
    d->source = source_path(d->type, src);
    /* A pool volume names no path: the host knows it, and the chain hangs from it. */
    if (!d->source && d->pool && d->volume && vr)
        d->source = vr->path(vr->ctx, d->pool, d->volume);
    if (d->source)
        read_chain(d, n, src);
    xmlNode *mirror = child(n, "mirror");
    if (mirror) {
        char *type = attr_or(mirror, "type", "file");
        d->mirror = source_path(type, child(mirror, "source"));
        free(type);
    }
}

static void read_disks(const xmlNode *devices, st_domain *out, const st_vol_resolver *vr)
{
    size_t n = count_children(devices, "disk");
    if (!n)
        return;
    out->disks = xcalloc(n, sizeof(*out->disks));
    for (xmlNode *c = devices->children; c; c = c->next)
        if (is_elem(c, "disk"))
            read_disk(c, &out->disks[out->n_disks++], vr);
}

static void read_branches(xmlDocPtr doc, st_domain *out);

int st_xml_parse_domain(const char *xml, st_domain *out, char **err)
{
    return st_xml_parse_domain_vols(xml, out, NULL, err);
}

int st_xml_parse_domain_vols(const char *xml, st_domain *out, const st_vol_resolver *vr, char **err)
{
    st_domain_clear(out);
    xmlDocPtr doc = parse_doc(xml, "domain", ST_XML_READ_ONLY, err);
    if (!doc)
        return -1;
    xmlNode *root = xmlDocGetRootElement(doc);
    out->name = child_text(root, "name");
    read_uuid(root, out->uuid);
    char *id = attr(root, "id");
    if (!parse_index(id, &out->id))
        out->id = -1;
    free(id);
    read_firmware(child(root, "os"), out);
    xmlNode *devices = child(root, "devices");
    read_guest_agent(devices, out);
    read_disks(devices, out, vr);
    read_branches(doc, out);
    xmlFreeDoc(doc);
    return 0;
}

/* ---- snapshot ------------------------------------------------------------------------- */

static void read_snapshot_memory(const xmlNode *root, st_snapshot *out)
{
    xmlNode *mem = child(root, "memory");
    char *kind = attr(mem, "snapshot");
    if (streq0(kind, "external")) {
        out->memory = true;
        out->external = true;
        out->memory_file = attr(mem, "file");
    } else if (!kind || streq0(kind, "internal")) {
        /* Internal memory state exists only for a snapshot of a live guest; old libvirt wrote
         * no <memory> and meant the same. */
        out->memory = streq0(out->state, "running") || streq0(out->state, "paused");
    }
    free(kind);
}

/* The <disk> children of `list` (<disks> or <revertDisks>); n is set to how many. */
static st_snapdisk *read_snapdisk_list(const xmlNode *list, size_t *n)
{
    *n = 0;
    size_t cap = count_children(list, "disk");
    if (!cap)
        return NULL;
    st_snapdisk *v = xcalloc(cap, sizeof(*v));
    for (xmlNode *c = list->children; c; c = c->next) {
        if (!is_elem(c, "disk"))
            continue;
        st_snapdisk *sd = &v[(*n)++];
        sd->target = attr(c, "name");
        sd->snapshot = attr(c, "snapshot");
        xmlNode *src = child(c, "source");
        sd->file = attr(src, "file");
        if (!sd->file)
            sd->file = attr(src, "dev");
    }
    return v;
}

/* Only /domainsnapshot/disks: the <domain> libvirt embeds describes the VM, not the snapshot. */
static void read_snapshot_disks(const xmlNode *root, st_snapshot *out)
{
    out->disks = read_snapdisk_list(child(root, "disks"), &out->n_disks);
    for (size_t i = 0; i < out->n_disks; i++) {
        const st_snapdisk *sd = &out->disks[i];
        /* libvirt reads a disk that names a new file but no snapshot kind as external. */
        if (streq0(sd->snapshot, "external") || (!sd->snapshot && sd->file))
            out->external = true;
    }
    out->revert_disks = read_snapdisk_list(child(root, "revertDisks"), &out->n_revert_disks);
}

static xmlNode *find_disk(const xmlNode *devices, const char *target);

/* The image each snapshot disk used when the snapshot was taken, from the embedded <domain>. */
static void read_snapshot_images(const xmlNode *root, st_snapshot *out)
{
    xmlNode *devices = child(child(root, "domain"), "devices");
    for (size_t i = 0; devices && i < out->n_disks; i++) {
        xmlNode *disk = out->disks[i].target ? find_disk(devices, out->disks[i].target) : NULL;
        if (!disk)
            continue;
        char *type = attr_or(disk, "type", "file");
        out->disks[i].image = source_path(type, child(disk, "source"));
        free(type);
    }
}

int st_xml_parse_snapshot(const char *xml, st_snapshot *out, char **err)
{
    st_snapshot_clear(out);
    xmlDocPtr doc = parse_doc(xml, "domainsnapshot", ST_XML_READ_ONLY, err);
    if (!doc)
        return -1;
    xmlNode *root = xmlDocGetRootElement(doc);
    out->name = child_text(root, "name");
    out->description = child_text(root, "description");
    out->state = child_text(root, "state");
    out->parent = child_text(child(root, "parent"), "name");
    char *ctime = child_text(root, "creationTime");
    out->creation_time = parse_ll_or0(ctime);
    free(ctime);
    read_snapshot_memory(root, out);
    read_snapshot_disks(root, out);
    read_snapshot_images(root, out);
    xmlFreeDoc(doc);
    return 0;
}

/* ---- capabilities, volumes, pools ------------------------------------------------------ */

/* Depth-first walk without recursion, so that nesting depth cannot matter. */
static bool has_element_named(xmlNode *top, const char *name)
{
    xmlNode *n = top;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
            return true;
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && n != top && !n->next)
            n = n->parent;
        if (!n || n == top)
            break;
        n = n->next;
    }
    return false;
}

/*
 * libvirt 9.9 lists <externalSnapshot/> under <guest><features>; looking anywhere in the document
 * keeps us right if it is ever reported elsewhere.
 */
int st_xml_parse_caps(const char *xml, bool *external_snapshot, char **err)
{
    *external_snapshot = false;
    xmlDocPtr doc = parse_doc(xml, "capabilities", ST_XML_READ_ONLY, err);
    if (!doc)
        return -1;
    *external_snapshot = has_element_named(xmlDocGetRootElement(doc), "externalSnapshot");
    xmlFreeDoc(doc);
    return 0;
}

char *st_xml_image_label(const char *xml, const char *model)
{
    xmlDocPtr doc = parse_doc(xml, "domain", ST_XML_READ_ONLY, NULL);
    char *label = NULL;
    for (xmlNode *c = doc ? xmlDocGetRootElement(doc)->children : NULL; c && !label; c = c->next)
        if (is_elem(c, "seclabel") && attr_is(c, "model", model))
            label = child_text(c, "imagelabel");
    if (doc)
        xmlFreeDoc(doc);
    return label;
}

void st_volinfo_clear(st_volinfo *v)
{
    free(v->path);
    free(v->format);
    free(v->backing_path);
    free(v->backing_format);
    memset(v, 0, sizeof(*v));
}

int st_xml_parse_volume(const char *xml, st_volinfo *out, char **err)
{
    st_volinfo_clear(out);
    xmlDocPtr doc = parse_doc(xml, "volume", ST_XML_READ_ONLY, err);
    if (!doc)
        return -1;
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *target = child(root, "target"), *backing = child(root, "backingStore");
    out->path = child_text(target, "path");
    out->format = child_attr(target, "format", "type");
    out->capacity = scaled_size(child(root, "capacity"));
    out->allocation = scaled_size(child(root, "allocation"));
    out->physical = scaled_size(child(root, "physical"));
    out->backing_path = child_text(backing, "path");
    out->backing_format = child_attr(backing, "format", "type");
    xmlFreeDoc(doc);
    return 0;
}

int st_xml_parse_pool_path(const char *xml, char **path, char **err)
{
    *path = NULL;
    xmlDocPtr doc = parse_doc(xml, "pool", ST_XML_READ_ONLY, err);
    if (!doc)
        return -1;
    *path = child_text(child(xmlDocGetRootElement(doc), "target"), "path");
    xmlFreeDoc(doc);
    return 0;
}

/* ---- editing -------------------------------------------------------------------------- */

static xmlNode *find_disk(const xmlNode *devices, const char *target)
{
    for (xmlNode *c = devices ? devices->children : NULL; c; c = c->next)
        if (is_elem(c, "disk") && attr_is(child(c, "target"), "dev", target))
            return c;
    return NULL;
}

/* Unlinks and frees n, with the indentation text before it so no blank line is left. */
static void remove_node(xmlNode *n)
{
    xmlNode *prev = n->prev;
    if (prev && xmlIsBlankNode(prev)) {
        xmlUnlinkNode(prev);
        xmlFreeNode(prev);
    }
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}

/* Inserts n before ref with the same indentation, so that the dumped XML stays readable. */
static void insert_before(xmlNode *ref, xmlNode *n)
{
    xmlAddPrevSibling(ref, n);
    xmlNode *indent = n->prev;
    if (indent && xmlIsBlankNode(indent))
        xmlAddPrevSibling(ref, xmlCopyNode(indent, 1));
}

/*
 * A fresh <source file=…/>: every attribute and child of the old one described the old image
 * (index, slices, encryption, data store) except the startup policy and security labels, which
 * are about the disk and are kept.
 */
static void replace_source(xmlNode *disk, const char *path)
{
    xmlNode *src = xmlNewDocNode(disk->doc, NULL, (const xmlChar *)"source", NULL);
    xmlNewProp(src, (const xmlChar *)"file", (const xmlChar *)path);
    xmlNode *old = child(disk, "source");
    if (!old) {
        xmlNode *target = child(disk, "target");
        if (target)
            insert_before(target, src);
        else
            xmlAddChild(disk, src);
        return;
    }
    char *policy = attr(old, "startupPolicy");
    if (policy)
        xmlNewProp(src, (const xmlChar *)"startupPolicy", (const xmlChar *)policy);
    free(policy);
    for (xmlNode *c = old->children, *next; c; c = next) {
        next = c->next;
        if (is_elem(c, "seclabel")) {
            xmlUnlinkNode(c);
            xmlAddChild(src, c);
        }
    }
    xmlReplaceNode(old, src);
    xmlFreeNode(old);
}

/* Sets <driver type=…>, keeping name, cache and the rest; creates <driver> when missing. */
static void set_driver_type(xmlNode *disk, const char *format)
{
    xmlNode *driver = child(disk, "driver");
    if (!driver) {
        driver = xmlNewDocNode(disk->doc, NULL, (const xmlChar *)"driver", NULL);
        xmlNode *src = child(disk, "source");
        if (src)
            insert_before(src, driver);
        else
            xmlAddChild(disk, driver);
    }
    xmlSetProp(driver, (const xmlChar *)"type", (const xmlChar *)format);
}

static void remove_backing_stores(xmlNode *disk)
{
    for (xmlNode *c = disk->children, *next; c; c = next) {
        next = c->next;
        if (is_elem(c, "backingStore"))
            remove_node(c); /* removes c->prev, never next */
    }
}

/* Serialises as UTF-8 with no XML declaration, the way virsh dumpxml prints. */
static char *dump_doc(xmlDocPtr doc, char **err)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlSaveCtxtPtr save = buf ? xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL) : NULL;
    char *r = NULL;
    if (save && xmlSaveDoc(save, doc) >= 0 && xmlSaveFlush(save) >= 0)
        r = xstrdup((const char *)xmlBufferContent(buf));
    if (save)
        xmlSaveClose(save);
    if (buf)
        xmlBufferFree(buf);
    if (!r)
        set_err(err, "%s", _("could not serialise the domain XML"));
    return r;
}

/*
 * libvirt gets back exactly what we write only for valid UTF-8 without control characters: a
 * newline in an attribute is read back as a space, and most other controls are not XML at all.
 */
static bool attr_value_ok(const char *s)
{
    if (!xmlCheckUTF8((const xmlChar *)s))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20)
            return false;
    return true;
}

/* Points the disk `target` of doc at path/format; 0, or -1 with *err. */
static int edit_disk_source(xmlDocPtr doc, const char *target, const char *path, const char *format,
                            char **err)
{
    if (!target || !*target || !path || !*path || !format || !*format) {
        set_err(err, "%s", _("disk target, image path and format are required"));
        return -1;
    }
    if (!attr_value_ok(path) || !attr_value_ok(format)) {
        set_err(err, "%s", _("image path or format holds control characters or invalid UTF-8"));
        return -1;
    }
    xmlNode *disk = find_disk(child(xmlDocGetRootElement(doc), "devices"), target);
    if (!disk) {
        set_err(err, _("the domain has no disk '%s'"), target);
        return -1;
    }
    xmlSetProp(disk, (const xmlChar *)"type", (const xmlChar *)"file");
    replace_source(disk, path);
    set_driver_type(disk, format);
    remove_backing_stores(disk);
    return 0;
}

char *st_xml_set_disk_source(const char *domain_xml, const char *target, const char *path,
                             const char *format, char **err)
{
    xmlDocPtr doc = parse_doc(domain_xml, "domain", 0, err);
    if (!doc)
        return NULL;
    char *r = edit_disk_source(doc, target, path, format, err) == 0 ? dump_doc(doc, err) : NULL;
    xmlFreeDoc(doc);
    return r;
}

/* ---- snapshot XML and detached branches --------------------------------------------------- */

/* Text content is kept by libvirt as given, newlines included; other controls are not XML. */
static bool text_value_ok(const char *s)
{
    if (!xmlCheckUTF8((const xmlChar *)s))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 && *p != '\n' && *p != '\t')
            return false;
    return true;
}

static xmlNode *add_elem(xmlNode *parent, const char *name)
{
    return xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
}

static void set_prop(xmlNode *n, const char *name, const char *value)
{
    xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value);
}

/* <disk name=… snapshot=…> with, for an external one, its overlay file and format. */
static void add_snapshot_disk(xmlNode *disks, const st_snap_diskspec *ds)
{
    xmlNode *d = add_elem(disks, "disk");
    set_prop(d, "name", ds->target);
    set_prop(d, "snapshot", ds->snapshot);
    if (!streq0(ds->snapshot, "external") || !ds->file)
        return;
    set_prop(d, "type", "file");
    set_prop(add_elem(d, "driver"), "type", "qcow2");
    set_prop(add_elem(d, "source"), "file", ds->file);
}

static bool diskspecs_ok(const st_request *req, char **err)
{
    for (size_t i = 0; i < req->n_diskspecs; i++) {
        const st_snap_diskspec *ds = &req->diskspecs[i];
        if (!ds->target || !ds->snapshot || !attr_value_ok(ds->target) ||
            (ds->file && !attr_value_ok(ds->file))) {
            set_err(err, "%s",
                    _("a disk of the snapshot has no target or kind, or a file name "
                      "with control characters or invalid UTF-8"));
            return false;
        }
        if (!streq0(ds->snapshot, "external") && !streq0(ds->snapshot, "internal") &&
            !streq0(ds->snapshot, "no")) {
            set_err(err, _("unknown snapshot kind '%s' for disk %s"), ds->snapshot, ds->target);
            return false;
        }
    }
    return true;
}

static bool snapshot_request_ok(const st_request *req, char **err)
{
    if (!req->snapshot || !*req->snapshot || !text_value_ok(req->snapshot) ||
        strchr(req->snapshot, '\n') || strchr(req->snapshot, '\t')) {
        set_err(err, "%s",
                _("the snapshot name is empty or holds control characters or invalid "
                  "UTF-8"));
        return false;
    }
    if (req->description && !text_value_ok(req->description)) {
        set_err(err, "%s", _("the description holds control characters or invalid UTF-8"));
        return false;
    }
    if (req->snap_kind == ST_SNAP_KIND_MEMORY &&
        (!req->path || !*req->path || !attr_value_ok(req->path))) {
        set_err(err, "%s",
                _("a snapshot with memory needs a memory file name without control "
                  "characters"));
        return false;
    }
    return diskspecs_ok(req, err);
}

char *st_xml_build_snapshot(const st_request *req, char **err)
{
    if (!snapshot_request_ok(req, err))
        return NULL;
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *root = xmlNewDocNode(doc, NULL, (const xmlChar *)"domainsnapshot", NULL);
    xmlDocSetRootElement(doc, root);
    /* xmlNewTextChild escapes <, & and quotes; the name goes in exactly as typed. */
    xmlNewTextChild(root, NULL, (const xmlChar *)"name", (const xmlChar *)req->snapshot);
    if (req->description && *req->description)
        xmlNewTextChild(root, NULL, (const xmlChar *)"description",
                        (const xmlChar *)req->description);
    if (req->snap_kind == ST_SNAP_KIND_MEMORY) {
        xmlNode *m = add_elem(root, "memory");
        set_prop(m, "snapshot", "external");
        set_prop(m, "file", req->path);
    } else if (req->snap_kind == ST_SNAP_KIND_DISK_ONLY) {
        set_prop(add_elem(root, "memory"), "snapshot", "no");
    }
    if (req->n_diskspecs) {
        xmlNode *disks = add_elem(root, "disks");
        for (size_t i = 0; i < req->n_diskspecs; i++)
            add_snapshot_disk(disks, &req->diskspecs[i]);
    }
    char *r = dump_doc(doc, err);
    xmlFreeDoc(doc);
    return r;
}

/* The <metadata> child in our namespace, created (with <metadata>) when `create`. */
static xmlNode *branches_node(xmlDocPtr doc, bool create)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *meta = child(root, "metadata");
    for (xmlNode *c = meta ? meta->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns &&
            streq0((const char *)c->ns->href, ST_BRANCH_NS) &&
            strcmp((const char *)c->name, "branches") == 0)
            return c;
    if (!create)
        return NULL;
    if (!meta)
        meta = add_elem(root, "metadata");
    xmlNode *b = xmlNewChild(meta, NULL, (const xmlChar *)"branches", NULL);
    xmlNs *ns = xmlNewNs(b, (const xmlChar *)ST_BRANCH_NS, (const xmlChar *)"snaptree");
    xmlSetNs(b, ns);
    return b;
}

static void fill_branch(xmlNode *n, const st_branch *br)
{
    set_prop(n, "disk", br->disk);
    set_prop(n, "file", br->file);
    if (br->snapshot)
        set_prop(n, "snapshot", br->snapshot);
    if (br->base)
        set_prop(n, "base", br->base);
    char left[32];
    snprintf(left, sizeof(left), "%lld", br->left);
    set_prop(n, "left", left);
}

static void add_branch_record(xmlDocPtr doc, const st_branch *br)
{
    xmlNode *list = branches_node(doc, true);
    fill_branch(xmlNewChild(list, list->ns, (const xmlChar *)"branch", NULL), br);
}

static bool branch_record_ok(const st_branch *record, char **err)
{
    if (!record || !record->disk || !record->file || !attr_value_ok(record->file) ||
        !attr_value_ok(record->disk) || (record->snapshot && !attr_value_ok(record->snapshot)) ||
        (record->base && !attr_value_ok(record->base))) {
        set_err(err, "%s",
                _("the branch record has no disk or file, or holds control "
                  "characters"));
        return false;
    }
    return true;
}

char *st_xml_branches_element(const st_branch *v, size_t n, char **err)
{
    for (size_t i = 0; i < n; i++)
        if (!branch_record_ok(&v[i], err))
            return NULL;
    /* No namespace of its own: libvirt puts the element in the one it is given. */
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *list = xmlNewDocNode(doc, NULL, (const xmlChar *)"branches", NULL);
    xmlDocSetRootElement(doc, list);
    for (size_t i = 0; i < n; i++)
        fill_branch(xmlNewChild(list, NULL, (const xmlChar *)"branch", NULL), &v[i]);
    xmlBufferPtr buf = xmlBufferCreate();
    char *r = NULL;
    if (buf && xmlNodeDump(buf, doc, list, 0, 0) >= 0)
        r = xstrdup((const char *)xmlBufferContent(buf));
    else
        set_err(err, "%s", _("cannot write the branch records"));
    if (buf)
        xmlBufferFree(buf);
    xmlFreeDoc(doc);
    return r;
}

char *st_xml_branch_disk(const char *domain_xml, const char *target, const char *path,
                         const char *format, const st_branch *record, char **err)
{
    if (!branch_record_ok(record, err))
        return NULL;
    xmlDocPtr doc = parse_doc(domain_xml, "domain", 0, err);
    if (!doc)
        return NULL;
    char *r = NULL;
    if (edit_disk_source(doc, target, path, format, err) == 0) {
        add_branch_record(doc, record);
        r = dump_doc(doc, err);
    }
    xmlFreeDoc(doc);
    return r;
}

/* Reads the detached branches recorded in <metadata>; unknown or partial records are skipped. */
static void read_branches(xmlDocPtr doc, st_domain *out)
{
    xmlNode *list = branches_node(doc, false);
    size_t cap = 0;
    for (xmlNode *c = list ? list->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "branch") != 0)
            continue;
        char *disk = attr(c, "disk"), *file = attr(c, "file");
        if (!disk || !file) {
            free(disk);
            free(file);
            continue;
        }
        xgrow((void **)&out->branches, &cap, out->n_branches + 1, sizeof(st_branch));
        st_branch *b = &out->branches[out->n_branches++];
        memset(b, 0, sizeof(*b));
        b->disk = disk;
        b->file = file;
        b->snapshot = attr(c, "snapshot");
        b->base = attr(c, "base");
        char *left = attr(c, "left");
        b->left = parse_ll_or0(left);
        free(left);
    }
}

char *st_xml_disk_source(const char *xml, const char *target)
{
    st_domain d;
    memset(&d, 0, sizeof(d));
    char *r = NULL;
    if (st_xml_parse_domain(xml, &d, NULL) == 0) {
        const st_disk *k = st_domain_find_disk(&d, target);
        r = k ? xstrdup0(k->source) : NULL;
    }
    st_domain_clear(&d);
    return r;
}
