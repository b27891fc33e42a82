#include "harness/observe/tcp_info_fields.h"

#include <linux/tcp.h>

#include <cstring>
#include <map>

#include <gtest/gtest.h>

namespace faultline {
namespace {

std::map<std::string, uint64_t> AsMap(const std::vector<TcpInfoValue>& v) {
  std::map<std::string, uint64_t> m;
  for (const TcpInfoValue& x : v) m[x.name] = x.value;
  return m;
}

TEST(TcpInfoFields, ReadsEveryFieldTheKernelReturnedBitFieldsIncluded) {
  tcp_info i{};
  i.tcpi_state = 8;
  i.tcpi_ca_state = 3;
  i.tcpi_options = 32 | 2;
  i.tcpi_snd_wscale = 7;
  i.tcpi_rcv_wscale = 9;
  i.tcpi_delivery_rate_app_limited = 1;
  i.tcpi_fastopen_client_fail = 2;
  i.tcpi_snd_mss = 1448;
  i.tcpi_advmss = 1100;
  i.tcpi_pacing_rate = 1ULL << 40;
  i.tcpi_delivered = 11;
  std::string raw(reinterpret_cast<const char*>(&i), sizeof i);
  std::map<std::string, uint64_t> m = AsMap(TcpInfoFields(raw));
  EXPECT_EQ(m["tcpi_state"], 8u);
  EXPECT_EQ(m["tcpi_ca_state"], 3u);
  EXPECT_EQ(m["tcpi_options"], 34u);
  EXPECT_EQ(m["tcpi_snd_wscale"], 7u);
  EXPECT_EQ(m["tcpi_rcv_wscale"], 9u);
  EXPECT_EQ(m["tcpi_delivery_rate_app_limited"], 1u);
  EXPECT_EQ(m["tcpi_fastopen_client_fail"], 2u);
  EXPECT_EQ(m["tcpi_snd_mss"], 1448u);
  EXPECT_EQ(m["tcpi_advmss"], 1100u);
  EXPECT_EQ(m["tcpi_pacing_rate"], 1ULL << 40);
  EXPECT_EQ(m["tcpi_delivered"], 11u);

  // An older kernel's shorter struct: the fields past its end are absent.
  std::vector<TcpInfoValue> old = TcpInfoFields(raw.substr(0, 104));
  EXPECT_EQ(old.back().name, "tcpi_total_retrans");
  EXPECT_EQ(AsMap(old).count("tcpi_delivered"), 0u);
  // A newer kernel's longer one: the known fields, the rest ignored.
  EXPECT_EQ(TcpInfoFields(std::string(400, '\0')).size(), TcpInfoFieldNames().size());
  EXPECT_TRUE(TcpInfoFields("").empty());
}

}  // namespace
}  // namespace faultline
