/*
 * c-pii-mask: masks the local part of every e-mail address in a row, in place.
 *
 *   mask_row(bytes) -> bytes      "mail alice@example.com or bob@x.org" -> "mail a****@example.com or b**@x.org"
 *
 * The first character of each local part stays, the rest become '*'; domains and all other bytes are untouched, and
 * the row keeps its length. It is written to become a before_insert hook once hooks exist; until then it is a plain
 * export. One host call: log, with the number of addresses masked.
 */
#define SOCH_DEFINE_ALLOCATOR
#include "sochdb.h"

/* Characters allowed in the local part of an address (the common, unquoted subset of RFC 5322). */
static int is_local_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
        || c == '%' || c == '+' || c == '-';
}

/* A domain starts with a letter or digit. */
static int is_domain_start(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Writes the decimal digits of v at out; returns how many. */
static uint32_t format_u32(char *out, uint32_t v)
{
    char digits[10];
    uint32_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (uint32_t i = 0; i < n; i++) {
        out[i] = digits[n - 1 - i];
    }
    return n;
}

/* Masks every address in row[0, len); returns how many it masked. */
static uint32_t mask_addresses(uint8_t *row, uint32_t len)
{
    uint32_t masked = 0;
    for (uint32_t at = 1; at + 1 < len; at++) {
        if (row[at] != '@' || !is_domain_start(row[at + 1])) {
            continue;
        }
        uint32_t start = at;
        while (start > 0 && is_local_char(row[start - 1])) {
            start--;
        }
        if (start == at) {
            continue; /* "@host" with no local part */
        }
        for (uint32_t i = start + 1; i < at; i++) {
            row[i] = '*';
        }
        masked++;
    }
    return masked;
}

/* mask_row(bytes) -> bytes. The host placed the row with soch_alloc; it is masked and returned in place, and the host
 * releases it with soch_free after copying it out. */
SOCH_EXPORT(mask_row) int64_t mask_row(int32_t ptr, int32_t len)
{
    uint8_t *row = (uint8_t *)(uintptr_t)(uint32_t)ptr;
    uint32_t masked = mask_addresses(row, (uint32_t)len);

    static const char prefix[] = "masked ";
    static const char suffix[] = " address(es)";
    char message[sizeof prefix - 1 + 10 + sizeof suffix - 1];
    uint32_t n = 0;
    soch_memcpy(message, prefix, sizeof prefix - 1);
    n += sizeof prefix - 1;
    n += format_u32(message + n, masked);
    soch_memcpy(message + n, suffix, sizeof suffix - 1);
    n += sizeof suffix - 1;
    soch_log(SOCH_LOG_INFO, message, n);

    return soch_pack(row, (uint32_t)len);
}

/* mask_hook(table, row_id, row) -> packed row: the same masking as a before_insert / before_update table hook. The
 * returned buffer replaces the row before the host stores it, so no unmasked address ever reaches the table. */
SOCH_EXPORT(mask_hook) int64_t mask_hook(int32_t table_ptr, int32_t table_len, int64_t row_id, int32_t ptr, int32_t len)
{
    (void)table_ptr;
    (void)table_len;
    (void)row_id;
    return mask_row(ptr, len);
}
