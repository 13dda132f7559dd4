"""``report(instrument, data, ...)``: every analysis of a survey, in the order a paper reports it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def report(instrument, data, *, lang: str = "zh", estimator: str | None = None, bootstrap: int = 0,
           seed: int | None = None, ci: str | None = None, group: str | None = None, cluster: str | None = None,
           exclude_flagged: bool = True, fit=None, check=None, invariance=None, multilevel=None, power=None,
           measurement_diagram: bool = False, html: str | Path | None = None, docx: str | Path | None = None,
           read_options: dict | None = None):
    """Check, describe and model survey responses; tables, figures and a paragraph for the paper.

    In the order a paper reports them: the sample (N, communities, respondent roles and
    demographics), data quality (problems found, flagged respondents and why, blanks per item),
    item distributions, measurement (KMO, Bartlett, parallel analysis, EFA loadings; CFA loadings;
    alpha, omega, CR, AVE; Fornell-Larcker; HTMT; Harman's test and a single-factor CFA
    comparison), model fit (standard, scaled and robust rows), structural paths with the path
    diagram and R², indirect effects with bootstrap or Monte Carlo intervals and effect ratios,
    then invariance, multilevel and power tables when given. Tables are APA three-line tables
    (:class:`~govstats.reporting.Table`), also DataFrames (``Report.table(key)``).

    Parameters
    ----------
    instrument : Instrument or path
        The questionnaire (a loaded instrument or its YAML file).
    data : DataFrame or path
        The responses (a file is read with :func:`govstats.read_responses`, with ``read_options``
        such as ``encoding``, ``source``, ``mapping`` when given).
    lang : {"zh", "en"}
        Language of the titles, labels, notes and paragraph.
    estimator : {None, "ML", "MLR", "WLSMV"}
        Of the structural model: default ML (MLR with ``cluster``); WLSMV treats the items as
        ordinal. Blank answers: FIML with ML/MLR, pairwise statistics with WLSMV.
    bootstrap : int
        Bootstrap draws for the indirect effects' intervals (papers: 2000-5000); 0 gives Monte
        Carlo intervals (20,000 draws). With WLSMV the draws come from the same model fitted by ML.
    seed : int, optional
        Seed of every random step (parallel analysis, draws); default 1, so a rerun gives the
        same report.
    ci : {None, "perc", "bc", "bca", "norm", "basic"}
        Bootstrap interval type (default percentile).
    group : str, optional
        Column of groups for the measurement-invariance table; computed with
        ``govstats.invariance`` when that function exists, else the report says it is missing.
    cluster : str, optional
        Column of cluster ids (communities): cluster-robust SEs and test, and the multilevel table
        (``govstats.multilevel`` when it exists).
    exclude_flagged : bool
        Leave out the respondents the data check flags (careless, speeding, no consent).
    fit : SEMResults, optional
        A fit of the instrument's model to use instead of fitting one.
    check : CheckReport, optional
        A data check to use instead of running one.
    invariance, multilevel, power : DataFrame or result, optional
        Results of those analyses: a DataFrame, or an object whose ``.table()`` (or
        ``.to_frame()``) returns one. A power table with columns ``n`` and ``power`` (and
        ``parameter``) is also drawn as power curves.
    measurement_diagram : bool
        Draw the items and loadings in the path diagram too.
    html, docx : path, optional
        Write the report there.

    Returns
    -------
    Report

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> from govstats import load_instrument, report
    >>> from govstats.resources import instruments_dir, seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("platform_dilemma"))
    >>> rep = report(inst, instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv", lang="en")
    >>> [t.key for t in rep.tables][:5]  # no problems found: no table of them
    ['sample', 'flags', 'items', 'adequacy', 'efa']
    >>> rep.table("fit").columns[:4].tolist()
    ['χ²', 'df', 'p', 'χ²/df']
    """
    from govstats.instrument import Instrument, load_instrument
    from govstats.reporting.analyses import run_analyses
    from govstats.reporting.build import build_report
    from govstats.reporting.words import LANGS

    if lang not in LANGS:
        raise ValueError(f"The 'lang' parameter of report must be one of {set(LANGS)}. Got {lang!r} instead.")
    if not isinstance(instrument, Instrument):
        instrument = load_instrument(instrument)
    name = ""
    if not isinstance(data, pd.DataFrame):
        from govstats.data import read_responses

        name = Path(data).name
        data = read_responses(data, instrument, **(read_options or {}))
    analyses = run_analyses(instrument, data, estimator=estimator, bootstrap=bootstrap, seed=seed, ci=ci, group=group,
                            cluster=cluster, exclude_flagged=exclude_flagged, results=fit, check=check,
                            invariance=invariance, multilevel=multilevel, power=power)
    rep = build_report(analyses, lang=lang, measurement_diagram=measurement_diagram, data_name=name)
    if html is not None:
        rep.to_html(html)
    if docx is not None:
        rep.to_docx(docx)
    return rep
