#!/usr/bin/env Rscript
# lavaan parameter tables (parTable) for every case of the lavaan reference fixtures.
#
# Run from the repository root (CI never runs R; the JSON it writes is committed):
#   Rscript tests/reference/partable/make_partables.R
#
# For every case of
#   tests/reference/sem/make_fixtures.R                       (continuous ML / MLR / cluster),
#   tests/reference/sem/multigroup/make_multigroup_fixture.R  (HS by school, group.equal),
#   tests/reference/sem_ordinal/make_fixtures.R               (WLSMV / ULSMV / theta / mixed),
#   tests/reference/sem_ordinal/defined/make_defined.R        (a := under WLSMV; an extra),
# it refits the model exactly as that script does and writes tests/reference/partable/<case>.json
# with as.data.frame(parTable(fit)) (columns id, lhs, op, rhs, user, block, group, [level,] free,
# ustart, exo, label, plabel, start, est), the call, and a check against the fixture it mirrors.
#
# The case lists and the fit calls are not copied: each script is parsed and its top-level code is
# evaluated up to its case loop (with write.csv, writeLines, dir.create and gzfile replaced by
# no-ops, so no committed data or fixture is rewritten and the committed CSVs are what is read),
# then the loop body is evaluated for each case up to the statement that fits the model. The
# timing code and everything after the fit are never run. It takes about a minute.

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

if (!file.exists("pyproject.toml") || !dir.exists("tests/reference/partable")) {
  stop("Run from the repository root: Rscript tests/reference/partable/make_partables.R")
}

out_dir <- "tests/reference/partable"
lavaan_version <- as.character(packageVersion("lavaan"))
# the ordinal script filters its cases by this variable: always take them all
Sys.unsetenv("GOVSTATS_FIXTURE_CASES")

# ---- evaluating the fixture scripts without their side effects ------------------------------
no_op <- function(...) invisible(NULL)

# A fresh environment holding the no-op writers, in which a script's top-level code runs.
script_env <- function() {
  e <- new.env(parent = globalenv())
  e$write.csv <- no_op
  e$writeLines <- no_op
  e$dir.create <- no_op
  e$gzfile <- function(...) stop("gzfile() called while re-creating a fixture's fit")
  e
}

is_for_over <- function(expr, var) {
  is.call(expr) && identical(expr[[1]], as.name("for")) && identical(expr[[2]], as.name(var))
}

# Evaluates the script's top-level expressions before its `for (<var> in ...)` loop in a fresh
# environment; returns that environment and the loop expression.
load_script <- function(path, loop_var) {
  exprs <- as.list(parse(path, keep.source = FALSE))
  at <- which(vapply(exprs, is_for_over, logical(1), var = loop_var))
  if (length(at) != 1) stop("no single top-level `for (", loop_var, " in ...)` in ", path)
  e <- script_env()
  for (x in exprs[seq_len(at - 1)]) eval(x, e)
  list(env = e, loop = exprs[[at]])
}

# Evaluates the statements of a loop body (or of a list of expressions) in `e` up to and
# including the first whose text matches `last` (a regular expression).
eval_until <- function(statements, e, last) {
  text <- vapply(statements, function(s) paste(deparse(s, width.cutoff = 500L), collapse = " "), "")
  stop_at <- grep(last, text)[1]
  if (is.na(stop_at)) stop("no statement matching ", last)
  for (s in statements[seq_len(stop_at)]) eval(s, e)
  invisible(e)
}

loop_body <- function(loop) {
  body <- loop[[4]]
  if (is.call(body) && identical(body[[1]], as.name("{"))) as.list(body)[-1] else list(body)
}

# Runs the loop body for one value of the loop variable, up to the fit; returns the environment.
run_case <- function(script, var, value, last) {
  e <- new.env(parent = script$env)
  assign(var, value, envir = e)
  capture.output(eval_until(loop_body(script$loop), e, last))  # the scripts cat() the call
  e
}

# ---- output helpers --------------------------------------------------------------------------
pt_cols <- c("id", "lhs", "op", "rhs", "user", "block", "group", "level", "free", "ustart", "exo",
             "label", "plabel", "start", "est")

partable_df <- function(fit) {
  pt <- as.data.frame(parTable(fit), stringsAsFactors = FALSE)
  pt[, intersect(pt_cols, names(pt)), drop = FALSE]
}

# Compares the refit with the fixture it mirrors: the estimates of the rows the fixture lists.
compare_with_source <- function(fit, ref_params, ref_npar = NULL, ref_chisq = NULL) {
  pt <- parTable(fit)
  ref <- as.data.frame(ref_params, stringsAsFactors = FALSE)
  ref_rhs <- ifelse(is.na(ref$rhs), "", ref$rhs)
  ref_group <- if (is.null(ref$group)) rep(1L, nrow(ref)) else ref$group
  key_pt <- paste(pt$lhs, pt$op, pt$rhs, pt$group)
  key_ref <- paste(ref$lhs, ref$op, ref_rhs, ref_group)
  # defined parameters (:=) have group 0 in parTable but the fixtures may say 1
  idx <- match(key_ref, key_pt)
  miss <- is.na(idx) & ref$op == ":="
  idx[miss] <- match(paste(ref$lhs, ref$op, ref_rhs)[miss], paste(pt$lhs, pt$op, pt$rhs))
  if (anyNA(idx)) stop("fixture rows not found in parTable: ", toString(key_ref[is.na(idx)]))
  res <- list(
    rows_compared = length(idx),
    max_abs_diff_est = max(abs(pt$est[idx] - ref$est))
  )
  if (!is.null(ref_npar)) res$npar <- list(fixture = ref_npar, refit = lavInspect(fit, "npar"))
  if (!is.null(ref_chisq)) {
    res$chisq <- list(fixture = ref_chisq, refit = unname(fitMeasures(fit, "chisq")))
  }
  res
}

write_case <- function(id, source, call, fit, check, warnings) {
  out <- list(
    case = id,
    source = source,
    lavaan = lavaan_version,
    call = call,
    ngroups = lavInspect(fit, "ngroups"),
    group_labels = I(lavInspect(fit, "group.label")),
    nobs = I(lavInspect(fit, "nobs")),
    npar = lavInspect(fit, "npar"),
    npar_fitmeasures = unname(fitMeasures(fit, "npar")),
    n_equality_constraints = sum(parTable(fit)$op == "=="),
    converged = lavInspect(fit, "converged"),
    warnings = I(warnings),
    check = check,
    partable = partable_df(fit)
  )
  json <- toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null",
                 pretty = TRUE, dataframe = "rows", matrix = "rowmajor")
  path <- file.path(out_dir, paste0(id, ".json"))
  writeLines(json, path, useBytes = TRUE)
  cat(sprintf("%-36s %4d rows  npar %3d  max |est - fixture| %.2g\n", id, nrow(out$partable),
              out$npar, check$max_abs_diff_est))
  path
}

deparse_call <- function(cl) paste(deparse(cl, width.cutoff = 500L), collapse = " ")

written <- character(0)
max_diff <- 0

# ---- 1. tests/reference/sem/make_fixtures.R ---------------------------------------------------
sem_script <- load_script("tests/reference/sem/make_fixtures.R", "cs")
for (cs in sem_script$env$cases) {
  e <- run_case(sem_script, "cs", cs, "^fit <- res\\$fit$")
  source_file <- file.path("tests/reference/sem", paste0(cs$id, ".json"))
  ref <- fromJSON(source_file, simplifyVector = TRUE)
  check <- compare_with_source(e$fit, ref$params, ref$npar, ref$fit$chisq)
  max_diff <- max(max_diff, check$max_abs_diff_est)
  call <- list(
    fun = cs$fun,
    text = e$call_text,
    model_file = e$model_file,
    data_file = sem_script$env$data_files[[cs$data]],
    args = cs$args
  )
  written <- c(written, write_case(cs$id, source_file, call, e$fit, check, e$res$warnings))
}

# ---- 2. tests/reference/sem/multigroup/make_multigroup_fixture.R -------------------------------
mg_path <- "tests/reference/sem/multigroup/make_multigroup_fixture.R"
mg_script <- load_script(mg_path, "eq")
mg_source <- "tests/reference/sem/multigroup/hs_multigroup.json"
mg_ref <- fromJSON(mg_source, simplifyVector = TRUE)
eq_list <- eval(mg_script$loop[[3]], mg_script$env)
for (k in seq_along(eq_list)) {
  eq <- eq_list[[k]]
  e <- run_case(mg_script, "eq", eq, "^f <- ")
  fit <- e$f
  ref_case <- mg_ref$cases[k, ]
  if (!identical(as.character(unlist(ref_case$group_equal)), eq)) {
    stop("hs_multigroup.json case ", k, " is not group.equal = ", toString(eq))
  }
  check <- compare_with_source(fit, ref_case$params[[1]], NULL, ref_case$fit$chisq)
  max_diff <- max(max_diff, check$max_abs_diff_est)
  id <- paste(c("hs_multigroup", eq), collapse = "_")
  args <- list(group = mg_script$env$out$group)
  if (eq[1] != "none") args$group.equal <- I(eq)
  call <- list(
    fun = "cfa",
    text = if (eq[1] == "none") 'cfa(model, data = data, group = "school")' else
      sprintf('cfa(model, data = data, group = "school", group.equal = %s)', deparse_call(eq)),
    model = mg_script$env$model,
    data_file = mg_script$env$out$data_file,
    args = args,
    source_case = k - 1  # 0-based index into hs_multigroup.json "cases"
  )
  written <- c(written, write_case(id, sprintf("%s (cases[%d], group_equal = %s)", mg_source, k - 1,
                                               toString(eq)), call, fit, check, character(0)))
}

# ---- 3. tests/reference/sem_ordinal/make_fixtures.R -------------------------------------------
ord_script <- load_script("tests/reference/sem_ordinal/make_fixtures.R", "cs")
for (cs in ord_script$env$cases) {
  e <- run_case(ord_script, "cs", cs, "^fit <- res\\$fit$")
  source_file <- file.path("tests/reference/sem_ordinal", paste0(cs$id, ".json"))
  ref <- fromJSON(source_file, simplifyVector = TRUE)
  check <- compare_with_source(e$fit, ref$params, ref$npar, ref$fit$chisq)
  max_diff <- max(max_diff, check$max_abs_diff_est)
  call <- list(
    fun = "sem",
    text = e$call_text,
    model_file = e$model_file,
    data_file = ord_script$env$data_files[[cs$data]],
    ordered = I(e$items),
    numeric = I(e$numeric),
    args = cs$options
  )
  written <- c(written, write_case(cs$id, source_file, call, e$fit, check, e$res$warnings))
}

# ---- 4. tests/reference/sem_ordinal/defined/make_defined.R (not a case loop) ---------------------
def_path <- "tests/reference/sem_ordinal/defined/make_defined.R"
def_env <- script_env()
eval_until(as.list(parse(def_path, keep.source = FALSE)), def_env, "^fit <- ")
def_source <- "tests/reference/sem_ordinal/defined/grid_indirect_wlsmv.json"
def_ref <- fromJSON(def_source, simplifyVector = TRUE)
check <- compare_with_source(def_env$fit, def_ref$params)
max_diff <- max(max_diff, check$max_abs_diff_est)
call <- list(
  fun = "sem",
  text = def_ref$call,
  model_file = file.path(def_env$dir, "grid_indirect.lav"),
  data_file = def_env$data_file,
  ordered = I(def_env$items),
  args = list(estimator = "WLSMV")
)
written <- c(written, write_case("grid_indirect_wlsmv", def_source, call, def_env$fit, check,
                                 character(0)))

cat("wrote", length(written), "parameter tables to", out_dir,
    sprintf("(largest |est - fixture| %.2g)\n", max_diff))
if (max_diff > 1e-6) warning("a refit differs from its fixture by ", signif(max_diff, 3))
