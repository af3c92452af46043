// triage-data: data tools for ML engineers (see data/data_cli.h, docs/data.md).
#include "data/data_cli.h"

int main(int argc, char** argv) {
  return triage::data::data_cli_main(std::vector<std::string>(argv + 1, argv + argc));
}
