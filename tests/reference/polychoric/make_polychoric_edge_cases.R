# Edge cases of lavaan's polychoric (tetrachoric) correlations and their Gamma, for
# tests/measurement/test_polychoric.py and tests/sem/test_ordinal_stage1.py.
#
#   Rscript tests/reference/polychoric/make_polychoric_edge_cases.R
#
# (from the repository root; Debian's r-cran-lavaan 0.6.14 wrote the committed files.) Writes
# polychoric_edge_cases.csv (one data set per case, column `case`) and
# polychoric_edge_cases.json: per case the items, lavCor()'s correlation matrix and thresholds
# (two-step ML, missing = "listwise", zero.add = c(0.5, 0), zero.keep.margins = TRUE, the
# defaults), the warnings lavCor raised, and for the cases marked `gamma` the stage-1
# statistics' names and lavInspect(fit, "gamma") of a one-factor WLSMV fit (stage 1 does not
# depend on the model).
suppressMessages(library(lavaan))
library(jsonlite)

out_dir <- "tests/reference/polychoric"
set.seed(20261122)

binary_table <- function(f11, f12, f21, f22) {
  # rows a = 0/1, columns b = 0/1
  a <- c(rep(0, f11 + f12), rep(1, f21 + f22))
  b <- c(rep(0, f11), rep(1, f12), rep(0, f21), rep(1, f22))
  data.frame(a = a, b = b)
}
add_noise_item <- function(d) {
  # a third item, so that every case has a proper three-item CFA-sized data set
  d$c <- as.integer(runif(nrow(d)) < 0.4)
  d
}
five_point <- function(z) as.integer(cut(z, c(-Inf, -1.2, -0.4, 0.3, 1.1, Inf)))

cases <- list()
# two empty cells: lavaan sets the tetrachoric to 1 (empty off the diagonal) with a warning
cases$two_empty <- list(data = add_noise_item(binary_table(30, 0, 0, 20)), gamma = FALSE)
# both thresholds exactly 0 (20 of 40 on each item): closed form -cos(2 pi f11 / n)
cases$half_split <- list(data = add_noise_item(binary_table(14, 6, 6, 14)), gamma = TRUE)
# f11 f22 = f12 f21: r = 0 exactly
cases$independent <- list(data = add_noise_item(binary_table(12, 8, 18, 12)), gamma = TRUE)
# one empty cell on the diagonal and one off it are in hs_binary_sparse_wlsmv; here: off the
# diagonal with unequal margins in a smaller table
cases$one_empty <- list(data = add_noise_item(binary_table(25, 0, 9, 16)), gamma = TRUE)
# correlations above 0.925 (Genz's second branch of the bivariate normal CDF), five-point items
n <- 500
z <- matrix(rnorm(n * 4), n, 4)
L <- chol(matrix(c(1, .97, .5, -.95,
                   .97, 1, .5, -.93,
                   .5, .5, 1, -.45,
                   -.95, -.93, -.45, 1), 4, 4))
zz <- z %*% L
cases$high <- list(data = data.frame(a = five_point(zz[, 1]), b = five_point(zz[, 2]),
                                     c = five_point(zz[, 3]), d = five_point(zz[, 4])),
                   gamma = TRUE)
# perfect concordance of two three-category items: the estimate sits at lavaan's bound 0.999
a <- sample(1:3, 200, replace = TRUE, prob = c(.3, .4, .3))
cases$concordant <- list(data = data.frame(a = a, b = a, c = sample(1:3, 200, replace = TRUE)),
                         gamma = FALSE)

rows <- list()
result <- list()
for (name in names(cases)) {
  d <- cases[[name]]$data
  items <- names(d)
  rows[[name]] <- cbind(case = name, d[, items, drop = FALSE])
  warn <- character(0)
  fit <- withCallingHandlers(
    lavCor(d, ordered = items, output = "fit"),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  ss <- lavInspect(fit, "sampstat")
  entry <- list(items = items,
                cor = unname(lapply(seq_len(nrow(ss$cov)), function(i) unname(ss$cov[i, ]))),
                th = unname(as.numeric(ss$th)), th_names = names(ss$th),
                warnings = I(warn))
  if (cases[[name]]$gamma) {
    model <- paste("f =~", paste(items, collapse = " + "))
    g <- sem(model, data = d, ordered = items, estimator = "WLSMV", do.fit = FALSE)
    gam <- lavInspect(g, "gamma")
    entry$stage1_names <- rownames(gam)
    entry$gamma <- unname(lapply(seq_len(nrow(gam)), function(i) unname(gam[i, ])))
    entry$nobs <- lavInspect(g, "nobs")
  }
  result[[name]] <- entry
}
all_rows <- do.call(rbind, lapply(names(rows), function(nm) {
  r <- rows[[nm]]
  full <- data.frame(case = r$case, a = r$a, b = r$b, c = r$c, d = if ("d" %in% names(r)) r$d else NA)
  full
}))
write.csv(all_rows, file.path(out_dir, "polychoric_edge_cases.csv"), row.names = FALSE, na = "")
result$lavaan_version <- as.character(packageVersion("lavaan"))
writeLines(toJSON(result, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(out_dir, "polychoric_edge_cases.json"))
