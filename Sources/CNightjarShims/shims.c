// Most shims are static inline functions in include/CNightjarShims.h. This file holds the CPU
// check: NightjarCore's kernels are compiled for a CPU level (NIGHTJAR_TARGET_CPU in Package.swift;
// the default needs AVX2 and FMA), and a binary started on a CPU without it would die of an
// illegal instruction somewhere in a run. This constructor runs before main, in code compiled for
// the baseline, and stops the process with one line instead.
#include "CNightjarShims.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef NIGHTJAR_TARGET_CPU
#define NIGHTJAR_TARGET_CPU "portable"
#endif

const char *nightjar_target_cpu(void) { return NIGHTJAR_TARGET_CPU; }

#if defined(__x86_64__) && defined(NIGHTJAR_NEEDS_AVX2)
__attribute__((constructor)) static void nightjar_check_cpu(void) {
    __builtin_cpu_init();
    const char *missing = NULL;
    if (!__builtin_cpu_supports("avx2")) missing = "AVX2";
    else if (!__builtin_cpu_supports("fma")) missing = "FMA";
    else if (!__builtin_cpu_supports("bmi2")) missing = "BMI2";
#if defined(NIGHTJAR_NEEDS_AVX512)
    else if (!__builtin_cpu_supports("avx512f")) missing = "AVX-512F";
    else if (!__builtin_cpu_supports("avx512bw")) missing = "AVX-512BW";
    else if (!__builtin_cpu_supports("avx512dq")) missing = "AVX-512DQ";
    else if (!__builtin_cpu_supports("avx512vl")) missing = "AVX-512VL";
#endif
    if (missing != NULL) {
        fprintf(stderr,
                "error: this nightjar was built for %s CPUs and this CPU has no %s; rebuild it on this "
                "machine with NIGHTJAR_TARGET_CPU=native (or =portable for any x86-64 CPU)\n",
                NIGHTJAR_TARGET_CPU, missing);
        _exit(70);
    }
}
#endif
