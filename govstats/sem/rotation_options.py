"""lavaan's rotation options of exploratory SEM blocks, under their Python names.

``rotation`` (lavaan's default "geomin"), ``rotation_args`` (a mapping with lavaan's
``rotation.args`` names, '.' or '_'), ``rotation_se`` ("bordered", or "delta"). Defaults are lavaan
0.6.14's (R/lav_options.R); what govstats does not do is refused by name.
"""

from __future__ import annotations

from collections.abc import Mapping

# the criteria of govstats.measurement.gpa (defined here: fit's options must not import the measurement package)
CRITERIA = ("geomin", "oblimin", "quartimin", "varimax", "quartimax", "orthomax", "cf", "cf-quartimax",
            "cf-varimax", "cf-equamax", "cf-parsimax", "cf-facparsim", "oblimax", "entropy", "target", "pst")
_ALIASES = {"crawfer": "cf", "crawford.ferguson": "cf", "crawford-ferguson": "cf", "crawfordferguson": "cf"}
# lavaan forces an orthogonal rotation for these (lav_options)
ORTHOGONAL_ONLY = ("varimax", "entropy")
# criteria that reward large loadings (orthomax family, oblimax): unbounded under oblique rotation
UNBOUNDED_OBLIQUE = ("quartimax", "orthomax", "oblimax")
# lavaan 0.6.14's rotation.args defaults, '_' for '.'; target and target_mask are matrices (here
# tuples of rows, None for NA)
ROTATION_ARGS = {"orthogonal": False, "row_weights": "default", "std_ov": True, "geomin_epsilon": 0.001,
                 "orthomax_gamma": 1.0, "cf_gamma": 0.0, "oblimin_gamma": 0.0, "promax_kappa": 4.0,
                 "target": (), "target_mask": (),
                 "rstarts": 30, "algorithm": "gpa", "reflect": True, "order_lv_by": "index", "gpa_tol": 1e-5,
                 "tol": 1e-8, "warn": False, "verbose": False, "jac_init_rot": True, "max_iter": 10000}
# lavaan's rotations that govstats does not do
OTHER_ROTATIONS = ("mccammon", "infomax", "tandem1", "tandem2", "promax", "bentler", "simplimax",
                   "biquartimin", "bi-quartimin", "bigeomin", "bi-geomin")
_ORDER = ("index", "sumofsquares", "none")


def rotation_options(rotation, rotation_args, rotation_se) -> dict:
    """FitOptions' rotation fields (rotation_args as (name, value) pairs in lavaan's order, every
    default filled in), or a ValueError naming the option."""
    rotation = "geomin" if rotation is None else rotation
    if not isinstance(rotation, str):
        raise ValueError(f"The 'rotation' parameter of fit must be one of {CRITERIA}. Got {rotation!r} instead.")
    rotation = _ALIASES.get(rotation.lower(), rotation.lower())
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
    if rotation in ORTHOGONAL_ONLY:
        args["orthogonal"] = True        # as lavaan, silently: these criteria are orthogonal ones
    if rotation in UNBOUNDED_OBLIQUE and not args["orthogonal"]:
        raise ValueError(f"rotation={rotation!r} with an oblique rotation (rotation_args orthogonal=False, lavaan's "
                         "default) has no minimum: the loadings grow without bound as the factors become collinear "
                         "(lavaan's GPA runs off: loadings near 1e5 with factor correlations of -1, or a singular "
                         "rotation matrix); pass "
                         "rotation_args={'orthogonal': True}, or use an oblique criterion (geomin, oblimin, cf-*, "
                         "target).")
    if str(args["row_weights"]).lower() == "default":   # lavaan: Kaiser's for varimax, none otherwise
        args["row_weights"] = "kaiser" if rotation == "varimax" else "none"
    rotation, args["target"], args["target_mask"] = _target(rotation, args["target"], args["target_mask"])
    return {"rotation": rotation, "rotation_args": tuple(args.items()), "rotation_se": rotation_se.lower()}


def _matrix(name: str, value) -> tuple:
    """A matrix as a tuple of rows of floats (None for NA), so that the options stay hashable and
    JSON round-trips; () for lavaan's empty default."""
    if value is None or (hasattr(value, "__len__") and len(value) == 0):
        return ()
    try:
        rows = [list(r) for r in (value.tolist() if hasattr(value, "tolist") else value)]
        out = tuple(tuple(None if v is None or v != v else float(v) for v in r) for r in rows)
    except (TypeError, ValueError):
        raise ValueError(f"rotation_args[{name!r}] must be a matrix (a list of rows of numbers, None or NaN for "
                         f"NA). Got {value!r} instead.") from None
    if len({len(r) for r in out}) != 1:
        raise ValueError(f"rotation_args[{name!r}] must be a matrix: its rows differ in length.")
    return out


def _target(rotation: str, target, mask) -> tuple[str, tuple, tuple]:
    """lavaan's target rules: a target is needed for target/pst, a mask for pst; a target with NA
    cells is a partially specified target (rotation 'pst', the NA cells free). Here the free cells
    of a pst are None in the target (its mask is folded in)."""
    target, mask = _matrix("target", target), _matrix("target_mask", mask)
    if rotation not in ("target", "pst"):
        if target or mask:
            raise ValueError(f"rotation_args['target'] applies to rotation='target' or 'pst'; the rotation is "
                             f"{rotation!r}.")
        return rotation, (), ()
    if not target:
        raise ValueError(f"rotation={rotation!r} needs rotation_args['target'], the target matrix (items x factors).")
    if rotation == "pst":
        if not mask:
            raise ValueError("rotation='pst' needs rotation_args['target_mask'] (1: a cell of the target, 0: free), "
                             "or give rotation='target' with NA (None) in the free cells.")
        if len(mask) != len(target) or len(mask[0]) != len(target[0]):
            raise ValueError("rotation_args['target_mask'] must have the shape of rotation_args['target'].")
        target = tuple(tuple(None if m == 0 else t for t, m in zip(tr, mr)) for tr, mr in zip(target, mask))
    elif any(v is None for r in target for v in r):
        rotation = "pst"
    return rotation, target, ()


def _check(args: dict) -> None:
    for name in ("orthogonal", "std_ov", "reflect", "warn", "verbose", "jac_init_rot"):
        if not isinstance(args[name], bool):
            raise ValueError(f"rotation_args[{name!r}] must be True or False. Got {args[name]!r} instead.")
    if str(args["row_weights"]).lower() not in ("default", "none", "kaiser"):
        raise ValueError(f"rotation_args['row_weights'] = {args['row_weights']!r} is not available in this version; "
                         "use 'none' or 'kaiser' (lavaan's default: Kaiser's for varimax, none otherwise).")
    args["row_weights"] = str(args["row_weights"]).lower()
    if str(args["algorithm"]).lower() != "gpa":
        raise ValueError(f"rotation_args['algorithm'] = {args['algorithm']!r} is not available in this version; "
                         "use 'gpa' (lavaan's default).")
    if args["order_lv_by"] not in _ORDER:
        raise ValueError(f"rotation_args['order_lv_by'] must be one of {_ORDER}. Got {args['order_lv_by']!r} "
                         "instead.")
    if not args["jac_init_rot"]:
        raise ValueError("rotation_args['jac_init_rot'] = False is not available in this version (it matters only "
                         "for rotation_se='delta').")
    for name in ("geomin_epsilon", "oblimin_gamma", "orthomax_gamma", "gpa_tol"):
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
    # lavaan reads cf.gamma nowhere (its "cf" takes orthomax.gamma), promax.kappa and tol only for
    # rotations refused above: other values would change nothing, so they are refused
    for name, why in (("cf_gamma", "lavaan's 'cf' rotation takes orthomax_gamma"),
                      ("promax_kappa", "promax is not available"), ("tol", "it applies to the pairwise algorithm")):
        if args[name] != ROTATION_ARGS[name]:
            raise ValueError(f"rotation_args[{name!r}] has no effect ({why}); leave it out.")
