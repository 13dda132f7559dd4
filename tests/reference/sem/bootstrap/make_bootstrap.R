# Bootstrap and Monte Carlo intervals of an indirect effect (issue 17): lavaan 0.6.14's
# se = "bootstrap" (2000 draws) with parameterEstimates(boot.ci.type = perc / bca.simple (BC) /
# norm / basic / bca), and semTools' monteCarloCI (20000 draws), on the PoliticalDemocracy mediation.
# The Python tests compare within Monte Carlo error (different random draws), not digit for digit.
# Run from the repository root:  Rscript tests/reference/sem/bootstrap/make_bootstrap.R
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
lav_utils_bootstrap_indices <- lavaan:::lav_utils_bootstrap_indices
pd <- read.csv("tests/reference/data/PoliticalDemocracy.csv")
model <- paste(readLines("tests/reference/sem/bootstrap/poldem_mediation.lav"), collapse = "\n")

set.seed(20261202)
started <- proc.time()[["elapsed"]]
fb <- sem(model, data = pd, se = "bootstrap", bootstrap = 2000L, iseed = 20261202L)
boot_seconds <- proc.time()[["elapsed"]] - started
BOOT <- lavInspect(fb, "boot")
failed <- length(attr(BOOT, "error.idx"))

keep <- c("lhs", "op", "rhs", "label", "est", "se", "ci.lower", "ci.upper")
intervals <- list()
for (type in c("perc", "bca.simple", "norm", "basic", "bca")) {
  pe <- parameterEstimates(fb, boot.ci.type = type, level = 0.95)
  intervals[[type]] <- pe[, keep]
}

# The interval formulas and the refits, exactly: a second lavaan bootstrap (500 draws) with its
# draws and the resampled rows of its first 100 draws (lavaan's own index generator, iseed 7)
fe <- sem(model, data = pd, se = "bootstrap", bootstrap = 500L, iseed = 7L)
BOOT_E <- lavInspect(fe, "boot")
idx <- lav_utils_bootstrap_indices(R = 500L, nobs = list(nrow(pd)), iseed = 7L)[[1]]
exact <- list(bootstrap = 500L, names = colnames(BOOT_E), boot = unclass(BOOT_E),
              indices = idx[1:100, ], intervals = list())
for (type in c("perc", "bca.simple", "norm", "basic")) {
  exact$intervals[[type]] <- parameterEstimates(fe, boot.ci.type = type, level = 0.95)[, keep]
}
attr(exact$boot, "seed") <- NULL
attr(exact$boot, "error.idx") <- NULL
attr(exact$boot, "nonadmissible") <- NULL

# Monte Carlo intervals from the standard (information-based) fit, unstandardized and standardized
fs <- sem(model, data = pd)
set.seed(20261202)
mc <- monteCarloCI(fs, nRep = 20000, level = 0.95)
set.seed(20261202)
mc_std <- monteCarloCI(fs, nRep = 20000, level = 0.95, standardized = TRUE)

out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  semtools_version = as.character(packageVersion("semTools")),
  data = "tests/reference/data/PoliticalDemocracy.csv",
  model = model,
  bootstrap = 2000L, bootstrap_successful = nrow(BOOT) - failed, boot_seconds = boot_seconds,
  intervals = intervals,
  exact = exact,
  standard = parameterEstimates(fs)[, keep],
  monte_carlo = list(nrep = 20000L, names = rownames(mc), est = mc$est, ci_lower = mc$ci.lower,
                     ci_upper = mc$ci.upper),
  monte_carlo_std = list(names = rownames(mc_std), est = mc_std$est.std, ci_lower = mc_std$ci.lower,
                         ci_upper = mc_std$ci.upper)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/sem/bootstrap/poldem_mediation.json")
