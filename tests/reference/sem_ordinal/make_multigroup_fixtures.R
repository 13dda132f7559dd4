#!/usr/bin/env Rscript
# lavaan reference fixtures for multiple-group ordinal CFA by WLSMV (configural; thresholds and
# loadings equal across groups, delta and theta parameterization).
#
# Run from the repository root (CI never runs this; the JSON and gzipped Gamma it writes are
# committed):
#   Rscript tests/reference/sem_ordinal/make_multigroup_fixtures.R
#
# Data: data/synthetic/grid_governance.csv (600 rows; groups by its `district` column, D1/D2/D3),
# read with read.csv as make_fixtures.R reads it. Model: the first three factors of
# tests/reference/sem_ordinal/models/grid_governance.lav (VS, IS, RS: 12 five-point items), no
# structural part. Every item has all five categories in every district (smallest cell: RS4 = 1,
# 2 respondents in D1), so lavaan needs no special handling of empty categories.
#
# Writes tests/reference/sem_ordinal/multigroup/<case>.json and, per case and group,
# <case>.gamma.<group>.txt.gz. They live in their own folder, not beside the single-group
# fixtures, because tests/sem/test_ordinal_against_lavaan.py fits every
# tests/reference/sem_ordinal/*.json as a single-group model (see multigroup/README.md).
#
# GOVSTATS_FIXTURE_REPS (default 5) sets the number of timed refits.

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

if (!file.exists("pyproject.toml") || !dir.exists("tests/reference/sem_ordinal/models")) {
  stop("Run from the repository root: Rscript tests/reference/sem_ordinal/make_multigroup_fixtures.R")
}

out_dir <- "tests/reference/sem_ordinal/multigroup"
dir.create(out_dir, showWarnings = FALSE)
n_reps <- as.integer(Sys.getenv("GOVSTATS_FIXTURE_REPS", "5"))

# ---- data and model ---------------------------------------------------------------------------
data_file <- "data/synthetic/grid_governance.csv"
grid_governance <- read.csv(data_file, stringsAsFactors = FALSE, encoding = "UTF-8")
group_var <- "district"

# The first three measurement lines (`=~`) of the seed model: VS, IS, RS.
source_model_file <- "tests/reference/sem_ordinal/models/grid_governance.lav"
source_lines <- readLines(source_model_file, encoding = "UTF-8")
measurement <- grep("=~", source_lines, fixed = TRUE, value = TRUE)
model <- paste(measurement[1:3], collapse = "\n")
if (!identical(lavNames(lavaanify(model), "lv"), c("VS", "IS", "RS"))) {
  stop("the first three factors of ", source_model_file, " are no longer VS, IS, RS")
}
items <- lavNames(lavaanify(model), "ov")

# ---- cases ------------------------------------------------------------------------------------
# `options` are the arguments of cfa() after model, data, ordered = TRUE and group = "district".
equal_th_lo <- c("thresholds", "loadings")
cases <- list(
  list(id = "grid_multigroup_configural_wlsmv", options = list(),
       description = paste("Configural 3-group CFA (district D1/D2/D3) of VS, IS, RS (12 five-point",
                           "items of grid_governance, all ordered), WLSMV (the default for ordered",
                           "data), delta parameterization")),
  list(id = "grid_multigroup_thresholds_loadings_wlsmv", options = list(group.equal = equal_th_lo),
       description = paste("3-group CFA of VS, IS, RS with thresholds and loadings equal across",
                           "districts, WLSMV, delta parameterization (lavaan frees the scaling",
                           "factors ~*~ and the latent means in groups 2 and 3)")),
  list(id = "grid_multigroup_thresholds_loadings_theta",
       options = list(group.equal = equal_th_lo, parameterization = "theta"),
       description = paste("3-group CFA of VS, IS, RS with thresholds and loadings equal across",
                           "districts, WLSMV, theta parameterization (lavaan frees the items'",
                           "residual variances and the latent means in groups 2 and 3)"))
)

# ---- helpers (as in make_fixtures.R) ------------------------------------------------------------
plain_df <- function(x) {
  df <- data.frame(unclass(x), stringsAsFactors = FALSE, check.names = FALSE)
  rownames(df) <- NULL
  df
}

named_list <- function(x) {
  x <- unclass(x)
  as.list(setNames(as.numeric(x), names(x)))
}

matrix_json <- function(m, names = rownames(m)) {
  m <- unclass(m)
  list(names = names, values = unname(matrix(as.numeric(m), nrow(m), ncol(m))))
}

vector_json <- function(v) {
  v <- unclass(v)
  list(names = I(names(v)), values = I(unname(as.numeric(v))))
}

full_matrix_json <- function(m) {
  m <- unclass(m)
  list(rows = I(rownames(m)), cols = I(colnames(m)),
       values = unname(matrix(as.numeric(m), nrow(m), ncol(m))))
}

moments_json <- function(x) {
  lapply(x, function(v) {
    if (is.matrix(v)) return(full_matrix_json(v))
    v <- unclass(v)
    list(names = I(names(v)), values = I(unname(as.numeric(v))))
  })
}

option_keys <- c("estimator", "se", "test", "parameterization", "information",
                 "h1.information", "observed.information", "meanstructure", "std.lv",
                 "fixed.x", "mimic", "missing", "zero.add", "zero.keep.margins",
                 "zero.cell.warn", "conditional.x", "group.equal", "group.partial",
                 "group.w.free")
array_options <- c("se", "test", "information", "h1.information", "observed.information",
                   "zero.add", "group.equal", "group.partial")

options_json <- function(fit) {
  o <- lavInspect(fit, "options")
  res <- lapply(option_keys, function(k) {
    v <- o[[k]]
    if (is.null(v)) NULL else if (k %in% array_options) I(v) else v
  })
  names(res) <- option_keys
  res
}

pt_cols <- c("id", "lhs", "op", "rhs", "user", "block", "group", "level", "free", "ustart", "exo",
             "label", "plabel", "start", "est")

partable_df <- function(fit) {
  pt <- as.data.frame(parTable(fit), stringsAsFactors = FALSE)
  pt[, intersect(pt_cols, names(pt)), drop = FALSE]
}

# parameterEstimates() (it leaves out the `==` rows) with free, label and plabel from parTable,
# matched on lhs, op, rhs and group.
params_json <- function(fit) {
  pe <- plain_df(parameterEstimates(fit, standardized = TRUE, ci = TRUE))
  pt <- parTable(fit)
  idx <- match(paste(pe$lhs, pe$op, pe$rhs, pe$group), paste(pt$lhs, pt$op, pt$rhs, pt$group))
  if (anyNA(idx)) stop("parameterEstimates rows not found in parTable")
  pe$label <- pt$label[idx]
  pe$plabel <- pt$plabel[idx]
  pe$free <- pt$free[idx]
  pe$id <- pt$id[idx]
  cols <- c("id", "lhs", "op", "rhs", "group", "label", "plabel", "free", "est", "se", "z",
            "pvalue", "ci.lower", "ci.upper", "std.lv", "std.all", "std.nox")
  pe[, intersect(cols, names(pe))]
}

std_solution_json <- function(fit) {
  ss <- plain_df(standardizedSolution(fit, type = "std.all", se = TRUE, zstat = TRUE,
                                      pvalue = TRUE, ci = TRUE))
  ss[, intersect(c("lhs", "op", "rhs", "group", "label", "est.std", "se", "z", "pvalue",
                   "ci.lower", "ci.upper"), names(ss))]
}

fit_with_warnings <- function(cl, env) {
  warnings <- character(0)
  fit <- withCallingHandlers(
    eval(cl, env),
    warning = function(w) {
      warnings <<- c(warnings, gsub("\\s+", " ", trimws(conditionMessage(w))))
      invokeRestart("muffleWarning")
    }
  )
  list(fit = fit, warnings = warnings)
}

write_gamma <- function(gamma, path) {
  keep <- lower.tri(gamma, diag = TRUE)
  vals <- t(unclass(gamma))[t(keep)]
  con <- gzfile(path, "w")
  writeLines(formatC(vals, digits = 12, format = "g"), con)
  close(con)
}

category_counts <- function(data, items) {
  setNames(lapply(items, function(item) {
    tab <- table(data[[item]])
    list(codes = I(as.numeric(names(tab))), counts = I(as.integer(tab)),
         n_missing = sum(is.na(data[[item]])))
  }), items)
}

zero_cell_pairs <- function(data, items) {
  out <- character(0)
  for (i in seq_along(items)[-length(items)]) for (j in (i + 1):length(items)) {
    if (any(table(data[[items[i]]], data[[items[j]]]) == 0)) {
      out <- c(out, paste0(items[i], "~~", items[j]))
    }
  }
  out
}

# The test statistics as lavaan stores them, stat.group (per group) included.
test_json <- function(fit) {
  lapply(lavInspect(fit, "test"), function(t) {
    lapply(t, function(v) if (is.numeric(v)) I(as.numeric(v)) else v)
  })
}

# The fit measures the engine checks first; chisq.shift.parameters is not a fitMeasures() name in
# lavaan 0.6.14: it is the scaled.shifted test's shift.parameter.
selected_measures <- c("npar", "fmin", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled",
                       "pvalue.scaled", "chisq.scaling.factor", "baseline.chisq", "baseline.df",
                       "baseline.chisq.scaled", "baseline.df.scaled",
                       "baseline.chisq.scaling.factor", "cfi", "tli", "rmsea", "cfi.scaled",
                       "tli.scaled", "rmsea.scaled", "cfi.robust", "tli.robust", "rmsea.robust",
                       "srmr")
fit_selected_json <- function(fit) {
  fm <- fitMeasures(fit)
  res <- as.list(setNames(as.numeric(fm[selected_measures]), selected_measures))
  res$chisq.shift.parameters <- lavInspect(fit, "test")$scaled.shifted$shift.parameter
  res
}

time_call <- function(cl, env) {
  t(vapply(seq_len(n_reps), function(i) {
    st <- system.time(suppressWarnings(eval(cl, env)))
    c(elapsed = st[["elapsed"]], cpu = st[["user.self"]] + st[["sys.self"]])
  }, numeric(2)))
}

cpu_model <- function() {
  info <- tryCatch(readLines("/proc/cpuinfo"), error = function(e) character(0))
  line <- grep("^model name", info, value = TRUE)
  if (length(line)) trimws(sub("^model name\\s*:", "", line[1])) else NA_character_
}

load_average <- function() {
  line <- tryCatch(readLines("/proc/loadavg", n = 1L), error = function(e) NA_character_)
  as.numeric(strsplit(line, " ")[[1]][1:3])
}

si <- sessionInfo()
environment_json <- list(
  r_version = R.version.string,
  lavaan_version = as.character(packageVersion("lavaan")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  platform = R.version$platform,
  blas = si$BLAS,
  lapack = si$LAPACK,
  cpu = cpu_model(),
  n_cpus = parallel::detectCores(),
  generated = format(Sys.time(), "%Y-%m-%dT%H:%M:%S%z")
)

# Everything stage 1 and the model give per group, in lavaan's group order.
group_json <- function(fit, g, label, id, data_g) {
  sampstat <- lavInspect(fit, "sampstat")[[g]]
  implied <- lavInspect(fit, "implied")[[g]]
  gamma <- lavInspect(fit, "gamma")[[g]]
  wls_v <- lavInspect(fit, "wls.v")[[g]]
  wls_obs <- lavInspect(fit, "wls.obs")[[g]]
  stat_names <- rownames(gamma)
  if (is.null(stat_names)) stop("lavInspect(fit, 'gamma') has no row names")
  if (max(abs(wls_v[row(wls_v) != col(wls_v)])) != 0) stop("the weight matrix is not diagonal")
  if (!is.null(names(wls_obs)) && !identical(unname(names(wls_obs)), stat_names)) {
    stop("wls.obs and gamma are in different orders")
  }
  gamma_file <- file.path(out_dir, sprintf("%s.gamma.%s.txt.gz", id, label))
  write_gamma(gamma, gamma_file)
  delta <- lavInspect(fit, "est")[[g]]$delta
  tests <- lavInspect(fit, "test")
  list(
    group = g,
    label = label,
    nobs = lavInspect(fit, "nobs")[[g]],
    categories = category_counts(data_g, items),
    zero_cell_pairs = I(zero_cell_pairs(data_g, items)),
    sampstat = moments_json(sampstat),
    sample_th = vector_json(sampstat$th),
    sample_cov = matrix_json(sampstat$cov),
    implied_th = vector_json(implied$th),
    implied_cov = matrix_json(implied$cov),
    th = vector_json(lavInspect(fit, "th")[[g]]),
    scaling_factors = vector_json(setNames(as.numeric(delta), rownames(delta))),
    r2 = named_list(lavInspect(fit, "r2")[[g]]),
    stage1_names = I(stat_names),
    wls_obs = I(unname(as.numeric(wls_obs))),
    wls_v_diag = I(unname(as.numeric(diag(wls_v)))),
    gamma_file = gamma_file,
    gamma_diag = I(unname(as.numeric(diag(gamma)))),
    fx = fit@Fit@fx.group[[g]],
    stat = lapply(tests, function(t) t$stat.group[[g]])
  )
}

# ---- run ----------------------------------------------------------------------------------------
for (cs in cases) {
  env <- new.env()
  env$model <- model
  env$grid_governance <- grid_governance
  cl <- as.call(c(list(as.name("cfa"), model = quote(model), data = quote(grid_governance),
                       ordered = TRUE, group = group_var), cs$options))
  call_text <- paste(deparse(cl, width.cutoff = 500L), collapse = " ")
  cat(sprintf("%-44s %s\n", cs$id, call_text))

  res <- fit_with_warnings(cl, env)
  fit <- res$fit
  if (!lavInspect(fit, "converged")) stop(cs$id, ": lavaan did not converge")
  labels <- lavInspect(fit, "group.label")
  if (!identical(sort(lavNames(fit, "ov.ord")), sort(items))) stop("not every item is ordered")
  groups <- lapply(seq_along(labels), function(g) {
    group_json(fit, g, labels[[g]], cs$id,
               grid_governance[grid_governance[[group_var]] == labels[[g]], , drop = FALSE])
  })
  est <- coef(fit)
  pt <- parTable(fit)
  free_rows <- pt[pt$free > 0, ]
  free_rows <- free_rows[order(free_rows$free), ]
  if (!identical(unname(as.numeric(est)), as.numeric(free_rows$est))) {
    stop("coef(fit) is not in the order of parTable's free numbers")
  }
  v <- vcov(fit)
  times <- time_call(cl, env)

  nobs <- lavInspect(fit, "nobs")
  out <- list(
    case = cs$id,
    description = cs$description,
    lavaan_version = as.character(packageVersion("lavaan")),
    call = call_text,
    model_file = source_model_file,
    model_from = "the first three `=~` lines of model_file (VS, IS, RS); no structural part",
    data_file = data_file,
    model = model,
    ordered = I(items),
    group = group_var,
    group_equal = I(if (is.null(cs$options$group.equal)) character(0) else cs$options$group.equal),
    group_labels = I(labels),
    ngroups = lavInspect(fit, "ngroups"),
    nobs = I(nobs),
    nobs_by_group = as.list(setNames(nobs, labels)),
    ntotal = lavInspect(fit, "ntotal"),
    options = options_json(fit),
    # lavInspect(fit, "npar") counts every free number in parTable, also those tied by `==`;
    # fitMeasures()' npar (used in df) subtracts the equality constraints
    npar = lavInspect(fit, "npar"),
    npar_fitmeasures = unname(fitMeasures(fit, "npar")),
    n_free = max(pt$free),
    n_equality_constraints = sum(pt$op == "=="),
    converged = lavInspect(fit, "converged"),
    iterations = lavInspect(fit, "iterations"),
    warnings = I(res$warnings),
    fmin = list(
      fitmeasures_fmin = unname(fitMeasures(fit, "fmin")),
      optim_fx = fit@optim$fx,
      fx_group = I(as.numeric(fit@Fit@fx.group)),
      note = paste("lavInspect(fit, 'fmin') does not exist in lavaan 0.6.14 ('unknown what",
                   "argument'); fitMeasures(fit)['fmin'] is fit@optim$fx, and chisq = 2 * ntotal",
                   "* fmin")
    ),
    fit_selected = fit_selected_json(fit),
    fit = named_list(fitMeasures(fit)),
    test = test_json(fit),
    params = params_json(fit),
    std_solution = std_solution_json(fit),
    partable = partable_df(fit),
    coef = list(names = I(names(est)), values = I(unname(as.numeric(est))),
                free = I(free_rows$free), partable_id = I(free_rows$id)),
    vcov = matrix_json(v),
    groups = groups,
    gamma_layout = paste("per group, lavInspect(fit, 'gamma')[[g]] in the order of that group's",
                         "stage1_names; the file holds its lower triangle row by row",
                         "(row i: columns 1..i), one number per line, 12 significant digits"),
    timing = list(
      median_seconds = median(times[, "elapsed"]),
      reps = n_reps,
      seconds = I(times[, "elapsed"]),
      median_cpu_seconds = median(times[, "cpu"]),
      cpu_seconds = I(times[, "cpu"]),
      load_average = I(load_average()),
      what = paste("system.time() around the call above: elapsed (wall) seconds and CPU",
                   "(user + system) seconds of each refit; load_average is the machine's",
                   "1/5/15-minute load after timing")
    ),
    environment = environment_json
  )
  json <- toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null",
                 pretty = TRUE, dataframe = "rows", matrix = "rowmajor")
  writeLines(json, file.path(out_dir, paste0(cs$id, ".json")), useBytes = TRUE)
}
cat("wrote", length(cases), "fixtures to", out_dir, "\n")
