"""Report minibatch boundaries to modewise (the line protocol of docs/HARDWARE.md).

modewise runs your training or inference command once per power mode and passes the path of a FIFO in the
environment variable MODEWISE_PIPE. This module writes one line per event to it:

    hello 1 <pid>
    mb_begin <t_ns>      the loop asks the DataLoader for the next batch
    fetch_end <t_ns>     the batch is ready (mb_begin..fetch_end is the data-fetch stall)
    mb_end <t_ns>        the step finished (after synchronizing the GPU)
    bye

Timestamps are time.monotonic_ns() (CLOCK_MONOTONIC), the clock modewise samples power on. Without
MODEWISE_PIPE every call is a no-op, so the same script runs outside modewise.

    from modewise import Probe          # or, without building the package: from modewise_probe import Probe
    probe = Probe(sync=torch.cuda.synchronize)
    for images, labels in probe.iterate(loader):   # marks mb_begin / fetch_end / mb_end around each step
        loss = criterion(model(images.cuda()), labels.cuda())
        ...
        if probe.done():                             # modewise asked for MODEWISE_MINIBATCHES minibatches
            break

No third-party imports and no compiled code (python/modewise_probe.py loads this file alone, so workloads can
use it from a source checkout without building the package); Python 3.7+ (time.monotonic_ns).
"""

import os
import time

__all__ = ["Probe"]

PROTOCOL_VERSION = 1


class Probe:
    """Writes the minibatch protocol to $MODEWISE_PIPE (or does nothing when it is unset)."""

    def __init__(self, path=None, sync=None):
        self.path = path if path is not None else os.environ.get("MODEWISE_PIPE", "")
        self.sync = sync  # e.g. torch.cuda.synchronize: called before mb_end so GPU work is counted
        wanted = os.environ.get("MODEWISE_MINIBATCHES", "")
        self.minibatches = int(wanted) if wanted.isdigit() else None
        self.count = 0
        self._fd = None
        self._open = False
        if self.path:
            # Blocks until modewise has the FIFO open for reading (it opens it before starting the command).
            self._fd = os.open(self.path, os.O_WRONLY)
            self._send("hello %d %d" % (PROTOCOL_VERSION, os.getpid()))

    @property
    def enabled(self):
        return self._fd is not None

    def _send(self, line):
        if self._fd is None:
            return
        data = (line + "\n").encode("ascii")
        try:
            os.write(self._fd, data)  # one write() of < 512 bytes: atomic on a pipe
        except (BrokenPipeError, OSError):
            self._fd = None  # modewise went away; keep training

    def begin(self):
        """A minibatch starts (call before fetching its data)."""
        if self._open:
            raise RuntimeError("modewise_probe: begin() twice without end()")
        self._open = True
        self._send("mb_begin %d" % time.monotonic_ns())

    def fetched(self):
        """The minibatch's data is ready; compute starts."""
        self._send("fetch_end %d" % time.monotonic_ns())

    def end(self):
        """The minibatch's compute is done (synchronizes the GPU first when `sync` was given)."""
        if not self._open:
            raise RuntimeError("modewise_probe: end() without begin()")
        if self.sync is not None:
            self.sync()
        self._send("mb_end %d" % time.monotonic_ns())
        self._open = False
        self.count += 1

    def minibatch(self, fetch_ms, compute_ms):
        """Report a minibatch the workload timed itself."""
        self._send("mb %.6f %.6f %d" % (fetch_ms, compute_ms, time.monotonic_ns()))
        self.count += 1

    def mark(self, label):
        self._send("mark %s %d" % (str(label).replace(" ", "_")[:64], time.monotonic_ns()))

    def done(self):
        """True once MODEWISE_MINIBATCHES minibatches were reported (modewise then stops the command anyway)."""
        done = self.count + (1 if self._open else 0)  # inside iterate(), the current minibatch counts
        return self.minibatches is not None and done >= self.minibatches

    def iterate(self, loader):
        """Yield batches from `loader`, marking mb_begin before each fetch, fetch_end after it and mb_end when
        the loop body has finished (at the next iteration or when the loop ends)."""
        it = iter(loader)
        while True:
            if self._open:
                raise RuntimeError("modewise_probe: iterate() inside an open minibatch")
            t_begin = time.monotonic_ns()
            try:
                batch = next(it)
            except StopIteration:
                return  # nothing was sent for a minibatch that did not happen
            t_fetched = time.monotonic_ns()
            self._open = True
            self._send("mb_begin %d" % t_begin)
            self._send("fetch_end %d" % t_fetched)
            try:
                yield batch
            finally:
                if self._open:
                    self.end()

    def close(self):
        if self._fd is not None:
            self._send("bye")
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
