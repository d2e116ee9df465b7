// Columns: a payload key seen as a typed SQL value, the way a foreign table shows a column mapped with
// OPTIONS (payload_key 'k'). One conversion serves both what a scan returns for the column and how the
// {"column": ...} filter condition compares it, so a filter pushed down from SQL matches exactly the rows
// Postgres would have kept.
//
// The value is the payload's top-level key (no path syntax, no array flattening), converted by type:
//   text    exactly what Postgres's payload->>'key' gives: a string as itself, anything else as jsonb prints
//           it (JsonbText), so `payload->>'k' = 'v'` can be evaluated here with Postgres's answer
//   number  a JSON number; anything else is NULL
//   bool    a JSON boolean; anything else is NULL
//   json    the JSON value itself (JSON null is a value here, as in jsonb)
// A missing key, and JSON null for text/number/bool, is SQL NULL. A comparison with NULL is false.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/status.h"

namespace govector {

enum class ColumnType : uint8_t { kText, kNumber, kBool, kJson };

Result<ColumnType> ParseColumnType(std::string_view name);

// JSON text exactly as Postgres prints the same value as jsonb: object keys ordered by length, then bytes;
// ", " and ": " separators; numbers in numeric's plain decimal notation with the input's scale.
std::string JsonbText(const nlohmann::json& v);

// The column's value as text (for text: the value; number: JSON number text; bool: "true"/"false";
// json: the JSON text), or nullopt for SQL NULL.
std::optional<std::string> ColumnText(const nlohmann::json& payload, const std::string& key, ColumnType type);

}  // namespace govector
