#include "engine/config.h"

#include <algorithm>
#include <cctype>

namespace govector {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

Result<Distance> ParseDistance(std::string_view name) {
  std::string n = Lower(name);
  if (n == "cosine") return Distance::kCosine;
  if (n == "euclid" || n == "euclidean" || n == "l2") return Distance::kEuclid;
  if (n == "dot" || n == "ip" || n == "inner_product") return Distance::kDot;
  if (n == "manhattan" || n == "l1") return Distance::kManhattan;
  return Status::InvalidArgument("unknown distance \"" + std::string(name) +
                                 "\": use cosine, euclid, dot or manhattan");
}

Result<IndexKind> ParseIndexKind(std::string_view name) {
  std::string n = Lower(name);
  if (n == "hnsw") return IndexKind::kHnsw;
  if (n == "flat" || n == "exact") return IndexKind::kFlat;
  return Status::InvalidArgument("unknown index \"" + std::string(name) + "\": use hnsw or flat");
}

Result<Quantization> ParseQuantization(std::string_view name) {
  std::string n = Lower(name);
  if (n == "none") return Quantization::kNone;
  if (n == "sq8" || n == "int8" || n == "scalar") return Quantization::kSq8;
  return Status::InvalidArgument("unknown quantization \"" + std::string(name) + "\": use none or sq8");
}

Result<PayloadIndexType> ParsePayloadIndexType(std::string_view name) {
  if (name == "keyword" || name == "uuid") return PayloadIndexType::kKeyword;
  if (name == "integer") return PayloadIndexType::kInteger;
  if (name == "float") return PayloadIndexType::kFloat;
  if (name == "bool") return PayloadIndexType::kBool;
  if (name == "datetime") return PayloadIndexType::kDatetime;
  return Status::InvalidArgument("unsupported payload index type \"" + std::string(name) +
                                 "\": use keyword, integer, float, bool or datetime");
}

const char* DistanceName(Distance d) { return gv_distance_name(static_cast<GvDistance>(d)); }

const char* IndexKindName(IndexKind k) { return k == IndexKind::kHnsw ? "hnsw" : "flat"; }
const char* QuantizationName(Quantization q) { return q == Quantization::kSq8 ? "sq8" : "none"; }

const char* PayloadIndexTypeName(PayloadIndexType type) {
  switch (type) {
    case PayloadIndexType::kKeyword: return "keyword";
    case PayloadIndexType::kInteger: return "integer";
    case PayloadIndexType::kFloat: return "float";
    case PayloadIndexType::kBool: return "bool";
    case PayloadIndexType::kDatetime: return "datetime";
  }
  return "unknown";
}

Status ValidateCollectionName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("collection name must not be empty");
  if (name.size() > kMaxCollectionNameBytes)
    return Status::InvalidArgument("collection name is " + std::to_string(name.size()) +
                                   " bytes long; the limit is " + std::to_string(kMaxCollectionNameBytes));
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.'))
      return Status::InvalidArgument("invalid collection name \"" + std::string(name) +
                                     "\": use only letters, digits, '_', '-' and '.'");
  }
  return Status::OK();
}

Status ValidateCollectionConfig(const CollectionConfig& c) {
  GV_RETURN_IF_ERROR(ValidateCollectionName(c.name));
  if (c.dimension < 1 || c.dimension > kMaxDimension)
    return Status::InvalidArgument("dimension must be between 1 and " + std::to_string(kMaxDimension) + ", got " +
                                   std::to_string(c.dimension));
  if (c.m < kMinM || c.m > kMaxM)
    return Status::InvalidArgument("m must be between " + std::to_string(kMinM) + " and " + std::to_string(kMaxM) +
                                   ", got " + std::to_string(c.m));
  if (c.ef_construct < kMinEfConstruct || c.ef_construct > kMaxEfConstruct)
    return Status::InvalidArgument("ef_construct must be between " + std::to_string(kMinEfConstruct) + " and " +
                                   std::to_string(kMaxEfConstruct) + ", got " + std::to_string(c.ef_construct));
  if (c.ef < 1 || c.ef > kMaxEf)
    return Status::InvalidArgument("ef must be between 1 and " + std::to_string(kMaxEf) + ", got " +
                                   std::to_string(c.ef));
  return Status::OK();
}

void InfoLog(const EngineOptions& options, InfoLogLevel level, const std::string& message) {
  if (options.info_log) options.info_log(level, message);
}

}  // namespace govector
