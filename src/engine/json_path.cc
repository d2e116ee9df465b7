#include "engine/json_path.h"

#include <string>

namespace govector {

Result<FieldPath> ParseFieldPath(std::string_view text) {
  FieldPath path;
  path.text.assign(text);
  if (text.empty()) return Status::InvalidFilter("empty key");
  size_t i = 0;
  while (true) {
    // One segment: a key, then any number of [] or [N].
    size_t start = i;
    while (i < text.size() && text[i] != '.' && text[i] != '[') {
      if (text[i] == ']') return Status::InvalidFilter("unbalanced ']' in key \"" + path.text + "\"");
      ++i;
    }
    if (i == start) return Status::InvalidFilter("empty segment in key \"" + path.text + "\"");
    PathSegment key;
    key.kind = PathSegment::Kind::kKey;
    key.key.assign(text.substr(start, i - start));
    path.segments.push_back(std::move(key));
    while (i < text.size() && text[i] == '[') {
      size_t close = text.find(']', i);
      if (close == std::string_view::npos) return Status::InvalidFilter("unbalanced '[' in key \"" + path.text + "\"");
      std::string_view inside = text.substr(i + 1, close - i - 1);
      PathSegment seg;
      if (inside.empty()) {
        seg.kind = PathSegment::Kind::kFlatten;
      } else {
        seg.kind = PathSegment::Kind::kIndex;
        size_t v = 0;
        for (char c : inside) {
          if (c < '0' || c > '9' || v > 100000000)
            return Status::InvalidFilter("bad array index [" + std::string(inside) + "] in key \"" + path.text + "\"");
          v = v * 10 + static_cast<size_t>(c - '0');
        }
        seg.index = v;
      }
      path.segments.push_back(std::move(seg));
      i = close + 1;
    }
    if (i == text.size()) break;
    if (text[i] != '.') return Status::InvalidFilter("unexpected character after ']' in key \"" + path.text + "\"");
    ++i;
    if (i == text.size()) return Status::InvalidFilter("key \"" + path.text + "\" ends with '.'");
  }
  return path;
}

namespace {

bool Walk(const std::vector<PathSegment>& segs, size_t i, const Json& cur, bool expand_last,
          FunctionRef<bool(const Json&)> fn) {
  if (i == segs.size()) {
    if (expand_last && cur.is_array()) {
      for (const Json& e : cur)
        if (!fn(e)) return false;
      return true;
    }
    return fn(cur);
  }
  const PathSegment& s = segs[i];
  switch (s.kind) {
    case PathSegment::Kind::kKey: {
      if (!cur.is_object()) return true;
      auto it = cur.find(s.key);
      if (it == cur.end()) return true;
      return Walk(segs, i + 1, *it, expand_last, fn);
    }
    case PathSegment::Kind::kFlatten: {
      if (!cur.is_array()) return true;
      for (const Json& e : cur)
        if (!Walk(segs, i + 1, e, expand_last, fn)) return false;
      return true;
    }
    case PathSegment::Kind::kIndex: {
      if (!cur.is_array() || s.index >= cur.size()) return true;
      return Walk(segs, i + 1, cur[s.index], expand_last, fn);
    }
  }
  return true;
}

}  // namespace

bool ForEachPathValue(const FieldPath& path, const Json& payload, FunctionRef<bool(const Json&)> fn) {
  return Walk(path.segments, 0, payload, true, fn);
}

bool ForEachPathNode(const FieldPath& path, const Json& payload, FunctionRef<bool(const Json&)> fn) {
  return Walk(path.segments, 0, payload, false, fn);
}

}  // namespace govector
