#include "harness/peer/protocol.h"

#include <sys/socket.h>

#include <cstdint>
#include <limits>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace faultline::peer {
namespace {

using json = nlohmann::json;

std::vector<uint8_t> AllBytes() {
  std::vector<uint8_t> v;
  for (int i = 0; i < 256; ++i) v.push_back(static_cast<uint8_t>(i));
  v.push_back(0);
  v.push_back(0);
  return v;
}

Request FullRequest() {
  Request r;
  r.id = std::numeric_limits<uint64_t>::max();
  r.op = Op::kSendto;
  r.fd = "c";
  r.as = "name\0with nul";
  r.family = AF_INET6;
  r.udp = true;
  r.nonblock = true;
  r.addr = "2001:2:0:2::2";
  r.port = 65535;
  r.backlog = -1;
  r.data = AllBytes();
  r.size = std::numeric_limits<int64_t>::max();
  r.flags = MSG_DONTWAIT | MSG_MORE;
  r.until = std::string("\r\n\0", 3);
  r.how = SHUT_RDWR;
  r.level = 6;
  r.optname = 13;
  r.opt_value = std::numeric_limits<int64_t>::min();
  r.linger_on = true;
  r.opt_text = "reno";
  r.events = 0x2001;
  r.timeout_ns = -1;
  r.argv = {"curl", "-s", "http://[2001:2:0:2::2]:8080/", ""};
  r.env = {"PATH=/usr/bin", "X="};
  r.cwd = "/tmp/w";
  r.has_stdin = true;
  r.background = true;
  r.ready_stream = 2;
  r.ready_test = 1;
  r.ready_text = "listening on 9000";
  r.iov = {1, 0, int64_t{1} << 40};
  r.fcntl_cmd = 4;
  r.ioctl_request = 0x541B;
  r.epoll_op = 3;
  r.target = "s";
  r.epoll_events = 0x80000001u;
  r.epoll_max = 64;
  r.control = true;
  r.fd_closed = true;
  return r;
}

Reply FullReply() {
  Reply r;
  r.id = 42;
  r.ret = -1;
  r.err = 111;
  r.bytes = int64_t{1} << 40;
  r.data = AllBytes();
  r.start_ns = 1'000'000'000'123;
  r.end_ns = 1'000'000'000'456;
  r.run_delay_ns = 789;
  r.value = -1;
  r.revents = 0x11;
  r.local_addr = "198.18.1.2";
  r.local_port = 40000;
  r.remote_addr = "198.18.2.2";
  r.remote_port = 8080;
  r.harness_error = "no socket named 'c' on this host";
  r.pid = 4242;
  r.exited = true;
  r.exit_code = 28;
  r.term_signal = 9;
  r.stopped = true;
  r.out = AllBytes();
  r.err_out = {'e', 0, 'r'};
  r.out_bytes = int64_t{1} << 33;
  r.err_bytes = 3;
  r.ready = true;
  r.ready_line = "ready\r";
  r.msg_flags = 0x20;
  r.control = {20, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 36, 0, 0, 0, 9, 0, 0, 0};
  r.epoll_fds = {"s", "ls"};
  r.epoll_events = {0x80000001u, 4};
  return r;
}

void ExpectSame(const Request& a, const Request& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.op, b.op);
  EXPECT_EQ(a.fd, b.fd);
  EXPECT_EQ(a.as, b.as);
  EXPECT_EQ(a.family, b.family);
  EXPECT_EQ(a.udp, b.udp);
  EXPECT_EQ(a.nonblock, b.nonblock);
  EXPECT_EQ(a.addr, b.addr);
  EXPECT_EQ(a.port, b.port);
  EXPECT_EQ(a.backlog, b.backlog);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.until, b.until);
  EXPECT_EQ(a.how, b.how);
  EXPECT_EQ(a.level, b.level);
  EXPECT_EQ(a.optname, b.optname);
  EXPECT_EQ(a.opt_value, b.opt_value);
  EXPECT_EQ(a.linger_on, b.linger_on);
  EXPECT_EQ(a.opt_text, b.opt_text);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.timeout_ns, b.timeout_ns);
  EXPECT_EQ(a.argv, b.argv);
  EXPECT_EQ(a.env, b.env);
  EXPECT_EQ(a.cwd, b.cwd);
  EXPECT_EQ(a.has_stdin, b.has_stdin);
  EXPECT_EQ(a.background, b.background);
  EXPECT_EQ(a.ready_stream, b.ready_stream);
  EXPECT_EQ(a.ready_test, b.ready_test);
  EXPECT_EQ(a.ready_text, b.ready_text);
  EXPECT_EQ(a.iov, b.iov);
  EXPECT_EQ(a.fcntl_cmd, b.fcntl_cmd);
  EXPECT_EQ(a.ioctl_request, b.ioctl_request);
  EXPECT_EQ(a.epoll_op, b.epoll_op);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.epoll_events, b.epoll_events);
  EXPECT_EQ(a.epoll_max, b.epoll_max);
  EXPECT_EQ(a.control, b.control);
  EXPECT_EQ(a.fd_closed, b.fd_closed);
  EXPECT_EQ(a.go_on, b.go_on);
  EXPECT_EQ(a.go_on_ret, b.go_on_ret);
  EXPECT_EQ(a.go_on_errnos, b.go_on_errnos);
  ASSERT_EQ(a.batch.size(), b.batch.size());
  for (size_t i = 0; i < a.batch.size(); ++i) ExpectSame(a.batch[i], b.batch[i]);
}

void ExpectSame(const Reply& a, const Reply& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.ret, b.ret);
  EXPECT_EQ(a.err, b.err);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.start_ns, b.start_ns);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.run_delay_ns, b.run_delay_ns);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.revents, b.revents);
  EXPECT_EQ(a.local_addr, b.local_addr);
  EXPECT_EQ(a.local_port, b.local_port);
  EXPECT_EQ(a.remote_addr, b.remote_addr);
  EXPECT_EQ(a.remote_port, b.remote_port);
  EXPECT_EQ(a.harness_error, b.harness_error);
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.exited, b.exited);
  EXPECT_EQ(a.exit_code, b.exit_code);
  EXPECT_EQ(a.term_signal, b.term_signal);
  EXPECT_EQ(a.stopped, b.stopped);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.err_out, b.err_out);
  EXPECT_EQ(a.out_bytes, b.out_bytes);
  EXPECT_EQ(a.err_bytes, b.err_bytes);
  EXPECT_EQ(a.ready, b.ready);
  EXPECT_EQ(a.ready_line, b.ready_line);
  EXPECT_EQ(a.msg_flags, b.msg_flags);
  EXPECT_EQ(a.control, b.control);
  EXPECT_EQ(a.epoll_fds, b.epoll_fds);
  EXPECT_EQ(a.epoll_events, b.epoll_events);
}

StatusOr<Request> Decode(const std::vector<uint8_t>& v) {
  return DecodeRequest(v.data(), v.size());
}
StatusOr<Reply> DecodeR(const std::vector<uint8_t>& v) { return DecodeReply(v.data(), v.size()); }

TEST(Protocol, RequestRoundTripsEveryField) {
  Request r = FullRequest();
  r.as = std::string("name\0with nul", 13);
  StatusOr<Request> back = Decode(Encode(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(r, *back);
}

TEST(Protocol, DefaultRequestRoundTrips) {
  StatusOr<Request> back = Decode(Encode(Request{}));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(Request{}, *back);
}

TEST(Protocol, EveryOpRoundTrips) {
  for (int op = static_cast<int>(Op::kSocket); op <= static_cast<int>(Op::kWaitCommand); ++op) {
    Request r;
    r.id = static_cast<uint64_t>(op) + 1;
    r.op = static_cast<Op>(op);
    StatusOr<Request> back = Decode(Encode(r));
    ASSERT_TRUE(back.ok()) << op;
    EXPECT_EQ(back->op, r.op);
  }
}

TEST(Protocol, ReplyRoundTripsEveryField) {
  Reply r = FullReply();
  StatusOr<Reply> back = DecodeR(Encode(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(r, *back);
  StatusOr<Reply> empty = DecodeR(Encode(Reply{}));
  ASSERT_TRUE(empty.ok());
  ExpectSame(Reply{}, *empty);
}

TEST(Protocol, LargestCommandOutputFitsAMessage) {
  Reply r = FullReply();
  r.data.clear();
  r.out.assign(kMaxCommandOutput, 'o');
  r.err_out.assign(kMaxCommandOutput, 'e');
  EXPECT_LE(Encode(r).size(), kMaxMessageBytes);
}

TEST(Protocol, ArgvMustBeStrings) {
  json j = {{"id", 1}, {"op", static_cast<int>(Op::kRun)}, {"argv", json::array({"a", 1})}};
  std::vector<uint8_t> b = json::to_cbor(j);
  StatusOr<Request> r = Decode(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "malformed message: field 'argv' not a list of strings");
}

TEST(Protocol, LargestDataFitsAMessage) {
  Reply r = FullReply();
  r.data.assign(kMaxReplyData, 0);
  EXPECT_LE(Encode(r).size(), kMaxMessageBytes);
}

TEST(Protocol, EveryTruncationIsInvalid) {
  for (const std::vector<uint8_t>& full : {Encode(FullRequest()), Encode(FullReply())}) {
    for (size_t n = 0; n < full.size(); ++n) {
      StatusOr<Request> q = DecodeRequest(full.data(), n);
      StatusOr<Reply> p = DecodeReply(full.data(), n);
      ASSERT_FALSE(q.ok()) << n;
      ASSERT_FALSE(p.ok()) << n;
      EXPECT_EQ(q.status().code(), StatusCode::kInvalidInput);
      EXPECT_EQ(p.status().code(), StatusCode::kInvalidInput);
    }
  }
}

TEST(Protocol, TrailingBytesAreInvalid) {
  std::vector<uint8_t> v = Encode(FullRequest());
  v.push_back(0);
  StatusOr<Request> r = Decode(v);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("trailing"), std::string::npos) << r.status().message();
}

TEST(Protocol, DeepNestingIsRejectedWithoutRecursion) {
  // 150,000 nested one-element arrays: nlohmann's reader would recurse once
  // per level; the shape check stops at depth 4.
  std::vector<uint8_t> definite(150'000, 0x81);
  definite.push_back(0x00);
  StatusOr<Request> a = Decode(definite);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("nested too deeply"), std::string::npos);
  std::vector<uint8_t> indefinite(150'000, 0x9f);
  EXPECT_FALSE(Decode(indefinite).ok());
  std::vector<uint8_t> maps(150'000, 0xbf);
  EXPECT_FALSE(DecodeR(maps).ok());
}

TEST(Protocol, HugeDeclaredLengthsAreInvalid) {
  // A map that claims 2^62 entries, a byte string that claims 2^32 bytes.
  EXPECT_FALSE(Decode({0xbb, 0x40, 0, 0, 0, 0, 0, 0, 0}).ok());
  EXPECT_FALSE(Decode({0xa1, 0x62, 'i', 'd', 0x5a, 0xff, 0xff, 0xff, 0xff}).ok());
}

TEST(Protocol, WrongShapesAndTypesAreInvalid) {
  auto bad = [](const json& j) {
    std::vector<uint8_t> v = json::to_cbor(j);
    StatusOr<Request> r = DecodeRequest(v.data(), v.size());
    EXPECT_FALSE(r.ok()) << j.dump();
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput) << j.dump();
    }
  };
  bad(json::array({1, 2}));
  bad(json(5));
  bad(json::object());                           // no id, no op
  bad({{"id", 1}});                              // no op
  bad({{"op", 0}});                              // no id
  bad({{"id", "1"}, {"op", 0}});                 // id not an integer
  bad({{"id", -1}, {"op", 0}});                  // id negative
  bad({{"id", 1}, {"op", 999}});                 // unknown op
  bad({{"id", 1}, {"op", -1}});                  // unknown op
  bad({{"id", 1}, {"op", 0}, {"port", 70000}});  // port out of range
  bad({{"id", 1}, {"op", 0}, {"family", int64_t{1} << 40}});
  bad({{"id", 1}, {"op", 0}, {"udp", 1}});        // not a boolean
  bad({{"id", 1}, {"op", 0}, {"fd", 3}});         // not a string
  bad({{"id", 1}, {"op", 0}, {"data", "text"}});  // not a byte string
  bad({{"id", 1}, {"op", 0}, {"size", 1.5}});     // not an integer

  std::vector<uint8_t> tagged = {0xc1, 0x00};  // a tag
  EXPECT_FALSE(Decode(tagged).ok());
  EXPECT_FALSE(Decode({}).ok());
  EXPECT_FALSE(Decode({0xff}).ok());  // a lone break
  EXPECT_FALSE(Decode({0x1c}).ok());  // reserved additional information
}

TEST(Protocol, UnknownKeysAreIgnoredAndMissingOnesDefault) {
  json j = {{"id", 7}, {"op", static_cast<int>(Op::kClose)}, {"fd", "c"}, {"future", {1, 2}}};
  std::vector<uint8_t> v = json::to_cbor(j);
  StatusOr<Request> r = Decode(v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, 7u);
  EXPECT_EQ(r->op, Op::kClose);
  EXPECT_EQ(r->fd, "c");
  EXPECT_EQ(r->backlog, 128);
}

TEST(Protocol, RandomAndMutatedInputNeverCrashes) {
  std::mt19937 rng(12345);
  const std::vector<uint8_t> valid = Encode(FullRequest());
  int decoded = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::vector<uint8_t> v;
    if (i % 2 == 0) {
      v.resize(rng() % 64);
      for (uint8_t& b : v) b = static_cast<uint8_t>(rng());
    } else {
      v = valid;
      for (int k = 0; k < 3; ++k) v[rng() % v.size()] = static_cast<uint8_t>(rng());
    }
    StatusOr<Request> r = Decode(v);
    StatusOr<Reply> p = DecodeR(v);
    if (r.ok()) ++decoded;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
    }
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), StatusCode::kInvalidInput);
    }
  }
  // Some mutations only touch payload bytes and still decode.
  EXPECT_GT(decoded, 0);
}

TEST(Protocol, IndefiniteLengthItemsDecode) {
  // An indefinite map; a key and values in chunks; an indefinite list.
  const std::vector<uint8_t> v = {
      0xbf,                                                                // map, indefinite
      0x62, 'i',  'd', 0x07,                                               // id: 7
      0x7f, 0x61, 'o', 0x61, 'p',  0xff, 0x00,                             // "o" "p": 0
      0x62, 'f',  'd', 0x7f, 0x61, 'a',  0x61, 'b',  0xff,                 // fd: "a" "b"
      0x64, 'd',  'a', 't',  'a',  0x5f, 0x41, 1,    0x42, 2,    3, 0xff,  // data: h'01' h'0203'
      0x63, 'i',  'o', 'v',  0x9f, 0x01, 0x21, 0xff,                       // iov: [1, -2]
      0x66, 'f',  'u', 't',  'u',  'r',  'e',  0xa1, 0x01, 0xf6,           // future: {1: null}
      0xff};
  StatusOr<Request> r = Decode(v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, 7u);
  EXPECT_EQ(r->op, Op::kSocket);
  EXPECT_EQ(r->fd, "ab");
  EXPECT_EQ(r->data, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(r->iov, (std::vector<int64_t>{1, -2}));
}

// Floats under a key the peer does not know are skipped like any value:
// half (f9), single (fa) and double (fb) precision, as another encoder
// may write them; a simple value that is not false/true/null is not.
TEST(Protocol, FloatsUnderUnknownKeysAreSkipped) {
  json j = {{"id", 7}, {"op", static_cast<int>(Op::kClose)}, {"fd", "c"}, {"ratio", 1.0}};
  std::vector<uint8_t> v = json::to_cbor(j);  // 1.0 as a single- or half-precision float
  StatusOr<Request> r = Decode(v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<std::vector<uint8_t>> floats = {
      {0xa3, 0x62, 'i', 'd', 0x01, 0x62, 'o', 'p', 0x00, 0x61, 'f', 0xf9, 0x3c, 0x00},
      {0xa3, 0x62, 'i', 'd', 0x01, 0x62, 'o', 'p', 0x00, 0x61, 'f', 0xfa, 0x3f, 0x80, 0x00, 0x00},
      {0xa3, 0x62, 'i',  'd',  0x01, 0x62, 'o', 'p', 0x00, 0x61,
       'f',  0xfb, 0x3f, 0xf0, 0,    0,    0,   0,   0,    0},
  };
  for (const std::vector<uint8_t>& f : floats) {
    StatusOr<Request> d = Decode(f);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
  }
  // Simple value 25 in one extra byte (f8 19) is not a float.
  const std::vector<uint8_t> simple = {0xa3, 0x62, 'i',  'd', 0x01, 0x62, 'o',
                                       'p',  0x00, 0x61, 'f', 0xf8, 0x19};
  EXPECT_FALSE(Decode(simple).ok());
}

TEST(Protocol, InvalidItemsAnywhereAreInvalid) {
  // A text chunk inside an indefinite byte string; `undefined` under an
  // unknown key; a key that is not a string; a negative number below int64.
  const std::vector<std::vector<uint8_t>> bad = {
      {0xa3, 0x62, 'i', 'd', 0x01, 0x62, 'o', 'p', 0x00, 0x64, 'd', 'a', 't', 'a', 0x5f, 0x61, 'x',
       0xff},
      {0xa3, 0x62, 'i', 'd', 0x01, 0x62, 'o', 'p', 0x00, 0x61, 'z', 0xf7},
      {0xa2, 0x01, 0x01, 0x62, 'o', 'p', 0x00},
  };
  for (const std::vector<uint8_t>& v : bad) {
    StatusOr<Request> r = Decode(v);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "malformed message: not valid CBOR");
  }
  const std::vector<uint8_t> low = {0xa3, 0x62, 'i',  'd',  0x01, 0x62, 'o',  'p',
                                    0x00, 0x64, 's',  'i',  'z',  'e',  0x3b, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  StatusOr<Request> r = Decode(low);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "malformed message: field 'size' out of range");
}

TEST(Protocol, EncodingIsCborThatNlohmannReads) {
  // The bytes stay plain CBOR: a generic reader sees the same fields.
  const std::vector<uint8_t> v = Encode(FullRequest());
  json j = json::from_cbor(v);
  EXPECT_EQ(j["fd"], "c");
  EXPECT_EQ(j["id"].get<uint64_t>(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(j["op"].get<int>(), static_cast<int>(Op::kSendto));
}

TEST(Protocol, EpollReadyListMustPairUp) {
  json j = {{"id", 1}, {"epoll_fds", json::array({"a", "b"})}, {"epoll_events", json::array({1})}};
  std::vector<uint8_t> b = json::to_cbor(j);
  StatusOr<Reply> r = DecodeR(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "malformed message: field 'epoll_events' does not match 'epoll_fds'");
  json k = {{"id", 1}, {"iov", json::array({1, "x"})}, {"op", 0}};
  std::vector<uint8_t> c = json::to_cbor(k);
  StatusOr<Request> q = Decode(c);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(), "malformed message: field 'iov' not a list of integers in range");
}

// Issue 16 part D: consecutive calls of a host as one request.
TEST(Protocol, BatchRoundTripsWithEveryMembersFields) {
  Request batch;
  batch.id = 7;
  Request first = FullRequest();
  first.id = 8;
  first.go_on = Request::GoOn::kError;
  first.go_on_errnos = {115, 11};
  Request second;
  second.id = 9;
  second.op = Op::kClose;
  second.fd = "s";
  second.go_on = Request::GoOn::kValue;
  second.go_on_ret = -3;
  batch.batch = {first, second};
  StatusOr<Request> back = Decode(Encode(batch));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(batch, *back);
}

TEST(Protocol, ABatchInsideABatchIsInvalid) {
  Request inner;
  inner.id = 2;
  inner.batch = {Request{}};
  inner.batch[0].id = 3;
  Request outer;
  outer.id = 1;
  outer.batch = {inner};
  StatusOr<Request> back = Decode(Encode(outer));
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().message(),
            "malformed message: a batch member: malformed message: a batch inside a batch");
  json j = {{"id", 1}, {"op", 0}, {"batch", json::array({"text"})}};
  StatusOr<Request> q = Decode(json::to_cbor(j));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(), "malformed message: field 'batch' not a list of byte strings");
}

TEST(Protocol, GoesOnOnlyAfterTheResultTheStepExpects) {
  Request m;
  Reply r;
  r.ret = -1;
  r.err = 11;
  EXPECT_TRUE(GoesOn(m, r));  // kAny
  m.go_on = Request::GoOn::kSuccess;
  EXPECT_FALSE(GoesOn(m, r));
  m.go_on = Request::GoOn::kError;
  EXPECT_TRUE(GoesOn(m, r));
  m.go_on_errnos = {115};
  EXPECT_FALSE(GoesOn(m, r));
  r.err = 115;
  EXPECT_TRUE(GoesOn(m, r));
  m = Request{};
  m.go_on = Request::GoOn::kValue;
  m.go_on_ret = 1000;
  r = Reply{};
  r.ret = 999;
  EXPECT_FALSE(GoesOn(m, r));
  r.ret = 1000;
  EXPECT_TRUE(GoesOn(m, r));
  r.harness_error = "no socket named 'x'";
  EXPECT_FALSE(GoesOn(m, r));
}

TEST(Protocol, RunBatchStopsAfterTheFirstMemberThatDoesNotGoOn) {
  Request batch;
  for (uint64_t id = 1; id <= 4; ++id) {
    Request m;
    m.id = id;
    m.go_on = Request::GoOn::kSuccess;
    batch.batch.push_back(m);
  }
  std::vector<uint64_t> ran, written;
  auto run = [&](const Request& m) {
    ran.push_back(m.id);
    Reply r;
    r.id = m.id;
    r.ret = m.id == 2 ? -1 : 0;  // the second fails
    return r;
  };
  Reply last = RunBatch(batch, run, [&](const Reply& r) { written.push_back(r.id); });
  EXPECT_EQ(ran, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(written, (std::vector<uint64_t>{1}));
  EXPECT_EQ(last.id, 2u);
  ran.clear();
  written.clear();
  batch.batch[1].go_on = Request::GoOn::kError;  // now it goes on: all four run
  last = RunBatch(batch, run, [&](const Reply& r) { written.push_back(r.id); });
  EXPECT_EQ(ran, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(written, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(last.id, 4u);
}

}  // namespace
}  // namespace faultline::peer
