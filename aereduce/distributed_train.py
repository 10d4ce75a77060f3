"""Training on several processes with PyTorch's DistributedDataParallel.

Run it under ``torchrun``, with the model and data options of ``aereduce fit`` (not ``--stream``
or ``--ensemble``: every process reads the whole table)::

    torchrun --standalone --nproc_per_node=2 -m aereduce.distributed_train data.csv --dim 8 -o model.aer

Every process reads DATA and makes the same split, scaling and start (PCA's) as ``aereduce
fit``; each epoch a ``DistributedSampler`` gives each process its share of a fresh permutation
of the training rows, and DistributedDataParallel averages the gradients (the ``gloo`` backend
on CPUs, ``nccl`` with ``--backend nccl`` on GPUs). Each process takes ``ceil(batch / N)`` rows per
step, so the global batch, the number of steps and the learning-rate schedule are those of a
one-process fit. Validation losses are summed over the processes' shares of the validation rows,
so every process makes the same early-stopping decision. Process 0 prints the report and writes
the model (atomically). The neighbour term is left off (``"auto"``) or refused, and greedy
pretraining runs in every process alike (it is not shared out).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import click

from ._cli_support import ProgressLines, ae_params, data_options, fit_output_options, model_options, read_options
from .cli import global_options
from .estimator import AutoencoderTransformer

WHO = "distributed training"


def _dist() -> Any:
    import torch.distributed as dist

    return dist


_TRAINER: type | None = None


def distributed_trainer_class() -> type:
    """:class:`DistributedTrainer`, defined on first use (it subclasses the torch-based Trainer)."""
    global _TRAINER
    if _TRAINER is None:
        import torch
        from torch.nn.parallel import DistributedDataParallel
        from torch.utils.data import DistributedSampler

        from ._training import Trainer

        class LossModule(torch.nn.Module):
            """The objective on a batch as a module's forward pass, which DistributedDataParallel wraps."""

            def __init__(self, trainer: Trainer):
                super().__init__()
                self.model = trainer.model
                self._trainer = [trainer]  # in a list: not a submodule

            def forward(self, xb: torch.Tensor) -> torch.Tensor:
                trainer = self._trainer[0]
                return Trainer.loss(trainer, xb)

        class DistributedTrainer(Trainer):
            """The Trainer with gradients averaged over the processes and the rows shared out among them."""

            def __init__(self, model: Any, objective: Any, *, batch_size: int = 256, **kwargs: Any):
                dist = _dist()
                self.rank, self.world = dist.get_rank(), dist.get_world_size()
                super().__init__(model, objective, batch_size=math.ceil(batch_size / self.world), **kwargs)
                self.ddp = DistributedDataParallel(LossModule(self))
                self.epoch = 0
                self.sampler_seed = int(torch.randint(1 << 31, (1,), generator=self.generator,
                                                      device=self.generator.device))

            def loss(self, xb: torch.Tensor) -> torch.Tensor:
                return self.ddp(xb)

            def batches(self, X: torch.Tensor) -> Iterator[torch.Tensor]:
                sampler = DistributedSampler(range(X.shape[0]), num_replicas=self.world, rank=self.rank,
                                             shuffle=True, seed=self.sampler_seed)
                sampler.set_epoch(self.epoch)
                self.epoch += 1
                order = torch.tensor(list(sampler), dtype=torch.long, device=X.device)
                return (order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size))

            def steps_per_epoch(self, X: torch.Tensor) -> int:
                return math.ceil(math.ceil(X.shape[0] / self.world) / self.batch_size)

            def _sum(self, *values: float) -> list[float]:
                total = torch.tensor(values, dtype=torch.float64)
                _dist().all_reduce(total)
                return total.tolist()

            def train_epoch(self, X: torch.Tensor) -> float:
                mean = super().train_epoch(X)
                rows = math.ceil(X.shape[0] / self.world)  # every share has this many rows (padded)
                total, count = self._sum(mean * rows, rows)
                return total / count

            def evaluate(self, X: torch.Tensor) -> float:
                share = X[self.rank :: self.world]
                total, count = self._sum(super().evaluate(share) * len(share) if len(share) else 0.0, len(share))
                return total / max(1, count)

        _TRAINER = DistributedTrainer
    return _TRAINER


class DistributedAutoencoder(AutoencoderTransformer):
    """The autoencoder, trained by :class:`DistributedTrainer` in each process of a process group;
    only process 0 writes it. Its model files are ordinary autoencoder files."""

    def _initialise(self, X: Any, streaming: bool | str = False, **kwargs: Any) -> None:
        super()._initialise(X, streaming or WHO, **kwargs)

    def _make_trainer(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("trainer_class", distributed_trainer_class())
        return super()._make_trainer(*args, **kwargs)

    def save(self, path: Any) -> None:
        if _dist().get_rank() == 0:
            super().save(path)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("data")
@model_options
@data_options
@fit_output_options
@click.option("--backend", type=click.Choice(["gloo", "nccl"]), default="gloo", show_default=True,
              help="torch.distributed backend: gloo for CPUs, nccl for GPUs.")
@global_options  # -q and --debug, as aereduce fit has them (trial 26 got torchrun's traceback for -q)
def main(data: str, output: str | None, holdout: float, backend: str, dim: int, method: str, seed: int,
         **kwargs: Any) -> None:
    """Fit the autoencoder on DATA in every process of a torchrun job and save it (process 0).

    \b
    Example:
      torchrun --standalone --nproc_per_node=2 -m aereduce.distributed_train data.csv --dim 8 -o model.aer
    """
    import warnings

    from ._cli_support import in_command_line_words
    from .cli import command_line_warnings
    from .errors import AereduceError, OptionError, command_line_message
    from .usecases import default_model_path, fit_model

    command_line_warnings()
    if not _speaks():
        warnings.simplefilter("ignore")  # every process meets the same warnings: process 0 says them

    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        raise click.UsageError("run it under torchrun, e.g. torchrun --standalone --nproc_per_node=2 "
                               "-m aereduce.distributed_train data.csv --dim 8 -o model.aer")
    if method != "ae":
        raise click.BadParameter("distributed training fits the autoencoder only", param_hint="--method")
    flags = click.get_current_context().ensure_object(dict)
    quiet, debug = flags.get("quiet", False), flags.get("debug", False)
    dist = _dist()
    dist.init_process_group(backend)
    rank = dist.get_rank()
    try:
        failure: Exception | None = None
        try:
            read = read_options(kwargs)
            reducer = DistributedAutoencoder(n_components=dim, random_state=seed, **ae_params(kwargs))
            # Process 0 says how training goes, as a line every 30 s (torchrun's output is a log).
            with ProgressLines("training") if rank == 0 and not quiet else contextlib.nullcontext() as progress:
                report = fit_model(data, output or default_model_path(data), dim=dim, read=read, seed=seed,
                                   holdout=holdout, reducer=reducer, stream=False, progress=progress)
        except (AereduceError, OSError) as exc:
            if debug:
                raise
            failure = exc
        usage = isinstance(failure, OptionError)  # options that do not work together, or with this data
        # Process 0 alone writes the model, after training: every process learns whether any failed
        # (a full disk on process 0, say), where a barrier would keep the others waiting for it
        # until the backend's timeout.
        import torch

        failed = torch.tensor([int(failure is not None)], device="cuda" if backend == "nccl" else "cpu")
        dist.all_reduce(failed)
        n_failed = int(failed.item())
        if n_failed:
            # Bad input fails every process alike: process 0 says it once; otherwise each that failed says why.
            if failure is not None and (rank == 0 or n_failed < dist.get_world_size()):
                message = command_line_message(failure)
                click.echo(f"Error: {in_command_line_words(message) if usage else message}", err=True)
        elif rank == 0 and not quiet:
            report.notes.append(f"trained on {dist.get_world_size()} processes ({backend})")
            for line in report.lines():
                click.echo(line, err=True)
    finally:
        dist.destroy_process_group()
    # Python's own shutdown after DistributedDataParallel sometimes aborted in C++ teardown
    # ("terminate called without an active exception", SIGABRT: 5 of 40 runs of 2 CPU processes in
    # a review) after the model was written, and the job failed. Everything is written now, so the
    # process ends at once with its status (an unexpected error above still ends with its traceback).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit((2 if usage else 1) if n_failed else 0)


# Seconds a process other than 0 waits before it exits on an error that process 0 says.
SILENT_EXIT_DELAY = 10.0


def _speaks() -> bool:
    """Whether this process reports: process 0 of a torchrun job, or a process run alone."""
    return os.environ.get("RANK", "0") == "0"


def run(args: list[str] | None = None) -> None:
    """The entry point: click's own errors (an unknown option, say), which every process meets
    alike, are said by process 0 alone, with click's exit status (2)."""
    try:
        status = main.main(args, prog_name="python -m aereduce.distributed_train", standalone_mode=False)
    except click.ClickException as exc:
        if _speaks():
            exc.show()
        else:
            # Let process 0 say it first: a process that failed sooner made torchrun end process 0
            # before it had, and the user saw no error at all (a run beside other tests; trial 30's CI).
            # torchrun ends this one as soon as process 0 has exited.
            time.sleep(SILENT_EXIT_DELAY)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    run()
