#ifndef NIGHTJAR_CLZ4_SHIM_H
#define NIGHTJAR_CLZ4_SHIM_H
#include <lz4.h>
#include <lz4frame.h>

// LZ4F_VERSION is a macro; exposed as a function for Swift.
static inline unsigned nightjar_lz4f_version(void) { return LZ4F_VERSION; }
#endif
