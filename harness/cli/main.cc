// Placeholder until the CLI lands in this change.
#include <cstring>

#include "harness/peer/peer_main.h"

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "__peer") == 0) return faultline::peer::PeerMain(3);
  return 2;
}
