#ifndef SIGPORT_CFUZZERDRIVER_H
#define SIGPORT_CFUZZERDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (libclang_rt.fuzzer, linked by -sanitize=fuzzer): parses the fuzzer's
/// options from argv and runs `callback` on each input. The harnesses call it from their own
/// main because SwiftPM links an executable target's main under its own name
/// (`--defsym main=<Target>_main`), which keeps libFuzzer's main out.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
