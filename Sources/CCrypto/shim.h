#ifndef NIGHTJAR_CCRYPTO_SHIM_H
#define NIGHTJAR_CCRYPTO_SHIM_H
// OpenSSL's libcrypto, for SHA-256 only (model and bundle hashes). It is already on every machine
// that builds Nightjar, as a dependency of libpq-dev; swift-crypto compiled BoringSSL for this one
// function, most of a clean release build.
#include <openssl/sha.h>
#endif
