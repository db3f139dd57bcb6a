"""Harness for issue-15 experiments: items (dev, pool, cadences), cached audio, logits per window per variant."""
import hashlib
import os
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / 'bench'))
import devset
import numpy as np
import pandas as pd

from core.audio.decode import SILENCE_PEAK, load_audio
from core.estimate.song import plan_hop
from core.keys import Key, mirex_score

SR = 22050
K15 = Path(os.environ.get('DESIGNS_OUT', '/tmp/keyscope-designs'))  # decoded audio and per-window logits
(K15 / 'audio').mkdir(parents=True, exist_ok=True); (K15 / 'out').mkdir(exist_ok=True)
DEVSET = ROOT.parent / 'shared' / 'devset'
POOL = ROOT / '.cache' / 'realpool'

def dev_items():
    lab = pd.read_csv(DEVSET / 'labels.csv')
    out = []
    for f, k in zip(lab.file, lab.key):
        p = DEVSET / f
        part = 'pop' if devset.part_of(f) == devset.POPULAR else 'bach'
        out.append((str(p), Key.parse(k).index, part))
    return out

NONNET = ('template:krumhansl', 'template:temperley', 'essentia', 'essentia:edma')
def pool_items(min_agree=3):
    v = pd.read_csv(POOL / 'votes.csv')
    v = v[v.estimator.isin(NONNET)]
    out = []
    for f, g in v.groupby('file', sort=True):
        c = g.key.value_counts()
        if c.iloc[0] >= min_agree:
            out.append((f, Key.parse(c.index[0]).index, 'pool'))
    return out

def cadence_items():
    cache = K15 / 'audio' / 'cadences.pkl'
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    sys.path.insert(0, str(ROOT / 'tests'))
    from test_minor_cadences import VOICINGS, cadence_midi

    from core.audio.decode import resample
    from core.data.synth.render import SAMPLE_RATE, render_midi, soundfonts
    font = soundfonts()[0]
    out = []
    for v in VOICINGS:
        for mode in (0, 1):
            for tonic in range(12):
                key = Key(tonic, mode)
                y = render_midi(cadence_midi(key, *v), font)
                if SAMPLE_RATE != SR:
                    y = resample(y, SAMPLE_RATE, SR)
                out.append((y.astype(np.float32), key.index, f'cad-{"min" if mode == 0 else "maj"}'))
    cache.write_bytes(pickle.dumps(out))
    return out

def audio(path):
    h = hashlib.sha1(path.encode()).hexdigest()[:16]
    c = K15 / 'audio' / f'{h}.npy'
    if c.exists():
        return np.load(c)
    y = load_audio(path, sr=SR)
    np.save(c, y)
    return y

def plan_windows(y, window_s=20.0, hop_s=20.0, max_windows=24):
    """predict_song's windows of decoded audio y: list of (start_s, samples)."""
    total = y.size / SR
    hop = plan_hop(total, window_s, hop_s, max_windows)
    win, h = int(round(window_s * SR)), int(round(hop * SR))
    out, start = [], 0
    while start < y.size:
        w = y[start:start + win]
        if len(out) >= max_windows:
            break
        if not (w.size < SR and out) and float(np.max(np.abs(w), initial=0)) >= SILENCE_PEAK:
            out.append((start / SR, w))
        if start + win >= y.size:
            break
        start += h
    return out

def mirex(true, pred):
    return mirex_score(int(true), int(pred))

def logsoftmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))

def softmax(z):
    return np.exp(logsoftmax(z))

def pool_song_items(min_agree=3):
    """Whole pool recordings where at least 2 of their 3 excerpts have the same non-network consensus key
    (>= min_agree of 4) and no excerpt has another consensus key."""
    from collections import Counter
    lab = {f: k for f, k, _ in pool_items(min_agree)}
    ex = pd.read_csv(POOL / 'excerpts.csv')
    out = []
    for track, g in ex.groupby('track', sort=True):
        keys = [lab[f] for f in g.file if f in lab]
        c = Counter(keys)
        if len(c) == 1 and list(c.values())[0] >= 2:
            out.append((track, keys[0], 'psong'))
    return out
