#!/usr/bin/env python3
"""Train a torchvision model and report each minibatch to modewise (docs/HARDWARE.md).

Profile it at several power modes on a Jetson (measured numbers; needs root to change modes):

    sudo modewise profile --device jetson --workload resnet18-mine --modes random:20 --minibatches 40 \\
        --out mine.csv --command "python3 examples/pytorch_train.py --model resnet18"

modewise sets MODEWISE_PIPE, MODEWISE_MINIBATCHES, MODEWISE_BATCH_SIZE and MODEWISE_WORKERS; this script reads
them (command-line flags win) so a campaign's --batch-size and --workers reach the DataLoader. It also runs on
its own (no MODEWISE_PIPE: the probe does nothing).

Data: --data DIR reads an ImageFolder (the published method keeps it on NVMe); without it, random 224x224
images are generated in memory (no fetch stalls from storage, so fetch time is DataLoader overhead only).
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


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet18", help="torchvision model name (resnet18, resnet50, mobilenet_v3_large)")
    p.add_argument("--batch-size", type=int, default=env_int("MODEWISE_BATCH_SIZE", 16))
    p.add_argument("--workers", type=int, default=env_int("MODEWISE_WORKERS", 4))
    p.add_argument("--prefetch", type=int, default=2, help="DataLoader prefetch_factor")
    p.add_argument("--data", default="", help="ImageFolder directory; random images when empty")
    p.add_argument("--minibatches", type=int, default=env_int("MODEWISE_MINIBATCHES", 200),
                   help="stop after this many minibatches (modewise stops the command anyway)")
    p.add_argument("--task", default=os.environ.get("MODEWISE_TASK", "train"), choices=["train", "infer"])
    args = p.parse_args()

    import torch
    import torchvision
    from torch.utils.data import DataLoader, Dataset

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if args.data:
        tf = torchvision.transforms.Compose([
            torchvision.transforms.RandomResizedCrop(224),
            torchvision.transforms.ToTensor(),
        ])
        dataset = torchvision.datasets.ImageFolder(args.data, transform=tf)
        num_classes = len(dataset.classes)
    else:
        class RandomImages(Dataset):
            def __len__(self):
                return 100000

            def __getitem__(self, i):
                return torch.rand(3, 224, 224), i % 1000
        dataset = RandomImages()
        num_classes = 1000

    extra = {"prefetch_factor": args.prefetch, "persistent_workers": True} if args.workers > 0 else {}
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                        pin_memory=True, drop_last=True, **extra)
    model = getattr(torchvision.models, args.model)(num_classes=num_classes).to(device)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    model.train(args.task == "train")

    probe = Probe(sync=sync)
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
            if done >= args.minibatches or probe.done():
                break
        if probe.done():
            break
    probe.close()
    elapsed = time.monotonic() - start
    print("%d minibatches of %d in %.1f s on %s" % (done, args.batch_size, elapsed, device), file=sys.stderr)


if __name__ == "__main__":
    main()
