#ifndef SIPMETER_CCAIRO_SHIM_H
#define SIPMETER_CCAIRO_SHIM_H
#include <cairo.h>
#include <cairo-pdf.h>
#endif
