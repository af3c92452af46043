#include "data/label_config.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/error.h"
#include "core/file_io.h"

namespace triage::data {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string xml_attr(xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (!v) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

bool named(xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

// Values of every <item> under every <group>, in document order, below n.
void collect(xmlNode* n, const char* group, const char* item, bool inside, const std::string& file,
             std::vector<std::string>& out) {
  for (xmlNode* c = n; c; c = c->next) {
    const bool in_group = inside || named(c, group);
    if (inside && named(c, item)) {
      std::string v = xml_attr(c, "value");
      if (v.empty())
        throw InputError(file + ":" + std::to_string(xmlGetLineNo(c)) + ": <" + item + "> without a value attribute");
      out.push_back(std::move(v));
    }
    if (c->children) collect(c->children, group, item, in_group, file, out);
  }
}

LabelSchema from_labelstudio_config(const std::string& xml, const std::string& file) {
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), file.c_str(), nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) {
    const xmlError* err = xmlGetLastError();
    std::string msg = err && err->message ? err->message : "not well-formed";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw InputError(file + ":" + std::to_string(err ? err->line : 0) +
                     ": not a Label Studio labeling config (XML): " + msg);
  }
  std::vector<std::string> types, intents;
  try {
    collect(xmlDocGetRootElement(doc), "Labels", "Label", false, file, types);
    collect(xmlDocGetRootElement(doc), "Choices", "Choice", false, file, intents);
  } catch (...) {
    xmlFreeDoc(doc);
    throw;
  }
  xmlFreeDoc(doc);
  if (types.empty() && intents.empty())
    throw InputError(file + ": a Label Studio labeling config with no <Labels>/<Label value=...> and no "
                     "<Choices>/<Choice value=...>: no labels to check against");
  return LabelSchema(std::move(types), std::move(intents));
}

LabelSchema from_json_file(const std::string& text, const std::string& file) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(file + ": not a label schema (JSON or Label Studio XML): " + e.what());
  }
  if (j.is_object() && j.contains("label_schema")) j = j["label_schema"];  // a triage.json
  if (!j.is_object() || !j.contains("entity_types") || !j["entity_types"].is_array())
    throw InputError(file + ": a label schema needs \"entity_types\" (a list; \"intents\" optional), or a "
                     "triage.json with \"label_schema\"");
  std::vector<std::string> types, intents;
  try {
    types = j["entity_types"].get<std::vector<std::string>>();
    if (j.contains("intents")) intents = j["intents"].get<std::vector<std::string>>();
  } catch (const json::exception&) {
    throw InputError(file + ": \"entity_types\" and \"intents\" must be lists of strings");
  }
  return LabelSchema(std::move(types), std::move(intents));
}

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}

}  // namespace

LabelSchema read_schema(const fs::path& path) {
  if (fs::is_directory(path)) {
    const fs::path meta = path / "triage.json";
    if (!fs::exists(meta))
      throw InputError(path.string() + ": a directory given as the label schema holds no triage.json (a triage "
                       "checkpoint is expected)");
    return from_json_file(read_file(meta), meta.string());
  }
  const std::string text = read_file(path);
  const size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (first != std::string::npos && text[first] == '<') return from_labelstudio_config(text, path.string());
  return from_json_file(text, path.string());
}

std::string labelstudio_config(const LabelSchema& schema) {
  std::string x = "<View>\n  <Labels name=\"label\" toName=\"text\">\n";
  for (const auto& t : schema.entity_types()) x += "    <Label value=\"" + xml_escape(t) + "\"/>\n";
  x += "  </Labels>\n  <Text name=\"text\" value=\"$text\"/>\n";
  if (!schema.intents().empty()) {
    x += "  <Choices name=\"intent\" toName=\"text\" choice=\"single\">\n";
    for (const auto& i : schema.intents()) x += "    <Choice value=\"" + xml_escape(i) + "\"/>\n";
    x += "  </Choices>\n";
  }
  return x + "</View>\n";
}

int check_schema(const LabelSchema& schema, const std::string& schema_name, const Example& e, Diagnostics& diag) {
  int n = 0;
  for (size_t k = 0; k < e.entities.size(); ++k) {
    const auto& sp = e.entities[k];
    if (schema.entity_type_id(sp.label) >= 0) continue;
    diag.error(e.source.file, e.source.line,
               "example '" + e.id + "': entity " + std::to_string(k) + " [" + std::to_string(sp.start) + ", " +
                   std::to_string(sp.end) + ") label '" + sp.label + "' is not in the schema (" + schema_name +
                   ": " + joined(schema.entity_types()) + ")");
    ++n;
  }
  if (!e.intent.empty() && !schema.intents().empty() && schema.intent_id(e.intent) < 0) {
    diag.error(e.source.file, e.source.line,
               "example '" + e.id + "': intent '" + e.intent + "' is not in the schema (" + schema_name + ": " +
                   joined(schema.intents()) + ")");
    ++n;
  }
  return n;
}

}  // namespace triage::data
