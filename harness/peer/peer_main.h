// The peer process's entry point: serves Requests on `control_fd` until EOF.
// Each request runs on its own thread so that a blocking call (accept, recv,
// connect) does not hold up the next request. Returns the process exit code.
#pragma once

namespace faultline::peer {

int PeerMain(int control_fd);

}  // namespace faultline::peer
