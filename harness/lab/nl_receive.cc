#include "harness/lab/nl_receive.h"

#include <libmnl/libmnl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace faultline {

std::string NlExtAckMessage(const nlmsghdr* nlh) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  size_t offset = sizeof(nlmsgerr);
  // Without NLM_F_CAPPED the kernel echoes the whole request before the TLVs.
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  const size_t payload = mnl_nlmsg_get_payload_len(nlh);
  if (offset >= payload) return "";
  std::string text;
  mnl_attr_parse_payload(
      static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + offset, payload - offset,
      [](const nlattr* a, void* data) -> int {
        if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
            mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0) {
          *static_cast<std::string*>(data) = mnl_attr_get_str(a);
        }
        return MNL_CB_OK;
      },
      &text);
  return text;
}

int NlErrorCode(const nlmsghdr* nlh) {
  return -static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh))->error;
}

Status NlReceiveUntil(int fd, std::vector<char>& buf, int64_t deadline_ns, const Clock& clock,
                      const NlReceiver& r, bool* overrun) {
  while (!r.done()) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel dropped messages for this socket
        *overrun = true;
        continue;
      }
      if (errno != EAGAIN) return Status::FromErrno("netlink receive", errno);
      if (r.idle) FL_RETURN_IF_ERROR(r.idle());
      if (r.done()) break;
      const int64_t left_ms = (deadline_ns - clock.NowNs() + 999'999) / 1'000'000;
      pollfd pfd{fd, POLLIN, 0};
      const int pr = left_ms > 0 ? ::poll(&pfd, 1, static_cast<int>(left_ms)) : 0;
      if (pr < 0 && errno != EINTR) return Status::FromErrno("netlink poll", errno);
      if (pr == 0) return Status::Timeout("no answer");
      continue;
    }
    int len = static_cast<int>(n);
    for (const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      r.message(nlh);
    }
  }
  return Status::Ok();
}

}  // namespace faultline
