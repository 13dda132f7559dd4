#!/usr/bin/env Rscript
# lavaan reference fixtures for ordinal SEM by WLSMV (issue 9, "Correctness").
#
# Run from the repository root (CI never runs this; the JSON and CSV it writes are committed):
#   apt-get install -y r-base-core r-cran-lavaan r-cran-jsonlite
#   Rscript tests/reference/sem_ordinal/make_fixtures.R
#
# Writes the derived data sets of tests/reference/sem_ordinal/ (each written and read back so that R
# and Python fit the identical file): hs_binary.csv (Holzinger-Swineford x1..x9 dichotomized at
# their medians), grid_governance_missing.csv (3% of the item cells blanked at random),
# grid_governance_empty_category.csv (first 400 rows, two items with an unchosen category),
# hs_binary_sparse.csv (first 120 rows, two 2x2 tables with an empty cell),
# grid_governance_mixed.csv (grid_governance.csv plus the continuous age2 and years2) and
# hs_mixed.csv (x1..x6 cut into three or two categories, x7..x9 continuous), hs_mixed_missing.csv
# (hs_mixed.csv with 3% of the x1..x9 cells blanked at random); then one
# tests/reference/sem_ordinal/<case>.json per case. Models are tests/reference/sem_ordinal/models/*.lav;
# the five-point data are the committed data/synthetic/*.csv.
#
# GOVSTATS_FIXTURE_REPS (default 5) sets the number of timed refits; GOVSTATS_FIXTURE_CASES (a
# comma-separated list of case ids, default all) limits which fixtures are rewritten.

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

if (!file.exists("pyproject.toml") || !dir.exists("tests/reference/sem_ordinal/models")) {
  stop("Run from the repository root: Rscript tests/reference/sem_ordinal/make_fixtures.R")
}

out_dir <- "tests/reference/sem_ordinal"
model_dir <- file.path(out_dir, "models")
n_reps <- as.integer(Sys.getenv("GOVSTATS_FIXTURE_REPS", "5"))

# ---- data ---------------------------------------------------------------------------------
# Derived data sets are written and then read back, so that R and Python fit the identical file.
write_plain_csv <- function(df, path) {
  chr <- vapply(df, is.character, logical(1))
  # unquoted, like the committed synthetic data, which is safe only without commas or quotes
  if (any(vapply(df[chr], function(v) any(grepl("[,\"]", v)), logical(1)))) {
    stop("a text column holds a comma or a quote: ", path)
  }
  write.csv(df, path, row.names = FALSE, na = "", quote = FALSE)
}
model_items <- function(name) {
  syntax <- readLines(file.path(model_dir, paste0(name, ".lav")), encoding = "UTF-8")
  lavNames(lavaanify(paste(syntax, collapse = "\n")), "ov")
}

# Binary items: 1 when the score is above the item's median, else 0 (so ties at the median go
# to 0). The model is the classic three-factor CFA.
hs_file <- file.path(out_dir, "hs_binary.csv")
hs <- lavaan::HolzingerSwineford1939[, paste0("x", 1:9)]
hs_binary <- as.data.frame(lapply(hs, function(v) as.integer(v > median(v))))
write.csv(hs_binary, hs_file, row.names = FALSE)

gg_file <- "data/synthetic/grid_governance.csv"
gg <- read.csv(gg_file, stringsAsFactors = FALSE, encoding = "UTF-8")
gg_items <- model_items("grid_governance")

# Missing completely at random: exactly 3% of the model's item cells (540 of 600 x 30) drawn
# without replacement and blanked; every other column is kept as it is.
gg_missing_file <- file.path(out_dir, "grid_governance_missing.csv")
set.seed(20261122)
gg_missing <- gg
cells <- as.matrix(gg_missing[gg_items])
cells[sample(length(cells), round(0.03 * length(cells)))] <- NA
gg_missing[gg_items] <- as.data.frame(cells)
write_plain_csv(gg_missing, gg_missing_file)

# Empty categories: the first 400 respondents, with VS1's code 1 recoded to 2 (nobody chooses the
# bottom category) and IS1's code 3 recoded to 4 (nobody chooses the middle category).
gg_empty_file <- file.path(out_dir, "grid_governance_empty_category.csv")
gg_empty <- gg[1:400, ]
gg_empty$VS1[gg_empty$VS1 == 1] <- 2L
gg_empty$IS1[gg_empty$IS1 == 3] <- 4L
write_plain_csv(gg_empty, gg_empty_file)

# Empty cells in two 2x2 tables: the first 120 rows of hs_binary, but x4 and x8 are 1 only above
# their 90% and 93% quantiles in those rows (12 and 8 ones). Nobody has x4 = 1 and x8 = 1 (a zero
# on the diagonal of x4 x x8) and nobody has x7 = 0 and x8 = 1 (off the diagonal of x7 x x8), so
# both ways lavaan's zero.keep.margins moves zero.add between cells are used; every other table
# has four non-empty cells. (Making a zero cell by recoding a median split, e.g. x1 = 0 wherever
# x2 = 0, pushes the tetrachoric towards 1 and gives negative residual variances.)
hs_sparse_file <- file.path(out_dir, "hs_binary_sparse.csv")
hs_sparse <- hs_binary[1:120, ]
rare <- c(x4 = 0.90, x8 = 0.93)
for (item in names(rare)) {
  score <- hs[1:120, item]
  hs_sparse[[item]] <- as.integer(score > quantile(score, rare[[item]], type = 1))
}
write_plain_csv(hs_sparse, hs_sparse_file)

# Continuous variables beside the ordered items: age and years in the community in decades (so
# that their variances, 1.9 and 0.7, are of the order of the items'). Every column is kept.
gg_mixed_file <- file.path(out_dir, "grid_governance_mixed.csv")
gg_mixed <- gg
gg_mixed$age2 <- gg$age / 10
gg_mixed$years2 <- gg$years_in_community / 10
write_plain_csv(gg_mixed, gg_mixed_file)

# Holzinger-Swineford with x1..x3 cut at their tertiles (R's quantile type 1, numpy's
# inverted_cdf: codes 1, 2, 3 for at most the first cut, at most the second, above), x4..x6 split
# at their medians as in hs_binary (0/1) and x7..x9 left continuous; plus agec, the age in years
# minus 13 (ageyr + agemo / 12 - 13), a covariate. Centred, because lavaan 0.6.14 starts a
# polyserial correlation with covariates at cor sd / sum(dnorm(thresholds)) with the
# thresholds of the probit regression at x = 0: with the raw age (11 to 17) x6's threshold is
# -3.15, the start 10.5, and nlminb stops at the 0.995 bound for x6 ~~ x7 with a warning.
hs_mixed_file <- file.path(out_dir, "hs_mixed.csv")
hs_mixed <- hs
for (item in c("x1", "x2", "x3")) {
  cuts <- quantile(hs[[item]], c(1, 2) / 3, type = 1)
  hs_mixed[[item]] <- 1L + as.integer(hs[[item]] > cuts[[1]]) + as.integer(hs[[item]] > cuts[[2]])
}
hs_mixed[c("x4", "x5", "x6")] <- hs_binary[c("x4", "x5", "x6")]
hs_mixed$agec <- lavaan::HolzingerSwineford1939$ageyr + lavaan::HolzingerSwineford1939$agemo / 12 - 13
write.csv(hs_mixed, hs_mixed_file, row.names = FALSE)

# Missing values beside continuous variables: hs_mixed with exactly 3% of the x1..x9 cells (81 of
# 301 x 9) drawn without replacement and blanked, as grid_governance_missing; agec is kept.
hs_mixed_missing_file <- file.path(out_dir, "hs_mixed_missing.csv")
set.seed(20261123)
hs_mixed_missing <- hs_mixed
cells <- as.matrix(hs_mixed_missing[paste0("x", 1:9)])
cells[sample(length(cells), round(0.03 * length(cells)))] <- NA
hs_mixed_missing[paste0("x", 1:9)] <- as.data.frame(cells)
write_plain_csv(hs_mixed_missing, hs_mixed_missing_file)

data_files <- list(
  hs_binary = hs_file,
  ri_asset = "data/synthetic/ri_asset.csv",
  grid_governance = gg_file,
  grid_governance_missing = gg_missing_file,
  grid_governance_empty_category = gg_empty_file,
  hs_binary_sparse = hs_sparse_file,
  grid_governance_mixed = gg_mixed_file,
  hs_mixed = hs_mixed_file,
  hs_mixed_missing = hs_mixed_missing_file
)
datasets <- lapply(data_files, read.csv, stringsAsFactors = FALSE, encoding = "UTF-8")

# The pairs of items whose cross table has an empty cell, as "a~~b".
zero_cell_pairs <- function(data, items) {
  out <- character(0)
  for (i in seq_along(items)[-length(items)]) for (j in (i + 1):length(items)) {
    if (any(table(data[[items[i]]], data[[items[j]]]) == 0)) {
      out <- c(out, paste0(items[i], "~~", items[j]))
    }
  }
  out
}

# ---- cases --------------------------------------------------------------------------------
# `options` are the arguments of sem() after model, data and ordered; they make up the recorded call.
# `numeric` names the continuous observed variables of a case (default none): every other observed
# variable of the model is ordered.
wlsmv <- list(estimator = "WLSMV")
cases <- list(
  list(id = "hs_binary_wlsmv", model = "hs_binary_cfa", data = "hs_binary", options = wlsmv,
       description = paste("Holzinger-Swineford 3-factor CFA on x1..x9 dichotomized at their",
                           "medians (1 = above the median), all items ordered, WLSMV")),
  list(id = "ri_asset_wlsmv", model = "ri_asset", data = "ri_asset", options = wlsmv,
       description = paste("ri_asset seed instrument model on data/synthetic/ri_asset.csv,",
                           "all 41 five-point items ordered, WLSMV")),
  list(id = "grid_governance_wlsmv", model = "grid_governance", data = "grid_governance",
       options = wlsmv,
       description = paste("grid_governance seed instrument model on",
                           "data/synthetic/grid_governance.csv, all 30 five-point items ordered, WLSMV")),
  list(id = "grid_governance_missing_wlsmv", model = "grid_governance",
       data = "grid_governance_missing", options = list(estimator = "WLSMV", missing = "pairwise"),
       description = paste("grid_governance model on data/synthetic/grid_governance.csv with 3% of",
                           "the item cells blanked completely at random, WLSMV with pairwise",
                           "deletion")),
  list(id = "grid_governance_ulsmv", model = "grid_governance", data = "grid_governance",
       options = list(estimator = "ULSMV"),
       description = paste("grid_governance seed instrument model on",
                           "data/synthetic/grid_governance.csv, all items ordered, ULSMV")),
  list(id = "hs_binary_ulsmv", model = "hs_binary_cfa", data = "hs_binary",
       options = list(estimator = "ULSMV"),
       description = "Holzinger-Swineford 3-factor CFA on the binary items, ULSMV"),
  list(id = "hs_binary_theta", model = "hs_binary_cfa", data = "hs_binary",
       options = list(estimator = "WLSMV", parameterization = "theta"),
       description = paste("Holzinger-Swineford 3-factor CFA on the binary items, WLSMV in the",
                           "theta parameterization")),
  list(id = "grid_governance_theta", model = "grid_governance", data = "grid_governance",
       options = list(estimator = "WLSMV", parameterization = "theta"),
       description = paste("grid_governance seed instrument model on",
                           "data/synthetic/grid_governance.csv, WLSMV in the theta parameterization")),
  list(id = "empty_category_wlsmv", model = "grid_governance",
       data = "grid_governance_empty_category", options = wlsmv,
       description = paste("grid_governance model on the first 400 rows of",
                           "data/synthetic/grid_governance.csv with VS1's code 1 recoded to 2 and",
                           "IS1's code 3 recoded to 4 (an empty bottom and an empty middle",
                           "category), WLSMV")),
  list(id = "hs_binary_sparse_wlsmv", model = "hs_binary_cfa", data = "hs_binary_sparse",
       options = wlsmv,
       description = paste("Holzinger-Swineford 3-factor CFA on the first 120 rows of hs_binary.csv",
                           "with x4 and x8 split at their 90% and 93% quantiles: the x4 x x8 and",
                           "x7 x x8 tables have an empty cell, WLSMV")),
  list(id = "mixed_grid_wlsmv", model = "grid_governance_mixed", data = "grid_governance_mixed",
       options = wlsmv, numeric = "years2",
       description = paste("grid_governance model plus the continuous outcome years2 =",
                           "years_in_community / 10 regressed on ID and CN, on",
                           "grid_governance_mixed.csv; the 30 five-point items ordered, WLSMV",
                           "(no exogenous observed variable: conditional.x = FALSE)")),
  list(id = "mixed_hs_wlsmv", model = "hs_binary_cfa", data = "hs_mixed", options = wlsmv,
       numeric = c("x7", "x8", "x9"),
       description = paste("Holzinger-Swineford 3-factor CFA on hs_mixed.csv: x1..x3 in three",
                           "categories (tertiles), x4..x6 binary (medians), both ordered; x7..x9",
                           "continuous, WLSMV")),
  list(id = "mixed_hs_missing_wlsmv", model = "hs_binary_cfa", data = "hs_mixed_missing",
       options = list(estimator = "WLSMV", missing = "pairwise"), numeric = c("x7", "x8", "x9"),
       description = paste("Holzinger-Swineford 3-factor CFA on hs_mixed_missing.csv (hs_mixed.csv",
                           "with 3% of the x1..x9 cells blanked completely at random): x1..x6",
                           "ordered, x7..x9 continuous, WLSMV with pairwise deletion")),
  list(id = "covariate_grid_wlsmv", model = "grid_governance_covariate",
       data = "grid_governance_mixed", options = wlsmv, numeric = "age2",
       description = paste("grid_governance model plus ID ~ age2 (age / 10, an exogenous",
                           "continuous covariate) on grid_governance_mixed.csv; the 30 items",
                           "ordered, WLSMV (lavaan's default conditional.x = TRUE: probit",
                           "regressions of the items on age2, residual polychorics)")),
  list(id = "covariate_hs_wlsmv", model = "hs_covariate", data = "hs_mixed", options = wlsmv,
       numeric = c("x7", "x8", "x9", "agec"),
       description = paste("Holzinger-Swineford 3-factor CFA plus visual + textual + speed ~ agec",
                           "(age in years minus 13, exogenous) on hs_mixed.csv: x1..x6 ordered,",
                           "x7..x9 continuous, WLSMV (conditional.x = TRUE: probit regressions",
                           "of x1..x6 and linear regressions of x7..x9 on agec, residual",
                           "polychoric, polyserial and Pearson correlations)"))
)
only <- Sys.getenv("GOVSTATS_FIXTURE_CASES", "")
if (nzchar(only)) {
  wanted <- trimws(strsplit(only, ",")[[1]])
  unknown <- setdiff(wanted, vapply(cases, `[[`, "", "id"))
  if (length(unknown)) stop("unknown case(s) in GOVSTATS_FIXTURE_CASES: ", toString(unknown))
  cases <- Filter(function(cs) cs$id %in% wanted, cases)
}

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

# A square matrix with one name per row; values row by row.
matrix_json <- function(m, names = rownames(m)) {
  m <- unclass(m)
  list(names = names, values = unname(matrix(as.numeric(m), nrow(m), ncol(m))))
}

vector_json <- function(v) {
  v <- unclass(v)
  list(names = names(v), values = unname(as.numeric(v)))
}

# Any matrix, square or not: row and column names, values row by row (arrays even when of
# length 1, such as a single covariate's).
full_matrix_json <- function(m) {
  m <- unclass(m)
  list(rows = I(rownames(m)), cols = I(colnames(m)),
       values = unname(matrix(as.numeric(m), nrow(m), ncol(m))))
}

# Every element of lavInspect(fit, "sampstat") or "implied", named as lavaan names them.
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
                 "zero.cell.warn", "conditional.x")
array_options <- c("se", "test", "information", "h1.information", "observed.information",
                   "zero.add")

options_json <- function(fit) {
  o <- lavInspect(fit, "options")
  res <- lapply(option_keys, function(k) {
    v <- o[[k]]
    if (is.null(v)) NULL else if (k %in% array_options) I(v) else v
  })
  names(res) <- option_keys
  res
}

params_json <- function(fit) {
  pe <- plain_df(parameterEstimates(fit, standardized = TRUE, ci = TRUE))
  pt <- parTable(fit)
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

# Gamma is large (984 x 984 for ri_asset), so it goes to its own gzipped text file: the lower
# triangle row by row (row i holds columns 1..i), one number per line, 12 significant digits.
write_gamma <- function(gamma, path) {
  keep <- lower.tri(gamma, diag = TRUE)
  # t() so that column-major extraction walks the lower triangle row by row
  vals <- t(unclass(gamma))[t(keep)]
  con <- gzfile(path, "w")
  writeLines(formatC(vals, digits = 12, format = "g"), con)
  close(con)
}

scaling_factors <- function(fit) {
  d <- lavInspect(fit, "est")$delta
  setNames(as.numeric(d), rownames(d))
}

# Per item, the codes that occur and how often (missing values left out).
category_counts <- function(data, items) {
  setNames(lapply(items, function(item) {
    tab <- table(data[[item]])
    list(codes = I(as.numeric(names(tab))), counts = I(as.integer(tab)),
         n_missing = sum(is.na(data[[item]])))
  }), items)
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

# ---- run ----------------------------------------------------------------------------------
for (cs in cases) {
  model_file <- file.path(model_dir, paste0(cs$model, ".lav"))
  model <- paste(readLines(model_file, encoding = "UTF-8"), collapse = "\n")
  env <- new.env()
  env$model <- model
  assign(cs$data, datasets[[cs$data]], envir = env)
  # every observed variable of the model that is not continuous is an ordered item
  numeric <- if (is.null(cs$numeric)) character(0) else cs$numeric
  observed <- lavNames(lavaanify(model), "ov")
  if (!all(numeric %in% observed)) stop("numeric variables not in the model: ", cs$id)
  items <- setdiff(observed, numeric)
  env$items <- items
  cl <- as.call(c(list(as.name("sem"), model = quote(model), data = as.name(cs$data),
                       ordered = quote(items)), cs$options))
  call_text <- paste(deparse(cl, width.cutoff = 500L), collapse = " ")
  cat(sprintf("%-30s %s\n", cs$id, call_text))

  res <- fit_with_warnings(cl, env)
  fit <- res$fit
  sampstat <- lavInspect(fit, "sampstat")
  implied <- lavInspect(fit, "implied")
  # conditional.x (an exogenous covariate): thresholds and correlations are residual ones
  conditional <- !is.null(sampstat$res.cov)
  th_key <- if (conditional) "res.th" else "th"
  cov_key <- if (conditional) "res.cov" else "cov"
  gamma <- lavInspect(fit, "gamma")
  wls_v <- lavInspect(fit, "wls.v")
  wls_obs <- lavInspect(fit, "wls.obs")
  stat_names <- rownames(gamma)
  if (is.null(stat_names)) stop("lavInspect(fit, 'gamma') has no row names")
  if (max(abs(wls_v[row(wls_v) != col(wls_v)])) != 0) stop("the weight matrix is not diagonal")
  if (!identical(unname(names(wls_obs)), stat_names) && !is.null(names(wls_obs))) {
    stop("wls.obs and gamma are in different orders")
  }
  gamma_file <- file.path(out_dir, paste0(cs$id, ".gamma.txt.gz"))
  write_gamma(gamma, gamma_file)
  times <- time_call(cl, env)

  out <- list(
    case = cs$id,
    description = cs$description,
    lavaan_version = as.character(packageVersion("lavaan")),
    call = call_text,
    model_file = model_file,
    data_file = data_files[[cs$data]],
    model = model,
    ordered = I(items),
    options = options_json(fit),
    nobs = lavInspect(fit, "nobs"),
    npar = lavInspect(fit, "npar"),
    converged = lavInspect(fit, "converged"),
    iterations = lavInspect(fit, "iterations"),
    warnings = I(res$warnings),
    params = params_json(fit),
    std_solution = std_solution_json(fit),
    fit = named_list(fitMeasures(fit)),
    # fitMeasures() has no shift parameter: the test statistics as lavaan stores them
    test = lapply(lavInspect(fit, "test"), function(t) {
      t$stat.group <- NULL
      lapply(t, function(v) if (is.numeric(v)) as.numeric(v) else v)
    }),
    r2 = named_list(lavInspect(fit, "r2")),
    # The scaling factors of the latent responses (the `~*~` values, 1 / their model-implied sd)
    # are the "delta" model matrix; lavInspect(fit, "delta") is instead the Jacobian of the
    # statistics, not stored.
    scaling_factors = vector_json(scaling_factors(fit)),
    th = vector_json(lavInspect(fit, "th")),
    categories = category_counts(datasets[[cs$data]], items),
    zero_cell_pairs = I(zero_cell_pairs(datasets[[cs$data]], items)),
    sample_th = vector_json(sampstat[[th_key]]),
    sample_cov = matrix_json(sampstat[[cov_key]]),
    implied_cov = matrix_json(implied[[cov_key]]),
    implied_th = vector_json(implied[[th_key]]),
    stage1_names = I(stat_names),
    wls_obs = I(unname(as.numeric(wls_obs))),
    wls_v_diag = I(unname(as.numeric(diag(wls_v)))),
    gamma_file = gamma_file,
    gamma_layout = paste("lavInspect(fit, 'gamma'), rows and columns in the order of",
                         "stage1_names; the file holds its lower triangle row by row",
                         "(row i: columns 1..i), one number per line"),
    gamma_diag = I(unname(as.numeric(diag(gamma)))),
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
  if (length(numeric)) {
    # continuous variables: which ones, which are exogenous, and every sample and implied moment
    # (means, slopes, the covariates' moments), which the keys above do not hold
    out$numeric <- I(numeric)
    out$exogenous <- I(lavNames(fit, "ov.x"))
    out$conditional_x <- conditional
    out$sampstat <- moments_json(sampstat)
    out$implied <- moments_json(implied)
  }
  json <- toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null",
                 pretty = TRUE, dataframe = "rows", matrix = "rowmajor")
  writeLines(json, file.path(out_dir, paste0(cs$id, ".json")), useBytes = TRUE)
}
cat("wrote", length(cases), "fixtures to", out_dir, "\n")
