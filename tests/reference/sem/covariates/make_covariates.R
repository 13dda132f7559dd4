# Exogenous observed covariates (fixed.x) with ML, MLR and cluster-robust fits: the scaled test
# leaves the covariates' own moments out of the saturated model, as lavaan does.
# Run from the repository root:  Rscript tests/reference/sem/covariates/make_covariates.R
source("tests/reference/sem/lavaan_cases.R")
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
hs$agec <- hs$ageyr - mean(hs$ageyr)
hs$sexc <- hs$sex - 1.5
ri <- read.csv("data/synthetic/ri_asset.csv")
mimic <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec"
mimic2 <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec + sexc"
ri_model <- "IC =~ IC1 + IC2 + IC3 + IC4\nPS =~ PS1 + PS2 + PS3 + PS4\nPS ~ IC + age + gender\nIC ~ age"
cases <- list(
  list(id = "hs_mimic_ml", data = "hs", model = mimic, args = list()),
  list(id = "hs_mimic_mlr", data = "hs", model = mimic, args = list(estimator = "MLR")),
  list(id = "ri_covariates_mlr", data = "ri", model = ri_model, args = list(estimator = "MLR")),
  list(id = "ri_covariates_cluster", data = "ri", model = ri_model, args = list(cluster = "community_id")),
  list(id = "ri_covariates_mlr_cluster", data = "ri", model = ri_model,
       args = list(estimator = "MLR", cluster = "community_id")),
  # fixed.x = FALSE: the covariates are modeled, and the baseline keeps their covariance free
  list(id = "hs_mimic2_randomx_ml", data = "hs", model = mimic2, args = list(fixed.x = FALSE)),
  list(id = "hs_mimic2_randomx_mlr", data = "hs", model = mimic2, args = list(fixed.x = FALSE, estimator = "MLR")),
  list(id = "hs_mimic2_randomx_mlm", data = "hs", model = mimic2, args = list(fixed.x = FALSE, estimator = "MLM"))
)
measures <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "logl", "aic", "bic",
              "baseline.chisq", "baseline.df", "chisq.scaled", "chisq.scaling.factor", "baseline.chisq.scaled",
              "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
              "rmsea.scaled", "rmsea.robust")
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            data_files = list(hs = "tests/reference/data/HolzingerSwineford1939.csv (agec = ageyr - mean, sexc = sex - 1.5)",
                              ri = "data/synthetic/ri_asset.csv"), cases = list())
for (cs in cases) {
  out$cases[[length(out$cases) + 1]] <- case_record(cs, fit_case(cs, list(hs = hs, ri = ri)), measures)
}
write_fixture(out, "tests/reference/sem/covariates/covariates.json")
