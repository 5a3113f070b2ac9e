//! Spreadsheet files in and out: CSV (`,` or `;`, UTF-8 with or without BOM) and the workbook
//! formats calamine reads (XLSX, XLS, ODS); exports as CSV or XLSX (rust_xlsxwriter).
//!
//! A workbook is a zip archive: before calamine opens one, its central directory is read with
//! the `zip` crate and refused when it declares more than [`MAX_MEMBERS`] members or more than
//! [`MAX_UNPACKED`] bytes unpacked (the crate's decoder stops at the declared size, so the
//! declared sizes bound what is inflated). A grid larger than [`MAX_CELLS`] is refused too.

use std::io::Cursor;

use calamine::{Data, Reader};

use super::PlanError;
use super::book::{Grid, Out, Sheet};

/// Members a workbook may have.
pub const MAX_MEMBERS: usize = 2_000;
/// Bytes a workbook may unpack to (all members, as declared).
pub const MAX_UNPACKED: u64 = 256 * 1024 * 1024;
/// Cells a file may hold in all (the KBLI 2020 catalogue is about 2,700 rows of 3–5 columns).
pub const MAX_CELLS: usize = 2_000_000;

fn refused(id: impl Into<String>, en: impl Into<String>) -> PlanError {
    PlanError::File {
        detail: id.into(),
        detail_en: en.into(),
    }
}

fn too_large(id: impl Into<String>, en: impl Into<String>) -> PlanError {
    PlanError::TooLarge {
        detail: id.into(),
        detail_en: en.into(),
    }
}

/// The file's sheets: one for a CSV file (named after the file), every worksheet of a workbook.
pub fn read_file(file_name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, PlanError> {
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if zip || ole {
        if zip {
            check_archive(bytes)?;
        }
        return read_workbook(bytes);
    }
    let stem = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .trim_end_matches(".csv")
        .trim_end_matches(".CSV")
        .to_owned();
    Ok(vec![read_csv(
        if stem.is_empty() { "csv" } else { &stem },
        bytes,
    )?])
}

fn check_archive(bytes: &[u8]) -> Result<(), PlanError> {
    let bad = |e: &dyn std::fmt::Display| {
        refused(
            format!("Berkas buku kerja (XLSX/ODS) rusak atau bukan arsip zip: {e}."),
            format!("The workbook (XLSX/ODS) is damaged or not a zip archive: {e}."),
        )
    };
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(&e))?;
    if z.len() > MAX_MEMBERS {
        return Err(too_large(
            format!(
                "Buku kerja berisi {} bagian; paling banyak {MAX_MEMBERS}.",
                z.len()
            ),
            format!(
                "The workbook has {} parts; at most {MAX_MEMBERS} are accepted.",
                z.len()
            ),
        ));
    }
    let mut total: u64 = 0;
    for i in 0..z.len() {
        let f = z.by_index_raw(i).map_err(|e| bad(&e))?;
        total = total.saturating_add(f.size());
    }
    if total > MAX_UNPACKED {
        return Err(too_large(
            format!(
                "Buku kerja akan terurai menjadi {} MiB; paling banyak {} MiB.",
                total / (1024 * 1024),
                MAX_UNPACKED / (1024 * 1024)
            ),
            format!(
                "The workbook would unpack to {} MiB; at most {} MiB are accepted.",
                total / (1024 * 1024),
                MAX_UNPACKED / (1024 * 1024)
            ),
        ));
    }
    Ok(())
}

fn data_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => super::book::format_number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => dt.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_workbook(bytes: &[u8]) -> Result<Vec<Sheet>, PlanError> {
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        refused(
            format!("Buku kerja tidak dapat dibaca: {e}."),
            format!("The workbook cannot be read: {e}."),
        )
    })?;
    let mut out = Vec::new();
    let mut cells = 0usize;
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).map_err(|e| {
            refused(
                format!("Lembar {name:?} tidak dapat dibaca: {e}."),
                format!("Sheet {name:?} cannot be read: {e}."),
            )
        })?;
        let (h, w) = range.get_size();
        cells = cells.saturating_add(h.saturating_mul(w));
        if cells > MAX_CELLS {
            return Err(too_many_cells());
        }
        // rows and columns as the spreadsheet numbers them, so errors name the right cell
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut rows: Vec<Vec<String>> = vec![Vec::new(); r0 as usize];
        for r in range.rows() {
            let mut row = vec![String::new(); c0 as usize];
            row.extend(r.iter().map(data_text));
            while row.last().is_some_and(|c| c.is_empty()) {
                row.pop();
            }
            rows.push(row);
        }
        out.push(Sheet { name, rows });
    }
    Ok(out)
}

fn too_many_cells() -> PlanError {
    too_large(
        format!("Berkas berisi lebih dari {MAX_CELLS} sel."),
        format!("The file holds more than {MAX_CELLS} cells."),
    )
}

fn read_csv(name: &str, bytes: &[u8]) -> Result<Sheet, PlanError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        return Err(refused(
            format!("Berkas CSV bukan UTF-8 (baris {line}); simpan sebagai \"CSV UTF-8\"."),
            format!("The CSV file is not UTF-8 (line {line}); save it as \"CSV UTF-8\"."),
        ));
    }
    // `;` when the header line has more of them than commas (spreadsheets set to Indonesian)
    let header = bytes.split(|b| *b == b'\n').next().unwrap_or(b"");
    let semis = header.iter().filter(|b| **b == b';').count();
    let commas = header.iter().filter(|b| **b == b',').count();
    let delim = if semis > commas { b';' } else { b',' };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut cells = 0usize;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            refused(
                format!("Berkas CSV tidak dapat dibaca: {e}."),
                format!("The CSV file cannot be read: {e}."),
            )
        })?;
        cells += rec.len();
        if cells > MAX_CELLS {
            return Err(too_many_cells());
        }
        rows.push(rec.iter().map(|s| s.to_owned()).collect());
    }
    Ok(Sheet {
        name: name.to_owned(),
        rows,
    })
}

/// One grid as CSV (comma separated, UTF-8 without BOM, `\n` line ends).
pub fn write_csv(grid: &Grid) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for row in &grid.rows {
        // a row is always written whole; writing to a Vec cannot fail
        let _ = w.write_record(row.iter().map(|c| c.text()));
    }
    w.into_inner().unwrap_or_default()
}

/// The grids as one workbook, a sheet each.
pub fn write_xlsx(grids: &[Grid]) -> Result<Vec<u8>, PlanError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let err = |e: rust_xlsxwriter::XlsxError| PlanError::Internal(e.to_string());
    for g in grids {
        let ws = wb.add_worksheet();
        ws.set_name(g.sheet).map_err(err)?;
        for (r, row) in g.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Out::Text(s) if s.is_empty() => {}
                    Out::Text(s) => {
                        ws.write_string(r, c, s).map_err(err)?;
                    }
                    Out::Num(v) => {
                        ws.write_number(r, c, *v).map_err(err)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0).map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}
