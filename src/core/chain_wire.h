/*
 * The chains of a remote host read there by `virt-snaptree --read-chains`, run over ssh: one round
 * trip for every shut-off chain, whatever folders its images are in.
 *
 * Request (stdin): one line per chain, "FORMAT<TAB>PATH" (FORMAT empty when not known).
 * Answer (stdout): the line ST_WIRE_MAGIC, then one line per layer, top first:
 *   "L<TAB>chain<TAB>path<TAB>format<TAB>backing_name<TAB>backing_fmt<TAB>virtual<TAB>allocation
 *    <TAB>physical<TAB>flags<TAB>broken"
 * then "E<TAB>chains". Text fields are %XX-escaped (every byte below 0x20, '%' and DEL), empty
 * for none; numbers are decimal; flags is "-" or letters: n (the name is not valid UTF-8), e (the
 * top layer holds no data), d (it holds data). Lines, not JSON: the reader has no JSON parser, and
 * a line format is read with strict bounds in a few lines of code.
 */
#ifndef ST_CHAIN_WIRE_H
#define ST_CHAIN_WIRE_H

#include <stdio.h>

#include "base/util.h"
#include "core/model.h"

#define ST_WIRE_MAGIC "virt-snaptree-chains 1"
enum { ST_WIRE_LINE_MAX = 16384 };

/* Appends s to b, %XX-escaped (NULL as nothing). */
void st_wire_escape(strbuf *b, const char *s);
/* Appends one request line. */
void st_wire_request(strbuf *b, const char *path, const char *fmt);
/* The --read-chains mode: answers the requests read from in on out. Returns the exit status. */
int st_wire_serve(FILE *in, FILE *out);

typedef struct st_wire_chain {
    st_layer *layers;
    size_t n;
} st_wire_chain;

/*
 * Reads an answer to n_req requests whose top paths are paths[i] into chains[n_req] (zeroed by
 * the caller). Anything but a complete well-formed answer is refused as a whole: -1, with
 * *err saying what was wrong (the chains are then freed and zeroed). The answer comes from
 * another host: every line, field and count is bounded.
 */
int st_wire_parse(const char *buf, size_t len, const char *const *paths, size_t n_req,
                  st_wire_chain *chains, char **err);
void st_wire_chains_free(st_wire_chain *chains, size_t n);

#endif
