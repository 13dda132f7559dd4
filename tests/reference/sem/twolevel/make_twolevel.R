# Two-level SEM (level: 1 / level: 2 blocks, cluster =) with lavaan 0.6.14: one record per case in
# twolevel.json, and lavaan's Demo.twolevel exported to data/demo_twolevel.csv.
# Run from the repository root:  Rscript tests/reference/sem/twolevel/make_twolevel.R
suppressMessages({library(lavaan); library(jsonlite)})
dir <- "tests/reference/sem/twolevel"
write.csv(Demo.twolevel, file.path(dir, "data", "demo_twolevel.csv"), row.names = FALSE)
datasets <- list(demo = read.csv(file.path(dir, "data", "demo_twolevel.csv")),
                 grid = read.csv(file.path(dir, "data", "grid_twolevel.csv")))
demo <- "level: 1\n fw =~ y1 + y2 + y3\n fw ~ x1 + x2 + x3\nlevel: 2\n fb =~ y1 + y2 + y3\n fb ~ w1 + w2"
demo_equal <- "level: 1\n fw =~ y1 + a*y2 + b*y3\n fw ~ x1 + x2 + x3\nlevel: 2\n fb =~ y1 + a*y2 + b*y3\n fb ~ w1 + w2"
within_only <- "level: 1\n fw =~ y1 + y2 + y3 + y4\n fw ~ x1\nlevel: 2\n fb =~ y1 + y2 + y3\n fb ~ w1"
defined <- paste("level: 1", " fw =~ y1 + a*y2 + y3", "level: 2", " fb =~ y1 + b*y2 + y3", " diff := a - b",
                 sep = "\n")
grid <- paste("level: 1", " VSw =~ VS1 + VS2 + VS3 + VS4", " ISw =~ IS1 + IS2 + IS3 + IS4",
              "level: 2", " VSb =~ VS1 + VS2 + VS3 + VS4", " ISb =~ IS1 + IS2 + IS3 + IS4", sep = "\n")
cs <- function(id, data, model, cluster, ...) list(id = id, data = data, model = model, cluster = cluster,
                                                   args = list(...))
cases <- list(
  cs("demo_ml", "demo", demo, "cluster", estimator = "ML"),
  cs("demo_mlr", "demo", demo, "cluster", estimator = "MLR"),
  cs("demo_equal_ml", "demo", demo_equal, "cluster", estimator = "ML"),
  cs("demo_randomx_ml", "demo", demo, "cluster", estimator = "ML", fixed.x = FALSE),
  cs("demo_within_only_ml", "demo", within_only, "cluster", estimator = "ML"),
  cs("demo_defined_mlr", "demo", defined, "cluster", estimator = "MLR"),
  cs("demo_stdlv_expected_ml", "demo", demo, "cluster", estimator = "ML", std.lv = TRUE, information = "expected"),
  cs("demo_mlr_expected", "demo", demo, "cluster", estimator = "MLR", information = "expected"),
  cs("grid_ml", "grid", grid, "community_id", estimator = "ML"),
  cs("grid_mlr", "grid", grid, "community_id", estimator = "MLR"),
  cs("grid_stdlv_ml", "grid", grid, "community_id", estimator = "ML", std.lv = TRUE)
)
sym <- function(m) list(names = rownames(m), matrix = unname(unclass(m)))
out <- list(lavaan_version = as.character(packageVersion("lavaan")), cases = list())
for (c in cases) {
  t0 <- proc.time()[["elapsed"]]
  f <- do.call("sem", c(list(model = c$model, data = datasets[[c$data]], cluster = c$cluster), c$args))
  seconds <- proc.time()[["elapsed"]] - t0
  pt <- parTable(f)
  pe <- parameterEstimates(f, standardized = TRUE)
  pe <- pe[!pe$op %in% c("==", "<", ">"), ]
  ss <- standardizedSolution(f)
  ss <- ss[!ss$op %in% c("==", "<", ">"), ]
  h1 <- lavInspect(f, "h1")
  implied <- lavInspect(f, "implied")
  test <- lapply(lavTech(f, "test"), function(t) {
    keep <- intersect(c("test", "stat", "df", "pvalue", "scaling.factor", "trace.UGamma"), names(t))
    lapply(t[keep], function(v) if (is.numeric(v)) as.numeric(v) else v)
  })
  rec <- list(id = c$id, data = c$data, model = c$model, cluster = c$cluster, args = c$args, seconds = seconds,
              options = lavInspect(f, "options")[c("se", "information", "observed.information", "h1.information",
                                                   "test", "meanstructure", "fixed.x", "estimator")],
              partable = as.list(pt[, c("id", "lhs", "op", "rhs", "user", "block", "level", "free", "ustart", "exo",
                                        "label", "start")]),
              params = as.list(pe[, intersect(c("lhs", "op", "rhs", "block", "level", "label", "est", "se", "std.lv",
                                      "std.all"), names(pe))]),
              standardized = as.list(ss[, intersect(c("lhs", "op", "rhs", "block", "level", "est.std", "se"), names(ss))]),
              fit = as.list(fitMeasures(f)), test = test, icc = as.list(lavInspect(f, "icc")),
              h1 = lapply(h1, function(b) list(cov = sym(b$cov), mean = as.numeric(b$mean))),
              implied = lapply(implied, function(b) list(cov = sym(b$cov), mean = as.numeric(b$mean))),
              nclusters = lavInspect(f, "nclusters"), converged = lavInspect(f, "converged"))
  out$cases[[length(out$cases) + 1]] <- rec
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), file.path(dir, "twolevel.json"))
