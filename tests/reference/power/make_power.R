# Analytic power fixtures (issue 20), written by R 4 with lavaan 0.6.14:
# - rmsea: a priori, post hoc and compromise RMSEA power (MacCallum, Browne & Sugawara 1996) from
#   F = df * rmsea^2 and ncp = (N - 1) F with R's qchisq / pchisq(ncp =), as semPower computes them
#   (semPower itself is not installable here: CRAN is not reachable);
# - population: the covariance matrix and means that lavaan::simulateData draws from (empirical =
#   TRUE makes the sample moments, covariances with divisor N, equal them), for syntax with population values;
# - restricted: Satorra & Saris' F of a model with parameters fixed to zero fitted to those
#   population moments (sample.cov.rescale = FALSE: the moments are the population's), and its power.
# Run from the repository root:  Rscript tests/reference/power/make_power.R
suppressMessages({library(lavaan); library(jsonlite)})

power_at <- function(f0, f1, df, alpha, n) {
  ncp0 <- (n - 1) * f0; ncp1 <- (n - 1) * f1
  if (f1 > f0) {
    crit <- qchisq(1 - alpha, df, ncp = ncp0)
    pw <- pchisq(crit, df, ncp = ncp1, lower.tail = FALSE)
  } else {
    crit <- qchisq(alpha, df, ncp = ncp0)
    pw <- pchisq(crit, df, ncp = ncp1)
  }
  list(critical = crit, power = pw)
}
smallest_n <- function(f0, f1, df, alpha, power) {
  n <- 2
  while (power_at(f0, f1, df, alpha, n)$power < power) n <- n + 1
  n
}
compromise <- function(f0, f1, df, n, abratio) {
  ncp0 <- (n - 1) * f0; ncp1 <- (n - 1) * f1
  ab <- function(c) if (f1 > f0) c(pchisq(c, df, ncp = ncp0, lower.tail = FALSE), pchisq(c, df, ncp = ncp1))
                    else c(pchisq(c, df, ncp = ncp0), pchisq(c, df, ncp = ncp1, lower.tail = FALSE))
  gap <- function(c) { v <- ab(c); log(v[1]) - log(v[2] * abratio) }
  crit <- uniroot(gap, c(1e-6, qchisq(1 - 1e-10, df, ncp = max(ncp0, ncp1))), tol = 1e-12)$root
  v <- ab(crit)
  list(critical = crit, alpha = v[1], power = 1 - v[2])
}

rmsea_cases <- list()
add <- function(x) rmsea_cases[[length(rmsea_cases) + 1]] <<- x
for (cs in list(c(100, 0, .05), c(100, .05, .08), c(100, .05, .01), c(20, 0, .08), c(55, .05, .10),
                c(8, .05, 0), c(300, .06, .04))) {
  df <- cs[1]; r0 <- cs[2]; r1 <- cs[3]; f0 <- df * r0^2; f1 <- df * r1^2
  for (alpha in c(.05, .01)) for (pw in c(.80, .95)) {
    n <- smallest_n(f0, f1, df, alpha, pw)
    add(list(analysis = "a priori", df = df, rmsea0 = r0, rmsea1 = r1, alpha = alpha, power_target = pw, n = n,
             power = power_at(f0, f1, df, alpha, n)$power, critical = power_at(f0, f1, df, alpha, n)$critical))
  }
  for (n in c(100, 250, 1000)) {
    p <- power_at(f0, f1, df, .05, n)
    add(list(analysis = "post hoc", df = df, rmsea0 = r0, rmsea1 = r1, alpha = .05, n = n, power = p$power,
             critical = p$critical))
  }
  for (abr in c(1, 4)) {
    cp <- compromise(f0, f1, df, 200, abr)
    add(list(analysis = "compromise", df = df, rmsea0 = r0, rmsea1 = r1, n = 200, abratio = abr,
             alpha = cp$alpha, power = cp$power, critical = cp$critical))
  }
}

population <- list(
  sem = "f1 =~ 0.7*x1 + 0.7*x2 + 0.6*x3
f2 =~ 0.8*y1 + 0.6*y2 + 0.5*y3
f3 =~ 0.7*z1 + 0.7*z2 + z3
f2 ~ 0.3*f1
f3 ~ 0.4*f2 + 0.1*f1
x1 ~~ 0.2*y1",
  standardized = "f1 =~ 0.7*x1 + 0.7*x2 + 0.6*x3
f2 =~ 0.8*y1 + 0.6*y2 + 0.5*y3
f3 =~ z1 + z2 + z3
f2 ~ 0.3*f1
f3 ~ 0.4*f1",
  observed = "y ~ 0.3*x1 + 0.2*x2
y ~ 0.5*1
x1 ~~ 0.4*x2
x2 ~~ 2*x2"
)
pop_out <- list()
for (id in names(population)) {
  std <- id == "standardized"
  d <- simulateData(population[[id]], sample.nobs = 1000L, empirical = TRUE, standardized = std, seed = 1)
  pop_out[[length(pop_out) + 1]] <- list(id = id, model = population[[id]], standardized = std,
                                         names = colnames(d), cov = unname(cov(d) * 999 / 1000), mean = unname(colMeans(d)))
}

# Satorra & Saris: the analysis model with parameters fixed at zero, fitted to the population moments
# empirical = TRUE makes the N-divisor covariance matrix equal the population's
sigma <- cov(simulateData(population$sem, sample.nobs = 1000L, empirical = TRUE, seed = 1)) * 999 / 1000
analysis <- "f1 =~ x1 + x2 + x3
f2 =~ y1 + y2 + y3
f3 =~ z1 + z2 + z3
f2 ~ f1
f3 ~ f2 + f1
x1 ~~ y1"
restricted <- list(list(restrict = list("f3~f1"), model = sub("f3 ~ f2 + f1", "f3 ~ f2 + 0*f1", analysis, fixed = TRUE)),
                   list(restrict = list("f3~f1", "x1~~y1"),
                        model = sub("x1 ~~ y1", "x1 ~~ 0*y1", sub("f3 ~ f2 + f1", "f3 ~ f2 + 0*f1", analysis, fixed = TRUE),
                                    fixed = TRUE)))
res_out <- list()
for (r in restricted) {
  fit <- sem(r$model, sample.cov = sigma, sample.nobs = 1000L, sample.cov.rescale = FALSE)
  f1 <- unname(fitMeasures(fit, "chisq")) / 1000  # lavaan: chisq = N F_ML
  df <- length(r$restrict)
  rec <- list(restrict = r$restrict, f = f1, df = df, power_n200 = power_at(0, f1, df, .05, 200)$power,
              n_power80 = smallest_n(0, f1, df, .05, .80))
  res_out[[length(res_out) + 1]] <- rec
}
# the unrestricted analysis model on the same moments: every estimate, the truth a simulation targets
full <- sem(analysis, sample.cov = sigma, sample.nobs = 1000L, sample.cov.rescale = FALSE)
pe <- parameterEstimates(full)
truth <- list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se_n1000 = pe$se)

out <- list(lavaan_version = as.character(packageVersion("lavaan")), r_version = R.version.string,
            rmsea = rmsea_cases, population = pop_out, analysis = analysis, restricted = res_out, truth = truth)
writeLines(toJSON(out, digits = NA, pretty = FALSE, auto_unbox = TRUE), "tests/reference/power/power.json")
