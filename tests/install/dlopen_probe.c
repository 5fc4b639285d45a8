/* install_test.sh's probe: dlopen()s each library named on the command line and prints where
 * it came from, or that it was not found. Exit status: how many were found. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>

int main(int argc, char** argv) {
  int found = 0;
  for (int i = 1; i < argc; ++i) {
    void* h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
    struct link_map* map = NULL;
    if (h != NULL && dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map != NULL) {
      printf("  %s: loaded from %s\n", argv[i], map->l_name);
      ++found;
    } else {
      printf("  %s: not found\n", argv[i]);
    }
  }
  return found;
}
