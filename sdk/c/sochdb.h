/*
 * sochdb.h — the C plugin SDK for SochDb.Isolated (plugin ABI, protocol version 1).
 *
 * One header, no libc. It gives a plugin written in C everything the ABI (docs/abi.md) asks of a module:
 *
 *   - the host functions imported from module "sochdb", declared with their exact wasm types;
 *   - the status codes those functions return;
 *   - helpers to unpack the (ptr << 32) | len buffers the host returns, and to pack the ones a plugin returns;
 *   - the soch_alloc / soch_free exports the host calls to place and release buffers, backed by a small
 *     free-list allocator (define SOCH_DEFINE_ALLOCATOR in exactly one .c file before including this header);
 *   - little-endian readers and writers for the scan, vector_search and get_config layouts;
 *   - SOCH_EXPORT(name) to export a function under a fixed name, and wrappers such as soch_log_str.
 *
 * Build (see sdk/c/README.md):
 *
 *   clang --target=wasm32 -nostdlib -O2 -mbulk-memory -std=c11 -Wall -Wextra -Werror \
 *         -I sdk/c -Wl,--no-entry -o plugin.wasm plugin.c
 *
 * Everything here is freestanding: only <stdint.h> and <stddef.h>, which clang ships for every target.
 */
#ifndef SOCHDB_H
#define SOCHDB_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__wasm32__)
#error "sochdb.h targets wasm32: compile with clang --target=wasm32 (see sdk/c/README.md)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------------------------
 * Attributes
 * ---------------------------------------------------------------------------------------------------------------- */

/*
 * SOCH_EXPORT(name): exports a function under `name`, whatever the linker flags. The manifest's [exports] functions
 * must each be exported (docs/abi.md, "Module requirements"), and a bytes/string signature lowers to (i32 ptr, i32 len)
 * parameters and an i64 result, so declare such an export as e.g.
 *
 *   SOCH_EXPORT(mask_row) int64_t mask_row(int32_t ptr, int32_t len);
 */
#define SOCH_EXPORT(name) __attribute__((export_name(#name)))

/* SOCH_IMPORT(name): imports a function from the host module "sochdb" (the only module a plugin may import from). */
#define SOCH_IMPORT(name) __attribute__((import_module("sochdb"), import_name(#name)))

/* Keeps the SDK's own helpers out of the export list even when a plugin links with --export-dynamic. */
#define SOCH_HIDDEN __attribute__((visibility("hidden")))

/* ------------------------------------------------------------------------------------------------------------------
 * Status codes (docs/abi.md, "Host functions"; src/Protocol/HostStatus.cs). Every host function that returns a
 * number returns one of these when it fails; buffer-returning functions return them as a negative i64.
 * ---------------------------------------------------------------------------------------------------------------- */

#define SOCH_OK 0                 /* success */
#define SOCH_DENIED (-1)          /* the manifest does not grant it (or the call does not belong to the call in flight) */
#define SOCH_NOT_FOUND (-2)       /* no such row, config key or host function */
#define SOCH_INVALID_ARGUMENTS (-3) /* a buffer outside guest memory, invalid UTF-8, a negative limit, a bad vector */
#define SOCH_HOST_ERROR (-4)      /* the store failed, or the audit record could not be written (fails closed) */
#define SOCH_LIMIT_EXCEEDED (-5)  /* a per-call budget: host calls, input/output bytes, scanned rows */
#define SOCH_TIMEOUT (-6)         /* the plugin call's deadline passed during the host call */

/* log levels (anything >= 3 is an error) */
#define SOCH_LOG_DEBUG 0
#define SOCH_LOG_INFO 1
#define SOCH_LOG_WARN 2
#define SOCH_LOG_ERROR 3

/* emit_metric kinds */
#define SOCH_METRIC_COUNTER 0
#define SOCH_METRIC_GAUGE 1
#define SOCH_METRIC_HISTOGRAM 2

/* ------------------------------------------------------------------------------------------------------------------
 * Host functions, exactly as src/Protocol/HostAbi.cs declares them. Pointers are i32 offsets into this module's
 * memory; the supervisor checks every call against the manifest's [capabilities] and audits it.
 *
 * A module that imports any of these must export its memory as "memory" (wasm-ld does so by default); one that
 * imports read, scan, vector_search, index_lookup, get_config or call_plugin must also export soch_alloc (SOCH_DEFINE_ALLOCATOR does). Only the
 * imports a plugin actually calls end up in its module, so declaring them all here costs nothing.
 * ---------------------------------------------------------------------------------------------------------------- */

/* log(level, msg_ptr, msg_len): (i32, i32, i32) -> (). Always allowed; cut at 4,096 characters. */
SOCH_IMPORT(log) void soch_host_log(int32_t level, int32_t msg_ptr, int32_t msg_len);

/* read(table_ptr, table_len, row_id): (i32, i32, i64) -> i64. can_read_table. Buffer: the row's bytes. */
SOCH_IMPORT(read) int64_t soch_host_read(int32_t table_ptr, int32_t table_len, int64_t row_id);

/* write(table_ptr, table_len, row_id, data_ptr, data_len): (i32, i32, i64, i32, i32) -> i32. can_write_table. 0. */
SOCH_IMPORT(write) int32_t soch_host_write(int32_t table_ptr, int32_t table_len, int64_t row_id, int32_t data_ptr, int32_t data_len);

/* delete(table_ptr, table_len, row_id): (i32, i32, i64) -> i32. can_write_table. 0, or SOCH_NOT_FOUND. */
SOCH_IMPORT(delete) int32_t soch_host_delete(int32_t table_ptr, int32_t table_len, int64_t row_id);

/* scan(table_ptr, table_len, start_row, limit): (i32, i32, i64, i32) -> i64. can_read_table. Buffer: scan layout. */
SOCH_IMPORT(scan) int64_t soch_host_scan(int32_t table_ptr, int32_t table_len, int64_t start_row, int32_t limit);

/* vector_search(index_ptr, index_len, vector_ptr, dims, top_k): (i32, i32, i32, i32, i32) -> i64.
 * can_vector_search. The query is `dims` little-endian f32s at vector_ptr. Buffer: 12-byte hits, nearest first. */
SOCH_IMPORT(vector_search) int64_t soch_host_vector_search(int32_t index_ptr, int32_t index_len, int32_t vector_ptr, int32_t dims, int32_t top_k);

/* index_lookup(index_ptr, index_len, key_ptr, key_len, limit): (i32, i32, i32, i32, i32) -> i64.
 * can_index_search. Buffer: u32 count, then count little-endian i64 row ids, ascending (exact key match). */
SOCH_IMPORT(index_lookup) int64_t soch_host_index_lookup(int32_t index_ptr, int32_t index_len, int32_t key_ptr, int32_t key_len, int32_t limit);

/* emit_metric(kind, name_ptr, name_len, value): (i32, i32, i32, f64) -> i32. Always allowed. 0. */
SOCH_IMPORT(emit_metric) int32_t soch_host_emit_metric(int32_t kind, int32_t name_ptr, int32_t name_len, double value);

/* get_config(key_ptr, key_len): (i32, i32) -> i64. Always allowed. Buffer: the [config] value (see soch_config_*). */
SOCH_IMPORT(get_config) int64_t soch_host_get_config(int32_t key_ptr, int32_t key_len);

/* call_plugin(plugin_ptr, plugin_len, fn_ptr, fn_len, input_ptr, input_len): (i32, i32, i32, i32, i32, i32) -> i64.
 * can_call_plugin (exact plugin ids). Runs another plugin's bytes -> bytes export in its own worker, within this
 * call's remaining time. Buffer: the callee's output. A call back into a plugin on the call path is SOCH_LIMIT_EXCEEDED;
 * a callee that traps or crashes is SOCH_HOST_ERROR; one that is not loaded is SOCH_NOT_FOUND. */
SOCH_IMPORT(call_plugin) int64_t soch_host_call_plugin(int32_t plugin_ptr, int32_t plugin_len, int32_t fn_ptr, int32_t fn_len, int32_t input_ptr, int32_t input_len);

/* ------------------------------------------------------------------------------------------------------------------
 * Pointers and packed buffers
 *
 * A bytes/string result, in either direction, is an i64 packing (ptr << 32) | len (docs/abi.md, "Value passing").
 * A negative i64 from the host is a status, never a buffer: the host only places buffers below 2 GiB (it rejects an
 * soch_alloc result that is negative as an i32), so the top bit of a real buffer is always clear. 0 is the empty
 * buffer.
 * ---------------------------------------------------------------------------------------------------------------- */

/* The i32 the ABI passes for a pointer into this module's memory (wasm32 pointers are 32-bit offsets). */
static inline int32_t soch_ptr(const void *p) { return (int32_t)(uintptr_t)p; }

/* Whether a buffer-returning host call failed; the value is then one of the SOCH_* status codes. */
static inline int soch_is_status(int64_t result) { return result < 0; }

/* The status of a failed host call as an i32 (only meaningful when soch_is_status(result)). */
static inline int32_t soch_status(int64_t result) { return (int32_t)result; }

/* The buffer's address (NULL for the empty buffer 0). Only meaningful when !soch_is_status(result). */
static inline uint8_t *soch_buf_ptr(int64_t result) { return (uint8_t *)(uintptr_t)(uint32_t)((uint64_t)result >> 32); }

/* The buffer's length in bytes. Only meaningful when !soch_is_status(result). */
static inline uint32_t soch_buf_len(int64_t result) { return (uint32_t)((uint64_t)result & 0xFFFFFFFFu); }

/*
 * Packs a buffer for returning from a bytes/string export. The worker copies it out and then calls soch_free(ptr, len)
 * on it, so return either an argument buffer (modified in place) or memory from soch_malloc — the start of an
 * allocation, never static data or an interior pointer (soch_free ignores those, but then nothing is reclaimed).
 */
static inline int64_t soch_pack(const void *ptr, uint32_t len)
{
    return (int64_t)(((uint64_t)(uint32_t)(uintptr_t)ptr << 32) | (uint64_t)len);
}

/* Length of a NUL-terminated string (there is no libc). */
static inline uint32_t soch_strlen(const char *s)
{
    uint32_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------------------------------------------------------
 * Memory
 *
 * soch_alloc(len: i32) -> i32 is how the host places bytes in this module: every bytes/string argument and every
 * buffer a host function returns. soch_free(ptr: i32, len: i32) is optional in the ABI; the worker calls it after
 * copying a returned buffer out. Both are exported when SOCH_DEFINE_ALLOCATOR is defined in one translation unit.
 *
 * Ownership (docs/abi.md): argument buffers and host results belong to the plugin. The host frees nothing but a
 * buffer the plugin returns, so free with soch_free_ptr / soch_buf_free what you do not return, or long-lived
 * instances (one per worker, kept across calls) grow until the memory limit stops them.
 *
 * The allocator: 8-byte aligned blocks with an 8-byte header (size, tag), a first-fit free list that splits large
 * blocks, and a bump pointer above __heap_base that grows memory a page at a time. Freeing the topmost block lowers the
 * bump pointer. It is small and single-threaded, like a wasm instance.
 * ---------------------------------------------------------------------------------------------------------------- */

/* Allocates n bytes, 8-byte aligned; NULL when memory cannot grow (the manifest's memory_limit_mb). */
SOCH_HIDDEN void *soch_malloc(size_t n);

/* Frees a block from soch_malloc/soch_alloc (or a host result). NULL, foreign and already-freed pointers are ignored. */
SOCH_HIDDEN void soch_free_ptr(void *p);

/* Frees the buffer of a successful buffer-returning host call; statuses and the empty buffer are ignored. */
static inline void soch_buf_free(int64_t result)
{
    if (!soch_is_status(result)) {
        soch_free_ptr(soch_buf_ptr(result));
    }
}

/* The exports the host calls. soch_alloc traps when memory cannot grow: a plugin has no way to report failure there,
 * and near the limit the supervisor reports such a trap as MemoryLimitExceeded. */
SOCH_EXPORT(soch_alloc) int32_t soch_alloc(int32_t len);
SOCH_EXPORT(soch_free) void soch_free(int32_t ptr, int32_t len);

/* memset/memcpy without libc. With -mbulk-memory these become single memory.fill/memory.copy instructions. */
static inline void soch_memset(void *dst, int value, size_t n) { __builtin_memset(dst, value, n); }
static inline void soch_memcpy(void *dst, const void *src, size_t n) { __builtin_memcpy(dst, src, n); }

/* ------------------------------------------------------------------------------------------------------------------
 * Little-endian readers and writers. WebAssembly is little-endian and allows unaligned access, so these are single
 * loads and stores; they exist so layouts read the same on any buffer offset.
 * ---------------------------------------------------------------------------------------------------------------- */

static inline uint32_t soch_read_u32le(const uint8_t *p) { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
static inline uint64_t soch_read_u64le(const uint8_t *p) { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }
static inline int64_t soch_read_i64le(const uint8_t *p) { return (int64_t)soch_read_u64le(p); }
static inline float soch_read_f32le(const uint8_t *p) { float v; __builtin_memcpy(&v, p, 4); return v; }
static inline double soch_read_f64le(const uint8_t *p) { double v; __builtin_memcpy(&v, p, 8); return v; }
static inline void soch_write_u32le(uint8_t *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }
static inline void soch_write_u64le(uint8_t *p, uint64_t v) { __builtin_memcpy(p, &v, 8); }
static inline void soch_write_f32le(uint8_t *p, float v) { __builtin_memcpy(p, &v, 4); }

/* ------------------------------------------------------------------------------------------------------------------
 * scan layout: u32 count, then per row i64 row_id, u32 len, len bytes.
 *
 *   int64_t r = soch_scan("items", 0, 100);
 *   soch_scan_iter it; soch_row row;
 *   if (soch_scan_begin(&it, r) >= 0)
 *       while (soch_scan_next(&it, &row) > 0) { ... row.row_id, row.data, row.len ... }
 *   soch_buf_free(r);
 * ---------------------------------------------------------------------------------------------------------------- */

typedef struct soch_scan_iter {
    const uint8_t *next;   /* the next row's header */
    const uint8_t *end;    /* one past the buffer */
    uint32_t remaining;    /* rows not yet returned */
} soch_scan_iter;

typedef struct soch_row {
    int64_t row_id;
    const uint8_t *data;   /* points into the scan buffer: valid until it is freed */
    uint32_t len;
} soch_row;

/* Starts iterating a scan result. Returns the row count, the status when the scan failed, or SOCH_INVALID_ARGUMENTS
 * when the buffer is too short to hold a count. An empty buffer (0) is zero rows. */
static inline int32_t soch_scan_begin(soch_scan_iter *it, int64_t result)
{
    it->next = it->end = 0;
    it->remaining = 0;
    if (soch_is_status(result)) {
        return soch_status(result);
    }
    uint32_t len = soch_buf_len(result);
    if (len == 0) {
        return 0;
    }
    if (len < 4) {
        return SOCH_INVALID_ARGUMENTS;
    }
    const uint8_t *p = soch_buf_ptr(result);
    it->remaining = soch_read_u32le(p);
    it->next = p + 4;
    it->end = p + len;
    return (int32_t)it->remaining;
}

/* The next row: 1 when `row` was filled, 0 at the end, SOCH_INVALID_ARGUMENTS when the buffer is malformed. */
static inline int32_t soch_scan_next(soch_scan_iter *it, soch_row *row)
{
    if (it->remaining == 0) {
        return 0;
    }
    if ((size_t)(it->end - it->next) < 12) {
        return SOCH_INVALID_ARGUMENTS;
    }
    uint32_t len = soch_read_u32le(it->next + 8);
    if ((size_t)(it->end - it->next) - 12 < len) {
        return SOCH_INVALID_ARGUMENTS;
    }
    row->row_id = soch_read_i64le(it->next);
    row->len = len;
    row->data = it->next + 12;
    it->next += 12 + len;
    it->remaining--;
    return 1;
}

/* ------------------------------------------------------------------------------------------------------------------
 * vector_search layout: 12 bytes per hit, nearest first: u64 row_id, f32 distance (1 - cosine similarity, or
 * Euclidean, as the index was created). The same 12-byte shape is a convenient result format for rankers.
 * ---------------------------------------------------------------------------------------------------------------- */

#define SOCH_HIT_SIZE 12u

typedef struct soch_hit {
    uint64_t row_id;
    float distance;
} soch_hit;

/* The number of hits in a vector_search result (0 for a status or the empty buffer). */
static inline uint32_t soch_hit_count(int64_t result)
{
    return soch_is_status(result) ? 0 : soch_buf_len(result) / SOCH_HIT_SIZE;
}

/* Reads hit i (0 <= i < soch_hit_count(result)). */
static inline soch_hit soch_hit_at(int64_t result, uint32_t i)
{
    const uint8_t *p = soch_buf_ptr(result) + (size_t)i * SOCH_HIT_SIZE;
    soch_hit hit = { soch_read_u64le(p), soch_read_f32le(p + 8) };
    return hit;
}

/* Writes one 12-byte entry (u64 row_id, f32 value) at p. */
static inline void soch_write_hit(uint8_t *p, uint64_t row_id, float value)
{
    soch_write_u64le(p, row_id);
    soch_write_f32le(p + 8, value);
}

/* ------------------------------------------------------------------------------------------------------------------
 * Convenience wrappers: NUL-terminated names, pointers instead of i32 offsets. Each is one host call.
 * ---------------------------------------------------------------------------------------------------------------- */

static inline void soch_log(int32_t level, const void *msg, uint32_t len)
{
    soch_host_log(level, soch_ptr(msg), (int32_t)len);
}

static inline void soch_log_str(int32_t level, const char *msg)
{
    soch_log(level, msg, soch_strlen(msg));
}

static inline int64_t soch_read(const char *table, int64_t row_id)
{
    return soch_host_read(soch_ptr(table), (int32_t)soch_strlen(table), row_id);
}

static inline int32_t soch_write(const char *table, int64_t row_id, const void *data, uint32_t len)
{
    return soch_host_write(soch_ptr(table), (int32_t)soch_strlen(table), row_id, soch_ptr(data), (int32_t)len);
}

static inline int32_t soch_delete(const char *table, int64_t row_id)
{
    return soch_host_delete(soch_ptr(table), (int32_t)soch_strlen(table), row_id);
}

static inline int64_t soch_scan(const char *table, int64_t start_row, int32_t limit)
{
    return soch_host_scan(soch_ptr(table), (int32_t)soch_strlen(table), start_row, limit);
}

static inline int64_t soch_vector_search(const char *index, const float *vector, int32_t dims, int32_t top_k)
{
    return soch_host_vector_search(soch_ptr(index), (int32_t)soch_strlen(index), soch_ptr(vector), dims, top_k);
}

static inline int32_t soch_emit_metric(int32_t kind, const char *name, double value)
{
    return soch_host_emit_metric(kind, soch_ptr(name), (int32_t)soch_strlen(name), value);
}

static inline int64_t soch_get_config(const char *key)
{
    return soch_host_get_config(soch_ptr(key), (int32_t)soch_strlen(key));
}

static inline int64_t soch_call_plugin(const char *plugin, const char *function, const void *input, uint32_t len)
{
    return soch_host_call_plugin(soch_ptr(plugin), (int32_t)soch_strlen(plugin), soch_ptr(function), (int32_t)soch_strlen(function),
                                 soch_ptr(input), (int32_t)len);
}

/*
 * Typed [config] readers. A string comes back as UTF-8, an integer as i64, a float as f64, a boolean as one byte
 * (docs/abi.md, "Layouts"). Each returns SOCH_OK and fills *out, or the status (SOCH_NOT_FOUND for a missing key,
 * SOCH_INVALID_ARGUMENTS when the value has another type's size). The string reader copies into buf (NUL-terminated,
 * at most cap - 1 bytes, longer values are cut) and stores the full length in *len.
 */
static inline int32_t soch_config_f64(const char *key, double *out)
{
    int64_t r = soch_get_config(key);
    if (soch_is_status(r)) {
        return soch_status(r);
    }
    int32_t status = soch_buf_len(r) == 8 ? SOCH_OK : SOCH_INVALID_ARGUMENTS;
    if (status == SOCH_OK) {
        *out = soch_read_f64le(soch_buf_ptr(r));
    }
    soch_buf_free(r);
    return status;
}

static inline int32_t soch_config_i64(const char *key, int64_t *out)
{
    int64_t r = soch_get_config(key);
    if (soch_is_status(r)) {
        return soch_status(r);
    }
    int32_t status = soch_buf_len(r) == 8 ? SOCH_OK : SOCH_INVALID_ARGUMENTS;
    if (status == SOCH_OK) {
        *out = soch_read_i64le(soch_buf_ptr(r));
    }
    soch_buf_free(r);
    return status;
}

static inline int32_t soch_config_str(const char *key, char *buf, uint32_t cap, uint32_t *len)
{
    int64_t r = soch_get_config(key);
    if (soch_is_status(r)) {
        return soch_status(r);
    }
    uint32_t n = soch_buf_len(r);
    uint32_t copy = cap == 0 ? 0 : (n < cap - 1 ? n : cap - 1);
    if (copy > 0) {
        soch_memcpy(buf, soch_buf_ptr(r), copy);
    }
    if (cap > 0) {
        buf[copy] = '\0';
    }
    if (len) {
        *len = n;
    }
    soch_buf_free(r);
    return SOCH_OK;
}

/* ------------------------------------------------------------------------------------------------------------------
 * The allocator's definitions: in exactly one translation unit, #define SOCH_DEFINE_ALLOCATOR before the #include.
 * ---------------------------------------------------------------------------------------------------------------- */

#ifdef SOCH_DEFINE_ALLOCATOR

/* Set by wasm-ld: the first byte above the data segments and the stack. */
extern unsigned char __heap_base;

#define SOCH__PAGE 65536u
#define SOCH__USED 0x50C4A11Cu   /* header tag of a live block */
#define SOCH__FREE 0xF4EEB10Cu   /* header tag of a block on the free list */
#define SOCH__SPLIT_MIN 64u      /* split a free block only when this much would be left over */

typedef struct soch__header {
    uint32_t size;  /* payload bytes, a multiple of 8 */
    uint32_t tag;   /* SOCH__USED or SOCH__FREE */
} soch__header;     /* 8 bytes: payloads stay 8-byte aligned */

static uintptr_t soch__top;         /* the bump pointer: the end of the highest block (0 until first use) */
static soch__header *soch__free_list; /* free blocks; the payload's first word links to the next */

static soch__header **soch__next_of(soch__header *h) { return (soch__header **)(void *)(h + 1); }

/* Ensures [0, end) is inside memory, growing it page by page. 0 when the store refuses (memory_limit_mb). */
static int soch__ensure(uint64_t end)
{
    uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * SOCH__PAGE;
    if (end <= have) {
        return 1;
    }
    uint64_t pages = (end - have + SOCH__PAGE - 1) / SOCH__PAGE;
    return __builtin_wasm_memory_grow(0, (size_t)pages) != (size_t)-1;
}

SOCH_HIDDEN void *soch_malloc(size_t n)
{
    if (n > 0x7FFFFF00u) {
        return 0;
    }
    uint32_t need = ((uint32_t)n + 7u) & ~7u;
    if (need < 8) {
        need = 8; /* room for the free-list link */
    }

    /* First fit from the free list. */
    for (soch__header **link = &soch__free_list; *link; link = soch__next_of(*link)) {
        soch__header *h = *link;
        if (h->size < need) {
            continue;
        }
        *link = *soch__next_of(h);
        if (h->size - need >= SOCH__SPLIT_MIN) {
            soch__header *rest = (soch__header *)((uint8_t *)(h + 1) + need);
            rest->size = h->size - need - (uint32_t)sizeof(soch__header);
            rest->tag = SOCH__FREE;
            *soch__next_of(rest) = soch__free_list;
            soch__free_list = rest;
            h->size = need;
        }
        h->tag = SOCH__USED;
        return h + 1;
    }

    /* Otherwise from the top of the heap. */
    if (soch__top == 0) {
        soch__top = ((uintptr_t)&__heap_base + 7u) & ~(uintptr_t)7u;
    }
    uint64_t end = (uint64_t)soch__top + sizeof(soch__header) + need;
    if (end > 0x80000000u || !soch__ensure(end)) {
        return 0; /* stay below 2 GiB: the ABI's packed buffers need the top bit clear */
    }
    soch__header *h = (soch__header *)soch__top;
    h->size = need;
    h->tag = SOCH__USED;
    soch__top = (uintptr_t)end;
    return h + 1;
}

SOCH_HIDDEN void soch_free_ptr(void *p)
{
    uintptr_t a = (uintptr_t)p;
    if (a == 0 || (a & 7u) != 0 || a < (uintptr_t)&__heap_base + sizeof(soch__header) || a > soch__top) {
        return; /* not from this allocator */
    }
    soch__header *h = (soch__header *)p - 1;
    if (h->tag != SOCH__USED) {
        return; /* already free, or an interior pointer */
    }
    if ((uintptr_t)p + h->size == soch__top) {
        h->tag = 0;
        soch__top = (uintptr_t)h; /* the topmost block: give it back to the bump pointer */
        return;
    }
    h->tag = SOCH__FREE;
    *soch__next_of(h) = soch__free_list;
    soch__free_list = h;
}

int32_t soch_alloc(int32_t len)
{
    void *p = len < 0 ? 0 : soch_malloc((size_t)len);
    if (!p) {
        __builtin_trap();
    }
    return soch_ptr(p);
}

void soch_free(int32_t ptr, int32_t len)
{
    (void)len; /* the header knows the size */
    soch_free_ptr((void *)(uintptr_t)(uint32_t)ptr);
}

#endif /* SOCH_DEFINE_ALLOCATOR */

#ifdef __cplusplus
}
#endif

#endif /* SOCHDB_H */
