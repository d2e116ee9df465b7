// The JSON input and output helpers of the Qdrant routes (see http_json.h).
#include "server/http_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "engine/distance.h"

namespace govector::http {

void Fail(ApiError e) { throw Failure{std::move(e)}; }

void Invalid(const std::string& what) { Fail(ValidationError(what)); }

void Check(const Status& s) {
  if (!s.ok()) Fail(ErrorFromStatus(s));
}

ApiResult Guard(const std::function<Json()>& fn) {
  try {
    return fn();
  } catch (const Failure& f) {
    return f.error;
  } catch (const std::bad_alloc&) {
    return ApiError{500, "Service internal error: out of memory"};
  } catch (const std::exception& e) {
    return ApiError{500, std::string("Service internal error: ") + e.what()};
  }
}

const Json* Field(const Json& body, const char* key) {
  if (!body.is_object()) return nullptr;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

uint32_t UInt(const Json& body, const char* key, uint32_t fallback, uint32_t min, uint32_t max) {
  const Json* v = Field(body, key);
  if (!v) return fallback;
  if (!v->is_number_integer() && !v->is_number_unsigned())
    Invalid(std::string(key) + ": expected a non-negative integer, got " + v->dump());
  if (v->is_number_integer() && v->get<int64_t>() < 0)
    Invalid(std::string(key) + ": expected a non-negative integer, got " + v->dump());
  uint64_t n = v->get<uint64_t>();
  if (n < min || n > max)
    Invalid(std::string(key) + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
            ", got " + std::to_string(n));
  return static_cast<uint32_t>(n);
}

bool Flag(const Json& body, const char* key, bool fallback) {
  const Json* v = Field(body, key);
  if (!v) return fallback;
  if (!v->is_boolean()) Invalid(std::string(key) + ": expected true or false, got " + v->dump());
  return v->get<bool>();
}

namespace {

std::string FieldPath(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

}  // namespace

void KnownFields(const Json& obj, const std::string& where, std::initializer_list<std::string_view> known) {
  if (!obj.is_object()) return;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (it->is_null() || std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
    Fail({400, "Wrong input: unknown or unsupported field `" + FieldPath(where, it.key()) + "`"});
  }
}

void OnlyValue(const Json& obj, const std::string& where, const char* key, const Json& value, const std::string& why) {
  const Json* v = Field(obj, key);
  if (!v || *v == value) return;
  Fail({400, "Wrong input: `" + FieldPath(where, key) + "` = " + v->dump() + " is not supported: " + why});
}

void NotSupported(const Json& obj, const std::string& where, const char* key, const std::string& why) {
  if (Field(obj, key))
    Fail({400, "Wrong input: `" + FieldPath(where, key) + "` is not supported: " + why});
}

void OnlyOne(const Json& obj, const char* key, const std::string& why) {
  const Json* v = Field(obj, key);
  if (!v) return;
  if (!v->is_number_unsigned() || v->get<uint64_t>() < 1)
    Invalid(std::string(key) + ": expected a positive integer, got " + v->dump());
  OnlyValue(obj, "", key, 1, why);
}

// Qdrant's point ids: an unsigned integer or a UUID. govector's string ids are accepted too, except strings
// of digits, which Qdrant rejects (they look like numbers but are not). Anything else (negative or fractional
// numbers, null, which is what JSON.stringify makes of NaN, objects) is a 422 validation error, like every
// other body of the wrong shape.
PointId IdFromJson(const Json& j) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      Invalid("value " + s + " is not a valid point ID, valid values are either an unsigned integer or a UUID");
  }
  auto id = PointId::FromJson(j, true);
  if (!id.ok()) Invalid(id.status().message());
  return std::move(id).value();
}

std::vector<PointId> IdList(const Json& j, const char* what) {
  if (!j.is_array()) Invalid(std::string(what) + ": expected an array of point ids");
  std::vector<PointId> ids;
  for (const Json& e : j) ids.push_back(IdFromJson(e));
  return ids;
}

std::vector<float> VectorFromJson(const Json& j, const char* what) {
  if (j.is_object()) {
    // Named vectors: one unnamed ("") entry is the collection's only vector.
    if (j.size() == 1 && j.begin().key().empty()) return VectorFromJson(j.begin().value(), what);
    Fail({400, "Wrong input: named vectors are not supported; send the vector as an array of numbers"});
  }
  if (!j.is_array()) Invalid(std::string(what) + ": expected an array of numbers");
  std::vector<float> v;
  v.reserve(j.size());
  for (const Json& x : j) {
    if (!x.is_number()) Invalid(std::string(what) + ": expected numbers, got " + x.dump());
    v.push_back(x.get<float>());
  }
  return v;
}

std::shared_ptr<const Filter> FilterFromJson(const Json& body) {
  const Json* f = Field(body, "filter");
  if (!f) return nullptr;
  return Take(ParseFilterJson(*f));
}

PointSelector SelectorFromJson(const Json& body) {
  PointSelector sel;
  if (const Json* f = Field(body, "filter")) {
    sel.filter = Take(ParseFilterJson(*f));
  } else if (const Json* pts = Field(body, "points")) {
    sel.ids = IdList(*pts, "points");
  } else {
    Invalid("expected \"points\" (a list of ids) or \"filter\"");
  }
  return sel;
}

Durability ToDurability(bool wait) { return wait ? Durability::kDurable : Durability::kApplied; }

Json UpdateResult(uint64_t version, bool wait) {
  return {{"operation_id", version}, {"status", wait ? "completed" : "acknowledged"}};
}

PayloadSelector PayloadSelector::From(const Json& body, bool fallback) {
  PayloadSelector s;
  const Json* v = Field(body, "with_payload");
  if (!v) {
    s.enabled = fallback;
    return s;
  }
  auto keys = [](const Json& a, std::vector<std::string>* out) {
    if (!a.is_array()) Invalid("with_payload: expected a list of keys");
    for (const Json& k : a) {
      if (!k.is_string()) Invalid("with_payload: keys must be strings");
      out->push_back(k.get<std::string>());
    }
  };
  if (v->is_boolean()) {
    s.enabled = v->get<bool>();
  } else if (v->is_array()) {
    s.enabled = true;
    keys(*v, &s.include);
  } else if (v->is_object() && v->contains("include")) {
    s.enabled = true;
    keys((*v)["include"], &s.include);
  } else if (v->is_object() && v->contains("exclude")) {
    s.enabled = true;
    keys((*v)["exclude"], &s.exclude);
  } else {
    Invalid("with_payload: expected a boolean, a list of keys, {\"include\": [...]} or {\"exclude\": [...]}");
  }
  return s;
}

namespace {

// A with_payload path: "a.b.c" names a nested key, "a[].b" the key b of every element of the array a (as
// Qdrant's paths do); a key without '.' or "[]" is a top-level key.
struct PathStep {
  std::string key;
  bool each = false;  // key[]: into every element of the array
};

std::vector<PathStep> SplitPath(const std::string& path) {
  std::vector<PathStep> steps;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    PathStep st;
    if (part.size() >= 2 && part.compare(part.size() - 2, 2, "[]") == 0) {
      st.each = true;
      part.resize(part.size() - 2);
    }
    st.key = std::move(part);
    steps.push_back(std::move(st));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return steps;
}

// Copies what path selects of src into dst (an object), keeping the structure around it.
void Include(const Json& src, const std::vector<PathStep>& steps, size_t i, Json* dst) {
  if (!src.is_object()) return;
  auto it = src.find(steps[i].key);
  if (it == src.end()) return;
  const bool last = i + 1 == steps.size();
  if (last) {
    (*dst)[steps[i].key] = *it;
    return;
  }
  if (steps[i].each) {
    if (!it->is_array()) return;
    Json& out = (*dst)[steps[i].key];
    if (!out.is_array()) out = Json::array();
    while (out.size() < it->size()) out.push_back(Json::object());
    for (size_t e = 0; e < it->size(); ++e) Include((*it)[e], steps, i + 1, &out[e]);
    return;
  }
  if (!it->is_object()) return;
  Json& out = (*dst)[steps[i].key];
  if (!out.is_object()) out = Json::object();
  Include(*it, steps, i + 1, &out);
  if (out.empty()) dst->erase(steps[i].key);
}

// Removes what path selects from v.
void Exclude(Json* v, const std::vector<PathStep>& steps, size_t i) {
  if (!v->is_object()) return;
  auto it = v->find(steps[i].key);
  if (it == v->end()) return;
  if (i + 1 == steps.size()) {
    v->erase(it);
  } else if (steps[i].each && it->is_array()) {
    for (Json& e : *it) Exclude(&e, steps, i + 1);
  } else if (!steps[i].each) {
    Exclude(&*it, steps, i + 1);
  }
}

}  // namespace

Json PayloadSelector::Apply(const Json& payload) const {
  if (include.empty() && exclude.empty()) return payload;
  Json out;
  if (include.empty()) {
    out = payload;
  } else {
    out = Json::object();
    for (const std::string& path : include) {
      if (payload.contains(path))  // a top-level key that has '.' or "[]" in its name
        out[path] = payload[path];
      else
        Include(payload, SplitPath(path), 0, &out);
    }
  }
  for (const std::string& path : exclude) {
    if (out.contains(path))
      out.erase(path);
    else
      Exclude(&out, SplitPath(path), 0);
  }
  return out;
}

bool WithVector(const Json& body, bool fallback) {
  const Json* v = Field(body, "with_vector");
  if (!v) return fallback;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_array()) return !v->empty();
  Invalid("with_vector: expected a boolean or a list of vector names");
}

void NormalizeForCosine(Engine* engine, uint32_t ns, const std::string& name,
                        std::vector<std::optional<std::vector<float>>*> vectors) {
  Result<CollectionConfig> config = engine->GetConfig(ns, name);
  if (!config.ok() || config->distance != Distance::kCosine) return;
  for (auto* v : vectors) NormalizeInPlace((*v)->data(), (*v)->size());
}

double ShortestDouble(float f) {
  if (!std::isfinite(f)) return f;
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf) - 1, f);  // the shortest decimal that reads back as f
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

Json FloatsJson(const std::vector<float>& v) {
  Json out = Json::array();
  out.get_ref<Json::array_t&>().reserve(v.size());
  for (float f : v) out.push_back(ShortestDouble(f));
  return out;
}

Json PointJson(const PointId& id, const std::optional<Json>& payload, const std::optional<std::vector<float>>& vector,
               const PayloadSelector& sel) {
  Json r = {{"id", id.ToJson()}};
  if (sel.enabled && payload) r["payload"] = sel.Apply(*payload);
  if (vector) r["vector"] = FloatsJson(*vector);
  return r;
}

}  // namespace govector::http
