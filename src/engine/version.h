#pragma once

namespace govector {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace govector
