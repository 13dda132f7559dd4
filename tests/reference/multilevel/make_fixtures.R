# Reference numbers for govstats.measurement.multilevel and mixed_model (ICC, rwg, statsBy, lmer).
# Run from the repository root:  Rscript tests/reference/multilevel/make_fixtures.R
# Writes hand.json, balanced.json, ri_asset_messy.json and regression.json next to this script.
# CI never runs R.
suppressMessages({
  library(multilevel); library(psych); library(lme4); library(jsonlite)
})
out_dir <- "tests/reference/multilevel"
versions <- list(R = R.version.string, multilevel = as.character(packageVersion("multilevel")),
                 psych = as.character(packageVersion("psych")), lme4 = as.character(packageVersion("lme4")),
                 jsonlite = as.character(packageVersion("jsonlite")))
mat <- function(m) {
  m <- unclass(as.matrix(m))
  list(rows = rownames(m), cols = colnames(m), values = unname(lapply(seq_len(nrow(m)), function(i) unname(m[i, ]))))
}

# One variable: multilevel::ICC1/ICC2 on aov (rows with the variable answered), psych::statsBy's
# ICC1, ICC2, ci1, lme4's REML random-intercept ICC, multilevel::rwg (ranvar of A categories).
# statsBy() fails on a single variable (row names), so it runs on the variable and a copy of it.
one_variable <- function(y, g, A) {
  ok <- !is.na(y)
  fit <- aov(y[ok] ~ as.factor(g[ok]))
  sb <- statsBy(data.frame(y = y, copy = y, g = g), group = "g")
  out <- list(icc1 = ICC1(fit), icc2 = ICC2(fit), statsby_icc1 = unname(sb$ICC1["y"]),
              statsby_icc2 = unname(sb$ICC2["y"]), ci1 = unname(sb$ci1["y", ]),
              n = sum(ok), clusters = length(unique(g[ok])))
  if (sum(ok) > length(unique(g[ok]))) {
    m <- lmer(y ~ 1 + (1 | g), data = data.frame(y = y[ok], g = g[ok]), REML = TRUE)
    vc <- as.data.frame(VarCorr(m))
    out$icc1_lmer <- vc$vcov[1] / (vc$vcov[1] + vc$vcov[2])
  }
  if (!is.null(A)) {
    r <- rwg(y, g, ranvar = (A^2 - 1) / 12)
    out$rwg <- list(groups = as.character(r$grpid), values = r$rwg)
  }
  out
}

scale_rwg <- function(x, g, A) {
  r <- rwg.j(x, g, ranvar = (A^2 - 1) / 12)
  v <- r$rwg.j[!is.na(r$rwg.j)]
  list(groups = as.character(r$grpid), values = r$rwg.j, mean = mean(v), median = median(v), share = mean(v > .7))
}

between_within <- function(x, g) {
  sb <- statsBy(cbind(x, g = g), group = "g", cors = FALSE)
  list(within = mat(sb$rwg), between = mat(sb$rbg))
}

run <- function(data, g, constructs, categories) {
  items <- unlist(constructs, use.names = FALSE)
  res <- list(items = list(), constructs = list())
  for (cn in names(constructs)) {
    for (it in constructs[[cn]]) res$items[[it]] <- one_variable(data[[it]], g, categories[[cn]])
    x <- data[, constructs[[cn]], drop = FALSE]
    score <- rowMeans(x)  # NA unless every item is answered: listwise per scale
    res$constructs[[cn]] <- one_variable(score, g, NULL)
    res$constructs[[cn]]$rwg_j <- scale_rwg(x, g, categories[[cn]])
  }
  scores <- as.data.frame(lapply(constructs, function(its) rowMeans(data[, its, drop = FALSE])))
  res$scores <- between_within(scores, g)
  res$item_cors <- between_within(data[, items], g)
  res
}

# ---- the hand case: six clusters of 1 to 5, blanks, one cluster disagreeing beyond the null -----
hand <- read.csv(file.path(out_dir, "hand.csv"), stringsAsFactors = FALSE)
res <- run(hand, hand$g, list(F1 = c("a1", "a2", "a3"), F2 = c("b1", "b2")), list(F1 = 5, F2 = 7))
res$versions <- versions
write_json(res, file.path(out_dir, "hand.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")

# ---- balanced: psych::ICC on the clusters x members matrix (its ICC1 row, "Single_raters_absolute") -----
bal <- read.csv(file.path(out_dir, "balanced.csv"))
wide <- t(sapply(split(bal$x, bal$g), identity))
pi <- psych::ICC(wide, lmer = FALSE)$results
res <- list(one_variable = one_variable(bal$x, bal$g, NULL),
            psych_icc = list(icc1 = pi$ICC[1], lower = pi$`lower bound`[1], upper = pi$`upper bound`[1],
                             icc1k = pi$ICC[4], F = pi$F[1]),
            versions = versions)
write_json(res, file.path(out_dir, "balanced.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")

# ---- a seed instrument's two-level data with blanks: ri_asset_messy (PS4 reverse-keyed) ---------
messy <- read.csv("data/synthetic/ri_asset_messy.csv", stringsAsFactors = FALSE)
messy$PS4 <- 6 - messy$PS4
ri <- list(IC = paste0("IC", 1:4), PS = paste0("PS", 1:4), SM = paste0("SM", 1:4), GR = paste0("GR", 1:4),
           OC = paste0("OC", 1:4), CD = paste0("CD", 1:4), CI = paste0("CI", 1:4), PE = paste0("PE", 1:4),
           SE = paste0("SE", 1:4), RIE = paste0("RIE", 1:5))
res <- run(messy, messy$community_id, ri, lapply(ri, function(x) 5))
res$versions <- versions
write_json(res, file.path(out_dir, "ri_asset_messy.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")

# ---- multilevel regression of the construct scores (lmer, REML and ML) -------------------------
s <- as.data.frame(lapply(ri, function(its) rowMeans(messy[, its])))
s$community_id <- messy$community_id
cm <- function(v) ave(v, s$community_id, FUN = function(z) mean(z, na.rm = TRUE))
s$IC_cm <- cm(s$IC); s$IC_cwc <- s$IC - s$IC_cm
s$PS_cm <- cm(s$PS); s$PS_cwc <- s$PS - s$PS_cm
# The seed instruments have no random slopes (lmer's fit of one there is singular), so the random
# slope and cross-level interaction are fitted on data made for them: 40 communities of 5 to 25,
# a community characteristic w, y = 1 + .5 x + .3 w + .2 x w + u0 + u1 x + e (sd(u0) = .5,
# sd(u1) = .3, cor .3, sd(e) = 1), written to crosslevel.csv once.
cross_path <- file.path(out_dir, "crosslevel.csv")
if (!file.exists(cross_path)) {
  set.seed(20261202)
  J <- 40; sizes <- sample(5:25, J, replace = TRUE)
  g <- rep(sprintf("C%02d", 1:J), sizes)
  w <- rep(round(rnorm(J), 3), sizes)
  u <- MASS::mvrnorm(J, c(0, 0), matrix(c(.25, .045, .045, .09), 2))
  x <- round(rnorm(sum(sizes)), 3)
  y <- 1 + .5 * x + .3 * w + .2 * x * w + rep(u[, 1], sizes) + rep(u[, 2], sizes) * x + rnorm(sum(sizes))
  write.csv(data.frame(community_id = g, w = w, x = x, y = round(y, 4)), cross_path, row.names = FALSE)
}
cross <- read.csv(cross_path, stringsAsFactors = FALSE)
models <- list(
  intercepts = list(formula = GR ~ IC_cwc + IC_cm + PS_cwc + (1 | community_id), data = s,
                    fixed = "GR ~ IC_cwc + IC_cm + PS_cwc", random = "1", outcome = "GR"),
  slopes = list(formula = y ~ x * w + (1 + x | community_id), data = cross,
                fixed = "y ~ x * w", random = "1 + x", outcome = "y")
)
reg <- list()
for (name in names(models)) {
  for (reml in c(TRUE, FALSE)) {
    d <- models[[name]]$data
    d <- d[complete.cases(d[, all.vars(models[[name]]$formula)]), ]
    m <- lmer(models[[name]]$formula, data = d, REML = reml,
              control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
    vc <- VarCorr(m)$community_id
    sigma2 <- sigma(m)^2
    X <- model.matrix(m)
    var_f <- var(as.vector(X %*% fixef(m)))  # Nakagawa & Schielzeth (2013), R's var (n - 1)
    Z <- X[, colnames(vc), drop = FALSE]     # the random-effect design: columns of X of the random terms
    var_r <- mean(rowSums((Z %*% vc) * Z))   # Johnson (2014): mean of z_i' T z_i
    null <- lmer(as.formula(paste(models[[name]]$outcome, "~ 1 + (1 | community_id)")), data = d, REML = reml)
    nv <- as.data.frame(VarCorr(null))$vcov
    key <- paste0(name, if (reml) "_reml" else "_ml")
    reg[[key]] <- list(
      fixed = models[[name]]$fixed, random = models[[name]]$random, reml = reml,
      terms = names(fixef(m)), estimate = unname(fixef(m)), se = unname(sqrt(diag(as.matrix(vcov(m))))),
      ci = unname(lapply(seq_along(fixef(m)), function(i) confint(m, method = "Wald")[colnames(X)[i], ])),
      re_names = colnames(vc), re_cov = unname(lapply(seq_len(nrow(vc)), function(i) unname(vc[i, ]))),
      sigma2 = sigma2, loglik = as.numeric(logLik(m)), aic = AIC(m), bic = BIC(m),
      r2_marginal = var_f / (var_f + var_r + sigma2), r2_conditional = (var_f + var_r) / (var_f + var_r + sigma2),
      icc = var_r / (var_r + sigma2), icc_null = nv[1] / (nv[1] + nv[2]), nobs = nrow(d),
      singular = isSingular(m))
  }
}
reg$versions <- versions
write_json(reg, file.path(out_dir, "regression.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
