/*
 * Numbers a person gives: on the command line (--interval, --timeout) and in the dialogs (a
 * bandwidth). One parser for all, so that none of them takes "nan", "inf", "-1", "1e9" or a
 * value out of its range.
 */
#ifndef ST_NUMBER_H
#define ST_NUMBER_H

#include <stdbool.h>

typedef enum {
    ST_NUM_OK,
    ST_NUM_BAD,   /* not written as a plain decimal number */
    ST_NUM_RANGE, /* a number, but outside [min, max] */
} st_num_result;

/*
 * Reads `s` as a plain decimal number: digits, and with `fraction` a '.' and more digits ("2",
 * "0.5", ".5", "5."). Nothing else is taken: no sign, exponent, hex, "inf" or "nan", no space
 * before or after. Independent of the locale's decimal separator. *out is set only with
 * ST_NUM_OK, when the value lies in [min, max].
 */
st_num_result st_parse_number(const char *s, bool fraction, double min, double max, double *out);

#endif
