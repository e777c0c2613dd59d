#include "modewise/device/backend.h"

namespace modewise::device {

std::string to_string(Provenance p) {
  switch (p) {
    case Provenance::measured: return "measured";
    case Provenance::emulated: return "emulated";
    case Provenance::replayed: return "replayed";
  }
  return "unknown";
}

}  // namespace modewise::device
