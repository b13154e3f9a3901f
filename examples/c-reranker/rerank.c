/*
 * c-reranker: a second-stage ranker over the vector index.
 *
 *   rerank(bytes query, i32 top_k) -> bytes
 *
 * `query` is the query vector as little-endian f32s. The plugin asks vector_search on index "docs" for a wider set of
 * candidates than it will return (4 * top_k, at most 64), reads each candidate's row from table "docs", and scores it:
 *
 *   score = (1 - distance)                          cosine similarity, for a cosine index
 *         + boost      when the row contains the keyword
 *
 * The keyword and boost come from the manifest's [config] (boost_keyword, boost). Rows that cannot be read (deleted
 * since they were indexed, say) are dropped. The result is the best top_k, best first, as 12-byte entries:
 * u64 row_id, f32 score — the vector_search layout, with a score where the distance was.
 *
 * Host calls: get_config x2, vector_search x1, read x (candidates). All are granted by the manifest, and all audited.
 */
#define SOCH_DEFINE_ALLOCATOR
#include "sochdb.h"

#define MAX_CANDIDATES 64
#define MAX_KEYWORD 64

typedef struct candidate {
    uint64_t row_id;
    float score;
} candidate;

/* Whether needle[0, n) occurs in hay[0, len). An empty needle never matches (no boost without a keyword). */
static int contains(const uint8_t *hay, uint32_t len, const char *needle, uint32_t n)
{
    if (n == 0 || n > len) {
        return 0;
    }
    for (uint32_t i = 0; i + n <= len; i++) {
        uint32_t j = 0;
        while (j < n && hay[i + j] == (uint8_t)needle[j]) {
            j++;
        }
        if (j == n) {
            return 1;
        }
    }
    return 0;
}

/* Sorts by score, best first. Insertion sort is stable, so equal scores keep the index's nearest-first order. */
static void sort_by_score(candidate *c, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        candidate x = c[i];
        uint32_t j = i;
        while (j > 0 && c[j - 1].score < x.score) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = x;
    }
}

SOCH_EXPORT(rerank) int64_t rerank(int32_t query_ptr, int32_t query_len, int32_t top_k)
{
    /* The query buffer came from soch_alloc; the host does not free arguments, so this call does. */
    float *query = (float *)(uintptr_t)(uint32_t)query_ptr;
    uint32_t dims = (uint32_t)query_len / 4;
    int64_t result = 0;

    if (query_len <= 0 || query_len % 4 != 0 || top_k <= 0) {
        soch_log_str(SOCH_LOG_WARN, "rerank: the query must be a non-empty f32 vector and top_k positive");
        soch_free_ptr(query);
        return 0; /* the empty buffer */
    }

    char keyword[MAX_KEYWORD];
    uint32_t keyword_len = 0;
    if (soch_config_str("boost_keyword", keyword, sizeof keyword, &keyword_len) != SOCH_OK || keyword_len >= sizeof keyword) {
        keyword_len = 0; /* no keyword (or one too long to hold): plain vector order */
    }
    double boost = 0.0;
    if (soch_config_f64("boost", &boost) != SOCH_OK) {
        boost = 0.0;
    }

    int32_t wanted = top_k > MAX_CANDIDATES / 4 ? MAX_CANDIDATES : top_k * 4;
    int64_t hits = soch_vector_search("docs", query, (int32_t)dims, wanted);
    soch_free_ptr(query);
    if (soch_is_status(hits)) {
        soch_log_str(SOCH_LOG_ERROR, "rerank: vector_search on index 'docs' failed");
        return 0;
    }

    uint32_t count = soch_hit_count(hits);
    candidate *candidates = count == 0 ? 0 : (candidate *)soch_malloc(count * sizeof(candidate));
    uint32_t kept = 0;
    for (uint32_t i = 0; candidates && i < count; i++) {
        soch_hit hit = soch_hit_at(hits, i);
        int64_t row = soch_read("docs", (int64_t)hit.row_id);
        if (soch_is_status(row)) {
            continue; /* gone, or not readable: not a result */
        }
        float score = 1.0f - hit.distance;
        if (contains(soch_buf_ptr(row), soch_buf_len(row), keyword, keyword_len)) {
            score += (float)boost;
        }
        soch_buf_free(row);
        candidates[kept].row_id = hit.row_id;
        candidates[kept].score = score;
        kept++;
    }
    soch_buf_free(hits);

    sort_by_score(candidates, kept);
    uint32_t n = kept < (uint32_t)top_k ? kept : (uint32_t)top_k;
    uint8_t *out = n == 0 ? 0 : (uint8_t *)soch_malloc(n * SOCH_HIT_SIZE);
    if (out) {
        for (uint32_t i = 0; i < n; i++) {
            soch_write_hit(out + i * SOCH_HIT_SIZE, candidates[i].row_id, candidates[i].score);
        }
        result = soch_pack(out, n * SOCH_HIT_SIZE); /* the host copies it out, then soch_free releases it */
    }
    soch_free_ptr(candidates);
    soch_emit_metric(SOCH_METRIC_HISTOGRAM, "rerank_candidates", (double)kept);
    return result;
}
