// Standard base64 (RFC 4648, '=' padding) decoding, for binary blobs inside JSON files
// (tokenizer.json's precompiled_charsmap).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace triage {

// The bytes of `text`, or nullopt when it is not padded standard base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace triage
