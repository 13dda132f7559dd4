# Reference numbers for govstats.measurement (efa, reliability, validity, harman).
# Run from the repository root:  Rscript tests/reference/measurement/make_fixtures.R
# Writes one JSON file per dataset next to this script. CI never runs R.
suppressMessages({
  library(lavaan); library(psych); library(semTools); library(jsonlite); library(GPArotation)
})
out_dir <- "tests/reference/measurement"

versions <- list(
  R = R.version.string,
  lavaan = as.character(packageVersion("lavaan")),
  psych = as.character(packageVersion("psych")),
  semTools = as.character(packageVersion("semTools")),
  GPArotation = as.character(packageVersion("GPArotation")),
  jsonlite = as.character(packageVersion("jsonlite"))
)

mat <- function(m) {  # row-major list of rows with names, so Python reads it without guessing
  m <- unclass(as.matrix(m))
  list(rows = rownames(m), cols = colnames(m), values = unname(lapply(seq_len(nrow(m)), function(i) unname(m[i, ]))))
}

one <- function(name, data, constructs, reverse, scale_min, scale_max, n_factors) {
  items <- unlist(constructs, use.names = FALSE)
  x <- data[, items]
  # Reverse-keyed items are reversed before everything construct-based, as psych::alpha(check.keys)
  # would; the EFA below runs on the data as answered.
  xr <- x
  for (it in reverse) xr[[it]] <- scale_max + scale_min - xr[[it]]

  # ---- reliability -------------------------------------------------------------------------
  rel <- list()
  for (cn in names(constructs)) {
    its <- constructs[[cn]]
    a <- psych::alpha(xr[, its], warnings = FALSE)
    one_f <- cfa(paste(cn, "=~", paste(its, collapse = " + ")), data = xr, std.lv = TRUE)
    rel[[cn]] <- list(
      alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha, ase = a$total$ase,
      alpha_ci_duhachek = c(a$total$raw_alpha - 1.96 * a$total$ase, a$total$raw_alpha + 1.96 * a$total$ase),
      alpha_ci_feldt = c(a$feldt$lower.ci[[1]], a$feldt$upper.ci[[1]]),
      items = its,
      r_drop = unname(a$item.stats$r.drop), raw_r = unname(a$item.stats$raw.r),
      alpha_if_deleted = unname(a$alpha.drop$raw_alpha),
      omega = unname(compRelSEM(one_f)[[1]]),
      omega_model = unname(compRelSEM(one_f, obs.var = FALSE)[[1]])
    )
  }
  model <- paste(sapply(names(constructs), function(cn) paste(cn, "=~", paste(constructs[[cn]], collapse = " + "))),
                 collapse = "\n")
  full <- cfa(model, data = xr, std.lv = TRUE)
  cr <- compRelSEM(full, obs.var = FALSE)
  cr_obs <- compRelSEM(full)
  ave <- AVE(full)
  for (cn in names(constructs)) {
    rel[[cn]]$cr <- unname(cr[[cn]]); rel[[cn]]$cr_obs <- unname(cr_obs[[cn]]); rel[[cn]]$ave <- unname(ave[[cn]])
  }
  one_all <- cfa(paste("CMV =~", paste(items, collapse = " + ")), data = xr, std.lv = TRUE)
  fm <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")
  rel_cmv <- list(measurement = as.list(fitMeasures(full, fm)), single_factor = as.list(fitMeasures(one_all, fm)))
  scores <- sapply(constructs, function(its) rowMeans(xr[, its]))
  validity <- list(
    model = model,
    cor_lv = mat(lavInspect(full, "cor.lv")),
    htmt = mat(htmt(model, xr, htmt2 = FALSE)),
    htmt2 = mat(htmt(model, xr, htmt2 = TRUE)),
    cross_loadings = mat(cor(xr[, items], scores)),
    single_factor_cfa = rel_cmv
  )

  # ---- EFA ---------------------------------------------------------------------------------
  R <- cor(x)
  k <- psych::KMO(x)
  b <- psych::cortest.bartlett(R, n = nrow(x))
  f <- psych::fa(x, nfactors = n_factors, fm = "minres", rotate = "oblimin")
  f_ml <- psych::fa(x, nfactors = n_factors, fm = "ml", rotate = "oblimin")
  f_var <- psych::fa(x, nfactors = n_factors, fm = "minres", rotate = "varimax")
  f_none <- psych::fa(x, nfactors = n_factors, fm = "minres", rotate = "none")
  f_pro <- psych::fa(x, nfactors = n_factors, fm = "minres", rotate = "promax")
  f_geo <- psych::fa(x, nfactors = n_factors, fm = "minres", rotate = "geominQ")
  set.seed(1)
  pa <- psych::fa.parallel(x, fm = "minres", fa = "both", n.iter = 20, plot = FALSE)
  h1 <- psych::fa(x, nfactors = 1, fm = "minres", rotate = "none")
  efa <- list(
    n_factors = n_factors,
    kmo = k$MSA, kmo_items = as.list(k$MSAi),
    bartlett = list(chisq = b$chisq, df = b$df, p = b$p.value),
    minres_oblimin = list(loadings = mat(f$loadings), communalities = as.list(f$communality),
                          uniquenesses = as.list(f$uniquenesses), phi = mat(f$Phi), vaccounted = mat(f$Vaccounted)),
    ml_oblimin = list(loadings = mat(f_ml$loadings), uniquenesses = as.list(f_ml$uniquenesses)),
    minres_varimax = list(loadings = mat(f_var$loadings), vaccounted = mat(f_var$Vaccounted)),
    minres_none = list(loadings = mat(f_none$loadings), vaccounted = mat(f_none$Vaccounted)),
    minres_promax = list(loadings = mat(f_pro$loadings)),
    principal_none = list(loadings = mat(psych::principal(x, nfactors = n_factors, rotate = "none")$loadings)),
    minres_geominQ = list(loadings = mat(f_geo$loadings)),
    parallel = list(fa_values = pa$fa.values, pc_values = pa$pc.values, nfact = pa$nfact, ncomp = pa$ncomp,
                    fa_sim = pa$fa.sim, pc_sim = pa$pc.sim),
    harman = list(first_pc_share = eigen(R)$values[1] / ncol(x),
                  one_factor_share = h1$Vaccounted["Proportion Var", 1])
  )
  res <- list(dataset = name, n = nrow(x), reverse = reverse, versions = versions,
              reliability = rel, validity = validity, efa = efa)
  if (!is.na(scale_min)) {
    # Ordinal reliability on polychorics (two-step ML, lavaan::lavCor): ordinal alpha as
    # psych::alpha(rho)'s (standardized) alpha, ordinal omega from a one-factor minres fit
    # of the construct's polychoric matrix: (sum l)^2 / sum(rho).
    rho <- lavCor(xr, ordered = names(xr))
    rho_raw <- lavCor(x, ordered = names(x))  # items as answered, for the EFA
    f_poly <- psych::fa(rho_raw, nfactors = n_factors, fm = "minres", rotate = "oblimin", n.obs = nrow(x))
    res$polychoric <- list(rho = mat(rho), psych_rho = mat(psych::polychoric(xr, correct = 0)$rho),
                           efa_minres_oblimin = mat(f_poly$loadings), kmo = psych::KMO(rho_raw)$MSA)
    for (cn in names(constructs)) {
      its <- constructs[[cn]]
      r <- rho[its, its]
      l <- psych::fa(r, nfactors = 1, fm = "minres", n.obs = nrow(xr))$loadings[, 1]
      res$reliability[[cn]]$ordinal_alpha <- psych::alpha(r, warnings = FALSE)$total$raw_alpha
      res$reliability[[cn]]$ordinal_omega <- sum(l)^2 / sum(r)
    }
  }
  write(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"),
        file.path(out_dir, paste0(name, ".json")))
  cat("wrote", name, "\n")
}

hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
one("HolzingerSwineford1939", hs,
    list(visual = c("x1", "x2", "x3"), textual = c("x4", "x5", "x6"), speed = c("x7", "x8", "x9")),
    character(0), NA, NA, 3)

ri <- read.csv("data/synthetic/ri_asset.csv")
ri_c <- list()
for (cn in c("IC", "PS", "SM", "GR", "OC", "CD", "CI", "PE", "SE")) ri_c[[cn]] <- paste0(cn, 1:4)
ri_c$RIE <- paste0("RIE", 1:5)
one("ri_asset", ri, ri_c, c("PS4"), 1, 5, 10)

gg <- read.csv("data/synthetic/grid_governance.csv")
gg_c <- list(VS = paste0("VS", 1:4), IS = paste0("IS", 1:4), RS = paste0("RS", 1:4), ID = paste0("ID", 1:5),
             CN = paste0("CN", 1:4), IA = paste0("IA", 1:4), QE = paste0("QE", 1:5))
one("grid_governance", gg, gg_c, c("ID5", "QE5"), 1, 5, 7)
