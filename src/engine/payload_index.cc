#include "engine/payload_index.h"

#include <algorithm>
#include <cmath>

#include "engine/datetime.h"
#include "engine/json_number.h"
#include "engine/json_path.h"

namespace govector {

namespace {

// A posting list: slots in ascending order, so a lookup hands out contiguous memory. Slots mostly arrive in
// ascending order (new points get new slots), which makes insertion an append.
using Postings = std::vector<uint32_t>;

void PostingAdd(Postings* p, uint32_t slot) {
  if (p->empty() || p->back() < slot) {
    p->push_back(slot);
    return;
  }
  auto it = std::lower_bound(p->begin(), p->end(), slot);
  if (it == p->end() || *it != slot) p->insert(it, slot);
}

void PostingRemove(Postings* p, uint32_t slot) {
  auto it = std::lower_bound(p->begin(), p->end(), slot);
  if (it != p->end() && *it == slot) p->erase(it);
}

}  // namespace

struct PayloadIndexSet::FieldIndex {
  std::string field;
  FieldPath path;
  PayloadIndexType type;
  // keyword, bool ("true"/"false")
  std::unordered_map<std::string, Postings> by_string;
  // integer
  std::unordered_map<int64_t, Postings> by_int;
  // float (every number) and datetime (microseconds)
  std::multimap<double, uint32_t> by_number;
  std::unordered_map<uint32_t, uint32_t> value_count;  // slot -> indexed values

  // Calls fn(kind, value) for each indexable value in payload.
  template <typename Fn>
  void Values(const Json& payload, Fn fn) const {
    ForEachPathValue(path, payload, [&](const Json& v) {
      switch (type) {
        case PayloadIndexType::kKeyword:
          if (v.is_string()) fn(v);
          break;
        case PayloadIndexType::kInteger:
          if (JsonInt64(v)) fn(v);  // what integer match conditions can equal (not unsigned > INT64_MAX)
          break;
        case PayloadIndexType::kFloat:
          if (v.is_number()) fn(v);
          break;
        case PayloadIndexType::kBool:
          if (v.is_boolean()) fn(v);
          break;
        case PayloadIndexType::kDatetime:
          if (v.is_string() && ParseDatetimeMicros(v.get_ref<const std::string&>())) fn(v);
          break;
        default: break;
      }
      return true;
    });
  }

  double NumberOf(const Json& v) const {
    if (type == PayloadIndexType::kDatetime)
      return static_cast<double>(*ParseDatetimeMicros(v.get_ref<const std::string&>()));
    return v.get<double>();
  }

  void Insert(uint32_t slot, const Json& payload) {
    uint32_t n = 0;
    Values(payload, [&](const Json& v) {
      ++n;
      switch (type) {
        case PayloadIndexType::kKeyword: PostingAdd(&by_string[v.get<std::string>()], slot); break;
        case PayloadIndexType::kBool: PostingAdd(&by_string[v.get<bool>() ? "true" : "false"], slot); break;
        case PayloadIndexType::kInteger: PostingAdd(&by_int[*JsonInt64(v)], slot); break;
        default: by_number.emplace(NumberOf(v), slot); break;
      }
    });
    if (n) value_count[slot] = n;
  }

  void Remove(uint32_t slot, const Json& payload) {
    Values(payload, [&](const Json& v) {
      switch (type) {
        case PayloadIndexType::kKeyword:
        case PayloadIndexType::kBool: {
          auto it = by_string.find(type == PayloadIndexType::kBool ? (v.get<bool>() ? "true" : "false")
                                                                   : v.get<std::string>());
          if (it != by_string.end()) {
            PostingRemove(&it->second, slot);
            if (it->second.empty()) by_string.erase(it);
          }
          break;
        }
        case PayloadIndexType::kInteger: {
          auto it = by_int.find(*JsonInt64(v));
          if (it != by_int.end()) {
            PostingRemove(&it->second, slot);
            if (it->second.empty()) by_int.erase(it);
          }
          break;
        }
        default: {
          auto range = by_number.equal_range(NumberOf(v));
          for (auto it = range.first; it != range.second; ++it) {
            if (it->second == slot) {
              by_number.erase(it);
              break;
            }
          }
          break;
        }
      }
    });
    value_count.erase(slot);
  }

  // Slots a condition on this field may match, or nullopt when this index cannot narrow it.
  std::optional<std::vector<uint32_t>> Lookup(const Condition& c) const {
    std::vector<uint32_t> out;
    size_t lists = 0;
    auto add_set = [&](const Postings& s) {
      out.insert(out.end(), s.begin(), s.end());
      ++lists;
    };
    if (c.match && !c.range && !c.values_count && !c.is_empty && !c.is_null) {
      const MatchCondition& m = *c.match;
      if (m.kind == MatchCondition::Kind::kValue) {
        if (type == PayloadIndexType::kKeyword && m.value.is_string()) {
          auto it = by_string.find(m.value.get<std::string>());
          if (it != by_string.end()) add_set(it->second);
        } else if (type == PayloadIndexType::kBool && m.value.is_boolean()) {
          auto it = by_string.find(m.value.get<bool>() ? "true" : "false");
          if (it != by_string.end()) add_set(it->second);
        } else if (type == PayloadIndexType::kInteger && IsJsonInteger(m.value)) {
          auto it = by_int.find(m.value.get<int64_t>());  // the parser keeps match values as int64
          if (it != by_int.end()) add_set(it->second);
        } else {
          return std::nullopt;
        }
      } else if (m.kind == MatchCondition::Kind::kAny) {
        if (type == PayloadIndexType::kKeyword && m.integers.empty()) {
          for (const auto& s : m.strings) {
            auto it = by_string.find(s);
            if (it != by_string.end()) add_set(it->second);
          }
        } else if (type == PayloadIndexType::kInteger && m.strings.empty()) {
          for (int64_t i : m.integers) {
            auto it = by_int.find(i);
            if (it != by_int.end()) add_set(it->second);
          }
        } else {
          return std::nullopt;
        }
      } else {
        return std::nullopt;
      }
    } else if (c.range && !c.match && !c.values_count && !c.is_empty && !c.is_null) {
      const RangeCondition& r = *c.range;
      if (!((type == PayloadIndexType::kFloat && !r.datetime) || (type == PayloadIndexType::kDatetime && r.datetime)))
        return std::nullopt;
      double lo = -INFINITY, hi = INFINITY;
      if (r.gt) lo = std::max(lo, *r.gt);
      if (r.gte) lo = std::max(lo, *r.gte);
      if (r.lt) hi = std::min(hi, *r.lt);
      if (r.lte) hi = std::min(hi, *r.lte);
      for (auto it = by_number.lower_bound(lo); it != by_number.end() && it->first <= hi; ++it) {
        double v = it->first;
        if ((r.gt && !(v > *r.gt)) || (r.gte && !(v >= *r.gte)) || (r.lt && !(v < *r.lt)) ||
            (r.lte && !(v <= *r.lte)))
          continue;
        out.push_back(it->second);
      }
    } else {
      return std::nullopt;
    }
    if (lists > 1 || c.range) {
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
    }
    return out;
  }
};

PayloadIndexSet::PayloadIndexSet() = default;
PayloadIndexSet::~PayloadIndexSet() = default;
PayloadIndexSet::PayloadIndexSet(PayloadIndexSet&&) noexcept = default;
PayloadIndexSet& PayloadIndexSet::operator=(PayloadIndexSet&&) noexcept = default;

Status PayloadIndexSet::Add(const std::string& field, PayloadIndexType type) {
  auto path = ParseFieldPath(field);
  if (!path.ok()) return Status::InvalidArgument("bad payload index field: " + path.status().message());
  switch (type) {
    case PayloadIndexType::kKeyword:
    case PayloadIndexType::kInteger:
    case PayloadIndexType::kFloat:
    case PayloadIndexType::kBool:
    case PayloadIndexType::kDatetime: break;
    default: return Status::InvalidArgument("unsupported payload index type");
  }
  for (auto& f : fields_) {
    if (f->field == field) {
      if (f->type == type) return Status::OK();
      return Status::InvalidArgument("field \"" + field + "\" already has a " + PayloadIndexTypeName(f->type) +
                                     " index");
    }
  }
  auto f = std::make_unique<FieldIndex>();
  f->field = field;
  f->path = std::move(path).value();
  f->type = type;
  fields_.push_back(std::move(f));
  return Status::OK();
}

bool PayloadIndexSet::Has(const std::string& field) const {
  for (const auto& f : fields_)
    if (f->field == field) return true;
  return false;
}

bool PayloadIndexSet::empty() const { return fields_.empty(); }

void PayloadIndexSet::Insert(uint32_t slot, const Json& payload) {
  for (auto& f : fields_) f->Insert(slot, payload);
}

void PayloadIndexSet::Remove(uint32_t slot, const Json& payload) {
  for (auto& f : fields_) f->Remove(slot, payload);
}

std::optional<PayloadIndexSet::CandidateSet> PayloadIndexSet::Candidates(const Filter& filter,
                                                                         Resolver resolve) const {
  std::optional<CandidateSet> result;
  // Exact when the filter is a conjunction of conditions each answered by an index.
  bool exact = !filter.has_should && filter.must_not.empty() && !filter.min_should;
  for (const Condition& c : filter.must) {
    std::optional<std::vector<uint32_t>> part;
    bool part_exact = false;
    if (c.type == Condition::Type::kField) {
      for (const auto& f : fields_) {
        if (f->field != c.key.text) continue;
        part = f->Lookup(c);
        if (part) {
          part_exact = true;
          break;
        }
      }
    } else if (c.type == Condition::Type::kFilter && c.filter) {
      if (auto sub = Candidates(*c.filter, resolve)) {
        part = std::move(sub->slots);
        part_exact = sub->exact;
      }
    } else {
      part = resolve(c);
      part_exact = part.has_value();
    }
    exact = exact && part_exact;
    if (!part) continue;
    if (!result) {
      result = CandidateSet{std::move(*part), false};
    } else {
      std::vector<uint32_t> both;
      std::set_intersection(result->slots.begin(), result->slots.end(), part->begin(), part->end(),
                            std::back_inserter(both));
      result->slots = std::move(both);
    }
    if (result->slots.empty()) break;
  }
  if (result) result->exact = exact;
  return result;
}

std::vector<PayloadIndexInfo> PayloadIndexSet::Info() const {
  std::vector<PayloadIndexInfo> out;
  for (const auto& f : fields_) out.push_back({f->field, f->type, f->value_count.size()});
  return out;
}

size_t PayloadIndexSet::MemoryBytes() const {
  size_t bytes = 0;
  for (const auto& f : fields_) {
    for (const auto& [k, s] : f->by_string) bytes += k.size() + 64 + s.capacity() * sizeof(uint32_t);
    for (const auto& [k, s] : f->by_int) bytes += 64 + s.capacity() * sizeof(uint32_t);
    bytes += f->by_number.size() * 48 + f->value_count.size() * 24;
  }
  return bytes;
}

}  // namespace govector
