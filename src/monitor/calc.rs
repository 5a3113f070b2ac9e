//! The monitoring arithmetic, free of I/O: prevalence, ranks, period changes, coefficients of
//! variation, the price alert level (domain-kupang §3.3) and the city food price index.
//!
//! `migrations/0005_monitor.sql` repeats the alert rule and the prevalence rounding in SQL for
//! the tiles; tests/monitor.rs checks both against the same hand-worked numbers.

use chrono::{Months, NaiveDate};
use serde::Serialize;

/// The national stunting target (Perpres 72/2021), percent.
pub const NATIONAL_TARGET_PCT: f64 = 14.0;

/// Stunting prevalence in percent, rounded half up to one decimal, from whole counts
/// (`stunted` = severely stunted + stunted). `None` when nobody was measured.
pub fn prevalence_pct(stunted: i64, measured: i64) -> Option<f64> {
    if measured <= 0 || stunted < 0 {
        return None;
    }
    // exact: tenths of a percent = round(1000 * s / m), half up, in integers
    let tenths = (2000 * stunted as i128 + measured as i128) / (2 * measured as i128);
    Some(tenths as f64 / 10.0)
}

/// Gap to the national target in percentage points (positive = above the target).
pub fn gap_to_target_pp(prevalence_pct: f64) -> f64 {
    round_to(prevalence_pct - NATIONAL_TARGET_PCT, 1)
}

/// Competition ranks ("1224"), highest value first; `None` values get no rank.
pub fn rank_desc(values: &[Option<f64>]) -> Vec<Option<usize>> {
    values
        .iter()
        .map(|v| v.map(|x| 1 + values.iter().filter(|o| o.is_some_and(|y| y > x)).count()))
        .collect()
}

/// Change from `previous` to `current` in percent of `previous`.
pub fn change_pct(current: f64, previous: f64) -> Option<f64> {
    if previous == 0.0 || !previous.is_finite() || !current.is_finite() {
        return None;
    }
    Some((current - previous) / previous * 100.0)
}

pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    Some(xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Coefficient of variation in percent: sample standard deviation (n - 1) over the mean.
/// `None` for fewer than two values (one price does not vary, but neither is it a series).
pub fn cv_pct(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs)?;
    if m == 0.0 {
        return None;
    }
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64;
    Some(var.sqrt() / m * 100.0)
}

pub fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// One dated price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    pub date: NaiveDate,
    pub price: f64,
}

/// The figures of one market × commodity series at its latest observation on or before a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesStats {
    pub date: NaiveDate,
    pub price: f64,
    /// Mean over (d − 7 days, d].
    pub avg_week: f64,
    /// Mean over (d − 1 month, d].
    pub avg_month: f64,
    /// Against the last price on or before d − 1 month, at most 14 days older than that.
    pub mom_pct: Option<f64>,
    pub prev_month_price: Option<f64>,
    /// Against the last price on or before d − 1 year, at most 14 days older than that.
    pub yoy_pct: Option<f64>,
    pub prev_year_price: Option<f64>,
    /// CV over (d − 28 days, d].
    pub cv_4w_pct: Option<f64>,
    /// CV over (d − 1 year, d].
    pub cv_12m_pct: Option<f64>,
    /// How many prices the 4-week and 12-month windows held.
    pub n_4w: usize,
    pub n_12m: usize,
}

/// How far back a "same day last month/year" price may lie before it is not comparable.
pub const COMPARE_SLACK_DAYS: i64 = 14;

fn price_at_or_before(obs: &[Obs], day: NaiveDate) -> Option<f64> {
    obs.iter()
        .rev()
        .find(|o| o.date <= day && (day - o.date).num_days() <= COMPARE_SLACK_DAYS)
        .map(|o| o.price)
}

fn window(obs: &[Obs], after: NaiveDate, upto: NaiveDate) -> Vec<f64> {
    obs.iter()
        .filter(|o| o.date > after && o.date <= upto)
        .map(|o| o.price)
        .collect()
}

/// Figures of a series (any order, one price per day) at its latest observation on or before
/// `upto` (no bound when `None`). `None` when there is no such observation.
pub fn series_stats(obs: &[Obs], upto: Option<NaiveDate>) -> Option<SeriesStats> {
    let mut obs: Vec<Obs> = obs
        .iter()
        .copied()
        .filter(|o| upto.is_none_or(|u| o.date <= u))
        .collect();
    obs.sort_by_key(|o| o.date);
    let last = *obs.last()?;
    let d = last.date;
    let month_ago = d.checked_sub_months(Months::new(1))?;
    let year_ago = d.checked_sub_months(Months::new(12))?;
    let week = window(&obs, d - chrono::Duration::days(7), d);
    let month = window(&obs, month_ago, d);
    let w4 = window(&obs, d - chrono::Duration::days(28), d);
    let m12 = window(&obs, year_ago, d);
    let prev_month_price = price_at_or_before(&obs, month_ago);
    let prev_year_price = price_at_or_before(&obs, year_ago);
    Some(SeriesStats {
        date: d,
        price: last.price,
        avg_week: mean(&week)?,
        avg_month: mean(&month)?,
        mom_pct: prev_month_price.and_then(|p| change_pct(last.price, p)),
        prev_month_price,
        yoy_pct: prev_year_price.and_then(|p| change_pct(last.price, p)),
        prev_year_price,
        cv_4w_pct: cv_pct(&w4),
        cv_12m_pct: cv_pct(&m12),
        n_4w: w4.len(),
        n_12m: m12.len(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertLevel {
    Green,
    Yellow,
    Red,
}

impl AlertLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertLevel::Green => "green",
            AlertLevel::Yellow => "yellow",
            AlertLevel::Red => "red",
        }
    }
}

/// Why a series got its level; one per rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertReason {
    pub level: AlertLevel,
    /// `cv_4w`, `mom` or `reference`.
    pub code: &'static str,
    pub detail: String,
    pub detail_en: String,
}

/// The alert level of domain-kupang §3.3 with the reasons that set it:
/// red when CV(4 weeks) > 9 %, |MoM| > 10 % or the price is above the reference maximum
/// (HET / HAP max); yellow when CV ≥ 5 %, |MoM| ≥ 5 % or the price is at or above 95 % of the
/// reference maximum; green otherwise. A missing figure fires no rule.
pub fn alert_level(
    cv_4w_pct: Option<f64>,
    mom_pct: Option<f64>,
    price: f64,
    reference_max: Option<f64>,
) -> (AlertLevel, Vec<AlertReason>) {
    let mut reasons = Vec::new();
    if let Some(cv) = cv_4w_pct {
        let level = if cv > 9.0 {
            Some(AlertLevel::Red)
        } else if cv >= 5.0 {
            Some(AlertLevel::Yellow)
        } else {
            None
        };
        if let Some(level) = level {
            let limit = if level == AlertLevel::Red {
                "> 9"
            } else {
                "5–9"
            };
            reasons.push(AlertReason {
                level,
                code: "cv_4w",
                detail: format!("Koefisien variasi 4 minggu {cv:.1}% ({limit}%)."),
                detail_en: format!("4-week coefficient of variation {cv:.1}% ({limit}%)."),
            });
        }
    }
    if let Some(m) = mom_pct {
        let a = m.abs();
        let level = if a > 10.0 {
            Some(AlertLevel::Red)
        } else if a >= 5.0 {
            Some(AlertLevel::Yellow)
        } else {
            None
        };
        if let Some(level) = level {
            let (id, en) = if m > 0.0 {
                ("naik", "up")
            } else {
                ("turun", "down")
            };
            reasons.push(AlertReason {
                level,
                code: "mom",
                detail: format!("Harga {id} {a:.1}% dibanding sebulan lalu."),
                detail_en: format!("Price {en} {a:.1}% on the month."),
            });
        }
    }
    if let Some(r) = reference_max {
        if price > r {
            reasons.push(AlertReason {
                level: AlertLevel::Red,
                code: "reference",
                detail: format!("Harga Rp {price:.0} di atas harga acuan tertinggi Rp {r:.0}."),
                detail_en: format!("Price Rp {price:.0} is above the reference maximum Rp {r:.0}."),
            });
        } else if price * 100.0 >= 95.0 * r {
            reasons.push(AlertReason {
                level: AlertLevel::Yellow,
                code: "reference",
                detail: format!(
                    "Harga Rp {price:.0} dalam 5% di bawah harga acuan tertinggi Rp {r:.0}."
                ),
                detail_en: format!(
                    "Price Rp {price:.0} is within 5% below the reference maximum Rp {r:.0}."
                ),
            });
        }
    }
    let level = reasons
        .iter()
        .map(|r| r.level)
        .max()
        .unwrap_or(AlertLevel::Green);
    (level, reasons)
}

/// Dispersion of one commodity's prices across markets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disparity {
    pub markets: usize,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// (max − min) / mean × 100.
    pub spread_pct: f64,
    /// Sample CV across the markets' prices; `None` for one market.
    pub cv_pct: Option<f64>,
}

pub fn disparity(prices: &[f64]) -> Option<Disparity> {
    let m = mean(prices)?;
    let min = prices.iter().copied().fold(f64::INFINITY, f64::min);
    let max = prices.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(Disparity {
        markets: prices.len(),
        min,
        max,
        mean: m,
        spread_pct: (max - min) / m * 100.0,
        cv_pct: cv_pct(prices),
    })
}

/// The Jevons index (unweighted geometric mean of price relatives) × 100: for each commodity
/// present in both periods, its price now over its price in the base period. `None` when no
/// commodity is in both.
pub fn jevons_index(pairs: &[(f64, f64)]) -> Option<f64> {
    let logs: Vec<f64> = pairs
        .iter()
        .filter(|(now, base)| *now > 0.0 && *base > 0.0)
        .map(|(now, base)| (now / base).ln())
        .collect();
    let m = mean(&logs)?;
    Some(100.0 * m.exp())
}

/// Median of a list (mean of the middle two for an even count).
pub fn median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn prevalence_rounds_half_up_from_counts() {
        // Naioni 2021 (domain-kupang §2.1): 46 + 64 = 110 of 223 measured = 49.327 %
        assert_eq!(prevalence_pct(110, 223), Some(49.3));
        // 1 of 8 = 12.5 % exactly; 1 of 16 = 6.25 % -> 6.3 (half up)
        assert_eq!(prevalence_pct(1, 8), Some(12.5));
        assert_eq!(prevalence_pct(1, 16), Some(6.3));
        assert_eq!(prevalence_pct(0, 10), Some(0.0));
        assert_eq!(prevalence_pct(0, 0), None);
        assert_eq!(gap_to_target_pp(49.3), 35.3);
        assert_eq!(gap_to_target_pp(12.5), -1.5);
    }

    #[test]
    fn ranks_ties_share_a_place() {
        let r = rank_desc(&[Some(20.0), Some(30.0), None, Some(20.0), Some(10.0)]);
        assert_eq!(r, vec![Some(2), Some(1), None, Some(2), Some(4)]);
    }

    #[test]
    fn cv_of_a_known_series() {
        // 10, 12, 14: mean 12, sample sd 2, CV 16.667 %
        let cv = cv_pct(&[10.0, 12.0, 14.0]).unwrap();
        assert!((cv - 16.666_666_7).abs() < 1e-6, "{cv}");
        assert_eq!(cv_pct(&[5.0]), None);
        assert_eq!(cv_pct(&[]), None);
        assert_eq!(cv_pct(&[7.0, 7.0]), Some(0.0));
    }

    #[test]
    fn alert_boundaries() {
        assert_eq!(
            alert_level(Some(4.99), Some(4.99), 100.0, None).0,
            AlertLevel::Green
        );
        assert_eq!(
            alert_level(Some(5.0), None, 100.0, None).0,
            AlertLevel::Yellow
        );
        assert_eq!(
            alert_level(Some(9.0), None, 100.0, None).0,
            AlertLevel::Yellow
        );
        assert_eq!(
            alert_level(Some(9.01), None, 100.0, None).0,
            AlertLevel::Red
        );
        assert_eq!(
            alert_level(None, Some(-10.0), 100.0, None).0,
            AlertLevel::Yellow
        );
        assert_eq!(
            alert_level(None, Some(-10.5), 100.0, None).0,
            AlertLevel::Red
        );
        // 95 % of 14,000 = 13,300
        assert_eq!(
            alert_level(None, None, 13_299.0, Some(14_000.0)).0,
            AlertLevel::Green
        );
        assert_eq!(
            alert_level(None, None, 13_300.0, Some(14_000.0)).0,
            AlertLevel::Yellow
        );
        assert_eq!(
            alert_level(None, None, 14_000.0, Some(14_000.0)).0,
            AlertLevel::Yellow
        );
        let (level, reasons) = alert_level(Some(6.0), Some(2.0), 14_050.0, Some(14_000.0));
        assert_eq!(level, AlertLevel::Red);
        let codes: Vec<_> = reasons.iter().map(|r| r.code).collect();
        assert_eq!(codes, vec!["cv_4w", "reference"]);
        assert_eq!(
            alert_level(None, None, 1.0, None),
            (AlertLevel::Green, vec![])
        );
    }

    #[test]
    fn series_windows() {
        // weekly prices on Mondays; latest 2026-10-26
        let obs: Vec<Obs> = [
            ("2025-10-20", 90.0),
            ("2026-09-21", 100.0),
            ("2026-09-28", 104.0),
            ("2026-10-05", 100.0),
            ("2026-10-12", 110.0),
            ("2026-10-19", 120.0),
            ("2026-10-26", 110.0),
        ]
        .iter()
        .map(|(s, p)| Obs {
            date: d(s),
            price: *p,
        })
        .collect();
        let s = series_stats(&obs, None).unwrap();
        assert_eq!(s.date, d("2026-10-26"));
        assert_eq!(s.avg_week, 110.0);
        // (2026-09-26, 2026-10-26]: 104, 100, 110, 120, 110 -> 108.8
        assert!((s.avg_month - 108.8).abs() < 1e-9);
        // last price on or before 2026-09-26 is 100 (09-21): +10 %
        assert_eq!(s.prev_month_price, Some(100.0));
        assert!((s.mom_pct.unwrap() - 10.0).abs() < 1e-9);
        // 2025-10-26 minus 6 days: 90 -> +22.2 %
        assert!((s.yoy_pct.unwrap() - 22.222_222).abs() < 1e-5);
        // (09-28, 10-26]: 100, 110, 120, 110 -> mean 110, sd 8.165, CV 7.423 %
        assert_eq!(s.n_4w, 4);
        assert!((s.cv_4w_pct.unwrap() - 7.422_696).abs() < 1e-5);
        // up to 2026-10-01: the latest is 09-28, nothing a month earlier within 14 days
        let s = series_stats(&obs, Some(d("2026-10-01"))).unwrap();
        assert_eq!(s.price, 104.0);
        assert_eq!(s.mom_pct, None);
        assert_eq!(s.cv_4w_pct, Some(cv_pct(&[100.0, 104.0]).unwrap()));
        assert!(series_stats(&obs, Some(d("2020-01-01"))).is_none());
    }

    #[test]
    fn jevons_and_disparity() {
        // relatives 1.1 and 1.0: 100 * sqrt(1.1) = 104.881
        let i = jevons_index(&[(110.0, 100.0), (50.0, 50.0)]).unwrap();
        assert!((i - 104.880_884_8).abs() < 1e-6, "{i}");
        assert_eq!(jevons_index(&[]), None);
        let dsp = disparity(&[100.0, 120.0, 110.0]).unwrap();
        assert_eq!(dsp.min, 100.0);
        assert_eq!(dsp.max, 120.0);
        assert!((dsp.spread_pct - 18.181_818).abs() < 1e-5);
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
