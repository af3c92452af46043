// spdlog-backed implementation of the logging facade (torch-free translation unit).
#include "core/log.h"

#include <atomic>
#include <chrono>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace triage::log {
namespace {
std::atomic<bool> g_json{false};

std::shared_ptr<spdlog::logger> logger() {
  static auto l = [] {
    auto lg = spdlog::stderr_color_mt("triage");
    lg->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
    return lg;
  }();
  return l;
}

spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}
}  // namespace

void configure(Level level, bool json_lines) {
  g_json = json_lines;
  logger()->set_level(to_spd(level));
  logger()->set_pattern(json_lines ? "%v" : "[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
}

bool enabled(Level level) { return logger()->should_log(to_spd(level)); }

void write(Level level, std::string_view message, const Fields& fields) {
  auto lg = logger();
  if (!lg->should_log(to_spd(level))) return;
  if (g_json) {
    nlohmann::json j;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    j["ts"] = std::chrono::duration<double>(now).count();
    j["level"] = spdlog::level::to_string_view(to_spd(level)).data();
    j["msg"] = message;
    for (const auto& [k, v] : fields) j[k] = v;
    lg->log(to_spd(level), "{}", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  std::string line(message);
  for (const auto& [k, v] : fields) line += " " + k + "=" + v;
  lg->log(to_spd(level), "{}", line);
}

}  // namespace triage::log
