// PointId: see point_id.h.
#include "engine/point_id.h"

#include "common/govector_id.h"

namespace govector {

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
  uint64_t n = 0;
  uint8_t u[GV_UUID_BYTES];
  switch (gv_id_from_text(text.data(), text.size(), &n, u)) {
    case GV_ID_NUMBER: return Num(n);
    case GV_ID_UUID: return Uuid(u);
    case GV_ID_EMPTY: return Status::InvalidArgument("point id must not be empty");
    case GV_ID_TOO_LONG:
      return Status::InvalidArgument("point id is " + std::to_string(text.size()) + " bytes long; the limit is " +
                                     std::to_string(kMaxStringIdBytes) + " bytes");
    case GV_ID_HAS_NUL: return Status::InvalidArgument("point id must not contain NUL");
    case GV_ID_STRING: break;
  }
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
      uint8_t u[GV_UUID_BYTES];
      if (!gv_uuid_parse(s.data(), s.size(), u))
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
      char text[GV_UUID_TEXT_LEN + 1];
      gv_uuid_format(reinterpret_cast<const uint8_t*>(bytes_.data()), text);
      return std::string(text, GV_UUID_TEXT_LEN);
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
