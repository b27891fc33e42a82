// The peer program (`faultline-peer`, and `faultline_peer_host` for the peer
// module's tests): serves the control socket on fd 3, exactly as
// `faultline __peer` does. Its arguments (`__peer --control-fd 3 --name
// NAME`, peer_client.h) are only there for `ps`.
#include "harness/peer/peer_main.h"

int main() { return faultline::peer::PeerMain(3); }
