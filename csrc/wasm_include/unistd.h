/* wasm_include/unistd.h: sysconf for dispatch.c in the threaded wasm build; it answers the thread count the JS glue chose. */
#ifndef DN_WASM_UNISTD_H
#define DN_WASM_UNISTD_H
#define _SC_NPROCESSORS_ONLN 84
long sysconf(int name);
#endif
