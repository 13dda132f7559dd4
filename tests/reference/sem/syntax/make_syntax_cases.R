# Models as people write them (lavaan's growth tutorial, a latent change score model with phantom
# variables, a semTools::measEq.syntax() invariance model with repeated terms, a Heywood case whose
# residual covariance lavaan standardizes with sqrt(abs()), a formative composite), fitted by lavaan.
# Run from the repository root:  Rscript tests/reference/sem/syntax/make_syntax_cases.R
# Writes tests/reference/data/{Demo.growth,lcs}.csv and tests/reference/sem/syntax/syntax_cases.json.
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
write.csv(Demo.growth, "tests/reference/data/Demo.growth.csv", row.names = FALSE)
set.seed(20261202)  # latent change scores: y_t = y_{t-1} + change, change = slope + beta * y_{t-1}
n <- 400
y1 <- rnorm(n, 10, 2); slope <- rnorm(n, 2, 0.6); beta <- -0.1
y2 <- y1 + slope + beta * y1; y3 <- y2 + slope + beta * y2; y4 <- y3 + slope + beta * y3
lcs_data <- data.frame(x1 = y1 + rnorm(n, 0, .8), x2 = y2 + rnorm(n, 0, .8), x3 = y3 + rnorm(n, 0, .8),
                       x4 = y4 + rnorm(n, 0, .8))
write.csv(round(lcs_data, 6), "tests/reference/data/lcs.csv", row.names = FALSE)
lcs_data <- read.csv("tests/reference/data/lcs.csv")
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
growth <- read.csv("tests/reference/data/Demo.growth.csv")

growth_model <- "
i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
t1 ~ 0*1
t2 ~ 0*1
t3 ~ 0*1
t4 ~ 0*1
i ~ 1
s ~ 1
i ~ x1 + x2
s ~ x1 + x2"
lcs_model <- "
l1 =~ 1*x1
l2 =~ 1*x2
l3 =~ 1*x3
l4 =~ 1*x4
l2 ~ 1*l1
l3 ~ 1*l2
l4 ~ 1*l3
d2 =~ 1*l2
d3 =~ 1*l3
d4 =~ 1*l4
d2 ~ beta*l1
d3 ~ beta*l2
d4 ~ beta*l3
g =~ 1*d2 + 1*d3 + 1*d4
d2 ~~ 0*d2
d3 ~~ 0*d3
d4 ~~ 0*d4
x1 ~~ e*x1
x2 ~~ e*x2
x3 ~~ e*x3
x4 ~~ e*x4
x1 ~ 0*1
x2 ~ 0*1
x3 ~ 0*1
x4 ~ 0*1
l1 ~ 1
g ~ 1
l1 ~~ g"
meq <- as.character(measEq.syntax(
  configural.model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9",
  data = hs, group = "school", group.equal = c("loadings", "intercepts")))
cases <- list(
  list(id = "growth_covariates", data = "tests/reference/data/Demo.growth.csv", model = growth_model,
       fun = "sem", args = list()),
  list(id = "latent_change_score", data = "tests/reference/data/lcs.csv", model = lcs_model, fun = "sem",
       args = list()),
  list(id = "heywood_residual_covariance", data = "tests/reference/data/HolzingerSwineford1939.csv",
       model = "visual =~ x1 + x2 + x3 + x4\ntextual =~ x4 + x5 + x6\nx1 ~~ x2", fun = "sem", args = list()),
  list(id = "formative_composite", data = "tests/reference/data/HolzingerSwineford1939.csv",
       model = "f <~ 1*x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\ntextual + speed ~ f",
       fun = "sem", args = list()),
  list(id = "measeq_scalar", data = "tests/reference/data/HolzingerSwineford1939.csv", model = meq,
       fun = "cfa", args = list(group = "school"))
)
measures <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            semTools_version = as.character(packageVersion("semTools")), cases = list())
for (cs in cases) {
  data <- read.csv(cs$data)
  f <- do.call(cs$fun, c(list(model = cs$model, data = data), cs$args))
  pe <- parameterEstimates(f, standardized = TRUE)
  pe <- pe[!pe$op %in% c("==", "<", ">"), ]
  pt <- parTable(f)
  out$cases[[length(out$cases) + 1]] <- list(
    id = cs$id, data = cs$data, model = cs$model, fun = cs$fun, args = cs$args,
    converged = lavInspect(f, "converged"),
    fit = as.list(fitMeasures(f, measures)),
    params = pe[, intersect(c("lhs", "op", "rhs", "group", "est", "se", "std.all"), names(pe))],
    partable = pt[, c("lhs", "op", "rhs", "group", "user", "free", "ustart", "label")])
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/sem/syntax/syntax_cases.json")
