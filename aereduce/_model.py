"""The autoencoder's architecture: a config dataclass and plain ``nn.Module``s.

Nothing here knows about training, scaling or scikit-learn; the estimator builds
an :class:`Autoencoder` from an :class:`AutoencoderConfig` and the training loop
drives it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from ._resolve import model_architecture

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
}


@dataclass
class AutoencoderConfig:
    n_features: int
    n_components: int
    hidden_layer_sizes: tuple[int, ...] = (256, 128)
    activation: str = "gelu"
    code_activation: str = "identity"  # "logistic" for KL sparsity, whose target is a rate in (0, 1)
    output_activation: str = "identity"  # the decoder returns pre-activation values; see Autoencoder.output
    tied_weights: bool = False
    variational: bool = False
    # "mlp", "conv" or "recurrent"; "auto" chooses by input_shape (_resolve.model_architecture)
    architecture: str = "auto"
    input_shape: tuple[int, ...] | None = None  # (channels, height, width): conv; (time_steps, features): recurrent
    conv_channels: tuple[int, ...] = field(default_factory=lambda: (32, 64))
    recurrent_units: int = 64
    linear_skip: bool = False  # a linear path beside the MLP, so the model can start at PCA's solution
    # A fixed linear projection (PCA's first axes, set in fit) in front of the MLP encoder; 0: none.
    input_projection: int = 0
    # The MLP decoder standardises the code (a fixed offset and scale, set in fit) before its first layer.
    decoder_standardises_code: bool = False
    # Layer normalisation before each hidden activation of the MLP encoder.
    encoder_layer_norm: bool = False


def _mlp(sizes: list[int], activation: str, activate_last: bool, layer_norm: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if activate_last or i < len(sizes) - 2:
            if layer_norm:
                layers.append(nn.LayerNorm(n_out))
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class MLPEncoder(nn.Module):
    """x -> (fixed projection) -> hidden layers -> code (the mean of the code, for a variational model).

    With ``cfg.input_projection`` the rows are first mapped by a fixed affine projection, held in
    buffers (so the state dict saves it and its shapes follow from the config) and filled in fit.
    """

    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        if cfg.input_projection:
            self.register_buffer("projection_mean", torch.zeros(cfg.n_features))
            self.register_buffer("projection", torch.zeros(cfg.input_projection, cfg.n_features))
        else:
            self.projection_mean = self.projection = None
        sizes = [cfg.input_projection or cfg.n_features, *cfg.hidden_layer_sizes]
        self.body = _mlp(sizes, cfg.activation, activate_last=True, layer_norm=cfg.encoder_layer_norm)
        self.mean = nn.Linear(sizes[-1], cfg.n_components)
        self.log_var = nn.Linear(sizes[-1], cfg.n_components) if cfg.variational else None
        self.code_activation = ACTIVATIONS[cfg.code_activation]()
        self.skip = nn.Linear(cfg.n_features, cfg.n_components, bias=False) if cfg.linear_skip else None

    def linears(self) -> list[nn.Linear]:
        """The weight layers from input to code, the ones a tied decoder reuses."""
        return [m for m in self.body if isinstance(m, nn.Linear)] + [self.mean]

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """The fixed input projection of x (x itself without one)."""
        if self.projection is None:
            return x
        return F.linear(x - self.projection_mean, self.projection)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.from_projection(self.project(x), x)

    def from_projection(self, p: torch.Tensor, x: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The code of rows whose fixed projection ``p`` is already taken (``x``, the rows
        themselves, only for the linear skip)."""
        h = self.body(p)
        # The code layer runs in float32 under mixed precision: bfloat16 codes (3 significant
        # digits) are too coarse for the distances between neighbours on a 2-D map.
        with _float32(h):
            h = h.float()
            log_var = self.log_var(h) if self.log_var is not None else None
            pre = self.mean(h) if self.skip is None else self.mean(h) + self.skip(x.float())  # type: ignore[union-attr]
        return self.code_activation(pre), log_var


class MLPDecoder(nn.Module):
    """code -> mirrored hidden layers -> reconstruction (pre output activation)."""

    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        sizes = [cfg.n_components, *reversed(cfg.hidden_layer_sizes), cfg.n_features]
        self.body = _mlp(sizes, cfg.activation, activate_last=False)
        self.skip = nn.Linear(cfg.n_components, cfg.n_features, bias=False) if cfg.linear_skip else None
        if cfg.decoder_standardises_code:
            self.register_buffer("code_mean", torch.zeros(cfg.n_components))
            self.register_buffer("code_scale", torch.ones(1))
        else:
            self.code_mean = self.code_scale = None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.code_mean is not None:
            z = (z - self.code_mean) / self.code_scale
        return self.body(z) if self.skip is None else self.body(z) + self.skip(z)


class TiedDecoder(nn.Module):
    """Decoder whose weights are the encoder's, transposed: only the biases are its own.

    The encoder is passed to ``forward`` rather than stored, so each weight is
    registered once and the state dict holds no shared tensors.
    """

    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        sizes = [cfg.n_features, *cfg.hidden_layer_sizes, cfg.n_components]
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(n)) for n in reversed(sizes[:-1])])
        self.act = ACTIVATIONS[cfg.activation]()

    def forward(self, z: torch.Tensor, encoder: MLPEncoder) -> torch.Tensor:
        h = z
        weights = [layer.weight for layer in reversed(encoder.linears())]
        for i, (weight, bias) in enumerate(zip(weights, self.biases)):
            h = F.linear(h, weight.t(), bias)
            if i < len(weights) - 1:
                h = self.act(h)
        return h


def conv_feature_shape(input_shape: tuple[int, ...], n_layers: int, channels: int) -> tuple[int, int, int]:
    """Shape after ``n_layers`` stride-2 convolutions (kernel 3, padding 1)."""
    _, height, width = input_shape
    for _ in range(n_layers):
        height, width = math.ceil(height / 2), math.ceil(width / 2)
    return channels, height, width


class ConvEncoder(nn.Module):
    """Image rows -> stride-2 convolutions -> dense code."""

    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        assert cfg.input_shape is not None
        self.input_shape = tuple(cfg.input_shape)
        act = ACTIVATIONS[cfg.activation]
        layers: list[nn.Module] = []
        in_ch = self.input_shape[0]
        for ch in cfg.conv_channels:
            layers += [nn.Conv2d(in_ch, ch, 3, stride=2, padding=1), act()]
            in_ch = ch
        self.body = nn.Sequential(*layers, nn.Flatten())
        flat = math.prod(conv_feature_shape(self.input_shape, len(cfg.conv_channels), in_ch))
        self.mean = nn.Linear(flat, cfg.n_components)
        self.log_var = nn.Linear(flat, cfg.n_components) if cfg.variational else None
        self.code_activation = ACTIVATIONS[cfg.code_activation]()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = self.body(x.reshape(-1, *self.input_shape))
        log_var = self.log_var(h) if self.log_var is not None else None
        return self.code_activation(self.mean(h)), log_var


class ConvDecoder(nn.Module):
    """Dense code -> transposed convolutions -> image rows, cropped to the input size."""

    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        assert cfg.input_shape is not None
        self.input_shape = tuple(cfg.input_shape)
        channels = list(reversed(cfg.conv_channels))
        self.feature_shape = conv_feature_shape(self.input_shape, len(channels), channels[0])
        self.dense = nn.Linear(cfg.n_components, math.prod(self.feature_shape))
        act = ACTIVATIONS[cfg.activation]
        layers: list[nn.Module] = [act()]
        outs = channels[1:] + [self.input_shape[0]]
        for i, (in_ch, out_ch) in enumerate(zip(channels, outs)):
            layers.append(nn.ConvTranspose2d(in_ch, out_ch, 3, stride=2, padding=1, output_padding=1))
            if i < len(outs) - 1:
                layers.append(act())
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.body(self.dense(z).reshape(-1, *self.feature_shape))
        _, height, width = self.input_shape
        return h[:, :, :height, :width].reshape(z.shape[0], -1)


def _float32(x: torch.Tensor) -> contextlib.AbstractContextManager:
    """Autocast off, for what runs in float32 under mixed precision too: the code layer, and the
    GRUs (torch has no bfloat16 GRU on the CPU, and their inputs would otherwise arrive in mixed
    dtypes)."""
    return torch.autocast(device_type=x.device.type, enabled=False)


class RecurrentEncoder(nn.Module):
    """Sequence rows (time-major: ``time_steps * features`` values) -> GRU -> last hidden state -> code."""

    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        assert cfg.input_shape is not None and len(cfg.input_shape) == 2
        self.input_shape = tuple(cfg.input_shape)
        units = cfg.recurrent_units
        self.gru = nn.GRU(self.input_shape[1], units, batch_first=True)
        self.mean = nn.Linear(units, cfg.n_components)
        self.log_var = nn.Linear(units, cfg.n_components) if cfg.variational else None
        self.code_activation = ACTIVATIONS[cfg.code_activation]()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        with _float32(x):
            _, last = self.gru(x.float().reshape(-1, *self.input_shape))
        h = last[0]
        log_var = self.log_var(h) if self.log_var is not None else None
        return self.code_activation(self.mean(h)), log_var


class RecurrentDecoder(nn.Module):
    """Code -> GRU started from a state made of the code and fed the code at every step -> one
    output per step: the whole sequence at once (not step by step on its own outputs), so that
    training and decoding run the same computation."""

    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        assert cfg.input_shape is not None and len(cfg.input_shape) == 2
        self.input_shape = tuple(cfg.input_shape)
        units = cfg.recurrent_units
        self.initial = nn.Linear(cfg.n_components, units)
        self.gru = nn.GRU(cfg.n_components, units, batch_first=True)
        self.out = nn.Linear(units, self.input_shape[1])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        time_steps = self.input_shape[0]
        with _float32(z):
            z = z.float()
            h0 = torch.tanh(self.initial(z)).unsqueeze(0)
            h, _ = self.gru(z.unsqueeze(1).expand(-1, time_steps, -1), h0)
            return self.out(h).reshape(z.shape[0], -1)


class Autoencoder(nn.Module):
    """Encoder and decoder, built from an :class:`AutoencoderConfig`."""

    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        architecture, shape = model_architecture(cfg.architecture, cfg.input_shape)
        cfg = dataclasses.replace(cfg, architecture=architecture, input_shape=shape)
        self.cfg = cfg
        if architecture == "conv":
            self.encoder: nn.Module = ConvEncoder(cfg)
            self.decoder: nn.Module = ConvDecoder(cfg)
        elif architecture == "recurrent":
            self.encoder = RecurrentEncoder(cfg)
            self.decoder = RecurrentDecoder(cfg)
        else:
            self.encoder = MLPEncoder(cfg)
            self.decoder = TiedDecoder(cfg) if cfg.tied_weights else MLPDecoder(cfg)
        self.output_activation = ACTIVATIONS[cfg.output_activation]()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return the code (its mean, for a variational model) and its log-variance or None."""
        return self.encoder(x)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's output before the output activation (the losses want it so)."""
        if isinstance(self.decoder, TiedDecoder):
            return self.decoder(z, self.encoder)
        return self.decoder(z)

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        return self.output_activation(logits)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.output(self.decode_logits(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x)[0])
