#ifndef SIPMETER_CPCAP_SHIM_H
#define SIPMETER_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
