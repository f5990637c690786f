/* libxml2 parsing and building of libvirt XML. XML is never assembled with printf. */
#ifndef ST_XMLUTIL_H
#define ST_XMLUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model.h"
#include "core/request.h"

/*
 * Parses a domain's XML into `out` (cleared first with st_domain_clear, so it must be zeroed or
 * hold an earlier result): name, uuid (canonical form, lower-case; "" when missing or malformed),
 * id (-1 unless <domain id>), has_agent (a unix channel named org.qemu.guest_agent.0), and the
 * disks with target, bus, device (default "disk"), type (default "file"), format, source,
 * pool/volume, readonly. The source is the file, dev or dir attribute; for a network disk
 * "protocol:name" (rbd:pool/image), or "protocol://host[:port]" when it names no export; for
 * type='volume' NULL (resolve pool/volume through the storage API).
 * Where the XML nests <backingStore> (a running domain, or an inactive one whose XML carries a
 * chain), the disk's chain is filled from it: active layer first, with path, format and
 * backing_index (the index attribute; -1 when absent). An empty <backingStore/>, one without
 * <source> or one whose source cannot be named ends the chain. A disk without <backingStore> gets
 * just its active layer; a disk without a source (an empty cdrom; a pool volume, unless
 * st_xml_parse_domain_vols is given its path) gets none. libvirt 9.0
 * leaves an unterminated partial chain in inactive XML after external snapshots: the chain does
 * not say whether it is complete, and chain_unknown is never set here.
 * Returns 0, or -1 with *err set (malloc'd) for XML that does not parse (err may be NULL).
 * XML with a DOCTYPE or larger than 16 MiB is refused.
 */
int st_xml_parse_domain(const char *xml, st_domain *out, char **err);

/*
 * The path of volume `vol` of storage pool `pool` (malloc'd), or NULL when the host does not
 * know it; asked while parsing, so that a type='volume' disk gets its source and chain.
 */
typedef struct st_vol_resolver {
    char *(*path)(void *ctx, const char *pool, const char *vol);
    void *ctx;
} st_vol_resolver;

/* st_xml_parse_domain, with each pool volume's path asked of vr (NULL: none asked). */
int st_xml_parse_domain_vols(const char *xml, st_domain *out, const st_vol_resolver *vr,
                             char **err);

/* The label libvirt gives the domain's images under security driver `model` ("selinux"): the
 * <imagelabel> of its <seclabel> in the running domain's XML; NULL when there is none. */
char *st_xml_image_label(const char *xml, const char *model);

/*
 * Parses <domainsnapshot> XML into `out` (cleared first): name, description, state, creationTime,
 * memory, disks (only /domainsnapshot/disks, not the embedded <domain>), parent. `current` is not
 * in the XML and stays false. A disk's snapshot kind is NULL when the XML gives none.
 */
int st_xml_parse_snapshot(const char *xml, st_snapshot *out, char **err);

/*
 * Host capabilities: whether <externalSnapshot/> is advertised (libvirt ≥ 9.9 puts it in
 * <guest><features>; an element of that name anywhere counts).
 */
int st_xml_parse_caps(const char *xml, bool *external_snapshot, char **err);

/*
 * Storage volume XML into `out` (cleared first with st_volinfo_clear): target path, format,
 * capacity, allocation (what the file occupies) and physical (its size) in bytes (unit attribute
 * honoured; 0 when unknown), backingStore path and format.
 */
typedef struct st_volinfo {
    char *path, *format, *backing_path, *backing_format;
    uint64_t capacity, allocation, physical;
} st_volinfo;
int st_xml_parse_volume(const char *xml, st_volinfo *out, char **err);
void st_volinfo_clear(st_volinfo *v);

/* Storage pool XML: target path (directory pools); *path NULL and 0 when the pool has none. */
int st_xml_parse_pool_path(const char *xml, char **path, char **err);

/*
 * Returns a copy of the domain XML in which the disk `target` has source file `path` with driver
 * type `format`, and no <backingStore> (libvirt re-detects it). Used after an offline merge changed
 * the top image. The disk becomes type='file' with a fresh <source file> that keeps only the old
 * startupPolicy and <seclabel>s; other <driver> attributes are kept. The document is returned as
 * UTF-8 without an XML declaration. NULL with *err on failure (no such disk, a path or format
 * with control characters or invalid UTF-8).
 */
char *st_xml_set_disk_source(const char *domain_xml, const char *target, const char *path,
                             const char *format, char **err);

/*
 * <domainsnapshot> XML for a create request: name and description (text, escaped by libxml2;
 * tabs and newlines allowed in the description only), <memory snapshot='no'> for DISK_ONLY or
 * snapshot='external' file=req->path for MEMORY, and one <disk> per diskspec (an external one
 * with type='file', <driver type='qcow2'/> and <source file>). Nothing is defaulted: a disk that
 * is not listed is left to libvirt. NULL with *err for invalid UTF-8, control characters, an
 * empty name, an unknown per-disk kind, or a MEMORY request without a file.
 */
char *st_xml_build_snapshot(const st_request *req, char **err);

/*
 * As st_xml_set_disk_source, and records `record` (disk, file, snapshot, base, left) as a
 * <branch> in <metadata><branches xmlns=ST_BRANCH_NS>, creating both when missing. Parsing the
 * result with st_xml_parse_domain fills st_domain.branches (chains left empty).
 */
char *st_xml_branch_disk(const char *domain_xml, const char *target, const char *path,
                         const char *format, const st_branch *record, char **err);
/*
 * The <branches xmlns=ST_BRANCH_NS> element holding `n` records, for virDomainSetMetadata (a
 * running domain's live definition, and after a revert that put the snapshot's definition back).
 * NULL with *err set when a record has no disk or file or holds control characters.
 */
char *st_xml_branches_element(const st_branch *v, size_t n, char **err);
/* The source of disk `target` in a domain XML (malloc'd), NULL when it has none. */
char *st_xml_disk_source(const char *xml, const char *target);

#endif
