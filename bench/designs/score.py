"""Score variants: name = '+'.join(fe:mode:model ...) with @agg (prob|logp). Prints dev all/pop/bach, paired vs ref, pool, cadences wrong."""
import pickle
import sys

import common
import numpy as np
from common import K15, logsoftmax, softmax

from core.evaluation.metrics import paired_difference


def load(fe, mode, model, s):
    return pickle.loads((K15 / 'out' / f'{fe}_{mode}_{model}_{s}.pkl').read_bytes())

_LEN = {}
def lengths(s, mode='w20'):
    key = (s, mode)
    if key not in _LEN:
        import run
        its = run.items(s)
        _LEN[key] = [np.array([w.size for w in (run.windows_of(y, mode) if s != 'cad' else [y])], float) for y, _, _ in its]
    return _LEN[key]

def song_scores(spec, s):
    """spec 'fe:mode:model+fe:mode:model@agg' -> (per-item 24-vector scores, truth, parts)."""
    members, agg = (spec.split('@') + ['prob'])[:2]
    per_member = []
    for m in members.split('+'):
        fe, mode, model = m.split(':')
        d = load(fe, mode, model, s)
        per_member.append(d['logits'])
    out = []
    for i in range(len(per_member[0])):
        if agg == 'prob':       # mean over models of window probs, then mean over windows
            w = np.mean([softmax(L[i]) for L in per_member], axis=0)
            out.append(w.mean(0))
        elif agg == 'logp':     # mean log-probs over models and windows
            w = np.mean([logsoftmax(L[i]) for L in per_member], axis=0)
            out.append(w.mean(0))
        elif agg == 'mprob':    # each model's song probs (mean of window probs), then mean of models' log
            out.append(np.mean([np.log(softmax(L[i]).mean(0)) for L in per_member], axis=0))
        elif agg == 'wprob':    # window probs weighted by window length
            wl = lengths(s, members.split('+')[0].split(':')[1])[i]
            w = np.mean([softmax(L[i]) for L in per_member], axis=0)
            out.append((w * wl[:, None]).sum(0) / wl.sum())
        elif agg == 'wlogp':
            wl = lengths(s, members.split('+')[0].split(':')[1])[i]
            w = np.mean([logsoftmax(L[i]) for L in per_member], axis=0)
            out.append((w * wl[:, None]).sum(0) / wl.sum())
        else:
            raise ValueError(agg)
    return np.array(out), np.array(d['truth']), np.array(d['parts'])

def item_scores(spec, s):
    sc, truth, parts = song_scores(spec, s)
    pred = sc.argmax(1)
    return np.array([common.mirex(t, p) for t, p in zip(truth, pred)]), truth, pred, parts

def report(specs, ref=None):
    ref = ref or specs[0]
    r_dev = item_scores(ref, 'dev')[0]
    print(f"{'variant':58s} {'all':>5s} {'pop':>5s} {'bach':>5s} | {'diff all [95%]':>22s} b/w | {'diff pop [95%]':>22s} | pool  | psong | cad wrong (min/maj)")
    for spec in specs:
        a, truth, pred, parts = item_scores(spec, 'dev')
        pop, bach = a[parts == 'pop'], a[parts == 'bach']
        d = paired_difference(a, r_dev); dp = paired_difference(pop, r_dev[parts == 'pop'])
        try:  # the pool sets need .cache/realpool (`python -m core pool all`); without it, dev and cadences only
            pool = item_scores(spec, 'pool')[0]
            dpo = paired_difference(pool, item_scores(ref, 'pool')[0])
            pod = f"{pool.mean():.3f} {dpo['difference']:+.3f} [{dpo['low']:+.3f},{dpo['high']:+.3f}]"
        except FileNotFoundError:
            pod = "-"
        try:
            psa = item_scores(spec, 'psong')[0]; ps = psa.mean()
            dps = paired_difference(psa, item_scores(ref, 'psong')[0]); psd = f"{dps['difference']:+.3f} [{dps['low']:+.3f},{dps['high']:+.3f}]"
        except FileNotFoundError:
            ps = float('nan'); psd = ''
        c, ct, cp, cparts = item_scores(spec, 'cad')
        wrong = (ct != cp)
        wmin, wmaj = int(wrong[cparts == 'cad-min'].sum()), int(wrong[cparts == 'cad-maj'].sum())
        print(f"{spec:58s} {a.mean():.3f} {pop.mean():.3f} {bach.mean():.3f} | {d['difference']:+.3f} [{d['low']:+.3f},{d['high']:+.3f}] {d['better']}/{d['worse']} | "
              f"{dp['difference']:+.3f} [{dp['low']:+.3f},{dp['high']:+.3f}] | {pod} | {ps:.3f} {psd} | {wmin+wmaj} ({wmin}/{wmaj})", flush=True)

if __name__ == '__main__':
    report(sys.argv[1:])
