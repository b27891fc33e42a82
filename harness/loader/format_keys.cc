#include "harness/loader/format_keys.h"

namespace faultline {

FormatKeys LoaderFormatKeys() {
  FormatKeys k;
  AddCaseFormatKeys(&k);
  AddStepFormatKeys(&k);
  AddExpectFormatKeys(&k);
  AddObserveFormatKeys(&k);
  AddFaultFormatKeys(&k);
  AddPacketsFormatKeys(&k);
  AddTimingFormatKeys(&k);
  AddMatrixFormatKeys(&k);
  AddPacketFormatKeys(&k);
  return k;
}

}  // namespace faultline
