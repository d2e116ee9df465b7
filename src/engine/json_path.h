// Key paths into JSON payloads, as Qdrant writes them: "a.b.c", "a[]" (every element of the array at a),
// "a[2]" (one element). Shared by the filter evaluator and the payload indexes so both see the same values.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/filter.h"
#include "engine/status.h"
#include "engine/sync.h"

namespace govector {

// Parses a path. Errors (kInvalidFilter) describe what is wrong, without a location prefix.
Result<FieldPath> ParseFieldPath(std::string_view text);

// Calls fn for each value the path yields in payload: the value at the end of the path, or, when that is an
// array, each of its elements. A key step into a non-object (e.g. "arr.x" where arr is an array) yields
// nothing. fn returns false to stop early. Returns false when stopped early.
bool ForEachPathValue(const FieldPath& path, const Json& payload, FunctionRef<bool(const Json&)> fn);

// Like ForEachPathValue, but calls fn with the node at the end of the path itself, without expanding a final
// array ("tags" holding [] yields one node, the empty array, where ForEachPathValue yields nothing).
bool ForEachPathNode(const FieldPath& path, const Json& payload, FunctionRef<bool(const Json&)> fn);

}  // namespace govector
