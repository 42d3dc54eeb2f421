#ifndef CNIGHTJAR_SHIMS_H
#define CNIGHTJAR_SHIMS_H

#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// A hint to load the cache line holding `p` for reading (x86 `prefetcht0`). Never faults, whatever
/// the address. Swift has no prefetch of its own; this inlines into the Swift caller.
static inline __attribute__((always_inline)) void nightjar_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

/// Where the separators, line feeds and the bytes that need the general CSV reader (a quote or a
/// carriage return) are among the 64 bytes at `p`: bit i of each mask is byte i. All 64 bytes must
/// be readable. SSE2 compares and byte masks (Swift has no `movemask`); a portable loop elsewhere.
typedef struct {
    uint64_t separators;  // ',' or '\n'
    uint64_t newlines;    // '\n'
    uint64_t specials;    // '"' or '\r'
} nightjar_csv_masks;

static inline __attribute__((always_inline)) nightjar_csv_masks nightjar_csv_scan64(const uint8_t *p) {
    nightjar_csv_masks m = {0, 0, 0};
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n');
    const __m128i quote = _mm_set1_epi8('"'), cr = _mm_set1_epi8('\r');
    for (int k = 0; k < 4; k++) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        const __m128i isLf = _mm_cmpeq_epi8(v, lf);
        const uint64_t sep = (uint16_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, comma), isLf));
        const uint64_t nl = (uint16_t)_mm_movemask_epi8(isLf);
        const uint64_t sp = (uint16_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, cr)));
        m.separators |= sep << (16 * k);
        m.newlines |= nl << (16 * k);
        m.specials |= sp << (16 * k);
    }
#else
    for (int i = 0; i < 64; i++) {
        const uint64_t bit = (uint64_t)1 << i;
        const uint8_t c = p[i];
        if (c == ',' || c == '\n') m.separators |= bit;
        if (c == '\n') m.newlines |= bit;
        if (c == '"' || c == '\r') m.specials |= bit;
    }
#endif
    return m;
}

/// The CPU level NightjarCore's kernels were compiled for ("haswell", "skylake-avx512" or
/// "portable"; NIGHTJAR_TARGET_CPU in Package.swift).
const char *nightjar_target_cpu(void);

#endif
