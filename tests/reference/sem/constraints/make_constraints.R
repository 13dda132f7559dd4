# Linear constraints as in lavaan's tutorial: equalities (==) with ML, MLR, several groups, WLSMV;
# inequalities (>, <), binding and not.
# Run from the repository root:  Rscript tests/reference/sem/constraints/make_constraints.R
source("tests/reference/sem/lavaan_cases.R")
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
grid <- read.csv("data/synthetic/grid_governance.csv")
simple <- "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\na == b"
affine <- paste("visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + c*x5 + d*x6\nspeed =~ x7 + x8 + x9",
                "a == b\nc + d == 2.2\nvisual ~~ e*textual\ne == 0.5*b - 0.1", sep = "\n")
groups <- "visual =~ x1 + c(a1, a2)*x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\na1 == a2"
ordinal <- "VS =~ VS1 + a*VS2 + b*VS3 + VS4\nIS =~ IS1 + IS2 + IS3 + IS4\na == b"
inequality <- function(line) paste("visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9",
                                   line, sep = "\n")
cases <- list(
  list(id = "hs_inequality_binding", data = "hs", model = inequality("a > 0.6"), args = list()),
  list(id = "hs_inequality_slack", data = "hs", model = inequality("a > 0.2"), args = list()),
  list(id = "hs_inequality_two_parameters", data = "hs", model = inequality("b < a"), args = list()),
  list(id = "hs_inequality_mlr", data = "hs", model = inequality("a > 0.6"), args = list(estimator = "MLR")),
  list(id = "hs_simple_ml", data = "hs", model = simple, args = list()),
  list(id = "hs_affine_ml", data = "hs", model = affine, args = list()),
  list(id = "hs_affine_mlr", data = "hs", model = affine, args = list(estimator = "MLR")),
  list(id = "hs_groups_ml", data = "hs", model = groups, args = list(group = "school")),
  list(id = "grid_simple_wlsmv", data = "grid", model = ordinal, args = list(ordered = TRUE))
)
measures <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "chisq.scaled",
              "chisq.scaling.factor", "cfi.scaled", "cfi.robust", "tli.robust", "rmsea.robust")
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            data_files = list(hs = "tests/reference/data/HolzingerSwineford1939.csv",
                              grid = "data/synthetic/grid_governance.csv"), cases = list())
for (cs in cases) {
  f <- fit_case(cs, list(hs = hs, grid = grid), fun = "cfa")
  out$cases[[length(out$cases) + 1]] <- case_record(cs, f, measures)
}
write_fixture(out, "tests/reference/sem/constraints/constraints.json")
