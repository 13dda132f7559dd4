"""Data of the two-level fixtures: a seed instrument's synthetic responses with community-level
variance (grid_governance, 100 communities, 1500 residents, seed 20261202), the items of two
constructs only. Run from the repository root:
python tests/reference/sem/twolevel/make_twolevel_data.py
(Demo.twolevel is exported by make_twolevel.R from lavaan itself.)"""

from pathlib import Path


def main() -> None:
    from govstats import load_instrument, simulate

    here = Path(__file__).parent
    instrument = load_instrument(Path("instruments/grid_governance.yaml"))
    frame = simulate(instrument, 1500, seed=20261202, communities=100).responses
    columns = ["community_id"] + [f"VS{i}" for i in range(1, 5)] + [f"IS{i}" for i in range(1, 5)]
    frame[columns].to_csv(here / "data" / "grid_twolevel.csv", index=False)


if __name__ == "__main__":
    main()
