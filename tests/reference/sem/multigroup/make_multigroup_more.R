# More multiple-group fixtures: group.partial, every group.equal kind, std.lv, MLR.
# Run from the repository root:  Rscript tests/reference/sem/multigroup/make_multigroup_more.R
suppressMessages({library(lavaan); library(jsonlite)})
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
data <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
cases <- list(
  list(id = "partial", args = list(group.equal = c("loadings", "intercepts"),
                                   group.partial = c("visual=~x2", "x3~1"))),
  list(id = "everything", args = list(group.equal = c("loadings", "intercepts", "residuals", "lv.variances",
                                                      "lv.covariances", "means"))),
  list(id = "stdlv_loadings", args = list(group.equal = "loadings", std.lv = TRUE)),
  list(id = "mlr_configural", args = list(estimator = "MLR")),
  list(id = "mlr_scalar", args = list(estimator = "MLR", group.equal = c("loadings", "intercepts")))
)
measures <- c("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "baseline.chisq",
              "chisq.scaled", "chisq.scaling.factor", "baseline.chisq.scaled", "baseline.chisq.scaling.factor",
              "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust", "rmsea.scaled", "rmsea.robust")
out <- list(lavaan_version = as.character(packageVersion("lavaan")), model = model, group = "school",
            data_file = "tests/reference/data/HolzingerSwineford1939.csv", cases = list())
for (cs in cases) {
  f <- do.call("cfa", c(list(model = model, data = data, group = "school"), cs$args))
  fm <- fitMeasures(f)
  pe <- parameterEstimates(f, standardized = TRUE)
  pe <- pe[pe$op != "==", ]
  out$cases[[length(out$cases) + 1]] <- list(
    id = cs$id, args = cs$args, group_labels = lavInspect(f, "group.label"),
    fit = as.list(fm[intersect(measures, names(fm))]),
    params = pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.lv", "std.all")],
    partable = as.data.frame(parTable(f))[, c("lhs", "op", "rhs", "group", "free", "label", "plabel")])
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/sem/multigroup/hs_multigroup_more.json")
