/*
 * Prints the key table as the man page's KEYS section must list it: "## context" lines, then
 * "keys<TAB>help" per key, in table order (tests/unit/man-keys.sh compares the two). With
 * --check, instead looks for keys bound twice on one screen (in the contexts it uses) and
 * requests that no key reaches, and prints each as a line (none: all is well).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "view/keys.h"

static void list(void)
{
    for (int c = 0; c < ST_CTX_COUNT; c++) {
        printf("## %s\n", st_keyctx_title((st_keyctx)c));
        for (size_t i = 0; i < st_keytable_len; i++) {
            if ((int)st_keytable[i].ctx != c)
                continue;
            char label[64];
            st_key_label(&st_keytable[i], ST_CTX_COUNT, label, sizeof(label));
            printf("%s\t%s\n", label, st_keytable[i].help);
        }
    }
}

static bool has_key(const st_keydef *d, const st_key *key)
{
    for (size_t k = 0; d && k < ST_KEYS_MAX && (d->keys[k].key || d->keys[k].is_code); k++)
        if (d->keys[k].key == key->key && d->keys[k].is_code == key->is_code)
            return true;
    return false;
}

/*
 * Whether a key of d, looked up on screen `on`, does what the table says: it reaches d's
 * request; or, d being a shared context's, the screen takes it as text or binds it itself.
 */
static bool reaches(st_keyctx on, const st_keydef *d, const st_key *key)
{
    st_keyreq got = st_key_lookup(on, key->key, key->is_code);
    if (got == d->req)
        return true;
    if (d->ctx == on)
        return false;
    return got == ST_KEY_NONE || has_key(st_key_def(on, got), key);
}

/* Every key of every context a screen uses, on that screen: what does not reach is printed. */
static int check(void)
{
    int bad = 0;
    for (int on = 0; on < ST_CTX_COUNT; on++) {
        unsigned uses = st_keyctx_uses((st_keyctx)on);
        for (size_t i = 0; i < st_keytable_len; i++) {
            const st_keydef *d = &st_keytable[i];
            for (size_t k = 0; (uses & (1u << d->ctx)) && k < ST_KEYS_MAX &&
                               (d->keys[k].key || d->keys[k].is_code);
                 k++) {
                if (reaches((st_keyctx)on, d, &d->keys[k]))
                    continue;
                printf("on \"%s\", key %d%s of \"%s\" does something else\n",
                       st_keyctx_title((st_keyctx)on), d->keys[k].key,
                       d->keys[k].is_code ? " (a code)" : "", d->help);
                bad = 1;
            }
        }
    }
    return bad;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--check") == 0)
        return check();
    list();
    return 0;
}
