# MLM (Satorra-Bentler) fits: robust.sem standard errors and the Satorra-Bentler scaled test.
# Run from the repository root:  Rscript tests/reference/sem/mlm/make_mlm.R
source("tests/reference/sem/lavaan_cases.R")
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
hs$agec <- hs$ageyr - mean(hs$ageyr)
pd <- read.csv("tests/reference/data/PoliticalDemocracy.csv")
hs_model <- paste(readLines("tests/reference/sem/models/hs_cfa.lav"), collapse = "\n")
pd_model <- paste(readLines("tests/reference/sem/models/poldem_sem.lav"), collapse = "\n")
mimic <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec"
cases <- list(
  list(id = "hs_cfa_mlm", data = "hs", model = hs_model, args = list(estimator = "MLM")),
  list(id = "poldem_sem_mlm", data = "pd", model = pd_model, args = list(estimator = "MLM")),
  list(id = "hs_groups_mlm", data = "hs", model = hs_model,
       args = list(estimator = "MLM", group = "school", group.equal = "loadings")),
  list(id = "hs_mimic_mlm", data = "hs", model = mimic, args = list(estimator = "MLM")),
  list(id = "hs_cfa_ml_robust_se", data = "hs", model = hs_model, args = list(se = "robust")),
  list(id = "hs_cfa_ml_sb_test", data = "hs", model = hs_model, args = list(test = "satorra.bentler"))
)
measures <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "baseline.chisq",
              "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor", "baseline.chisq.scaled",
              "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
              "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.robust",
              "rmsea.ci.lower.robust", "rmsea.ci.upper.robust")
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            data_files = list(hs = "tests/reference/data/HolzingerSwineford1939.csv (agec = ageyr - mean)",
                              pd = "tests/reference/data/PoliticalDemocracy.csv"), cases = list())
for (cs in cases) {
  f <- fit_case(cs, list(hs = hs, pd = pd))
  o <- lavInspect(f, "options")
  out$cases[[length(out$cases) + 1]] <- c(case_record(cs, f, measures),
                                          list(options = list(se = o$se, test = o$test, information = o$information)))
}
write_fixture(out, "tests/reference/sem/mlm/mlm.json")
