package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"gatehouse/backend/portal"
)

// neutralised is what each OWASP payload must become in a cell, written out by hand
// rather than computed, so the test does not trust the code it checks.
var neutralised = map[string]string{
	"=1+1":      "'=1+1",
	"+SUM(1,2)": "'+SUM(1,2)",
	"-2+3":      "'-2+3",
	"@SUM(1,2)": "'@SUM(1,2)",
	`=HYPERLINK("http://127.0.0.1/steal?x="&A1,"Click")`: `'=HYPERLINK("http://127.0.0.1/steal?x="&A1,"Click")`,
	"\tTabbed":           "'\tTabbed",
	"\rCarriage":         "'\rCarriage",
	`=cmd|' /C calc'!A0`: `'=cmd|' /C calc'!A0`,
}

// expectText is a table cell as text: neutralised strings, dates as a spreadsheet shows
// them with the export's formats, numbers as digits.
func expectText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if n, ok := neutralised[x]; ok {
			return n
		}
		if strings.HasPrefix(x, "=") {
			return "'" + x
		}
		return x
	case *time.Time:
		if x == nil {
			return ""
		}
		return x.UTC().Format("2006-01-02 15:04")
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04")
	case int:
		return strconv.Itoa(x)
	}
	return fmt.Sprint(v)
}

func allRows(t *testing.T, r *Reports, kind Kind) Page {
	t.Helper()
	p, err := r.Table(context.Background(), kind, Filter{}, Sort{}, 0, MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) == 0 || p.Total != len(p.Rows) {
		t.Fatalf("%s: %d rows of %d", kind, len(p.Rows), p.Total)
	}
	return p
}

func exportTo(t *testing.T, r *Reports, kind Kind, format Format) (string, []Progress) {
	t.Helper()
	path := filepath.Join(t.TempDir(), string(kind)+"."+string(format))
	var prog []Progress
	n, err := r.ExportFile(context.Background(), path, kind, Filter{}, Sort{}, format, func(p Progress) { prog = append(prog, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) == 0 || !prog[len(prog)-1].Finished || prog[len(prog)-1].Done != n || prog[len(prog)-1].Path != path {
		t.Errorf("progress = %+v, want a finished report of %d rows at %s", prog, n, path)
	}
	return path, prog
}

func TestExportXLSXRoundTrip(t *testing.T) {
	r, _ := openFixture(t)
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			want := allRows(t, r, kind)
			path, _ := exportTo(t, r, kind, FormatXLSX)
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetList(); len(got) != 2 || got[0] != want.Title || got[1] != "Summary" {
				t.Fatalf("sheets = %q, want [%q Summary]", got, want.Title)
			}
			sheet := want.Title
			for _, s := range f.GetSheetList() {
				panes, err := f.GetPanes(s)
				if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
					t.Errorf("%s: panes = %+v, %v; want the header row frozen", s, panes, err)
				}
			}
			filtered := false
			for _, dn := range f.GetDefinedName() {
				if dn.Name == "_xlnm._FilterDatabase" && dn.Scope == sheet {
					filtered = strings.HasSuffix(dn.RefersTo, fmt.Sprintf("$A$1:$%s$%d", colName(len(want.Columns)), len(want.Rows)+1))
				}
			}
			if !filtered {
				t.Errorf("no autofilter over the whole table: %+v", f.GetDefinedName())
			}
			for i, c := range want.Columns {
				w, err := f.GetColWidth(sheet, colName(i+1))
				if err != nil || w != c.Width {
					t.Errorf("column %s width = %v, %v; want %v", c.Label, w, err, c.Width)
				}
				h, _ := f.GetCellValue(sheet, colName(i+1)+"1")
				if h != c.Label {
					t.Errorf("header %d = %q, want %q", i+1, h, c.Label)
				}
			}
			raw, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) != len(want.Rows)+1 {
				t.Fatalf("%d rows in the sheet, want %d and a header", len(raw)-1, len(want.Rows))
			}
			for ri, row := range want.Rows {
				for ci, v := range row.Cells {
					cell := colName(ci+1) + strconv.Itoa(ri+2)
					got := ""
					if ci < len(raw[ri+1]) {
						got = raw[ri+1][ci]
					}
					if fm, _ := f.GetCellFormula(sheet, cell); fm != "" {
						t.Errorf("%s holds the formula %q", cell, fm)
					}
					typ, _ := f.GetCellType(sheet, cell)
					switch x := v.(type) {
					case *time.Time:
						if x == nil {
							if got != "" {
								t.Errorf("%s = %q, want empty", cell, got)
							}
							continue
						}
						serial, err := strconv.ParseFloat(got, 64)
						if err != nil {
							t.Errorf("%s = %q, want a date serial number", cell, got)
							continue
						}
						d, err := excelize.ExcelDateToTime(serial, false)
						if err != nil || d.Sub(*x).Abs() > time.Millisecond {
							t.Errorf("%s = %v, want %v", cell, d, *x)
						}
						if fmtCode := numFmtOf(t, f, sheet, cell); !strings.Contains(fmtCode, "yyyy-mm-dd") {
							t.Errorf("%s is formatted %q, want a date format", cell, fmtCode)
						}
					case int:
						if got != strconv.Itoa(x) || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
							t.Errorf("%s = %q (type %v), want the number %d", cell, got, typ, x)
						}
					case string:
						if want := expectText(x); got != want {
							t.Errorf("%s = %q, want %q", cell, got, want)
						}
						if x != "" && typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
							t.Errorf("%s (%q) has type %v, want text", cell, x, typ)
						}
					case nil:
						if got != "" {
							t.Errorf("%s = %q, want empty", cell, got)
						}
					default:
						t.Fatalf("unexpected cell value %T", v)
					}
				}
			}
			// The Summary sheet holds the figures.
			fig, err := r.Figures(context.Background(), Filter{})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := f.GetRows("Summary", excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, row := range sum[1:] {
				if len(row) == 2 {
					got[row[0]] = row[1]
				}
			}
			for _, c := range fig.Funnel {
				if got["Activation funnel: "+c.Label] != strconv.Itoa(c.Count) {
					t.Errorf("summary %q = %q, want %d", c.Label, got["Activation funnel: "+c.Label], c.Count)
				}
			}
			if got["Rows in this report"] != strconv.Itoa(len(want.Rows)) || got["Filter"] != "everyone" || got["Report"] != want.Title {
				t.Errorf("summary = %v", got)
			}
			if serial, err := strconv.ParseFloat(got["Generated (UTC)"], 64); err != nil {
				t.Errorf("generated = %q, want a date", got["Generated (UTC)"])
			} else if d, _ := excelize.ExcelDateToTime(serial, false); !d.Equal(now) {
				t.Errorf("generated = %v, want %v", d, now)
			}
		})
	}
}

func numFmtOf(t *testing.T, f *excelize.File, sheet, cell string) string {
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	return strconv.Itoa(st.NumFmt)
}

func colName(n int) string {
	s, _ := excelize.ColumnNumberToName(n)
	return s
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF"))))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// csvCR accounts for encoding/csv: with CRLF line endings its writer drops a lone CR
// inside a quoted field, so "\rCarriage" arrives as "'Carriage" — still neutralised.
func csvCR(p Page) {
	for _, r := range p.Rows {
		for i, c := range r.Cells {
			if c == "\rCarriage" {
				r.Cells[i] = "'Carriage"
			}
		}
	}
}

// csvText is how the CSV writer spells a time.
func csvText(v any) string {
	if x, ok := v.(*time.Time); ok && x != nil {
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05")
	}
	return expectText(v)
}

func TestExportCSVRoundTrip(t *testing.T) {
	r, _ := openFixture(t)
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			want := allRows(t, r, kind)
			csvCR(want)
			path, _ := exportTo(t, r, kind, FormatCSV)
			if b, _ := os.ReadFile(path); !bytes.HasPrefix(b, []byte("\uFEFF")) {
				t.Error("no byte-order mark: Excel would misread the accents")
			}
			recs := readCSV(t, path)
			if len(recs) != len(want.Rows)+1 {
				t.Fatalf("%d records, want %d and a header", len(recs)-1, len(want.Rows))
			}
			for i, c := range want.Columns {
				if recs[0][i] != c.Label {
					t.Errorf("header %d = %q, want %q", i, recs[0][i], c.Label)
				}
			}
			for ri, row := range want.Rows {
				for ci, v := range row.Cells {
					if got, w := recs[ri+1][ci], csvText(v); got != w {
						t.Errorf("row %d col %d = %q, want %q", ri+1, ci+1, got, w)
					}
				}
			}
		})
	}
}

// TestFormulaInjection checks every OWASP payload in both formats, and that a phone number
// starting with + keeps its meaning as text.
func TestFormulaInjection(t *testing.T) {
	r, _ := openFixture(t)
	xlsxPath, _ := exportTo(t, r, KindLogins, FormatXLSX)
	csvPath, _ := exportTo(t, r, KindLogins, FormatCSV)
	f, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, csvPath)
	find := func(table [][]string, email string) (int, []string) {
		for i, row := range table {
			if len(row) > 1 && row[1] == email {
				return i, row
			}
		}
		t.Fatalf("%s is not in the export", email)
		return 0, nil
	}
	for i, payload := range injections {
		email := fmt.Sprintf("inj%d@acton.example", i)
		want := neutralised[payload]
		t.Run(strconv.Quote(payload), func(t *testing.T) {
			ri, row := find(rows, email)
			for _, col := range []int{0, 2} { // name and phone
				cell := colName(col+1) + strconv.Itoa(ri+1)
				if row[col] != want {
					t.Errorf("xlsx %s = %q, want %q", cell, row[col], want)
				}
				if fm, _ := f.GetCellFormula(sheet, cell); fm != "" {
					t.Errorf("xlsx %s is the formula %q", cell, fm)
				}
				if typ, _ := f.GetCellType(sheet, cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
					t.Errorf("xlsx %s has type %v, want text", cell, typ)
				}
			}
			_, rec := find(recs, email)
			if payload == "\rCarriage" {
				want = "'Carriage" // see csvCR
			}
			if rec[0] != want || rec[2] != want {
				t.Errorf("csv name, phone = %q, %q; want %q", rec[0], rec[2], want)
			}
		})
	}
	t.Run("phone +44", func(t *testing.T) {
		ri, row := find(rows, "ada@acton.example")
		cell := "C" + strconv.Itoa(ri+1)
		if row[2] != adaPhone {
			t.Errorf("xlsx phone = %q, want %q unchanged", row[2], adaPhone)
		}
		if typ, _ := f.GetCellType(sheet, cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
			t.Errorf("xlsx phone has type %v, want text", typ)
		}
		if code := numFmtOf(t, f, sheet, cell); code != "49" {
			t.Errorf("phone column format = %s, want 49 (text, @)", code)
		}
		if _, rec := find(recs, "ada@acton.example"); rec[2] != adaPhone {
			t.Errorf("csv phone = %q, want %q unchanged", rec[2], adaPhone)
		}
	})
}

// TestLibreOfficeReadsExport opens every exported workbook in LibreOffice (headless) and
// has it save each sheet as CSV, showing values as formatted and formulas as formulas: a
// foreign reader sees the same values, dates as dates, and no formula anywhere.
func TestLibreOfficeReadsExport(t *testing.T) {
	lo, err := exec.LookPath("libreoffice")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("libreoffice is missing (apt-get install libreoffice-calc-nogui); CI=true makes a missing part a failure")
		}
		t.Skip("libreoffice is missing: apt-get install libreoffice-calc-nogui")
	}
	r, _ := openFixture(t)
	profile := t.TempDir() // a private profile, so a running LibreOffice does not interfere
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			want := allRows(t, r, kind)
			path, _ := exportTo(t, r, kind, FormatXLSX)
			out := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			// Tokens: comma, double quote, UTF-8, from row 1, default columns, default
			// language, quote text only as needed, detect numbers, save as shown, save
			// formulas (so any formula would appear as one), keep spaces, every sheet (-1).
			cmd := exec.CommandContext(ctx, lo, "-env:UserInstallation=file://"+profile, "--headless",
				"--convert-to", `csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,true,false,-1`,
				"--outdir", out, path)
			cmd.Env = append(os.Environ(), "HOME="+profile)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("libreoffice: %v\n%s", err, b)
			}
			base := strings.TrimSuffix(filepath.Base(path), ".xlsx")
			recs := readCSV(t, filepath.Join(out, base+"-"+want.Title+".csv"))
			if len(recs) != len(want.Rows)+1 {
				t.Fatalf("LibreOffice sees %d rows, want %d and a header", len(recs)-1, len(want.Rows))
			}
			for ri, row := range want.Rows {
				for ci, v := range row.Cells {
					got := recs[ri+1][ci]
					w := expectText(v)
					// LibreOffice keeps a lone CR in text as a line break.
					got = strings.ReplaceAll(got, "\n", "\r")
					if got != w {
						t.Errorf("row %d col %d: LibreOffice shows %q, want %q", ri+1, ci+1, got, w)
					}
				}
			}
			sum := readCSV(t, filepath.Join(out, base+"-Summary.csv"))
			found := false
			for _, row := range sum {
				if len(row) == 2 && row[0] == "Rows in this report" {
					found = row[1] == strconv.Itoa(len(want.Rows))
				}
			}
			if !found {
				t.Errorf("LibreOffice's Summary lacks the row count: %q", sum)
			}
		})
	}
}

var _ = portal.EINVALID
