// govectord's log: one line per message on stderr, "LEVEL: text". Under Postgres the supervising worker
// reads these lines and writes them to the server log with a "govector:" prefix at the matching level.
#pragma once

#include <string>

namespace govector {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void Log(LogLevel level, const std::string& message);
inline bool LogEnabled(LogLevel level) { return level >= GetLogLevel(); }

}  // namespace govector
