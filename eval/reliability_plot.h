// Reliability diagrams (triage-eval --plot, issue 18): one PNG with a panel per score kind
// (intent left, token right) of a CalibrationReport. In each panel the x axis is confidence
// and the y axis accuracy, both 0 to 1 with grid lines every 0.2; the grey diagonal is perfect
// calibration; each of the 15 bins draws the accuracy of its raw scores as a wide light-red
// bar and of the calibrated scores as a narrow blue bar (bins without rows draw nothing). The
// numbers (temperatures, ECE before and after) go into the PNG's tEXt "Description". Written
// with libpng to a temporary name, then renamed.
#pragma once

#include <filesystem>

#include "eval/calibration.h"

namespace triage::eval {

// InputError naming the path when it cannot be written.
void write_reliability_png(const std::filesystem::path& path, const CalibrationReport& report);

}  // namespace triage::eval
