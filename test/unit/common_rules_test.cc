// The rules of src/common that the extension relies on, checked against the engine: the id texts the
// foreign data wrapper pushes down (gv_id_text_is_canonical) are exactly those the engine reads and prints
// back unchanged, and the distance operators' values it derives from scores are what the operators compute.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/govector_distance.h"
#include "common/govector_id.h"
#include "engine/distance.h"
#include "engine/point_id.h"

namespace govector {
namespace {

// True when the engine reads text as an id and prints that id as the same text.
bool EngineRoundTrips(const std::string& text) {
  auto id = PointId::FromText(text);
  return id.ok() && id->ToString() == text;
}

std::string RandomUuidText(std::mt19937_64& rng, bool upper) {
  uint8_t bytes[GV_UUID_BYTES];
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  char text[GV_UUID_TEXT_LEN + 1];
  gv_uuid_format(bytes, text);
  std::string s(text);
  if (upper)
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Texts near every edge of the rule: numbers with and without leading zeros or signs, around 2^64; UUIDs in
// each case, one character short or long, with a hyphen moved or a non-hex digit; strings of every length
// up to past the limit, and with NUL.
std::vector<std::string> EdgeTexts(std::mt19937_64& rng) {
  std::vector<std::string> texts = {"",     "0",    "00",   "007", "42",  "-1", "+1", " 1", "1 ",
                                    "18446744073709551615",  "18446744073709551616", "99999999999999999999",
                                    "123456789012345678901", std::string("a\0b", 3), std::string(1, '\0')};
  for (int i = 0; i < 200; ++i) {
    uint64_t n = rng() >> (rng() % 64);
    texts.push_back(std::to_string(n));
    texts.push_back("0" + std::to_string(n));
    std::string lower = RandomUuidText(rng, false);
    texts.push_back(lower);
    texts.push_back(RandomUuidText(rng, true));
    std::string mixed = lower;
    mixed[rng() % mixed.size()] = 'A';
    texts.push_back(mixed);
    texts.push_back(lower.substr(1));
    texts.push_back(lower + "0");
    std::string moved = lower;
    std::swap(moved[8], moved[9]);
    texts.push_back(moved);
    std::string bad_digit = lower;
    bad_digit[0] = 'g';
    texts.push_back(bad_digit);
  }
  static const char kAlphabet[] = "0123456789abcdefABCDEF-xyz _";
  for (size_t len = 0; len <= GV_MAX_ID_BYTES + 2; ++len) {
    std::string s;
    for (size_t i = 0; i < len; ++i) s.push_back(kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
    texts.push_back(s);
  }
  return texts;
}

TEST(CommonRules, CanonicalIdsAreTheTextsTheEnginePrintsBack) {
  std::mt19937_64 rng(7);
  size_t canonical = 0, not_canonical = 0;
  for (const std::string& text : EdgeTexts(rng)) {
    bool expected = EngineRoundTrips(text);
    EXPECT_EQ(gv_id_text_is_canonical(text.data(), text.size()), expected) << "id text \"" << text << "\"";
    (expected ? canonical : not_canonical)++;
  }
  // Both answers are exercised, many times each.
  EXPECT_GT(canonical, 300u);
  EXPECT_GT(not_canonical, 300u);
  EXPECT_TRUE(gv_id_text_is_canonical("007", 3));  // the string id "007"
  EXPECT_FALSE(gv_id_text_is_canonical("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", 36));
  EXPECT_TRUE(gv_id_text_is_canonical("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", 36));
  EXPECT_FALSE(gv_id_text_is_canonical("", 0));
  EXPECT_FALSE(gv_id_text_is_canonical(std::string(GV_MAX_ID_BYTES + 1, 'x').data(), GV_MAX_ID_BYTES + 1));
}

// The values of <->, <=>, <#>, <+> as the extension's operators compute them (operators.c), in double.
double OperatorValue(Distance d, const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0, l2 = 0, l1 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double{a[i]} * b[i];
    na += double{a[i]} * a[i];
    nb += double{b[i]} * b[i];
    l2 += (double{a[i]} - b[i]) * (double{a[i]} - b[i]);
    l1 += std::fabs(double{a[i]} - b[i]);
  }
  switch (d) {
    case Distance::kEuclid: return std::sqrt(l2);
    case Distance::kCosine: return 1.0 - dot / (std::sqrt(na) * std::sqrt(nb));
    case Distance::kDot: return -dot;
    case Distance::kManhattan: return l1;
  }
  return 0;
}

TEST(CommonRules, OperatorDistanceFromScoreIsWhatTheOperatorComputes) {
  std::mt19937 rng(11);
  std::normal_distribution<float> component(0.0f, 1.0f);
  for (Distance d : {Distance::kCosine, Distance::kEuclid, Distance::kDot, Distance::kManhattan}) {
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<float> a(32), b(32);
      for (auto& x : a) x = component(rng);
      for (auto& x : b) x = component(rng);
      double expected = OperatorValue(d, a, b);
      // The engine scores cosine on normalised vectors (it normalises stored points and queries).
      if (d == Distance::kCosine) {
        NormalizeInPlace(a.data(), a.size());
        NormalizeInPlace(b.data(), b.size());
      }
      float score = ScoreFromDistance(d, InternalDistance(d, a.data(), b.data(), a.size()));
      EXPECT_NEAR(gv_operator_distance_from_score(static_cast<GvDistance>(d), score), expected,
                  1e-5 * std::max(1.0, std::fabs(expected)))
          << DistanceName(d);
    }
  }
}

}  // namespace
}  // namespace govector
