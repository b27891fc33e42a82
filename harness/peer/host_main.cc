// A bare peer process for the peer module's tests: serves the control socket
// on fd 3, exactly as `faultline __peer` does.
#include "harness/peer/peer_main.h"

int main() { return faultline::peer::PeerMain(3); }
