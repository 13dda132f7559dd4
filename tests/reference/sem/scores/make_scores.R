#!/usr/bin/env Rscript
# lavaan reference fixtures for SEMResults' accessors: factor scores (lavPredict), fitted(),
# coef(), vcov(), parameterEstimates(level = 0.90), and the printed summary() text.
#
# Run from the repository root (CI never runs this; the JSON it writes is committed):
#   Rscript tests/reference/sem/scores/make_scores.R
#
# Writes, in tests/reference/sem/scores/:
#   hs_cfa.json                  (a) Holzinger-Swineford 3-factor CFA, ML
#   poldem_sem.json              (b) Political Democracy SEM, ML
#   hs_cfa_school_loadings.json  (c) HS CFA, group = "school", group.equal = "loadings", ML
#   hs_mimic.json                (d) HS CFA with the factors regressed on the observed ageyr
#                                    and x1 ~ sex (dummy latent variables in lavaan's LISREL form)
#   summaries.json               capture.output(summary(fit, fit.measures = TRUE, standardized = TRUE))
#                                for (a), (b), (c) and further fits (MLR, WLSMV, labels and
#                                defined parameters, rows dropped listwise, multiple-group MLR
#                                and WLSMV, cluster-robust, long names and labels, covariates,
#                                theta parameterization with ULSMV and a defined parameter)
#
# Scores: lavPredict(fit, method = "regression") and lavPredict(fit, method = "Bartlett"),
# per group, with lavInspect(fit, "case.idx") (1-based rows of the data that each group used).

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

if (!file.exists("pyproject.toml") || !dir.exists("tests/reference/sem/models")) {
  stop("Run from the repository root: Rscript tests/reference/sem/scores/make_scores.R")
}
out_dir <- "tests/reference/sem/scores"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

read_model <- function(file) paste(readLines(file, encoding = "UTF-8"), collapse = "\n")
hs_file <- "tests/reference/data/HolzingerSwineford1939.csv"
pd_file <- "tests/reference/data/PoliticalDemocracy.csv"
hb_file <- "tests/reference/sem_ordinal/hs_binary.csv"
hs <- read.csv(hs_file, stringsAsFactors = FALSE)
pd <- read.csv(pd_file, stringsAsFactors = FALSE)
hb <- read.csv(hb_file, stringsAsFactors = FALSE)
hs_model_file <- "tests/reference/sem/models/hs_cfa.lav"
pd_model_file <- "tests/reference/sem/models/poldem_sem.lav"
hs_model <- read_model(hs_model_file)
pd_model <- read_model(pd_model_file)
mimic_model <- paste(hs_model, "visual + textual ~ ageyr", "speed ~ ageyr", "x1 ~ sex", sep = "\n")

matrix_json <- function(m) {
  m <- as.matrix(m)
  list(rownames = rownames(m), colnames = colnames(m), values = unname(lapply(seq_len(nrow(m)), function(i) unname(m[i, ]))))
}
per_group <- function(x, ngroups) if (ngroups == 1L) list(x) else x

scores_json <- function(fit) {
  ng <- lavInspect(fit, "ngroups")
  reg <- per_group(lavPredict(fit, method = "regression"), ng)
  bart <- per_group(lavPredict(fit, method = "Bartlett"), ng)
  idx <- per_group(lavInspect(fit, "case.idx"), ng)
  lapply(seq_len(ng), function(g) list(
    group = g, case_idx = as.integer(idx[[g]]),
    regression = matrix_json(reg[[g]]), bartlett = matrix_json(bart[[g]])))
}

fitted_json <- function(fit) {
  ng <- lavInspect(fit, "ngroups")
  f <- per_group(fitted(fit), ng)
  lapply(seq_len(ng), function(g) list(
    group = g, cov = matrix_json(f[[g]]$cov),
    mean = if (is.null(f[[g]]$mean)) NULL else as.list(f[[g]]$mean)))
}

params_json <- function(fit, level) {
  pe <- parameterEstimates(fit, level = level)
  keep <- intersect(c("lhs", "op", "rhs", "group", "label", "est", "se", "ci.lower", "ci.upper"), names(pe))
  pe[, keep]
}

summary_text <- function(fit) {
  paste(capture.output(summary(fit, fit.measures = TRUE, standardized = TRUE)), collapse = "\n")
}

write_case <- function(id, description, call, fit, model_file, data_file, model, extra = list()) {
  out <- c(list(
    case = id, description = description, lavaan_version = as.character(packageVersion("lavaan")),
    call = call, model_file = model_file, data_file = data_file, model = model,
    group_labels = lavInspect(fit, "group.label"), nobs = lavInspect(fit, "nobs"),
    lv_names = lavNames(fit, "lv"), ov_names = lavNames(fit, "ov"),
    scores = scores_json(fit), fitted = fitted_json(fit),
    summary = summary_text(fit)), extra)
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"),
             file.path(out_dir, paste0(id, ".json")), useBytes = TRUE)
}

coef_extra <- function(fit) {
  v <- vcov(fit)
  list(coef = list(names = names(coef(fit)), values = unname(coef(fit))),
       vcov = list(names = colnames(v), values = unname(lapply(seq_len(nrow(v)), function(i) unname(v[i, ])))),
       params_90 = params_json(fit, 0.90))
}

# (a)
fit_a <- cfa(hs_model, data = hs)
write_case("hs_cfa", "Holzinger-Swineford 3-factor CFA, ML", "cfa(model, data = data)", fit_a,
           hs_model_file, hs_file, hs_model, coef_extra(fit_a))
# (b)
fit_b <- sem(pd_model, data = pd)
write_case("poldem_sem", "Political Democracy SEM of the lavaan tutorial, ML", "sem(model, data = data)", fit_b,
           pd_model_file, pd_file, pd_model, coef_extra(fit_b))
# (c)
fit_c <- cfa(hs_model, data = hs, group = "school", group.equal = "loadings")
write_case("hs_cfa_school_loadings", "HS 3-factor CFA by school, loadings equal across groups, ML",
           "cfa(model, data = data, group = \"school\", group.equal = \"loadings\")", fit_c,
           hs_model_file, hs_file, hs_model)
# (d)
fit_d <- sem(mimic_model, data = hs)
write_case("hs_mimic", "HS CFA with the factors regressed on ageyr and x1 ~ sex (fixed.x), ML",
           "sem(model, data = data)", fit_d, NULL, hs_file, mimic_model)

# ---- printed summaries of further fits ----------------------------------------------------
hs_missing <- hs
hs_missing$x1[1:10] <- NA
hb_school <- hb
hb_school$school <- hs$school
ri_file <- "data/synthetic/ri_asset.csv"
ri_model_file <- "tests/reference/sem/models/ri_asset.lav"
ri <- read.csv(ri_file, stringsAsFactors = FALSE, encoding = "UTF-8")
# long names and labels: R's abbreviate() in the printed names
long_model <- paste("visual_perception =~ perception_item_01 + lambda_two*x2 + l3*x3",
                    "textual_ability =~ x4 + x5 + x6", "processing_speed =~ x7 + x8 + x9",
                    "visual_perception ~~ covariance_label*textual_ability", sep = "\n")
mimic2_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ ageyr + sex"
theta_model <- "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\nab := a*b"
hs_long <- hs
names(hs_long)[names(hs_long) == "x1"] <- "perception_item_01"
pdi_model_file <- "tests/reference/sem/models/poldem_sem_indirect.lav"
summaries <- list(
  hs_cfa_ml = list(call = "cfa(model, data = HolzingerSwineford1939)", model_file = hs_model_file,
                   data_file = hs_file, text = summary_text(fit_a)),
  hs_cfa_mlr = list(call = "cfa(model, data = HolzingerSwineford1939, estimator = \"MLR\")",
                    model_file = hs_model_file, data_file = hs_file,
                    text = summary_text(cfa(hs_model, data = hs, estimator = "MLR"))),
  hs_cfa_missing = list(call = "cfa(model, data = HolzingerSwineford1939 with x1 blank in rows 1-10)",
                        model_file = hs_model_file, data_file = hs_file, blank_x1_rows = 1:10,
                        text = summary_text(cfa(hs_model, data = hs_missing))),
  poldem_sem_ml = list(call = "sem(model, data = PoliticalDemocracy)", model_file = pd_model_file,
                       data_file = pd_file, text = summary_text(fit_b)),
  poldem_sem_indirect_ml = list(call = "sem(model, data = PoliticalDemocracy)", model_file = pdi_model_file,
                                data_file = pd_file,
                                text = summary_text(sem(read_model(pdi_model_file), data = pd))),
  hs_cfa_school_loadings = list(call = "cfa(model, data = HolzingerSwineford1939, group = \"school\", group.equal = \"loadings\")",
                                model_file = hs_model_file, data_file = hs_file, text = summary_text(fit_c)),
  hs_binary_wlsmv = list(call = "cfa(model, data = hs_binary, ordered = TRUE)", model_file = hs_model_file,
                         data_file = hb_file, text = summary_text(cfa(hs_model, data = hb, ordered = TRUE))),
  hs_cfa_school_mlr = list(call = "cfa(model, data = HolzingerSwineford1939, group = \"school\", estimator = \"MLR\")",
                           model_file = hs_model_file, data_file = hs_file,
                           text = summary_text(cfa(hs_model, data = hs, group = "school", estimator = "MLR"))),
  hs_binary_school_wlsmv = list(call = paste("cfa(model, data = hs_binary with the school column of",
                                             "HolzingerSwineford1939, ordered = TRUE, group = \"school\")"),
                                model_file = hs_model_file, data_file = hb_file, group_from = hs_file,
                                text = summary_text(cfa(hs_model, data = hb_school, ordered = TRUE,
                                                        group = "school"))),
  hs_long_names = list(call = "cfa(long_model, data = HolzingerSwineford1939 with x1 renamed perception_item_01)",
                       model = long_model, data_file = hs_file, rename = list(x1 = "perception_item_01"),
                       text = summary_text(cfa(long_model, data = hs_long))),
  hs_mimic_school_mlr = list(call = "sem(mimic2_model, data = HolzingerSwineford1939, group = \"school\", estimator = \"MLR\", meanstructure = TRUE)",
                             model = mimic2_model, data_file = hs_file,
                             text = summary_text(sem(mimic2_model, data = hs, group = "school", estimator = "MLR",
                                                     meanstructure = TRUE))),
  hs_binary_theta_ulsmv = list(call = "cfa(theta_model, data = hs_binary, ordered = TRUE, parameterization = \"theta\", estimator = \"ULSMV\")",
                               model = theta_model, data_file = hb_file,
                               text = summary_text(cfa(theta_model, data = hb, ordered = TRUE,
                                                       parameterization = "theta", estimator = "ULSMV"))),
  ri_asset_cluster = list(call = "sem(model, data = ri_asset, cluster = \"community_id\")",
                          model_file = ri_model_file, data_file = ri_file,
                          text = summary_text(suppressWarnings(sem(read_model(ri_model_file), data = ri,
                                                                   cluster = "community_id"))))
)
writeLines(toJSON(list(lavaan_version = as.character(packageVersion("lavaan")),
                       description = paste("capture.output(summary(fit, fit.measures = TRUE, standardized = TRUE))",
                                           "joined with newlines"),
                       cases = summaries), auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(out_dir, "summaries.json"), useBytes = TRUE)
cat("wrote", length(list.files(out_dir, pattern = "json$")), "JSON files to", out_dir, "\n")
