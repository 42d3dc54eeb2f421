// The shims are static inline functions in include/CNightjarShims.h; SwiftPM wants a source file.
#include "CNightjarShims.h"
