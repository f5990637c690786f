/*
 * Prints the key table as the man page's KEYS section must list it: "## group" lines, then
 * "keys<TAB>help" per key, in table order (tests/unit/man-keys.sh compares the two).
 */
#include "config.h"

#include <stdio.h>

#include "view/keys.h"

int main(void)
{
    for (int g = KEYGROUP_MOVE; g <= KEYGROUP_ACTION; g++) {
        printf("## %s\n", st_keygroup_title((st_keygroup)g));
        for (size_t i = 0; i < st_keytable_len; i++) {
            if ((int)st_keytable[i].group != g)
                continue;
            char label[64];
            st_key_label(&st_keytable[i], label, sizeof(label));
            printf("%s\t%s\n", label, st_keytable[i].help);
        }
    }
    return 0;
}
