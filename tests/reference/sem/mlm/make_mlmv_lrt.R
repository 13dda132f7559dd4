# lavTestLRT between nested MLMV / MLMVS fits (lavaan 0.6.14): its default for the scaled-shifted and
# the mean-and-variance adjusted tests alike is Satorra (2000), scaled and shifted (A.method = "delta").
# Run from the repository root:  Rscript tests/reference/sem/mlm/make_mlmv_lrt.R
suppressMessages({library(lavaan); library(jsonlite)})
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
hs$agec <- hs$ageyr - mean(hs$ageyr)
cfa3 <- paste(readLines("tests/reference/sem/models/hs_cfa.lav"), collapse = "\n")
mimic <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec + sex"
mimic0 <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ 0*agec + 0*sex\ntextual ~ agec + sex"
cases <- list(
  list(id = "hs_groups_metric_mlmv", larger = cfa3, smaller = cfa3,
       args = list(estimator = "MLMV", group = "school"), smaller_args = list(group.equal = "loadings")),
  list(id = "hs_groups_metric_mlmvs", larger = cfa3, smaller = cfa3,
       args = list(estimator = "MLMVS", group = "school"), smaller_args = list(group.equal = "loadings")),
  list(id = "hs_mimic_zero_paths_mlmv", larger = mimic, smaller = mimic0,
       args = list(estimator = "MLMV"), smaller_args = list()),
  list(id = "hs_orthogonal_ml_scaled_shifted", larger = cfa3, smaller = cfa3,
       args = list(test = "scaled.shifted"), smaller_args = list(orthogonal = TRUE))
)
out <- list(lavaan_version = as.character(packageVersion("lavaan")),
            data_files = list(hs = "tests/reference/data/HolzingerSwineford1939.csv (agec = ageyr - mean)"),
            cases = list())
for (cs in cases) {
  f1 <- do.call("sem", c(list(model = cs$larger, data = hs), cs$args))
  f0 <- do.call("sem", c(list(model = cs$smaller, data = hs), cs$args, cs$smaller_args))
  a <- lavTestLRT(f1, f0)
  row <- as.data.frame(a)[2, ]
  out$cases[[length(out$cases) + 1]] <- list(
    id = cs$id, larger = cs$larger, smaller = cs$smaller, args = cs$args, smaller_args = cs$smaller_args,
    heading = attr(a, "heading"), chisq_diff = row[["Chisq diff"]], df_diff = row[["Df diff"]],
    pvalue = row[["Pr(>Chisq)"]], scale = unname(attr(a, "scale"))[2], shift = unname(attr(a, "shift"))[2])
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/sem/mlm/mlmv_lrt.json")
