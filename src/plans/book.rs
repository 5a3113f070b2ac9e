//! The rule book's tables read from spreadsheet grids, checked cell by cell. Pure: no database,
//! HTTP or file I/O; [`super::sheets`] turns CSV and XLSX files into [`Sheet`]s and
//! [`super::store`] writes a [`Book`] into a draft plan.
//!
//! Four tables are recognised by their header row, in any sheet:
//!
//! - **ITBX matrix**: a `KBLI` column (or only a `Kegiatan` column: the regulation's activity
//!   name, matched to a KBLI title), an optional `Kegiatan` column, then one column per sub-zone
//!   code (`R-2`, legacy aliases such as `R2` accepted). A cell holds `I`, `X`, or condition
//!   codes (`T1`, `B2`, `T1,B3`): with any `B` code the class is `B` ("terbatas bersyarat" is
//!   class B with its T codes kept), else `T`. An empty cell means the regulation says nothing
//!   for that pair, and no row is stored.
//! - **Intensity**: one row per sub-zone and variant, with KDB, KLB, KDH, KTB, height, floors,
//!   GSB, JBS and minimum parcel (empty or `-` = not regulated). Decimal commas (`2,4`) and `%`
//!   are accepted.
//! - **Condition texts**: code (`T1`..`T99`, `B1`..`B99`), Indonesian text, English text (the
//!   Indonesian one is used when the English column is missing or empty).
//! - **Activity catalogue** (KBLI 2020): either ruang's layout (`kbli, judul, judul_en,
//!   kategori, kata_kunci`) or the statistics office's (BPS) hierarchical table (`Kode, Judul,
//!   Uraian`, with rows for categories `A`..`U`, 2-, 3- and 4-digit groups, and the 5-digit
//!   codes that are the activities; the section comes from the code's division, the keywords
//!   from the description).
//!
//! Every problem is reported with its sheet, row (1-based, as the spreadsheet shows it) and
//! column (letter and header), and unknown names get the nearest known ones as suggestions.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::monitor::csvin::suggest;
use crate::rules::{Activity, ActivityRule, ItbxClass, RuleCondition, ZoneRule};

/// A grid of cell texts, as read from one CSV file or one worksheet.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

/// One problem in the book.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CellError {
    pub sheet: String,
    /// Spreadsheet row (the header is row 1 in a CSV file).
    pub row: usize,
    /// Spreadsheet column letter (`A`, `B`, ... `AA`); absent for a problem with a whole row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The column's header text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub detail: String,
    pub detail_en: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
}

impl CellError {
    /// One line for the CLI.
    pub fn line(&self) -> String {
        let mut s = format!("{}!", self.sheet);
        if let Some(c) = &self.column {
            s.push_str(c);
        }
        s.push_str(&self.row.to_string());
        if let Some(h) = &self.header {
            s.push_str(&format!(" ({h})"));
        }
        if let Some(v) = &self.value {
            s.push_str(&format!(" {v:?}"));
        }
        s.push_str(&format!(": {}", self.detail_en));
        if !self.suggestions.is_empty() {
            s.push_str(&format!(" Did you mean: {}?", self.suggestions.join(", ")));
        }
        s
    }
}

/// Spreadsheet column letters of a 0-based index: 0 → `A`, 26 → `AA`.
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// What the book is checked against: the sub-zone catalogue, the activity catalogue and the
/// condition codes the target plan already has.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// Sub-zone code → name.
    pub subzones: BTreeMap<String, String>,
    /// Legacy or other spellings (`R2`, `KT-1`) → sub-zone code.
    pub subzone_aliases: HashMap<String, String>,
    /// KBLI code → Indonesian title.
    pub activities: BTreeMap<String, String>,
    /// KBLI code → search keywords (comma separated): the regulation's activity names that are
    /// not KBLI titles ("rumah tinggal" for 68111) are matched against them too.
    pub activity_keywords: BTreeMap<String, String>,
    /// Condition codes the target plan has now (used when the book carries no condition table).
    pub plan_conditions: HashSet<String>,
}

/// The four tables, each present only when the book carried it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Book {
    pub itbx: Option<Itbx>,
    pub intensity: Option<Vec<ZoneRule>>,
    pub conditions: Option<Vec<RuleCondition>>,
    pub activities: Option<Vec<Activity>>,
    /// Which optional catalogue columns the file carried: a code already known keeps its
    /// English title and its keywords when the file has none (the statistics office's table
    /// has neither; the description becomes the keywords of new codes only).
    pub activity_columns: ActivityColumns,
    /// Sheets that hold none of the four tables (a cover sheet, notes).
    pub ignored_sheets: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ActivityColumns {
    pub title_en: bool,
    pub keywords: bool,
}

/// The ITBX matrix with its layout (column and row order), kept so an export gives the planners
/// their own table back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Itbx {
    /// Sub-zone codes, in column order.
    pub columns: Vec<String>,
    /// KBLI codes, in row order.
    pub rows: Vec<String>,
    pub cells: Vec<ActivityRule>,
}

/// Which table a header row announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableKind {
    Itbx,
    Intensity,
    Conditions,
    Activities,
}

impl TableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TableKind::Itbx => "itbx",
            TableKind::Intensity => "intensity",
            TableKind::Conditions => "conditions",
            TableKind::Activities => "activities",
        }
    }

    pub fn parse(s: &str) -> Option<TableKind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "itbx" | "matrix" | "matriks" => TableKind::Itbx,
            "intensity" | "intensitas" => TableKind::Intensity,
            "conditions" | "ketentuan" | "syarat" => TableKind::Conditions,
            "activities" | "kbli" | "kegiatan" => TableKind::Activities,
            _ => return None,
        })
    }
}

/// Header text in a comparable form: lower case, words joined by `_`.
fn norm_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-' || c == '.' || c == '/' || c == '_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

const KBLI_HEADERS: &[&str] = &["kbli", "kode_kbli", "kbli_code", "kbli_2020", "kode"];
const NAME_HEADERS: &[&str] = &[
    "kegiatan",
    "nama_kegiatan",
    "jenis_kegiatan",
    "kegiatan_pemanfaatan_ruang",
    "activity",
    "activity_name",
];

/// Intensity columns: (field, accepted headers).
const INTENSITY_COLUMNS: &[(&str, &[&str])] = &[
    (
        "subzone_code",
        &[
            "sub_zona",
            "subzona",
            "kode_sub_zona",
            "subzone",
            "subzone_code",
            "kode_zona",
        ],
    ),
    ("variant", &["varian", "variant", "jenis"]),
    (
        "kdb_max_pct",
        &["kdb", "kdb_max", "kdb_max_pct", "kdb_maks", "kdb_maksimum"],
    ),
    ("klb_max", &["klb", "klb_max", "klb_maks", "klb_maksimum"]),
    (
        "kdh_min_pct",
        &["kdh", "kdh_min", "kdh_min_pct", "kdh_minimum"],
    ),
    (
        "ktb_max_pct",
        &["ktb", "ktb_max", "ktb_max_pct", "ktb_maks", "ktb_maksimum"],
    ),
    (
        "height_max_m",
        &[
            "tinggi",
            "tinggi_maks",
            "tinggi_maksimum",
            "tinggi_bangunan",
            "height",
            "height_max_m",
            "ketinggian",
        ],
    ),
    (
        "floors_max",
        &[
            "lantai",
            "jumlah_lantai",
            "lantai_maks",
            "floors",
            "floors_max",
        ],
    ),
    ("gsb_min_m", &["gsb", "gsb_min", "gsb_min_m", "gsb_minimum"]),
    (
        "jbs_min_m",
        &[
            "jbs",
            "jbs_min",
            "jbs_min_m",
            "jbb",
            "jbs_jbb",
            "jarak_bebas_samping",
        ],
    ),
    (
        "min_parcel_m2",
        &[
            "luas_kavling_minimum",
            "luas_minimum",
            "kavling_minimum",
            "min_parcel",
            "min_parcel_m2",
            "luas_persil_minimum",
        ],
    ),
    ("note", &["catatan", "keterangan", "note"]),
];

const CONDITION_CODE: &[&str] = &["kode", "code", "kode_ketentuan", "kode_syarat"];
const CONDITION_ID: &[&str] = &[
    "teks",
    "text",
    "text_id",
    "teks_id",
    "ketentuan",
    "uraian_ketentuan",
    "syarat",
];
const CONDITION_EN: &[&str] = &["text_en", "teks_en", "english", "ketentuan_en"];

const ACT_CODE: &[&str] = &["kbli", "kode_kbli", "kbli_code", "kode", "kode_kbli_2020"];
const ACT_TITLE: &[&str] = &[
    "judul",
    "judul_kbli",
    "title",
    "nama",
    "nama_kbli",
    "judul_kbli_2020",
];
const ACT_TITLE_EN: &[&str] = &["judul_en", "title_en", "judul_inggris"];
const ACT_SECTION: &[&str] = &["kategori", "section", "seksi"];
const ACT_KEYWORDS: &[&str] = &["kata_kunci", "keywords"];
const ACT_DESCRIPTION: &[&str] = &["uraian", "deskripsi", "description", "uraian_kbli"];

fn find(headers: &[String], names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| names.contains(&h.as_str()))
}

impl Catalogue {
    /// The sub-zone code a header or cell names (code, alias, or code without its hyphen).
    pub fn subzone(&self, s: &str) -> Option<String> {
        let t = s.trim().to_uppercase();
        if self.subzones.contains_key(&t) {
            return Some(t);
        }
        if let Some(c) = self.subzone_aliases.get(&t) {
            return Some(c.clone());
        }
        None
    }

    fn subzone_suggestions(&self, s: &str) -> Vec<String> {
        let codes = suggest(s, self.subzones.keys().map(|s| s.as_str()));
        if !codes.is_empty() {
            return codes;
        }
        suggest(s, self.subzones.values().map(|s| s.as_str()))
            .into_iter()
            .filter_map(|name| {
                self.subzones
                    .iter()
                    .find(|(_, n)| **n == name)
                    .map(|(c, n)| format!("{c} ({n})"))
            })
            .collect()
    }
}

/// Which table a sheet holds, by its header row.
pub fn classify(headers: &[String], cat: &Catalogue) -> Option<TableKind> {
    let h: Vec<String> = headers.iter().map(|s| norm_header(s)).collect();
    if find(
        &h,
        &[
            "kdb",
            "kdb_max",
            "kdb_max_pct",
            "kdb_maks",
            "kdb_maksimum",
            "klb",
            "klb_max",
        ],
    )
    .is_some()
    {
        return Some(TableKind::Intensity);
    }
    let subzone_cols = headers
        .iter()
        .skip(1)
        .filter(|c| cat.subzone(c).is_some())
        .count();
    if subzone_cols > 0 && (find(&h, KBLI_HEADERS).is_some() || find(&h, NAME_HEADERS).is_some()) {
        return Some(TableKind::Itbx);
    }
    if find(&h, CONDITION_CODE).is_some() && find(&h, CONDITION_ID).is_some() {
        return Some(TableKind::Conditions);
    }
    if find(&h, ACT_CODE).is_some() && find(&h, ACT_TITLE).is_some() {
        return Some(TableKind::Activities);
    }
    None
}

/// Collects the errors of one sheet.
struct Errors<'a> {
    sheet: &'a str,
    headers: &'a [String],
    list: Vec<CellError>,
}

impl<'a> Errors<'a> {
    /// A row repeating the key of row `prev` (0-based): "`what` is already in row N".
    fn repeated(
        &mut self,
        row: usize,
        col: Option<usize>,
        value: &str,
        (what_id, what_en): (&str, &str),
        prev: usize,
    ) {
        self.cell(
            row,
            col,
            Some(value),
            format!("{what_id} sudah ada di baris {}.", prev + 1),
            format!("{what_en} is already in row {}.", prev + 1),
        );
    }

    fn cell(
        &mut self,
        row: usize,
        col: Option<usize>,
        value: Option<&str>,
        detail: impl Into<String>,
        detail_en: impl Into<String>,
    ) -> &mut CellError {
        self.list.push(CellError {
            sheet: self.sheet.to_owned(),
            row: row + 1,
            column: col.map(column_letter),
            header: col
                .and_then(|c| self.headers.get(c))
                .map(|h| h.trim().to_owned()),
            value: value.map(|v| v.chars().take(200).collect()),
            detail: detail.into(),
            detail_en: detail_en.into(),
            suggestions: Vec::new(),
        });
        self.list.last_mut().expect("just pushed")
    }
}

fn cell(row: &[String], i: usize) -> &str {
    row.get(i).map(|s| s.trim()).unwrap_or("")
}

/// Reads the sheets into a book. `only` limits the reading to one sheet (by name); `kind`
/// forces the table a single sheet holds (a CSV file whose header is not recognised).
pub fn read(
    sheets: &[Sheet],
    cat: &Catalogue,
    only: Option<&str>,
    kind: Option<TableKind>,
) -> Result<Book, Vec<CellError>> {
    let mut book = Book::default();
    let mut errors = Vec::new();
    let chosen: Vec<&Sheet> = match only {
        Some(name) => {
            let found: Vec<&Sheet> = sheets.iter().filter(|s| s.name == name).collect();
            if found.is_empty() {
                let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
                return Err(vec![CellError {
                    sheet: name.to_owned(),
                    row: 0,
                    column: None,
                    header: None,
                    value: None,
                    detail: format!(
                        "Lembar {name:?} tidak ada dalam berkas; yang ada: {}.",
                        names.join(", ")
                    ),
                    detail_en: format!(
                        "The file has no sheet {name:?}; it has: {}.",
                        names.join(", ")
                    ),
                    suggestions: suggest(name, names.iter().copied()),
                }]);
            }
            found
        }
        None => sheets.iter().collect(),
    };
    // Activities and conditions first: the matrix is checked against them.
    let mut kinds = Vec::new();
    for s in &chosen {
        let first = s
            .rows
            .iter()
            .position(|r| r.iter().any(|c| !c.trim().is_empty()));
        let Some(first) = first else {
            if only.is_some() || chosen.len() == 1 {
                errors.push(CellError {
                    sheet: s.name.clone(),
                    row: 1,
                    column: None,
                    header: None,
                    value: None,
                    detail: "Lembar ini kosong.".into(),
                    detail_en: "The sheet is empty.".into(),
                    suggestions: Vec::new(),
                });
            } else {
                book.ignored_sheets.push(s.name.clone());
            }
            continue;
        };
        let k = kind.or_else(|| classify(&s.rows[first], cat));
        match k {
            Some(k) => kinds.push((k, *s, first)),
            None if only.is_some() || chosen.len() == 1 => errors.push(CellError {
                sheet: s.name.clone(),
                row: first + 1,
                column: None,
                header: None,
                value: Some(s.rows[first].join(", ").chars().take(200).collect()),
                detail: "Judul kolom tidak dikenali sebagai matriks ITBX (KBLI/Kegiatan lalu kode sub-zona), tabel intensitas (sub_zona, KDB, KLB, ...), teks ketentuan (kode, teks) atau katalog KBLI (kode, judul).".into(),
                detail_en: "The header row is not an ITBX matrix (KBLI/Kegiatan then sub-zone codes), an intensity table (sub_zona, KDB, KLB, ...), condition texts (kode, teks) or a KBLI catalogue (kode, judul).".into(),
                suggestions: Vec::new(),
            }),
            None => book.ignored_sheets.push(s.name.clone()),
        }
    }
    let mut seen: HashMap<TableKind, String> = HashMap::new();
    for (k, s, _) in &kinds {
        if let Some(prev) = seen.insert(*k, s.name.clone()) {
            errors.push(CellError {
                sheet: s.name.clone(),
                row: 1,
                column: None,
                header: None,
                value: None,
                detail: format!(
                    "Tabel {} sudah ada di lembar {prev:?}; satu tabel hanya boleh ada sekali.",
                    k.as_str()
                ),
                detail_en: format!(
                    "The {} table is already in sheet {prev:?}; each table may appear once.",
                    k.as_str()
                ),
                suggestions: Vec::new(),
            });
        }
    }
    kinds.sort_by_key(|(k, _, _)| match k {
        TableKind::Activities => 0,
        TableKind::Conditions => 1,
        TableKind::Intensity => 2,
        TableKind::Itbx => 3,
    });
    let mut known_kbli: BTreeMap<String, String> = cat.activities.clone();
    let mut keywords: BTreeMap<String, String> = cat.activity_keywords.clone();
    let mut known_codes: Option<HashSet<String>> = None;
    for (k, s, first) in kinds {
        let headers = &s.rows[first];
        let mut e = Errors {
            sheet: &s.name,
            headers,
            list: Vec::new(),
        };
        match k {
            TableKind::Activities => {
                let h: Vec<String> = s.rows[first].iter().map(|x| norm_header(x)).collect();
                book.activity_columns = ActivityColumns {
                    title_en: find(&h, ACT_TITLE_EN).is_some(),
                    keywords: find(&h, ACT_KEYWORDS).is_some(),
                };
                let acts = read_activities(s, first, &mut e);
                for a in &acts {
                    known_kbli.insert(a.kbli_code.clone(), a.title.clone());
                    if book.activity_columns.keywords || !keywords.contains_key(&a.kbli_code) {
                        keywords.insert(a.kbli_code.clone(), a.keywords.clone());
                    }
                }
                book.activities = Some(acts);
            }
            TableKind::Conditions => {
                let c = read_conditions(s, first, &mut e);
                known_codes = Some(c.iter().map(|c| c.code.clone()).collect());
                book.conditions = Some(c);
            }
            TableKind::Intensity => book.intensity = Some(read_intensity(s, first, cat, &mut e)),
            TableKind::Itbx => {
                let codes = known_codes.as_ref().unwrap_or(&cat.plan_conditions);
                book.itbx = Some(read_itbx(
                    s,
                    first,
                    cat,
                    &known_kbli,
                    &keywords,
                    codes,
                    &mut e,
                ));
            }
        }
        errors.extend(e.list);
    }
    // A condition table without a matrix must still cover the codes the plan's matrix uses:
    // that is checked by the store, which knows the plan's cells.
    if errors.is_empty()
        && book.itbx.is_none()
        && book.intensity.is_none()
        && book.conditions.is_none()
        && book.activities.is_none()
    {
        errors.push(CellError {
            sheet: chosen.first().map(|s| s.name.clone()).unwrap_or_default(),
            row: 1,
            column: None,
            header: None,
            value: None,
            detail: "Berkas tidak berisi tabel peraturan zonasi yang dikenali.".into(),
            detail_en: "The file holds no zoning regulation table that ruang recognises.".into(),
            suggestions: Vec::new(),
        });
    }
    if errors.is_empty() {
        Ok(book)
    } else {
        Err(errors)
    }
}

/// `T1`..`T99`, `B1`..`B99` (upper case, no leading zero).
pub fn is_condition_code(s: &str) -> bool {
    (s.starts_with('T') || s.starts_with('B'))
        && (2..=3).contains(&s.len())
        && s[1..].chars().all(|c| c.is_ascii_digit())
        && !s[1..].starts_with('0')
}

/// An ITBX cell's class and condition codes.
pub type ParsedCell = (ItbxClass, Vec<String>);

/// Parses one ITBX cell: `I`, `X`, or condition codes separated by commas (also `;`, `/`,
/// `+` or spaces). `Err` carries the (Indonesian, English) reason.
pub fn parse_cell(s: &str) -> Result<Option<ParsedCell>, (String, String)> {
    let t = s.trim().to_uppercase();
    if t.is_empty() || t == "-" {
        return Ok(None);
    }
    let parts: Vec<&str> = t
        .split(|c: char| c == ',' || c == ';' || c == '/' || c == '+' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() == 1 && (parts[0] == "I" || parts[0] == "X") {
        return Ok(Some((ItbxClass::parse(parts[0]).expect("I or X"), vec![])));
    }
    let mut codes = Vec::new();
    for p in &parts {
        if !is_condition_code(p) {
            return Err((
                format!(
                    "Isi sel {s:?} tidak dikenal: gunakan I, X, atau kode ketentuan seperti T1, B2, T1,B3."
                ),
                format!(
                    "Cell {s:?} is not understood: use I, X, or condition codes such as T1, B2, T1,B3."
                ),
            ));
        }
        if codes.contains(&p.to_string()) {
            return Err((
                format!("Kode {p} tertulis dua kali dalam sel."),
                format!("Code {p} appears twice in the cell."),
            ));
        }
        codes.push(p.to_string());
    }
    let class = if codes.iter().any(|c| c.starts_with('B')) {
        ItbxClass::B
    } else {
        ItbxClass::T
    };
    Ok(Some((class, codes)))
}

/// The text of a cell for an export: `I`, `X`, or the codes joined by commas.
pub fn format_cell(class: ItbxClass, codes: &[String]) -> String {
    match class {
        ItbxClass::I | ItbxClass::X => class.as_str().to_owned(),
        _ => codes.join(","),
    }
}

fn read_itbx(
    s: &Sheet,
    first: usize,
    cat: &Catalogue,
    kbli: &BTreeMap<String, String>,
    keywords: &BTreeMap<String, String>,
    codes: &HashSet<String>,
    e: &mut Errors,
) -> Itbx {
    let h: Vec<String> = s.rows[first].iter().map(|x| norm_header(x)).collect();
    let code_col = find(&h, KBLI_HEADERS);
    let name_col = find(&h, NAME_HEADERS);
    let mut columns: Vec<(usize, String)> = Vec::new();
    let mut seen_cols: HashMap<String, usize> = HashMap::new();
    for (i, raw) in s.rows[first].iter().enumerate() {
        if Some(i) == code_col || Some(i) == name_col {
            continue;
        }
        let raw_t = raw.trim();
        if raw_t.is_empty() {
            // a column without header is allowed only when it is empty all the way down
            if s.rows[first + 1..].iter().any(|r| !cell(r, i).is_empty()) {
                e.cell(
                    first,
                    Some(i),
                    None,
                    "Kolom berisi nilai tetapi tidak berjudul kode sub-zona.",
                    "The column holds values but has no sub-zone code as its header.",
                );
            }
            continue;
        }
        match cat.subzone(raw_t) {
            Some(code) => {
                if let Some(prev) = seen_cols.insert(code.clone(), i) {
                    e.cell(
                        first,
                        Some(i),
                        Some(raw_t),
                        format!(
                            "Sub-zona {code} sudah menjadi judul kolom {}.",
                            column_letter(prev)
                        ),
                        format!(
                            "Sub-zone {code} is already the header of column {}.",
                            column_letter(prev)
                        ),
                    );
                } else {
                    columns.push((i, code));
                }
            }
            None => {
                let sug = cat.subzone_suggestions(raw_t);
                e.cell(
                    first,
                    Some(i),
                    Some(raw_t),
                    format!("Kode sub-zona {raw_t:?} tidak dikenal."),
                    format!("Unknown sub-zone code {raw_t:?}."),
                )
                .suggestions = sug;
            }
        }
    }
    // activity names → KBLI: titles, then keyword phrases that name one code only
    let norm = crate::monitor::csvin::norm_name;
    let mut by_title: HashMap<String, &str> =
        kbli.iter().map(|(c, t)| (norm(t), c.as_str())).collect();
    let mut phrases: HashMap<String, Option<&str>> = HashMap::new();
    for (c, kw) in keywords {
        for p in kw.split([',', ';']) {
            let p = norm(p.split('(').next().unwrap_or(""));
            if p.len() < 3 || by_title.contains_key(&p) {
                continue;
            }
            phrases
                .entry(p)
                .and_modify(|v| {
                    if *v != Some(c.as_str()) {
                        *v = None
                    }
                })
                .or_insert(Some(c.as_str()));
        }
    }
    for (p, c) in phrases {
        if let Some(c) = c {
            by_title.insert(p, c);
        }
    }
    let mut itbx = Itbx {
        columns: columns.iter().map(|(_, c)| c.clone()).collect(),
        ..Default::default()
    };
    let mut seen_rows: HashMap<String, usize> = HashMap::new();
    for (r, row) in s.rows.iter().enumerate().skip(first + 1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let code_txt = code_col.map(|c| cell(row, c)).unwrap_or("");
        let name_txt = name_col.map(|c| cell(row, c)).unwrap_or("");
        // an activity that cannot be resolved still has its cells checked, so one pass
        // reports every mistake of the row
        let code: Option<String> = if !code_txt.is_empty() {
            let c = code_txt.replace([' ', '.'], "");
            if c.len() != 5 || !c.chars().all(|x| x.is_ascii_digit()) {
                e.cell(
                    r,
                    code_col,
                    Some(code_txt),
                    "Kode KBLI harus 5 angka (KBLI 2020).",
                    "A KBLI code has 5 digits (KBLI 2020).",
                );
                None
            } else if !kbli.contains_key(&c) {
                let sug = suggest(&c, kbli.keys().map(|s| s.as_str()));
                e.cell(r, code_col, Some(code_txt), format!("KBLI {c} tidak ada dalam katalog kegiatan; muat katalog KBLI 2020 lebih dulu atau sertakan lembar katalog."), format!("KBLI {c} is not in the activity catalogue; load the KBLI 2020 catalogue first or include a catalogue sheet."))
                    .suggestions = sug;
                None
            } else {
                Some(c)
            }
        } else if !name_txt.is_empty() {
            match by_title.get(&crate::monitor::csvin::norm_name(name_txt)) {
                Some(c) => Some(c.to_string()),
                None => {
                    let sug: Vec<String> = suggest(name_txt, kbli.values().map(|s| s.as_str()))
                        .into_iter()
                        .map(|t| {
                            let c = kbli
                                .iter()
                                .find(|(_, v)| **v == t)
                                .map(|(c, _)| c.as_str())
                                .unwrap_or("");
                            format!("{c} {t}")
                        })
                        .collect();
                    e.cell(r, name_col, Some(name_txt), format!("Kegiatan {name_txt:?} tidak cocok dengan judul KBLI mana pun; isi kolom KBLI."), format!("Activity {name_txt:?} matches no KBLI title; fill in the KBLI column."))
                        .suggestions = sug;
                    None
                }
            }
        } else {
            e.cell(
                r,
                code_col.or(name_col),
                None,
                "Baris tanpa KBLI maupun nama kegiatan.",
                "The row has neither a KBLI code nor an activity name.",
            );
            None
        };
        let code = match code {
            Some(c) => match seen_rows.insert(c.clone(), r) {
                Some(prev) => {
                    let what = format!("KBLI {c}");
                    e.repeated(r, code_col.or(name_col), &c, (&what, &what), prev);
                    None
                }
                None => Some(c),
            },
            None => None,
        };
        if let Some(c) = &code {
            itbx.rows.push(c.clone());
        }
        for (i, sz) in &columns {
            let v = cell(row, *i);
            match parse_cell(v) {
                Ok(None) => {}
                Ok(Some((class, cc))) => {
                    let missing: Vec<&String> = cc.iter().filter(|c| !codes.contains(*c)).collect();
                    if !missing.is_empty() {
                        let m: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                        e.cell(r, Some(*i), Some(v), format!("Kode ketentuan {} tidak mempunyai teks; tambahkan di tabel ketentuan.", m.join(", ")), format!("Condition code {} has no text; add it to the condition table.", m.join(", ")));
                        continue;
                    }
                    if let Some(code) = &code {
                        itbx.cells.push(ActivityRule {
                            subzone_code: sz.clone(),
                            kbli_code: code.clone(),
                            class,
                            condition_codes: cc,
                        });
                    }
                }
                Err((id, en)) => {
                    e.cell(r, Some(*i), Some(v), id, en);
                }
            }
        }
        for (i, v) in row.iter().enumerate() {
            if i >= s.rows[first].len() && !v.trim().is_empty() {
                e.cell(
                    r,
                    Some(i),
                    Some(v),
                    "Sel di luar kolom berjudul.",
                    "A cell outside the titled columns.",
                );
            }
        }
    }
    itbx
}

/// Parses a number as spreadsheets in Indonesia write it: `2,4` or `2.4`, `1.000,5`, `80%`.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim().trim_end_matches('%').trim();
    let t = if t.contains(',') && t.contains('.') {
        t.replace('.', "").replace(',', ".")
    } else {
        t.replace(',', ".")
    };
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A number as an export writes it: the shortest form that reads back the same.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn read_intensity(s: &Sheet, first: usize, cat: &Catalogue, e: &mut Errors) -> Vec<ZoneRule> {
    let h: Vec<String> = s.rows[first].iter().map(|x| norm_header(x)).collect();
    let mut col: HashMap<&str, usize> = HashMap::new();
    for (i, name) in h.iter().enumerate() {
        match INTENSITY_COLUMNS
            .iter()
            .find(|(_, al)| al.contains(&name.as_str()))
        {
            Some((f, _)) => {
                if col.insert(f, i).is_some() {
                    e.cell(
                        first,
                        Some(i),
                        Some(&s.rows[first][i]),
                        "Kolom ini muncul dua kali.",
                        "The column appears twice.",
                    );
                }
            }
            None if name.is_empty() => {}
            None => {
                let known: Vec<&str> = INTENSITY_COLUMNS.iter().map(|(_, a)| a[0]).collect();
                let sug = suggest(name, known.iter().copied());
                e.cell(
                    first,
                    Some(i),
                    Some(&s.rows[first][i]),
                    "Kolom tidak dikenal dalam tabel intensitas.",
                    "Unknown column in the intensity table.",
                )
                .suggestions = sug;
            }
        }
    }
    let Some(&sz_col) = col.get("subzone_code") else {
        e.cell(
            first,
            None,
            None,
            "Tabel intensitas memerlukan kolom sub_zona.",
            "The intensity table needs a sub_zona column.",
        );
        return vec![];
    };
    let mut out = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (r, row) in s.rows.iter().enumerate().skip(first + 1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let raw = cell(row, sz_col);
        let Some(code) = cat.subzone(raw) else {
            let sug = cat.subzone_suggestions(raw);
            e.cell(
                r,
                Some(sz_col),
                Some(raw),
                format!("Kode sub-zona {raw:?} tidak dikenal."),
                format!("Unknown sub-zone code {raw:?}."),
            )
            .suggestions = sug;
            continue;
        };
        let variant = col
            .get("variant")
            .map(|&i| cell(row, i))
            .unwrap_or("")
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("_");
        if !variant
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            e.cell(
                r,
                col.get("variant").copied(),
                Some(&variant),
                "Varian hanya boleh berisi huruf, angka dan garis bawah (mis. jalan_kolektor).",
                "A variant may hold only letters, digits and underscores (e.g. jalan_kolektor).",
            );
            continue;
        }
        if let Some(prev) = seen.insert((code.clone(), variant.clone()), r) {
            e.repeated(
                r,
                Some(sz_col),
                raw,
                (
                    &format!("Sub-zona {code} varian {variant:?}"),
                    &format!("Sub-zone {code} variant {variant:?}"),
                ),
                prev,
            );
            continue;
        }
        let mut num = |field: &str, lo: f64, hi: f64, unit: &str| -> Option<f64> {
            let i = *col.get(field)?;
            let v = cell(row, i);
            if v.is_empty() || v == "-" {
                return None;
            }
            match parse_number(v) {
                Some(x) if x >= lo && x <= hi => Some(x),
                Some(_) => {
                    e.cell(
                        r,
                        Some(i),
                        Some(v),
                        format!(
                            "Nilai di luar rentang {}–{} {unit}.",
                            format_number(lo),
                            format_number(hi)
                        ),
                        format!(
                            "The value is outside {}–{} {unit}.",
                            format_number(lo),
                            format_number(hi)
                        ),
                    );
                    None
                }
                None => {
                    e.cell(r, Some(i), Some(v), "Bukan angka.", "Not a number.");
                    None
                }
            }
        };
        let kdb = num("kdb_max_pct", 0.0, 100.0, "%");
        let klb = num("klb_max", 0.0, 50.0, "");
        let kdh = num("kdh_min_pct", 0.0, 100.0, "%");
        let ktb = num("ktb_max_pct", 0.0, 100.0, "%");
        let height = num("height_max_m", 0.0, 1000.0, "m");
        let floors = num("floors_max", 0.0, 300.0, "");
        let gsb = num("gsb_min_m", 0.0, 200.0, "m");
        let jbs = num("jbs_min_m", 0.0, 100.0, "m");
        let minp = num("min_parcel_m2", 0.0, 10_000_000.0, "m²");
        if let (Some(f), Some(&i)) = (floors, col.get("floors_max"))
            && f.fract() != 0.0
        {
            e.cell(
                r,
                Some(i),
                Some(cell(row, i)),
                "Jumlah lantai harus bilangan bulat.",
                "The number of floors must be a whole number.",
            );
        }
        out.push(ZoneRule {
            subzone_code: code,
            variant,
            kdb_max_pct: kdb,
            klb_max: klb,
            kdh_min_pct: kdh,
            ktb_max_pct: ktb,
            height_max_m: height,
            floors_max: floors.map(|f| f as i32),
            gsb_min_m: gsb,
            jbs_min_m: jbs,
            min_parcel_m2: minp,
            note: col
                .get("note")
                .map(|&i| cell(row, i).to_owned())
                .filter(|s| !s.is_empty()),
        });
    }
    out
}

fn read_conditions(s: &Sheet, first: usize, e: &mut Errors) -> Vec<RuleCondition> {
    let h: Vec<String> = s.rows[first].iter().map(|x| norm_header(x)).collect();
    let code_col = find(&h, CONDITION_CODE).expect("classified by this column");
    let id_col = find(&h, CONDITION_ID).expect("classified by this column");
    let en_col = find(&h, CONDITION_EN);
    let mut out: Vec<RuleCondition> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (r, row) in s.rows.iter().enumerate().skip(first + 1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let raw = cell(row, code_col);
        let code = raw.to_uppercase();
        if !is_condition_code(&code) {
            e.cell(
                r,
                Some(code_col),
                Some(raw),
                "Kode ketentuan harus T atau B diikuti nomor (T1, B12).",
                "A condition code is T or B followed by a number (T1, B12).",
            );
            continue;
        }
        if let Some(prev) = seen.insert(code.clone(), r) {
            e.repeated(
                r,
                Some(code_col),
                raw,
                (&format!("Kode {code}"), &format!("Code {code}")),
                prev,
            );
            continue;
        }
        let text_id = cell(row, id_col);
        if text_id.is_empty() {
            e.cell(
                r,
                Some(id_col),
                None,
                format!("Kode {code} tidak mempunyai teks ketentuan."),
                format!("Code {code} has no condition text."),
            );
            continue;
        }
        let text_en = en_col
            .map(|c| cell(row, c))
            .filter(|s| !s.is_empty())
            .unwrap_or(text_id);
        out.push(RuleCondition {
            code,
            text_id: text_id.to_owned(),
            text_en: text_en.to_owned(),
        });
    }
    out
}

/// The KBLI 2020 section (A..U) of a 2-digit division.
pub fn section_of_division(d: u32) -> Option<char> {
    Some(match d {
        1..=3 => 'A',
        5..=9 => 'B',
        10..=33 => 'C',
        35 => 'D',
        36..=39 => 'E',
        41..=43 => 'F',
        45..=47 => 'G',
        49..=53 => 'H',
        55..=56 => 'I',
        58..=63 => 'J',
        64..=66 => 'K',
        68 => 'L',
        69..=75 => 'M',
        77..=82 => 'N',
        84 => 'O',
        85 => 'P',
        86..=88 => 'Q',
        90..=93 => 'R',
        94..=96 => 'S',
        97..=98 => 'T',
        99 => 'U',
        _ => return None,
    })
}

fn read_activities(s: &Sheet, first: usize, e: &mut Errors) -> Vec<Activity> {
    let h: Vec<String> = s.rows[first].iter().map(|x| norm_header(x)).collect();
    let code_col = find(&h, ACT_CODE).expect("classified by this column");
    let title_col = find(&h, ACT_TITLE).expect("classified by this column");
    let en_col = find(&h, ACT_TITLE_EN);
    let sec_col = find(&h, ACT_SECTION);
    let kw_col = find(&h, ACT_KEYWORDS);
    let desc_col = find(&h, ACT_DESCRIPTION);
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (r, row) in s.rows.iter().enumerate().skip(first + 1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let raw = cell(row, code_col);
        let code: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.')
            .collect();
        // BPS hierarchy rows: a category letter, or a 2-4 digit group: not activities
        if (code.len() == 1 && code.chars().all(|c| c.is_ascii_uppercase()))
            || ((2..=4).contains(&code.len()) && code.chars().all(|c| c.is_ascii_digit()))
        {
            continue;
        }
        if code.len() != 5 || !code.chars().all(|c| c.is_ascii_digit()) {
            e.cell(
                r,
                Some(code_col),
                Some(raw),
                "Kode KBLI harus 5 angka (baris kategori A–U dan golongan 2–4 angka dilewati).",
                "A KBLI code has 5 digits (category rows A–U and 2–4 digit groups are skipped).",
            );
            continue;
        }
        let division: u32 = code[..2].parse().unwrap_or(0);
        let Some(derived) = section_of_division(division) else {
            e.cell(
                r,
                Some(code_col),
                Some(raw),
                format!("Golongan pokok {} tidak ada dalam KBLI 2020.", &code[..2]),
                format!("Division {} does not exist in KBLI 2020.", &code[..2]),
            );
            continue;
        };
        let section = match sec_col.map(|c| cell(row, c)).filter(|s| !s.is_empty()) {
            Some(sec) => {
                let up = sec.to_uppercase();
                if up.len() != 1 || !up.chars().all(|c| c.is_ascii_uppercase()) {
                    e.cell(
                        r,
                        sec_col,
                        Some(sec),
                        "Kategori harus satu huruf A–U.",
                        "The section is one letter A–U.",
                    );
                    continue;
                }
                if !up.starts_with(derived) {
                    e.cell(
                        r,
                        sec_col,
                        Some(sec),
                        format!("KBLI {code} termasuk kategori {derived}, bukan {up}."),
                        format!("KBLI {code} belongs to section {derived}, not {up}."),
                    );
                    continue;
                }
                up
            }
            None => derived.to_string(),
        };
        let title = cell(row, title_col);
        if title.is_empty() {
            e.cell(
                r,
                Some(title_col),
                None,
                format!("KBLI {code} tidak mempunyai judul."),
                format!("KBLI {code} has no title."),
            );
            continue;
        }
        if let Some(prev) = seen.insert(code.clone(), r) {
            let what = format!("KBLI {code}");
            e.repeated(r, Some(code_col), raw, (&what, &what), prev);
            continue;
        }
        let title_en = en_col
            .map(|c| cell(row, c))
            .filter(|s| !s.is_empty())
            .unwrap_or(title);
        let keywords = kw_col
            .map(|c| cell(row, c).to_owned())
            .filter(|s| !s.is_empty())
            .or_else(|| {
                desc_col
                    .map(|c| cell(row, c))
                    .filter(|s| !s.is_empty())
                    .map(|d| d.chars().take(1000).collect())
            })
            .unwrap_or_default();
        out.push(Activity {
            kbli_code: code,
            title: title.to_owned(),
            title_en: title_en.to_owned(),
            section,
            keywords,
        });
    }
    out
}

/// A cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Text(String),
    Num(f64),
}

impl Out {
    /// The cell as a CSV file writes it.
    pub fn text(&self) -> String {
        match self {
            Out::Text(s) => s.clone(),
            Out::Num(v) => format_number(*v),
        }
    }
}

/// One exported table: its kind, sheet name and rows (the header first).
#[derive(Debug, Clone)]
pub struct Grid {
    pub kind: TableKind,
    pub sheet: &'static str,
    pub rows: Vec<Vec<Out>>,
}

fn t(s: &str) -> Out {
    Out::Text(s.to_owned())
}

fn opt_num(v: Option<f64>) -> Out {
    v.map(Out::Num).unwrap_or_else(|| t(""))
}

/// The book's tables as grids, in the layout an import reads back to the same book.
/// `titles` names the activities of the matrix (KBLI code → title).
pub fn to_grids(book: &Book, titles: &BTreeMap<String, String>) -> Vec<Grid> {
    let mut out = Vec::new();
    if let Some(m) = &book.itbx {
        let mut rows = vec![
            [t("KBLI"), t("Kegiatan")]
                .into_iter()
                .chain(m.columns.iter().map(|c| t(c)))
                .collect::<Vec<_>>(),
        ];
        let cells: HashMap<(&str, &str), &ActivityRule> = m
            .cells
            .iter()
            .map(|c| ((c.kbli_code.as_str(), c.subzone_code.as_str()), c))
            .collect();
        for k in &m.rows {
            let mut row = vec![t(k), t(titles.get(k).map(|s| s.as_str()).unwrap_or(""))];
            for c in &m.columns {
                row.push(t(&cells
                    .get(&(k.as_str(), c.as_str()))
                    .map(|r| format_cell(r.class, &r.condition_codes))
                    .unwrap_or_default()));
            }
            rows.push(row);
        }
        out.push(Grid {
            kind: TableKind::Itbx,
            sheet: "ITBX",
            rows,
        });
    }
    if let Some(i) = &book.intensity {
        let mut rows = vec![
            [
                "sub_zona",
                "varian",
                "kdb",
                "klb",
                "kdh",
                "ktb",
                "tinggi",
                "lantai",
                "gsb",
                "jbs",
                "luas_kavling_minimum",
                "catatan",
            ]
            .iter()
            .map(|h| t(h))
            .collect::<Vec<_>>(),
        ];
        for r in i {
            rows.push(vec![
                t(&r.subzone_code),
                t(&r.variant),
                opt_num(r.kdb_max_pct),
                opt_num(r.klb_max),
                opt_num(r.kdh_min_pct),
                opt_num(r.ktb_max_pct),
                opt_num(r.height_max_m),
                opt_num(r.floors_max.map(f64::from)),
                opt_num(r.gsb_min_m),
                opt_num(r.jbs_min_m),
                opt_num(r.min_parcel_m2),
                t(r.note.as_deref().unwrap_or("")),
            ]);
        }
        out.push(Grid {
            kind: TableKind::Intensity,
            sheet: "Intensitas",
            rows,
        });
    }
    if let Some(c) = &book.conditions {
        let mut rows = vec![vec![t("kode"), t("teks"), t("text_en")]];
        rows.extend(
            c.iter()
                .map(|c| vec![t(&c.code), t(&c.text_id), t(&c.text_en)]),
        );
        out.push(Grid {
            kind: TableKind::Conditions,
            sheet: "Ketentuan",
            rows,
        });
    }
    if let Some(a) = &book.activities {
        let mut rows = vec![
            ["kbli", "judul", "judul_en", "kategori", "kata_kunci"]
                .iter()
                .map(|h| t(h))
                .collect::<Vec<_>>(),
        ];
        rows.extend(a.iter().map(|a| {
            vec![
                t(&a.kbli_code),
                t(&a.title),
                t(&a.title_en),
                t(&a.section),
                t(&a.keywords),
            ]
        }));
        out.push(Grid {
            kind: TableKind::Activities,
            sheet: "KBLI",
            rows,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> Catalogue {
        let mut c = Catalogue::default();
        for (code, name) in [
            ("R-2", "Perumahan Kepadatan Tinggi"),
            ("K-1", "Perdagangan dan Jasa Skala Kota"),
            ("RTH-2", "Taman Kota"),
        ] {
            c.subzones.insert(code.into(), name.into());
        }
        c.subzone_aliases.insert("R2".into(), "R-2".into());
        c.activities.insert(
            "68111".into(),
            "Real Estat yang Dimiliki Sendiri atau Disewa".into(),
        );
        c.activities
            .insert("56102".into(), "Rumah/Warung Makan".into());
        c.activity_keywords.insert(
            "68111".into(),
            "rumah tinggal, hunian, kos (bukan KBLI)".into(),
        );
        c.activity_keywords
            .insert("56102".into(), "warung makan, kos".into());
        c.plan_conditions = ["T1", "B2"].iter().map(|s| s.to_string()).collect();
        c
    }

    fn sheet(name: &str, rows: &[&[&str]]) -> Sheet {
        Sheet {
            name: name.into(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect())
                .collect(),
        }
    }

    #[test]
    fn cells() {
        assert_eq!(parse_cell("I").unwrap(), Some((ItbxClass::I, vec![])));
        assert_eq!(parse_cell(" x ").unwrap(), Some((ItbxClass::X, vec![])));
        assert_eq!(
            parse_cell("T1, B2").unwrap(),
            Some((ItbxClass::B, vec!["T1".into(), "B2".into()]))
        );
        assert_eq!(
            parse_cell("t3").unwrap(),
            Some((ItbxClass::T, vec!["T3".into()]))
        );
        assert_eq!(parse_cell("").unwrap(), None);
        assert!(parse_cell("I,T1").is_err());
        assert!(parse_cell("Y").is_err());
        assert!(parse_cell("T0").is_err());
        assert!(parse_cell("T1,T1").is_err());
        assert_eq!(
            format_cell(ItbxClass::B, &["T1".into(), "B2".into()]),
            "T1,B2"
        );
    }

    #[test]
    fn numbers_and_columns() {
        assert_eq!(parse_number("2,4"), Some(2.4));
        assert_eq!(parse_number("80%"), Some(80.0));
        assert_eq!(parse_number("1.000,5"), Some(1000.5));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(format_number(80.0), "80");
        assert_eq!(format_number(2.4), "2.4");
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }

    #[test]
    fn matrix_with_every_kind_of_mistake() {
        let s = sheet(
            "ITBX",
            &[
                &["KBLI", "Kegiatan", "R2", "K-1", "R-3x"],
                &["68111", "Rumah", "I", "T1,B2", "I"],
                &["", "Rumah/Warung Makan", "T9", "Q", ""],
                &["99999", "", "I", "I", ""],
                &["", "Rumah/Warung Makanan", "I", "I", ""],
                &["68111", "", "I", "I", ""],
            ],
        );
        let errs = read(&[s], &cat(), None, None).unwrap_err();
        let at: Vec<String> = errs
            .iter()
            .map(|e| format!("{}{}", e.column.clone().unwrap_or_default(), e.row))
            .collect();
        assert_eq!(at, ["E1", "C3", "D3", "A4", "B5", "A6"], "{errs:#?}");
        assert!(
            errs[0].suggestions.iter().any(|s| s.starts_with("R-2")),
            "{:?}",
            errs[0]
        );
        assert!(errs[1].detail_en.contains("T9 has no text"));
        assert_eq!(errs[4].suggestions, ["56102 Rumah/Warung Makan"]);
    }

    #[test]
    fn a_whole_book() {
        let itbx = sheet(
            "ITBX",
            &[
                &["Kegiatan", "KBLI", "K-1", "R-2"],
                &["Rumah", "68111", "T2", "I"],
                &["", "56102", "B3", "T1"],
                &["Rumah Tinggal", "", "I", "I"],
            ],
        );
        let cond = sheet(
            "Ketentuan",
            &[
                &["Kode", "Teks", "Text EN"],
                &["T2", "Intensitas dikurangi", ""],
                &["B3", "Andalalin", "Traffic study"],
                &["T1", "Terbatas", "Limited"],
            ],
        );
        let intensity = sheet(
            "Intensitas",
            &[
                &["Sub Zona", "Varian", "KDB", "KLB", "Lantai"],
                &["R-2", "", "80", "2,4", "2"],
                &["K-1", "jalan kolektor", "80%", "4", "-"],
            ],
        );
        let cover = sheet("Sampul", &[&["RDTR Kota Kupang"], &["Lampiran"]]);
        // a keyword names 68111 (already listed: a repeated row); "kos" names two codes, no match
        let errs = read(
            &[itbx.clone(), cond.clone(), intensity.clone()],
            &cat(),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(
            errs[0].detail_en.contains("68111 is already in row 2"),
            "{errs:#?}"
        );
        let mut itbx = itbx;
        itbx.rows[3][0] = "Kos".into();
        let errs = read(
            &[itbx.clone(), cond.clone(), intensity.clone()],
            &cat(),
            None,
            None,
        )
        .unwrap_err();
        assert!(
            errs[0].detail_en.contains("matches no KBLI title"),
            "{errs:#?}"
        );
        itbx.rows.pop();
        let book = read(&[cover, itbx, cond, intensity], &cat(), None, None).unwrap();
        let m = book.itbx.unwrap();
        assert_eq!(m.columns, ["K-1", "R-2"]);
        assert_eq!(m.rows, ["68111", "56102"]);
        assert_eq!(m.cells.len(), 4);
        assert_eq!(m.cells[2].class, ItbxClass::B);
        let c = book.conditions.unwrap();
        assert_eq!(c[0].text_en, "Intensitas dikurangi");
        let i = book.intensity.unwrap();
        assert_eq!(i[0].klb_max, Some(2.4));
        assert_eq!(i[1].variant, "jalan_kolektor");
        assert_eq!(i[1].floors_max, None);
        assert_eq!(book.ignored_sheets, ["Sampul"]);
    }

    #[test]
    fn bps_catalogue_layout() {
        let s = sheet(
            "KBLI 2020",
            &[
                &["Kode", "Judul", "Uraian"],
                &["A", "PERTANIAN, KEHUTANAN DAN PERIKANAN", ""],
                &["01", "Pertanian tanaman", ""],
                &["011", "Pertanian tanaman semusim", ""],
                &["0111", "Pertanian serealia", ""],
                &[
                    "01111",
                    "Pertanian Jagung",
                    "Usaha pertanian jagung mulai pengolahan lahan",
                ],
                &["47112", "Perdagangan Eceran Bukan di Minimarket", "warung"],
                &["12345x", "Salah", ""],
            ],
        );
        let errs = read(std::slice::from_ref(&s), &cat(), None, None).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].row, 8);
        let mut ok = s;
        ok.rows.pop();
        let book = read(&[ok], &cat(), None, None).unwrap();
        let a = book.activities.unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].section.as_str(), a[1].section.as_str()), ("A", "G"));
        assert!(a[0].keywords.contains("jagung"));
    }
}
