//! CQL2 (OGC API - Features Part 3) to a PostgreSQL `WHERE` fragment with bind parameters.
//!
//! Parsing is the `cql2` crate's (developmentseed/cql2-rs, text and JSON encodings); the
//! translation to SQL is ours, from its expression tree: property names are looked up in the
//! caller's [`Queryable`] list and replaced by the column expressions it gives (never by the
//! name the client wrote), and every literal becomes a typed bind parameter (`$n::type`). The
//! crate's own SQL output is not used.
//!
//! Supported: `AND`, `OR`, `NOT`; `=`, `<>`, `<`, `<=`, `>`, `>=`; `LIKE`; `IN`; `BETWEEN`;
//! `IS NULL`; `CASEI`; arithmetic `+ - * /`; the eight spatial predicates `S_INTERSECTS`,
//! `S_WITHIN`, `S_CONTAINS`, `S_DISJOINT`, `S_EQUALS`, `S_TOUCHES`, `S_CROSSES`, `S_OVERLAPS` with
//! WKT, GeoJSON or `BBOX(...)` geometries in the filter CRS; the temporal predicates
//! `T_BEFORE`, `T_AFTER`, `T_MEETS`, `T_METBY`, `T_OVERLAPS`, `T_OVERLAPPEDBY`, `T_STARTS`,
//! `T_STARTEDBY`, `T_DURING`, `T_CONTAINS`, `T_FINISHES`, `T_FINISHEDBY`, `T_EQUALS`,
//! `T_DISJOINT`, `T_INTERSECTS` on instants (`TIMESTAMP`, `DATE`, date/time properties) and
//! intervals (`INTERVAL(a, b)`, `..` for an open end). Not supported (400): `ACCENTI`, array
//! predicates, functions.
//!
//! The pure function [`to_sql`] is what other parts of ruang (the GDAL export) reuse; the HTTP
//! layer uses [`translate_into`] to append to parameters it has already bound.
//!
//! Limits (each a [`Cql2Error`], so HTTP 400, never a crash). The crate's parser, its clean-up
//! of the tree it builds, this translator and the tree's drop all recurse once per level of
//! nesting, and a deep enough filter overflowed the 2 MiB stack of a tokio worker, which aborts
//! the whole server (about 365 parentheses, 730 nested function calls, 1,800 `NOT` or signs,
//! 920 chained `=`, 2,200 chained `+` or 3,900 chained `AND`, measured in a debug build).
//! So, before anything is parsed:
//! - a filter is at most 256 KiB;
//! - cql2-text nests at most [`MAX_DEPTH`] (64) levels, counted from the text as an upper bound
//!   of the parsed depth: each parenthesis (of grouping, a function, a list or a WKT geometry),
//!   each prefix `NOT` or sign, and each comparison or arithmetic operator chained to another
//!   between two `AND`, `OR` or `,` is a level, so `NOT (a = -(1 + 2))` has four;
//! - cql2-text holds at most [`MAX_AND_OR`] (1,000) `AND` and `OR`: a chain of them is flat
//!   once parsed, but is first built as a tree as deep as the chain is long;
//! - cql2-json nests at most [`MAX_DEPTH`] levels of arrays and objects (serde_json's own limit
//!   is 128), so `{"op":"not","args":[...]}` can nest 32 times.
//!
//! While parsing, the text parser may take at most [`MAX_PARSE_CALLS`] steps: it backtracks,
//! and around a mistake its work doubles with each enclosing parenthesis.
//!
//! After parsing, operators may nest at most [`MAX_DEPTH`] levels in the expression (a flat
//! `AND` list is one level), checked without recursion, and a refused tree is taken apart
//! without recursion. The deepest filters these limits let through need well under 1 MiB of
//! stack in a debug build (the `cql2_depth` tests run them on a 1 MiB thread).

use chrono::{DateTime, NaiveDate};
use cql2::Expr;

use crate::crs::Crs;

/// The type of a queryable property, as JSON Schema and SQL see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QType {
    String,
    Integer,
    Number,
    Boolean,
    /// A calendar date (`date` column).
    Date,
    /// An instant (`timestamptz` column).
    DateTime,
    /// The feature geometry (stored in EPSG:4326, lon/lat).
    Geometry,
}

/// A property a filter may name, and the SQL expression it stands for.
#[derive(Debug, Clone)]
pub struct Queryable {
    pub name: String,
    /// A trusted SQL expression (e.g. `t."zone_code"`), written by ruang, never by a client.
    pub sql: String,
    pub ty: QType,
}

/// A filter's encoding (`filter-lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterLang {
    Text,
    Json,
}

impl FilterLang {
    pub fn parse(s: &str) -> Option<FilterLang> {
        match s {
            "cql2-text" => Some(FilterLang::Text),
            "cql2-json" => Some(FilterLang::Json),
            _ => None,
        }
    }
}

/// A value bound to a `$n` placeholder. The placeholder carries its SQL type as a cast.
#[derive(Debug, Clone, PartialEq)]
pub enum BindValue {
    Text(String),
    Float(f64),
    Int(i64),
    Bool(bool),
}

/// Why a filter was refused. Every case is the client's doing (HTTP 400).
#[derive(Debug, Clone, thiserror::Error)]
pub enum Cql2Error {
    #[error("the filter cannot be parsed: {0}")]
    Parse(String),
    #[error("unknown property '{name}'; queryable properties: {}", queryables.join(", "))]
    UnknownProperty {
        name: String,
        queryables: Vec<String>,
    },
    #[error("{0} is not supported")]
    Unsupported(String),
    #[error("{0}")]
    Invalid(String),
    /// Nested deeper than [`MAX_DEPTH`]; refused before the nesting can exhaust the stack.
    #[error("the filter is nested more than {MAX_DEPTH} levels deep{}", .0.en())]
    TooDeep(Nesting),
    /// The parser gave up after [`MAX_PARSE_CALLS`] steps.
    #[error(
        "the filter is too complex to parse; simplify it, for example with fewer nested parentheses"
    )]
    TooComplex,
    /// More than [`MAX_AND_OR`] `AND` and `OR` in cql2-text.
    #[error(
        "the filter has more than {MAX_AND_OR} AND and OR; to compare with many values use IN (...)"
    )]
    TooManyAndOr,
}

/// What was nested too deeply, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// cql2-text: parentheses, prefix `NOT` and signs, chained comparison and arithmetic.
    Text,
    /// cql2-json: arrays and objects.
    Json,
    /// The expression the filter parsed into.
    Expression,
}

impl Nesting {
    fn en(self) -> &'static str {
        match self {
            Nesting::Text => {
                " (each parenthesis, NOT, sign and chained comparison or arithmetic operator is a level)"
            }
            Nesting::Json => " (each JSON object and array is a level)",
            Nesting::Expression => " (each operator inside another is a level)",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Nesting::Text => {
                " (setiap tanda kurung, NOT, tanda plus/minus dan operator perbandingan atau aritmetika yang dirangkai adalah satu tingkat)"
            }
            Nesting::Json => " (setiap objek dan larik JSON adalah satu tingkat)",
            Nesting::Expression => " (setiap operator di dalam operator lain adalah satu tingkat)",
        }
    }
}

/// How deep a filter may nest: parentheses and prefix operators in cql2-text, arrays and
/// objects in cql2-json, operators in the parsed expression.
pub const MAX_DEPTH: usize = 64;

/// How many `AND` and `OR` a cql2-text filter may hold. `a = 1 OR a = 2 OR ...` is one flat
/// list once parsed, but the parser first builds it as a tree as deep as the chain is long and
/// then flattens it recursively (about 540 bytes of stack per `OR` in a debug build).
pub const MAX_AND_OR: usize = 1000;

impl Cql2Error {
    /// The message in Bahasa Indonesia.
    pub fn detail_id(&self) -> String {
        match self {
            Cql2Error::Parse(m) => format!("Filter tidak dapat dibaca: {m}"),
            Cql2Error::UnknownProperty { name, queryables } => format!(
                "Properti '{name}' tidak dikenal; properti yang dapat difilter: {}",
                queryables.join(", ")
            ),
            Cql2Error::Unsupported(m) => format!("{m} tidak didukung"),
            Cql2Error::Invalid(m) => format!("Filter tidak valid: {m}"),
            Cql2Error::TooDeep(n) => format!(
                "Filter bersarang lebih dari {MAX_DEPTH} tingkat{}",
                n.id()
            ),
            Cql2Error::TooComplex => "Filter terlalu rumit untuk dibaca; sederhanakan, misalnya dengan lebih sedikit tanda kurung bersarang".into(),
            Cql2Error::TooManyAndOr => format!(
                "Filter memuat lebih dari {MAX_AND_OR} AND dan OR; untuk membandingkan dengan banyak nilai gunakan IN (...)"
            ),
        }
    }
}

/// Parameters bound so far; placeholders are numbered in push order.
#[derive(Debug, Default, Clone)]
pub struct SqlParams {
    pub binds: Vec<BindValue>,
}

impl SqlParams {
    /// Binds `v` and returns its placeholder with the SQL cast `cast` (e.g. `$3::text`).
    pub fn push(&mut self, v: BindValue, cast: &str) -> String {
        self.binds.push(v);
        format!("${}::{cast}", self.binds.len())
    }
}

/// Parses a CQL2 filter and translates it into a `WHERE` fragment whose placeholders start at
/// `$1`, with the values to bind in order.
pub fn to_sql(
    filter: &str,
    lang: FilterLang,
    queryables: &[Queryable],
    filter_crs: Crs,
) -> Result<(String, Vec<BindValue>), Cql2Error> {
    let mut params = SqlParams::default();
    let sql = translate_into(&mut params, filter, lang, queryables, filter_crs)?;
    Ok((sql, params.binds))
}

/// Like [`to_sql`], appending to parameters already bound.
pub fn translate_into(
    params: &mut SqlParams,
    filter: &str,
    lang: FilterLang,
    queryables: &[Queryable],
    filter_crs: Crs,
) -> Result<String, Cql2Error> {
    if filter.len() > 256 * 1024 {
        return Err(Cql2Error::Invalid(
            "the filter is longer than 256 KiB".into(),
        ));
    }
    let expr = match lang {
        FilterLang::Text => {
            // Bounds what the parser's recursion will meet, and refuses unbalanced parentheses:
            // the text parser stops quietly at the first thing it cannot read ("a = 1 xyz"
            // parses as "a = 1"), so it reads the filter inside parentheses that the filter
            // cannot close early, where it must read the whole filter or fail.
            scan_text(filter)?;
            limit_parse_work();
            cql2::parse_text(&format!("({filter})")).map_err(text_parse_error)?
        }
        FilterLang::Json => {
            scan_json(filter)?;
            cql2::parse_json(filter).map_err(|e| Cql2Error::Parse(short(&e)))?
        }
    };
    if too_deep(&expr) {
        dismantle(expr);
        return Err(Cql2Error::TooDeep(Nesting::Expression));
    }
    let mut t = Translator {
        params,
        queryables,
        crs: filter_crs,
        depth: 0,
    };
    t.condition(&expr)
}

/// How much work the cql2-text parser may spend on one filter, in pest's counted calls.
///
/// The grammar backtracks: where a nested part fails, each enclosing `(` is read again as the
/// start of a list, so the work doubles with every level (20 parentheses around a mistake took
/// 10 s, 30 would take hours, all on a tokio worker). The densest valid filters of 256 KiB
/// (lists of about 130,000 numbers) need about 20 million calls; 40 million are about 0.5 s of
/// CPU.
pub const MAX_PARSE_CALLS: usize = 40_000_000;

/// Sets [`MAX_PARSE_CALLS`] as pest's limit. The limit is process-wide and cql2 is the only
/// user of pest in ruang.
fn limit_parse_work() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| pest::set_call_limit(std::num::NonZeroUsize::new(MAX_PARSE_CALLS)));
}

/// A cql2-text parse error, with pest's own limits told apart from mistakes in the filter.
fn text_parse_error(e: cql2::Error) -> Cql2Error {
    if let cql2::Error::Pest(p) = &e
        && let pest::error::ErrorVariant::CustomError { message } = &p.variant
    {
        match message.as_str() {
            "call limit reached" => return Cql2Error::TooComplex,
            "stack limit reached" => return Cql2Error::TooDeep(Nesting::Text),
            _ => {}
        }
    }
    Cql2Error::Parse(short(&e))
}

/// What the last token of cql2-text was, to tell a prefix `-` or `NOT` from an infix one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    /// The start, `(`, `,` or an operator: an operand comes next.
    Operator,
    /// An operand or `)`: an operator comes next.
    Operand,
}

/// Where [`scan_text`] stands inside one pair of parentheses.
#[derive(Clone, Copy, Default)]
struct Level {
    /// Levels outside this pair of parentheses, itself included.
    base: usize,
    /// Prefix operators (`NOT`, `-`) and comparison or arithmetic operators after the first
    /// since the last `AND`, `OR` or `,`: each may hold the next as an operand
    /// (`NOT -a = -b + 1` is four).
    run: usize,
    /// Whether a comparison or arithmetic operator came since the last `AND`, `OR` or `,`.
    infix: bool,
    /// Signs of numbers since the last `(` or `,`, which are not counted (below).
    signed_numbers: usize,
}

/// One pass over cql2-text before it reaches the parser, which recurses once per level of
/// nesting, as does the crate's clean-up of the tree it builds: quotes must close and
/// parentheses balance; nesting is at most [`MAX_DEPTH`] levels; and there are at most
/// [`MAX_AND_OR`] `AND` and `OR`.
///
/// Nesting is counted from the text, not by parsing: each parenthesis is a level, and so is
/// each prefix `NOT` or sign and each comparison or arithmetic operator after the first between
/// two `AND`, `OR` or `,` (`a = 1 = 1 = ...` nests to the right and `1 + 1 + ...` to the left,
/// one level per operator). A chain of `AND` and `OR` is flat
/// once parsed, but is a tree as deep as the chain while it is built, hence their own limit.
/// A sign right before a digit, after a space, `(` or `,` is taken for part of a number and not
/// counted, up to four of them between two `(` or `,` (a WKT coordinate has at most four
/// numbers), so `1 -1 -1 -1 ...`, which parses as a subtraction, still counts.
fn scan_text(filter: &str) -> Result<(), Cql2Error> {
    let too_deep = Err(Cql2Error::TooDeep(Nesting::Text));
    let mut outer: Vec<Level> = Vec::new();
    let mut here = Level::default();
    let mut and_or = 0;
    let mut last = Last::Operator;
    let mut after_space_or_open = true;
    let mut chars = filter.chars().peekable();
    while let Some(c) = chars.next() {
        let space_before = after_space_or_open;
        after_space_or_open = c.is_whitespace() || c == '(' || c == ',';
        // Whether `c` is a prefix, comparison or arithmetic operator, counted in `run`.
        let mut nests = false;
        match c {
            c if c.is_whitespace() => continue,
            '\'' | '"' => {
                // A doubled quote is a quote inside the string or name.
                loop {
                    match chars.next() {
                        None => return Err(Cql2Error::Parse("unterminated quote".into())),
                        Some(q) if q == c => {
                            if chars.peek() == Some(&c) {
                                chars.next();
                            } else {
                                break;
                            }
                        }
                        Some(_) => {}
                    }
                }
                last = Last::Operand;
            }
            '(' => {
                outer.push(here);
                here = Level {
                    base: here.base + here.run + 1,
                    ..Level::default()
                };
                if here.base > MAX_DEPTH {
                    return too_deep;
                }
                last = Last::Operator;
            }
            ')' => {
                let Some(o) = outer.pop() else {
                    return Err(Cql2Error::Parse("unbalanced ')'".into()));
                };
                here = o;
                last = Last::Operand;
            }
            ',' => {
                (here.run, here.infix, here.signed_numbers) = (0, false, 0);
                last = Last::Operator;
            }
            '-' | '+' => {
                let digit_next = chars.peek().is_some_and(char::is_ascii_digit);
                if digit_next && space_before && here.signed_numbers < 4 {
                    // The sign of a number, e.g. in POINT(123.6 -10.17).
                    here.signed_numbers += 1;
                } else {
                    // Infix after an operand, prefix otherwise.
                    nests = last == Last::Operator || here.infix;
                    here.infix |= last == Last::Operand;
                    last = Last::Operator;
                }
            }
            '=' | '<' | '>' | '!' | '*' | '/' | '%' | '^' => {
                if matches!(c, '<' | '>' | '!') && matches!(chars.peek(), Some('=' | '>')) {
                    chars.next();
                }
                nests = here.infix;
                here.infix = true;
                last = Last::Operator;
            }
            c if c.is_ascii_digit() => {
                // A number: digits, a fraction, an exponent with its sign.
                while let Some(&d) = chars.peek() {
                    if d.is_ascii_digit() || d == '.' {
                        chars.next();
                    } else if d == 'e' || d == 'E' {
                        chars.next();
                        if matches!(chars.peek(), Some('-' | '+')) {
                            chars.next();
                        }
                    } else {
                        break;
                    }
                }
                last = Last::Operand;
            }
            c if c.is_alphabetic() || c == '_' => {
                // A word: a keyword, a name or a function; only its first letters matter.
                let mut word = String::from(c);
                while let Some(&d) = chars.peek() {
                    if !(d.is_alphanumeric() || matches!(d, '_' | '.' | ':')) {
                        break;
                    }
                    if word.len() < 8 {
                        word.push(d);
                    }
                    chars.next();
                }
                match word.to_ascii_lowercase().as_str() {
                    "and" | "or" => {
                        and_or += 1;
                        if and_or > MAX_AND_OR {
                            return Err(Cql2Error::TooManyAndOr);
                        }
                        (here.run, here.infix) = (0, false);
                        last = Last::Operator;
                    }
                    // After an operand, NOT is part of NOT LIKE, NOT IN or NOT BETWEEN, which
                    // count as one operator.
                    "not" if last == Last::Operand => {}
                    "not" => {
                        nests = true;
                        last = Last::Operator;
                    }
                    "like" | "in" | "between" | "is" | "div" => {
                        nests = here.infix;
                        here.infix = true;
                        last = Last::Operator;
                    }
                    _ => last = Last::Operand,
                }
            }
            _ => last = Last::Operand,
        }
        if nests {
            here.run += 1;
            if here.base + here.run > MAX_DEPTH {
                return too_deep;
            }
        }
    }
    if !outer.is_empty() {
        return Err(Cql2Error::Parse("unbalanced '('".into()));
    }
    Ok(())
}

/// cql2-json may nest arrays and objects at most [`MAX_DEPTH`] levels (serde_json itself
/// stops at 128), so the expression it describes is at most half that deep.
fn scan_json(filter: &str) -> Result<(), Cql2Error> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for b in filter.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Cql2Error::TooDeep(Nesting::Json));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The children of an expression node (none for a value).
fn children(e: &Expr) -> &[Box<Expr>] {
    match e {
        Expr::Operation { args: v, .. }
        | Expr::Interval { interval: v }
        | Expr::BBox { bbox: v }
        | Expr::Array(v) => v,
        Expr::Timestamp { timestamp: b } | Expr::Date { date: b } => std::slice::from_ref(b),
        _ => &[],
    }
}

/// Whether operators (nodes with children) nest more than [`MAX_DEPTH`] levels; without
/// recursion, so that the translator and [`const_num`] below it need not count.
fn too_deep(e: &Expr) -> bool {
    let mut todo = vec![(e, 1usize)];
    while let Some((e, level)) = todo.pop() {
        let kids = children(e);
        if kids.is_empty() {
            continue;
        }
        if level > MAX_DEPTH {
            return true;
        }
        todo.extend(kids.iter().map(|k| (k.as_ref(), level + 1)));
    }
    false
}

/// Drops an expression without recursion, since dropping it the usual way recurses once per
/// level.
fn dismantle(e: Expr) {
    let mut todo = vec![e];
    while let Some(mut e) = todo.pop() {
        match &mut e {
            Expr::Operation { args: v, .. }
            | Expr::Interval { interval: v }
            | Expr::BBox { bbox: v }
            | Expr::Array(v) => todo.extend(v.drain(..).map(|b| *b)),
            Expr::Timestamp { timestamp: b } | Expr::Date { date: b } => {
                todo.push(std::mem::replace(b.as_mut(), Expr::Null));
            }
            _ => {}
        }
    }
}

/// A number written as a constant expression (cql2-text writes -1.5 as -1 * 1.5).
fn const_num(e: &Expr) -> Option<f64> {
    match e {
        Expr::Float(f) if f.is_finite() => Some(*f),
        Expr::Operation { op, args } if args.len() == 2 => {
            let (a, b) = (const_num(&args[0])?, const_num(&args[1])?);
            let v = match op.as_str() {
                "*" => a * b,
                "+" => a + b,
                "-" => a - b,
                _ => return None,
            };
            v.is_finite().then_some(v)
        }
        _ => None,
    }
}

fn short(e: &dyn std::fmt::Display) -> String {
    let s = e.to_string().replace('\n', " ");
    if s.len() > 300 {
        format!("{}…", &s[..s.floor_char_boundary(300)])
    } else {
        s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Text,
    Num,
    Bool,
    Time,
    Geom,
    /// `NULL`: fits any type.
    Null,
}

impl Ty {
    fn of(q: QType) -> Ty {
        match q {
            QType::String => Ty::Text,
            QType::Integer | QType::Number => Ty::Num,
            QType::Boolean => Ty::Bool,
            QType::Date | QType::DateTime => Ty::Time,
            QType::Geometry => Ty::Geom,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Ty::Text => "a string",
            Ty::Num => "a number",
            Ty::Bool => "a boolean",
            Ty::Time => "a date or time",
            Ty::Geom => "a geometry",
            Ty::Null => "NULL",
        }
    }
}

struct Val {
    sql: String,
    ty: Ty,
}

struct Translator<'a> {
    params: &'a mut SqlParams,
    queryables: &'a [Queryable],
    crs: Crs,
    depth: usize,
}

impl Translator<'_> {
    fn property(&self, name: &str) -> Result<&Queryable, Cql2Error> {
        self.queryables
            .iter()
            .find(|q| q.name == name)
            .ok_or_else(|| Cql2Error::UnknownProperty {
                name: name.chars().take(100).collect(),
                queryables: self.queryables.iter().map(|q| q.name.clone()).collect(),
            })
    }

    /// An expression that is true or false.
    fn condition(&mut self, e: &Expr) -> Result<String, Cql2Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH + 1 {
            // `too_deep` has refused deeper trees already; this keeps the recursion bounded
            // should that ever change. (+1: a value at the deepest level.)
            return Err(Cql2Error::TooDeep(Nesting::Expression));
        }
        let out = self.condition_inner(e);
        self.depth -= 1;
        out
    }

    fn condition_inner(&mut self, e: &Expr) -> Result<String, Cql2Error> {
        match e {
            Expr::Bool(b) => Ok(if *b { "TRUE" } else { "FALSE" }.into()),
            Expr::Property { .. } => {
                let v = self.value(e, None)?;
                if v.ty != Ty::Bool {
                    return Err(Cql2Error::Invalid(format!(
                        "a property used as a condition must be a boolean; this one is {}",
                        v.ty.name()
                    )));
                }
                Ok(v.sql)
            }
            Expr::Operation { op, args } => {
                let lop = op.to_ascii_lowercase();
                match lop.as_str() {
                    "and" | "or" => {
                        if args.is_empty() {
                            return Err(Cql2Error::Invalid(format!("{op} needs arguments")));
                        }
                        let parts = args
                            .iter()
                            .map(|a| self.condition(a))
                            .collect::<Result<Vec<_>, _>>()?;
                        let sep = if lop == "and" { " AND " } else { " OR " };
                        Ok(format!("({})", parts.join(sep)))
                    }
                    "not" => {
                        let [a] = arity::<1>(op, args)?;
                        Ok(format!("(NOT {})", self.condition(a)?))
                    }
                    "=" | "<>" | "<" | "<=" | ">" | ">=" => {
                        let [a, b] = arity::<2>(op, args)?;
                        let (va, vb) = self.pair(a, b)?;
                        if va.ty == Ty::Geom || vb.ty == Ty::Geom {
                            return Err(Cql2Error::Invalid(
                                "geometries are compared with S_EQUALS, not with =".into(),
                            ));
                        }
                        if lop != "=" && lop != "<>" && va.ty == Ty::Bool {
                            return Err(Cql2Error::Invalid(
                                "booleans can only be compared with = and <>".into(),
                            ));
                        }
                        Ok(format!("({} {lop} {})", va.sql, vb.sql))
                    }
                    "like" => {
                        let [a, b] = arity::<2>(op, args)?;
                        let (va, vb) = self.pair(a, b)?;
                        if va.ty != Ty::Text || vb.ty != Ty::Text {
                            return Err(Cql2Error::Invalid(
                                "LIKE compares strings with a string pattern".into(),
                            ));
                        }
                        Ok(format!("({} LIKE {})", va.sql, vb.sql))
                    }
                    "between" => {
                        let [a, lo, hi] = arity::<3>(op, args)?;
                        let (va, vlo) = self.pair(a, lo)?;
                        let vhi = self.value(hi, Some(va.ty))?;
                        check_same(&va, &vhi)?;
                        if va.ty != Ty::Num && va.ty != Ty::Time {
                            return Err(Cql2Error::Invalid(
                                "BETWEEN needs numbers or dates".into(),
                            ));
                        }
                        Ok(format!("({} BETWEEN {} AND {})", va.sql, vlo.sql, vhi.sql))
                    }
                    "in" => {
                        let [a, list] = arity::<2>(op, args)?;
                        let Expr::Array(items) = list else {
                            return Err(Cql2Error::Invalid("IN needs a list".into()));
                        };
                        if items.is_empty() {
                            return Err(Cql2Error::Invalid("IN needs a non-empty list".into()));
                        }
                        let va = self.value(a, None)?;
                        let mut vals = Vec::with_capacity(items.len().min(1000));
                        for it in items {
                            let v = self.value(it, Some(va.ty))?;
                            check_same(&va, &v)?;
                            vals.push(v.sql);
                        }
                        Ok(format!("({} IN ({}))", va.sql, vals.join(", ")))
                    }
                    "isnull" => {
                        let [a] = arity::<1>(op, args)?;
                        let v = self.value(a, None)?;
                        Ok(format!("({} IS NULL)", v.sql))
                    }
                    s if s.starts_with("s_") => self.spatial(op, &lop, args),
                    s if s.starts_with("t_") => self.temporal(op, &lop, args),
                    s if s.starts_with("a_") => {
                        Err(Cql2Error::Unsupported(format!("the array predicate {op}")))
                    }
                    _ => Err(Cql2Error::Unsupported(format!(
                        "the operator or function '{}'",
                        op.chars().take(50).collect::<String>()
                    ))),
                }
            }
            _ => Err(Cql2Error::Invalid(
                "the filter must be a condition (a comparison or predicate)".into(),
            )),
        }
    }

    /// Translates two operands that must share a type; an untyped literal takes the type of
    /// the other side (a string next to a date property is read as a date).
    fn pair(&mut self, a: &Expr, b: &Expr) -> Result<(Val, Val), Cql2Error> {
        let (va, vb) = if is_plain_literal(a) && !is_plain_literal(b) {
            let vb = self.value(b, None)?;
            let va = self.value(a, Some(vb.ty))?;
            (va, vb)
        } else {
            let va = self.value(a, None)?;
            let vb = self.value(b, Some(va.ty))?;
            (va, vb)
        };
        check_same(&va, &vb)?;
        Ok((va, vb))
    }

    /// A scalar value. `hint` is the type the other side of a comparison has.
    fn value(&mut self, e: &Expr, hint: Option<Ty>) -> Result<Val, Cql2Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH + 1 {
            // `too_deep` has refused deeper trees already; this keeps the recursion bounded
            // should that ever change. (+1: a value at the deepest level.)
            return Err(Cql2Error::TooDeep(Nesting::Expression));
        }
        let out = self.value_inner(e, hint);
        self.depth -= 1;
        out
    }

    fn value_inner(&mut self, e: &Expr, hint: Option<Ty>) -> Result<Val, Cql2Error> {
        match e {
            Expr::Property { property } => {
                let q = self.property(property)?;
                Ok(Val {
                    sql: q.sql.clone(),
                    ty: Ty::of(q.ty),
                })
            }
            Expr::Literal(s) => match hint {
                Some(Ty::Time) => self.instant(s),
                Some(Ty::Num) => Err(Cql2Error::Invalid(format!(
                    "'{}' is a string where a number is expected",
                    clip(s)
                ))),
                Some(Ty::Bool) => Err(Cql2Error::Invalid(format!(
                    "'{}' is a string where true or false is expected",
                    clip(s)
                ))),
                _ => Ok(Val {
                    sql: self.params.push(BindValue::Text(s.clone()), "text"),
                    ty: Ty::Text,
                }),
            },
            Expr::Float(f) => {
                if !f.is_finite() {
                    return Err(Cql2Error::Invalid("numbers must be finite".into()));
                }
                Ok(Val {
                    sql: self.params.push(BindValue::Float(*f), "float8"),
                    ty: Ty::Num,
                })
            }
            Expr::Bool(b) => Ok(Val {
                sql: self.params.push(BindValue::Bool(*b), "boolean"),
                ty: Ty::Bool,
            }),
            Expr::Null => Ok(Val {
                sql: "NULL".into(),
                ty: Ty::Null,
            }),
            Expr::Timestamp { timestamp } => match timestamp.as_ref() {
                Expr::Literal(s) => self.instant(s),
                _ => Err(Cql2Error::Invalid("TIMESTAMP needs a string".into())),
            },
            Expr::Date { date } => match date.as_ref() {
                Expr::Literal(s) => self.date(s),
                _ => Err(Cql2Error::Invalid("DATE needs a string".into())),
            },
            Expr::Geometry(_) | Expr::BBox { .. } => self.geometry(e),
            Expr::Operation { op, args } => {
                let lop = op.to_ascii_lowercase();
                match lop.as_str() {
                    "casei" => {
                        let [a] = arity::<1>(op, args)?;
                        let v = self.value(a, Some(Ty::Text))?;
                        if v.ty != Ty::Text {
                            return Err(Cql2Error::Invalid("CASEI needs a string".into()));
                        }
                        Ok(Val {
                            sql: format!("lower({})", v.sql),
                            ty: Ty::Text,
                        })
                    }
                    "+" | "-" | "*" | "/" => {
                        if args.len() < 2 {
                            return Err(Cql2Error::Invalid(format!("{op} needs two operands")));
                        }
                        let mut parts = Vec::new();
                        for a in args {
                            let v = self.value(a, Some(Ty::Num))?;
                            if v.ty != Ty::Num {
                                return Err(Cql2Error::Invalid(format!(
                                    "arithmetic needs numbers, not {}",
                                    v.ty.name()
                                )));
                            }
                            parts.push(format!("({})::float8", v.sql));
                        }
                        let sql = if lop == "/" {
                            parts
                                .into_iter()
                                .reduce(|a, b| format!("({a} / NULLIF({b}, 0))"))
                                .unwrap_or_default()
                        } else {
                            format!("({})", parts.join(&format!(" {lop} ")))
                        };
                        Ok(Val { sql, ty: Ty::Num })
                    }
                    "accenti" => Err(Cql2Error::Unsupported("ACCENTI".into())),
                    _ => Err(Cql2Error::Invalid(format!(
                        "'{}' is a condition where a value is expected",
                        op.chars().take(50).collect::<String>()
                    ))),
                }
            }
            Expr::Array(_) => Err(Cql2Error::Invalid("a list is only allowed after IN".into())),
            Expr::Interval { .. } => Err(Cql2Error::Invalid(
                "an INTERVAL is only allowed in a temporal predicate".into(),
            )),
        }
    }

    fn instant(&mut self, s: &str) -> Result<Val, Cql2Error> {
        if DateTime::parse_from_rfc3339(s).is_ok() {
            Ok(Val {
                sql: self
                    .params
                    .push(BindValue::Text(s.to_string()), "timestamptz"),
                ty: Ty::Time,
            })
        } else if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
            self.date(s)
        } else {
            Err(Cql2Error::Invalid(format!(
                "'{}' is not a date (YYYY-MM-DD) or an RFC 3339 time",
                clip(s)
            )))
        }
    }

    fn date(&mut self, s: &str) -> Result<Val, Cql2Error> {
        if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() {
            return Err(Cql2Error::Invalid(format!(
                "'{}' is not a date (YYYY-MM-DD)",
                clip(s)
            )));
        }
        Ok(Val {
            sql: self.params.push(BindValue::Text(s.to_string()), "date"),
            ty: Ty::Time,
        })
    }

    /// A geometry operand in the storage CRS (EPSG:4326, lon/lat).
    fn geometry(&mut self, e: &Expr) -> Result<Val, Cql2Error> {
        let srid = self.crs.srid();
        match e {
            Expr::Property { .. } => {
                let v = self.value(e, None)?;
                if v.ty != Ty::Geom {
                    return Err(Cql2Error::Invalid(format!(
                        "spatial predicates need a geometry; this property is {}",
                        v.ty.name()
                    )));
                }
                Ok(v)
            }
            Expr::Geometry(g) => {
                let wkt = g
                    .to_wkt()
                    .map_err(|e| Cql2Error::Invalid(format!("bad geometry: {}", short(&e))))?;
                if wkt.parse::<wkt::Wkt<f64>>().is_err() {
                    return Err(Cql2Error::Invalid(format!(
                        "bad geometry: '{}'",
                        clip(&wkt)
                    )));
                }
                let p = self.params.push(BindValue::Text(wkt), "text");
                Ok(Val {
                    sql: self
                        .crs
                        .to_storage_sql(&format!("ST_GeomFromText({p}, {srid})")),
                    ty: Ty::Geom,
                })
            }
            Expr::BBox { bbox: args } | Expr::Operation { args, .. }
                if matches!(e, Expr::BBox { .. })
                    || matches!(e, Expr::Operation { op, .. } if op.eq_ignore_ascii_case("bbox")) =>
            {
                let nums = args
                    .iter()
                    .map(|b| {
                        const_num(b)
                            .ok_or_else(|| Cql2Error::Invalid("BBOX needs 4 or 6 numbers".into()))
                    })
                    .collect::<Result<Vec<f64>, _>>()?;
                let (x1, y1, x2, y2) = match nums.as_slice() {
                    [a, b, c, d] => (*a, *b, *c, *d),
                    [a, b, _, d, e, _] => (*a, *b, *d, *e),
                    _ => return Err(Cql2Error::Invalid("BBOX needs 4 or 6 numbers".into())),
                };
                let ps: Vec<String> = [x1, y1, x2, y2]
                    .into_iter()
                    .map(|v| self.params.push(BindValue::Float(v), "float8"))
                    .collect();
                Ok(Val {
                    sql: self.crs.to_storage_sql(&format!(
                        "ST_MakeEnvelope({}, {}, {}, {}, {srid})",
                        ps[0], ps[1], ps[2], ps[3]
                    )),
                    ty: Ty::Geom,
                })
            }
            _ => Err(Cql2Error::Invalid(
                "spatial predicates need a geometry property, a WKT or GeoJSON geometry or a BBOX"
                    .into(),
            )),
        }
    }

    fn spatial(&mut self, op: &str, lop: &str, args: &[Box<Expr>]) -> Result<String, Cql2Error> {
        let f = match lop {
            "s_intersects" => "ST_Intersects",
            "s_within" => "ST_Within",
            "s_contains" => "ST_Contains",
            "s_disjoint" => "ST_Disjoint",
            "s_equals" => "ST_Equals",
            "s_touches" => "ST_Touches",
            "s_crosses" => "ST_Crosses",
            "s_overlaps" => "ST_Overlaps",
            _ => {
                return Err(Cql2Error::Unsupported(format!(
                    "the spatial predicate {}",
                    clip(op)
                )));
            }
        };
        let [a, b] = arity::<2>(op, args)?;
        let ga = self.geometry(a)?;
        let gb = self.geometry(b)?;
        Ok(format!("{f}({}, {})", ga.sql, gb.sql))
    }

    /// A temporal operand as (start, end) SQL; an instant has start = end.
    fn period(&mut self, e: &Expr) -> Result<(String, String), Cql2Error> {
        match e {
            Expr::Interval { interval } => {
                let [a, b] = interval.as_slice() else {
                    return Err(Cql2Error::Invalid("INTERVAL needs two ends".into()));
                };
                let start = self.bound(a, "'-infinity'::timestamptz")?;
                let end = self.bound(b, "'infinity'::timestamptz")?;
                Ok((start, end))
            }
            _ => {
                let v = self.value(e, Some(Ty::Time))?;
                if v.ty != Ty::Time {
                    return Err(Cql2Error::Invalid(format!(
                        "temporal predicates need dates, times or intervals, not {}",
                        v.ty.name()
                    )));
                }
                Ok((v.sql.clone(), v.sql))
            }
        }
    }

    fn bound(&mut self, e: &Expr, open: &str) -> Result<String, Cql2Error> {
        if let Expr::Literal(s) = e
            && s == ".."
        {
            return Ok(open.to_string());
        }
        let v = self.value(e, Some(Ty::Time))?;
        if v.ty != Ty::Time {
            return Err(Cql2Error::Invalid(
                "the ends of an INTERVAL must be dates, times or '..'".into(),
            ));
        }
        Ok(v.sql)
    }

    fn temporal(&mut self, op: &str, lop: &str, args: &[Box<Expr>]) -> Result<String, Cql2Error> {
        let [a, b] = arity::<2>(op, args)?;
        let (s1, e1) = self.period(a)?;
        let (s2, e2) = self.period(b)?;
        let sql = match lop {
            "t_before" => format!("({e1} < {s2})"),
            "t_after" => format!("({s1} > {e2})"),
            "t_meets" => format!("({e1} = {s2})"),
            "t_metby" => format!("({s1} = {e2})"),
            "t_overlaps" => format!("({s1} < {s2} AND {e1} > {s2} AND {e1} < {e2})"),
            "t_overlappedby" => format!("({s2} < {s1} AND {e2} > {s1} AND {e2} < {e1})"),
            "t_starts" => format!("({s1} = {s2} AND {e1} < {e2})"),
            "t_startedby" => format!("({s1} = {s2} AND {e1} > {e2})"),
            "t_during" => format!("({s1} > {s2} AND {e1} < {e2})"),
            "t_contains" => format!("({s1} < {s2} AND {e1} > {e2})"),
            "t_finishes" => format!("({s1} > {s2} AND {e1} = {e2})"),
            "t_finishedby" => format!("({s1} < {s2} AND {e1} = {e2})"),
            "t_equals" => format!("({s1} = {s2} AND {e1} = {e2})"),
            "t_disjoint" => format!("({e1} < {s2} OR {s1} > {e2})"),
            "t_intersects" => format!("({s1} <= {e2} AND {e1} >= {s2})"),
            _ => {
                return Err(Cql2Error::Unsupported(format!(
                    "the temporal predicate {}",
                    clip(op)
                )));
            }
        };
        Ok(sql)
    }
}

fn is_plain_literal(e: &Expr) -> bool {
    matches!(e, Expr::Literal(_) | Expr::Null)
}

fn check_same(a: &Val, b: &Val) -> Result<(), Cql2Error> {
    if a.ty == b.ty || a.ty == Ty::Null || b.ty == Ty::Null {
        Ok(())
    } else {
        Err(Cql2Error::Invalid(format!(
            "{} cannot be compared with {}",
            a.ty.name(),
            b.ty.name()
        )))
    }
}

fn arity<'a, const N: usize>(op: &str, args: &'a [Box<Expr>]) -> Result<[&'a Expr; N], Cql2Error> {
    if args.len() != N {
        return Err(Cql2Error::Invalid(format!(
            "{} needs {N} argument(s), got {}",
            clip(op),
            args.len()
        )));
    }
    Ok(std::array::from_fn(|i| args[i].as_ref()))
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qs() -> Vec<Queryable> {
        vec![
            Queryable {
                name: "zone_code".into(),
                sql: "t.\"zone_code\"".into(),
                ty: QType::String,
            },
            Queryable {
                name: "kdb_max".into(),
                sql: "t.\"kdb_max\"".into(),
                ty: QType::Number,
            },
            Queryable {
                name: "plan_active".into(),
                sql: "t.\"plan_active\"".into(),
                ty: QType::Boolean,
            },
            Queryable {
                name: "reported_at".into(),
                sql: "t.\"reported_at\"".into(),
                ty: QType::DateTime,
            },
            Queryable {
                name: "geometry".into(),
                sql: "t.\"geom\"".into(),
                ty: QType::Geometry,
            },
        ]
    }

    fn text(f: &str) -> Result<(String, Vec<BindValue>), Cql2Error> {
        to_sql(f, FilterLang::Text, &qs(), Crs::Crs84)
    }

    #[test]
    fn comparisons_become_bound_parameters() {
        let (sql, b) = text("zone_code = 'R-2' AND kdb_max >= 60").unwrap();
        assert_eq!(
            sql,
            "((t.\"zone_code\" = $1::text) AND (t.\"kdb_max\" >= $2::float8))"
        );
        assert_eq!(
            b,
            vec![BindValue::Text("R-2".into()), BindValue::Float(60.0)]
        );
    }

    #[test]
    fn doubled_quotes_and_quoted_property_names_are_read() {
        // Kupang names carry apostrophes (Jum'at); CQL2 text doubles them inside a literal.
        let (sql, b) = text("zone_code = 'Jum''at' OR zone_code LIKE '%''%'").unwrap();
        assert_eq!(
            sql,
            "((t.\"zone_code\" = $1::text) OR (t.\"zone_code\" LIKE $2::text))"
        );
        assert_eq!(
            b,
            vec![
                BindValue::Text("Jum'at".into()),
                BindValue::Text("%'%".into())
            ]
        );
        // A property name in double quotes is the same property.
        let (quoted, qb) = text("\"zone_code\" = 'R-2'").unwrap();
        assert_eq!(quoted, "(t.\"zone_code\" = $1::text)");
        assert_eq!(qb, vec![BindValue::Text("R-2".into())]);
    }

    #[test]
    fn text_and_json_give_the_same_sql() {
        let (a, ba) = text("zone_code IN ('R-2','K-1') OR NOT plan_active").unwrap();
        let (b, bb) = to_sql(
            r#"{"op":"or","args":[{"op":"in","args":[{"property":"zone_code"},["R-2","K-1"]]},
               {"op":"not","args":[{"property":"plan_active"}]}]}"#,
            FilterLang::Json,
            &qs(),
            Crs::Crs84,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(ba, bb);
    }

    #[test]
    fn like_between_isnull() {
        let (sql, _) =
            text("zone_code LIKE 'R-%' AND kdb_max BETWEEN 40 AND 70 AND zone_code IS NULL")
                .unwrap();
        assert!(sql.contains("LIKE $1::text"), "{sql}");
        assert!(sql.contains("BETWEEN $2::float8 AND $3::float8"), "{sql}");
        assert!(sql.contains("IS NULL"), "{sql}");
    }

    #[test]
    fn spatial_predicates_with_wkt_and_crs() {
        let (sql, b) = text("S_INTERSECTS(geometry, POINT(123.6 -10.17))").unwrap();
        assert_eq!(
            sql,
            "ST_Intersects(t.\"geom\", ST_GeomFromText($1::text, 4326))"
        );
        assert!(matches!(&b[0], BindValue::Text(w) if w.starts_with("POINT")));
        let (sql, _) = to_sql(
            "S_WITHIN(geometry, BBOX(-10.2, 123.5, -10.1, 123.7))",
            FilterLang::Text,
            &qs(),
            Crs::Epsg4326,
        )
        .unwrap();
        assert!(
            sql.starts_with("ST_Within(t.\"geom\", ST_FlipCoordinates(ST_MakeEnvelope("),
            "{sql}"
        );
        let (sql, _) = to_sql(
            "S_CONTAINS(geometry, POINT(600000 8870000))",
            FilterLang::Text,
            &qs(),
            Crs::Utm51s,
        )
        .unwrap();
        assert!(
            sql.contains("ST_Transform(ST_GeomFromText($1::text, 32751), 4326)"),
            "{sql}"
        );
    }

    #[test]
    fn temporal_predicates() {
        let (sql, b) =
            text("T_DURING(reported_at, INTERVAL('2025-01-01T00:00:00Z', '..'))").unwrap();
        assert_eq!(
            sql,
            "(t.\"reported_at\" > $1::timestamptz AND t.\"reported_at\" < 'infinity'::timestamptz)"
        );
        assert_eq!(b.len(), 1);
        let (sql, _) = text("T_BEFORE(reported_at, DATE('2025-01-01'))").unwrap();
        assert_eq!(sql, "(t.\"reported_at\" < $1::date)");
        // A string compared with a date property is read as a date.
        let (sql, _) = text("reported_at > '2025-03-01'").unwrap();
        assert_eq!(sql, "(t.\"reported_at\" > $1::date)");
    }

    #[test]
    fn nesting_is_bounded_before_parsing() {
        let parens = |n: usize, inner: &str| format!("{}{inner}{}", "(".repeat(n), ")".repeat(n));
        let nested = |r: Result<(String, Vec<BindValue>), Cql2Error>| {
            matches!(r, Err(Cql2Error::TooDeep(Nesting::Text)))
        };
        assert!(text(&parens(64, "zone_code = 'a'")).is_ok());
        assert!(nested(text(&parens(65, "zone_code = 'a'"))));
        assert!(nested(text(&parens(100_000, "zone_code = 'a'"))));
        // Parentheses in strings and quoted names do not count, doubled quotes included.
        assert!(text(&format!("zone_code = '{}'", "(".repeat(500))).is_ok());
        assert!(
            text(&format!(
                "zone_code = '{}''{}'",
                "(".repeat(99),
                ")".repeat(3)
            ))
            .is_ok()
        );
        assert!(matches!(
            text(&format!("\"zone_code{}\" = 'a'", "(".repeat(99))),
            Err(Cql2Error::UnknownProperty { .. })
        ));
        // NOT (a = -(1 + 2)) is four levels: 60 around it are allowed, 61 are not.
        let four = "NOT (kdb_max = -(1 + 2))";
        assert!(text(&parens(60, four)).is_ok());
        assert!(nested(text(&parens(61, four))));
        // Prefix NOT and signs, chained comparisons and arithmetic.
        assert!(nested(text(&format!(
            "{}zone_code = 'a'",
            "NOT ".repeat(65)
        ))));
        assert!(nested(text(&format!("kdb_max = {}1", "-".repeat(65)))));
        assert!(nested(text(&format!("kdb_max = {}1", "- ".repeat(65)))));
        assert!(nested(text(&format!("kdb_max{}", " = 1".repeat(66)))));
        assert!(nested(text(&format!("kdb_max = 1{}", "+1".repeat(66)))));
        assert!(nested(text(&format!("kdb_max = 1{}", " -1".repeat(70)))));
        // A chain is counted between AND, OR and commas only.
        let clause = format!("kdb_max = 1{}", " + 1".repeat(40));
        assert!(text(&format!("{clause} AND {clause} OR {clause}")).is_ok());
        // The signs of WKT coordinates are numbers, not operators.
        let ring: Vec<String> = (0..3000)
            .map(|i| {
                format!(
                    "{} -{}",
                    123.5 + f64::from(i) * 1e-5,
                    10.1 + f64::from(i) * 1e-5
                )
            })
            .collect();
        let poly = format!(
            "S_INTERSECTS(geometry, POLYGON(({}, {})))",
            ring.join(", "),
            ring[0]
        );
        assert!(scan_text(&poly).is_ok());
        // Nested deeper than allowed once parsed: 64 NOT around a comparison.
        assert!(matches!(
            text(&format!("{}zone_code = 'a'", "NOT ".repeat(64))),
            Err(Cql2Error::TooDeep(Nesting::Expression))
        ));
        // Both languages name the limit.
        let e = text(&parens(65, "zone_code = 'a'")).unwrap_err();
        assert!(e.to_string().contains("nested more than 64 levels"), "{e}");
        assert!(
            e.detail_id().contains("bersarang lebih dari 64 tingkat"),
            "{e}"
        );
    }

    #[test]
    fn and_or_chains_are_bounded() {
        let chain = |n: usize| format!("zone_code = 'a'{}", " OR zone_code = 'a'".repeat(n));
        assert!(text(&chain(MAX_AND_OR)).is_ok());
        let e = text(&chain(MAX_AND_OR + 1)).unwrap_err();
        assert!(matches!(e, Cql2Error::TooManyAndOr), "{e}");
        assert!(e.to_string().contains("more than 1000 AND and OR"), "{e}");
        assert!(e.detail_id().contains("lebih dari 1000 AND dan OR"), "{e}");
        // Names that only begin like a keyword are names, and a keyword in a string is text.
        let names = "notes = 1 OR order = 2 OR andesit = 3 OR ".repeat(300) + "x = 1";
        assert!(scan_text(&names).is_ok());
        assert!(scan_text(&format!("zone_code = '{}'", "AND ".repeat(5000))).is_ok());
    }

    #[test]
    fn parsing_work_is_bounded() {
        // Without the limit this takes hours: each parenthesis around the mistake doubles it.
        let started = std::time::Instant::now();
        let e = text(&format!(
            "{}zone_code = 'a' xyz{}",
            "(".repeat(40),
            ")".repeat(40)
        ))
        .unwrap_err();
        assert!(matches!(e, Cql2Error::TooComplex), "{e}");
        assert!(e.detail_id().contains("terlalu rumit"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn json_nesting_is_bounded_before_parsing() {
        let nots = |n: usize| {
            format!(
                "{}{{\"op\":\"=\",\"args\":[{{\"property\":\"zone_code\"}},\"a\"]}}{}",
                "{\"op\":\"not\",\"args\":[".repeat(n),
                "]}".repeat(n)
            )
        };
        let json = |f: &str| to_sql(f, FilterLang::Json, &qs(), Crs::Crs84);
        assert!(json(&nots(30)).is_ok());
        assert!(matches!(
            json(&nots(31)),
            Err(Cql2Error::TooDeep(Nesting::Json))
        ));
        // Brackets in strings, escaped quotes included, do not count.
        let s = format!(
            r#"{{"op":"=","args":[{{"property":"zone_code"}},"\"{}"]}}"#,
            "[{".repeat(200)
        );
        assert!(json(&s).is_ok(), "{s}");
        assert!(scan_json(&format!("{}{}", "[".repeat(64), "]".repeat(64))).is_ok());
        assert!(scan_json(&format!("{}{}", "[".repeat(65), "]".repeat(65))).is_err());
        let e = json(&nots(1000)).unwrap_err();
        assert!(e.to_string().contains("JSON object and array"), "{e}");
    }

    #[test]
    fn a_refused_tree_is_taken_apart_without_recursion() {
        // 200,000 levels would need far more than this thread's 256 KiB to drop recursively.
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let mut e = Expr::Property {
                    property: "kdb_max".into(),
                };
                for _ in 0..200_000 {
                    e = Expr::Operation {
                        op: "+".into(),
                        args: vec![Box::new(e), Box::new(Expr::Float(1.0))],
                    };
                }
                assert!(too_deep(&e));
                dismantle(e);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn refusals() {
        match text("nope = 1") {
            Err(Cql2Error::UnknownProperty { name, queryables }) => {
                assert_eq!(name, "nope");
                assert!(queryables.contains(&"zone_code".to_string()));
            }
            other => panic!("{other:?}"),
        }
        for bad in [
            "zone_code = ",
            "zone_code = 5",
            "kdb_max = 'x'",
            "reported_at > 'yesterday'",
            "S_INTERSECTS(zone_code, POINT(1 2))",
            "zone_code = 'a'; DROP TABLE zones; --",
            "ACCENTI(zone_code) = 'a'",
            "zone_code = 'a' xyz",
            "zone_code = 'a' AND",
            "zone_code = 'a') OR (1=1",
            "zone_code = 'a'' OR ''1''=''1",
        ] {
            assert!(text(bad).is_err(), "{bad} should be refused");
        }
        // A quoted identifier that tries to break out is still just an unknown name.
        assert!(matches!(
            text("\"zone_code\"\"; DROP TABLE zones; --\" = 'x'"),
            Err(Cql2Error::UnknownProperty { .. }) | Err(Cql2Error::Parse(_))
        ));
    }
}
