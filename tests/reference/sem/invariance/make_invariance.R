# Measurement-invariance reference fixture (lavaan 0.6.14, semTools 0.5-6): invariance.json.
# Sequences configural -> metric -> scalar -> strict (group.equal), lavTestLRT between consecutive
# models, lavTestScore on the constrained models, latent means; ordered items via
# semTools::measEq.syntax (Wu & Estabrook 2016 identification).
# Data: tests/reference/data/HolzingerSwineford1939.csv (group = school) and
#       tests/reference/sem/invariance/data/district_likert.csv (make_invariance_data.py; group = district).
# Run from the repository root:  Rscript tests/reference/sem/invariance/make_invariance.R
# Optional argument: a comma-separated list of case ids to write (default: all).
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})

dir <- "tests/reference/sem/invariance"
args <- commandArgs(trailingOnly = TRUE)
only <- if (length(args)) strsplit(args[1], ",")[[1]] else NULL

hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
likert <- read.csv(file.path(dir, "data", "district_likert.csv"))
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
likert_model <- "IS =~ IS1 + IS2 + IS3 + IS4\nCN =~ CN1 + CN2 + CN3 + CN4"
likert_items <- c("IS1", "IS2", "IS3", "IS4", "CN1", "CN2", "CN3", "CN4")

FIT_NAMES <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
               "chisq.scaling.factor", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
               "srmr", "aic", "bic", "cfi.scaled", "tli.scaled", "rmsea.scaled", "cfi.robust",
               "tli.robust", "rmsea.robust")
PT_COLS <- c("id", "lhs", "op", "rhs", "user", "block", "group", "free", "ustart", "label",
             "plabel", "est", "se")
CONT_STEPS <- list(configural = character(0), metric = "loadings",
                   scalar = c("loadings", "intercepts"),
                   strict = c("loadings", "intercepts", "residuals"))
ORD_STEPS <- list(configural = "configural", thresholds = "thresholds",
                  metric = c("thresholds", "loadings"),
                  scalar = c("thresholds", "loadings", "intercepts"),
                  strict = c("thresholds", "loadings", "intercepts", "residuals"))

fit_record <- function(f) {
  fm <- fitMeasures(f)
  setNames(lapply(FIT_NAMES, function(n) if (n %in% names(fm)) unname(as.numeric(fm[[n]])) else NA),
           FIT_NAMES)
}
partable_record <- function(f) {
  pt <- as.data.frame(parTable(f))
  for (col in setdiff(PT_COLS, names(pt))) pt[[col]] <- NA
  pt[, PT_COLS]
}
# lavTestLRT(prev, this): the row of the more constrained model plus the test's attributes
lrt_record <- function(prev, this, prev_name, this_name) {
  a <- lavTestLRT(prev, this, model.names = c(prev_name, this_name))
  heading <- attr(a, "heading")
  method <- if (grepl("method = ", heading)) sub('.*method = .(.*?). *\\).*', "\\1", heading) else
    "standard"
  row <- as.list(as.data.frame(a)[2, , drop = FALSE])
  names(row) <- names(a)
  list(method = method, heading = heading,
       models = rownames(a),  # row 1 / row 2 after lavTestLRT's sort by df
       table = lapply(seq_len(nrow(a)), function(i) {
         r <- lapply(as.list(as.data.frame(a)[i, , drop = FALSE]), function(v) unname(as.numeric(v)))
         names(r) <- names(a); r }),
       chisq_diff = row[["Chisq diff"]], df_diff = row[["Df diff"]], pvalue = row[["Pr(>Chisq)"]],
       rmsea = if ("RMSEA" %in% names(a)) row[["RMSEA"]] else NA,
       # lavTestLRT gives one value per row (NA for the first); the row-2 value is kept
       scale = if (is.null(attr(a, "scale"))) NA else unname(attr(a, "scale"))[2],
       shift = if (is.null(attr(a, "shift"))) NA else unname(attr(a, "shift"))[2])
}
score_record <- function(f, call_text) {
  warns <- character(0)
  s <- withCallingHandlers(lavTestScore(f, epc = TRUE), warning = function(w) {
    warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  df <- function(x) { x <- as.data.frame(x); attr(x, "header") <- NULL; x }
  list(call = call_text, test = df(s$test), uni = df(s$uni)[, c("lhs", "op", "rhs", "X2", "df", "p.value")],
       epc = df(s$epc), warnings = I(warns))
}
latent_means_record <- function(f) {
  pe <- parameterEstimates(f, standardized = TRUE)
  lv <- lavNames(f, "lv")
  keep <- pe[pe$op == "~1" & pe$lhs %in% lv, ]
  labels <- lavInspect(f, "group.label")
  keep$group_label <- labels[keep$group]
  rownames(keep) <- NULL
  keep[, c("lhs", "op", "rhs", "group", "group_label", "est", "se", "z", "pvalue", "std.lv", "std.all")]
}
model_record <- function(name, eq, call_text, f, extra = list()) {
  c(list(name = name, group_equal = I(eq), call = call_text, converged = lavInspect(f, "converged"),
         group_labels = lavInspect(f, "group.label"), nobs = lavInspect(f, "nobs")),
    extra, list(fit = fit_record(f), partable = partable_record(f)))
}
deq <- function(eq) if (length(eq) == 0) "" else
  paste0(", group.equal = ", if (length(eq) == 1) dQuote(eq, FALSE) else
    paste0("c(", paste(dQuote(eq, FALSE), collapse = ", "), ")"))

# continuous sequence with cfa(); returns the case record and the fits
continuous_case <- function(id, data_name, data, model, model_name, group, estimator) {
  fits <- list(); models <- list()
  for (step in names(CONT_STEPS)) {
    eq <- CONT_STEPS[[step]]
    call_text <- sprintf('cfa(%s, data = %s, group = "%s", estimator = "%s"%s)', model_name, data_name,
                         group, estimator, deq(eq))
    f <- if (length(eq)) cfa(model, data = data, group = group, estimator = estimator, group.equal = eq) else
      cfa(model, data = data, group = group, estimator = estimator)
    rec <- model_record(step, eq, call_text, f)
    if (length(fits)) rec$lrt <- lrt_record(fits[[length(fits)]], f, names(fits)[length(fits)], step)
    fits[[step]] <- f; models[[step]] <- rec
  }
  list(record = list(id = id, model = model, data = data_name, group = group, estimator = estimator,
                     call = sprintf('cfa(%s, data = %s, group = "%s", estimator = "%s", group.equal = <step>)',
                                    model_name, data_name, group, estimator),
                     models = models),
       fits = fits)
}

# ordered sequence with semTools::measEq.syntax; a step that semTools refuses (residual
# invariance under the delta parameterization) is recorded with its error message
ordinal_case <- function(id, parameterization) {
  fits <- list(); models <- list()
  template <- paste0('measEq.syntax(configural.model = likert_model, data = likert, ordered = items, ',
                     'parameterization = "', parameterization, '", ID.fac = "std.lv", ',
                     'ID.cat = "Wu.Estabrook.2016", group = "district", group.equal = %s, ',
                     'estimator = "WLSMV", return.fit = TRUE)')
  for (step in names(ORD_STEPS)) {
    eq <- ORD_STEPS[[step]]
    eq_text <- if (length(eq) == 1) dQuote(eq, FALSE) else paste0("c(", paste(dQuote(eq, FALSE), collapse = ", "), ")")
    call_text <- sprintf(template, eq_text)
    syn <- tryCatch(measEq.syntax(configural.model = likert_model, data = likert, ordered = likert_items,
                                  parameterization = parameterization, ID.fac = "std.lv",
                                  ID.cat = "Wu.Estabrook.2016", group = "district", group.equal = eq,
                                  return.fit = FALSE),
                    error = function(e) e)
    if (inherits(syn, "error")) {
      models[[step]] <- list(name = step, group_equal = I(eq), call = call_text,
                             error = conditionMessage(syn))
      next
    }
    f <- measEq.syntax(configural.model = likert_model, data = likert, ordered = likert_items,
                       parameterization = parameterization, ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
                       group = "district", group.equal = eq, estimator = "WLSMV", return.fit = TRUE)
    rec <- model_record(step, eq, call_text, f,
                        list(syntax = as.character(syn),
                             options = lavInspect(f, "options")[c("estimator", "parameterization", "test", "se")]))
    if (length(fits)) rec$lrt <- lrt_record(fits[[length(fits)]], f, names(fits)[length(fits)], step)
    fits[[step]] <- f; models[[step]] <- rec
  }
  list(record = list(id = id, model = likert_model, data = "likert", group = "district",
                     estimator = "WLSMV", parameterization = parameterization, ordered = likert_items,
                     call = sprintf(template, "<step>"), models = models),
       fits = fits)
}

want <- function(id) is.null(only) || id %in% only
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  semTools_version = as.character(packageVersion("semTools")),
  r_version = R.version.string,
  data = list(hs = "tests/reference/data/HolzingerSwineford1939.csv",
              likert = "tests/reference/sem/invariance/data/district_likert.csv"),
  models = list(hs_model = hs_model, likert_model = likert_model), items = likert_items,
  cases = list(), score_tests = list(), latent_means = list())

cont <- list(
  hs_ml = list("hs", hs, hs_model, "hs_model", "school", "ML"),
  hs_mlr = list("hs", hs, hs_model, "hs_model", "school", "MLR"),
  likert_ml = list("likert", likert, likert_model, "likert_model", "district", "ML"),
  likert_mlr = list("likert", likert, likert_model, "likert_model", "district", "MLR"))
score_steps <- list(hs_ml = c("metric", "scalar"), hs_mlr = c("metric", "scalar"), likert_ml = "scalar")
for (id in names(cont)) {
  if (!want(id)) next
  a <- cont[[id]]
  res <- continuous_case(id, a[[1]], a[[2]], a[[3]], a[[4]], a[[5]], a[[6]])
  out$cases[[id]] <- res$record
  for (step in score_steps[[id]])
    out$score_tests[[paste(id, step, sep = "_")]] <-
      c(list(case = id, model = step), score_record(res$fits[[step]], "lavTestScore(fit, epc = TRUE)"))
  if (id %in% c("hs_ml", "likert_ml"))
    out$latent_means[[paste(id, "scalar", sep = "_")]] <-
      list(case = id, model = "scalar", call = "parameterEstimates(fit, standardized = TRUE)",
           rows = latent_means_record(res$fits[["scalar"]]))
}
if (want("likert_wlsmv")) out$cases$likert_wlsmv <- ordinal_case("likert_wlsmv", "delta")$record
if (want("likert_wlsmv_theta")) out$cases$likert_wlsmv_theta <- ordinal_case("likert_wlsmv_theta", "theta")$record

si <- sessionInfo()
out$session <- list(r = si$R.version$version.string, platform = si$platform,
                    packages = lapply(c(lavaan = "lavaan", semTools = "semTools", jsonlite = "jsonlite"),
                                      function(p) as.character(packageVersion(p))))
target <- file.path(dir, "invariance.json")
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = FALSE, na = "null", null = "null"), target)
cat("wrote", target, "\n")
