#include "server/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace govector {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

void Log(LogLevel level, const std::string& message) {
  if (!LogEnabled(level)) return;
  static const char* names[] = {"DEBUG", "LOG", "WARNING", "ERROR"};
  std::string line = std::string(names[static_cast<int>(level)]) + ": " + message;
  for (char& c : line)
    if (c == '\n') c = ' ';
  line.push_back('\n');
  std::lock_guard<std::mutex> l(g_mu);
  // One write per line, so lines from different threads never interleave.
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace govector
