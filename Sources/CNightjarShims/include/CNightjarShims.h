#ifndef CNIGHTJAR_SHIMS_H
#define CNIGHTJAR_SHIMS_H

/// A hint to load the cache line holding `p` for reading (x86 `prefetcht0`). Never faults, whatever
/// the address. Swift has no prefetch of its own; this inlines into the Swift caller.
static inline __attribute__((always_inline)) void nightjar_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif
