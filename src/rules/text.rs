//! Numbers in messages: at most two decimals, trailing zeros dropped, with the separators of
//! each language (Bahasa Indonesia `1.234,5`; English `1,234.5`).

fn parts(x: f64) -> (bool, String, String) {
    let s = format!("{:.2}", super::crs::r2(x));
    let neg = s.starts_with('-');
    let s = s.trim_start_matches('-');
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac = frac.trim_end_matches('0').to_string();
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{1}');
        }
        grouped.push(ch);
    }
    (neg, grouped, frac)
}

fn render(x: f64, thousands: char, decimal: char) -> String {
    let (neg, int, frac) = parts(x);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(&int.replace('\u{1}', &thousands.to_string()));
    if !frac.is_empty() {
        out.push(decimal);
        out.push_str(&frac);
    }
    out
}

/// A number for a Bahasa Indonesia message.
pub(crate) fn n_id(x: f64) -> String {
    render(x, '.', ',')
}

/// A number for an English message.
pub(crate) fn n_en(x: f64) -> String {
    render(x, ',', '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(n_id(1234.5), "1.234,5");
        assert_eq!(n_en(1234.5), "1,234.5");
        assert_eq!(n_id(60.0), "60");
        assert_eq!(n_en(0.125), "0.13");
        assert_eq!(n_id(-10.17), "-10,17");
        assert_eq!(n_en(1_000_000.0), "1,000,000");
        assert_eq!(n_en(-0.001), "0");
    }
}
