# What lavaan 0.6.14 does with GLS, WLS, DWLS and ULS and cluster= on continuous data: it stops, for
# every one of them (ULS/DWLS: no first-order information; GLS/WLS: no Yuan-Bentler test). The messages
# are recorded so that govstats' refusal can be checked against them.
# Run from the repository root:  Rscript tests/reference/sem/least_squares/make_ls_cluster_refusals.R
suppressMessages({library(lavaan); library(jsonlite)})
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
model <- paste(readLines("tests/reference/sem/models/hs_cfa.lav"), collapse = "\n")
out <- list(lavaan_version = as.character(packageVersion("lavaan")), cluster = "school", cases = list())
for (estimator in c("GLS", "WLS", "DWLS", "ULS")) {
  result <- tryCatch(suppressWarnings(cfa(model, hs, estimator = estimator, cluster = "school")),
                     error = function(e) conditionMessage(e))
  out$cases[[length(out$cases) + 1]] <- list(estimator = estimator, refused = is.character(result),
                                             message = if (is.character(result)) result else NA)
}
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/sem/least_squares/ls_cluster_refusals.json")
