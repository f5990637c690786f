/*
 * Small records kept between runs of the program (and read by its helpers): "key=value" lines,
 * values with "\\" and newlines escaped, written whole by rename so that a reader sees the old
 * record or the new one. They live in a private folder of the runtime directory.
 */
#ifndef ST_KVFILE_H
#define ST_KVFILE_H

#include "base/util.h"

/* Appends "key=value\n"; a NULL value is left out. */
void st_kv_put(strbuf *b, const char *key, const char *value);
int st_kv_write(const char *path, const strbuf *b, char **err);
/* Calls take for each line; the value is unescaped and handed over (take frees it). */
typedef void (*st_kv_take_fn)(void *ctx, const char *key, char *value);
int st_kv_read(const char *path, st_kv_take_fn take, void *ctx, char **err);

/*
 * $XDG_RUNTIME_DIR/virt-snaptree/SUB, else /run/virt-snaptree/SUB for root, else
 * /tmp/virt-snaptree-UID/SUB; created 0700 and checked to be ours. NULL (and *err) otherwise.
 */
char *st_runtime_dir(const char *sub, char **err);

#endif
