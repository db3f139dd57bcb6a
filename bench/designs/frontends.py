import numpy as np

from core.audio.features import extract_whole
from core.models.representations import TUNED_SETTINGS


def default(y):
    return extract_whole(y, TUNED_SETTINGS)

FRONTENDS = {'default': default}

def _harm(margin, n_fft=2048, hop=512):
    def f(y):
        import librosa
        return default(librosa.effects.harmonic(np.asarray(y, np.float32), margin=margin, n_fft=n_fft, hop_length=hop))
    return f

FRONTENDS['hpss1'] = _harm(1.0)
FRONTENDS['hpss3'] = _harm(3.0)

def _hpss_big(kt=5, kf=17, power=2.0):
    """HPSS (Fitzgerald soft mask) on the front end's own long STFT: harmonic = median along time over kt
    frames (0.37 s each), percussive = median along frequency over kf bins (1.35 Hz each)."""
    from scipy.ndimage import median_filter

    from core.audio.features import estimate_tuning, semitone_filterbank, stft_magnitude
    s = TUNED_SETTINGS
    def f(y):
        from dataclasses import replace
        st = replace(s, duration=max(len(y), 1) / s.sample_rate)
        n = st.n_samples
        y = np.asarray(y, np.float32)[:n]
        spectrum = stft_magnitude(y, 2 * s.hop, s.hop)
        tuning = estimate_tuning(spectrum, s.sample_rate)
        H = median_filter(spectrum, size=(1, kt), mode='reflect')
        P = median_filter(spectrum, size=(kf, 1), mode='reflect')
        Hp, Pp = H ** power, P ** power
        spectrum = spectrum * (Hp / np.maximum(Hp + Pp, 1e-12))
        bands = np.asarray(semitone_filterbank(s.sample_rate, 2 * s.hop, s.fmin, st.n_bins, round(tuning * 20) / 20) @ spectrum)
        return np.log1p(1000.0 * bands / max(float(bands.max()), 1e-9)).astype(np.float32)
    return f

FRONTENDS['hb5'] = _hpss_big(5, 17)
FRONTENDS['hb3'] = _hpss_big(3, 17)
