# Two-level FIML (missing = "ml" with level: blocks and cluster =) with lavaan 0.6.14: one record per
# case in twolevel_fiml.json, and the data with blanks in data/demo_twolevel_blanks.csv and
# data/demo_twolevel_blanks_w.csv (made here with a fixed seed from Demo.twolevel).
# Run from the repository root:  Rscript tests/reference/sem/twolevel/make_twolevel_fiml.R
# lavaan 0.6.14 cannot do MLR here (its Yuan-Bentler test fails: "TEST[[test.idx]]$stat: $ operator is
# invalid for atomic vectors"), so the cases are ML with the observed information (lavaan's default).
# The seed instrument's grid data (make_twolevel_data.py, ICCs .01 to .07) with 10% blanks is no case:
# lavaan 0.6.14 does not converge on it with missing = "ml" ("the optimizer warns that a solution has NOT
# been found"), with the two-factor between model and with a one-factor one alike.
suppressMessages({library(lavaan); library(jsonlite)})
dir <- "tests/reference/sem/twolevel"
set.seed(20261202)
demo <- read.csv(file.path(dir, "data", "demo_twolevel.csv"))
for (v in c("y1", "y2", "y3", "y4")) demo[[v]][runif(nrow(demo)) < 0.15] <- NA
demo$x1[runif(nrow(demo)) < 0.04] <- NA   # rows deleted with fixed.x = TRUE, modeled with fixed.x = FALSE
write.csv(demo, file.path(dir, "data", "demo_twolevel_blanks.csv"), row.names = FALSE, na = "")
# community characteristics blank for whole clusters (w1 in clusters 1-20, w2 in 15-25), modeled with
# fixed.x = FALSE (a blank fixed.x covariate would delete the rows)
demo_w <- demo
demo_w$w1[demo_w$cluster %in% 1:20] <- NA
demo_w$w2[demo_w$cluster %in% 15:25] <- NA
write.csv(demo_w, file.path(dir, "data", "demo_twolevel_blanks_w.csv"), row.names = FALSE, na = "")
datasets <- list(demo = read.csv(file.path(dir, "data", "demo_twolevel_blanks.csv")),
                 demo_w = read.csv(file.path(dir, "data", "demo_twolevel_blanks_w.csv")))
demo_model <- "level: 1\n fw =~ y1 + y2 + y3\n fw ~ x1 + x2 + x3\nlevel: 2\n fb =~ y1 + y2 + y3\n fb ~ w1 + w2"
demo_equal <- "level: 1\n fw =~ y1 + a*y2 + b*y3\n fw ~ x1 + x2 + x3\nlevel: 2\n fb =~ y1 + a*y2 + b*y3\n fb ~ w1 + w2"
within_only <- "level: 1\n fw =~ y1 + y2 + y3 + y4\n fw ~ x1\nlevel: 2\n fb =~ y1 + y2 + y3\n fb ~ w1"
cs <- function(id, data, model, cluster, ...) list(id = id, data = data, model = model, cluster = cluster,
                                                   args = list(...))
cases <- list(
  cs("demo_fiml_ml", "demo", demo_model, "cluster", estimator = "ML", missing = "ml"),
  cs("demo_fiml_equal_ml", "demo", demo_equal, "cluster", estimator = "ML", missing = "ml"),
  cs("demo_fiml_randomx_ml", "demo", demo_model, "cluster", estimator = "ML", missing = "ml", fixed.x = FALSE),
  cs("demo_fiml_within_only_ml", "demo", within_only, "cluster", estimator = "ML", missing = "ml"),
  cs("demo_fiml_stdlv_ml", "demo", demo_model, "cluster", estimator = "ML", missing = "ml", std.lv = TRUE),
  cs("demo_fiml_blank_w_ml", "demo_w", demo_model, "cluster", estimator = "ML", missing = "ml", fixed.x = FALSE)
)
sym <- function(m) list(names = rownames(m), matrix = unname(unclass(m)))
# lavaan's own unrestricted model of the fit (lav_h1_implied_logl: lav_partable_unrestricted_chol fitted
# with control = list(rel.tol = 1e-7)) refitted to rel.tol = 1e-13: lavaan's h1 log-likelihood stops up to
# 2e-3 short of the maximum, which moves its chisq (and its ICCs and fixed.x values, taken from h1) by as much
tight_h1 <- function(f) {
  opts <- f@Options
  opts$se <- "none"; opts$test <- "none"; opts$do.fit <- TRUE; opts$h1 <- FALSE; opts$baseline <- FALSE
  opts$fixed.x <- FALSE; opts$model.type <- "unrestricted"; opts$optim.attempts <- 4L; opts$warn <- FALSE
  opts$check.gradient <- FALSE; opts$optim.force.convergence <- TRUE
  opts$control <- list(rel.tol = 1e-13, iter.max = 5000L, eval.max = 10000L)
  pt <- lavaan:::lav_partable_unrestricted_chol(lavdata = f@Data, lavoptions = f@Options, lavpta = f@pta)
  h <- lavaan(pt, slotOptions = opts, slotSampleStats = f@SampleStats, slotData = f@Data)
  w <- h@implied$cov[[1]]; b <- h@implied$cov[[2]]
  dimnames(w) <- list(f@Data@ov.names.l[[1]][[1]], f@Data@ov.names.l[[1]][[1]])
  dimnames(b) <- list(f@Data@ov.names.l[[1]][[2]], f@Data@ov.names.l[[1]][[2]])
  both <- intersect(rownames(w), rownames(b))
  icc <- setNames(rep(0, nrow(w)), rownames(w))
  icc[both] <- diag(b)[both] / (diag(w)[both] + diag(b)[both])
  list(logl = h@loglik$loglik, icc = as.list(icc), within = sym(w), between = sym(b))
}
out <- list(lavaan_version = as.character(packageVersion("lavaan")), cases = list())
for (c in cases) {
  t0 <- proc.time()[["elapsed"]]
  f <- do.call("sem", c(list(model = c$model, data = datasets[[c$data]], cluster = c$cluster), c$args))
  seconds <- proc.time()[["elapsed"]] - t0
  pe <- parameterEstimates(f, standardized = TRUE)
  pe <- pe[!pe$op %in% c("==", "<", ">"), ]
  h1 <- lavInspect(f, "h1")
  fm <- suppressWarnings(fitMeasures(f))
  rec <- list(id = c$id, data = c$data, model = c$model, cluster = c$cluster, args = c$args, seconds = seconds,
              options = lavInspect(f, "options")[c("se", "information", "observed.information", "test",
                                                   "meanstructure", "fixed.x", "estimator", "missing")],
              params = as.list(pe[, intersect(c("lhs", "op", "rhs", "block", "level", "label", "est", "se", "std.lv",
                                      "std.all"), names(pe))]),
              fit = as.list(fm), icc = as.list(lavInspect(f, "icc")),
              h1 = lapply(h1, function(b) list(cov = sym(b$cov), mean = as.numeric(b$mean))),
              h1_tight = tight_h1(f), nobs = lavInspect(f, "nobs"), nclusters = lavInspect(f, "nclusters"),
              converged = lavInspect(f, "converged"))
  out$cases[[length(out$cases) + 1]] <- rec
  cat(c$id, seconds, "\n")
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), file.path(dir, "twolevel_fiml.json"))
