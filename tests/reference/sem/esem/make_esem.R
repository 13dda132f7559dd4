# Exploratory SEM blocks (efa("...")*f =~ ...) as lavaan 0.6.14 fits them: the unrotated fit,
# GPA rotation with random starts (rstarts = 30), bordered standard errors (rotation.se = "bordered").
# Run from the repository root:  Rscript tests/reference/sem/esem/make_esem.R
source("tests/reference/sem/lavaan_cases.R")
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
pd <- read.csv("data/synthetic/platform_dilemma.csv")
# blanks for FIML, placed by id (the Python tests blank the same cells)
hs_na <- hs
hs_na$x1[hs$id %% 7 == 0] <- NA
hs_na$x5[hs$id %% 11 == 0] <- NA
hs_na$x9[hs$id %% 13 == 0] <- NA
esem3 <- 'efa("efa")*f1 + efa("efa")*f2 + efa("efa")*f3 =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9'
# an efa block of two factors, a CFA factor, and a regression of the CFA factor on the efa factors
esem_cfa <- 'efa("b1")*f1 + efa("b1")*f2 =~ x1 + x2 + x3 + x4 + x5 + x6
speed =~ x7 + x8 + x9
speed ~ f1 + f2'
# labels and a defined parameter of rotated coefficients
esem_defined <- 'efa("b1")*f1 + efa("b1")*f2 =~ x1 + x2 + x3 + x4 + x5 + x6
speed =~ x7 + x8 + x9
speed ~ a*f1 + b*f2
d := a - b'
# the CFA factor exogenous: its covariances with the efa factors rotate with them
esem_exo <- 'efa("b1")*f1 + efa("b1")*f2 =~ x1 + x2 + x3 + x4 + x5 + x6
speed =~ x7 + x8 + x9'
# efa factors regressed on an observed covariate (fixed.x)
esem_cov <- 'efa("b1")*f1 + efa("b1")*f2 =~ x1 + x2 + x3 + x4 + x5 + x6
f1 + f2 ~ ageyr'
# an item of the efa block also measured by the CFA factor, a residual covariance; means and std.lv
esem_cross <- 'efa("b1")*f1 + efa("b1")*f2 =~ x1 + x2 + x3 + x4 + x5 + x6
speed =~ x7 + x8 + x9 + x1
x9 ~~ x6'
# an observed outcome regressed on the efa factors
esem_outcome <- 'efa("b1")*f1 + efa("b1")*f2 =~ x1 + x2 + x3 + x4 + x5 + x6
x7 ~ f1 + f2'
# two efa blocks (drivers and outcomes of platform governance), regressions between them
two_blocks <- 'efa("drivers")*d1 + efa("drivers")*d2 =~ DZ1 + DZ2 + DZ3 + DZ4 + GP1 + GP2 + GP3 + GP4
efa("outcomes")*o1 + efa("outcomes")*o2 =~ EB1 + EB2 + EB3 + EB4 + EB5 + PP1 + PP2 + PP3 + PP4 + PP5
o1 + o2 ~ d1 + d2'
# ordered items (WLSMV, delta parameterization): an efa block of Likert items and a CFA factor on it
ordinal <- 'efa("drivers")*d1 + efa("drivers")*d2 =~ DZ1 + DZ2 + DZ3 + DZ4 + GP1 + GP2 + GP3 + GP4
AU =~ AU1 + AU2 + AU3 + AU4
AU ~ d1 + d2'
cases <- list(
  list(id = "esem3_geomin_ml", data = "hs", model = esem3, args = list()),
  list(id = "esem3_oblimin_ml", data = "hs", model = esem3, args = list(rotation = "oblimin")),
  list(id = "esem3_geomin_mlr", data = "hs", model = esem3, args = list(estimator = "MLR")),
  list(id = "esem3_geomin_eps01_rawov_ml", data = "hs", model = esem3,
       args = list(rotation.args = list(geomin.epsilon = 0.01, std.ov = FALSE))),
  list(id = "esem_cfa_ml", data = "hs", model = esem_cfa, args = list()),
  list(id = "esem_cfa_mlr", data = "hs", model = esem_cfa, args = list(estimator = "MLR")),
  list(id = "esem_cfa_oblimin_ml", data = "hs", model = esem_cfa, args = list(rotation = "oblimin")),
  list(id = "esem_defined_ml", data = "hs", model = esem_defined, args = list()),
  list(id = "esem_defined_mlr", data = "hs", model = esem_defined, args = list(estimator = "MLR")),
  list(id = "esem_exo_cfa_ml", data = "hs", model = esem_exo, args = list()),
  list(id = "esem_covariate_ml", data = "hs", model = esem_cov, args = list()),
  list(id = "esem_cross_means_stdlv_ml", data = "hs", model = esem_cross,
       args = list(meanstructure = TRUE, std.lv = TRUE)),
  list(id = "esem_outcome_ml", data = "hs", model = esem_outcome, args = list()),
  list(id = "two_blocks_ml", data = "pd", model = two_blocks, args = list()),
  list(id = "two_blocks_mlr", data = "pd", model = two_blocks, args = list(estimator = "MLR")),
  # orthogonal rotation (rotation.args$orthogonal): efa factor covariances fixed at 0, Z symmetric
  list(id = "esem3_geomin_orthogonal_ml", data = "hs", model = esem3,
       args = list(rotation.args = list(orthogonal = TRUE))),
  list(id = "esem_exo_quartimin_orthogonal_mlr", data = "hs", model = esem_exo,
       args = list(estimator = "MLR", rotation = "quartimin", rotation.args = list(orthogonal = TRUE))),
  list(id = "two_blocks_orthogonal_ml", data = "pd", model = two_blocks,
       args = list(rotation.args = list(orthogonal = TRUE))),
  # FIML (missing = "ml"): the unrotated fit on every answer, bordered SEs from the observed information
  list(id = "esem_cfa_fiml_ml", data = "hs_na", model = esem_cfa, args = list(missing = "ml")),
  list(id = "esem_cfa_fiml_mlr", data = "hs_na", model = esem_cfa, args = list(missing = "ml", estimator = "MLR")),
  list(id = "ordinal_wlsmv", data = "pd", model = ordinal, args = list(ordered = TRUE)),
  # rotation.se = "delta": J V J' with J by forward differences (step 0.005) from the solution's rotation;
  # that Jacobian depends on where GPA stopped (gradient norm 1e-5), so lavaan's own delta SEs move with
  # the seed of its random starts: se_by_seed below records them for seeds 1-5
  list(id = "esem3_geomin_delta_ml", data = "hs", model = esem3, args = list(rotation.se = "delta")),
  list(id = "esem_cfa_oblimin_delta_mlr", data = "hs", model = esem_cfa,
       args = list(rotation.se = "delta", rotation = "oblimin", estimator = "MLR")),
  # other lavaan rotations: varimax (orthogonal, Kaiser's row weights), a Crawford-Ferguson member,
  # oblimax (orthogonal: oblique, lavaan's loadings run off to 1e5 with factor correlations of -1),
  # and a partially specified target (NA cells free) as ESEM studies use
  list(id = "esem3_varimax_ml", data = "hs", model = esem3, args = list(rotation = "varimax")),
  list(id = "esem3_cfequamax_ml", data = "hs", model = esem3, args = list(rotation = "cf-equamax")),
  list(id = "esem3_oblimax_orthogonal_ml", data = "hs", model = esem3,
       args = list(rotation = "oblimax", rotation.args = list(orthogonal = TRUE))),
  list(id = "esem3_entropy_ml", data = "hs", model = esem3, args = list(rotation = "entropy")),
  list(id = "esem3_quartimax_orthogonal_ml", data = "hs", model = esem3,
       args = list(rotation = "quartimax", rotation.args = list(orthogonal = TRUE))),
  list(id = "esem3_orthomax_orthogonal_ml", data = "hs", model = esem3,
       args = list(rotation = "orthomax", rotation.args = list(orthogonal = TRUE, orthomax.gamma = 0.5))),
  list(id = "esem3_cf_ml", data = "hs", model = esem3, args = list(rotation = "cf")),
  list(id = "esem3_target_mlr", data = "hs", model = esem3,
       args = list(rotation = "target", estimator = "MLR",
                   rotation.args = list(target = matrix(c(NA, NA, NA, 0, 0, 0, 0, 0, 0,
                                                          0, 0, 0, NA, NA, NA, 0, 0, 0,
                                                          0, 0, 0, 0, 0, 0, NA, NA, NA), 9, 3)))),
  # cluster-robust (respondents in communities): robust.cluster SEs and the Yuan-Bentler test
  list(id = "two_blocks_cluster_mlr", data = "pd", model = two_blocks,
       args = list(estimator = "MLR", cluster = "community_id")),
  # other estimators: ULSMV on ordered items, MLM (Satorra-Bentler), ULS and GLS on continuous data
  list(id = "ordinal_ulsmv", data = "pd", model = ordinal, args = list(ordered = TRUE, estimator = "ULSMV")),
  list(id = "esem_cfa_mlm", data = "hs", model = esem_cfa, args = list(estimator = "MLM")),
  list(id = "esem_cfa_uls", data = "hs", model = esem_cfa, args = list(estimator = "ULS")),
  list(id = "esem_cfa_gls", data = "hs", model = esem_cfa, args = list(estimator = "GLS")),
  # several groups, configural: each group's echelon rows and rotation of its own
  list(id = "esem3_groups_ml", data = "hs", model = esem3, args = list(group = "school")),
  list(id = "esem_cfa_groups_mlr", data = "hs", model = esem_cfa, args = list(group = "school", estimator = "MLR")),
  list(id = "ordinal_oblimin_theta_wlsmv", data = "pd", model = ordinal,
       args = list(ordered = TRUE, rotation = "oblimin", parameterization = "theta"))
)
measures <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "logl",
              "chisq.scaled", "chisq.scaling.factor", "cfi.scaled", "cfi.robust", "rmsea.robust")
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            data_files = list(hs = "tests/reference/data/HolzingerSwineford1939.csv",
                              pd = "data/synthetic/platform_dilemma.csv",
                              hs_na = "tests/reference/data/HolzingerSwineford1939.csv"),
            blanks = list(x1 = 7, x5 = 11, x9 = 13), cases = list())
set.seed(20261203)  # the rotation's random starts
for (cs in cases) {
  f <- fit_case(cs, list(hs = hs, pd = pd, hs_na = hs_na), fun = "sem")
  rec <- case_record(cs, f, measures)
  pt <- parTable(f)
  rec$partable <- pt[, c("id", "lhs", "op", "rhs", "user", "group", "free", "ustart", "exo", "label", "efa",
                         "est", "se", "est.unrotated")]
  if (identical(cs$args$rotation.se, "delta")) {
    state <- .Random.seed
    rec$se_by_seed <- lapply(1:5, function(seed) {
      set.seed(seed)
      parameterEstimates(fit_case(cs, list(hs = hs, pd = pd, hs_na = hs_na), fun = "sem"))$se
    })
    .Random.seed <<- state
  }
  rec$rotation <- lavInspect(f, "options")$rotation
  rec$rotation_args <- lavInspect(f, "options")$rotation.args[c("geomin.epsilon", "oblimin.gamma", "std.ov",
                                                                "orthogonal", "rstarts", "row.weights",
                                                                "orthomax.gamma")]
  out$cases[[length(out$cases) + 1]] <- rec
}
write_fixture(out, "tests/reference/sem/esem/esem.json")

# lavTestLRT of a CFA nested in an ESEM of the same items (Satorra 2000 with WLSMV, Satorra-Bentler
# 2001 with MLR): govstats.compare uses the unrotated parameterization for the Jacobian
cfa_drivers <- 'd1 =~ DZ1 + DZ2 + DZ3 + DZ4
d2 =~ GP1 + GP2 + GP3 + GP4
AU =~ AU1 + AU2 + AU3 + AU4
AU ~ d1 + d2'
comparisons <- list(
  list(id = "cfa_in_esem_wlsmv", args = list(ordered = TRUE)),
  list(id = "cfa_in_esem_mlr", args = list(estimator = "MLR"))
)
out$comparisons <- list()
set.seed(20261203)
for (cs in comparisons) {
  esem <- do.call("sem", c(list(model = ordinal, data = pd), cs$args))
  cfa <- do.call("sem", c(list(model = cfa_drivers, data = pd), cs$args))
  lrt <- lavTestLRT(cfa, esem)
  out$comparisons[[length(out$comparisons) + 1]] <- list(
    id = cs$id, data = "pd", smaller = cfa_drivers, larger = ordinal, args = cs$args,
    chisq_diff = lrt[["Chisq diff"]][2], df_diff = lrt[["Df diff"]][2], pvalue = lrt[["Pr(>Chisq)"]][2])
}
write_fixture(out, "tests/reference/sem/esem/esem.json")
