#!/usr/bin/env python3
"""Train a CNN with PyTorch and report each minibatch to modewise (docs/HARDWARE.md).

Profile it at several power modes on a Jetson (measured numbers; needs root to change modes):

    sudo modewise profile --device jetson --workload resnet18-mine --modes random:20 --minibatches 40 \\
        --out mine.csv --command "python3 examples/pytorch_train.py --model resnet18"

modewise sets MODEWISE_PIPE, MODEWISE_MINIBATCHES, MODEWISE_BATCH_SIZE and MODEWISE_WORKERS; this script reads
them (command-line flags win) so a campaign's --batch-size and --workers reach the DataLoader. It also runs on
its own (no MODEWISE_PIPE: the probe does nothing). When modewise goes away mid-run (its end of the pipe closes,
e.g. after kill -9), the script stops at the next minibatch instead of training on unobserved.

Models: --model tinycnn (default; a small CNN defined here, needs only torch) or any torchvision model name
(resnet18, resnet50, mobilenet_v3_large: needs torchvision). Data: --data DIR reads an ImageFolder (torchvision;
the published method keeps it on NVMe); without it, random images of --image-size pixels are generated, and
--load-ms makes each sample cost that long to load (a slow medium or heavy decoding), so DataLoader workers matter.
Runs on the GPU when CUDA is available, else on the CPU (--threads sets torch's CPU threads).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from modewise_probe import Probe  # noqa: E402


def env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() else default


def tiny_cnn(torch, num_classes):
    """Two conv blocks and a linear head: small enough to train on a CPU in milliseconds per minibatch."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
        nn.Flatten(), nn.Linear(32 * 4 * 4, num_classes))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="tinycnn",
                   help="tinycnn (defined here) or a torchvision model name (resnet18, resnet50, mobilenet_v3_large)")
    p.add_argument("--batch-size", type=int, default=env_int("MODEWISE_BATCH_SIZE", 16))
    p.add_argument("--workers", type=int, default=env_int("MODEWISE_WORKERS", 4), help="DataLoader worker processes")
    p.add_argument("--prefetch", type=int, default=2, help="DataLoader prefetch_factor")
    p.add_argument("--data", default="", help="ImageFolder directory (needs torchvision); random images when empty")
    p.add_argument("--image-size", type=int, default=224, help="side of the random images in pixels")
    p.add_argument("--num-classes", type=int, default=1000, help="classes of the random data set")
    p.add_argument("--load-ms", type=float, default=0.0,
                   help="time each random sample takes to load, in ms (sleep in __getitem__; 0: none)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--minibatches", type=int, default=env_int("MODEWISE_MINIBATCHES", 200),
                   help="stop after this many minibatches (modewise stops the command anyway)")
    p.add_argument("--task", default=os.environ.get("MODEWISE_TASK", "train"), choices=["train", "infer"])
    args = p.parse_args()

    import torch
    from torch.utils.data import DataLoader, Dataset

    torch.manual_seed(args.seed)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if args.data:
        try:
            import torchvision
        except ImportError:
            sys.exit("pytorch_train.py: --data needs torchvision (python3-torchvision or pip install torchvision)")
        tf = torchvision.transforms.Compose([
            torchvision.transforms.RandomResizedCrop(args.image_size),
            torchvision.transforms.ToTensor(),
        ])
        dataset = torchvision.datasets.ImageFolder(args.data, transform=tf)
        num_classes = len(dataset.classes)
    else:
        class RandomImages(Dataset):
            def __init__(self, size, classes, load_s):
                self.size, self.classes, self.load_s = size, classes, load_s

            def __len__(self):
                return 100000

            def __getitem__(self, i):
                if self.load_s > 0:
                    time.sleep(self.load_s)
                g = torch.Generator().manual_seed(i)
                return torch.rand(3, self.size, self.size, generator=g), i % self.classes
        dataset = RandomImages(args.image_size, args.num_classes, args.load_ms / 1000.0)
        num_classes = args.num_classes

    extra = {"prefetch_factor": args.prefetch, "persistent_workers": True} if args.workers > 0 else {}
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                        pin_memory=device.type == "cuda", drop_last=True, **extra)
    if args.model == "tinycnn":
        model = tiny_cnn(torch, num_classes)
    else:
        try:
            import torchvision
        except ImportError:
            sys.exit("pytorch_train.py: --model %s needs torchvision; --model tinycnn needs only torch" % args.model)
        model = getattr(torchvision.models, args.model)(num_classes=num_classes)
    model = model.to(device)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    model.train(args.task == "train")

    probe = Probe(sync=sync)
    watched = probe.enabled  # started by modewise: stop when it goes away
    done = 0
    start = time.monotonic()
    while done < args.minibatches:
        for images, labels in probe.iterate(loader):
            images = images.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            if args.task == "train":
                optimizer.zero_grad(set_to_none=True)
                loss = criterion(model(images), labels)
                loss.backward()
                optimizer.step()
            else:
                with torch.no_grad():
                    model(images)
            done += 1
            if done >= args.minibatches or probe.done() or (watched and not probe.enabled):
                break
        if probe.done() or (watched and not probe.enabled):
            break
    if watched and not probe.enabled:
        print("pytorch_train.py: modewise went away (its pipe closed); stopping after %d minibatches" % done,
              file=sys.stderr)
        sys.exit(1)
    probe.close()
    elapsed = time.monotonic() - start
    print("%d minibatches of %d in %.1f s on %s" % (done, args.batch_size, elapsed, device), file=sys.stderr)


if __name__ == "__main__":
    main()
