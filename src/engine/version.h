#pragma once

#include <cstdint>

namespace govector {
inline constexpr const char* kVersion = "0.1.0";
// The format of the engine's files (engine.cc, kFormatKey): raised when a change needs an upgrade step.
inline constexpr uint64_t kDataFormat = 1;
}  // namespace govector
