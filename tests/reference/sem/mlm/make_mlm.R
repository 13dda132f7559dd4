# MLM (Satorra-Bentler) fits: robust.sem standard errors and the Satorra-Bentler scaled test; MLMV
# (scaled-shifted test) and MLMVS (mean-and-variance adjusted test), and those tests added to ML.
# Run from the repository root:  Rscript tests/reference/sem/mlm/make_mlm.R
source("tests/reference/sem/lavaan_cases.R")
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
hs$agec <- hs$ageyr - mean(hs$ageyr)
pd <- read.csv("tests/reference/data/PoliticalDemocracy.csv")
hs_model <- paste(readLines("tests/reference/sem/models/hs_cfa.lav"), collapse = "\n")
pd_model <- paste(readLines("tests/reference/sem/models/poldem_sem.lav"), collapse = "\n")
mimic <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec"
mimic2 <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec + sex"
cases <- list(
  list(id = "hs_cfa_mlm", data = "hs", model = hs_model, args = list(estimator = "MLM")),
  list(id = "poldem_sem_mlm", data = "pd", model = pd_model, args = list(estimator = "MLM")),
  list(id = "hs_groups_mlm", data = "hs", model = hs_model,
       args = list(estimator = "MLM", group = "school", group.equal = "loadings")),
  list(id = "hs_mimic_mlm", data = "hs", model = mimic, args = list(estimator = "MLM")),
  list(id = "hs_cfa_ml_robust_se", data = "hs", model = hs_model, args = list(se = "robust")),
  list(id = "hs_cfa_ml_sb_test", data = "hs", model = hs_model, args = list(test = "satorra.bentler")),
  list(id = "hs_cfa_mlmv", data = "hs", model = hs_model, args = list(estimator = "MLMV")),
  list(id = "hs_cfa_mlmvs", data = "hs", model = hs_model, args = list(estimator = "MLMVS")),
  list(id = "poldem_sem_mlmv", data = "pd", model = pd_model, args = list(estimator = "MLMV")),
  list(id = "hs_mimic_mlmv", data = "hs", model = mimic, args = list(estimator = "MLMV")),
  list(id = "hs_mimic_mlmvs", data = "hs", model = mimic, args = list(estimator = "MLMVS")),
  list(id = "hs_mimic2_mlmv_free_x", data = "hs", model = mimic2, args = list(estimator = "MLMV", fixed.x = FALSE)),
  list(id = "hs_groups_mlmv", data = "hs", model = hs_model,
       args = list(estimator = "MLMV", group = "school", group.equal = "loadings")),
  list(id = "hs_groups_mlmvs", data = "hs", model = hs_model, args = list(estimator = "MLMVS", group = "school")),
  list(id = "hs_groups_mimic2_mlmv", data = "hs", model = mimic2, args = list(estimator = "MLMV", group = "school")),
  list(id = "hs_cfa_ml_scaled_shifted", data = "hs", model = hs_model, args = list(test = "scaled.shifted")),
  list(id = "hs_cfa_ml_mean_var_adjusted", data = "hs", model = hs_model, args = list(test = "mean.var.adjusted")),
  list(id = "hs_cfa_mlmv_standard_se", data = "hs", model = hs_model,
       args = list(estimator = "MLMV", se = "standard", meanstructure = TRUE))
)
measures <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "baseline.chisq",
              "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor", "baseline.chisq.scaled",
              "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
              "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.robust",
              "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "pvalue.scaled", "baseline.df.scaled",
              "baseline.pvalue.scaled", "nnfi.scaled", "rfi.scaled", "nfi.scaled", "pnfi.scaled", "ifi.scaled",
              "rni.scaled", "nnfi.robust", "rni.robust", "rmsea.pvalue.scaled", "rmsea.notclose.pvalue.scaled",
              "rmsea.pvalue.robust", "rmsea.notclose.pvalue.robust", "logl", "unrestricted.logl", "aic", "bic")
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            data_files = list(hs = "tests/reference/data/HolzingerSwineford1939.csv (agec = ageyr - mean)",
                              pd = "tests/reference/data/PoliticalDemocracy.csv"), cases = list())
for (cs in cases) {
  f <- fit_case(cs, list(hs = hs, pd = pd))
  o <- lavInspect(f, "options")
  # the scaled test's own record (shift.parameter, trace.UGamma, trace.UGamma2 are not in fitMeasures)
  scaled <- Filter(function(t) t$test != "standard", lavInspect(f, "test"))
  test <- if (length(scaled)) scaled[[1]][intersect(c("test", "stat", "df", "scaling.factor", "shift.parameter",
                                                     "trace.UGamma", "trace.UGamma2"), names(scaled[[1]]))] else NULL
  out$cases[[length(out$cases) + 1]] <- c(case_record(cs, f, measures),
                                          list(options = list(se = o$se, test = o$test, information = o$information,
                                                              fixed.x = o$fixed.x),
                                               scaled_test = test))
}
write_fixture(out, "tests/reference/sem/mlm/mlm.json")
