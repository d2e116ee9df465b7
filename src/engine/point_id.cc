#include "engine/point_id.h"

#include <cstring>

namespace govector {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseCanonicalU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseUuid(std::string_view t, uint8_t out[16]) {
  if (t.size() != 36) return false;
  int bi = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') return false;
      ++i;
      continue;
    }
    int hi = HexValue(t[i]), lo = HexValue(t[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[bi++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return bi == 16;
}

PointId PointId::Num(uint64_t n) {
  PointId id;
  id.kind_ = Kind::kNum;
  id.num_ = n;
  return id;
}

PointId PointId::Uuid(const uint8_t bytes[16]) {
  PointId id;
  id.kind_ = Kind::kUuid;
  id.bytes_.assign(reinterpret_cast<const char*>(bytes), 16);
  return id;
}

Result<PointId> PointId::FromText(std::string_view text) {
  uint64_t n;
  if (ParseCanonicalU64(text, &n)) return Num(n);
  uint8_t u[16];
  if (ParseUuid(text, u)) return Uuid(u);
  if (text.empty()) return Status::InvalidArgument("point id must not be empty");
  if (text.size() > kMaxStringIdBytes)
    return Status::InvalidArgument("point id is " + std::to_string(text.size()) + " bytes long; the limit is " +
                                   std::to_string(kMaxStringIdBytes) + " bytes");
  if (text.find('\0') != std::string_view::npos) return Status::InvalidArgument("point id must not contain NUL");
  PointId id;
  id.kind_ = Kind::kString;
  id.bytes_.assign(text);
  return id;
}

Result<PointId> PointId::FromJson(const nlohmann::json& j, bool allow_strings) {
  if (j.is_number_unsigned()) return Num(j.get<uint64_t>());
  if (j.is_number_integer()) {
    int64_t v = j.get<int64_t>();
    if (v < 0) return Status::InvalidArgument("point id must not be negative: " + std::to_string(v));
    return Num(static_cast<uint64_t>(v));
  }
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (!allow_strings) {
      uint8_t u[16];
      if (!ParseUuid(s, u))
        return Status::InvalidArgument("Unable to parse UUID: " + s + " (a point id is an unsigned integer or a UUID)");
      return Uuid(u);
    }
    return FromText(s);
  }
  if (j.is_structured())
    return Status::InvalidArgument(std::string("point id must be an unsigned integer or a string, got an ") +
                                   j.type_name());
  return Status::InvalidArgument("point id must be an unsigned integer or a string, got " + j.dump());
}

Result<PointId> PointId::FromKey(std::string_view key) {
  if (key.empty()) return Status::Internal("empty point key");
  PointId id;
  switch (static_cast<Kind>(key[0])) {
    case Kind::kNum: {
      if (key.size() != 9) return Status::Internal("bad numeric point key");
      uint64_t v = 0;
      for (int i = 1; i <= 8; ++i) v = v << 8 | static_cast<uint8_t>(key[i]);
      return Num(v);
    }
    case Kind::kUuid:
      if (key.size() != 17) return Status::Internal("bad UUID point key");
      return Uuid(reinterpret_cast<const uint8_t*>(key.data() + 1));
    case Kind::kString:
      id.kind_ = Kind::kString;
      id.bytes_.assign(key.substr(1));
      return id;
  }
  return Status::Internal("unknown point key kind");
}

std::string PointId::Key() const {
  std::string k(1, static_cast<char>(kind_));
  if (kind_ == Kind::kNum) {
    for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((num_ >> (i * 8)) & 0xff));
  } else {
    k += bytes_;
  }
  return k;
}

std::string PointId::ToString() const {
  switch (kind_) {
    case Kind::kNum: return std::to_string(num_);
    case Kind::kString: return bytes_;
    case Kind::kUuid: {
      static const char* hex = "0123456789abcdef";
      std::string s;
      s.reserve(36);
      for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
        uint8_t b = static_cast<uint8_t>(bytes_[i]);
        s.push_back(hex[b >> 4]);
        s.push_back(hex[b & 15]);
      }
      return s;
    }
  }
  return "";
}

nlohmann::json PointId::ToJson() const {
  if (kind_ == Kind::kNum) return nlohmann::json(num_);
  return nlohmann::json(ToString());
}

bool PointId::operator<(const PointId& o) const {
  if (kind_ != o.kind_) return kind_ < o.kind_;
  if (kind_ == Kind::kNum) return num_ < o.num_;
  return bytes_ < o.bytes_;
}

}  // namespace govector
