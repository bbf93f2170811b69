#ifndef SIPMETER_CMIMALLOC_SHIM_H
#define SIPMETER_CMIMALLOC_SHIM_H
#include <mimalloc.h>
#endif
