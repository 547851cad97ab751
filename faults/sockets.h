#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/socket.h"
#include "base/status.h"

namespace faultline::faults {

// Blocking socket helpers with a deadline for the fault injectors' tests and tools. The shared
// ones (Fd, ParseAddress, ListenTcp, ConnectTcp, AcceptOne, WaitFor, ...) are in base/socket.h
// and visible here unqualified. Stateless and thread-safe.

// Connects within the deadline and returns a BLOCKING socket with TCP_NODELAY. Uses `socket`
// (from NewTcpSocket, say in another network namespace) when it is valid.
Result<Fd> ConnectBlocking(const std::string& address, Deadline deadline, Fd socket = Fd());

// WriteAll: Timeout when the deadline passes first, IoError on a socket error.
Status WriteAll(int fd, std::string_view data, Deadline deadline);
// Reads exactly `n` bytes into `out` (appending). Unavailable on EOF before `n` bytes.
Status ReadExactly(int fd, size_t n, std::string* out, Deadline deadline);
// Reads until EOF. IoError on a reset; Timeout at the deadline (what was read is kept).
Status ReadToEof(int fd, std::string* out, Deadline deadline);

}  // namespace faultline::faults
