#include "config.h"

#include "base/number.h"

#include <stddef.h>

/* Enough digits for any value a caller allows; beyond them a number only grows out of range. */
#define MAX_DIGITS 15

st_num_result st_parse_number(const char *s, bool fraction, double min, double max, double *out)
{
    if (!s)
        return ST_NUM_BAD;
    double v = 0, scale = 1;
    bool dot = false, digits = false, huge = false;
    int significant = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '.' && fraction && !dot) {
            dot = true;
            continue;
        }
        if (*p < '0' || *p > '9')
            return ST_NUM_BAD;
        digits = true;
        if (significant == 0 && *p == '0' && !dot)
            continue; /* leading zeros */
        if (++significant > MAX_DIGITS) {
            huge = huge || !dot; /* more digits of a fraction only add precision */
            continue;
        }
        if (dot) {
            scale /= 10;
            v += (*p - '0') * scale;
        } else {
            v = v * 10 + (*p - '0');
        }
    }
    if (!digits)
        return ST_NUM_BAD;
    if (huge || v < min || v > max)
        return ST_NUM_RANGE;
    *out = v;
    return ST_NUM_OK;
}
