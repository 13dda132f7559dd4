"""Write the notebooks of this folder, without outputs, from the cells below.

    python notebooks/make_notebooks.py           # rewrite notebooks/*.ipynb
    python notebooks/make_notebooks.py --check   # exit 1 if a committed notebook differs

Keeping the cells here (not only in the .ipynb JSON) keeps the notebooks free of outputs and
execution counts, and their diffs readable. Each notebook runs from this folder (``..`` is the
repository), reads only ``instruments/`` and ``data/synthetic/``, and takes seconds: modest
bootstrap draws (200), power with few replications, ML where the ordinal estimator is not the
point. A paper would use 2000-5000 draws and 1000 replications.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

SETUP = '''%matplotlib inline
import json
import warnings
from pathlib import Path

import pandas as pd

from govstats import (check_responses, compare, fit, load_instrument, path_diagram, read_responses, reliability,
                      score, validity)

ROOT = Path("..").resolve()   # notebooks/ runs from its own folder; ROOT is the repository
pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)
'''


def md(text: str):
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str):
    return nbformat.v4.new_code_cell(text.strip("\n"))


def notebook(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [copy.deepcopy(cell) for cell in cells]  # shared cells (SUMMARY) get their own ids
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):  # stable ids: the same file every time it is written
        cell.id = f"cell-{i:02d}"
    return nb


def study_start(study: str, title: str, abstract: str, source: str, claims: str) -> list:
    """The opening of a study notebook: the study, its claims, the data and their check."""
    return [
        md(f"""
# {title}

{abstract}

*Source:* `../shared/research/{source}` (the study's abstract; the instrument `instruments/{study}.yaml`
turns its concepts into constructs and its mechanisms into a structural model). *Data:*
`data/synthetic/{study}.csv`, 600 simulated residents, community staff and party members in 30
communities of 3 districts, drawn from the instrument's population model with a fixed seed
(`data/synthetic/README.md`). The numbers below describe that synthetic sample, not the field.

**Hypotheses tested here.**

{claims}
"""),
        code(SETUP + f'''
inst = load_instrument(ROOT / "instruments" / "{study}.yaml")
data = read_responses(ROOT / "data" / "synthetic" / "{study}.csv", inst)
truth = pd.DataFrame(json.load(open(ROOT / "data" / "synthetic" / "{study}.truth.json", encoding="utf-8"))["params"])
names = {{c.id: f"{{c.name.zh}} {{c.name.en}}" for c in inst.constructs}}
pd.Series(names, name="construct").to_frame()
'''),
        md("""
## Data and measures

The responses were checked against the instrument (codes on the scale, consent, attention
check, careless and speeding respondents). Respondents the check flags are left out of the
models below.
"""),
        code('''
check = check_responses(inst, data)
used = data[~data.index.isin(check.flagged.loc[check.flagged["flagged"], "row"])]
print(check.text(max_problems=5))
print(f"{len(used)} of {len(data)} respondents analysed")
'''),
    ]


def measurement(estimator_note: str = "") -> list:
    return [
        md(f"""
## Measurement model

Internal consistency (Cronbach's alpha with its 95% CI, McDonald's omega), composite
reliability (CR) and average variance extracted (AVE) per construct, then discriminant validity
(Fornell-Larcker: the square root of AVE on the diagonal above every correlation; HTMT below
.85). {estimator_note}
"""),
        code("reliability(inst, used)"),
        code("validity(inst, used)"),
    ]


def paths_vs_truth() -> str:
    return '''
paths = res.params.query("op == '~'")[["lhs", "rhs", "est", "se", "pvalue", "std_all"]].copy()
paths["population"] = [truth.query("op == '~' and lhs == @l and rhs == @r")["est"].iloc[0]
                       for l, r in zip(paths.lhs, paths.rhs)]
paths.insert(0, "path", [f"{names[r].split()[0]} → {names[l].split()[0]}" for l, r in zip(paths.lhs, paths.rhs)])
paths
'''


SUMMARY = [
    md("""
## Summary of the tests

Each structural path against its hypothesized direction (the sign of the instrument's population
value), at p < .05; each specific indirect effect by whether its interval excludes zero. Printed
from the results above, so the summary changes with them.
"""),
    code('''
for r in paths.itertuples():
    agrees = r.pvalue < .05 and (r.std_all > 0) == (r.population > 0)
    print(f"{r.path}: β = {r.std_all:.2f} (p = {r.pvalue:.2g}; population {r.population:.2f}): "
          f"{'supported' if agrees else 'not supported'}")
print()
for r in eff.query("effect == 'indirect'").itertuples():
    excludes = r.ci_lower > 0 or r.ci_upper < 0
    print(f"{r.path}: {r.est:.3f} [{r.ci_lower:.3f}, {r.ci_upper:.3f}]: interval {'excludes' if excludes else 'includes'} zero")
'''),
]


def effects_cells(text: str, estimator: str = "ML", extra: str = "") -> list:
    return [
        md(text),
        code(f'''
boot = fit(inst, used, estimator="{estimator}", bootstrap=200, seed=20261201, ci="bc"{extra})
eff = boot.effects()
eff.query("effect == 'indirect'")[["path", "est", "se", "ci_lower", "ci_upper", "std_all"]]
'''),
    ]


# -- the tutorial -----------------------------------------------------------------------------

TUTORIAL = notebook([
    md("""
# govstats tutorial: from questionnaire to paper

This notebook walks the whole path of a survey study of community governance with one seed
instrument, `ri_asset` (资产为本视角下的社区治理资源整合, resource integration in community
governance from an asset-based view): the instrument, its survey form, simulated field data,
checks and scoring, EFA and reliability, the structural model by WLSMV, indirect effects with
intervals, community-level clustering,
Monte Carlo power, and the report. Every step is one call of govstats' public API; every random
step has a seed, so rerunning the notebook gives the same numbers.
"""),
    code(SETUP + '''
import tempfile

from govstats import efa, multilevel, power, report, simulate, write_form

out = Path(tempfile.mkdtemp(prefix="govstats-tutorial-"))   # forms and the report go here
'''),
    md("""
## 1. The instrument

An instrument is a YAML file: constructs with their items (Chinese first, English beside it),
scales, the respondent block, and the structural model that links influencing factors (影响因素)
to mechanisms (机制) and outcomes (成效). Loading it checks everything and reports every problem
with its line.
"""),
    code('''
inst = load_instrument(ROOT / "instruments" / "ri_asset.yaml")
print(inst.summary(lang="zh")[:1500])
'''),
    code("print(inst.model_syntax())"),
    md("""
## 2. The survey form

The same definition gives the XLSForm for ODK Collect / KoboToolbox (both languages), a
printable HTML form, a Wenjuanxing (问卷星) import text and the data schema.
"""),
    code('''
form = write_form(inst, out / "ri_asset.xlsx", format="xlsform")
survey = pd.read_excel(form, sheet_name="survey")
survey[["type", "name", "label::中文 (zh)", "label::English (en)"]].iloc[10:18]
'''),
    md("""
## 3. Simulated field data

`simulate()` draws respondents from the instrument's population model: 30 communities, 3
districts, five-point answers, plus what fieldwork brings: 5% careless respondents, 2% speeders,
3% blank answers (more among older respondents). The truth that generated them comes along.
"""),
    code('''
sim = simulate(inst, 600, seed=20261121, careless=0.05, speeders=0.02, missing=0.03, missing_mechanism="MAR")
data = sim.responses
data.iloc[:5, :14]
'''),
    md("""
## 4. Checks and scoring

The check lists every problem with its row and column and flags careless respondents
(long strings, low intra-individual variability, Mahalanobis distance, the attention check,
speeding). Scores are construct means with reverse-keyed items reversed.
"""),
    code('''
check = check_responses(inst, data)
check
'''),
    code('''
planted = set(sim.truth.rows.query("careless != '' or speeder")["respondent_id"])
print(f"flagged {len(check.flagged)}; of the {len(planted)} planted careless or speeding respondents "
      f"{len(planted & set(check.flagged['respondent_id']))} were caught")
used = data[~data.index.isin(check.flagged.loc[check.flagged["flagged"], "row"])]
scores = score(inst, used)
scores.filter(like="_mean").describe().T[["mean", "std", "min", "max"]]
'''),
    md("""
## 5. EFA and reliability

KMO and Bartlett's test, parallel analysis for the number of factors, oblimin-rotated loadings
(numbers as R's psych); then alpha, omega, CR, AVE (as psych and semTools).
"""),
    code("efa(used, instrument=inst, seed=1)"),
    code("reliability(inst, used)"),
    md("""
## 6. The structural model by WLSMV

Five-point answers are ordinal: WLSMV (lavaan's estimator with `ordered=`) estimates thresholds
and polychoric correlations and gives the scaled-shifted test; blanks are handled pairwise.
The results object shows itself as a lavaan-like summary.
"""),
    code('''
res = fit(inst, used, ordered=True, missing="pairwise")
res
'''),
    code('''
truth = sim.truth.params
paths = res.params.query("op == '~'")[["lhs", "rhs", "est", "pvalue", "std_all"]].copy()
paths["population"] = [truth.query("op == '~' and lhs == @l and rhs == @r")["est"].iloc[0]
                       for l, r in zip(paths.lhs, paths.rhs)]
paths
'''),
    code('path_diagram(res, inst, lang="zh")'),
    md("""
## 7. Indirect effects

The mechanisms are indirect effects: influencing factor → mechanism → effectiveness. With
blanks the answers are used by full-information ML (FIML), and the intervals here are Monte Carlo
intervals (semTools' `monteCarloCI`: 20,000 draws from the estimates' sampling distribution, no
refits). Bootstrap intervals are one option away, `bootstrap=2000, ci="bc"`: every draw a warm refit
of the compiled model, seeded per draw so any number of processes gives the same numbers (a FIML
refit costs more than a complete-data one; the study notebooks bootstrap complete data).
"""),
    code('''
boot = fit(inst, used, estimator="ML", missing="fiml", ci="monte_carlo", seed=1)
boot.effects().query("effect == 'indirect'")[["path", "est", "ci_lower", "ci_upper", "std_all"]]
'''),
    md("""
## 8. Residents within communities

Residents share communities: ICC(1), ICC(2), the design effect and rwg(j) say how much of each
construct lies between communities and whether scores may be aggregated to the community
(`agg` in the flags) or the clustering must be modelled (`deff>2`). Comparing districts needs
measurement invariance first: `invariance(inst, data, group="district")`, shown in the
grid-governance notebook.
"""),
    code('''
ml = multilevel(inst, used, cluster="community_id", mixed=False)
ml
'''),
    md("""
## 9. Power for the next wave

How many respondents does the weakest mechanism, political embedding (政治嵌入, PE → RIE), need?
Monte Carlo power from the instrument's population model (20 replications per size here, to keep
the notebook quick; 500-1000 for a proposal).
"""),
    code('''
pw = power(inst, n=[300, 600], reps=20, seed=1, targets=["RIE~PE", "GR -> PE -> RIE"])
pw.summary[["n", "target", "power", "bias", "coverage"]]
'''),
    code("pw.plot()"),
    md("""
## 10. The report

`report()` puts it together in the order a paper reports it: sample, data quality, items,
measurement, fit, paths with the path diagram, indirect effects, and the multilevel and power
tables given, with a methods-and-results paragraph (here in English; `lang="zh"` for
Chinese). It also writes one HTML page and a Word document.
"""),
    code('''
rep = report(inst, used, lang="en", exclude_flagged=False, fit=boot, check=check, multilevel=ml,
             power=pw, html=out / "report.html")
print(rep.paragraph)
'''),
    code("rep"),
])


# -- the seed studies ---------------------------------------------------------------------------

RI_ASSET = notebook(study_start(
    "ri_asset", "Resource integration in community governance: the asset-based view (资产为本视角下的社区治理资源整合)",
    "The study (Licang District, Qingdao) builds a framework of social capital, subject interaction "
    "and governance orientation, and divides the integration of organizational, spiritual, "
    "institutional and material resources into four mechanisms: social empowerment (社会赋能), "
    "community identity (社区认同), political embedding (政治嵌入) and collaborative development "
    "(协同发展).",
    "000_635894e8ddceb943.txt",
    "- H1: integration capacity (资源整合能力) drives the collaborative development mechanism (协同发展机制);\n"
    "- H2: public spirit (公共精神) and subject motivation (主体动力) drive community identity (社区认同机制);\n"
    "- H3: government regulation (政府调控) drives political embedding (政治嵌入机制);\n"
    "- H4: organizational context (组织情境) drives social empowerment (社会赋能机制);\n"
    "- H5: each of the four mechanisms carries its factor's effect to resource-integration effectiveness "
    "(资源整合成效): four specific indirect effects, each different from zero.") + measurement() + [
    md("""
## Structural model

ML with robust (MLR) standard errors and the Yuan-Bentler scaled test, the five-point answers
treated as continuous. The table compares each standardized path with the value that generated
the synthetic data.
"""),
    code('''
res = fit(inst, used, estimator="MLR")
pd.Series(res.fit_measures)[["chisq_scaled", "df", "cfi_robust", "tli_robust", "rmsea_robust", "srmr"]].to_frame("value").T
'''),
    code(paths_vs_truth()),
    code('path_diagram(res, inst, lang="zh")'),
    *effects_cells("""
## The four mechanisms (H5)

Specific indirect effects with bias-corrected bootstrap intervals (200 draws). An interval that
excludes zero supports the mechanism.
"""),
    md("""
Which mechanism carries the most? The effect ratio of each specific indirect effect in the total
indirect effect on effectiveness, and whether the mechanisms' community-level variance makes
them properties of communities (ICC(1) above .059, ICC(2) above .70) rather than of residents.
"""),
    code('''
ind = eff.query("effect == 'indirect' and outcome == 'RIE'")[["path", "std_all"]]
ind.assign(share=ind.std_all / ind.std_all.sum()).sort_values("share", ascending=False)
'''),
    code('''
from govstats import multilevel
multilevel(inst, used, cluster="community_id", mixed=False).table[["icc1", "icc2", "design_effect", "rwg_mean", "icc1_ok", "icc2_ok", "model_clustering"]]
'''),
    *SUMMARY,
])

RI_ELEMENT = notebook(study_start(
    "ri_element", "Community resource integration from the element view (要素视角下的社区资源整合)",
    "The study (national community-governance experimental zones) analyses the structural "
    "contradiction between community resources and services, and the elements that shape "
    "integration: resource characteristics, governance organization, innovation mechanism and "
    "self-integration, which build integration capacities that in turn decide how well resources "
    "match services.",
    "001_d025c5a960cd7ae7.txt",
    "- H1: governance organization (社区治理组织) and self-integration (社区自我整合) build party-led "
    "coordination and participation capacity (党建统筹与参与能力);\n"
    "- H2: the innovation mechanism (治理创新机制) and self-integration build political-social linkage "
    "capacity (政社互动联动能力);\n"
    "- H3: the innovation mechanism and resource characteristics (社区资源特征) build the operation "
    "capacity of the integration system (整合体系运行能力);\n"
    "- H4: the three capacities raise the match between resources and services (资源与服务匹配度), "
    "so every element acts through them (indirect effects).") + [
    md("""
## Exploratory factor analysis

Before the confirmatory model: do the 37 items form the eight constructs? KMO, Bartlett's test,
parallel analysis and oblimin loadings (as psych's `fa`).
"""),
    code('''
from govstats import efa
efa(used, instrument=inst, seed=1)
'''),
    *measurement()[1:],
    md("""
## Structural model

ML, the answers as continuous; paths against the population values.
"""),
    code('''
res = fit(inst, used, estimator="ML")
pd.Series(res.fit_measures)[["chisq", "df", "cfi", "tli", "rmsea", "srmr"]].to_frame("value").T
'''),
    code(paths_vs_truth()),
    md("""
## The elements act through the capacities (H4)

Monte Carlo intervals (semTools' `monteCarloCI`: 20,000 draws from the estimates' sampling
distribution, no refits) for every specific indirect effect.
"""),
    code('''
mc = fit(inst, used, estimator="ML", ci="monte_carlo", seed=20261202)
eff = mc.effects()
eff.query("effect in ['indirect', 'total indirect'] and outcome == 'SQ'")[
    ["effect", "predictor", "path", "est", "ci_lower", "ci_upper", "std_all"]]
'''),
    md("""
## Is full mediation tenable?

The element view says the elements matter *through* the capacities. A model that adds direct
paths from the four elements to the match between resources and services is compared with the
fully mediated model (likelihood-ratio test, as `lavTestLRT`).
"""),
    code('''
partial = inst.model_syntax() + "SQ ~ RC + GO + IM + SI\\n"
res_partial = fit(partial, used, estimator="ML")
compare(res, res_partial)
'''),
    md("""
## Planning a replication

The weakest capacity path, linkage → match (PL → SQ), and the indirect effect of
self-integration through it: Monte Carlo power at 300 and 600 respondents (20 replications here).
"""),
    code('''
from govstats import power
pw = power(inst, n=[300, 600], reps=20, seed=1, targets=["SQ~PL", "SI -> PL -> SQ"])
pw.summary[["n", "target", "truth", "power", "bias", "coverage"]]
'''),
    *SUMMARY,
])

PARTY = notebook(study_start(
    "party_building", "Party building leading community governance (党建引领社区治理): organization, action, resource",
    "The study describes three mechanisms through which community Party organizations lead "
    "governance: section-block integration (条块整合, organization), incentive guidance (激励引导, "
    "action) and support empowerment (支持赋能, resource), which bring multiple actors into "
    "governance. Their weak points are traced to inadequate governance authority, vague incentive "
    "methods and resources that do not match community needs.",
    "002_43a5c144c876fb01.txt",
    "- H1 (organization): governance authority (社区党组织治理权威) → section-block integration (条块整合);\n"
    "- H2 (action): concrete incentive methods (激励方式具体化) → incentive guidance (激励引导);\n"
    "- H3 (resource): resources matched to needs (资源与社区需求匹配) → support empowerment (支持赋能);\n"
    "- H4: the three mechanisms raise the participation of multiple actors (多元主体参与), which raises "
    "governance effectiveness (社区治理成效) and residents' belonging (居民归属感): serial indirect "
    "effects such as authority → integration → participation → effectiveness;\n"
    "- H5: participation carries the whole effect of the mechanisms (full mediation).") + measurement() + [
    md("""
## Structural model

MLR: ML estimates with robust standard errors and the scaled test.
"""),
    code('''
res = fit(inst, used, estimator="MLR")
res
'''),
    code(paths_vs_truth()),
    code('path_diagram(res, inst, lang="zh")'),
    *effects_cells("""
## Serial mechanisms (H4)

Every specific indirect effect, from each root cause through its mechanism and participation to
the two outcomes, with bias-corrected bootstrap intervals (200 draws).
"""),
    md("""
## Does participation carry the whole effect? (H5)

Direct paths from the three mechanisms to governance effectiveness are added, and the two nested
models compared (scaled difference test for MLR, Satorra-Bentler 2001, as `lavTestLRT`).
"""),
    code('''
partial = inst.model_syntax() + "GE ~ SI + IG + EM\\n"
res_partial = fit(partial, used, estimator="MLR")
compare(res, res_partial)
'''),
    md("""
## Party organizations are community-level

The mechanisms are run by each community's Party organization, so part of their variance should
lie between communities: ICC(1), ICC(2) and design effects by community.
"""),
    code('''
from govstats import multilevel
multilevel(inst, used, cluster="community_id", mixed=False)
'''),
    *SUMMARY,
])

GRID = notebook(study_start(
    "grid_governance", "Generalist grid governance (全科网格治理) and the quality and efficiency of grassroots governance",
    "Wang & You (2024) study X Street in F City: the conceptual structure (shared governance values), "
    "the interest structure and the relationship structure build a governance community, and the "
    "identity, connection and interaction mechanisms of the generalist grid raise both the quality "
    "and the efficiency of grassroots governance and service.",
    "003_625e31c6a5e537eb.txt",
    "- H1: shared governance values (治理价值共识) → the identity mechanism (认同机制);\n"
    "- H2: the interest structure (利益结构) → the connection mechanism (联结机制);\n"
    "- H3: the relationship structure (关系结构) → the interaction mechanism (互动机制);\n"
    "- H4: the three mechanisms raise the quality and efficiency of governance and service "
    "(基层治理与服务质效), so each structure acts through its mechanism;\n"
    "- H5: the measures mean the same in the three districts (measurement invariance), so that "
    "districts can be compared.") + measurement() + [
    md("""
## Structural model by WLSMV

The items are five-point ordinal answers, so the model is fitted as lavaan's WLSMV:
thresholds, polychoric correlations, robust standard errors and the scaled-shifted test.
"""),
    code('''
res = fit(inst, used, ordered=True)
pd.Series(res.fit_measures)[["chisq_scaled", "df", "pvalue_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"]].to_frame("value").T
'''),
    code(paths_vs_truth()),
    code('path_diagram(res, inst, lang="zh")'),
    *effects_cells("""
## Each structure acts through its mechanism (H4)

Bootstrap intervals come from the ML fit of the same model (200 draws, bias-corrected); the
standardized estimates are close to the WLSMV ones above.
"""),
    md("""
## Are the districts comparable? (H5)

Configural, metric and scalar invariance across the three districts, with lavaan's
difference tests and Chen's (2007) criteria.
"""),
    code('''
from govstats import invariance
inv = invariance(inst, used, group="district", estimator="ML", levels=["configural", "metric", "scalar"])
inv
'''),
    code("inv.latent_means().head(10)"),
    *SUMMARY,
])

PLATFORM = notebook(study_start(
    "platform_dilemma", "Practical dilemmas of a community governance platform (社区治理平台的实践困境)",
    "The study (social-work station of S Street in a high-tech zone of C City) explains the "
    "platform's dilemmas by a dual institutional logic: the development zone's economic priority, "
    "and government purchase of services that passes top-down pressure to social organizations. "
    "Social organizations become dependent on government resources, lose autonomy, embed less in "
    "the community, and the platform performs worse.",
    "004_5534d10b9816e6a7.txt",
    "- H1: pressure through government purchase of services (政府购买服务的压力传导) and the "
    "development-zone logic (开发区经济优先逻辑) raise social organizations' resource dependency "
    "(资源依赖);\n"
    "- H2: pressure and dependency lower their autonomy (自主性): negative paths;\n"
    "- H3: autonomy raises embeddedness (嵌入性), which raises platform performance (平台治理绩效);\n"
    "- H4 (the dilemma): purchase pressure lowers performance through dependency, autonomy and "
    "embeddedness (a negative serial indirect effect), and the economic priority lowers it directly.") +
    measurement() + [
    md("""
## Structural model

MLR. The signs matter here: the study predicts negative paths into autonomy and from the
development-zone logic to performance.
"""),
    code('''
res = fit(inst, used, estimator="MLR")
pd.Series(res.fit_measures)[["chisq_scaled", "df", "cfi_robust", "tli_robust", "rmsea_robust", "srmr"]].to_frame("value").T
'''),
    code(paths_vs_truth()),
    *effects_cells("""
## The dilemma as a chain (H4)

Specific indirect effects on platform performance, with bias-corrected bootstrap intervals
(200 draws); the chain from purchase pressure through dependency, autonomy and embeddedness
should be negative.
"""),
    code('''
chain = eff.query("effect == 'indirect' and predictor == 'GP' and outcome == 'PP'")
chain[["path", "est", "ci_lower", "ci_upper", "std_all"]]
'''),
    md("""
## The report (in Chinese)

The analysis as the paper would report it: three-line tables, the path diagram, the indirect
effects and the methods-and-results paragraph, here in Chinese.
"""),
    code('''
from govstats import report
rep = report(inst, used, lang="zh", fit=res, check=check, exclude_flagged=False, bootstrap=0, seed=1)
print(rep.paragraph)
'''),
    code("rep"),
    *SUMMARY,
])

NOTEBOOKS = {
    "tutorial.ipynb": TUTORIAL,
    "ri_asset.ipynb": RI_ASSET,
    "ri_element.ipynb": RI_ELEMENT,
    "party_building.ipynb": PARTY,
    "grid_governance.ipynb": GRID,
    "platform_dilemma.ipynb": PLATFORM,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed notebook differs")
    args = parser.parse_args()
    stale = []
    for name, nb in NOTEBOOKS.items():
        text = nbformat.writes(nb) + "\n"
        path = HERE / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(path)
    if stale:
        print(f"not as make_notebooks.py writes them: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
