# Factor scores after a FIML fit (lavPredict, regression and Bartlett): incomplete rows scored from
# their answered items; lavaan adds NA rows for the empty rows it left out, which are dropped here.
# Run from the repository root:  Rscript tests/reference/sem/fiml/make_fiml_scores.R
suppressMessages({library(lavaan); library(jsonlite)})
d <- read.csv("tests/reference/sem/fiml/data/hs_mcar.csv", na.strings = c("", "NA"))
model <- paste(readLines("tests/reference/sem/models/hs_cfa.lav"), collapse = "\n")
f <- cfa(model, data = d, missing = "ml")
keep <- which(!is.na(lavPredict(f)[, 1]))  # case.idx still lists the empty rows
out <- list(lavaan_version = as.character(packageVersion("lavaan")), model = model,
            data = "tests/reference/sem/fiml/data/hs_mcar.csv", rows = keep,
            regression = unclass(lavPredict(f))[keep, ], bartlett = unclass(lavPredict(f, method = "Bartlett"))[keep, ],
            names = colnames(lavPredict(f)))
writeLines(toJSON(out, digits = NA, pretty = FALSE, auto_unbox = TRUE), "tests/reference/sem/fiml/fiml_scores.json")
