"""Score the adversary's inferences against the ground truth, per mode and field.

For each session of the ground truth, the adversary's inference is the one anchored
on the same settlement transaction (public: the adversary found it itself).  Per field:

    guessed    sessions for which the adversary committed to a value
    precision  correct / guessed           recall  correct / sessions
    chance     what a guess without the ledger gets (see ``baseline``)

Correct means equal to the truth, except ``energy_wh`` (within one 10 Wh packet).
"""
from __future__ import annotations

from collections import Counter

FIELDS = ("link", "car", "pole", "deposit", "energy_wh", "pole_share", "deadline")
LABELS = {"link": "session↔funding", "car": "car", "pole": "pole", "deposit": "deposit",
          "energy_wh": "energy (±10 Wh)", "pole_share": "split", "deadline": "deadline"}


def _correct(field: str, truth: dict, inf: dict, accounts: dict) -> bool | None:
    """None: the adversary made no guess; else whether the guess is right."""
    if field == "link":
        guess = inf.get("funding_txid")
        return None if guess is None else guess in truth["funding_txids"]
    if field == "car":
        guess = inf.get("car")
        return None if guess is None else guess == accounts.get(truth["driver"])
    guess = inf.get(field)
    if guess is None:
        return None
    if field == "energy_wh":
        return abs(guess - truth["energy_wh"]) <= 10
    key = {"pole_share": "pole_share"}.get(field, field)
    return guess == truth[key]


def baseline(field: str, sessions: list, config: dict, candidates: list) -> float | None:
    """Success rate of the best guess that uses no ledger data at all (per session, averaged)."""
    n = len(sessions)
    if not n:
        return None
    if field == "link":
        rates = [1 / c for c in candidates if c]
        return sum(rates) / len(rates) if rates else None
    if field == "car":
        return 1 / config["drivers"]
    if field == "pole":                       # naming the busiest pole every time
        return max(1 / config["poles"], Counter(s["pole"] for s in sessions).most_common(1)[0][1] / n)
    if field == "energy_wh":                  # the prior: targets uniform over [min, max] packets
        support = config["max_packets"] - config["min_packets"] + 1
        return min(3, support) / support
    if field == "deadline":
        offsets = [s["deadline"] - s["settle_height"] for s in sessions if s["deadline"] is not None]
        if not offsets:
            return None
        return Counter(offsets).most_common(1)[0][1] / n          # best fixed offset from the settlement
    key = "pole_share" if field == "pole_share" else field
    return Counter(s[key] for s in sessions).most_common(1)[0][1] / n


def score_mode(truth_mode: dict, observation: dict, config: dict) -> dict:
    """{field: {guessed, correct, precision, recall, chance}} plus the session count."""
    accounts = truth_mode["identities"]["accounts"]
    by_settle = {s["settle_txid"]: s for s in observation["sessions"]}
    sessions = truth_mode["sessions"]
    matched = []
    for s in sessions:
        inf = next((by_settle[t] for t in s["settle_txids"] if t in by_settle), None)
        matched.append((s, inf or {}))
    candidates = [inf.get("funding_candidates") for _, inf in matched if inf.get("funding_candidates")]
    out = {"sessions": len(sessions), "found": sum(1 for _, inf in matched if inf), "fields": {}}
    for field in FIELDS:
        if field == "deadline" and all(s["deadline"] is None for s in sessions):
            out["fields"][field] = None
            continue
        verdicts = [_correct(field, s, inf, accounts) for s, inf in matched]
        guessed = sum(v is not None for v in verdicts)
        correct = sum(v is True for v in verdicts)
        out["fields"][field] = {"guessed": guessed, "correct": correct,
                                "precision": correct / guessed if guessed else None,
                                "recall": correct / len(sessions) if sessions else None,
                                "chance": baseline(field, sessions, config, candidates)}
    return out


def evaluate(truth: dict, observations: dict) -> dict:
    """{mode: score_mode(...)} for every mode of the ground truth (``observations``: mode -> observe_ledger)."""
    return {mode: score_mode(truth["modes"][mode], observations[mode], truth["config"])
            for mode in truth["modes"] if mode in observations}


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def format_scores(scores: dict, config: dict) -> str:
    """One table: per field and mode, recall (correct/sessions), precision and chance."""
    modes = list(scores)
    head = f"{'adversary recovers':<18}" + "".join(f" | {m:<27}" for m in modes)
    lines = [f"population: {config['drivers']} drivers, {config['poles']} poles, {config['sessions']} sessions, "
             f"seed {config['seed']}, funding {config['funding']}, forwarding {config['forwarding']}",
             "cell: correct/sessions (precision; chance without the ledger)", head, "-" * len(head)]
    for field in FIELDS:
        row = f"{LABELS[field]:<18}"
        for m in modes:
            f = scores[m]["fields"][field]
            if f is None:
                cell = "n/a"
            else:
                cell = f"{f['correct']}/{scores[m]['sessions']} ({_pct(f['precision'])}; {_pct(f['chance'])})"
            row += f" | {cell:<27}"
        lines.append(row)
    return "\n".join(lines)


def plot(points: list[dict], path) -> None:
    """PNG of linking success (session↔funding and car recall) against the number of drivers, per mode.

    ``points``: [{"drivers", "mode", "link", "car"}].  Needs matplotlib (the ``bench`` extra).
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, field, title in ((axes[0], "link", "session ↔ funding linked"), (axes[1], "car", "car identified")):
        for mode in sorted({p["mode"] for p in points}):
            xs = sorted({p["drivers"] for p in points if p["mode"] == mode})
            ys = [next(p[field] for p in points if p["mode"] == mode and p["drivers"] == x) for x in xs]
            ax.plot(xs, [100 * (y or 0) for y in ys], marker="o", label=mode)
        xs = sorted({p["drivers"] for p in points})
        if field == "car":
            ax.plot(xs, [100 / x for x in xs], linestyle=":", color="grey", label="chance (1/drivers)")
        ax.set_title(title)
        ax.set_xlabel("drivers in the population")
        ax.set_ylim(0, 105)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("recall (%)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
