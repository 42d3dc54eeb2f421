#ifndef NIGHTJAR_CLIBPQ_SHIM_H
#define NIGHTJAR_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
