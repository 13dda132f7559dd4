# Nonlinear constraints (lavaan's tutorial: b1 == (b2 + b3)^2, b1 > exp(b2 + b3)), constraints on
# defined (:=) parameters, nonlinear inequalities binding and not, with ML, MLR, several groups, WLSMV.
# lavaan estimates these with nlminb.constr (augmented Lagrangian) and takes its standard errors from
# the information bordered by the constraints' Jacobian.
# Run from the repository root:  Rscript tests/reference/sem/nonlinear/make_nonlinear.R
source("tests/reference/sem/lavaan_cases.R")
# the tutorial's data, written once so that the tests need no R
set.seed(1234)
tutorial <- data.frame(y = rnorm(100), x1 = rnorm(100), x2 = rnorm(100), x3 = rnorm(100))
write.csv(tutorial, "tests/reference/sem/nonlinear/tutorial_data.csv", row.names = FALSE)
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
grid <- read.csv("data/synthetic/grid_governance.csv")
cfa3 <- function(...) paste(c("visual =~ x1 + a*x2 + b*x3", "textual =~ x4 + c*x5 + d*x6",
                              "speed =~ x7 + x8 + x9", ...), collapse = "\n")
cases <- list(
  list(id = "tutorial_ml", data = "tutorial", fun = "sem", args = list(),
       model = "y ~ b1*x1 + b2*x2 + b3*x3\nb1 == (b2 + b3)^2\nb1 > exp(b2 + b3)"),
  list(id = "tutorial_equality_only", data = "tutorial", fun = "sem", args = list(),
       model = "y ~ b1*x1 + b2*x2 + b3*x3\nb1 == (b2 + b3)^2"),
  list(id = "hs_product_ml", data = "hs", fun = "cfa", args = list(), model = cfa3("a == b*c")),
  list(id = "hs_product_mlr", data = "hs", fun = "cfa", args = list(estimator = "MLR"), model = cfa3("a == b*c")),
  list(id = "hs_mixed_ml", data = "hs", fun = "cfa", args = list(),
       model = cfa3("c + d == 2.2", "a == b^2")),
  list(id = "hs_defined_equality", data = "hs", fun = "cfa", args = list(),
       model = cfa3("ab := a*b", "ab == 0.6")),
  list(id = "hs_defined_chain", data = "hs", fun = "cfa", args = list(),
       model = cfa3("ab := a*b", "abc := ab + c", "abc == 1.8")),
  list(id = "hs_nonlinear_binding", data = "hs", fun = "cfa", args = list(), model = cfa3("a*b > 0.5")),
  list(id = "hs_nonlinear_slack", data = "hs", fun = "cfa", args = list(), model = cfa3("a^2 < 1")),
  list(id = "hs_defined_binding_mlr", data = "hs", fun = "cfa", args = list(estimator = "MLR"),
       model = cfa3("ab := a*b", "ab > 0.5")),
  list(id = "hs_groups_ml", data = "hs", fun = "cfa", args = list(group = "school"),
       model = "visual =~ x1 + c(a1, a2)*x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\na1 == a2^2"),
  list(id = "grid_wlsmv", data = "grid", fun = "cfa", args = list(ordered = TRUE),
       model = "VS =~ VS1 + a*VS2 + b*VS3 + VS4\nIS =~ IS1 + IS2 + IS3 + IS4\na == b^2")
)
measures <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "logl", "chisq.scaled",
              "chisq.scaling.factor", "cfi.scaled", "tli.scaled", "rmsea.scaled", "cfi.robust", "tli.robust",
              "rmsea.robust")
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            data_files = list(hs = "tests/reference/data/HolzingerSwineford1939.csv",
                              grid = "data/synthetic/grid_governance.csv",
                              tutorial = "tests/reference/sem/nonlinear/tutorial_data.csv"), cases = list())
datasets <- list(hs = hs, grid = grid, tutorial = tutorial)
for (cs in cases) {
  f <- fit_case(cs, datasets, fun = cs$fun)
  rec <- case_record(cs, f, measures)
  rec$fun <- cs$fun
  rec$converged <- lavInspect(f, "converged")
  out$cases[[length(out$cases) + 1]] <- rec
}
write_fixture(out, "tests/reference/sem/nonlinear/nonlinear.json")
