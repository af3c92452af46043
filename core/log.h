// Logging facade over spdlog. Torch translation units must not include spdlog: the torch
// wheel ships fmt 11 headers that shadow the system fmt spdlog was built against, so
// everything logs through these torch-free functions instead.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace triage::log {

enum class Level { debug, info, warn, error };

// Plain "[time] [level] message key=value" lines, or one JSON object per line.
void configure(Level level, bool json_lines);
bool enabled(Level level);

using Fields = std::vector<std::pair<std::string, std::string>>;
void write(Level level, std::string_view message, const Fields& fields = {});

inline void debug(std::string_view m, const Fields& f = {}) { write(Level::debug, m, f); }
inline void info(std::string_view m, const Fields& f = {}) { write(Level::info, m, f); }
inline void warn(std::string_view m, const Fields& f = {}) { write(Level::warn, m, f); }
inline void error(std::string_view m, const Fields& f = {}) { write(Level::error, m, f); }

}  // namespace triage::log
