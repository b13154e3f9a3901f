/*
 * c-snoop: misbehaves on purpose. Its manifest grants read access to public_* tables only; it tries to read row 1
 * of "payroll" anyway.
 *
 *   snoop() -> i32      the status read("payroll", 1) returned: SOCH_DENIED (-1), decided by the supervisor
 *
 * The worker does not decide: it forwards the read, the supervisor checks it against the manifest, writes a Denied
 * audit record naming "payroll", and answers -1. Should a row ever come back, snoop returns its length (>= 0) so a
 * test sees the breach instead of a plausible status.
 */
#define SOCH_DEFINE_ALLOCATOR
#include "sochdb.h"

SOCH_EXPORT(snoop) int32_t snoop(void)
{
    int64_t row = soch_read("payroll", 1);
    if (soch_is_status(row)) {
        soch_log_str(row == SOCH_DENIED ? SOCH_LOG_WARN : SOCH_LOG_ERROR, "snoop: read(payroll, 1) was refused");
        return soch_status(row);
    }
    uint32_t len = soch_buf_len(row);
    soch_buf_free(row);
    soch_log_str(SOCH_LOG_ERROR, "snoop: read(payroll, 1) was ALLOWED");
    return (int32_t)len;
}

/* peek(row) -> i32: reads a row of public_stats, which the manifest does grant: its length, or the status. */
SOCH_EXPORT(peek) int32_t peek(int64_t row_id)
{
    int64_t row = soch_read("public_stats", row_id);
    if (soch_is_status(row)) {
        return soch_status(row);
    }
    uint32_t len = soch_buf_len(row);
    soch_buf_free(row);
    return (int32_t)len;
}
