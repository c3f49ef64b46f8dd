/*
 * wasm_include/stdlib.h: the two libc functions dispatch.c calls, for the threaded wasm build only (freestanding,
 * no libc). getenv always misses (the JS glue sets the thread count through sysconf's shim instead).
 */
#ifndef DN_WASM_STDLIB_H
#define DN_WASM_STDLIB_H
char *getenv(const char *name);
long strtol(const char *s, char **end, int base);
#endif
