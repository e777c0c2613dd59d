// Optional components a test needs (MODEWISE_WITH_<NAME>, reported in the configure summary): without one, the test
// skips and says why, instead of failing or being silently absent.
#pragma once
#include <gtest/gtest.h>

#ifndef MODEWISE_HAVE_ONNX
#define MODEWISE_HAVE_ONNX 1
#endif

#if MODEWISE_HAVE_ONNX
#define MODEWISE_REQUIRE_ONNX() static_cast<void>(0)
#else
#define MODEWISE_REQUIRE_ONNX() GTEST_SKIP() << "built without ONNX support (MODEWISE_WITH_ONNX; install libonnx-dev)"
#endif
