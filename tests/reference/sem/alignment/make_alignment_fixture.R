# Fixture for tests/sem/test_alignment.py: inputs of two worked examples in sirt's help page
# ?invariance.alignment (sirt 4.3-21, man/invariance.alignment.Rd), whose printed results the
# test compares with. sirt itself cannot be installed here (CRAN unreachable), so this script
# rebuilds only the INPUTS the examples align; the alignment is govstats'.
#
# Example 2 (data.inv4gr, 4 groups x 11 items): lavaan configural fit with std.lv = TRUE, as in
#   the help page, then lambda and nu (groups in rows). data.inv4gr.rda is sirt's data file
#   data/data.inv4gr.rda (repository alexanderrobitzsch/sirt); pass its path as the argument.
# Example 4 (two "studies", 38 Rasch item difficulties with DIF and outliers): R's RNG with
#   set.seed(18785), code copied from the help page.
#
#   Rscript make_alignment_fixture.R /path/to/data.inv4gr.rda
suppressMessages(library(lavaan))
library(jsonlite)
args <- commandArgs(trailingOnly = TRUE)
load(args[1])
dat <- data.inv4gr
model1 <- "
    F=~ I01 + I02 + I03 + I04 + I05 + I06 + I07 + I08 + I09 + I10 + I11
    F ~~ 1*F
    "
fit <- cfa(model1, data = dat, group = "group", std.lv = TRUE, meanstructure = TRUE)
ipars <- parameterEstimates(fit)
lambda <- matrix(ipars[ipars$op == "=~", "est"], nrow = 4, byrow = TRUE)
nu <- matrix(ipars[ipars$op == "~1" & ipars$se != 0, "est"], nrow = 4, byrow = TRUE)
ex2 <- list(items = colnames(dat)[-1], lambda = lambda, nu = nu,
            chisq = unname(fitMeasures(fit, "chisq")), nobs = as.integer(lavInspect(fit, "nobs")))

I <- 38
set.seed(18785)
itempars <- data.frame("item" = paste0("I", 1:I))
itempars$study1 <- stats::rnorm(I, mean = .3, sd = 1.4)
bdif <- stats::rnorm(I, mean = .4, sd = .09) +
             (stats::runif(I) > .9) * rep(1 * c(-1, 1) + .4, each = I / 2)
itempars$study2 <- itempars$study1 + bdif
ex4 <- list(nu = unname(t(as.matrix(itempars[, 2:3]))), items = itempars$item)

out <- list(generated_by = "make_alignment_fixture.R", lavaan = as.character(packageVersion("lavaan")),
            R = R.version.string, example2 = ex2, example4 = ex4)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, matrix = "rowmajor", pretty = TRUE),
           "sirt_examples.json")
