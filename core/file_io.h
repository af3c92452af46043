// File helpers for every triage library: whole-file reads and JSON parsing that throw
// InputError naming the file, and atomic writes (temporary name, then rename).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace triage {

std::string read_file(const std::filesystem::path& file);
// Parses file as JSON; errors name the file and nlohmann's line/column.
nlohmann::json read_json_file(const std::filesystem::path& file);
// Writes content to file.tmp-PID then renames it over file, so readers never see half a
// file (the PID keeps two processes writing the same file from sharing a temporary).
void write_file_atomic(const std::filesystem::path& file, const std::string& content);

}  // namespace triage
