#include "config.h"

#include <locale.h>
#include <stdio.h>

#include "i18n.h"

int main(void)
{
    setlocale(LC_ALL, "");
#ifdef ENABLE_NLS
    bindtextdomain(PACKAGE, LOCALEDIR);
    textdomain(PACKAGE);
#endif
    printf("%s %s\n", PACKAGE, VERSION);
    return 0;
}
