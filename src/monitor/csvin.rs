//! CSV input: named columns with Indonesian and English header aliases, `,` or `;` as the
//! separator (spreadsheets set to Indonesian write `;`), a UTF-8 byte-order mark ignored, and a
//! [`RowError`] for every problem, with the file's row number (the header is row 1).
//!
//! Also the name matching used by the imports: names are compared lower-cased with single
//! spaces, and an unknown name gets the closest known names (edit distance) as suggestions.

use std::collections::HashMap;

use super::RowError;

/// A column the file may carry.
#[derive(Debug)]
pub struct Column {
    /// Canonical name (used in errors and in the code).
    pub name: &'static str,
    /// Other accepted header spellings (already normalised: lower case, `_` for spaces).
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// A parsed file: for each data row, its row number and the value of each known column.
#[derive(Debug)]
pub struct Table {
    pub rows: Vec<Row>,
}

#[derive(Debug)]
pub struct Row {
    pub line: u64,
    values: Vec<Option<String>>,
    names: &'static [Column],
}

impl Row {
    /// The trimmed value of a column; `None` when the column is absent or the cell empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = self.names.iter().position(|c| c.name == name)?;
        self.values[i].as_deref().filter(|s| !s.is_empty())
    }
}

fn norm_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-' || c == '.')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// Reads a CSV file against the expected columns. Header problems (missing, unknown or
/// repeated columns) and malformed rows are all reported; an empty file is an error.
pub fn read(bytes: &[u8], columns: &'static [Column]) -> Result<Table, Vec<RowError>> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            return Err(vec![RowError::new(
                line,
                None,
                None,
                "Berkas bukan teks UTF-8; simpan ulang sebagai CSV UTF-8.",
                "The file is not UTF-8 text; save it again as CSV UTF-8.",
            )]);
        }
    };
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') && !first_line.contains(',') {
        b';'
    } else {
        b','
    };
    // the csv crate does not count the blank lines it skips: count newlines before the record
    let line_at = |byte: u64| {
        let mut b = (byte as usize).min(text.len());
        while b < text.len() && matches!(text.as_bytes()[b], b'\n' | b'\r') {
            b += 1;
        }
        1 + text.as_bytes()[..b].iter().filter(|b| **b == b'\n').count() as u64
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let expected = || {
        columns
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![RowError::new(
                1,
                None,
                None,
                format!("Baris judul tidak dapat dibaca: {e}."),
                format!("The header row cannot be read: {e}."),
            )]);
        }
    };
    let mut errors = Vec::new();
    let mut index: Vec<Option<usize>> = vec![None; columns.len()];
    for (pos, raw) in headers.iter().enumerate() {
        let h = norm_header(raw);
        if h.is_empty() {
            continue;
        }
        match columns
            .iter()
            .position(|c| c.name == h || c.aliases.contains(&h.as_str()))
        {
            Some(ci) if index[ci].is_some() => errors.push(RowError::new(
                1,
                Some(columns[ci].name),
                Some(raw),
                format!("Kolom {} muncul dua kali.", columns[ci].name),
                format!("The column {} appears twice.", columns[ci].name),
            )),
            Some(ci) => index[ci] = Some(pos),
            None => {
                let known: Vec<String> = columns
                    .iter()
                    .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
                    .map(str::to_owned)
                    .collect();
                errors.push(
                    RowError::new(
                        1,
                        None,
                        Some(raw),
                        format!(
                            "Kolom tidak dikenal. Kolom yang diharapkan: {}.",
                            expected()
                        ),
                        format!("Unknown column. Expected columns: {}.", expected()),
                    )
                    .with_suggestions(suggest(&h, known.iter().map(|s| s.as_str()))),
                )
            }
        }
    }
    for (ci, c) in columns.iter().enumerate() {
        if c.required && index[ci].is_none() {
            errors.push(RowError::new(
                1,
                Some(c.name),
                None,
                format!(
                    "Kolom wajib {} tidak ada. Kolom yang diharapkan: {}.",
                    c.name,
                    expected()
                ),
                format!(
                    "The required column {} is missing. Expected columns: {}.",
                    c.name,
                    expected()
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| line_at(p.byte())).unwrap_or(0);
                errors.push(RowError::new(
                    line,
                    None,
                    None,
                    format!("Baris tidak dapat dibaca: {e}."),
                    format!("The row cannot be read: {e}."),
                ));
                continue;
            }
        };
        let line = rec.position().map(|p| line_at(p.byte())).unwrap_or(0);
        if rec.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        if rec.len() != headers.len() {
            errors.push(RowError::new(
                line,
                None,
                None,
                format!(
                    "Baris berisi {} kolom, judul berisi {}.",
                    rec.len(),
                    headers.len()
                ),
                format!(
                    "The row has {} fields, the header has {}.",
                    rec.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        let values = index
            .iter()
            .map(|i| i.map(|i| rec[i].trim().to_owned()))
            .collect();
        rows.push(Row {
            line,
            values,
            names: columns,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(vec![RowError::new(
            1,
            None,
            None,
            "Berkas tidak berisi baris data.",
            "The file holds no data rows.",
        )]);
    }
    Ok(Table { rows })
}

/// Lower case, single spaces.
pub fn norm_name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Up to three known names closest to `wanted` (edit distance at most a third of the longer
/// name, at least 2), nearest first.
pub fn suggest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let w = norm_name(wanted);
    let mut scored: Vec<(usize, String)> = known
        .into_iter()
        .map(|k| (edit_distance(&w, &norm_name(k)), k.to_owned()))
        .filter(|(d, k)| *d <= (w.chars().count().max(k.chars().count()) / 3).max(2))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}

/// Names (normalised) → ids, with display names for suggestions.
#[derive(Default)]
pub struct NameIndex<T: Clone> {
    by_name: HashMap<String, T>,
    display: Vec<String>,
}

impl<T: Clone> NameIndex<T> {
    /// `name` is matched (normalised); `display` names are offered as suggestions.
    pub fn add(&mut self, name: &str, id: T, display: bool) {
        let n = norm_name(name);
        if n.is_empty() {
            return;
        }
        self.by_name.entry(n).or_insert(id);
        if display {
            self.display.push(name.to_owned());
        }
    }

    pub fn get(&self, name: &str) -> Option<T> {
        self.by_name.get(&norm_name(name)).cloned()
    }

    pub fn suggest(&self, name: &str) -> Vec<String> {
        suggest(name, self.display.iter().map(|s| s.as_str()))
    }

    /// The id of `value`, found in column `column` of the row on `line`; an unknown name adds
    /// that row's error (`unknown_id` / `unknown_en`) with the nearest known names to `errors`.
    pub fn lookup(
        &self,
        line: u64,
        column: &str,
        value: &str,
        (unknown_id, unknown_en): (&str, &str),
        errors: &mut Vec<RowError>,
    ) -> Option<T> {
        let found = self.get(value);
        if found.is_none() {
            errors.push(
                RowError::new(line, Some(column), Some(value), unknown_id, unknown_en)
                    .with_suggestions(self.suggest(value)),
            );
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static COLS: &[Column] = &[
        Column {
            name: "date",
            aliases: &["tanggal"],
            required: true,
        },
        Column {
            name: "price",
            aliases: &["harga"],
            required: true,
        },
        Column {
            name: "source",
            aliases: &[],
            required: false,
        },
    ];

    #[test]
    fn reads_aliases_semicolons_and_bom() {
        let t = read(
            b"\xef\xbb\xbfTanggal;Harga\n2026-01-05;38000\n\n2026-01-12;39000\n",
            COLS,
        )
        .unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].line, 4);
        assert_eq!(t.rows[1].get("price"), Some("39000"));
        assert_eq!(t.rows[1].get("source"), None);
    }

    #[test]
    fn header_errors() {
        let e = read(b"date,prize\n2026-01-05,1\n", COLS).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].value.as_deref(), Some("prize"));
        assert_eq!(e[0].suggestions, vec!["price"]);
        assert_eq!(e[1].column.as_deref(), Some("price"));
        let e = read(b"date,price\n", COLS).unwrap_err();
        assert!(e[0].detail_en.contains("no data rows"));
        let e = read(b"date,price\n2026-01-05\n", COLS).unwrap_err();
        assert_eq!(e[0].row, 2);
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let s = suggest("Oesapa Barta", ["Oesapa Barat", "Oesapa", "Alak"]);
        assert_eq!(s[0], "Oesapa Barat");
        assert!(suggest("zzzzzz", ["Alak"]).is_empty());
    }
}
