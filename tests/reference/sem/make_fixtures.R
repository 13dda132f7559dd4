#!/usr/bin/env Rscript
# lavaan reference fixtures for the govstats SEM engine (issue 8, "Correctness").
#
# Run from the repository root (CI never runs this; the JSON it writes is committed):
#   apt-get install -y r-base-core r-cran-lavaan r-cran-semtools r-cran-psych r-cran-jsonlite
#   Rscript tests/reference/sem/make_fixtures.R
#
# Writes tests/reference/data/{HolzingerSwineford1939,PoliticalDemocracy}.csv (exported from
# lavaan's datasets and read back, so the fits use exactly the committed CSV), and one
# tests/reference/sem/<case>.json per case. Models are read from tests/reference/sem/models/*.lav;
# the synthetic data are the committed data/synthetic/*.csv.
#
# GOVSTATS_FIXTURE_REPS (default 20) sets the number of timed refits; set it to 1 for a quick
# check of the numbers (the timings are then meaningless).

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

if (!file.exists("pyproject.toml") || !dir.exists("tests/reference/sem/models")) {
  stop("Run from the repository root: Rscript tests/reference/sem/make_fixtures.R")
}

out_dir <- "tests/reference/sem"
model_dir <- file.path(out_dir, "models")
ref_data_dir <- "tests/reference/data"
n_reps <- as.integer(Sys.getenv("GOVSTATS_FIXTURE_REPS", "20"))
n_mi <- 20L

# ---- data ---------------------------------------------------------------------------------
dir.create(ref_data_dir, showWarnings = FALSE, recursive = TRUE)
hs_file <- file.path(ref_data_dir, "HolzingerSwineford1939.csv")
pd_file <- file.path(ref_data_dir, "PoliticalDemocracy.csv")
# na = "" so that pandas and R both read the one missing 'grade' as missing without options.
write.csv(lavaan::HolzingerSwineford1939, hs_file, row.names = FALSE, na = "")
write.csv(lavaan::PoliticalDemocracy, pd_file, row.names = FALSE, na = "")

data_files <- list(
  HolzingerSwineford1939 = hs_file,
  PoliticalDemocracy = pd_file,
  ri_asset = "data/synthetic/ri_asset.csv",
  platform_dilemma = "data/synthetic/platform_dilemma.csv"
)
datasets <- lapply(data_files, read.csv, stringsAsFactors = FALSE, encoding = "UTF-8")

# ---- cases --------------------------------------------------------------------------------
case <- function(id, fun, model, data, args, description) {
  list(id = id, fun = fun, model = model, data = data, args = args, description = description)
}
cases <- list(
  case("hs_cfa_ml", "cfa", "hs_cfa", "HolzingerSwineford1939", list(estimator = "ML"),
       "Holzinger-Swineford 3-factor CFA, ML, first loading fixed to 1"),
  case("hs_cfa_mlr", "cfa", "hs_cfa", "HolzingerSwineford1939", list(estimator = "MLR"),
       "Holzinger-Swineford 3-factor CFA, MLR (Huber-White SEs, Yuan-Bentler scaled test)"),
  case("hs_cfa_ml_stdlv", "cfa", "hs_cfa", "HolzingerSwineford1939",
       list(estimator = "ML", std.lv = TRUE),
       "Holzinger-Swineford 3-factor CFA, ML, latent variances fixed to 1 (std.lv = TRUE)"),
  case("poldem_sem_ml", "sem", "poldem_sem", "PoliticalDemocracy", list(estimator = "ML"),
       "Political Democracy SEM of the lavaan tutorial (6 correlated residuals), ML"),
  case("poldem_sem_mlr", "sem", "poldem_sem", "PoliticalDemocracy", list(estimator = "MLR"),
       "Political Democracy SEM of the lavaan tutorial (6 correlated residuals), MLR"),
  case("poldem_sem_indirect_ml", "sem", "poldem_sem_indirect", "PoliticalDemocracy",
       list(estimator = "ML"),
       "Political Democracy SEM with labelled paths a, b, c and ind := a*b, total := c + a*b, ML"),
  case("poldem_sem_indirect_mlr", "sem", "poldem_sem_indirect", "PoliticalDemocracy",
       list(estimator = "MLR"),
       "Political Democracy SEM with labelled paths a, b, c and ind := a*b, total := c + a*b, MLR"),
  case("ri_asset_ml", "sem", "ri_asset", "ri_asset", list(estimator = "ML"),
       "ri_asset seed instrument model on data/synthetic/ri_asset.csv (1-5 codes as continuous), ML"),
  case("ri_asset_mlr", "sem", "ri_asset", "ri_asset", list(estimator = "MLR"),
       "ri_asset seed instrument model on data/synthetic/ri_asset.csv (1-5 codes as continuous), MLR"),
  case("ri_asset_cluster", "sem", "ri_asset", "ri_asset", list(cluster = "community_id"),
       paste("ri_asset seed instrument model on data/synthetic/ri_asset.csv (1-5 codes as continuous),",
             "cluster = \"community_id\" with the default estimator (lavaan turns this into",
             "cluster-robust SEs and a Yuan-Bentler scaled test)")),
  case("platform_dilemma_ml", "sem", "platform_dilemma", "platform_dilemma", list(estimator = "ML"),
       paste("platform_dilemma seed instrument model on data/synthetic/platform_dilemma.csv",
             "(1-5 codes as continuous), ML")),
  case("platform_dilemma_mlr", "sem", "platform_dilemma", "platform_dilemma", list(estimator = "MLR"),
       paste("platform_dilemma seed instrument model on data/synthetic/platform_dilemma.csv",
             "(1-5 codes as continuous), MLR")),
  case("platform_dilemma_cluster", "sem", "platform_dilemma", "platform_dilemma",
       list(cluster = "community_id"),
       paste("platform_dilemma seed instrument model on data/synthetic/platform_dilemma.csv",
             "(1-5 codes as continuous), cluster = \"community_id\" with the default estimator"))
)

# ---- helpers ------------------------------------------------------------------------------
plain_df <- function(x) {
  df <- data.frame(unclass(x), stringsAsFactors = FALSE, check.names = FALSE)
  rownames(df) <- NULL
  df
}

named_list <- function(x) {
  x <- unclass(x)
  as.list(setNames(as.numeric(x), names(x)))
}

matrix_json <- function(m) {
  m <- unclass(m)
  list(names = rownames(m), values = unname(matrix(as.numeric(m), nrow(m), ncol(m))))
}

vector_json <- function(v) {
  if (is.null(v)) return(NULL)
  v <- unclass(v)
  list(names = names(v), values = unname(as.numeric(v)))
}

# Options that lavaan keeps as one entry per purpose (SEs, test) stay arrays even when length 1.
option_keys <- c("estimator", "se", "test", "information", "h1.information",
                 "observed.information", "meanstructure", "likelihood", "std.lv", "fixed.x",
                 "mimic", "missing")
array_options <- c("se", "test", "information", "h1.information", "observed.information")

options_json <- function(fit) {
  o <- lavInspect(fit, "options")
  res <- lapply(option_keys, function(k) if (k %in% array_options) I(o[[k]]) else o[[k]])
  names(res) <- option_keys
  res
}

params_json <- function(fit) {
  pe <- plain_df(parameterEstimates(fit, standardized = TRUE, ci = TRUE))
  pt <- parTable(fit)
  # parameterEstimates drops 'free' and (for one group) 'group'; take them from the partable.
  idx <- match(paste(pe$lhs, pe$op, pe$rhs), paste(pt$lhs, pt$op, pt$rhs))
  if (anyNA(idx)) stop("parameterEstimates rows not found in parTable")
  pe$group <- pt$group[idx]
  pe$label <- pt$label[idx]
  pe$free <- pt$free[idx]
  cols <- c("lhs", "op", "rhs", "group", "label", "free", "est", "se", "z", "pvalue",
            "ci.lower", "ci.upper", "std.lv", "std.all", "std.nox")
  pe[, cols]
}

std_solution_json <- function(fit) {
  ss <- plain_df(standardizedSolution(fit, type = "std.all", se = TRUE, zstat = TRUE,
                                      pvalue = TRUE, ci = TRUE))
  ss[, intersect(c("lhs", "op", "rhs", "label", "est.std", "se", "z", "pvalue", "ci.lower",
                   "ci.upper"), names(ss))]
}

modindices_json <- function(fit) {
  mi <- plain_df(modindices(fit, sort. = TRUE))
  head(mi[, c("lhs", "op", "rhs", "mi", "epc", "sepc.lv", "sepc.all", "sepc.nox")], n_mi)
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

# Elapsed (wall) and CPU (user + system) seconds of each refit, one row per refit. The CPU time
# is recorded too because on a busy machine the wall time also counts waiting for a CPU.
time_call <- function(cl, env, with_measures) {
  t(vapply(seq_len(n_reps), function(i) {
    st <- system.time(suppressWarnings({
      f <- eval(cl, env)
      if (with_measures) {
        fitMeasures(f)
        standardizedSolution(f)
      }
    }))
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

# ---- run ----------------------------------------------------------------------------------
for (cs in cases) {
  model_file <- file.path(model_dir, paste0(cs$model, ".lav"))
  model <- paste(readLines(model_file, encoding = "UTF-8"), collapse = "\n")
  env <- new.env()
  env$model <- model
  assign(cs$data, datasets[[cs$data]], envir = env)
  cl <- as.call(c(as.name(cs$fun), list(model = quote(model), data = as.name(cs$data)), cs$args))
  call_text <- paste(deparse(cl, width.cutoff = 500L), collapse = " ")
  cat(sprintf("%-26s %s\n", cs$id, call_text))

  res <- fit_with_warnings(cl, env)
  fit <- res$fit
  implied <- lavInspect(fit, "implied")
  sampstat <- lavInspect(fit, "sampstat")
  cluster <- lavInspect(fit, "cluster")

  times <- time_call(cl, env, with_measures = FALSE)
  times_full <- time_call(cl, env, with_measures = TRUE)

  out <- list(
    case = cs$id,
    description = cs$description,
    lavaan_version = as.character(packageVersion("lavaan")),
    call = call_text,
    model_file = model_file,
    data_file = data_files[[cs$data]],
    model = model,
    options = options_json(fit),
    cluster = if (length(cluster)) cluster else NULL,
    # lavInspect(fit, "nclusters") says 1 for a single-level model with cluster =, so count them.
    nclusters = if (length(cluster)) length(unique(datasets[[cs$data]][[cluster]])) else NULL,
    nobs = lavInspect(fit, "nobs"),
    npar = lavInspect(fit, "npar"),
    converged = lavInspect(fit, "converged"),
    iterations = lavInspect(fit, "iterations"),
    warnings = I(res$warnings),
    params = params_json(fit),
    std_solution = std_solution_json(fit),
    fit = named_list(fitMeasures(fit)),
    modindices = modindices_json(fit),
    r2 = named_list(lavInspect(fit, "r2")),
    implied_cov = matrix_json(implied$cov),
    sample_cov = matrix_json(sampstat$cov),
    implied_mean = vector_json(implied$mean),
    sample_mean = vector_json(sampstat$mean),
    residuals_cor = matrix_json(residuals(fit, type = "cor")$cov),
    timing = list(
      median_seconds = median(times[, "elapsed"]),
      reps = n_reps,
      seconds = I(times[, "elapsed"]),
      median_cpu_seconds = median(times[, "cpu"]),
      cpu_seconds = I(times[, "cpu"]),
      median_seconds_with_measures = median(times_full[, "elapsed"]),
      seconds_with_measures = I(times_full[, "elapsed"]),
      median_cpu_seconds_with_measures = median(times_full[, "cpu"]),
      cpu_seconds_with_measures = I(times_full[, "cpu"]),
      load_average = I(load_average()),
      what = paste("system.time() around the call above: elapsed (wall) seconds and CPU",
                   "(user + system) seconds; 'with_measures' adds fitMeasures() and",
                   "standardizedSolution(); load_average is the machine's 1/5/15-minute",
                   "load after timing")
    ),
    environment = environment_json
  )
  json <- toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null",
                 pretty = TRUE, dataframe = "rows", matrix = "rowmajor")
  writeLines(json, file.path(out_dir, paste0(cs$id, ".json")), useBytes = TRUE)
}
cat("wrote", length(cases), "fixtures to", out_dir, "\n")
