#!/usr/bin/env Rscript
# lavaan reference for a defined (:=) indirect effect in an ordinal (WLSMV) SEM.
# Run from the repository root (CI never runs R; the JSON it writes is committed):
#   Rscript tests/reference/sem_ordinal/defined/make_defined.R
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
dir <- "tests/reference/sem_ordinal/defined"
data_file <- "data/synthetic/grid_governance.csv"
model <- paste(readLines(file.path(dir, "grid_indirect.lav"), encoding = "UTF-8"), collapse = "\n")
d <- read.csv(data_file)
items <- lavNames(lavaanify(model), "ov")
fit <- sem(model, d, ordered = items, estimator = "WLSMV")
pe <- parameterEstimates(fit, standardized = TRUE)
ss <- standardizedSolution(fit)
keep <- pe$op %in% c(":=", "~")
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  call = "sem(model, data, ordered = items, estimator = \"WLSMV\")",
  model_file = file.path(dir, "grid_indirect.lav"), data_file = data_file,
  params = data.frame(lhs = pe$lhs[keep], op = pe$op[keep], rhs = pe$rhs[keep], est = pe$est[keep],
                      se = pe$se[keep], z = pe$z[keep], std.all = pe$std.all[keep]),
  std_solution = data.frame(lhs = ss$lhs[keep], op = ss$op[keep], rhs = ss$rhs[keep],
                            est.std = ss$est.std[keep], se = ss$se[keep])
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, dataframe = "rows", pretty = TRUE),
           file.path(dir, "grid_indirect_wlsmv.json"))
