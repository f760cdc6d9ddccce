#include "libs/common/hashing.h"

#include "gtest/gtest.h"

namespace werf::common {
namespace {

TEST(HashingTest, KnownHmacSha256Vectors) {
  // RFC 4231, test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_NE(HmacSha256Hex("key-a", "hunter2"), HmacSha256Hex("key-b", "hunter2"));
}

TEST(HashingTest, KnownSha256Vectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ShortHash("abc", 10), "ba7816bf8f");
  EXPECT_EQ(Hash64("abc"), 0xba7816bf8f01cfeaULL);
}

}  // namespace
}  // namespace werf::common
