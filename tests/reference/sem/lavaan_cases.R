# Shared by the fixture scripts in tests/reference/sem/*/ (covariates, constraints, mlm, least_squares):
# one lavaan fit per case, recorded the same way. Source it from the repository root.
suppressMessages({library(lavaan); library(jsonlite)})

# A case is list(id, data (a key of `datasets`), model, args); `fun` is "sem" or "cfa".
fit_case <- function(cs, datasets, fun = "sem") {
  do.call(fun, c(list(model = cs$model, data = datasets[[cs$data]]), cs$args))
}

# The case with lavaan's fit measures (those named in `measures`, or all but `drop`), its
# parameterEstimates(standardized = TRUE) without the constraint rows and (unless `partable` is
# FALSE) its parTable(), which each fixture's tests compare row by row (tests_support.assert_partable_matches).
case_record <- function(cs, f, measures = NULL, drop = character(0), partable = TRUE) {
  fm <- fitMeasures(f)
  fm <- if (is.null(measures)) fm[!names(fm) %in% drop] else fm[intersect(measures, names(fm))]
  pe <- parameterEstimates(f, standardized = TRUE)
  pe <- pe[!pe$op %in% c("==", "<", ">"), ]
  out <- list(id = cs$id, data = cs$data, model = cs$model, args = cs$args, fit = as.list(fm),
              params = pe[, intersect(c("lhs", "op", "rhs", "group", "est", "se", "std.all"), names(pe))])
  if (partable) {
    pt <- parTable(f)
    out$partable <- pt[, intersect(c("lhs", "op", "rhs", "group", "free", "user", "exo", "ustart", "label", "plabel"),
                                   names(pt))]
  }
  out
}

write_fixture <- function(out, path) {
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), path)
}
