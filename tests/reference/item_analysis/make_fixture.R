# Reference numbers for govstats.measurement.item_analysis on a simulated pilot.
# Run from the repository root:  Rscript tests/reference/item_analysis/make_fixture.R
# Reads pilot.csv (grid_governance, N = 300, planted weak items VS4, IS1, ID5, 2% blanks) and
# writes item_analysis.json next to it. CI never runs R.
#
# Per construct, on the respondents who answered all its items (reverse-keyed items reversed,
# 6 - code on the 5-point scale):
#   psych::alpha  -> total raw_alpha, item.stats r.drop (CITC), alpha.drop raw_alpha
#   27% critical ratio: total = row sum; low = total <= quantile(total, .27), high = total >=
#     quantile(total, .73) (R's default quantile, type 7); t.test(high, low, var.equal = TRUE)
#     (Student, pooled variance: SPSS's "equal variances assumed") and t.test(high, low) (Welch)
# Per item, on every answer given (codes as answered, not reversed):
#   psych::describe -> n, mean, sd, skew, kurtosis (psych's default type 3); floor and ceiling
#   shares (answers equal to 1 and to 5).
suppressMessages({ library(psych); library(jsonlite) })
dir <- "tests/reference/item_analysis"
pilot <- read.csv(file.path(dir, "pilot.csv"))
constructs <- list(
  VS = c("VS1", "VS2", "VS3", "VS4"), IS = c("IS1", "IS2", "IS3", "IS4"), RS = c("RS1", "RS2", "RS3", "RS4"),
  ID = c("ID1", "ID2", "ID3", "ID4", "ID5"), CN = c("CN1", "CN2", "CN3", "CN4"),
  IA = c("IA1", "IA2", "IA3", "IA4"), QE = c("QE1", "QE2", "QE3", "QE4", "QE5"))
reverse <- c("ID5", "QE5")

items <- list()
for (cn in names(constructs)) {
  its <- constructs[[cn]]
  x <- pilot[, its]
  for (it in intersect(reverse, its)) x[[it]] <- 6 - x[[it]]
  x <- x[complete.cases(x), ]
  a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)
  total <- rowSums(x)
  q <- quantile(total, c(0.27, 0.73))
  low <- total <= q[[1]]
  high <- total >= q[[2]]
  for (k in seq_along(its)) {
    it <- its[k]
    raw <- pilot[[it]]
    d <- psych::describe(raw)
    student <- t.test(x[[it]][high], x[[it]][low], var.equal = TRUE)
    welch <- t.test(x[[it]][high], x[[it]][low])
    answered <- raw[!is.na(raw)]
    items[[it]] <- list(
      construct = cn, n = d$n, mean = d$mean, sd = d$sd, skew = d$skew, kurtosis = d$kurtosis,
      floor = mean(answered == 1), ceiling = mean(answered == 5), share_blank = mean(is.na(raw)),
      n_complete = nrow(x), n_low = sum(low), n_high = sum(high),
      cr_t = unname(student$statistic), cr_df = unname(student$parameter), cr_p = student$p.value,
      welch_t = unname(welch$statistic), welch_df = unname(welch$parameter), welch_p = welch$p.value,
      citc = a$item.stats$r.drop[k], alpha_if_deleted = a$alpha.drop$raw_alpha[k],
      construct_alpha = a$total$raw_alpha)
  }
}
out <- list(versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                            jsonlite = as.character(packageVersion("jsonlite"))),
            items = items)
write_json(out, file.path(dir, "item_analysis.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
