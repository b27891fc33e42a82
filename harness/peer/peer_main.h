// The peer process's entry point: serves Requests on `control_fd` until EOF,
// then exits the process. Requests run on a pool of worker threads that
// grows so that one is always waiting for the next request: a blocking call
// (accept, recv, connect) does not hold up the next request (peer_main.cc).
#pragma once

namespace faultline::peer {

int PeerMain(int control_fd);

}  // namespace faultline::peer
