# GLS, ULS, DWLS and WLS on continuous data (lavaan 0.6.14): estimates, standard SEs, fit measures.
# Run from the repository root:  Rscript tests/reference/sem/least_squares/make_least_squares.R
source("tests/reference/sem/lavaan_cases.R")
pd <- read.csv("tests/reference/data/PoliticalDemocracy.csv")
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
hs$agec <- hs$ageyr - mean(hs$ageyr)
poldem <- paste(readLines("tests/reference/sem/models/poldem_sem.lav"), collapse = "\n")
small <- "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60"
hs_model <- paste(readLines("tests/reference/sem/models/hs_cfa.lav"), collapse = "\n")
# exogenous observed covariates: lavaan's default for these estimators is fixed.x = FALSE (their
# variances and covariances are free parameters); fixed.x = TRUE fixes them at the sample values
mimic <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec"
mimic2 <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec + sex"
pd_cov <- "dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2"
cases <- list(
  list(id = "poldem_gls", data = "pd", model = poldem, args = list(estimator = "GLS")),
  list(id = "poldem_uls", data = "pd", model = poldem, args = list(estimator = "ULS")),
  list(id = "poldem_dwls", data = "pd", model = poldem, args = list(estimator = "DWLS")),
  list(id = "poldem_small_wls", data = "pd", model = small, args = list(estimator = "WLS")),
  list(id = "hs_groups_gls", data = "hs", model = hs_model,
       args = list(estimator = "GLS", group = "school", group.equal = "loadings")),
  list(id = "hs_uls_meanstructure", data = "hs", model = hs_model, args = list(estimator = "ULS", meanstructure = TRUE)),
  list(id = "hs_wls", data = "hs", model = hs_model, args = list(estimator = "WLS")),
  list(id = "hs_mimic_uls", data = "hs", model = mimic, args = list(estimator = "ULS")),
  list(id = "hs_mimic2_gls", data = "hs", model = mimic2, args = list(estimator = "GLS")),
  list(id = "hs_mimic2_dwls", data = "hs", model = mimic2, args = list(estimator = "DWLS")),
  list(id = "hs_mimic2_wls", data = "hs", model = mimic2, args = list(estimator = "WLS")),
  list(id = "hs_mimic2_gls_fixed_x", data = "hs", model = mimic2, args = list(estimator = "GLS", fixed.x = TRUE)),
  list(id = "hs_mimic2_dwls_fixed_x", data = "hs", model = mimic2, args = list(estimator = "DWLS", fixed.x = TRUE)),
  list(id = "hs_mimic2_wls_fixed_x", data = "hs", model = mimic2, args = list(estimator = "WLS", fixed.x = TRUE)),
  list(id = "poldem_cov_dwls_means_fixed_x", data = "pd", model = pd_cov,
       args = list(estimator = "DWLS", meanstructure = TRUE, fixed.x = TRUE)),
  list(id = "hs_mimic2_uls_fixed_x", data = "hs", model = mimic2, args = list(estimator = "ULS", fixed.x = TRUE)),
  list(id = "poldem_cov_wls", data = "pd", model = pd_cov, args = list(estimator = "WLS")),
  list(id = "poldem_cov_uls_means", data = "pd", model = pd_cov, args = list(estimator = "ULS", meanstructure = TRUE)),
  list(id = "poldem_cov_gls_means_fixed_x", data = "pd", model = pd_cov,
       args = list(estimator = "GLS", meanstructure = TRUE, fixed.x = TRUE)),
  list(id = "hs_groups_mimic2_dwls", data = "hs", model = mimic2, args = list(estimator = "DWLS", group = "school")),
  list(id = "hs_groups_mimic2_gls_fixed_x", data = "hs", model = mimic2,
       args = list(estimator = "GLS", group = "school", group.equal = "loadings", fixed.x = TRUE))
)
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            data_files = list(pd = "tests/reference/data/PoliticalDemocracy.csv",
                              hs = "tests/reference/data/HolzingerSwineford1939.csv (agec = ageyr - mean)"),
            cases = list())
drop <- c("cn_05", "cn_01", "gfi", "agfi", "pgfi", "mfi", "ecvi", "srmr_mplus", "srmr_mplus_nomean")
for (cs in cases) {
  f <- fit_case(cs, list(pd = pd, hs = hs))
  out$cases[[length(out$cases) + 1]] <- c(case_record(cs, f, drop = drop),
                                          list(converged = lavInspect(f, "converged"),
                                               fixed_x = lavInspect(f, "options")$fixed.x))
}
write_fixture(out, "tests/reference/sem/least_squares/least_squares.json")
