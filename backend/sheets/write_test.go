package sheets

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestNeutralize(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "@SUM(A1)": "'@SUM(A1)", "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
		"\t=1": "'\t=1", "\r=1": "'\r=1", "+44 1234 567890": "+44 1234 567890", "+44 (0)1234 567-890": "+44 (0)1234 567-890",
		"-5": "-5", "-1.5e3": "-1.5e3", "Ann": "Ann", "": "", "a=b": "a=b", "+": "'+", "-": "'-",
	} {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteTablesRoundTrip(t *testing.T) {
	when := time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)
	stamp := time.Date(2024, 3, 31, 14, 5, 0, 0, time.UTC)
	var buf bytes.Buffer
	err := WriteTables(&buf,
		Table{Name: "Summary", Columns: []Column{{Header: "Item"}, {Header: "Count"}}, Rows: [][]any{{"Rows", 3}, {"Ratio", 0.5}}},
		Table{Name: "Contacts: all/some?", Columns: []Column{{Header: "Email"}, {Header: "Phone"}, {Header: "Until"}, {Header: "At"}, {Header: "Note", Wrap: true}, {Header: "Member"}},
			Rows: [][]any{
				{"ann@a.org", "+44 1234 567890", when, stamp, "=HYPERLINK(\"http://evil\")", true},
				{"bob@b.org", nil, time.Time{}, nil, "line one\nline two", false},
			}},
	)
	if err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "out.xlsx", buf.Bytes())
	names, err := ListSheets(path)
	if err != nil || !slices.Equal(names, []string{"Summary", "Contacts- all-some-"}) {
		t.Fatalf("sheets %q %v", names, err)
	}
	rows, _, err := ReadAll(context.Background(), path, Options{Sheet: names[1]})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Email", "Phone", "Until", "At", "Note", "Member"},
		{"ann@a.org", "+44 1234 567890", "2024-03-31", "2024-03-31 14:05:00", `'=HYPERLINK("http://evil")`, "TRUE"},
		{"bob@b.org", "", "", "", "line one\nline two", "FALSE"},
	}
	for i, w := range want {
		if !slices.Equal(rows[i].Cells, w) {
			t.Errorf("row %d = %q, want %q", i+1, rows[i].Cells, w)
		}
	}
	// The styling an administrator sees, read back by excelize.
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	panes, err := f.GetPanes(names[1])
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v %v", panes, err)
	}
	found := false
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" && strings.Contains(dn.RefersTo, "$A$1:$F$3") {
			found = true
		}
	}
	if !found {
		t.Errorf("no autofilter over A1:F3: %+v", f.GetDefinedName())
	}
	if w, _ := f.GetColWidth(names[1], "B"); w < 15 {
		t.Errorf("column B width %v, want it fitted to the phone number", w)
	}
	typ, _ := f.GetCellType(names[1], "C2")
	style, _ := f.GetCellStyle(names[1], "C2")
	st, _ := f.GetStyle(style)
	if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset || st == nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "yyyy-mm-dd" {
		t.Errorf("C2 is not a real date: type %v style %+v", typ, st)
	}
	hs, _ := f.GetCellStyle(names[1], "A1")
	if h, _ := f.GetStyle(hs); h == nil || h.Font == nil || !h.Font.Bold {
		t.Errorf("header is not bold: %+v", h)
	}
}

func TestWriteStreamingAndCSV(t *testing.T) {
	tbl := Table{Name: "Big", Columns: []Column{{Header: "N"}, {Header: "Text"}}, Each: func(yield func([]any) error) error {
		for i := 0; i < 5000; i++ {
			if err := yield([]any{i, "@x"}); err != nil {
				return err
			}
		}
		return nil
	}}
	var buf bytes.Buffer
	if err := WriteTables(&buf, tbl); err != nil {
		t.Fatal(err)
	}
	rows, _, err := ReadAll(context.Background(), writeTemp(t, "big.xlsx", buf.Bytes()), Options{})
	if err != nil || len(rows) != 5001 || rows[5000].Cells[0] != "4999" || rows[5000].Cells[1] != "'@x" {
		t.Fatalf("%d rows, last %v, %v", len(rows), rows[len(rows)-1], err)
	}
	buf.Reset()
	if err := WriteCSV(&buf, Table{Columns: []Column{{Header: "A"}, {Header: "B"}}, Rows: [][]any{{"=cmd", "+44 1 234"}, {time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), 1.5}}}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "\uFEFF") {
		t.Error("no BOM")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
	if err != nil || !slices.Equal(recs[1], []string{"'=cmd", "+44 1 234"}) || !slices.Equal(recs[2], []string{"2024-01-02", "1.5"}) {
		t.Fatalf("csv %q %v", recs, err)
	}
}

// TestCSVWritesCellsAsTheWorkbookDoes writes each value once as CSV and once as .xlsx. The
// CSV field must be the text the workbook shows (excelize formatting the cell with its
// number format, as Excel or LibreOffice would), except that a time's CSV text also has the
// seconds the workbook's hh:mm hides; and it must be the very value the cell holds.
func TestCSVWritesCellsAsTheWorkbookDoes(t *testing.T) {
	ptr := func(t time.Time) *time.Time { return &t }
	cest := time.FixedZone("CEST", 2*60*60)
	cases := []struct {
		name  string
		v     any
		csv   string
		shown string // in the workbook, when it differs from csv
	}{
		{name: "date", v: time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), csv: "2024-03-31"},
		{name: "date and time", v: time.Date(2024, 3, 31, 14, 5, 0, 0, time.UTC), csv: "2024-03-31 14:05:00", shown: "2024-03-31 14:05"},
		{name: "seconds", v: time.Date(2024, 3, 31, 14, 5, 59, 0, time.UTC), csv: "2024-03-31 14:05:59", shown: "2024-03-31 14:05"},
		{name: "a fraction of a second is still a date", v: time.Date(2024, 3, 31, 0, 0, 0, 500, time.UTC), csv: "2024-03-31"},
		{name: "wall clock of the time's own zone", v: time.Date(2024, 3, 31, 0, 30, 0, 0, cest), csv: "2024-03-31 00:30:00", shown: "2024-03-31 00:30"},
		{name: "zero time", v: time.Time{}, csv: ""},
		{name: "pointer to a date", v: ptr(time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)), csv: "2023-12-01"},
		{name: "pointer to a date and time", v: ptr(time.Date(2023, 12, 1, 9, 7, 0, 0, time.UTC)), csv: "2023-12-01 09:07:00", shown: "2023-12-01 09:07"},
		{name: "pointer in another zone", v: ptr(time.Date(2023, 12, 1, 23, 15, 0, 0, cest)), csv: "2023-12-01 23:15:00", shown: "2023-12-01 23:15"},
		{name: "nil pointer", v: (*time.Time)(nil), csv: ""},
		{name: "pointer to the zero time", v: ptr(time.Time{}), csv: ""},
		{name: "nil", v: nil, csv: ""},
		{name: "formula", v: `=HYPERLINK("http://evil")`, csv: `'=HYPERLINK("http://evil")`},
		{name: "at sign", v: "@SUM(A1)", csv: "'@SUM(A1)"},
		{name: "plus command", v: "+cmd|' /C calc'!A0", csv: "'+cmd|' /C calc'!A0"},
		{name: "minus formula", v: "-2+3+cmd|' /C calc'!A0", csv: "'-2+3+cmd|' /C calc'!A0"},
		{name: "tab", v: "\t=1", csv: "'\t=1"},
		{name: "phone number", v: "+44 1234 567890", csv: "+44 1234 567890"},
		{name: "negative number as text", v: "-5", csv: "-5"},
		{name: "plain text", v: "Ann", csv: "Ann"},
	}
	cols := make([]Column, len(cases))
	row := make([]any, len(cases))
	for i, c := range cases {
		cols[i], row[i] = Column{Header: c.name}, c.v
	}
	tbl := Table{Name: "Values", Columns: cols, Rows: [][]any{row}}

	var csvOut, xlsxOut bytes.Buffer
	if err := WriteCSV(&csvOut, tbl); err != nil {
		t.Fatal(err)
	}
	if err := WriteTables(&xlsxOut, tbl); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvOut.String(), "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 2 || len(recs[1]) != len(cases) {
		t.Fatalf("csv %q: %v", recs, err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(xlsxOut.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := recs[1][i]; got != c.csv {
				t.Errorf("csv %q, want %q", got, c.csv)
			}
			cell, _ := excelize.CoordinatesToCellName(i+1, 2)
			shown, err := f.GetCellValue("Values", cell)
			if err != nil {
				t.Fatal(err)
			}
			if want := cmp.Or(c.shown, c.csv); shown != want {
				t.Errorf("xlsx %s shows %q, want %q", cell, shown, want)
			}
			tm, isTime, empty := timeValue(c.v)
			if !isTime || empty {
				return
			}
			// A real date: a serial number in the cell, the same value as the CSV's text.
			raw, _ := f.GetCellValue("Values", cell, excelize.Options{RawCellValue: true})
			serial, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				t.Fatalf("xlsx %s holds %q, not a date serial number", cell, raw)
			}
			held, err := excelize.ExcelDateToTime(serial, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := held.Round(time.Second).Format(writtenDate[dateKindFor(tm)].layout); got != c.csv {
				t.Errorf("xlsx %s holds %s, csv has %q", cell, got, c.csv)
			}
		})
	}
}
