"""``govstats power``: Monte Carlo power curves from an instrument or population syntax, and analytic power.

Standard library only at import time (the CLI's start-up); the work is :func:`govstats.planning.power`,
:func:`govstats.planning.rmsea_power` and :func:`govstats.planning.parameter_power`.
"""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "cmd_power", "parse_sizes"]


def parse_sizes(text: str) -> list[int]:
    """``200:1000:100`` (start:stop:step, stop included), ``200:1000`` (step 100) or ``200,350,500``.

    Examples
    --------
    >>> parse_sizes("200:600:200"), parse_sizes("150,300")
    ([200, 400, 600], [150, 300])
    """
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) == 2:
                parts.append(100)
            start, stop, step = parts
            if step <= 0 or stop < start:
                raise ValueError
            return list(range(start, stop + 1, step))
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--n takes start:stop:step (e.g. 200:1000:100) or a list (200,300,500); "
                                         f"got {text!r}") from None


def _model(path_text: str):
    from pathlib import Path

    path = Path(path_text)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path_text!r} does not exist")
    if path.suffix.lower() in (".yaml", ".yml"):
        from govstats.instrument import load_instrument

        return load_instrument(path)
    return path.read_text(encoding="utf-8-sig")


def _analytic(args) -> int:
    from govstats.planning import parameter_power, rmsea_power

    n = args.n[0] if args.n else None
    if args.n and len(args.n) > 1:
        raise ValueError("With --analytic give one --n (post hoc power) or --power (the smallest N).")
    if args.parameters:
        if args.model is None:
            raise ValueError("--parameters needs MODEL: a lavaan-style syntax file with population values.")
        model = _model(args.model)
        if not isinstance(model, str):
            raise ValueError("--analytic --parameters needs population syntax (f =~ 0.7*x1 + ...), not an instrument; "
                             "for an instrument use the Monte Carlo run (without --analytic).")
        names = [p.strip() for p in args.parameters.split(",") if p.strip()]
        result = parameter_power(model, names, n=n, power=args.power, alpha=args.alpha, abratio=args.abratio,
                                 standardized=args.standardized)
    else:
        if args.df is None or args.rmsea0 is None or args.rmsea1 is None:
            raise ValueError("--analytic needs --df, --rmsea0 and --rmsea1 (RMSEA power), or MODEL and --parameters "
                             "(Satorra-Saris power of parameters).")
        result = rmsea_power(args.df, args.rmsea0, args.rmsea1, alpha=args.alpha, n=n, power=args.power,
                             abratio=args.abratio)
    print(result)
    return 0


def cmd_power(args: argparse.Namespace) -> int:
    if args.analytic:
        return _analytic(args)
    if args.model is None:
        raise ValueError("MODEL is needed: an instrument YAML file or a syntax file with population values.")
    if args.workers is not None and args.scheduler is not None:
        raise ValueError("Give --workers (local processes) or --scheduler (a Dask cluster), not both.")
    from govstats.planning import power

    model = _model(args.model)
    ordered = None
    if args.ordered:
        ordered = True if args.ordered == "all" else [v.strip() for v in args.ordered.split(",") if v.strip()]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()] if args.targets else None
    result = power(model, n=args.n or [200, 300, 400, 500, 600, 700, 800, 900, 1000], reps=args.reps,
                   estimator=args.estimator, ordered=ordered, missing=args.missing, cluster_size=args.cluster_size,
                   communities=args.communities, careless=args.careless, seed=args.seed,
                   executor=args.scheduler, workers=args.workers, alpha=args.alpha, targets=targets,
                   resume=args.resume, standardized=args.standardized)
    print(result)
    if args.plot:
        result.plot(args.plot)
        print(f"\nPower curves written to {args.plot}")
    if args.csv:
        result.summary.to_csv(args.csv, index=False, encoding="utf-8-sig")
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``govstats power`` on the command line's subparsers."""
    p = sub.add_parser("power", help="sample-size planning: Monte Carlo power curves, or analytic (RMSEA, "
                                     "Satorra-Saris) power with --analytic")
    p.add_argument("model", metavar="MODEL", nargs="?",
                   help="instrument YAML file (its own population), or a syntax file with population values "
                        "(f =~ 0.7*x1 + ..., as lavaan's simulateData)")
    p.add_argument("--n", type=parse_sizes, metavar="A:B:STEP",
                   help="sample sizes: 200:1000:100 or 200,300,500 (default 200:1000:100)")
    p.add_argument("--reps", type=int, default=1000, help="replications per sample size (default 1000)")
    p.add_argument("--estimator", default=None, choices=("ML", "MLR", "WLSMV", "ULSMV"),
                   help="default: ML, or WLSMV with --ordered")
    p.add_argument("--ordered", metavar="all|a,b,c", help="fit the items as ordinal: 'all' or their names")
    p.add_argument("--missing", type=float, default=0.0, metavar="RATE",
                   help="share of blank item cells (fitted by FIML, or pairwise with WLSMV)")
    p.add_argument("--communities", type=int, help="an instrument's respondents spread over this many communities "
                                                   "(cluster-robust SEs)")
    p.add_argument("--cluster-size", type=int, metavar="K", help="residents per community instead of --communities")
    p.add_argument("--careless", type=float, default=0.0, metavar="RATE", help="share of careless respondents")
    p.add_argument("--targets", metavar="a,b", help="parameters to report: 'RIE~PE', an indirect path "
                                                    "'GR -> PE -> RIE' (default: every path and indirect effect)")
    p.add_argument("--standardized", action="store_true",
                   help="syntax population: residual variances that give every variable variance 1")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--seed", type=int, default=1, help="seed: the same numbers on any number of workers")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDR", help="run on a Dask cluster (tcp://host:port)")
    p.add_argument("--resume", metavar="FILE.parquet", help="save replications here after each batch; a rerun "
                                                            "continues where the file stops")
    p.add_argument("--plot", metavar="OUT.png|svg", help="write the power curves")
    p.add_argument("--csv", metavar="OUT", help="write the summary table as CSV")
    p.add_argument("--analytic", action="store_true", help="analytic power instead of simulation")
    p.add_argument("--df", type=float, help="--analytic: the model's degrees of freedom")
    p.add_argument("--rmsea0", type=float, help="--analytic: RMSEA under the null (0: exact fit, .05: close fit)")
    p.add_argument("--rmsea1", type=float, help="--analytic: RMSEA under the alternative")
    p.add_argument("--power", type=float, help="--analytic: the power wanted (a priori: the smallest N)")
    p.add_argument("--abratio", type=float, help="--analytic with --n: compromise analysis, alpha/beta wanted")
    p.add_argument("--parameters", metavar="a,b", help="--analytic: parameters of MODEL tested together "
                                                       "(Satorra-Saris), e.g. 'f3~f1'")
    p.set_defaults(func=cmd_power)
    return p
