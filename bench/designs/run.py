"""python run.py FRONTEND WINMODE MODEL... : per item per window logits, cached in out/."""
import pickle
import sys
import time

import common
import frontends
import numpy as np
from common import K15, SR

from core.models.representations import tuned_input


def _run(run_id):
    """A run's model file under runs/ of this checkout (run ids are RunConfig hashes: the same --config
    JSON trains the same id anywhere)."""
    for folder in ('runs',):
        path = common.ROOT / folder / run_id / 'model.keras'
        if path.exists():
            return str(path)
    return str(common.ROOT / 'runs' / run_id / 'model.keras')

MODELS = {'default': str(common.ROOT / 'models/eqkey-default/model.keras'),
          'v1': str(common.ROOT / 'models/eqkey-v1/model.keras'),
          '7ce': _run('7ce2177a2805'), '020': _run('020b89ea0901'),   # last session: cadence-s0+popular+tunes
          'S1': _run('42535570d02d'), 'S2': _run('59e247b26e5d'),      # eqkey-v2 recipe, split seeds 1, 2
          'L44': _run('106a01c8ff2b'), 'L44s1': _run('fea81d6dd955'),  # eqkey-v2 recipe, 44-frame crops
          'L44s2': _run('16a0feb5ec3d'),
          'V44': _run('8f60f83722d8'), 'V44s1': _run('40906e5f75d1'),  # eqkey-v2 recipe, --max-frames 44:
          'V44s2': _run('76bab45dadc0'),                              # crops of 32 to 44 frames
          'T12': _run('3c13d69e97c8'), 'T12s1': _run('3b404742ed9a'),  # eqkey-v2 recipe, --timbre-db 12:
          'T12s2': _run('1d26780e1eef'),                              # a random equaliser per example
          'T6': _run('ae1b5ebf1961'), 'T6s1': _run('d76b035a8ff2'),    # the same at --timbre-db 6
          'T6s2': _run('4edbe2a48797'),
          'G0': _run('94f368516a0c'), 'G1': _run('cc11e2da6452'),    # eqkey-v2 recipe, popular-s0 replaced by
          'G2': _run('ce54a1b474e9'),                                 # sung-s0 (a sung lead): split seeds 0, 1, 2
          'B0': _run('f6d82660b455'), 'B1': _run('1041108bfa98'),    # eqkey-v2 recipe with sung-s1 added:
          'B2': _run('354158785c91'),                                 # split seeds 0, 1, 2
          'N0': _run('6c1aaca1c0cf'), 'N1': _run('d8906acf03ac'),    # eqkey-v2 recipe without popular-s0 (the
          'N2': _run('3042b46bfd17'),                                # control for G*): split seeds 0, 1, 2
          'P0': _run('4c95484fbc59'), 'P1': _run('b3bb715f22e8'),  # eqkey-v2 recipe + the real pool labelled by the
          'P2': _run('668c65033cce'),                                 # default alone (noisy student): split seeds 0, 1, 2
          'Q0': _run('a3edf7642817'), 'Q1': _run('281d0eb72fe3'),  # the same with as many major as minor pool
          'Q2': _run('00e78b2b5968')}                                 # excerpts (50 each): split seeds 0, 1, 2

SOUPS = {'soup3': ('default', 'S1', 'S2'), 'soupL3': ('L44', 'L44s1', 'L44s2'),
         'soup6': ('default', 'S1', 'S2', 'L44', 'L44s1', 'L44s2'), 'soupG': ('G0', 'G1', 'G2'),
         'soupVG': ('default', 'G0'), 'soupVG1': ('S1', 'G1'), 'soupVG2': ('S2', 'G2')}

def soup(names):
    """A uniform model soup: every weight (batch-norm statistics too) averaged over fine-tunes of one start."""
    from core.models.network import Layer, Network, load_network
    nets = [load_network(MODELS[n]) for n in names]
    layers = [Layer(ls[0].kind, ls[0].config, [np.mean(ws, axis=0) for ws in zip(*[l.weights for l in ls])])
              for ls in zip(*[n.layers for n in nets])]
    return Network('soup', layers)

def get_net(name):
    from core.models.network import load_network
    net = soup(SOUPS[name]) if name in SOUPS else load_network(MODELS.get(name, name))
    fold = [l for l in net.layers if l.kind == 'FoldOctaves'][0]
    return lambda x: net.output_of(fold, x)

def windows_of(y, mode):
    if mode == 'w20':
        return [w for _, w in common.plan_windows(y)]
    if mode == 'w20o':   # overlapping by half
        return [w for _, w in common.plan_windows(y, 20.0, 10.0, 48)]
    if mode == 'w40':
        return [w for _, w in common.plan_windows(y, 40.0, 40.0, 12)]
    if mode == 'whole':
        return [y[:480 * SR]]
    raise ValueError(mode)

def items(which):
    if which == 'cad':
        return [(y, k, p) for y, k, p in common.cadence_items()]
    its = {'dev': common.dev_items, 'pool': common.pool_items, 'psong': common.pool_song_items}[which]()
    return [(common.audio(f), k, p) for f, k, p in its]

if __name__ == '__main__':
    fe, mode, models = sys.argv[1], sys.argv[2], sys.argv[3:]
    import os
    sets = os.environ.get('SETS', 'dev,pool,cad,psong').split(',')
    nets = {m: get_net(m) for m in models}
    ffn = frontends.FRONTENDS[fe]
    for s in sets:
        todo = [m for m in models if not (K15 / 'out' / f'{fe}_{mode}_{m}_{s}.pkl').exists()]
        if not todo:
            continue
        t0 = time.time(); feats = []; truth = []; parts = []; fe_time = 0.0; audio_s = 0.0
        for y, k, p in items(s):
            ws = windows_of(y, 'whole' if s == 'cad' and mode != 'w20' else mode) if s != 'cad' else [y]
            t = time.time()
            feats.append([tuned_input(ffn(w)) for w in ws])
            fe_time += time.time() - t; audio_s += sum(w.size for w in ws) / SR
            truth.append(k); parts.append(p)
        print(f'{fe} {mode} {s}: features {fe_time:.1f}s for {audio_s/60:.1f} min ({fe_time/(audio_s/60):.3f} s/min)', flush=True)
        for m in todo:
            t = time.time()
            logits = [np.vstack([nets[m](f[None, :, :, None]) for f in fs]) for fs in feats]
            (K15 / 'out' / f'{fe}_{mode}_{m}_{s}.pkl').write_bytes(pickle.dumps({'logits': logits, 'truth': truth, 'parts': parts}))
            print(f'  {m}: net {time.time()-t:.1f}s', flush=True)
