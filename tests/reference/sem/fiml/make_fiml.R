# FIML (missing = "ml" / "ml.x") fits with lavaan 0.6.14: one record per case in fiml.json.
# Data: tests/reference/sem/fiml/data/*.csv (written by make_data.py; blank cells are NA).
# Run from the repository root:  Rscript tests/reference/sem/fiml/make_fiml.R
source("tests/reference/sem/lavaan_cases.R")

dir <- "tests/reference/sem/fiml"
rd <- function(name) read.csv(file.path(dir, "data", paste0(name, ".csv")), na.strings = c("", "NA"))
datasets <- list(hs_mcar = rd("hs_mcar"), ri_mcar = rd("ri_mcar"), ri_mar = rd("ri_mar"),
                 pd_mcar = rd("pd_mcar"), hs_cov = rd("hs_cov"))
model_file <- function(f) paste(readLines(file.path("tests/reference/sem/models", f)), collapse = "\n")
hs_model <- model_file("hs_cfa.lav")
ri_model <- model_file("ri_asset.lav")
pd_model <- model_file("poldem_sem.lav")
mimic <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec + sexc"

cs <- function(id, data, model, ...) list(id = id, data = data, model = model, args = list(...))
cases <- list(
  cs("hs_cfa_fiml_ml", "hs_mcar", hs_model, missing = "ml", estimator = "ML"),
  cs("hs_cfa_fiml_mlr", "hs_mcar", hs_model, missing = "ml", estimator = "MLR"),
  cs("hs_cfa_fiml_expected", "hs_mcar", hs_model, missing = "ml", estimator = "ML", information = "expected"),
  cs("hs_cfa_fiml_stdlv", "hs_mcar", hs_model, missing = "ml", estimator = "ML", std.lv = TRUE),
  cs("hs_cfa_fiml_h1_hessian", "hs_mcar", hs_model, missing = "ml", estimator = "ML", observed.information = "h1"),
  cs("pd_sem_fiml_mlr", "pd_mcar", pd_model, missing = "ml", estimator = "MLR"),
  cs("hs_groups_fiml", "hs_mcar", hs_model, missing = "ml", estimator = "ML", group = "school"),
  cs("hs_groups_fiml_loadings", "hs_mcar", hs_model, missing = "ml", estimator = "MLR", group = "school",
     group.equal = c("loadings", "intercepts")),
  cs("hs_mimic_fiml_x", "hs_cov", mimic, missing = "ml.x", estimator = "ML"),
  cs("hs_mimic_fiml_x_mlr", "hs_cov", mimic, missing = "ml.x", estimator = "MLR"),
  cs("hs_mimic_fiml_fixedx", "hs_cov", mimic, missing = "ml", estimator = "ML"),
  cs("hs_mimic_fiml_randomx", "hs_cov", mimic, missing = "ml", estimator = "ML", fixed.x = FALSE),
  # the ri cases (41 items, 600 rows, ~540 patterns) are slow: last
  cs("ri_mcar_ml", "ri_mcar", ri_model, missing = "ml", estimator = "ML"),
  cs("ri_mar_ml", "ri_mar", ri_model, missing = "ml", estimator = "ML"),
  cs("ri_mar_listwise", "ri_mar", ri_model, missing = "listwise", estimator = "ML"),
  cs("ri_mcar_mlr", "ri_mcar", ri_model, missing = "ml", estimator = "MLR"),
  cs("ri_mcar_mlr_cluster", "ri_mcar", ri_model, missing = "ml", estimator = "MLR", cluster = "community_id")
)

# per-group helpers (lavTech never drops the group list); names kept explicitly
group_labels <- function(f) { g <- lavInspect(f, "group.label"); if (length(g) == 0L) "" else g }
sym <- function(m) list(names = rownames(m), matrix = unname(unclass(m)))
per_group <- function(f, x, fun) {
  out <- lapply(x, fun); lab <- group_labels(f)
  lapply(seq_along(out), function(g) c(list(group = lab[g]), out[[g]]))
}
safe <- function(expr) tryCatch(expr, error = function(e) list(error = conditionMessage(e)))

options_record <- function(f) {
  lavInspect(f, "options")[c("se", "information", "observed.information", "h1.information", "test",
                             "missing", "meanstructure", "fixed.x", "estimator")]
}
test_record <- function(f) {
  lapply(lavTech(f, "test"), function(t) {
    keep <- intersect(c("test", "stat", "df", "pvalue", "scaling.factor", "scaling.factor.h1",
                        "scaling.factor.h0", "trace.UGamma"), names(t))
    lapply(t[keep], function(v) if (is.numeric(v)) as.numeric(v) else v)
  })
}
partable_record <- function(pt) {
  cols <- intersect(c("id", "lhs", "op", "rhs", "group", "free", "ustart", "exo", "label", "plabel",
                      "start", "est"), names(pt))
  as.data.frame(pt)[, cols]
}

record <- function(cs) {
  warns <- character(0)
  rec <- withCallingHandlers(
    tryCatch({
      f <- fit_case(cs, datasets)
      r <- case_record(cs, f, partable = FALSE)  # its own, fuller record below
      fiml <- lavInspect(f, "options")$missing %in% c("ml", "ml.x")
      c(r, list(
        options = options_record(f),
        nobs = lavInspect(f, "nobs"), norig = lavInspect(f, "norig"), ntotal = lavInspect(f, "ntotal"),
        group_labels = group_labels(f),
        npatterns = if (fiml) sapply(lavTech(f, "patterns"), nrow) else NULL,
        converged = lavInspect(f, "converged"), iterations = lavInspect(f, "iterations"),
        coverage = if (fiml) per_group(f, lavTech(f, "coverage", add.labels = TRUE), sym) else NULL,
        h1 = per_group(f, lavTech(f, "sampstat.h1", add.labels = TRUE), function(s)
          list(names = names(s$mean), mean = unname(s$mean), cov = unname(unclass(s$cov)))),
        implied = per_group(f, lavTech(f, "implied", add.labels = TRUE), function(s)
          list(names = names(s$mean), mean = unname(s$mean), cov = unname(unclass(s$cov)))),
        test = test_record(f),
        # V3 and V6 ingredients (each call refits the baseline): small models only
        fiml_corrected = if (fiml && length(lavNames(f)) <= 20) list(V3 = safe(lavaan:::lav_fit_fiml_corrected(f, version = "V3")),
                                        V6 = safe(lavaan:::lav_fit_fiml_corrected(f, version = "V6")))
                         else NULL,
        partable = partable_record(parTable(f)),
        baseline_partable = safe(partable_record(as.data.frame(f@baseline$partable)))))
    }, error = function(e) list(id = cs$id, data = cs$data, model = cs$model, args = cs$args,
                                error = conditionMessage(e))),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  rec$warnings <- unique(warns)
  rec
}

out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            data_files = list(hs_mcar = file.path(dir, "data/hs_mcar.csv"), ri_mcar = file.path(dir, "data/ri_mcar.csv"),
                              ri_mar = file.path(dir, "data/ri_mar.csv"), pd_mcar = file.path(dir, "data/pd_mcar.csv"),
                              hs_cov = file.path(dir, "data/hs_cov.csv")),
            cases = list())
path <- if (length(commandArgs(TRUE))) commandArgs(TRUE)[1] else file.path(dir, "fiml.json")
for (c0 in cases) {
  r <- record(c0)
  message(sprintf("%-26s %s nobs=%s npat=%s conv=%s warnings=%d", c0$id,
              if (is.null(r$error)) "ok   " else paste("ERROR:", r$error),
              paste(r$nobs, collapse = "/"), paste(r$npatterns, collapse = "/"),
              paste(r$converged), length(r$warnings)))
  out$cases[[length(out$cases) + 1]] <- r
  write_fixture(out, path)  # after every case, so a partial run leaves a usable file
}
