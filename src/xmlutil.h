/* libxml2 parsing and building of libvirt XML. XML is never assembled with printf. */
#ifndef ST_XMLUTIL_H
#define ST_XMLUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/*
 * Parses a domain's XML into `out` (cleared first): name, uuid, has_agent (a
 * org.qemu.guest_agent.0 channel), and the disks with target, bus, device, type, format, source,
 * pool/volume, readonly. Where the XML nests <backingStore> (a running domain, or an inactive one
 * whose XML carries a chain), the disk's chain is filled from it: active layer first, with path,
 * format and backing_index (the index attribute; -1 for the active layer unless given); an empty
 * <backingStore/> ends the chain. A disk without <backingStore> gets just its active layer.
 * Returns 0, or -1 with *err set (malloc'd) for XML that does not parse.
 */
int st_xml_parse_domain(const char *xml, st_domain *out, char **err);

/* Parses <domainsnapshot> XML: name, description, state, creationTime, memory, disks, parent. */
int st_xml_parse_snapshot(const char *xml, st_snapshot *out, char **err);

/* Host capabilities: whether <externalSnapshot/> is advertised (libvirt ≥ 9.9). */
int st_xml_parse_caps(const char *xml, bool *external_snapshot, char **err);

/* Storage volume XML: target path, format, capacity, allocation, backingStore path and format. */
typedef struct st_volinfo {
    char *path, *format, *backing_path, *backing_format;
    uint64_t capacity, allocation;
} st_volinfo;
int st_xml_parse_volume(const char *xml, st_volinfo *out, char **err);
void st_volinfo_clear(st_volinfo *v);

/* Storage pool XML: target path (directory pools). */
int st_xml_parse_pool_path(const char *xml, char **path, char **err);

/*
 * Returns a copy of the domain XML in which the disk `target` has source file `path` with driver
 * type `format`, and no <backingStore> (libvirt re-detects it). Used after an offline merge changed
 * the top image. NULL with *err on failure.
 */
char *st_xml_set_disk_source(const char *domain_xml, const char *target, const char *path,
                             const char *format, char **err);

#endif
