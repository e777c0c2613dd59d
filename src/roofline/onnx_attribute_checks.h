// Internal: the attributes ONNX shape inference trusts, checked before it runs. ONNX 1.12's per-op inference
// functions index input dims with attributes such as Split's axis without a bounds check (a Split axis of 118
// segfaults inside InferShapes), so a malformed model must be stopped before shape inference.
#pragma once
#include <string>

#include <onnx/onnx_pb.h>

namespace modewise::roofline::detail {

// Walk the graph in order, learning each tensor's rank from graph inputs, initializers and the per-op inference of
// nodes already checked, and check every rank-dependent attribute (axis, axes, perm, kernel_shape, strides, pads,
// dilations, split, blocksize, batch_dims, ...) of Split, Concat, Gather*, Scatter*, Softmax/LogSoftmax/Hardmax,
// Flatten, Transpose, Squeeze/Unsqueeze, Reduce*, ArgMax/ArgMin, TopK, Compress, OneHot, LpNormalization,
// LayerNormalization, ReverseSequence, DepthToSpace/SpaceToDepth, Conv/ConvTranspose/pools, Pad and Slice.
// Throws Error("<source>: node '<name>' (<op>): attribute 'axis' = 118 is out of range ...") for the first bad one.
// The model must have passed onnx::checker (attribute types are right).
void check_attributes_before_inference(const onnx::ModelProto& model, const std::string& source);

}  // namespace modewise::roofline::detail
