/*
 * INCRBYFLOAT arithmetic in C `long double`, for Redoubt.
 *
 * Redis computes INCRBYFLOAT (and HINCRBYFLOAT) in `long double` (80-bit x87 extended
 * precision on x86-64): the stored value and the increment are read with strtold, added,
 * and the sum printed with "%.17Lf" before trailing zeros are stripped. No Rust type or
 * crate offers x87 extended precision, and f64 gives visibly different strings (for example
 * 10.5 + 0.1), so this file does exactly those three libc steps and nothing else.
 */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest text accepted or produced, as Redis's MAX_LONG_DOUBLE_CHARS. */
#define LD_MAX_CHARS (5 * 1024)

/* Reads a whole string as a long double the way Redis's string2ld does: no leading space,
 * the whole text consumed (an embedded NUL is not an end), no NaN, no overflow to infinity or underflow to zero. */
static int ld_parse(const char *s, size_t len, long double *out) {
    char buf[LD_MAX_CHARS];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || end[0] != '\0' || (size_t)(end - buf) != len ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        errno == EINVAL || isnan(v))
        return 0;
    *out = v;
    return 1;
}

/*
 * cur (may be NULL: a missing key reads as 0) + incr, printed into out.
 * Returns 0 on success with *outlen set, 1 when either input is not a valid float,
 * 2 when the sum is NaN or infinite, 3 when out is too small.
 */
int redoubt_ld_incr(const char *cur, size_t curlen, const char *incr, size_t incrlen,
                    char *out, size_t outcap, size_t *outlen) {
    long double value = 0, by;
    int n;
    size_t l;

    if (cur != NULL && !ld_parse(cur, curlen, &value)) return 1;
    if (!ld_parse(incr, incrlen, &by)) return 1;
    value += by;
    if (isnan(value) || isinf(value)) return 2;

    n = snprintf(out, outcap, "%.17Lf", value);
    if (n < 0 || (size_t)n + 1 > outcap) return 3;
    l = (size_t)n;
    if (memchr(out, '.', l) != NULL) {
        while (l > 0 && out[l - 1] == '0') l--;
        if (l > 0 && out[l - 1] == '.') l--;
    }
    if (l == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        l = 1;
    }
    *outlen = l;
    return 0;
}
