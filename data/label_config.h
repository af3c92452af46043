// A label schema given outside the data (issue 19): what `triage-data validate --schema`
// checks examples against, and what `triage-data labelconfig` writes for a Label Studio
// project.
//
// read_schema(path) takes
//   - a checkpoint directory (its triage.json label_schema: the labels a model was trained on),
//   - a Label Studio labeling config (XML; parsed with libxml2): the `value` of every <Label>
//     inside a <Labels> tag are the entity types, of every <Choice> inside a <Choices> tag the
//     intents,
//   - a JSON file: a triage.json, or {"entity_types": [...], "intents": [...]}.
// Errors (InputError) name the file and, for XML, the line.
#pragma once

#include <filesystem>
#include <string>

#include "data/example.h"
#include "data/labels.h"
#include "data/readers.h"

namespace triage::data {

LabelSchema read_schema(const std::filesystem::path& path);

// The Label Studio labeling config for a schema, matching what triage writes and reads:
// <Text name="text" value="$text"/>, <Labels name="label" toName="text"> with one <Label> per
// entity type, <Choices name="intent" toName="text"> with one <Choice> per intent (left out
// when the schema has none).
std::string labelstudio_config(const LabelSchema& schema);

// Every entity label and intent of `e` the schema does not hold, as an error on e's source
// (file and line or task), naming the example, the field and the labels the schema has.
// schema_name says where the schema came from. Returns the number of errors added. An
// intent is checked only when the schema lists intents.
int check_schema(const LabelSchema& schema, const std::string& schema_name, const Example& e, Diagnostics& diag);

}  // namespace triage::data
