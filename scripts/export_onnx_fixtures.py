#!/usr/bin/python3
"""Export the small, weight-stripped ONNX fixtures in tests/fixtures/onnx/ (CI does not run this).

Run with Debian's python, which sees the apt packages python3-torch, python3-torchvision and python3-onnx:
    apt-get install python3-torch python3-torchvision python3-onnx
    /usr/bin/python3 scripts/export_onnx_fixtures.py [--out tests/fixtures/onnx]

Models (FP32, batch 1, eval mode; BatchNormalization is folded into Conv by the exporter):
  resnet50, resnet18, mobilenetv3  torchvision's own definitions (mobilenet_v3_large), 224x224
  yolov8n                          YOLOv8n rebuilt from the published architecture (width 0.25, depth 0.33), 640x640,
                                   with the Detect head's inference decode (DFL + boxes + class sigmoid)
  bert-base                        BERT-base encoder (12 layers, 768 hidden, 12 heads, FFN 3072, vocab 30522),
                                   sequence length 384 (as the emulator's bert-base), explicit attention
                                   (MatMul / Softmax / MatMul)
  lstm                             embedding (10k x 256), a 2-layer LSTM (hidden 256) over 32 steps, linear head

Weights are random (no downloads). Before export every BatchNorm gets random statistics so that no two folded
tensors are equal (the exporter would otherwise de-duplicate them into Identity nodes).

Stripping: every initializer of 1 KiB or more keeps its name, data_type and dims but loses its data; it is
marked data_location=EXTERNAL with a location that is deliberately never written ("<model>.weights-stripped").
This is ONNX's own external-data mechanism, so the file stays a valid model for shape inference and parameter
counts come from the dims. Smaller initializers (shape constants, small biases) stay inline.
"""
import argparse
import math
import os

import onnx
import torch
import torch.nn as nn
import torchvision

STRIP_THRESHOLD_BYTES = 1024


def randomize_batchnorm(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=g) + 0.5
            m.bias.data = torch.rand(n, generator=g) - 0.5
            m.running_mean = torch.rand(n, generator=g) - 0.5
            m.running_var = torch.rand(n, generator=g) + 0.5
    return model


# ---------------------------------------------------------------- YOLOv8n (ultralytics yolov8.yaml, scale n)
class ConvBnSilu(nn.Module):
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut):
        super().__init__()
        self.cv1 = ConvBnSilu(c, c, 3)
        self.cv2 = ConvBnSilu(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    def __init__(self, c1, c2, n, shortcut):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = ConvBnSilu(c1, 2 * self.c, 1)
        self.cv2 = ConvBnSilu((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).split((self.c, self.c), 1))  # static split sizes: no Shape-derived Slice
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = ConvBnSilu(c1, c_, 1)
        self.cv2 = ConvBnSilu(c_ * 4, c2, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class Detect(nn.Module):
    def __init__(self, nc, ch, strides, img):
        super().__init__()
        self.nc, self.reg_max = nc, 16
        c2, c3 = max(16, ch[0] // 4, self.reg_max * 4), max(ch[0], min(nc, 100))
        self.cv2 = nn.ModuleList(
            nn.Sequential(ConvBnSilu(x, c2, 3), ConvBnSilu(c2, c2, 3), nn.Conv2d(c2, 4 * self.reg_max, 1)) for x in ch)
        self.cv3 = nn.ModuleList(
            nn.Sequential(ConvBnSilu(x, c3, 3), ConvBnSilu(c3, c3, 3), nn.Conv2d(c3, nc, 1)) for x in ch)
        self.dfl = nn.Conv2d(self.reg_max, 1, 1, bias=False)
        self.dfl.weight.data[:] = torch.arange(self.reg_max, dtype=torch.float).view(1, self.reg_max, 1, 1)
        self.a = sum((img // s) ** 2 for s in strides)  # anchors, a static number
        anchors, stride_t = [], []
        for s in strides:
            h = w = img // s
            sy, sx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
            anchors.append(torch.stack((sx, sy), -1).view(-1, 2))
            stride_t.append(torch.full((h * w, 1), float(s)))
        self.register_buffer("anchors", torch.cat(anchors).transpose(0, 1).unsqueeze(0))
        self.register_buffer("strides", torch.cat(stride_t).transpose(0, 1).unsqueeze(0))

    def forward(self, xs):
        # static shapes throughout (reshape with constants) so that ONNX shape inference resolves every tensor
        outs = [torch.cat((self.cv2[i](x), self.cv3[i](x)), 1).flatten(2) for i, x in enumerate(xs)]
        y = torch.cat(outs, 2)
        box, cls = y.split((4 * self.reg_max, self.nc), 1)
        dist = self.dfl(box.reshape(-1, 4, self.reg_max, self.a).transpose(2, 1).softmax(1)).reshape(-1, 4, self.a)
        lt, rb = dist.split((2, 2), 1)
        x1y1, x2y2 = self.anchors - lt, self.anchors + rb
        xywh = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * self.strides
        return torch.cat((xywh, cls.sigmoid()), 1)


class YoloV8n(nn.Module):
    def __init__(self, nc=80, img=640):
        super().__init__()
        self.b0, self.b1, self.b2 = ConvBnSilu(3, 16, 3, 2), ConvBnSilu(16, 32, 3, 2), C2f(32, 32, 1, True)
        self.b3, self.b4 = ConvBnSilu(32, 64, 3, 2), C2f(64, 64, 2, True)
        self.b5, self.b6 = ConvBnSilu(64, 128, 3, 2), C2f(128, 128, 2, True)
        self.b7, self.b8, self.b9 = ConvBnSilu(128, 256, 3, 2), C2f(256, 256, 1, True), SPPF(256, 256, 5)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.h12, self.h15 = C2f(384, 128, 1, False), C2f(192, 64, 1, False)
        self.h16, self.h18 = ConvBnSilu(64, 64, 3, 2), C2f(192, 128, 1, False)
        self.h19, self.h21 = ConvBnSilu(128, 128, 3, 2), C2f(384, 256, 1, False)
        self.detect = Detect(nc, (64, 128, 256), (8, 16, 32), img)

    def forward(self, x):
        x = self.b2(self.b1(self.b0(x)))
        p4 = self.b4(self.b3(x))
        p6 = self.b6(self.b5(p4))
        p9 = self.b9(self.b8(self.b7(p6)))
        h12 = self.h12(torch.cat((self.up(p9), p6), 1))
        h15 = self.h15(torch.cat((self.up(h12), p4), 1))
        h18 = self.h18(torch.cat((self.h16(h15), h12), 1))
        h21 = self.h21(torch.cat((self.h19(h18), p9), 1))
        return self.detect([h15, h18, h21])


# ---------------------------------------------------------------- BERT-base encoder
class BertLayer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.heads, self.d = heads, hidden // heads
        self.q, self.k, self.v = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.o = nn.Linear(hidden, hidden)
        self.ln1, self.ln2 = nn.LayerNorm(hidden, eps=1e-12), nn.LayerNorm(hidden, eps=1e-12)
        self.ff1, self.ff2 = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
        self.gelu = nn.GELU()

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.d).transpose(1, 2)

    def forward(self, x, mask):
        b, s, h = x.shape
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d) + mask
        ctx = torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(b, s, h)
        x = self.ln1(x + self.o(ctx))
        return self.ln2(x + self.ff2(self.gelu(self.ff1(x))))


class BertBase(nn.Module):
    def __init__(self, vocab=30522, hidden=768, layers=12, heads=12, ffn=3072, max_pos=512):
        super().__init__()
        self.word, self.pos, self.tok_type = nn.Embedding(vocab, hidden), nn.Embedding(max_pos, hidden), nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(hidden, heads, ffn) for _ in range(layers))
        self.pool = nn.Linear(hidden, hidden)

    def forward(self, ids, attention_mask):
        s = ids.shape[1]
        pos = torch.arange(s).unsqueeze(0)
        x = self.ln(self.word(ids) + self.pos(pos) + self.tok_type(torch.zeros_like(ids)))
        mask = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, mask)
        return x, torch.tanh(self.pool(x[:, 0]))


class LstmModel(nn.Module):
    def __init__(self, vocab=10000, emb=256, hidden=256, layers=2, out=2):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, layers)
        self.head = nn.Linear(hidden, out)

    def forward(self, tokens):
        y, _ = self.lstm(self.emb(tokens))
        return self.head(y[-1])


def strip_weights(model: onnx.ModelProto, location: str) -> int:
    stripped = 0
    for t in model.graph.initializer:
        size = len(t.raw_data) if t.HasField("raw_data") else 0
        if size < STRIP_THRESHOLD_BYTES:
            continue
        t.ClearField("raw_data")
        t.data_location = onnx.TensorProto.EXTERNAL
        del t.external_data[:]
        for k, v in (("location", location), ("offset", "0"), ("length", str(size))):
            e = t.external_data.add()
            e.key, e.value = k, v
        stripped += size
    return stripped


def export(name, model, args, input_names, output_names, out_dir, opset=17):
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(model.eval(), args, path, opset_version=opset, do_constant_folding=True,
                      input_names=input_names, output_names=output_names)
    m = onnx.load(path)
    params = sum(math.prod(t.dims) for t in m.graph.initializer)
    stripped = strip_weights(m, name + ".weights-stripped")
    m.doc_string = f"modewise test fixture: {name}, random weights stripped by scripts/export_onnx_fixtures.py"
    onnx.save(m, path)
    print(f"{path}: {len(m.graph.node)} nodes, {params} parameters, {stripped / 1e6:.1f} MB stripped, "
          f"{os.path.getsize(path) / 1024:.0f} KiB")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "onnx"))
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    img = torch.zeros(1, 3, 224, 224)
    export("resnet50", randomize_batchnorm(torchvision.models.resnet50()), img, ["input"], ["logits"], out)
    export("resnet18", randomize_batchnorm(torchvision.models.resnet18()), img, ["input"], ["logits"], out)
    export("mobilenetv3", randomize_batchnorm(torchvision.models.mobilenet_v3_large()), img, ["input"], ["logits"], out)
    export("yolov8n", randomize_batchnorm(YoloV8n()), torch.zeros(1, 3, 640, 640), ["images"], ["output0"], out)
    ids = torch.zeros(1, 384, dtype=torch.long)
    export("bert-base", BertBase(), (ids, torch.ones(1, 384, dtype=torch.long)), ["input_ids", "attention_mask"],
           ["last_hidden_state", "pooler_output"], out)
    export("lstm", LstmModel(), torch.zeros(32, 1, dtype=torch.long), ["tokens"], ["logits"], out)


if __name__ == "__main__":
    main()
