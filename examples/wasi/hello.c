/* The README's WASI example: greets its arguments, counts them in its exit code.
 *
 *   wazaot run examples/wasi/hello.wasm -- a b
 */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("hello from %s\n", argv[0]);
    for (int i = 1; i < argc; i++)
        printf("  arg %d: %s\n", i, argv[i]);
    return 0;
}
