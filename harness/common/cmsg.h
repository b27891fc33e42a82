// Ancillary data (control messages) a recvmsg returns, decoded into the
// terms cases use (issue 16: packetdrill's msg_control; YAML `cmsgs:`).
//
// Kinds:
//   recverr       IP_RECVERR at SOL_IP or IPV6_RECVERR at SOL_IPV6 (the
//                 socket's family): struct sock_extended_err, fields
//                 ee_errno, ee_origin, ee_type, ee_code, ee_info, ee_data
//   timestamping  SCM_TIMESTAMPING at SOL_SOCKET: struct scm_timestamping;
//                 fields sec, nsec (the software stamp, ts[0])
//   inq           TCP_CM_INQ at SOL_TCP: an int, field value
// Any other control message has the kind "level L type T" and no fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline {

// One control message as a kind and named integer fields. As an
// expectation, only the fields it lists are compared.
struct CmsgFields {
  std::string kind;
  std::vector<std::pair<std::string, int64_t>> fields;
  const int64_t* Field(std::string_view name) const;
  std::string ToString() const;  // "recverr {ee_errno=0, ee_origin=5}", "inq {value=9000}"
};

// One control message as the kernel wrote it.
struct RawCmsg {
  int level = 0;
  int type = 0;
  std::vector<uint8_t> data;
};

// The control messages of a msg_control buffer of `len` bytes (the
// msg_controllen recvmsg left), in order. A truncated last header is
// dropped.
std::vector<RawCmsg> ParseControl(const void* control, size_t len);

// A message in the terms above; a payload shorter than its struct keeps
// the kind with no fields.
CmsgFields DecodeCmsg(const RawCmsg& c);

// The kinds an expectation may name, and the fields each may list.
const std::vector<std::string>& CmsgKinds();
const std::vector<std::string>& CmsgKindFields(std::string_view kind);

// Whether `got` meets the expectation `want`: the same kind, every field
// `want` lists equal; `timestamping` needs a software stamp (not zero),
// its time is not compared.
bool CmsgHolds(const CmsgFields& want, const CmsgFields& got);

// The value of a constant a field may be written as: SO_EE_ORIGIN_*,
// SO_EE_CODE_ZEROCOPY_COPIED, SCM_TSTAMP_*, an errno name (ENOMSG).
std::optional<int64_t> CmsgConstant(std::string_view name);

// SO_TIMESTAMPING's flag bits by name (SOF_TIMESTAMPING_TX_SOFTWARE,
// SOF_TIMESTAMPING_OPT_ID, ...); nullopt for any other name.
std::optional<int64_t> TimestampingFlag(std::string_view name);
const std::vector<std::string>& TimestampingFlagNames();

}  // namespace faultline
