# FIML with auxiliary variables (saturated correlates) as semTools 0.5-6's sem.auxiliary: the
# auxiliary variables' rows in the parameter table, and semTools' baseline model for CFI/TLI.
# Run from the repository root:  Rscript tests/reference/sem/fiml/make_auxiliary.R
source("tests/reference/sem/lavaan_cases.R")
suppressMessages(library(semTools))
dir <- "tests/reference/sem/fiml"
rd <- function(name) read.csv(file.path(dir, "data", paste0(name, ".csv")), na.strings = c("", "NA"))
datasets <- list(hs_cov = rd("hs_cov"), hs_mcar = rd("hs_mcar"))
hs2 <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"
hs3 <- paste(readLines("tests/reference/sem/models/hs_cfa.lav"), collapse = "\n")
cases <- list(
  list(id = "hs2_aux_ml", data = "hs_cov", model = hs2, aux = c("agec", "sexc"), args = list(estimator = "ML")),
  list(id = "hs2_aux_mlr", data = "hs_cov", model = hs2, aux = c("agec", "sexc"), args = list(estimator = "MLR")),
  list(id = "hs3_aux_mlr", data = "hs_mcar", model = hs3, aux = c("ageyr", "grade"), args = list(estimator = "MLR")),
  list(id = "hs3_aux_groups", data = "hs_mcar", model = hs3, aux = c("ageyr"),
       args = list(estimator = "ML", group = "school"))
)
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            semtools_version = as.character(packageVersion("semTools")), cases = list())
for (cs in cases) {
  f <- suppressWarnings(do.call("sem.auxiliary", c(list(model = cs$model, data = datasets[[cs$data]], aux = cs$aux),
                                                  cs$args)))
  r <- case_record(cs, f, drop = c("srmr_mplus", "srmr_mplus_nomean", "cn_05", "cn_01", "gfi", "agfi", "pgfi",
                                   "mfi", "ecvi"))
  r$aux <- cs$aux
  out$cases[[length(out$cases) + 1]] <- r
}
write_fixture(out, file.path(dir, "auxiliary.json"))
