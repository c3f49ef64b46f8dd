/* wasm_include/string.h: strcmp and strcat for dispatch.c in the threaded wasm build (wasm_threadpool.c defines them). */
#ifndef DN_WASM_STRING_H
#define DN_WASM_STRING_H
int strcmp(const char *a, const char *b);
char *strcat(char *dst, const char *src);
#endif
