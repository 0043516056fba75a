//! Text every view writes: human times and sizes, aligned plain-text tables, shell words. A leaf of the
//! toolkit.

/// `100000` -> `100,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in seconds, in a unit that keeps 3-4 significant digits.
pub fn human_time(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

/// `v` formatted, or `-` when there is none.
pub fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".into(), f)
}

/// Left-aligns text columns and right-aligns numeric ones (all but the first `text_cols`).
pub fn aligned(header: &[&str], rows: &[Vec<String>], text_cols: usize) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| if i < text_cols { format!("{c:<w$}") } else { format!("{c:>w$}") })
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.iter().map(|s| s.to_string()).collect());
    out += &line(widths.iter().map(|&w| "-".repeat(w)).collect());
    for r in rows {
        out += &line(r.clone());
    }
    out
}

/// A shell word, quoted when it needs to be.
pub fn shell_word(w: &str) -> String {
    if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=,:@".contains(c)) {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// `512 B`, `4.6 KiB`, `1.2 MiB`.
pub fn bytes_text(b: f64) -> String {
    if b < 1024.0 {
        format!("{b:.0} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    }
}

/// A duration in s, readable at any length: µs below 1 ms, then ms, with the decimals that matter.
pub fn short_time(s: f64) -> String {
    if s < 1e-5 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1e-2 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

/// A CSV file read by its header: each row's cells by column name. Quoted cells (`"a, b"`, `""` for a quote)
/// are read whole. A row with fewer cells than the header leaves the rest empty.
pub struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    /// Reads `text`: the first line is the header. `None` when the header lacks one of `needed`.
    pub fn parse(text: &str, needed: &[&str]) -> Option<Csv> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = csv_cells(lines.next()?);
        if !needed.iter().all(|n| header.iter().any(|h| h == n)) {
            return None;
        }
        Some(Csv { header, rows: lines.map(csv_cells).collect() })
    }

    /// The rows, each read through [`CsvRow`].
    pub fn rows(&self) -> impl Iterator<Item = CsvRow<'_>> {
        self.rows.iter().map(|cells| CsvRow { csv: self, cells })
    }
}

/// One row of a [`Csv`].
pub struct CsvRow<'a> {
    csv: &'a Csv,
    cells: &'a [String],
}

impl CsvRow<'_> {
    /// The cell of column `name` (empty when the row is short or the column unknown).
    pub fn get(&self, name: &str) -> &str {
        let i = self.csv.header.iter().position(|h| h == name);
        i.and_then(|i| self.cells.get(i)).map_or("", |c| c.as_str())
    }

    /// The cell of column `name` as a finite number, if it is one.
    pub fn num(&self, name: &str) -> Option<f64> {
        self.get(name).trim().parse::<f64>().ok().filter(|v| v.is_finite())
    }
}

/// The cells of one CSV line.
fn csv_cells(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reads_by_column_name_with_quoted_cells() {
        let csv = Csv::parse("a,b,c\n1,\"x, \"\"y\"\"\",3.5\n2\n", &["a", "c"]).unwrap();
        let rows: Vec<CsvRow> = csv.rows().collect();
        assert_eq!(rows[0].get("b"), "x, \"y\"");
        assert_eq!(rows[0].num("c"), Some(3.5));
        assert_eq!(rows[1].num("a"), Some(2.0));
        assert_eq!(rows[1].get("c"), "", "a short row leaves the rest empty");
        assert_eq!(rows[0].num("b"), None);
        assert!(Csv::parse("a,b\n", &["z"]).is_none(), "a missing column is refused");
    }
}
