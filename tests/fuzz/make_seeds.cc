// Writes the seed corpus of the fuzz targets: valid encodings made by the plugin's own encoders,
// so the fuzzers start from inputs that reach the deep checks.
#include <arpa/inet.h>

#include <cstdio>
#include <string>
#include <vector>

#include "handle.h"
#include "hello.h"
#include "message.h"

using namespace lioncub::net;

static void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) { std::perror(path.c_str()); std::exit(1); }
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

int main(int argc, char** argv) {
  if (argc != 2) { std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n"); return 2; }
  const std::string dir = argv[1];
  for (int i = 0; i < 3; ++i) {
    Hello h;
    h.kind = i == 0 ? StreamKind::kControl : StreamKind::kData;
    h.index = uint16_t(i);
    h.streams = 8;
    h.min_chunk = 65536;
    h.inline_max = 4096;
    h.nonce = 0x0123456789abcdefull * (i + 1);
    h.conn_id = 42 + i;
    h.job_hash = i == 0 ? 0 : 0x0f1e2d3c4b5a6978ull;
    h.hello_nonce = 7 + i;
    h.authenticated = i == 2;
    if (h.authenticated) for (int k = 0; k < 32; ++k) h.mac[k] = uint8_t(k * 7 + 1);
    std::vector<uint8_t> b(kHelloSize);
    encode_hello(h, b);
    write_file(dir + "/hello/seed" + std::to_string(i), b);
  }
  for (int st = 0; st < 3; ++st) {
    Ack a;
    a.status = AckStatus(st);
    a.conn_id = 42;
    a.job_hash = st == 1 ? 9 : 0;
    std::vector<uint8_t> b(kAckSize);
    encode_ack(a, b);
    write_file(dir + "/hello/ack" + std::to_string(st), b);
  }
  for (uint64_t size : {0ull, 1ull, 4096ull, 1ull << 30}) {
    std::vector<uint8_t> b(4 + kControlSize, 0);
    b[0] = 0x00; b[1] = 0x01;  // inline_max = 4096
    encode_control(ControlMsg{size, int32_t(size % 7)}, std::span<uint8_t>(b).subspan(4));
    if (size == 1) b.push_back(0x5a);  // its inline payload
    write_file(dir + "/control/seed" + std::to_string(size), b);
  }
  for (int v6 = 0; v6 < 2; ++v6) {
    ListenHandle h;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&h.addr);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(29500);
      inet_pton(AF_INET6, "::1", &a->sin6_addr);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&h.addr);
      a->sin_family = AF_INET;
      a->sin_port = htons(29500);
      inet_pton(AF_INET, "198.18.0.1", &a->sin_addr);
    }
    h.nonce = 0xfeedfacecafebeefull + v6;
    std::vector<uint8_t> b(kHandleSize);
    encode_handle(h, b);
    write_file(dir + "/handle/seed" + std::to_string(v6), b);
  }
  return 0;
}
