// elfutils: libelf opens the ELF, libdw reads its DWARF (lines, scopes, CFI, locations).
#include <libelf.h>
#include <gelf.h>
#include <elfutils/libdw.h>
#include <dwarf.h>
