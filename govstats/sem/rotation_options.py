"""lavaan's rotation options of exploratory SEM blocks, under their Python names.

``rotation`` (lavaan's default "geomin"), ``rotation_args`` (a mapping with lavaan's
``rotation.args`` names, '.' or '_'), ``rotation_se`` ("bordered", or "delta"). Defaults are lavaan
0.6.14's (R/lav_options.R); what govstats does not do is refused by name.
"""

from __future__ import annotations

from collections.abc import Mapping

# the criteria of govstats.measurement.gpa (not imported here: fit's options load before the measurement package)
CRITERIA = ("geomin", "oblimin", "quartimin")
# lavaan 0.6.14's rotation.args defaults, '_' for '.'
ROTATION_ARGS = {"orthogonal": False, "row_weights": "default", "std_ov": True, "geomin_epsilon": 0.001,
                 "orthomax_gamma": 1.0, "cf_gamma": 0.0, "oblimin_gamma": 0.0, "promax_kappa": 4.0,
                 "rstarts": 30, "algorithm": "gpa", "reflect": True, "order_lv_by": "index", "gpa_tol": 1e-5,
                 "tol": 1e-8, "warn": False, "verbose": False, "jac_init_rot": True, "max_iter": 10000}
# lavaan's rotations that govstats does not do (it has them all)
OTHER_ROTATIONS = ("varimax", "quartimax", "orthomax", "cf", "cf-quartimax", "cf-varimax", "cf-equamax",
                   "cf-parsimax", "cf-facparsim", "crawford-ferguson", "oblimax", "entropy", "mccammon",
                   "infomax", "tandem1", "tandem2", "promax", "target", "pst", "bentler", "simplimax",
                   "biquartimin", "bi-quartimin", "bigeomin", "bi-geomin")
_ORDER = ("index", "sumofsquares", "none")


def rotation_options(rotation, rotation_args, rotation_se) -> dict:
    """FitOptions' rotation fields (rotation_args as (name, value) pairs in lavaan's order, every
    default filled in), or a ValueError naming the option."""
    rotation = "geomin" if rotation is None else rotation
    if not isinstance(rotation, str):
        raise ValueError(f"The 'rotation' parameter of fit must be one of {CRITERIA}. Got {rotation!r} instead.")
    rotation = rotation.lower()
    if rotation in OTHER_ROTATIONS or rotation == "none":
        raise ValueError(f"The rotation {rotation!r} of exploratory SEM blocks is not available in this version; "
                         f"the 'rotation' parameter of fit must be one of {CRITERIA}.")
    if rotation not in CRITERIA:
        raise ValueError(f"The 'rotation' parameter of fit must be one of {CRITERIA}. Got {rotation!r} instead.")
    rotation_se = "bordered" if rotation_se is None else rotation_se
    if not isinstance(rotation_se, str) or rotation_se.lower() not in ("bordered", "delta"):
        raise ValueError(f"The 'rotation_se' parameter of fit must be one of {{'bordered', 'delta'}}. "
                         f"Got {rotation_se!r} instead.")
    if rotation_args is None:
        rotation_args = {}
    if not isinstance(rotation_args, Mapping):
        raise ValueError("The 'rotation_args' parameter of fit must be a mapping such as {'geomin_epsilon': 0.01}. "
                         f"Got {rotation_args!r} instead.")
    args = dict(ROTATION_ARGS)
    for key, value in rotation_args.items():
        name = str(key).replace(".", "_")
        if name not in ROTATION_ARGS:
            raise ValueError(f"The 'rotation_args' parameter of fit has an unknown entry {key!r}; lavaan's "
                             f"rotation.args are {sorted(ROTATION_ARGS)}.")
        args[name] = value
    _check(args)
    return {"rotation": rotation, "rotation_args": tuple(args.items()), "rotation_se": rotation_se.lower()}


def _check(args: dict) -> None:
    for name in ("orthogonal", "std_ov", "reflect", "warn", "verbose", "jac_init_rot"):
        if not isinstance(args[name], bool):
            raise ValueError(f"rotation_args[{name!r}] must be True or False. Got {args[name]!r} instead.")
    if str(args["row_weights"]).lower() not in ("default", "none"):
        raise ValueError(f"rotation_args['row_weights'] = {args['row_weights']!r} is not available in this version; "
                         "use 'none' (lavaan's default for geomin and oblimin).")
    if str(args["algorithm"]).lower() != "gpa":
        raise ValueError(f"rotation_args['algorithm'] = {args['algorithm']!r} is not available in this version; "
                         "use 'gpa' (lavaan's default).")
    if args["order_lv_by"] not in _ORDER:
        raise ValueError(f"rotation_args['order_lv_by'] must be one of {_ORDER}. Got {args['order_lv_by']!r} "
                         "instead.")
    if not args["jac_init_rot"]:
        raise ValueError("rotation_args['jac_init_rot'] = False is not available in this version (it matters only "
                         "for rotation_se='delta').")
    for name in ("geomin_epsilon", "oblimin_gamma", "gpa_tol"):
        value = args[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise ValueError(f"rotation_args[{name!r}] must be a number. Got {value!r} instead.")
        args[name] = float(value)
    if args["geomin_epsilon"] <= 0 or args["gpa_tol"] <= 0:
        raise ValueError("rotation_args['geomin_epsilon'] and rotation_args['gpa_tol'] must be positive.")
    for name in ("rstarts", "max_iter"):
        value = args[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"rotation_args[{name!r}] must be a non-negative integer. Got {value!r} instead.")
    # options lavaan uses only for rotations refused above: kept at lavaan's defaults so the options replay
    for name in ("orthomax_gamma", "cf_gamma", "promax_kappa", "tol"):
        if args[name] != ROTATION_ARGS[name]:
            raise ValueError(f"rotation_args[{name!r}] applies to rotations that are not available in this "
                             "version (geomin, oblimin and quartimin are); leave it out.")
