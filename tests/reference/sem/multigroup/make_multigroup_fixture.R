# Multiple-group CFA fixture (configural, metric, scalar) on HolzingerSwineford1939 by school.
# Run from the repository root:  Rscript tests/reference/sem/multigroup/make_multigroup_fixture.R
suppressMessages({library(lavaan); library(jsonlite)})
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
data <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
out <- list(lavaan_version = as.character(packageVersion("lavaan")), model = model, group = "school",
            data_file = "tests/reference/data/HolzingerSwineford1939.csv", cases = list())
for (eq in list("none", "loadings", c("loadings", "intercepts"))) {
  f <- if (eq[1] == "none") cfa(model, data = data, group = "school") else
    cfa(model, data = data, group = "school", group.equal = eq)
  pe <- parameterEstimates(f, standardized = TRUE)
  out$cases[[length(out$cases) + 1]] <- list(
    group_equal = eq, group_labels = lavInspect(f, "group.label"),
    fit = as.list(fitMeasures(f, c("chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic"))),
    params = pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.all")])
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/reference/sem/multigroup/hs_multigroup.json")
