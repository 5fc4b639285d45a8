#include "rendezvous/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/error.h"

namespace lioncub::rendezvous::crypto {

Mac hmac(const Key& key, const uint8_t* data, size_t n) {
  Mac out{};
  unsigned len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data, n, out.data(), &len) ==
          nullptr ||
      len != out.size()) {
    raise(lioncubSystemError, "HMAC-SHA256 failed (libcrypto)");
  }
  return out;
}

Key derive(const std::string& secret, const char* label, const std::string& job_id) {
  Key root{};
  SHA256(reinterpret_cast<const uint8_t*>(secret.data()), secret.size(), root.data());
  std::string msg = label;
  msg.push_back('\0');
  msg += job_id;
  const Mac m = hmac(root, reinterpret_cast<const uint8_t*>(msg.data()), msg.size());
  OPENSSL_cleanse(root.data(), root.size());
  return m;
}

bool equal(const uint8_t* a, const uint8_t* b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

// The kernel's CSPRNG rather than libcrypto's DRBG: the same quality for nonces and IVs, and no
// DRBG to seed in every rank when no secret is used (that costs a few ms of CPU per process).
void random(uint8_t* out, size_t n) {
  while (n > 0) {
    const ssize_t k = ::getrandom(out, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) raise(lioncubSystemError, std::string("getrandom: ") + std::strerror(errno));
    out += k;
    n -= static_cast<size_t>(k);
  }
}

namespace {
struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;
}  // namespace

std::vector<uint8_t> seal(const Key& key, const std::vector<uint8_t>& plain,
                          const std::string& aad) {
  std::vector<uint8_t> box(kSealOverhead + plain.size());
  uint8_t* iv = box.data();
  uint8_t* ct = box.data() + 12;
  uint8_t* tag = ct + plain.size();
  random(iv, 12);
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len, plain.data(), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) {
    raise(lioncubSystemError, "AES-256-GCM encryption failed (libcrypto)");
  }
  return box;
}

bool open(const Key& key, const uint8_t* box, size_t n, const std::string& aad,
          std::vector<uint8_t>* plain) {
  if (n < kSealOverhead) return false;
  const size_t m = n - kSealOverhead;
  plain->assign(m, 0);
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::array<uint8_t, 16> tag{};
  std::copy(box + 12 + m, box + n, tag.begin());
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), box) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), plain->data(), &len, box + 12, static_cast<int>(m)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), plain->data() + len, &len) == 1;
  if (!ok) plain->clear();
  return ok;
}

}  // namespace lioncub::rendezvous::crypto
