#ifndef SIPMETER_COSIP_SHIM_H
#define SIPMETER_COSIP_SHIM_H
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/osip_md5.h>
#endif
